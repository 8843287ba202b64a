/* recordbatch-reader.c — iterates the records of a RecordBatch v2 (API and
 * ownership in recordbatch.h).
 *
 *   record := length:varint attributes:i8 timestampDelta:varlong offsetDelta:varint
 *             keyLength:varint key valueLength:varint value
 *             headerCount:varint { keyLength:varint key valueLength:varint value }*
 *
 * Invariants: every read is checked against the end of the current record
 * (itself checked against the end of the records block), so a malformed
 * batch is reported — field and byte offset — and never read past. A record
 * must end exactly where its length says; the records must end exactly where
 * the batch does and number exactly recordsCount.
 */
#include "runtime/wire/recordbatch.h"

#include <string.h>

#include "runtime/wire/varint.h"

G_DEFINE_QUARK(rill-batch-error-quark, rill__batch_error)

void rill__batch_reader_init(rill__batch_reader *r)
{
  g_return_if_fail(r != NULL);
  memset(r, 0, sizeof *r);
}

void rill__batch_reader_clear(rill__batch_reader *r)
{
  g_return_if_fail(r != NULL);
  if (r->buf)
    g_byte_array_unref(r->buf);
  memset(r, 0, sizeof *r);
}

static bool header_error(rill__batch_status st, const uint8_t *bytes, size_t len, GError **error)
{
  switch (st) {
  case RILL_BATCH_TRUNCATED:
    if (len < RILL_BATCH_HEADER_SIZE)
      g_set_error(error, RILL__BATCH_ERROR, RILL__BATCH_ERROR_TRUNCATED,
                  "batch truncated: %zu bytes, the header alone takes %d", len, RILL_BATCH_HEADER_SIZE);
    else
      g_set_error(error, RILL__BATCH_ERROR, RILL__BATCH_ERROR_TRUNCATED,
                  "batch truncated: batchLength at byte 8 says %" G_GINT64_FORMAT
                  " bytes in all, %zu available",
                  rill_batch_total_size(bytes, len), len);
    break;
  case RILL_BATCH_BAD_LENGTH:
    g_set_error(error, RILL__BATCH_ERROR, RILL__BATCH_ERROR_BAD_LENGTH,
                "invalid batchLength %d at byte 8 (at least %d)", (int32_t)rill__be32(bytes + 8),
                RILL_BATCH_HEADER_SIZE - RILL_BATCH_LOG_OVERHEAD);
    break;
  case RILL_BATCH_BAD_MAGIC:
    g_set_error(error, RILL__BATCH_ERROR, RILL__BATCH_ERROR_UNSUPPORTED_MAGIC,
                "unsupported magic %d at byte 16: only RecordBatch v2 is accepted", (int8_t)bytes[16]);
    break;
  case RILL_BATCH_BAD_CRC:
    g_set_error(error, RILL__BATCH_ERROR, RILL__BATCH_ERROR_BAD_CRC,
                "CRC-32C mismatch: stored %08x at byte 17, computed over bytes 21..%" G_GINT64_FORMAT " differs",
                rill__be32(bytes + 17), rill_batch_total_size(bytes, len));
    break;
  case RILL_BATCH_OK:
    break;
  }
  return false;
}

bool rill__batch_reader_open(rill__batch_reader *r, const uint8_t *bytes, size_t len,
                             unsigned flags, size_t max_decompressed, GError **error)
{
  g_return_val_if_fail(r != NULL, false);
  g_return_val_if_fail(bytes != NULL || len == 0, false);
  g_return_val_if_fail(error == NULL || *error == NULL, false);

  GByteArray *buf = r->buf;
  memset(r, 0, sizeof *r);
  r->buf = buf;

  /* Magic first: a MessageSet v0/v1 entry has its magic at the same byte 16,
   * and should be named as such rather than as a bad length. */
  if (len > RILL_BATCH_OFF_MAGIC && (int8_t)bytes[RILL_BATCH_OFF_MAGIC] != 2)
    return header_error(RILL_BATCH_BAD_MAGIC, bytes, len, error);
  rill__batch_status st = rill__batch_header_parse(bytes, len, (flags & RILL__BATCH_VERIFY_CRC) != 0, &r->header);
  if (st == RILL_BATCH_OK && len < RILL_BATCH_HEADER_SIZE)
    st = RILL_BATCH_TRUNCATED;
  if (st != RILL_BATCH_OK)
    return header_error(st, bytes, len, error);

  int attrs = r->header.attributes;
  r->codec = (rill__codec)(attrs & RILL_BATCH_ATTR_CODEC_MASK);
  r->log_append_time = (attrs & RILL_BATCH_ATTR_LOG_APPEND_TIME) != 0;
  r->transactional = (attrs & RILL_BATCH_ATTR_TRANSACTIONAL) != 0;
  r->control = (attrs & RILL_BATCH_ATTR_CONTROL) != 0;
  r->batch = bytes;
  r->batch_size = (size_t)r->header.batch_length + RILL_BATCH_LOG_OVERHEAD;

  if (r->header.records_count < 0) {
    g_set_error(error, RILL__BATCH_ERROR, RILL__BATCH_ERROR_COUNT_MISMATCH,
                "negative recordsCount %d at byte 57", r->header.records_count);
    return false;
  }
  if (r->codec > RILL__CODEC_ZSTD) {
    g_set_error(error, RILL__BATCH_ERROR, RILL__BATCH_ERROR_UNSUPPORTED_CODEC,
                "unsupported compression codec %d in attributes at byte 21", (int)r->codec);
    return false;
  }

  const uint8_t *block = bytes + RILL_BATCH_HEADER_SIZE;
  size_t block_len = r->batch_size - RILL_BATCH_HEADER_SIZE;
  if (r->codec == RILL__CODEC_NONE) {
    r->records = block;
    r->end = block + block_len;
  } else {
    GError *cerr = NULL;
    if (!r->buf)
      r->buf = g_byte_array_new();
    g_byte_array_set_size(r->buf, 0);
    if (!rill__decompress(r->codec, block, block_len, max_decompressed, r->buf, &cerr)) {
      g_set_error(error, RILL__BATCH_ERROR,
                  g_error_matches(cerr, RILL__COMPRESS_ERROR, RILL__COMPRESS_ERROR_TOO_LARGE)
                      ? RILL__BATCH_ERROR_TOO_LARGE : RILL__BATCH_ERROR_DECOMPRESS,
                  "records block at byte 61: %s", cerr->message);
      g_error_free(cerr);
      return false;
    }
    static const uint8_t nothing[1]; /* an empty GByteArray has no data pointer */
    r->inflated = true;
    r->records = r->buf->len ? r->buf->data : nothing;
    r->end = r->records + r->buf->len;
  }
  r->pos = r->records;
  return true;
}

/* Offset of @p for messages: from the batch start, or within the inflated block. */
static size_t where(const rill__batch_reader *r, const uint8_t *p)
{
  return r->inflated ? (size_t)(p - r->records) : (size_t)(p - r->batch);
}

static int record_error(rill__batch_reader *r, const uint8_t *at, const char *what, GError **error)
{
  g_set_error(error, RILL__BATCH_ERROR, RILL__BATCH_ERROR_BAD_RECORD,
              "record %d: %s at byte %zu%s", r->index, what, where(r, at),
              r->inflated ? " of the decompressed records" : "");
  r->pos = r->end; /* stop: a later next() reports the end, never reads on */
  r->index = r->header.records_count;
  return -1;
}

/* Reads a varint into @dst from [p, lim) or fails the record with @what. */
#define READ_VARINT(kind, dst, what)                                                         \
  do {                                                                                       \
    size_t n_ = rill_##kind##_decode(p, lim, &(dst));                                        \
    if (n_ == 0)                                                                             \
      return record_error(r, p, what, error);                                                \
    p += n_;                                                                                 \
  } while (0)

/* Reads a length (-1 allowed when @nullable) and skips that many bytes. */
#define READ_BYTES(ptr, len, nullable, what)                                                 \
  do {                                                                                       \
    const uint8_t *field_ = p;                                                               \
    READ_VARINT(varint32, len, what " length");                                              \
    if ((len) < 0) {                                                                         \
      if ((len) != -1 || !(nullable))                                                        \
        return record_error(r, field_, "invalid " what " length", error);                    \
      (ptr) = NULL;                                                                          \
    } else {                                                                                 \
      if ((size_t)(lim - p) < (size_t)(len))                                                 \
        return record_error(r, p, what " runs past the record", error);                      \
      (ptr) = p;                                                                             \
      p += (len);                                                                            \
    }                                                                                        \
  } while (0)

int rill__batch_reader_next(rill__batch_reader *r, rill__record *rec, GError **error)
{
  g_return_val_if_fail(r != NULL && rec != NULL, -1);
  const uint8_t *p = r->pos, *lim = r->end;

  if (r->index >= r->header.records_count) {
    if (p != lim) {
      g_set_error(error, RILL__BATCH_ERROR, RILL__BATCH_ERROR_COUNT_MISMATCH,
                  "%zu bytes after the last of %d records, at byte %zu%s", (size_t)(lim - p),
                  r->header.records_count, where(r, p), r->inflated ? " of the decompressed records" : "");
      r->pos = lim;
      return -1;
    }
    return 0;
  }
  if (p == lim) {
    g_set_error(error, RILL__BATCH_ERROR, RILL__BATCH_ERROR_COUNT_MISMATCH,
                "recordsCount says %d records, the batch holds %d", r->header.records_count, r->index);
    r->index = r->header.records_count;
    return -1;
  }

  int32_t len;
  const uint8_t *rec_start = p;
  READ_VARINT(varint32, len, "record length");
  if (len < 0 || (size_t)(lim - p) < (size_t)len)
    return record_error(r, rec_start, len < 0 ? "negative record length" : "record runs past the batch",
                        error);
  lim = p + len;
  const uint8_t *rec_end = lim;

  if (p == lim)
    return record_error(r, p, "attributes missing", error);
  rec->attributes = (int8_t)*p++;
  READ_VARINT(varint64, rec->timestamp_delta, "timestampDelta");
  READ_VARINT(varint32, rec->offset_delta, "offsetDelta");
  READ_BYTES(rec->key, rec->key_len, true, "key");
  READ_BYTES(rec->value, rec->value_len, true, "value");
  READ_VARINT(varint32, rec->header_count, "header count");
  if (rec->header_count < 0)
    return record_error(r, p, "negative header count", error);
  rec->headers = p;
  for (int32_t i = 0; i < rec->header_count; i++) {
    const uint8_t *hk, *hv;
    int32_t hkl, hvl;
    READ_BYTES(hk, hkl, false, "header key");
    READ_BYTES(hv, hvl, true, "header value");
    (void)hk, (void)hv;
  }
  rec->headers_end = p;
  if (p != rec_end)
    return record_error(r, p, "bytes left over inside the record", error);

  /* Unsigned adds: a hostile delta wraps instead of being undefined. */
  rec->offset = (int64_t)((uint64_t)r->header.base_offset + (uint64_t)(int64_t)rec->offset_delta);
  rec->timestamp = r->log_append_time
                       ? r->header.max_timestamp
                       : (int64_t)((uint64_t)r->header.base_timestamp + (uint64_t)rec->timestamp_delta);
  rec->control = r->control;
  r->pos = rec_end;
  r->index++;
  return 1;
}

bool rill__record_header_iter_next(rill__record_header_iter *it, rill__record_header *h)
{
  g_return_val_if_fail(it != NULL && h != NULL, false);
  if (it->left <= 0)
    return false;
  /* Validated by next(); the checks below only keep a misuse from reading far. */
  const uint8_t *p = it->pos;
  size_t n = rill_varint32_decode(p, it->end, &h->key_len);
  if (n == 0 || h->key_len < 0 || (size_t)(it->end - p - n) < (size_t)h->key_len)
    goto bad;
  h->key = p + n;
  p += n + (size_t)h->key_len;
  n = rill_varint32_decode(p, it->end, &h->value_len);
  if (n == 0 || h->value_len < -1 || (h->value_len > 0 && (size_t)(it->end - p - n) < (size_t)h->value_len))
    goto bad;
  h->value = h->value_len < 0 ? NULL : p + n;
  p += n + (h->value_len < 0 ? 0 : (size_t)h->value_len);
  it->pos = p;
  it->left--;
  return true;
bad:
  it->left = 0;
  return false;
}

bool rill__control_record_parse(const rill__record *rec, int16_t *version, int16_t *type)
{
  g_return_val_if_fail(rec != NULL, false);
  if (!rec->control || rec->key == NULL || rec->key_len < 4)
    return false;
  if (version)
    *version = (int16_t)rill__be16(rec->key);
  if (type)
    *type = (int16_t)rill__be16(rec->key + 2);
  return true;
}

void rill__record_view(const rill__record *rec, GArray *headers, rill_record *out)
{
  g_array_set_size(headers, 0);
  rill__record_header_iter it;
  rill__record_header h;
  rill__record_header_iter_init(&it, rec);
  while (rill__record_header_iter_next(&it, &h)) {
    rill_header rh = {rill_bytes_make(h.key, (size_t)h.key_len),
                      h.value ? rill_bytes_make(h.value, (size_t)h.value_len) : (rill_bytes){NULL, 0}};
    g_array_append_val(headers, rh);
  }
  *out = (rill_record)RILL_RECORD_INIT;
  out->key = rec->key ? rill_bytes_make(rec->key, (size_t)rec->key_len) : (rill_bytes){NULL, 0};
  out->value = rec->value ? rill_bytes_make(rec->value, (size_t)rec->value_len) : (rill_bytes){NULL, 0};
  out->timestamp = rec->timestamp;
  out->offset = rec->offset;
  out->headers = (const rill_header *)(void *)headers->data;
  out->n_headers = headers->len;
}
