/* typed.h — text fields turned into typed JSON values: the types that
 * regex-parse captures and CSV columns can be given (types.NAME=TYPE in
 * rill-run), their names, and the conversion, with numbers and booleans
 * inferred when no type is given.
 *
 * Inference (RILL_VALUE_AUTO): text that is a JSON number (an integer
 * within 64 bits, or with a fraction or exponent) becomes that number,
 * written as it was; "true" and "false" become booleans; everything else,
 * the empty text included, stays a string. Leading zeros ("007"), a plus
 * sign, "NaN" and "1." are strings, so identifiers keep their text.
 */
#pragma once

#include <rill/export.h>

#include <glib.h>

G_BEGIN_DECLS

#define RILL_VALUE_ERROR (rill_value_error_quark())
RILL_API GQuark rill_value_error_quark(void);

typedef enum {
  RILL_VALUE_ERROR_TYPE, /* the text does not convert to the asked type */
} rill_value_error;

typedef enum {
  RILL_VALUE_AUTO,      /* number, boolean or string, inferred */
  RILL_VALUE_INT,       /* [+-]digits within 64 bits, written without sign or leading zeros noise */
  RILL_VALUE_FLOAT,     /* any decimal number (strtod syntax, finite), written shortest round-trip */
  RILL_VALUE_BOOL,      /* true/false, yes/no, on/off, 1/0 (any case) */
  RILL_VALUE_STRING,    /* always a JSON string */
  RILL_VALUE_TIMESTAMP, /* integer ms, ISO 8601 (no zone = UTC) or 14/Nov/2023:22:13:20 +0000, written as ms since the epoch */
} rill_value_type;

/* "auto", "int", "float", "bool", "string", "timestamp" (also "integer",
 * "double", "boolean"). FALSE when @name is none of them. */
RILL_API gboolean rill_value_type_from_name(const char *name, rill_value_type *type);
RILL_API const char *rill_value_type_name(rill_value_type type);

/* Appends @len bytes of @text (NULL = a missing value, written as null) to
 * @out as a JSON value of @type. FALSE with @error (RILL_VALUE_ERROR_TYPE,
 * the message quotes the text and names the type) when it does not
 * convert; @out is then unchanged. */
RILL_API gboolean rill_value_append_json(GString *out, const char *text, gsize len, rill_value_type type,
                                         GError **error);

G_END_DECLS
