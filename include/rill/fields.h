/* fields.h — reading fields out of JSON and CSV records, writing records
 * as JSON or CSV, and the parse stage (json-parse / csv-parse).
 *
 * A rill_fields is a reusable, per-task parser: parse a record's value, then
 * ask for fields by name (JSON: a member path such as "user.name" or
 * "items.0.id", numeric segments index arrays; CSV: a column name from the
 * header row) or, for CSV, by index. Strings returned are (transfer none)
 * and valid until the next parse or free. Not thread safe: one per task.
 *
 * CSV follows RFC 4180: fields separated by ',' (configurable), optionally
 * quoted with '"', a quote inside a quoted field doubled, line breaks
 * allowed inside quotes. NULL vs empty: an unquoted empty field is NULL
 * (absent), a quoted empty field ("") is the empty string, and a column
 * past the end of a short row is NULL. The writers below keep that
 * distinction, so records round-trip.
 *
 * CSV columns without names (no header row, no set_columns) are c1..cN.
 * CSV fields written as JSON are typed: numbers and true/false inferred
 * (include/rill/typed.h), or the types given with rill_fields_set_types.
 *
 * JSON null and missing members are both NULL for the getters; use
 * rill_fields_has() to tell them apart.
 */
#pragma once

#include <rill/export.h>

#include <rill/dead-letter.h>
#include <rill/pipeline.h>
#include <rill/typed.h>

G_BEGIN_DECLS

#define RILL_FIELDS_ERROR (rill_fields_error_quark())
RILL_API GQuark rill_fields_error_quark(void);

typedef enum {
  RILL_FIELDS_ERROR_PARSE,     /* the value is not valid JSON / CSV */
  RILL_FIELDS_ERROR_NO_VALUE,  /* the record has no value */
  RILL_FIELDS_ERROR_TYPE,      /* a field exists but cannot convert to the asked type */
} rill_fields_error;

typedef enum {
  RILL_FIELDS_JSON,
  RILL_FIELDS_CSV,
} rill_fields_format;

typedef struct rill_fields rill_fields;

/* (transfer full) */
RILL_API rill_fields *rill_fields_new(rill_fields_format format);
RILL_API void rill_fields_free(rill_fields *fields);

/* CSV: the field separator (default ','). */
RILL_API void rill_fields_set_separator(rill_fields *fields, char separator);
/* CSV: column names. NULL-terminated @names (transfer none, copied). When
 * none are set, each parsed record's "csv-header" header names them. */
RILL_API void rill_fields_set_columns(rill_fields *fields, const char *const *names);

/* CSV: the types of the named columns when written as JSON (default:
 * inferred). @names NULL-terminated, @types as many (both copied); NULL
 * clears. */
RILL_API void rill_fields_set_types(rill_fields *fields, const char *const *names, const rill_value_type *types);
/* CSV: FALSE with @error (RILL_FIELDS_ERROR_TYPE, naming the column and
 * the text) when a column of the parsed row does not convert to the type
 * set for it. */
RILL_API gboolean rill_fields_check_types(rill_fields *fields, GError **error);
/* CSV: whether the parsed row's columns have names (a header row or
 * set_columns); without, they are c1..cN. */
RILL_API gboolean rill_fields_csv_has_names(rill_fields *fields);
/* FALSE when @name is no column of the parsed CSV row's columns (not in
 * the header, or not c1..cN without one); always TRUE for JSON, where a
 * missing member is simply null. */
RILL_API gboolean rill_fields_csv_knows(rill_fields *fields, const char *name);

/* Parses @len bytes at @data. FALSE with @error (RILL_FIELDS_ERROR_PARSE,
 * message says where) when malformed. */
RILL_API gboolean rill_fields_parse(rill_fields *fields, const void *data, size_t len, GError **error);
/* Parses @record's value (and, for CSV, picks up its "csv-header"). */
RILL_API gboolean rill_fields_parse_record(rill_fields *fields, const rill_record *record, GError **error);

/* TRUE when the field exists (JSON: also when it is null). */
RILL_API gboolean rill_fields_has(rill_fields *fields, const char *name);
/* The field as a string, or NULL when absent/null. JSON numbers and
 * booleans are rendered as text; objects and arrays as compact JSON.
 * @len (may be NULL) receives the byte length. (transfer none) */
RILL_API const char *rill_fields_get_string(rill_fields *fields, const char *name, size_t *len);
/* Appends the field to @out as JSON text, keeping its type (strings quoted,
 * numbers, booleans, objects and arrays as they are; CSV fields typed as
 * above). An absent field appends "null" and returns FALSE. */
RILL_API gboolean rill_fields_append_json(rill_fields *fields, const char *name, GString *out);
/* Integer / double conversion. FALSE when absent, null or not a number
 * (CSV: the whole field must parse). */
RILL_API gboolean rill_fields_get_int(rill_fields *fields, const char *name, gint64 *value);
RILL_API gboolean rill_fields_get_double(rill_fields *fields, const char *name, double *value);

/* CSV: number of fields in the row; the field at @index or NULL. */
RILL_API guint rill_fields_n_columns(rill_fields *fields);
RILL_API const char *rill_fields_get_index(rill_fields *fields, guint index, size_t *len);

/* Appends the parsed record to @out: as a JSON object (CSV: columns by name,
 * or "c1", "c2"... without names, typed; NULL fields become null) or as a CSV row
 * without line break (JSON: the top-level members' values in order, or the
 * columns set with rill_fields_set_columns when set; CSV: re-quoted). */
RILL_API void rill_fields_write(rill_fields *fields, rill_fields_format format, GString *out);

/* ---- writers ------------------------------------------------------------ */

/* Appends one CSV field to @out: @value NULL writes nothing (NULL), an
 * empty or special value (separator, quote, CR/LF, leading/trailing space)
 * is quoted with inner quotes doubled. @len -1 = NUL-terminated. */
RILL_API void rill_csv_append_field(GString *out, const char *value, gssize len, char separator);
/* Appends @n fields separated by @separator (no line break). @lens may be
 * NULL (all NUL-terminated). */
RILL_API void rill_csv_append_row(GString *out, const char *const *values, const gssize *lens, guint n, char separator);
/* Appends @value (@len bytes, -1 = NUL-terminated) as a JSON string literal.
 * The result is valid JSON and valid UTF-8 whatever the bytes: valid UTF-8
 * is kept, control characters are escaped, and each byte that is not part
 * of a valid UTF-8 sequence is written as \u00XX (its value, XX). */
RILL_API void rill_json_append_string(GString *out, const char *value, gssize len);

/* ---- parse stage -------------------------------------------------------- */

/* Called for each record that parsed. @out starts as a copy of @in; set its
 * key/timestamp (new bytes from rill_ctx_alloc). On REJECT set *@reason to a
 * static or @ctx-allocated string (NULL = "rejected"). */
typedef rill_verdict (*rill_parse_fn)(rill_ctx *ctx, rill_fields *fields, const rill_record *in, rill_record *out,
                                      const char **reason, void *user_data);

/* Adds a stage parsing each record of @input as @format. Records that do
 * not parse, and records @fn (may be NULL) rejects, go to @dead_letter
 * (transfer none; NULL = they fail the stage) with the reason and their
 * position headers; the others are emitted unchanged (or as @fn edits
 * them). @fields_setup (may be NULL) is called on each task's rill_fields
 * once, to set columns or the separator. Type name "json-parse" or
 * "csv-parse". (transfer none) */
RILL_API rill_stage *rill_pipeline_add_parse(rill_pipeline *pipeline, const char *name, rill_stage *input,
                                             rill_fields_format format, rill_dead_letter *dead_letter, rill_parse_fn fn,
                                             void (*fields_setup)(rill_fields *fields, void *user_data),
                                             void *user_data, GDestroyNotify destroy);

G_END_DECLS
