/* regex-parse-elements.c — the regex-parse launch element: a pattern with
 * grok names, field types as types.FIELD=TYPE pairs (passed through the
 * row table and checked here against the pattern's fields), dead-letter=.
 */
#include "runtime/launch/launch-private.h"

#include <rill/dead-letter.h>
#include <rill/regex-parse.h>

typedef struct {
  char *pattern;
  int malformed; /* rill_regex_parse_malformed */
  char *dead_letter;
} regex_parse_props;

G_STATIC_ASSERT(RILL_REGEX_PARSE_FAIL == 0 && RILL_REGEX_PARSE_SKIP == 1);

#define TYPES_PREFIX "types."

static rill_stage *build_regex_parse(rill_launch_builder *b, const char *name, rill_stage *const *inputs,
                                     guint n_inputs, GError **error)
{
  const regex_parse_props *p = rill__launch_props(b);
  GError *err = NULL;
  rill_regex_parser *parser = rill_regex_parser_new(p->pattern, &err);
  if (!parser) {
    rill__launch_fail(b, "pattern", error, RILL_LAUNCH_ERROR_INVALID_VALUE, "%s", err->message);
    g_error_free(err);
    return NULL;
  }
  GPtrArray *params = b->node->params;
  for (guint i = 0; i < params->len; i++) {
    const rill__launch_param *q = params->pdata[i];
    if (!q->passed)
      continue;
    rill_value_type type;
    if (!g_str_has_prefix(q->key, TYPES_PREFIX)) {
      rill__launch_error_at(error, b->text, q->key_pos, RILL_LAUNCH_ERROR_UNKNOWN_PARAMETER,
                            "regex-parse has no parameter '%s' (it has: pattern, types.FIELD, dead-letter, name)",
                            q->key);
      goto fail;
    }
    if (!rill_value_type_from_name(q->value, &type)) {
      rill__launch_error_at(error, b->text, q->value_pos, RILL_LAUNCH_ERROR_INVALID_VALUE,
                            "regex-parse %s: '%s' is not a type (int, float, bool, string, timestamp, auto)",
                            q->key, q->value);
      goto fail;
    }
    if (!rill_regex_parser_set_type(parser, q->key + strlen(TYPES_PREFIX), type, &err)) {
      rill__launch_error_at(error, b->text, q->key_pos, RILL_LAUNCH_ERROR_INVALID_VALUE, "regex-parse %s: %s",
                            q->key, err->message);
      g_error_free(err);
      goto fail;
    }
  }
  rill_dead_letter *dl = rill__launch_dead_letter(b, p->dead_letter, &err);
  if (err) {
    g_propagate_error(error, err);
    goto fail;
  }
  return rill_pipeline_add_regex_parse(b->pipeline, name, inputs[0], parser, dl,
                                       (rill_regex_parse_malformed)p->malformed);
fail:
  rill_regex_parser_free(parser);
  return NULL;
}

#define OFF(f) offsetof(regex_parse_props, f)

/* name, type, field, min, max, default, choices, -, -, doc */
static const rill_launch_element elements[] = {
  {"regex-parse", RILL_LAUNCH_TRANSFORM,
   "parse text lines into JSON objects: named groups (?<f>..) and grok names %{NAME:f} become typed fields",
   RILL__LAUNCH_PARAMS(regex_parse_props,
     {"pattern", RILL__CONF_STRING, OFF(pattern), 0, 0, RILL__CONF_REQUIRED, NULL, NULL, NULL,
      "PCRE2 pattern with grok names, e.g. ^%{COMMONAPACHELOG}$ (unanchored unless ^ $)"},
     {"malformed", RILL__CONF_ENUM, OFF(malformed), 0, 0, "fail", "fail|skip", NULL, NULL,
      "without dead-letter=, a line that does not parse: fail the run, or skip it (counted; the count and the first "
      "one on stderr at the end)"},
     RILL__LAUNCH_DEAD_LETTER_ROW(regex_parse_props)),
   .build = build_regex_parse,
   .pass_through = "types.FIELD=TYPE: a field's type, int, float, bool, string, timestamp (ms) or auto (default: "
                   "numbers and true/false inferred)"},
};

RILL__LAUNCH_ELEMENTS_DEFINE(regex_parse, elements)
