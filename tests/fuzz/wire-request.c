/* wire-request.c — libFuzzer target: a request frame (bytes after the size
 * prefix) through the codec's request decoder, for every API key and
 * version the header names. A decoded request is re-encoded, decoded again
 * and must give the same bytes, so the fuzzer also hunts encoder/decoder
 * disagreements. Seeds: tests/fuzz/corpus/wire-request/ (the real-client
 * vectors of tests/wire/vectors/). */
#include "runtime/wire/message.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  rill__wire_arena arena;
  rill__wire_arena_init(&arena);
  arena.limit = 64u << 20;
  rill__wire_request *req = malloc(sizeof *req), *again = malloc(sizeof *again);
  rill__wire_error err;
  if (rill__wire_request_decode(data, size, &arena, req, &err) == RILL_WIRE_OK) {
    rill__wire_writer w;
    rill__wire_writer_init(&w);
    /* a decoded request can always be re-encoded ... */
    if (!rill__wire_request_encode(&w, &req->header, &req->body, &err))
      abort();
    rill__wire_writer w2;
    rill__wire_writer_init(&w2);
    /* ... and reads back to the same encoding (the input itself may differ:
     * unknown tags are dropped, any non-zero bool byte reads as true) */
    if (rill__wire_request_decode(w.buf + 4, w.len - 4, &arena, again, &err) != RILL_WIRE_OK ||
        !rill__wire_request_encode(&w2, &again->header, &again->body, &err) || w2.len != w.len ||
        memcmp(w.buf, w2.buf, w.len) != 0)
      abort();
    rill__wire_writer_clear(&w);
    rill__wire_writer_clear(&w2);
  }
  free(req);
  free(again);
  rill__wire_arena_clear(&arena);
  return 0;
}
