/* parse.c — the json-parse / csv-parse stage: checks each record parses,
 * lets an optional user callback keep, edit, drop or reject it, and sends
 * failures to the dead-letter output with the reason (or fails the stage
 * when there is none). Kept records reference the input batch: no copy.
 */
#include <rill/fields.h>

typedef struct {
  rill_fields_format format;
  rill_dead_letter *dead_letter;  /* may be NULL */
  rill_parse_fn fn;               /* may be NULL */
  void (*fields_setup)(rill_fields *fields, void *user_data);
  void *user_data;
  GDestroyNotify destroy;
} parse_config;

typedef struct {
  parse_config *cfg;
  rill_fields *fields;
} parse_state;

static void config_free(gpointer data)
{
  parse_config *c = data;
  if (c->destroy)
    c->destroy(c->user_data);
  if (c->dead_letter)
    rill_dead_letter_unref(c->dead_letter);
  g_free(c);
}

static gboolean parse_open(rill_ctx *ctx, void *user_data, void **state, GError **error)
{
  parse_config *c = user_data;
  parse_state *s = g_new0(parse_state, 1);
  s->cfg = c;
  s->fields = rill_fields_new(c->format);
  if (c->fields_setup)
    c->fields_setup(s->fields, c->user_data);
  if (c->dead_letter)
    rill_dead_letter_acquire(c->dead_letter, ctx);
  *state = s;
  return TRUE;
}

static rill_flow reject(rill_ctx *ctx, parse_state *s, const rill_record *r, const char *reason)
{
  if (s->cfg->dead_letter)
    return rill_dead_letter_send(s->cfg->dead_letter, ctx, r, reason, NULL, -1, -1);
  const rill_bytes *file = rill_record_header(r, "file");
  const rill_bytes *line = rill_record_header(r, "line");
  rill_ctx_fail(ctx, "%.*s%s%.*s%s%s", file ? (int)file->len : 0, file ? (const char *)file->data : "",
                line ? ":" : "", line ? (int)line->len : 0, line ? (const char *)line->data : "",
                file || line ? ": " : "", reason);
  return RILL_FLOW_ERROR;
}

static rill_flow parse_process(rill_ctx *ctx, void *state, guint input, rill_batch *batch, rill_emitter *out)
{
  parse_state *s = state;
  rill_flow flow = RILL_FLOW_OK;
  rill_emitter_reference(out, batch);
  const rill_record *r = rill_batch_records(batch);
  for (size_t i = 0, n = rill_batch_len(batch); i < n && flow == RILL_FLOW_OK; i++) {
    GError *err = NULL;
    if (!rill_fields_parse_record(s->fields, &r[i], &err)) {
      flow = reject(ctx, s, &r[i], err->message);
      g_error_free(err);
      continue;
    }
    if (!s->cfg->fn) {
      flow = rill_emit_record_raw(out, &r[i]);
      continue;
    }
    rill_record o = r[i];
    const char *reason = NULL;
    switch (s->cfg->fn(ctx, s->fields, &r[i], &o, &reason, s->cfg->user_data)) {
    case RILL_VERDICT_KEEP: flow = rill_emit_record_raw(out, &o); break;
    case RILL_VERDICT_DROP: break;
    case RILL_VERDICT_REJECT: flow = reject(ctx, s, &r[i], reason ? reason : "rejected"); break;
    case RILL_VERDICT_FAIL: flow = RILL_FLOW_ERROR; break;
    }
  }
  /* Stopping: what was accepted before the bad record still goes out. */
  if (flow == RILL_FLOW_ERROR)
    rill_emitter_flush(out);
  rill_batch_unref(batch);
  return flow;
}

static rill_flow parse_finish(rill_ctx *ctx, void *state, rill_emitter *out)
{
  parse_state *s = state;
  return s->cfg->dead_letter ? rill_dead_letter_flush(s->cfg->dead_letter, ctx) : RILL_FLOW_OK;
}

static void parse_close(rill_ctx *ctx, void *state)
{
  parse_state *s = state;
  if (s->cfg->dead_letter)
    rill_dead_letter_release(s->cfg->dead_letter, ctx);
  rill_fields_free(s->fields);
  g_free(s);
}

static const rill_operator_class json_parse_class = {
  .type_name = "json-parse",
  .open = parse_open,
  .process = parse_process,
  .finish = parse_finish,
  .close = parse_close,
};

static const rill_operator_class csv_parse_class = {
  .type_name = "csv-parse",
  .open = parse_open,
  .process = parse_process,
  .finish = parse_finish,
  .close = parse_close,
};

rill_stage *rill_pipeline_add_parse(rill_pipeline *pipeline, const char *name, rill_stage *input,
                                    rill_fields_format format, rill_dead_letter *dead_letter, rill_parse_fn fn,
                                    void (*fields_setup)(rill_fields *fields, void *user_data), void *user_data,
                                    GDestroyNotify destroy)
{
  g_return_val_if_fail(pipeline != NULL && name != NULL && input != NULL, NULL);
  parse_config *c = g_new0(parse_config, 1);
  c->format = format;
  c->dead_letter = dead_letter ? rill_dead_letter_ref(dead_letter) : NULL;
  c->fn = fn;
  c->fields_setup = fields_setup;
  c->user_data = user_data;
  c->destroy = destroy;
  return rill_pipeline_add_operator(pipeline, name, format == RILL_FIELDS_JSON ? &json_parse_class : &csv_parse_class,
                                    c, config_free, &input, 1);
}
