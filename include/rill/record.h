/* record.h — one record: key, value, event time, headers, and where it came
 * from when it came from a log.
 *
 * A rill_record is a small value type that *views* bytes; it owns nothing.
 * The bytes live in refcounted buffers held by the rill_batch the record is
 * in, so a record is valid exactly as long as a reference to its batch is
 * held. Records are immutable once emitted: to change one, emit a new record
 * (a map stage receives a pre-filled copy of the input to edit).
 *
 * A rill_bytes with data == NULL is *absent* (Kafka's null key/value); one
 * with data != NULL and len == 0 is present but empty.
 */
#pragma once

#include <rill/export.h>

#include <glib.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

G_BEGIN_DECLS

/* Timestamp meaning "no event time" (the record took none from its source). */
#define RILL_TIMESTAMP_NONE INT64_MIN

typedef struct rill_bytes {
  const uint8_t *data; /* not refcounted: owned by the batch's buffers; NULL = absent */
  size_t len;          /* byte count; 0 when absent */
} rill_bytes;

typedef struct rill_header {
  rill_bytes key;   /* header name (not NUL-terminated) */
  rill_bytes value; /* header value; may be absent */
} rill_header;

typedef struct rill_record {
  rill_bytes key;             /* may be absent */
  rill_bytes value;           /* may be absent */
  int64_t timestamp;          /* event time, ms since the epoch, or RILL_TIMESTAMP_NONE */
  const rill_header *headers; /* n_headers entries in order; not refcounted */
  uint32_t n_headers;
  int32_t partition;          /* log partition, or -1 when not from a log */
  int64_t offset;             /* log offset, or -1 when not from a log */
  const char *topic;          /* NUL-terminated log topic, or NULL; not refcounted */
} rill_record;

/* Initialiser for a record with nothing set. */
#define RILL_RECORD_INIT                                                                 \
  { .key = {NULL, 0}, .value = {NULL, 0}, .timestamp = RILL_TIMESTAMP_NONE, .headers = NULL, \
    .n_headers = 0, .partition = -1, .offset = -1, .topic = NULL }

/* A rill_bytes viewing @len bytes at @data (transfer none: @data must outlive it). */
static inline rill_bytes rill_bytes_make(const void *data, size_t len)
{
  rill_bytes b = {(const uint8_t *)data, data ? len : 0};
  return b;
}

/* A rill_bytes viewing the NUL-terminated @str without the NUL (NULL -> absent). */
static inline rill_bytes rill_bytes_from_string(const char *str)
{
  return rill_bytes_make(str, str ? strlen(str) : 0);
}

/* TRUE when both are absent, or both present with equal contents. */
static inline gboolean rill_bytes_equal(rill_bytes a, rill_bytes b)
{
  if (!a.data || !b.data)
    return a.data == b.data;
  return a.len == b.len && (a.len == 0 || memcmp(a.data, b.data, a.len) == 0);
}

/* Payload size of @record: key + value + header names and values. Used for
 * the byte counters in metrics and for batch sizing. */
RILL_API size_t rill_record_payload_size(const rill_record *record);

/* The value of the first header named @name in @record, or NULL if none.
 * (transfer none): points into @record. */
RILL_API const rill_bytes *rill_record_header(const rill_record *record, const char *name);

G_END_DECLS
