/* parse-elements.c — the launch elements that check records parse:
 * json-parse and csv-parse (the parse stage), sending failures to the
 * dead-letter output. csv-parse also checks the column types given as
 * types.NAME=TYPE and, with output=json, turns each row into a typed JSON
 * object, so JSON elements (filter, project, ...) follow without format=.
 */
#include "runtime/launch/launch-private.h"

#include <rill/dead-letter.h>
#include <rill/fields.h>

typedef struct {
  char **columns;
  char separator;
  char **type_names;      /* types.NAME=TYPE, NULL-terminated */
  rill_value_type *types;
  gboolean to_json;
} csv_setup;

static void csv_setup_apply(rill_fields *fields, void *data)
{
  csv_setup *c = data;
  rill_fields_set_separator(fields, c->separator);
  if (c->columns && c->columns[0])
    rill_fields_set_columns(fields, (const char *const *)c->columns);
  if (c->type_names)
    rill_fields_set_types(fields, (const char *const *)c->type_names, c->types);
}

/* Types checked; with output=json the value becomes the typed object. */
static rill_verdict csv_convert(rill_ctx *ctx, rill_fields *fields, const rill_record *in, rill_record *out,
                                const char **reason, void *data)
{
  const csv_setup *c = data;
  GError *err = NULL;
  if (!rill_fields_check_types(fields, &err)) {
    gsize n = strlen(err->message) + 1;
    char *msg = rill_ctx_alloc(ctx, n);
    memcpy(msg, err->message, n);
    g_error_free(err);
    *reason = msg;
    return RILL_VERDICT_REJECT;
  }
  if (!c->to_json)
    return RILL_VERDICT_KEEP;
  GString *json = g_string_sized_new(in->value.len * 2 + 16);
  rill_fields_write(fields, RILL_FIELDS_JSON, json);
  char *v = rill_ctx_alloc(ctx, json->len);
  memcpy(v, json->str, json->len);
  out->value = rill_bytes_make(v, json->len);
  g_string_free(json, TRUE);
  /* The value is JSON now: drop "csv-header" so sinks do not take it for CSV. */
  guint kept = 0;
  rill_header *headers = in->n_headers ? rill_ctx_alloc(ctx, in->n_headers * sizeof(rill_header)) : NULL;
  for (guint i = 0; i < in->n_headers; i++)
    if (!(in->headers[i].key.len == 10 && memcmp(in->headers[i].key.data, "csv-header", 10) == 0))
      headers[kept++] = in->headers[i];
  out->headers = headers;
  out->n_headers = kept;
  return RILL_VERDICT_KEEP;
}

static void csv_setup_free(void *data)
{
  csv_setup *c = data;
  g_strfreev(c->columns);
  g_strfreev(c->type_names);
  g_free(c->types);
  g_free(c);
}

/* The parameters of both elements (json-parse has only dead-letter=). */
typedef struct {
  char **columns;
  char *separator;
  int output; /* 0 csv, 1 json */
  char *dead_letter;
} parse_props;

#define TYPES_PREFIX "types."

/* The types.NAME=TYPE pairs into @c; FALSE with @error at the bad one. */
static gboolean read_types(rill_launch_builder *b, csv_setup *c, GError **error)
{
  GPtrArray *names = g_ptr_array_new();
  GArray *types = g_array_new(FALSE, FALSE, sizeof(rill_value_type));
  gboolean ok = TRUE;
  for (guint i = 0; ok && i < b->node->params->len; i++) {
    const rill__launch_param *q = b->node->params->pdata[i];
    rill_value_type type;
    if (!q->passed)
      continue;
    if (!g_str_has_prefix(q->key, TYPES_PREFIX) || !q->key[strlen(TYPES_PREFIX)]) {
      rill__launch_error_at(error, b->text, q->key_pos, RILL_LAUNCH_ERROR_UNKNOWN_PARAMETER,
                            "csv-parse has no parameter '%s' (it has: columns, separator, output, types.NAME, "
                            "dead-letter, name)",
                            q->key);
      ok = FALSE;
    } else if (!rill_value_type_from_name(q->value, &type)) {
      rill__launch_error_at(error, b->text, q->value_pos, RILL_LAUNCH_ERROR_INVALID_VALUE,
                            "csv-parse %s: '%s' is not a type (int, float, bool, string, timestamp, auto)", q->key,
                            q->value);
      ok = FALSE;
    } else {
      g_ptr_array_add(names, g_strdup(q->key + strlen(TYPES_PREFIX)));
      g_array_append_val(types, type);
    }
  }
  g_ptr_array_add(names, NULL);
  c->type_names = (char **)g_ptr_array_free(names, FALSE);
  c->types = (rill_value_type *)g_array_free(types, FALSE);
  return ok;
}

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
  c->to_json = p->output == 1;
  if (!read_types(b, c, error)) {
    csv_setup_free(c);
    return NULL;
  }
  gboolean convert = c->to_json || c->type_names[0];
  return rill_pipeline_add_parse(b->pipeline, name, inputs[0], RILL_FIELDS_CSV, dl, convert ? csv_convert : NULL,
                                 csv_setup_apply, c, csv_setup_free);
}

#define OFF(f) offsetof(parse_props, f)

/* name, type, field, min, max, default, choices, -, -, doc */
static const rill_launch_element elements[] = {
  {"csv-parse", RILL_LAUNCH_TRANSFORM,
   "check each value is a CSV record (and its typed columns convert); output=json makes typed JSON objects; "
   "failures go to the dead-letter output",
   RILL__LAUNCH_PARAMS(parse_props,
     {"columns", RILL__CONF_LIST, OFF(columns), 0, 0, NULL, NULL, NULL, NULL, "column names (default: the file's header row, else c1..cN)"},
     {"separator", RILL__CONF_STRING, OFF(separator), 0, 0, ",", NULL, NULL, NULL, "field separator (one byte)"},
     {"output", RILL__CONF_ENUM, OFF(output), 0, 0, "csv", "csv|json", NULL, NULL, "csv: records pass unchanged; json: each becomes a typed JSON object"},
     RILL__LAUNCH_DEAD_LETTER_ROW(parse_props)),
   .build = build_parse,
   .pass_through = "types.COLUMN=TYPE: a column's type, int, float, bool, string, timestamp (ms) or auto (default: "
                   "numbers and true/false inferred)"},
  {"json-parse", RILL_LAUNCH_TRANSFORM, "check each value is JSON; failures go to the dead-letter output",
   RILL__LAUNCH_PARAMS(parse_props, RILL__LAUNCH_DEAD_LETTER_ROW(parse_props)), .build = build_parse},
};

RILL__LAUNCH_ELEMENTS_DEFINE(parse, elements)
