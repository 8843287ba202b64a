/* parse-elements.c — the launch elements that check records parse:
 * json-parse and csv-parse (the parse stage with no callback), sending
 * failures to the dead-letter output.
 */
#include "runtime/launch/launch-private.h"

#include <rill/dead-letter.h>
#include <rill/fields.h>

typedef struct {
  char **columns;
  char separator;
} csv_setup;

static void csv_setup_apply(rill_fields *fields, void *data)
{
  csv_setup *c = data;
  rill_fields_set_separator(fields, c->separator);
  if (c->columns && c->columns[0])
    rill_fields_set_columns(fields, (const char *const *)c->columns);
}

static void csv_setup_free(void *data)
{
  csv_setup *c = data;
  g_strfreev(c->columns);
  g_free(c);
}

/* The parameters of both elements (json-parse has only dead-letter=). */
typedef struct {
  char **columns;
  char *separator;
  char *dead_letter;
} parse_props;

static rill_stage *build_parse(rill_launch_builder *b, const char *name, rill_stage *const *inputs, guint n_inputs,
                               GError **error)
{
  const parse_props *p = rill__launch_props(b);
  GError *dl_error = NULL;
  rill_dead_letter *dl = rill__launch_dead_letter(b, p->dead_letter, &dl_error);
  if (dl_error) {
    g_propagate_error(error, dl_error);
    return NULL;
  }
  if (strcmp(b->node->klass->name, "json-parse") == 0)
    return rill_pipeline_add_parse(b->pipeline, name, inputs[0], RILL_FIELDS_JSON, dl, NULL, NULL, NULL, NULL);
  if (strlen(p->separator) != 1) {
    rill__launch_fail(b, "separator", error, RILL_LAUNCH_ERROR_INVALID_VALUE, "the separator must be one byte");
    return NULL;
  }
  csv_setup *c = g_new0(csv_setup, 1);
  c->columns = g_strdupv(p->columns);
  c->separator = p->separator[0];
  return rill_pipeline_add_parse(b->pipeline, name, inputs[0], RILL_FIELDS_CSV, dl, NULL, csv_setup_apply, c,
                                 csv_setup_free);
}

#define OFF(f) offsetof(parse_props, f)

/* name, type, field, min, max, default, choices, -, -, doc */
static const rill_launch_element elements[] = {
  {"csv-parse", RILL_LAUNCH_TRANSFORM, "check each value is a CSV record; failures go to the dead-letter output",
   RILL__LAUNCH_PARAMS(parse_props,
     {"columns", RILL__CONF_LIST, OFF(columns), 0, 0, NULL, NULL, NULL, NULL, "column names (default: the file's header row)"},
     {"separator", RILL__CONF_STRING, OFF(separator), 0, 0, ",", NULL, NULL, NULL, "field separator (one byte)"},
     RILL__LAUNCH_DEAD_LETTER_ROW(parse_props)),
   .build = build_parse},
  {"json-parse", RILL_LAUNCH_TRANSFORM, "check each value is JSON; failures go to the dead-letter output",
   RILL__LAUNCH_PARAMS(parse_props, RILL__LAUNCH_DEAD_LETTER_ROW(parse_props)), .build = build_parse},
};

RILL__LAUNCH_ELEMENTS_DEFINE(parse, elements)
