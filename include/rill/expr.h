/* expr.h — rill's expression language: compile a text such as
 *   status >= 500 and lower(method) == "post"
 * once, then evaluate it against each parsed record (rill_fields, JSON or
 * CSV) or a JSON text. The grammar, the null rules and every function are
 * in docs/expressions.md.
 *
 * Evaluation never fails: a missing field is null, and an operation on
 * values of the wrong type (a number plus a string, lower(42), a string
 * that is not a number given to to_number) gives null. Only compilation
 * reports errors (GError RILL_EXPR_ERROR, message with the column and the
 * text with a caret under the spot).
 *
 * Ownership and threads: a compiled rill_expr is immutable and may be
 * shared by every task; each task evaluates with its own rill_expr_scratch
 * (results of string functions live there). Evaluation allocates nothing
 * in the common case (field reads, comparisons, arithmetic, string tests);
 * string-building functions write into the scratch arena, which is reused
 * after rill_expr_scratch_reset.
 */
#pragma once

#include <rill/export.h>

#include <rill/fields.h>

G_BEGIN_DECLS

#define RILL_EXPR_ERROR (rill_expr_error_quark())
RILL_API GQuark rill_expr_error_quark(void);

typedef enum {
  RILL_EXPR_ERROR_SYNTAX,    /* the text does not follow the grammar */
  RILL_EXPR_ERROR_FUNCTION,  /* unknown function or wrong number of arguments */
  RILL_EXPR_ERROR_REGEX,     /* a regex argument that is not a literal, or does not compile */
} rill_expr_error;

typedef enum {
  RILL_EXPR_NULL,
  RILL_EXPR_BOOL,
  RILL_EXPR_NUMBER,
  RILL_EXPR_STRING,
  RILL_EXPR_ARRAY,
  RILL_EXPR_OBJECT,
} rill_expr_type;

/* A result. STRING: @text/@len are its bytes (not NUL-terminated);
 * ARRAY/OBJECT: its JSON text; NUMBER: @number, and @text the number's
 * JSON text when it was read from the record as is (else NULL). Pointers
 * are (transfer none), valid until the scratch is reset or the record is
 * parsed again. */
typedef struct {
  rill_expr_type type;
  gboolean boolean;
  double number;
  const char *text;
  gsize len;
} rill_expr_value;

typedef struct rill_expr rill_expr;
typedef struct rill_expr_scratch rill_expr_scratch;

/* Compiles @text. NULL with @error on a syntax error, an unknown function,
 * a wrong argument count or a bad regex. (transfer full) */
RILL_API rill_expr *rill_expr_compile(const char *text, GError **error);
RILL_API void rill_expr_free(rill_expr *expr);
/* The text it was compiled from. (transfer none) */
RILL_API const char *rill_expr_text(const rill_expr *expr);

/* (transfer full) one per task. */
RILL_API rill_expr_scratch *rill_expr_scratch_new(void);
RILL_API void rill_expr_scratch_free(rill_expr_scratch *scratch);
/* Frees every result handed out since the last reset (call once a record). */
RILL_API void rill_expr_scratch_reset(rill_expr_scratch *scratch);

/* Evaluates @expr against the record last parsed into @record (transfer
 * none), into @out. */
RILL_API void rill_expr_eval(const rill_expr *expr, rill_fields *record, rill_expr_scratch *scratch,
                             rill_expr_value *out);
/* Evaluates @expr against the JSON text @json (@len bytes; copied into
 * @scratch). FALSE with @error (RILL_FIELDS_ERROR_PARSE) when it is not
 * valid JSON. */
RILL_API gboolean rill_expr_eval_json(const rill_expr *expr, const char *json, gsize len,
                                      rill_expr_scratch *scratch, rill_expr_value *out, GError **error);

/* FALSE for null and false, TRUE for everything else (jq's rule). */
RILL_API gboolean rill_expr_value_truthy(const rill_expr_value *value);
/* Appends @value as JSON (numbers shortest round-trip, or as the record
 * wrote them; null as null). */
RILL_API void rill_expr_value_append_json(const rill_expr_value *value, GString *out);
/* Appends @value as text: strings as their bytes, null as nothing, the
 * rest as JSON. */
RILL_API void rill_expr_value_append_text(const rill_expr_value *value, GString *out);

G_END_DECLS
