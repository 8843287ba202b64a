/* gateway-frame.c — libFuzzer target for the gateway's client frame parser
 * (connectors/gateway/frame.c).
 *
 * Each input is one WebSocket text message. Whatever it is, parsing must
 * end in a frame or a coded error, never a crash. A parsed frame must keep
 * the parser's promises (a valid channel, a body that is itself JSON), and
 * the frames the gateway would answer with — an error echoing the ref, a
 * deliver embedding the body — must be valid JSON objects.
 */
#include <stdlib.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "connectors/gateway/frame.h"

static void must_be_object(const char *text, gsize len)
{
  JsonParser *p = json_parser_new_immutable();
  if (!json_parser_load_from_data(p, text, (gssize)len, NULL) || !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p)))
    abort();
  g_object_unref(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  rill__gw_frame f;
  const char *code = NULL;
  GError *e = NULL;
  if (!rill__gw_frame_parse((const char *)data, size, &f, &code, &e)) {
    if (!code || !e)
      abort();
    char *err = rill__gw_frame_error(f.ref, code, e->message);
    must_be_object(err, strlen(err));
    g_free(err);
    g_error_free(e);
    rill__gw_frame_clear(&f);
    return 0;
  }
  if ((unsigned)f.op >= RILL__GW_N_OPS)
    abort();
  if (f.channel && !rill__gw_channel_valid(f.channel, strlen(f.channel)))
    abort();
  if (f.op == RILL__GW_PUBLISH) {
    if (!f.channel || !f.body)
      abort();
    GBytes *d = rill__gw_frame_deliver("t", f.channel, strlen(f.channel), 0, 1, 2, "u", 1, f.body, strlen(f.body),
                                       FALSE);
    gsize len;
    const char *text = g_bytes_get_data(d, &len);
    must_be_object(text, len);
    g_bytes_unref(d);
  }
  char *ack = rill__gw_frame_ack(f.ref, f.channel ? f.channel : "c", 0, 0);
  must_be_object(ack, strlen(ack));
  g_free(ack);
  rill__gw_frame_clear(&f);
  return 0;
}
