/* field-elements.c — the launch elements over one field of a parsed
 * record: filter, set-key and project, each a parse stage running a field
 * op (fieldops.c), so each task parses with its own rill_fields; and
 * rill__fieldop_add, which key-by, watermarks and the aggregates use for
 * their field= parameter.
 */
#include "operators/fieldops.h"

#include <rill/dead-letter.h>

static rill_fields_format fields_format(rill_launch_builder *b)
{
  return strcmp(rill__launch_get(b, "format"), "csv") == 0 ? RILL_FIELDS_CSV : RILL_FIELDS_JSON;
}

rill_stage *rill__fieldop_add(rill_launch_builder *b, const char *name, rill_stage *input, rill__fieldop *op,
                              GError **error)
{
  GError *dl_error = NULL;
  rill_dead_letter *dl = rill__launch_dead_letter(b, &dl_error);
  if (dl_error) {
    g_propagate_error(error, dl_error);
    rill__fieldop_free(op);
    return NULL;
  }
  return rill_pipeline_add_parse(b->pipeline, name, input, fields_format(b), dl, rill__fieldop_apply, NULL, op,
                                 rill__fieldop_free);
}

static rill_stage *build_filter(rill_launch_builder *b, const char *name, rill_stage *const *inputs, guint n_inputs,
                                GError **error)
{
  static const char *const cmps[] = {"eq", "ne", "lt", "le", "gt", "ge", "contains", "regex"};
  const char *cmp = NULL;
  for (guint i = 0; i < G_N_ELEMENTS(cmps); i++) {
    if (!rill__launch_has(b, cmps[i]))
      continue;
    if (cmp) {
      rill__launch_fail(b, cmps[i], error, RILL_LAUNCH_ERROR_INVALID_VALUE,
                        "one comparison per filter (%s= and %s= given); chain two filters for both", cmp, cmps[i]);
      return NULL;
    }
    cmp = cmps[i];
  }
  if (!cmp) {
    rill__launch_fail(b, NULL, error, RILL_LAUNCH_ERROR_MISSING_PARAMETER,
                      "needs a comparison: eq=, ne=, lt=, le=, gt=, ge=, contains= or regex=");
    return NULL;
  }
  rill__fieldop *op = rill__fieldop_new(RILL__FIELDOP_FILTER, rill__launch_get(b, "field"), NULL);
  GError *re_error = NULL;
  if (!rill__fieldop_set_compare(op, cmp, rill__launch_get(b, cmp), &re_error)) {
    rill__launch_fail(b, cmp, error, RILL_LAUNCH_ERROR_INVALID_VALUE, "%s", re_error->message);
    g_error_free(re_error);
    rill__fieldop_free(op);
    return NULL;
  }
  return rill__fieldop_add(b, name, inputs[0], op, error);
}

static rill_stage *build_set_key(rill_launch_builder *b, const char *name, rill_stage *const *inputs, guint n_inputs,
                                 GError **error)
{
  return rill__fieldop_add(b, name, inputs[0],
                           rill__fieldop_new(RILL__FIELDOP_SET_KEY, rill__launch_get(b, "field"), NULL), error);
}

static rill_stage *build_project(rill_launch_builder *b, const char *name, rill_stage *const *inputs, guint n_inputs,
                                 GError **error)
{
  char **fields = rill__launch_get_list(b, "fields");
  rill_stage *s = NULL;
  if (!fields[0])
    rill__launch_fail(b, "fields", error, RILL_LAUNCH_ERROR_INVALID_VALUE, "no field names given");
  else
    s = rill__fieldop_add(b, name, inputs[0], rill__fieldop_new(RILL__FIELDOP_PROJECT, NULL, fields), error);
  g_strfreev(fields);
  return s;
}

static const rill_launch_element elements[] = {
  {"filter", RILL_LAUNCH_TRANSFORM, "keep records whose field compares true (one comparison per filter)",
   RILL__LAUNCH_PARAMS(
     {"field", RILL_LAUNCH_STRING, NULL, NULL, TRUE, "field to test (JSON path a.b.0 or CSV column)"},
     {"eq", RILL_LAUNCH_STRING, NULL, NULL, FALSE, "equal (numerically when both are numbers)"},
     {"ne", RILL_LAUNCH_STRING, NULL, NULL, FALSE, "not equal"},
     {"lt", RILL_LAUNCH_STRING, NULL, NULL, FALSE, "less than"},
     {"le", RILL_LAUNCH_STRING, NULL, NULL, FALSE, "less or equal"},
     {"gt", RILL_LAUNCH_STRING, NULL, NULL, FALSE, "greater than"},
     {"ge", RILL_LAUNCH_STRING, NULL, NULL, FALSE, "greater or equal"},
     {"contains", RILL_LAUNCH_STRING, NULL, NULL, FALSE, "contains this text"},
     {"regex", RILL_LAUNCH_STRING, NULL, NULL, FALSE, "matches this regular expression (PCRE, unanchored)"},
     RILL__FIELD_FORMAT_PARAM, RILL__LAUNCH_DEAD_LETTER_PARAM),
   .build = build_filter},
  {"project", RILL_LAUNCH_TRANSFORM, "replace the value by a JSON object of the listed fields",
   RILL__LAUNCH_PARAMS({"fields", RILL_LAUNCH_LIST, NULL, NULL, TRUE, "field names, comma separated"},
                       RILL__FIELD_FORMAT_PARAM, RILL__LAUNCH_DEAD_LETTER_PARAM),
   .build = build_project},
  {"set-key", RILL_LAUNCH_TRANSFORM, "set the record key from a field (absent when the field is)",
   RILL__LAUNCH_PARAMS({"field", RILL_LAUNCH_STRING, NULL, NULL, TRUE, "field to use as the key"},
                       RILL__FIELD_FORMAT_PARAM, RILL__LAUNCH_DEAD_LETTER_PARAM),
   .build = build_set_key},
};

RILL__LAUNCH_ELEMENTS_DEFINE(field, elements)
