/* writer.c — the growable primitive writer (contract in writer.h). */
#include "runtime/wire/writer.h"

#include <glib.h>

#include "runtime/wire/batch_header.h"
#include "runtime/wire/varint.h"

void rill_wire_writer_init(rill_wire_writer *w)
{
  *w = (rill_wire_writer){0};
}

void rill_wire_writer_clear(rill_wire_writer *w)
{
  g_free(w->buf);
  *w = (rill_wire_writer){0};
}

void rill_wire_writer_reset(rill_wire_writer *w)
{
  w->len = 0;
  w->err = (rill_wire_error){0};
}

uint8_t *rill_wire_writer_steal(rill_wire_writer *w, size_t *len)
{
  uint8_t *b = w->buf;
  *len = w->len;
  *w = (rill_wire_writer){0};
  return b;
}

bool rill_wire_writer_fail(rill_wire_writer *w, const char *field, const char *reason)
{
  if (w->err.reason == NULL)
    w->err = (rill_wire_error){field, reason, w->len};
  return false;
}

uint8_t *rill_wire_writer_extend(rill_wire_writer *w, size_t n)
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

void rill_wire_write_raw(rill_wire_writer *w, const void *p, size_t n)
{
  if (n)
    memcpy(rill_wire_writer_extend(w, n), p, n);
}

void rill_wire_write_i8(rill_wire_writer *w, int8_t v) { *rill_wire_writer_extend(w, 1) = (uint8_t)v; }
void rill_wire_write_bool(rill_wire_writer *w, bool v) { *rill_wire_writer_extend(w, 1) = v ? 1 : 0; }
void rill_wire_write_i16(rill_wire_writer *w, int16_t v) { rill_put_be16(rill_wire_writer_extend(w, 2), (uint16_t)v); }
void rill_wire_write_u16(rill_wire_writer *w, uint16_t v) { rill_put_be16(rill_wire_writer_extend(w, 2), v); }
void rill_wire_write_i32(rill_wire_writer *w, int32_t v) { rill_put_be32(rill_wire_writer_extend(w, 4), (uint32_t)v); }
void rill_wire_write_u32(rill_wire_writer *w, uint32_t v) { rill_put_be32(rill_wire_writer_extend(w, 4), v); }
void rill_wire_write_i64(rill_wire_writer *w, int64_t v) { rill_put_be64(rill_wire_writer_extend(w, 8), (uint64_t)v); }

void rill_wire_write_f64(rill_wire_writer *w, double v)
{
  uint64_t bits;
  memcpy(&bits, &v, sizeof bits);
  rill_put_be64(rill_wire_writer_extend(w, 8), bits);
}

void rill_wire_write_uuid(rill_wire_writer *w, const rill_wire_uuid *v) { rill_wire_write_raw(w, v->b, 16); }

void rill_wire_write_uvarint(rill_wire_writer *w, uint32_t v)
{
  uint8_t tmp[RILL_VARINT_MAX64];
  rill_wire_write_raw(w, tmp, rill_uvarint64_encode(tmp, v));
}

void rill_wire_write_varint(rill_wire_writer *w, int32_t v)
{
  uint8_t tmp[RILL_VARINT_MAX64];
  rill_wire_write_raw(w, tmp, rill_varint32_encode(tmp, v));
}

void rill_wire_write_varlong(rill_wire_writer *w, int64_t v)
{
  uint8_t tmp[RILL_VARINT_MAX64];
  rill_wire_write_raw(w, tmp, rill_varint64_encode(tmp, v));
}

/* Writes a length prefix (-1 = null) in the form the type and version use. */
static bool write_len(rill_wire_writer *w, const char *field, bool compact, bool wide, bool nullable,
                      int32_t len)
{
  if (len < -1)
    return rill_wire_writer_fail(w, field, "negative length");
  if (len == -1 && !nullable)
    return rill_wire_writer_fail(w, field, "null in non-nullable field");
  if (compact)
    rill_wire_write_uvarint(w, (uint32_t)len + 1);
  else if (wide)
    rill_wire_write_i32(w, len);
  else if (len > INT16_MAX)
    return rill_wire_writer_fail(w, field, "string longer than 32767 bytes");
  else
    rill_wire_write_i16(w, (int16_t)len);
  return true;
}

bool rill_wire_write_string(rill_wire_writer *w, const char *field, bool compact, bool nullable,
                            rill_wire_str s)
{
  if (!write_len(w, field, compact, false, nullable, s.len))
    return false;
  if (s.len > 0)
    rill_wire_write_raw(w, s.ptr, (size_t)s.len);
  return true;
}

bool rill_wire_write_bytes(rill_wire_writer *w, const char *field, bool compact, bool nullable,
                           rill_wire_bytes b)
{
  if (!write_len(w, field, compact, true, nullable, b.len))
    return false;
  if (b.len > 0)
    rill_wire_write_raw(w, b.ptr, (size_t)b.len);
  return true;
}

bool rill_wire_write_array_len(rill_wire_writer *w, const char *field, bool compact, bool nullable,
                               int32_t n)
{
  return write_len(w, field, compact, true, nullable, n);
}

void rill_wire_writer_patch_i32(rill_wire_writer *w, size_t offset, int32_t v)
{
  g_return_if_fail(offset + 4 <= w->len);
  rill_put_be32(w->buf + offset, (uint32_t)v);
}
