/* reader.h — bounds-checked reading of Kafka primitive types from a slice.
 *
 * A reader walks [base, end). Every read checks the remaining length first;
 * the first failure is recorded (field name, offset, reason) and makes every
 * later read fail too, so decoders can read a run of fields and check once
 * (`if (!rill__wire_reader_ok(r)) goto err_parse;`). Reads never go past
 * `end` and never allocate; strings and bytes come back as slices of the
 * input (see types.h).
 *
 * "compact" forms (KIP-482, flexible versions) encode lengths as an unsigned
 * varint of length+1, with 0 meaning null.
 */
#pragma once

#include "runtime/wire/types.h"

typedef struct {
  const uint8_t *base; /* start of the buffer (offsets are reported from here) */
  const uint8_t *p;    /* next byte to read */
  const uint8_t *end;  /* one past the last readable byte */
  rill__wire_error err; /* first failure; err.reason == NULL while ok */
} rill__wire_reader;

static inline void rill__wire_reader_init(rill__wire_reader *r, const void *buf, size_t len)
{
  static const uint8_t empty[1];
  r->base = buf ? (const uint8_t *)buf : empty; /* NULL + 0 is UB in C */
  r->p = r->base;
  r->end = r->base + len;
  r->err = (rill__wire_error){NULL, NULL, 0};
}

static inline bool rill__wire_reader_ok(const rill__wire_reader *r)
{
  return r->err.reason == NULL;
}
static inline size_t rill__wire_reader_remaining(const rill__wire_reader *r)
{
  return (size_t)(r->end - r->p);
}
static inline size_t rill__wire_reader_offset(const rill__wire_reader *r)
{
  return (size_t)(r->p - r->base);
}

/* Records the first failure at the current offset; returns false. */
bool rill__wire_reader_fail(rill__wire_reader *r, const char *field, const char *reason);

bool rill__wire_read_i8(rill__wire_reader *r, const char *field, int8_t *out);
bool rill__wire_read_i16(rill__wire_reader *r, const char *field, int16_t *out);
bool rill__wire_read_i32(rill__wire_reader *r, const char *field, int32_t *out);
bool rill__wire_read_i64(rill__wire_reader *r, const char *field, int64_t *out);
bool rill__wire_read_u16(rill__wire_reader *r, const char *field, uint16_t *out);
bool rill__wire_read_u32(rill__wire_reader *r, const char *field, uint32_t *out);
bool rill__wire_read_f64(rill__wire_reader *r, const char *field, double *out);
/* Any non-zero byte is true, as in Kafka's Java reader. */
bool rill__wire_read_bool(rill__wire_reader *r, const char *field, bool *out);
bool rill__wire_read_uuid(rill__wire_reader *r, const char *field, rill__wire_uuid *out);
bool rill__wire_read_varint(rill__wire_reader *r, const char *field, int32_t *out);
bool rill__wire_read_varlong(rill__wire_reader *r, const char *field, int64_t *out);
bool rill__wire_read_uvarint(rill__wire_reader *r, const char *field, uint32_t *out);

/* Strings/bytes: @compact selects the KIP-482 form, @nullable whether a null
 * is allowed (a null where none is allowed is an error, as in Kafka). */
bool rill__wire_read_string(rill__wire_reader *r, const char *field, bool compact, bool nullable, rill__wire_str *out);
bool rill__wire_read_bytes(rill__wire_reader *r, const char *field, bool compact, bool nullable, rill__wire_bytes *out);
/* An array length: -1 for null (only when @nullable). The count is checked
 * against the bytes left, given each element takes at least @min_elem bytes. */
bool rill__wire_read_array_len(rill__wire_reader *r, const char *field, bool compact, bool nullable, size_t min_elem,
                               int32_t *out);
/* Takes @len raw bytes as a slice of the input. */
bool rill__wire_read_raw(rill__wire_reader *r, const char *field, size_t len, const uint8_t **out);
