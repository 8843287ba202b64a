/* writer.h — a growable buffer for encoding Kafka primitive types.
 *
 * Writes append big-endian values; the buffer grows as needed (g_realloc, so
 * allocation failure aborts as everywhere in GLib). The only failures are
 * values the wire cannot carry (a null where the version forbids one, a
 * string longer than 32767 bytes in classic form, ...): the first one is
 * recorded like a reader's; later writes still append, so an encoder can
 * write a run of fields and check once, then discard the output.
 *
 * Ownership: the writer owns `buf` until rill__wire_writer_steal().
 */
#pragma once

#include "runtime/wire/types.h"

typedef struct {
  uint8_t *buf;        /* owned */
  size_t len, cap;
  rill__wire_error err; /* first failure; err.reason == NULL while ok */
} rill__wire_writer;

void rill__wire_writer_init(rill__wire_writer *w);
void rill__wire_writer_clear(rill__wire_writer *w); /* frees buf */
/* Empties the buffer and forgets any failure, keeping the allocation. */
void rill__wire_writer_reset(rill__wire_writer *w);
/* Returns the buffer and its length and leaves @w empty. (transfer full): g_free() it. */
uint8_t *rill__wire_writer_steal(rill__wire_writer *w, size_t *len);

static inline bool rill__wire_writer_ok(const rill__wire_writer *w)
{
  return w->err.reason == NULL;
}
bool rill__wire_writer_fail(rill__wire_writer *w, const char *field, const char *reason);

/* Makes room for @n more bytes and returns where they go (len advances). */
uint8_t *rill__wire_writer_extend(rill__wire_writer *w, size_t n);

void rill__wire_write_raw(rill__wire_writer *w, const void *p, size_t n);
void rill__wire_write_i8(rill__wire_writer *w, int8_t v);
void rill__wire_write_i16(rill__wire_writer *w, int16_t v);
void rill__wire_write_i32(rill__wire_writer *w, int32_t v);
void rill__wire_write_i64(rill__wire_writer *w, int64_t v);
void rill__wire_write_u16(rill__wire_writer *w, uint16_t v);
void rill__wire_write_u32(rill__wire_writer *w, uint32_t v);
void rill__wire_write_f64(rill__wire_writer *w, double v);
void rill__wire_write_bool(rill__wire_writer *w, bool v);
void rill__wire_write_uuid(rill__wire_writer *w, const rill__wire_uuid *v);
void rill__wire_write_varint(rill__wire_writer *w, int32_t v);
void rill__wire_write_varlong(rill__wire_writer *w, int64_t v);
void rill__wire_write_uvarint(rill__wire_writer *w, uint32_t v);

/* Strings/bytes/array lengths in classic or compact form; a null (len -1)
 * where !@nullable fails with @field. */
bool rill__wire_write_string(rill__wire_writer *w, const char *field, bool compact, bool nullable, rill__wire_str s);
bool rill__wire_write_bytes(rill__wire_writer *w, const char *field, bool compact, bool nullable, rill__wire_bytes b);
bool rill__wire_write_array_len(rill__wire_writer *w, const char *field, bool compact, bool nullable, int32_t n);

/* Overwrites a big-endian int32 at @offset (e.g. a size prefix written as 0). */
void rill__wire_writer_patch_i32(rill__wire_writer *w, size_t offset, int32_t v);
