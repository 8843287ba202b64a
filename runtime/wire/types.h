/* types.h — value types shared by the wire reader, writer and messages.
 *
 * Strings and byte fields are slices: `ptr` points into the decoded input
 * (or, when encoding, into memory the caller owns) and is NOT NUL-terminated.
 * A length of -1 means null; a null slice has ptr == NULL. Kafka strings are
 * at most 32767 bytes (int16 length) in classic form; bytes at most INT32_MAX.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct {
  const char *ptr; /* not NUL-terminated; (transfer none) */
  int32_t len;     /* -1 = null */
} rill__wire_str;

typedef struct {
  const uint8_t *ptr; /* (transfer none) */
  int32_t len;        /* -1 = null */
} rill__wire_bytes;

typedef struct {
  uint8_t b[16];
} rill__wire_uuid;

#define RILL_WIRE_STR_NULL ((rill__wire_str){NULL, -1})
#define RILL_WIRE_BYTES_NULL ((rill__wire_bytes){NULL, -1})

/* A slice over the NUL-terminated @s, or the null string when @s is NULL. */
static inline rill__wire_str rill__wire_str_from(const char *s)
{
  return s ? (rill__wire_str){s, (int32_t)strlen(s)} : RILL_WIRE_STR_NULL;
}

/* True when @s is non-null and holds exactly the NUL-terminated @c. */
static inline bool rill__wire_str_eq(rill__wire_str s, const char *c)
{
  if (s.len < 0 || !c)
    return s.len < 0 && !c;
  size_t n = strlen(c);
  return (size_t)s.len == n && memcmp(s.ptr, c, n) == 0;
}

static inline rill__wire_bytes rill__wire_bytes_from(const void *p, size_t len)
{
  return (rill__wire_bytes){(const uint8_t *)p, (int32_t)len};
}

/* Where and why a decode or encode failed. Strings are static. */
typedef struct {
  const char *field;  /* "Struct.Field" in Kafka's spelling, or a primitive's name */
  const char *reason; /* short text: "truncated", "null in non-nullable field", ... */
  size_t offset;      /* byte offset from the start of the buffer */
} rill__wire_error;
