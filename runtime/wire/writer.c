/* writer.c — the growable primitive writer (contract in writer.h). */
#include "runtime/wire/writer.h"

#include <glib.h>

#include "runtime/wire/batch-header.h"
#include "runtime/wire/varint.h"

void rill__wire_writer_init(rill__wire_writer *w)
{
  *w = (rill__wire_writer){0};
}

void rill__wire_writer_clear(rill__wire_writer *w)
{
  g_free(w->buf);
  *w = (rill__wire_writer){0};
}

void rill__wire_writer_reset(rill__wire_writer *w)
{
  w->len = 0;
  w->err = (rill__wire_error){0};
}

uint8_t *rill__wire_writer_steal(rill__wire_writer *w, size_t *len)
{
  uint8_t *b = w->buf;
  *len = w->len;
  *w = (rill__wire_writer){0};
  return b;
}

bool rill__wire_writer_fail(rill__wire_writer *w, const char *field, const char *reason)
{
  if (w->err.reason == NULL)
    w->err = (rill__wire_error){field, reason, w->len};
  return false;
}

uint8_t *rill__wire_writer_extend(rill__wire_writer *w, size_t n)
{
  if (w->cap - w->len < n) {
    size_t cap = w->cap ? w->cap : 256;
    while (cap - w->len < n)
      cap *= 2;
    w->buf = g_realloc(w->buf, cap);
    w->cap = cap;
  }
  uint8_t *p = w->buf + w->len;
  w->len += n;
  return p;
}

void rill__wire_write_raw(rill__wire_writer *w, const void *p, size_t n)
{
  if (n)
    memcpy(rill__wire_writer_extend(w, n), p, n);
}

void rill__wire_write_i8(rill__wire_writer *w, int8_t v)
{
  *rill__wire_writer_extend(w, 1) = (uint8_t)v;
}
void rill__wire_write_bool(rill__wire_writer *w, bool v)
{
  *rill__wire_writer_extend(w, 1) = v ? 1 : 0;
}
void rill__wire_write_i16(rill__wire_writer *w, int16_t v)
{
  rill_put_be16(rill__wire_writer_extend(w, 2), (uint16_t)v);
}
void rill__wire_write_u16(rill__wire_writer *w, uint16_t v)
{
  rill_put_be16(rill__wire_writer_extend(w, 2), v);
}
void rill__wire_write_i32(rill__wire_writer *w, int32_t v)
{
  rill_put_be32(rill__wire_writer_extend(w, 4), (uint32_t)v);
}
void rill__wire_write_u32(rill__wire_writer *w, uint32_t v)
{
  rill_put_be32(rill__wire_writer_extend(w, 4), v);
}
void rill__wire_write_i64(rill__wire_writer *w, int64_t v)
{
  rill_put_be64(rill__wire_writer_extend(w, 8), (uint64_t)v);
}

void rill__wire_write_f64(rill__wire_writer *w, double v)
{
  uint64_t bits;
  memcpy(&bits, &v, sizeof bits);
  rill_put_be64(rill__wire_writer_extend(w, 8), bits);
}

void rill__wire_write_uuid(rill__wire_writer *w, const rill__wire_uuid *v)
{
  rill__wire_write_raw(w, v->b, 16);
}

void rill__wire_write_uvarint(rill__wire_writer *w, uint32_t v)
{
  uint8_t tmp[RILL_VARINT_MAX64];
  rill__wire_write_raw(w, tmp, rill_uvarint64_encode(tmp, v));
}

void rill__wire_write_varint(rill__wire_writer *w, int32_t v)
{
  uint8_t tmp[RILL_VARINT_MAX64];
  rill__wire_write_raw(w, tmp, rill_varint32_encode(tmp, v));
}

void rill__wire_write_varlong(rill__wire_writer *w, int64_t v)
{
  uint8_t tmp[RILL_VARINT_MAX64];
  rill__wire_write_raw(w, tmp, rill_varint64_encode(tmp, v));
}

/* Writes a length prefix (-1 = null) in the form the type and version use. */
static bool write_len(rill__wire_writer *w, const char *field, bool compact, bool wide, bool nullable, int32_t len)
{
  if (len < -1)
    return rill__wire_writer_fail(w, field, "negative length");
  if (len == -1 && !nullable)
    return rill__wire_writer_fail(w, field, "null in non-nullable field");
  if (compact)
    rill__wire_write_uvarint(w, (uint32_t)len + 1);
  else if (wide)
    rill__wire_write_i32(w, len);
  else if (len > INT16_MAX)
    return rill__wire_writer_fail(w, field, "string longer than 32767 bytes");
  else
    rill__wire_write_i16(w, (int16_t)len);
  return true;
}

bool rill__wire_write_string(rill__wire_writer *w, const char *field, bool compact, bool nullable, rill__wire_str s)
{
  if (!write_len(w, field, compact, false, nullable, s.len))
    return false;
  if (s.len > 0)
    rill__wire_write_raw(w, s.ptr, (size_t)s.len);
  return true;
}

bool rill__wire_write_bytes(rill__wire_writer *w, const char *field, bool compact, bool nullable, rill__wire_bytes b)
{
  if (!write_len(w, field, compact, true, nullable, b.len))
    return false;
  if (b.len > 0)
    rill__wire_write_raw(w, b.ptr, (size_t)b.len);
  return true;
}

bool rill__wire_write_array_len(rill__wire_writer *w, const char *field, bool compact, bool nullable, int32_t n)
{
  return write_len(w, field, compact, true, nullable, n);
}

void rill__wire_writer_patch_i32(rill__wire_writer *w, size_t offset, int32_t v)
{
  g_return_if_fail(offset + 4 <= w->len);
  rill_put_be32(w->buf + offset, (uint32_t)v);
}
