/* json-scan.h — reading JSON values straight from the record's bytes,
 * without building a tree.
 *
 * A value is a span: its type and its bytes in the text (strings with their
 * quotes, containers with their brackets). rill__json_validate checks a
 * whole text once (RFC 8259: grammar, escapes, UTF-8, nesting depth); the
 * other functions then walk the same bytes on demand: a member of an
 * object, an element of an array, the decoded text of a string. They are
 * bounds-checked, so a text that did not validate yields ABSENT or stops
 * early but never reads outside [text, text + len).
 *
 * Duplicate member names: lookups find the first (documented in
 * docs/expressions.md). Nothing here allocates except string decoding with
 * escapes, which writes into the caller's scratch arena.
 */
#pragma once

#include <glib.h>

#include "operators/scratch.h"

typedef enum {
  RILL__JSON_ABSENT = 0, /* no such value (missing member, index past the end) */
  RILL__JSON_NULL,
  RILL__JSON_FALSE,
  RILL__JSON_TRUE,
  RILL__JSON_NUMBER,
  RILL__JSON_STRING,
  RILL__JSON_ARRAY,
  RILL__JSON_OBJECT,
} rill__json_type;

typedef struct {
  rill__json_type type;
  const char *text; /* first byte of the value (not refcounted: the caller's buffer) */
  gsize len;        /* bytes of the value */
} rill__json_span;

/* An object member: its key (a STRING span, quotes included) and value. */
typedef struct {
  rill__json_span key;
  rill__json_span value;
} rill__json_pair;

/* Deepest nesting rill__json_validate accepts. */
#define RILL__JSON_MAX_DEPTH 512

/* TRUE when @len bytes at @data are one JSON value, blanks around it
 * allowed. Otherwise FALSE, *@error_at the byte offset of the problem and
 * *@what a static description. */
gboolean rill__json_validate(const char *data, gsize len, gsize *error_at, const char **what);
/* The same, and when the value is an object, its first @max members go to
 * @pairs in order: *@n_pairs how many, *@all_pairs whether that was all of
 * them (an index for lookups of top-level names). */
gboolean rill__json_validate_index(const char *data, gsize len, rill__json_pair *pairs, guint max, guint *n_pairs,
                                   gboolean *all_pairs, gsize *error_at, const char **what);
/* The value that starts at the first non-blank byte of [@p, @end): fills
 * @out and returns the byte after it, or NULL (and ABSENT) when there is
 * none. */
const char *rill__json_value(const char *p, const char *end, rill__json_span *out);
/* The member @key (@key_len bytes, plain text) of @obj; ABSENT when @obj is
 * not an object or has no such member. */
gboolean rill__json_member(const rill__json_span *obj, const char *key, gsize key_len, rill__json_span *out);
/* Element @index of @arr; ABSENT when @arr is not an array or is shorter. */
gboolean rill__json_element(const rill__json_span *arr, gsize index, rill__json_span *out);

/* Iterating over a container's members or elements. */
typedef struct {
  const char *p;   /* next byte to read */
  const char *end; /* the container's closing bracket */
} rill__json_iter;
void rill__json_iter_init(rill__json_iter *it, const rill__json_span *container);
/* The next object member (its key as a STRING span) / array element. */
gboolean rill__json_iter_member(rill__json_iter *it, rill__json_span *key, rill__json_span *value);
gboolean rill__json_iter_element(rill__json_iter *it, rill__json_span *value);

/* The text of STRING @s, escapes decoded: a pointer into the span when it
 * has none, else a copy in @scratch. Not NUL-terminated unless @nul. */
const char *rill__json_string(const rill__json_span *s, rill__scratch *scratch, gboolean nul, gsize *len);
/* Appends @v to @out without the blanks between tokens. */
void rill__json_append_compact(GString *out, const rill__json_span *v);
