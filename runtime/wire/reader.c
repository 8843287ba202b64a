/* reader.c — the bounds-checked primitive reader (contract in reader.h). */
#include "runtime/wire/reader.h"

#include "runtime/wire/batch-header.h"
#include "runtime/wire/varint.h"

bool rill__wire_reader_fail(rill__wire_reader *r, const char *field, const char *reason)
{
  if (r->err.reason == NULL)
    r->err = (rill__wire_error){field, reason, rill__wire_reader_offset(r)};
  return false;
}

/* Checks that @n bytes remain (and that no earlier read failed). */
static inline bool need(rill__wire_reader *r, const char *field, size_t n)
{
  if (!rill__wire_reader_ok(r))
    return false;
  if (rill__wire_reader_remaining(r) < n)
    return rill__wire_reader_fail(r, field, "truncated");
  return true;
}

bool rill__wire_read_i8(rill__wire_reader *r, const char *field, int8_t *out)
{
  if (!need(r, field, 1))
    return false;
  *out = (int8_t)*r->p++;
  return true;
}

bool rill__wire_read_i16(rill__wire_reader *r, const char *field, int16_t *out)
{
  if (!need(r, field, 2))
    return false;
  *out = (int16_t)rill__be16(r->p);
  r->p += 2;
  return true;
}

bool rill__wire_read_u16(rill__wire_reader *r, const char *field, uint16_t *out)
{
  if (!need(r, field, 2))
    return false;
  *out = rill__be16(r->p);
  r->p += 2;
  return true;
}

bool rill__wire_read_i32(rill__wire_reader *r, const char *field, int32_t *out)
{
  if (!need(r, field, 4))
    return false;
  *out = (int32_t)rill__be32(r->p);
  r->p += 4;
  return true;
}

bool rill__wire_read_u32(rill__wire_reader *r, const char *field, uint32_t *out)
{
  if (!need(r, field, 4))
    return false;
  *out = rill__be32(r->p);
  r->p += 4;
  return true;
}

bool rill__wire_read_i64(rill__wire_reader *r, const char *field, int64_t *out)
{
  if (!need(r, field, 8))
    return false;
  *out = (int64_t)rill__be64(r->p);
  r->p += 8;
  return true;
}

bool rill__wire_read_f64(rill__wire_reader *r, const char *field, double *out)
{
  if (!need(r, field, 8))
    return false;
  uint64_t bits = rill__be64(r->p);
  memcpy(out, &bits, sizeof *out);
  r->p += 8;
  return true;
}

bool rill__wire_read_bool(rill__wire_reader *r, const char *field, bool *out)
{
  if (!need(r, field, 1))
    return false;
  *out = *r->p++ != 0;
  return true;
}

bool rill__wire_read_uuid(rill__wire_reader *r, const char *field, rill__wire_uuid *out)
{
  if (!need(r, field, 16))
    return false;
  memcpy(out->b, r->p, 16);
  r->p += 16;
  return true;
}

bool rill__wire_read_uvarint(rill__wire_reader *r, const char *field, uint32_t *out)
{
  if (!need(r, field, 0))
    return false;
  size_t n = rill_uvarint32_decode(r->p, r->end, out);
  if (n == 0)
    return rill__wire_reader_fail(r, field, "bad or truncated varint");
  r->p += n;
  return true;
}

bool rill__wire_read_varint(rill__wire_reader *r, const char *field, int32_t *out)
{
  if (!need(r, field, 0))
    return false;
  size_t n = rill_varint32_decode(r->p, r->end, out);
  if (n == 0)
    return rill__wire_reader_fail(r, field, "bad or truncated varint");
  r->p += n;
  return true;
}

bool rill__wire_read_varlong(rill__wire_reader *r, const char *field, int64_t *out)
{
  if (!need(r, field, 0))
    return false;
  size_t n = rill_varint64_decode(r->p, r->end, out);
  if (n == 0)
    return rill__wire_reader_fail(r, field, "bad or truncated varlong");
  r->p += n;
  return true;
}

/* Reads a length prefix: returns -1 for null, else the length. Classic
 * strings use int16, classic bytes and arrays int32; compact forms use an
 * unsigned varint of length + 1. */
static bool read_len(rill__wire_reader *r, const char *field, bool compact, bool wide, bool nullable, int32_t *out)
{
  int32_t len;
  if (compact) {
    uint32_t u;
    if (!rill__wire_read_uvarint(r, field, &u))
      return false;
    if (u > (uint32_t)INT32_MAX)
      return rill__wire_reader_fail(r, field, "length out of range");
    len = (int32_t)u - 1;
  } else if (wide) {
    if (!rill__wire_read_i32(r, field, &len))
      return false;
  } else {
    int16_t l16;
    if (!rill__wire_read_i16(r, field, &l16))
      return false;
    len = l16;
  }
  if (len < -1)
    return rill__wire_reader_fail(r, field, "negative length");
  if (len == -1 && !nullable)
    return rill__wire_reader_fail(r, field, "null in non-nullable field");
  *out = len;
  return true;
}

bool rill__wire_read_string(rill__wire_reader *r, const char *field, bool compact, bool nullable, rill__wire_str *out)
{
  int32_t len = 0;
  if (!read_len(r, field, compact, false, nullable, &len))
    return false;
  if (len < 0) {
    *out = RILL_WIRE_STR_NULL;
    return true;
  }
  if (!need(r, field, (size_t)len))
    return false;
  *out = (rill__wire_str){(const char *)r->p, len};
  r->p += len;
  return true;
}

bool rill__wire_read_bytes(rill__wire_reader *r, const char *field, bool compact, bool nullable, rill__wire_bytes *out)
{
  int32_t len = 0;
  if (!read_len(r, field, compact, true, nullable, &len))
    return false;
  if (len < 0) {
    *out = RILL_WIRE_BYTES_NULL;
    return true;
  }
  if (!need(r, field, (size_t)len))
    return false;
  *out = (rill__wire_bytes){r->p, len};
  r->p += len;
  return true;
}

bool rill__wire_read_array_len(rill__wire_reader *r, const char *field, bool compact, bool nullable, size_t min_elem,
                               int32_t *out)
{
  int32_t n = 0;
  if (!read_len(r, field, compact, true, nullable, &n))
    return false;
  if (n > 0 && min_elem > 0 && (size_t)n > rill__wire_reader_remaining(r) / min_elem)
    return rill__wire_reader_fail(r, field, "array count exceeds remaining bytes");
  *out = n;
  return true;
}

bool rill__wire_read_raw(rill__wire_reader *r, const char *field, size_t len, const uint8_t **out)
{
  if (!need(r, field, len))
    return false;
  *out = r->p;
  r->p += len;
  return true;
}
