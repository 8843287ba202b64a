/* field-elements.c — the launch elements over one field of a parsed
 * record: filter, set-key and project, each a parse stage running a field
 * op (fieldops.c), so each task parses with its own rill_fields; and
 * rill__fieldop_add, which key-by, watermarks and the aggregates use for
 * their field= parameter.
 */
#include "operators/expr-elements.h"
#include "operators/fieldops.h"
#include "operators/text-elements.h"

#include <rill/dead-letter.h>

/* The comparisons of filter, in the order of the rows. */
static const char *const cmps[] = {"eq", "ne", "lt", "le", "gt", "ge", "contains", "regex"};

/* The parameters of the three elements (each reads its own rows). */
typedef struct {
  char *field;
  char *expr;                        /* filter: an expression instead of field + comparison */
  char *operand[G_N_ELEMENTS(cmps)]; /* filter: the one comparison given */
  char **fields;                     /* project */
  gboolean invert;                   /* filter: keep what does not compare true */
  int format;
  char *dead_letter;
} field_props;

rill_stage *rill__fieldop_add(rill_launch_builder *b, const char *name, rill_stage *input, rill__fieldop *op,
                              int format, const char *dead_letter, GError **error)
{
  GError *dl_error = NULL;
  rill_dead_letter *dl = rill__launch_dead_letter(b, dead_letter, &dl_error);
  if (dl_error) {
    g_propagate_error(error, dl_error);
    rill__fieldop_free(op);
    return NULL;
  }
  return rill_pipeline_add_parse(b->pipeline, name, input, (rill_fields_format)format, dl, rill__fieldop_apply, NULL,
                                 op, rill__fieldop_free);
}

static rill_stage *build_filter(rill_launch_builder *b, const char *name, rill_stage *const *inputs, guint n_inputs,
                                GError **error)
{
  const field_props *p = rill__launch_props(b);
  if (p->expr) {
    if (p->field) {
      rill__launch_fail(b, "field", error, RILL_LAUNCH_ERROR_INVALID_VALUE,
                        "expr= or field= with a comparison, not both");
      return NULL;
    }
    return rill__expr_stage_add(b, name, inputs[0], RILL__EXPR_STAGE_FILTER, "expr", p->expr, p->format,
                                p->dead_letter, error);
  }
  int cmp = -1;
  for (guint i = 0; i < G_N_ELEMENTS(cmps); i++) {
    if (!p->operand[i])
      continue;
    if (cmp >= 0) {
      rill__launch_fail(b, cmps[i], error, RILL_LAUNCH_ERROR_INVALID_VALUE,
                        "one comparison per filter (%s= and %s= given); chain two filters for both", cmps[cmp],
                        cmps[i]);
      return NULL;
    }
    cmp = (int)i;
  }
  if (cmp < 0) {
    rill__launch_fail(b, NULL, error, RILL_LAUNCH_ERROR_MISSING_PARAMETER,
                      "needs expr= or a comparison: eq=, ne=, lt=, le=, gt=, ge=, contains= or regex=");
    return NULL;
  }
  if (!p->field)
    return rill__line_filter_add(b, name, inputs[0], cmps[cmp], p->operand[cmp], p->invert, error);
  rill__fieldop *op = rill__fieldop_new(RILL__FIELDOP_FILTER, p->field, NULL);
  rill__fieldop_set_invert(op, p->invert);
  GError *re_error = NULL;
  if (!rill__fieldop_set_compare(op, cmps[cmp], p->operand[cmp], &re_error)) {
    rill__launch_fail(b, cmps[cmp], error, RILL_LAUNCH_ERROR_INVALID_VALUE, "%s", re_error->message);
    g_error_free(re_error);
    rill__fieldop_free(op);
    return NULL;
  }
  return rill__fieldop_add(b, name, inputs[0], op, p->format, p->dead_letter, error);
}

static rill_stage *build_set_key(rill_launch_builder *b, const char *name, rill_stage *const *inputs, guint n_inputs,
                                 GError **error)
{
  const field_props *p = rill__launch_props(b);
  return rill__fieldop_add(b, name, inputs[0], rill__fieldop_new(RILL__FIELDOP_SET_KEY, p->field, NULL), p->format,
                           p->dead_letter, error);
}

static rill_stage *build_project(rill_launch_builder *b, const char *name, rill_stage *const *inputs, guint n_inputs,
                                 GError **error)
{
  const field_props *p = rill__launch_props(b);
  if (!p->fields[0]) {
    rill__launch_fail(b, "fields", error, RILL_LAUNCH_ERROR_INVALID_VALUE, "no field names given");
    return NULL;
  }
  return rill__fieldop_add(b, name, inputs[0], rill__fieldop_new(RILL__FIELDOP_PROJECT, NULL, p->fields),
                           p->format, p->dead_letter, error);
}

#define OFF(f) offsetof(field_props, f)
#define REQUIRED RILL__CONF_REQUIRED
/* The comparison rows, in the order of cmps. */
#define OPERAND(i, name, doc) {name, RILL__CONF_STRING, OFF(operand[i]), 0, 0, NULL, NULL, NULL, NULL, doc}

/* name, type, field, min, max, default, choices, -, -, doc */
static const rill_launch_element elements[] = {
  {"filter", RILL_LAUNCH_TRANSFORM, "keep records for which an expression is true, whose field compares true, or (without field=) whose whole line matches",
   RILL__LAUNCH_PARAMS(field_props,
     {"expr", RILL__CONF_STRING, OFF(expr), 0, 0, NULL, NULL, NULL, NULL, "keep records for which this expression is true (docs/expressions.md)"},
     {"field", RILL__CONF_STRING, OFF(field), 0, 0, NULL, NULL, NULL, NULL, "field to test (JSON path a.b.0 or CSV column), with one comparison below; unset: the whole line, with regex= or contains="},
     OPERAND(0, "eq", "equal (numerically when both are numbers)"),
     OPERAND(1, "ne", "not equal"),
     OPERAND(2, "lt", "less than"),
     OPERAND(3, "le", "less or equal"),
     OPERAND(4, "gt", "greater than"),
     OPERAND(5, "ge", "greater or equal"),
     OPERAND(6, "contains", "contains this text"),
     OPERAND(7, "regex", "matches this regular expression (PCRE, unanchored)"),
     {"invert", RILL__CONF_BOOL, OFF(invert), 0, 0, "false", NULL, NULL, NULL, "keep the records that do not compare true (grep -v)"},
     RILL__FIELD_ROWS(field_props)),
   .build = build_filter},
  {"project", RILL_LAUNCH_TRANSFORM, "replace the value by a JSON object of the listed fields",
   RILL__LAUNCH_PARAMS(field_props,
     {"fields", RILL__CONF_LIST, OFF(fields), 0, 0, REQUIRED, NULL, NULL, NULL, "field names, comma separated"},
     RILL__FIELD_ROWS(field_props)),
   .build = build_project},
  {"set-key", RILL_LAUNCH_TRANSFORM, "set the record key from a field (absent when the field is)",
   RILL__LAUNCH_PARAMS(field_props,
     {"field", RILL__CONF_STRING, OFF(field), 0, 0, REQUIRED, NULL, NULL, NULL, "field to use as the key"},
     RILL__FIELD_ROWS(field_props)),
   .build = build_set_key},
};

RILL__LAUNCH_ELEMENTS_DEFINE(field, elements)
