/* recordbatch-writer.c — builds RecordBatch v2 bytes (API in recordbatch.h).
 *
 * Records are encoded straight into one growing buffer after 61 bytes kept
 * for the header, each record's size being computed before it is written so
 * nothing moves. finish() fills the header in place: uncompressed, the
 * buffer itself becomes the GBytes (no copy); compressed, the records after
 * byte 61 are compressed behind a fresh header.
 *
 * Invariants: buf[0, RILL_BATCH_HEADER_SIZE) is reserved; len >= that size;
 * count records are encoded in buf[61, len); base_ts/max_ts are meaningful
 * once count > 0.
 */
#include "runtime/wire/recordbatch.h"

#include <string.h>

#include "runtime/wire/crc32c.h"
#include "runtime/wire/varint.h"

struct rill__batch_writer {
  rill__batch_writer_options o;
  uint8_t *buf;     /* owned; header space then encoded records */
  size_t len, cap;
  int32_t count;    /* records since the last finish() */
  int64_t base_ts;  /* first record's timestamp */
  int64_t max_ts;
  size_t last_size; /* of the previous batch: the next buffer starts that big */
};

rill__batch_writer *rill__batch_writer_new(const rill__batch_writer_options *opts, GError **error)
{
  g_return_val_if_fail(opts != NULL, NULL);
  if ((unsigned)opts->codec > RILL__CODEC_ZSTD) {
    g_set_error(error, RILL__COMPRESS_ERROR, RILL__COMPRESS_ERROR_UNSUPPORTED,
                "unsupported compression codec %d", (int)opts->codec);
    return NULL;
  }
  if (!rill__codec_check_level(opts->codec, opts->level, error))
    return NULL;
  rill__batch_writer *w = g_new0(rill__batch_writer, 1);
  w->o = *opts;
  w->len = RILL_BATCH_HEADER_SIZE;
  return w;
}

void rill__batch_writer_free(rill__batch_writer *w)
{
  if (!w)
    return;
  g_free(w->buf);
  g_free(w);
}

int32_t rill__batch_writer_count(const rill__batch_writer *w)
{
  g_return_val_if_fail(w != NULL, 0);
  return w->count;
}

size_t rill__batch_writer_size(const rill__batch_writer *w)
{
  g_return_val_if_fail(w != NULL, 0);
  return w->len;
}

void rill__batch_writer_set_base_offset(rill__batch_writer *w, int64_t base_offset)
{
  g_return_if_fail(w != NULL);
  w->o.base_offset = base_offset;
}

void rill__batch_writer_set_sequence(rill__batch_writer *w, int32_t base_sequence)
{
  g_return_if_fail(w != NULL);
  w->o.base_sequence = base_sequence;
}

static uint8_t *reserve(rill__batch_writer *w, size_t n)
{
  if (w->len + n > w->cap) {
    size_t cap = MAX(MAX(w->cap * 2, w->last_size), (size_t)4096);
    while (cap < w->len + n)
      cap *= 2;
    w->buf = g_realloc(w->buf, cap);
    w->cap = cap;
  }
  return w->buf + w->len;
}

/* Size of a length-prefixed field (length -1 = null, no bytes). */
static inline size_t field_size(int32_t len) { return (size_t)rill_varint32_size(len) + (len > 0 ? (size_t)len : 0); }

static inline uint8_t *put_field(uint8_t *p, const void *data, int32_t len)
{
  p += rill_varint32_encode(p, len);
  if (len > 0) {
    memcpy(p, data, (size_t)len);
    p += len;
  }
  return p;
}

void rill__batch_writer_append(rill__batch_writer *w, int64_t timestamp, const void *key,
                               int32_t key_len, const void *value, int32_t value_len,
                               const rill__record_header *headers, size_t n_headers)
{
  g_return_if_fail(w != NULL);
  g_return_if_fail(key_len >= -1 && (key != NULL || key_len <= 0));
  g_return_if_fail(value_len >= -1 && (value != NULL || value_len <= 0));
  g_return_if_fail(headers != NULL || n_headers == 0);
  g_return_if_fail(n_headers <= INT32_MAX && w->count < INT32_MAX);

  if (w->count == 0)
    w->base_ts = w->max_ts = timestamp;
  else if (timestamp > w->max_ts)
    w->max_ts = timestamp;
  int64_t ts_delta = (int64_t)((uint64_t)timestamp - (uint64_t)w->base_ts);

  size_t body = 1 + rill_varint64_size(ts_delta) + rill_varint32_size(w->count) + field_size(key_len) +
                field_size(value_len) + rill_varint32_size((int32_t)n_headers);
  for (size_t i = 0; i < n_headers; i++) {
    g_return_if_fail(headers[i].key_len >= 0 && (headers[i].key != NULL || headers[i].key_len == 0));
    g_return_if_fail(headers[i].value_len >= -1 && (headers[i].value != NULL || headers[i].value_len <= 0));
    body += field_size(headers[i].key_len) + field_size(headers[i].value_len);
  }
  g_return_if_fail(body <= INT32_MAX);

  uint8_t *p = reserve(w, RILL_VARINT_MAX32 + body), *start = p;
  p += rill_varint32_encode(p, (int32_t)body);
  *p++ = 0; /* record attributes: unused */
  p += rill_varint64_encode(p, ts_delta);
  p += rill_varint32_encode(p, w->count);
  p = put_field(p, key, key_len);
  p = put_field(p, value, value_len);
  p += rill_varint32_encode(p, (int32_t)n_headers);
  for (size_t i = 0; i < n_headers; i++) {
    p = put_field(p, headers[i].key, headers[i].key_len);
    p = put_field(p, headers[i].value, headers[i].value_len);
  }
  w->len += (size_t)(p - start);
  w->count++;
}

static void fill_header(const rill__batch_writer *w, uint8_t *h, size_t total)
{
  const rill__batch_writer_options *o = &w->o;
  int16_t attrs = (int16_t)(o->codec | (o->log_append_time ? RILL_BATCH_ATTR_LOG_APPEND_TIME : 0) |
                            (o->transactional ? RILL_BATCH_ATTR_TRANSACTIONAL : 0) |
                            (o->control ? RILL_BATCH_ATTR_CONTROL : 0));
  /* An empty batch has no timestamps: Kafka's NO_TIMESTAMP (-1). */
  int64_t base_ts = w->count ? w->base_ts : -1;
  int64_t max_ts = o->log_append_time ? o->log_append_time_ms : w->count ? w->max_ts : -1;
  rill_put_be64(h + 0, (uint64_t)o->base_offset);
  rill_put_be32(h + 8, (uint32_t)(total - RILL_BATCH_LOG_OVERHEAD));
  rill_put_be32(h + 12, (uint32_t)o->partition_leader_epoch);
  h[16] = 2;
  rill_put_be16(h + 21, (uint16_t)attrs);
  rill_put_be32(h + 23, (uint32_t)(w->count ? w->count - 1 : 0));
  rill_put_be64(h + 27, (uint64_t)base_ts);
  rill_put_be64(h + 35, (uint64_t)max_ts);
  rill_put_be64(h + 43, (uint64_t)o->producer_id);
  rill_put_be16(h + 51, (uint16_t)o->producer_epoch);
  rill_put_be32(h + 53, (uint32_t)o->base_sequence);
  rill_put_be32(h + 57, (uint32_t)w->count);
  rill__batch_update_crc(h, total);
}

GBytes *rill__batch_writer_finish(rill__batch_writer *w, GError **error)
{
  g_return_val_if_fail(w != NULL, NULL);
  g_return_val_if_fail(error == NULL || *error == NULL, NULL);
  GBytes *out = NULL;

  reserve(w, 0); /* an empty batch still needs its header space */
  if (w->o.codec == RILL__CODEC_NONE) {
    if (w->len - RILL_BATCH_LOG_OVERHEAD > INT32_MAX)
      goto too_large;
    fill_header(w, w->buf, w->len);
    out = g_bytes_new_take(w->buf, w->len);
    w->buf = NULL; /* handed over; the next batch starts a fresh buffer */
    w->cap = 0;
    w->last_size = w->len;
  } else {
    GByteArray *z = g_byte_array_sized_new((guint)MIN(w->len / 2 + 1024, (size_t)G_MAXUINT));
    g_byte_array_set_size(z, RILL_BATCH_HEADER_SIZE);
    if (!rill__compress(w->o.codec, w->o.level, w->buf + RILL_BATCH_HEADER_SIZE,
                        w->len - RILL_BATCH_HEADER_SIZE, z, error)) {
      g_byte_array_unref(z);
      return NULL; /* the records stay; the caller may retry or reset */
    }
    if (z->len - RILL_BATCH_LOG_OVERHEAD > INT32_MAX) {
      g_byte_array_unref(z);
      goto too_large;
    }
    fill_header(w, z->data, z->len);
    out = g_byte_array_free_to_bytes(z);
  }
  w->len = RILL_BATCH_HEADER_SIZE;
  w->count = 0;
  return out;

too_large:
  g_set_error(error, RILL__BATCH_ERROR, RILL__BATCH_ERROR_BAD_LENGTH,
              "batch of %zu bytes exceeds the 2 GiB a batchLength can say", w->len);
  return NULL;
}
