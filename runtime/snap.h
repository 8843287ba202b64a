/* snap.h — the little-endian encoding helpers every built-in snapshot
 * (operators, connectors, the checkpoint task files) uses: appenders onto a
 * GByteArray and a bounds-checked reader.
 *
 * Invariant of the reader: once a read runs past the end, `ok` stays FALSE
 * and every later read returns zeros / NULL, so a decoder reads everything
 * and checks `ok` once at the end (plus its own sanity checks).
 */
#pragma once

#include <glib.h>
#include <stdint.h>
#include <string.h>

static inline void rill__snap_u8(GByteArray *out, uint8_t v)
{
  g_byte_array_append(out, &v, 1);
}

static inline void rill__snap_u32(GByteArray *out, uint32_t v)
{
  uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
  g_byte_array_append(out, b, 4);
}

static inline void rill__snap_u64(GByteArray *out, uint64_t v)
{
  rill__snap_u32(out, (uint32_t)v);
  rill__snap_u32(out, (uint32_t)(v >> 32));
}

static inline void rill__snap_i64(GByteArray *out, int64_t v)
{
  rill__snap_u64(out, (uint64_t)v);
}

/* u32 length, then the bytes (NULL = empty). */
static inline void rill__snap_bytes(GByteArray *out, const void *data, size_t len)
{
  rill__snap_u32(out, (uint32_t)len);
  if (len)
    g_byte_array_append(out, data, (guint)len);
}

/* Reserves a u64 length slot; rill__snap_end_len fills it with the bytes
 * appended since. */
static inline guint rill__snap_begin_len(GByteArray *out)
{
  guint at = out->len;
  rill__snap_u64(out, 0);
  return at;
}

static inline void rill__snap_end_len(GByteArray *out, guint at)
{
  uint64_t n = out->len - at - 8;
  for (int i = 0; i < 8; i++)
    out->data[at + i] = (uint8_t)(n >> (8 * i));
}

typedef struct rill__snap_reader {
  const uint8_t *p, *end;
  gboolean ok;
} rill__snap_reader;

static inline rill__snap_reader rill__snap_reader_init(const uint8_t *data, size_t len)
{
  rill__snap_reader r = {data, data + len, TRUE};
  return r;
}

static inline const uint8_t *rill__snap_take(rill__snap_reader *r, size_t n)
{
  if (!r->ok || (size_t)(r->end - r->p) < n) {
    r->ok = FALSE;
    return NULL;
  }
  const uint8_t *at = r->p;
  r->p += n;
  return at;
}

static inline uint8_t rill__snap_get_u8(rill__snap_reader *r)
{
  const uint8_t *b = rill__snap_take(r, 1);
  return b ? b[0] : 0;
}

static inline uint32_t rill__snap_get_u32(rill__snap_reader *r)
{
  const uint8_t *b = rill__snap_take(r, 4);
  return b ? (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24 : 0;
}

static inline uint64_t rill__snap_get_u64(rill__snap_reader *r)
{
  uint64_t lo = rill__snap_get_u32(r);
  return lo | (uint64_t)rill__snap_get_u32(r) << 32;
}

static inline int64_t rill__snap_get_i64(rill__snap_reader *r)
{
  return (int64_t)rill__snap_get_u64(r);
}

/* A u32-length-prefixed byte string; (transfer none) into the input. */
static inline const uint8_t *rill__snap_get_bytes(rill__snap_reader *r, size_t *len)
{
  *len = rill__snap_get_u32(r);
  const uint8_t *b = rill__snap_take(r, *len);
  if (!b)
    *len = 0;
  return b;
}

static inline gboolean rill__snap_done(const rill__snap_reader *r)
{
  return r->ok && r->p == r->end;
}

/* ---- records (runtime/snap.c) --------------------------------------------
 * Optional bytes: u32 length, 0xffffffff = absent. A record: optional key,
 * optional value, i64 timestamp, i32 partition, i64 offset, optional topic,
 * u32 headers, per header: optional name, optional value. */
#include <rill/record.h>

void rill__snap_opt_bytes(GByteArray *out, rill_bytes b);
rill_bytes rill__snap_get_opt_bytes(rill__snap_reader *r);
void rill__snap_record(GByteArray *out, const rill_record *rec);
/* Reads a record viewing the input bytes; *@headers (g_free) holds its
 * header array and *@topic (g_free) its NUL-terminated topic. FALSE when
 * malformed (nothing to free then). */
gboolean rill__snap_get_record(rill__snap_reader *r, rill_record *rec, rill_header **headers, char **topic);
