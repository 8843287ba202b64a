/* regex-parse.c — rill_regex_parser (include/rill/regex-parse.h) and the
 * regex-parse stage: plain-text lines to JSON objects through a PCRE2
 * pattern with grok names (grok.c) expanded.
 *
 * Invariants: the compiled code, the field table and the types never
 * change after setup; only the match data is written while parsing, so a
 * parser serves one thread and the stage copies one per task. Every line
 * is checked to be UTF-8 before PCRE2 sees it (it then runs with
 * PCRE2_NO_UTF_CHECK). Fields are kept in group-number order, which is
 * the order they appear in the pattern.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <rill/fields.h>
#include <rill/regex-parse.h>

#include <pcre2.h>

#include "operators/grok.h"

G_DEFINE_QUARK(rill-regex-parse-error-quark, rill_regex_parse_error)

typedef struct {
  char *name;
  guint group;          /* PCRE2 group number */
  rill_value_type type;
} field_def;

struct rill_regex_parser {
  char *pattern;            /* as given (for copies) */
  pcre2_code *code;
  pcre2_match_data *match;
  GArray *fields;           /* field_def, by group number */
  const char **names;       /* NULL-terminated view of the fields' names */
};

static void field_def_clear(void *data)
{
  g_free(((field_def *)data)->name);
}

static gint by_group(gconstpointer a, gconstpointer b)
{
  return (gint)((const field_def *)a)->group - (gint)((const field_def *)b)->group;
}

rill_regex_parser *rill_regex_parser_new(const char *pattern, GError **error)
{
  g_return_val_if_fail(pattern != NULL, NULL);
  GArray *typed = g_array_new(FALSE, FALSE, sizeof(rill__grok_typed));
  g_array_set_clear_func(typed, rill__grok_typed_clear);
  GError *err = NULL;
  rill_regex_parser *p = NULL;
  char *expanded = rill__grok_expand(pattern, typed, &err);
  if (!expanded) {
    g_set_error(error, RILL_REGEX_PARSE_ERROR, RILL_REGEX_PARSE_ERROR_PATTERN, "%s", err->message);
    g_error_free(err);
    goto out;
  }
  int code_error;
  PCRE2_SIZE offset;
  pcre2_code *code = pcre2_compile((PCRE2_SPTR)expanded, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &code_error, &offset, NULL);
  if (!code) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(code_error, msg, sizeof msg);
    g_set_error(error, RILL_REGEX_PARSE_ERROR, RILL_REGEX_PARSE_ERROR_PATTERN, "%s at offset %zu of %s", (char *)msg,
                (size_t)offset, strcmp(expanded, pattern) == 0 ? "the pattern" : "the expanded pattern");
    goto out;
  }
  /* JIT is a speed-up only: without it (unsupported CPU) matching still works. */
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
  p = g_new0(rill_regex_parser, 1);
  p->pattern = g_strdup(pattern);
  p->code = code;
  p->match = pcre2_match_data_create_from_pattern(code, NULL);
  p->fields = g_array_new(FALSE, FALSE, sizeof(field_def));
  g_array_set_clear_func(p->fields, field_def_clear);
  uint32_t count = 0, entry_size = 0;
  PCRE2_SPTR table = NULL;
  pcre2_pattern_info(code, PCRE2_INFO_NAMECOUNT, &count);
  pcre2_pattern_info(code, PCRE2_INFO_NAMEENTRYSIZE, &entry_size);
  pcre2_pattern_info(code, PCRE2_INFO_NAMETABLE, &table);
  for (uint32_t i = 0; i < count; i++) {
    PCRE2_SPTR e = table + i * entry_size;
    field_def f = {g_strdup((const char *)e + 2), (guint)((e[0] << 8) | e[1]), RILL_VALUE_AUTO};
    g_array_append_val(p->fields, f);
  }
  g_array_sort(p->fields, by_group);
  p->names = g_new0(const char *, p->fields->len + 1);
  for (guint i = 0; i < p->fields->len; i++)
    p->names[i] = g_array_index(p->fields, field_def, i).name;
  if (p->fields->len == 0) {
    g_set_error(error, RILL_REGEX_PARSE_ERROR, RILL_REGEX_PARSE_ERROR_PATTERN,
                "the pattern has no named group: write (?<name>...) or %%{NAME:field}");
    goto fail;
  }
  for (guint i = 0; i < typed->len; i++) {
    rill__grok_typed *t = &g_array_index(typed, rill__grok_typed, i);
    rill_value_type type;
    if (!rill_value_type_from_name(t->type, &type)) {
      g_set_error(error, RILL_REGEX_PARSE_ERROR, RILL_REGEX_PARSE_ERROR_PATTERN,
                  "unknown type '%s' for field %s (int, float, bool, string or timestamp)", t->type, t->field);
      goto fail;
    }
    rill_regex_parser_set_type(p, t->field, type, NULL);
  }
  goto out;
fail:
  rill_regex_parser_free(p);
  p = NULL;
out:
  g_free(expanded);
  g_array_unref(typed);
  return p;
}

rill_regex_parser *rill_regex_parser_copy(const rill_regex_parser *parser)
{
  g_return_val_if_fail(parser != NULL, NULL);
  rill_regex_parser *c = rill_regex_parser_new(parser->pattern, NULL);
  g_assert(c != NULL); /* it compiled once */
  for (guint i = 0; i < parser->fields->len; i++)
    g_array_index(c->fields, field_def, i).type = g_array_index(parser->fields, field_def, i).type;
  return c;
}

void rill_regex_parser_free(rill_regex_parser *parser)
{
  if (!parser)
    return;
  g_free(parser->pattern);
  pcre2_match_data_free(parser->match);
  pcre2_code_free(parser->code);
  g_array_unref(parser->fields);
  g_free(parser->names);
  g_free(parser);
}

gboolean rill_regex_parser_set_type(rill_regex_parser *parser, const char *field, rill_value_type type,
                                    GError **error)
{
  g_return_val_if_fail(parser != NULL && field != NULL, FALSE);
  gboolean found = FALSE;
  for (guint i = 0; i < parser->fields->len; i++) {
    field_def *f = &g_array_index(parser->fields, field_def, i);
    if (strcmp(f->name, field) == 0) {
      f->type = type;
      found = TRUE;
    }
  }
  if (!found) {
    char *names = g_strjoinv(", ", (char **)parser->names);
    g_set_error(error, RILL_REGEX_PARSE_ERROR, RILL_REGEX_PARSE_ERROR_FIELD,
                "the pattern has no field '%s' (its fields: %s)", field, names);
    g_free(names);
  }
  return found;
}

const char *const *rill_regex_parser_fields(const rill_regex_parser *parser)
{
  g_return_val_if_fail(parser != NULL, NULL);
  return parser->names;
}

gboolean rill_regex_parser_parse(rill_regex_parser *parser, const char *line, gsize len, GString *out,
                                 GError **error)
{
  g_return_val_if_fail(parser != NULL && (line != NULL || len == 0) && out != NULL, FALSE);
  const char *bad;
  if (!line)
    line = "";
  if (!g_utf8_validate_len(line, len, &bad)) {
    g_set_error(error, RILL_REGEX_PARSE_ERROR, RILL_REGEX_PARSE_ERROR_ENCODING, "not valid UTF-8 at byte %zu",
                (size_t)(bad - line));
    return FALSE;
  }
  int rc = pcre2_match(parser->code, (PCRE2_SPTR)line, len, 0, PCRE2_NO_UTF_CHECK, parser->match, NULL);
  if (rc < 0) {
    if (rc == PCRE2_ERROR_NOMATCH) {
      g_set_error_literal(error, RILL_REGEX_PARSE_ERROR, RILL_REGEX_PARSE_ERROR_NO_MATCH,
                          "the line does not match the pattern");
    } else {
      PCRE2_UCHAR msg[256];
      pcre2_get_error_message(rc, msg, sizeof msg);
      g_set_error(error, RILL_REGEX_PARSE_ERROR, RILL_REGEX_PARSE_ERROR_NO_MATCH, "matching failed: %s", (char *)msg);
    }
    return FALSE;
  }
  PCRE2_SIZE *ov = pcre2_get_ovector_pointer(parser->match);
  gsize start = out->len;
  g_string_append_c(out, '{');
  for (guint i = 0; i < parser->fields->len; i++) {
    const field_def *f = &g_array_index(parser->fields, field_def, i);
    if (i)
      g_string_append_c(out, ',');
    rill_json_append_string(out, f->name, -1);
    g_string_append_c(out, ':');
    gboolean set = f->group < (guint)rc && ov[2 * f->group] != PCRE2_UNSET;
    const char *v = set ? line + ov[2 * f->group] : NULL;
    gsize vlen = set ? ov[2 * f->group + 1] - ov[2 * f->group] : 0;
    GError *err = NULL;
    if (!rill_value_append_json(out, v, vlen, f->type, &err)) {
      g_set_error(error, RILL_REGEX_PARSE_ERROR, RILL_REGEX_PARSE_ERROR_TYPE, "field %s: %s", f->name, err->message);
      g_error_free(err);
      g_string_truncate(out, start);
      return FALSE;
    }
  }
  g_string_append_c(out, '}');
  return TRUE;
}

/* ---- the stage ------------------------------------------------------------------ */

typedef struct {
  rill_regex_parser *parser; /* the template; tasks copy it */
  rill_dead_letter *dead_letter;
  rill_regex_parse_malformed malformed;
} stage_config;

typedef struct {
  stage_config *cfg;
  rill_regex_parser *parser;
  GString *json;
  guint64 skipped;  /* RILL_REGEX_PARSE_SKIP: lines dropped */
  char *first_skip; /* "FILE:LINE: reason" of the first one */
} stage_state;

static void config_free(gpointer data)
{
  stage_config *c = data;
  rill_regex_parser_free(c->parser);
  if (c->dead_letter)
    rill_dead_letter_unref(c->dead_letter);
  g_free(c);
}

static gboolean stage_open(rill_ctx *ctx, void *user_data, void **state, GError **error)
{
  stage_config *c = user_data;
  stage_state *s = g_new0(stage_state, 1);
  s->cfg = c;
  s->parser = rill_regex_parser_copy(c->parser);
  s->json = g_string_sized_new(256);
  if (c->dead_letter)
    rill_dead_letter_acquire(c->dead_letter, ctx);
  *state = s;
  return TRUE;
}

static rill_flow reject(rill_ctx *ctx, stage_state *s, const rill_record *r, const char *reason)
{
  if (s->cfg->dead_letter)
    return rill_dead_letter_send(s->cfg->dead_letter, ctx, r, reason, NULL, -1, -1);
  const rill_bytes *file = rill_record_header(r, "file");
  const rill_bytes *line = rill_record_header(r, "line");
  char *where = g_strdup_printf("%.*s%s%.*s%s%s", file ? (int)file->len : 0, file ? (const char *)file->data : "",
                                line ? ":" : "", line ? (int)line->len : 0, line ? (const char *)line->data : "",
                                file || line ? ": " : "", reason);
  if (s->cfg->malformed == RILL_REGEX_PARSE_SKIP) {
    if (!s->skipped++)
      s->first_skip = g_steal_pointer(&where);
    g_free(where);
    rill_ctx_add_dead_letters(ctx, 1);
    return RILL_FLOW_OK;
  }
  rill_ctx_fail(ctx, "%s (give dead-letter= or malformed=skip to keep going)", where);
  g_free(where);
  return RILL_FLOW_ERROR;
}

static rill_flow stage_process(rill_ctx *ctx, void *state, guint input, rill_batch *batch, rill_emitter *out)
{
  stage_state *s = state;
  rill_flow flow = RILL_FLOW_OK;
  rill_emitter_reference(out, batch);
  const rill_record *r = rill_batch_records(batch);
  for (size_t i = 0, n = rill_batch_len(batch); i < n && flow == RILL_FLOW_OK; i++) {
    GError *err = NULL;
    g_string_truncate(s->json, 0);
    if (!rill_regex_parser_parse(s->parser, (const char *)r[i].value.data, r[i].value.len, s->json, &err)) {
      flow = reject(ctx, s, &r[i], err->message);
      g_error_free(err);
      continue;
    }
    rill_record o = r[i];
    char *v = rill_ctx_alloc(ctx, s->json->len);
    memcpy(v, s->json->str, s->json->len);
    o.value = rill_bytes_make(v, s->json->len);
    flow = rill_emit_record_raw(out, &o);
  }
  if (flow == RILL_FLOW_ERROR)
    rill_emitter_flush(out);
  rill_batch_unref(batch);
  return flow;
}

static rill_flow stage_finish(rill_ctx *ctx, void *state, rill_emitter *out)
{
  stage_state *s = state;
  if (s->skipped)
    g_printerr("%s: skipped %" G_GUINT64_FORMAT " line%s that did not parse (first: %s)\n", rill_ctx_stage_name(ctx),
               s->skipped, s->skipped == 1 ? "" : "s", s->first_skip);
  return s->cfg->dead_letter ? rill_dead_letter_flush(s->cfg->dead_letter, ctx) : RILL_FLOW_OK;
}

static void stage_close(rill_ctx *ctx, void *state)
{
  stage_state *s = state;
  if (s->cfg->dead_letter)
    rill_dead_letter_release(s->cfg->dead_letter, ctx);
  rill_regex_parser_free(s->parser);
  g_string_free(s->json, TRUE);
  g_free(s->first_skip);
  g_free(s);
}

static const rill_operator_class regex_parse_class = {
  .type_name = "regex-parse",
  .open = stage_open,
  .process = stage_process,
  .finish = stage_finish,
  .close = stage_close,
};

rill_stage *rill_pipeline_add_regex_parse(rill_pipeline *pipeline, const char *name, rill_stage *input,
                                          rill_regex_parser *parser, rill_dead_letter *dead_letter,
                                          rill_regex_parse_malformed malformed)
{
  g_return_val_if_fail(pipeline != NULL && name != NULL && input != NULL && parser != NULL, NULL);
  stage_config *c = g_new0(stage_config, 1);
  c->parser = parser;
  c->dead_letter = dead_letter ? rill_dead_letter_ref(dead_letter) : NULL;
  c->malformed = malformed;
  return rill_pipeline_add_operator(pipeline, name, &regex_parse_class, c, config_free, &input, 1);
}
