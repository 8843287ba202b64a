/* recordbatch.h — Kafka RecordBatch v2 (magic 2): iterate the records of a
 * batch, and build a batch from records. Internal to rill; used by the log
 * storage, the broker and the Kafka connector. Byte layout: docs/recordbatch.md
 * and batch-header.h (61-byte header).
 *
 * Reading — records point into memory, nothing is copied per record:
 *
 *   rill__batch_reader r;
 *   rill__batch_reader_init(&r);
 *   if (!rill__batch_reader_open(&r, bytes, len, RILL__BATCH_VERIFY_CRC, 64 << 20, &error))
 *     ...;                                  // error says what and at which byte
 *   rill__record rec;
 *   int rc;
 *   while ((rc = rill__batch_reader_next(&r, &rec, &error)) > 0) {
 *     ... rec.offset, rec.timestamp, rec.key (NULL = null key), rec.value ...
 *     rill__record_header_iter it; rill__record_header h;
 *     rill__record_header_iter_init(&it, &rec);
 *     while (rill__record_header_iter_next(&it, &h)) ...
 *   }
 *   if (rc < 0) ...;                        // malformed record
 *   rill__batch_reader_clear(&r);           // once, when done with all batches
 *
 *   Uncompressed batches: keys/values/headers point into @bytes, which must
 *   outlive the records. Compressed batches: the records block is inflated
 *   once by open() into a buffer the reader owns; records point there and stay
 *   valid until the next open() or clear(). One reader can be reused for many
 *   batches (its buffer is kept) and is not thread-safe.
 *
 * Writing:
 *
 *   rill__batch_writer_options o = RILL__BATCH_WRITER_OPTIONS_INIT;
 *   o.codec = RILL__CODEC_ZSTD;
 *   rill__batch_writer *w = rill__batch_writer_new(&o, &error);   // NULL: bad level/codec
 *   rill__batch_writer_append(w, ts_ms, key, key_len, value, value_len, hdrs, n_hdrs);
 *   GBytes *batch = rill__batch_writer_finish(w, &error);          // (transfer full)
 *   rill__batch_writer_free(w);
 *
 *   Lengths of -1 mean null (key, value, header value); the writer copies
 *   what it is given, so the caller's memory may be reused after append().
 *   finish() computes lastOffsetDelta, maxTimestamp, recordsCount, the length
 *   and the CRC; the writer can then take records for a new batch.
 *
 * Errors: open() and next() fail with RILL__BATCH_ERROR codes (below), each
 * message naming the field and byte offset (offsets in the records of a
 * compressed batch count from the start of the decompressed block, and say
 * so). Decoding never reads outside [bytes, bytes + len).
 *
 * MessageSet v0/v1 (magic 0/1) is refused with RILL__BATCH_ERROR_UNSUPPORTED_MAGIC.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rill/record.h>

#include "runtime/wire/batch-header.h"
#include "runtime/wire/compress.h"

#define RILL__BATCH_ERROR (rill__batch_error_quark())
GQuark rill__batch_error_quark(void);

/* What went wrong; the comment gives the Kafka error code a broker answers with. */
typedef enum {
  RILL__BATCH_ERROR_TRUNCATED,           /* shorter than its header/length says (CORRUPT_MESSAGE 2) */
  RILL__BATCH_ERROR_BAD_LENGTH,          /* batchLength too small or negative (CORRUPT_MESSAGE 2) */
  RILL__BATCH_ERROR_UNSUPPORTED_MAGIC,   /* magic 0/1 MessageSet or unknown (UNSUPPORTED_VERSION 35) */
  RILL__BATCH_ERROR_BAD_CRC,             /* CRC-32C mismatch (CORRUPT_MESSAGE 2) */
  RILL__BATCH_ERROR_UNSUPPORTED_CODEC,   /* codec 5..7 (UNSUPPORTED_COMPRESSION_TYPE 76) */
  RILL__BATCH_ERROR_DECOMPRESS,          /* compressed block corrupt (CORRUPT_MESSAGE 2) */
  RILL__BATCH_ERROR_TOO_LARGE,           /* decompressed size over the caller's limit (CORRUPT_MESSAGE 2) */
  RILL__BATCH_ERROR_BAD_RECORD,          /* a record is malformed (INVALID_RECORD 87) */
  RILL__BATCH_ERROR_COUNT_MISMATCH,      /* recordsCount disagrees with the records (INVALID_RECORD 87) */
} rill__batch_error;

/* Flags for rill__batch_reader_open(). */
#define RILL__BATCH_VERIFY_CRC 0x1 /* check the CRC-32C before anything else */

/* One record header; key is never NULL, value is NULL when null. Both point
 * into the batch (or the reader's buffer). */
typedef struct {
  const uint8_t *key;   /* not owned */
  int32_t key_len;
  const uint8_t *value; /* not owned; NULL when the header value is null */
  int32_t value_len;    /* -1 when null */
} rill__record_header;

/* One record, as the reader returns it. Pointers are borrowed (see above). */
typedef struct {
  int64_t offset;          /* baseOffset + offsetDelta */
  int64_t timestamp;       /* baseTimestamp + delta, or maxTimestamp for LogAppendTime */
  int32_t offset_delta;
  int64_t timestamp_delta; /* as stored, even with LogAppendTime */
  int8_t attributes;       /* per-record attributes (unused by Kafka today) */
  bool control;            /* the batch is a control batch: key = version i16, type i16 */
  const uint8_t *key;      /* not owned; NULL when the key is null */
  int32_t key_len;         /* -1 when null */
  const uint8_t *value;    /* not owned; NULL when the value is null */
  int32_t value_len;       /* -1 when null */
  int32_t header_count;
  const uint8_t *headers;  /* not owned; the encoded headers, validated by next() */
  const uint8_t *headers_end;
} rill__record;

typedef struct {
  const uint8_t *pos, *end;
  int32_t left;
} rill__record_header_iter;

typedef struct {
  /* public, read-only after open() */
  rill_batch_header header;  /* every header field */
  rill__codec codec;         /* attributes & 7 */
  bool log_append_time;      /* timestamps are the broker's (maxTimestamp) */
  bool transactional;
  bool control;
  const uint8_t *batch;      /* not owned: the bytes given to open() */
  size_t batch_size;         /* batchLength + 12 */

  /* private */
  const uint8_t *records;    /* start of the plain records (batch or inflated) */
  const uint8_t *pos, *end;
  int32_t index;             /* of the next record */
  bool inflated;             /* records live in buf */
  GByteArray *buf;           /* owned: decompressed records, kept across batches */
} rill__batch_reader;

/* Prepares @r (caller-allocated) for use; pair with rill__batch_reader_clear(). */
void rill__batch_reader_init(rill__batch_reader *r);

/* Frees what the reader owns; records it returned become invalid. */
void rill__batch_reader_clear(rill__batch_reader *r);

/* Parses the batch at @bytes (@len bytes available; the batch may be shorter,
 * its size is r->batch_size). Verifies the CRC with RILL__BATCH_VERIFY_CRC and
 * decompresses the records block, producing at most @max_decompressed bytes.
 * @bytes: (transfer none), must outlive the records of an uncompressed batch. */
bool rill__batch_reader_open(rill__batch_reader *r, const uint8_t *bytes, size_t len,
                             unsigned flags, size_t max_decompressed, GError **error);

/* Fills @rec with the next record: returns 1, 0 at the end (after checking
 * that the count and the bytes agree), or -1 with @error set. */
int rill__batch_reader_next(rill__batch_reader *r, rill__record *rec, GError **error);

/* Iterates the headers of @rec (validated by next(), so this cannot fail). */
static inline void rill__record_header_iter_init(rill__record_header_iter *it, const rill__record *rec)
{
  it->pos = rec->headers;
  it->end = rec->headers_end;
  it->left = rec->header_count;
}
bool rill__record_header_iter_next(rill__record_header_iter *it, rill__record_header *h);

/* Sets *@out to a pipeline record viewing @rec's bytes: key and value (NULL
 * for a null one), timestamp, offset, and the headers, collected into
 * @headers (a GArray of rill_header, emptied first; *@out points into it,
 * so it must outlive *@out's use). Topic and partition are left unset. */
void rill__record_view(const rill__record *rec, GArray *headers, rill_record *out);

/* Reads a control record's key (version, type: 0 abort, 1 commit). False when
 * the key is not a control key. */
bool rill__control_record_parse(const rill__record *rec, int16_t *version, int16_t *type);

/* ---- writer ---------------------------------------------------------------- */

typedef struct {
  int64_t base_offset;            /* 0 from producers; the log re-stamps it */
  int32_t partition_leader_epoch; /* -1 from producers */
  int64_t producer_id;            /* -1: not idempotent */
  int16_t producer_epoch;         /* -1 */
  int32_t base_sequence;          /* -1 */
  bool transactional;
  bool control;
  bool log_append_time;           /* timestamp type; with it maxTimestamp = log_append_time_ms */
  int64_t log_append_time_ms;
  rill__codec codec;
  int level;                      /* RILL__CODEC_LEVEL_DEFAULT or the codec's range */
} rill__batch_writer_options;

#define RILL__BATCH_WRITER_OPTIONS_INIT                                                       \
  ((rill__batch_writer_options){.partition_leader_epoch = -1, .producer_id = -1,             \
                                .producer_epoch = -1, .base_sequence = -1,                   \
                                .codec = RILL__CODEC_NONE, .level = RILL__CODEC_LEVEL_DEFAULT})

typedef struct rill__batch_writer rill__batch_writer;

/* A writer with copied @opts; NULL with @error for a bad codec or level. (transfer full) */
rill__batch_writer *rill__batch_writer_new(const rill__batch_writer_options *opts, GError **error);
void rill__batch_writer_free(rill__batch_writer *w);

/* Appends one record (offsetDelta = records so far). Lengths -1 mean null;
 * a header key may not be null. Everything is copied. */
void rill__batch_writer_append(rill__batch_writer *w, int64_t timestamp, const void *key,
                               int32_t key_len, const void *value, int32_t value_len,
                               const rill__record_header *headers, size_t n_headers);

/* Records appended since the last finish(), and the bytes they take uncompressed. */
int32_t rill__batch_writer_count(const rill__batch_writer *w);
size_t rill__batch_writer_size(const rill__batch_writer *w);

/* Completes the batch: (transfer full) bytes, or NULL with @error when
 * compression fails. The writer is then empty and ready for the next batch
 * with the same options (base_sequence is not advanced: set it with
 * rill__batch_writer_set_sequence()). */
GBytes *rill__batch_writer_finish(rill__batch_writer *w, GError **error);

void rill__batch_writer_set_base_offset(rill__batch_writer *w, int64_t base_offset);
void rill__batch_writer_set_sequence(rill__batch_writer *w, int32_t base_sequence);
