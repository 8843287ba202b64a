/* fieldops.h — field operations as callbacks of the parse stage
 * (rill_pipeline_add_parse): filter, set-key, set-value, project and
 * event-time fields, driven by a field spec; and, for the launch elements
 * that read a field (field-elements.c, key-by, watermarks, aggregates), the
 * helper that adds one as a stage with the element's format= and
 * dead-letter= parameters.
 */
#pragma once

#include "runtime/launch/launch-private.h"

#include <rill/fields.h>

typedef enum {
  RILL__FIELDOP_FILTER,
  RILL__FIELDOP_SET_KEY,
  RILL__FIELDOP_SET_VALUE, /* value := the field's text (aggregates over a field) */
  RILL__FIELDOP_PROJECT,
  RILL__FIELDOP_TIMESTAMP,
} rill__fieldop_kind;

typedef struct rill__fieldop rill__fieldop;
/* (transfer full) an op over @field (for PROJECT: @fields). Filters and
 * timestamps are configured with the setters below. */
rill__fieldop *rill__fieldop_new(rill__fieldop_kind kind, const char *field, char **fields);
void rill__fieldop_free(void *op);
/* Filter comparison: @op one of eq ne lt le gt ge contains regex. FALSE
 * with @error for a bad regex. */
gboolean rill__fieldop_set_compare(rill__fieldop *op, const char *cmp, const char *operand, GError **error);
/* Filter: keep what does not compare true instead (a record without the
 * field is then kept). */
void rill__fieldop_set_invert(rill__fieldop *op, gboolean invert);
/* Set-value for a numeric aggregate named @element: a field that is
 * present but not a number is rejected, naming @element, the field and the
 * text (absent and null fields pass as absent values). */
void rill__fieldop_set_numeric(rill__fieldop *op, const char *element);
/* Timestamp unit for numeric fields: 1 (ms) or 1000 (s). */
void rill__fieldop_set_unit_ms(rill__fieldop *op, gint64 unit_ms);
rill_verdict rill__fieldop_apply(rill_ctx *ctx, rill_fields *fields, const rill_record *in, rill_record *out,
                                 const char **reason, void *op);

/* ---- launch elements ---------------------------------------------------------- */

G_STATIC_ASSERT(RILL_FIELDS_JSON == 0 && RILL_FIELDS_CSV == 1);

/* The format= and dead-letter= rows of elements that read fields, into an
 * `int format` (a rill_fields_format) and a `char *dead_letter` of @type. */
#define RILL__FIELD_ROWS(type)                                                                                \
  {"format", RILL__CONF_ENUM, offsetof(type, format), 0, 0, "json", "json|csv", NULL, NULL,                   \
   "how record values are parsed"},                                                                           \
    RILL__LAUNCH_DEAD_LETTER_ROW(type)

/* A parse stage running @op (transfer full) on @input, parsing with
 * @format (the element's format=) and sending failures to @dead_letter (its
 * dead-letter=, or NULL). NULL with @error. (transfer none: the pipeline's) */
rill_stage *rill__fieldop_add(rill_launch_builder *b, const char *name, rill_stage *input, rill__fieldop *op,
                              int format, const char *dead_letter, GError **error);
