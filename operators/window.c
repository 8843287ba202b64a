/* window.c — the public face of windows: spec constructors, validation and
 * parsing, the stage constructor that picks the pane or session operator,
 * and the result encoding shared by both (window.h documents it). */
#include <stdlib.h>
#include <string.h>

#include "operators/window-private.h"
#include "runtime/pipeline-private.h"

G_DEFINE_QUARK(rill-window-error-quark, rill_window_error)

rill_window_spec rill_window_tumbling(int64_t size_ms)
{
  rill_window_spec s = {.kind = RILL_WINDOW_TUMBLING, .size_ms = size_ms, .slide_ms = size_ms};
  return s;
}

rill_window_spec rill_window_hopping(int64_t size_ms, int64_t slide_ms)
{
  rill_window_spec s = {.kind = RILL_WINDOW_HOPPING, .size_ms = size_ms, .slide_ms = slide_ms};
  return s;
}

rill_window_spec rill_window_session(int64_t gap_ms)
{
  rill_window_spec s = {.kind = RILL_WINDOW_SESSION, .gap_ms = gap_ms};
  return s;
}

/* Bounds keep every end + lateness far from INT64_MAX. */
#define MAX_SPAN ((int64_t)1 << 50)

gboolean rill_window_spec_validate(const rill_window_spec *spec, GError **error)
{
  g_return_val_if_fail(spec != NULL, FALSE);
  const char *bad = NULL;
  if (spec->allowed_lateness_ms < 0 || spec->allowed_lateness_ms > MAX_SPAN)
    bad = "allowed lateness must be in [0, 2^50] ms";
  else if (spec->kind == RILL_WINDOW_SESSION && (spec->gap_ms <= 0 || spec->gap_ms > MAX_SPAN))
    bad = "session gap must be in (0, 2^50] ms";
  else if (spec->kind != RILL_WINDOW_SESSION && (spec->size_ms <= 0 || spec->size_ms > MAX_SPAN))
    bad = "window size must be in (0, 2^50] ms";
  else if (spec->kind == RILL_WINDOW_HOPPING && (spec->slide_ms <= 0 || spec->slide_ms > spec->size_ms))
    bad = "hopping slide must be in (0, size] ms";
  else if (spec->kind > RILL_WINDOW_SESSION)
    bad = "unknown window kind";
  if (bad) {
    g_set_error_literal(error, RILL_WINDOW_ERROR, RILL_WINDOW_ERROR_INVALID, bad);
    return FALSE;
  }
  return TRUE;
}

static gboolean parse_duration(const char *text, int64_t *ms)
{
  char *end;
  errno = 0;
  gint64 v = g_ascii_strtoll(text, &end, 10);
  if (end == text || errno || v < 0)
    return FALSE;
  int64_t mul = 1;
  if (!*end || !strcmp(end, "ms"))
    mul = 1;
  else if (!strcmp(end, "s"))
    mul = 1000;
  else if (!strcmp(end, "m"))
    mul = 60000;
  else if (!strcmp(end, "h"))
    mul = 3600000;
  else
    return FALSE;
  if (v > MAX_SPAN / mul)
    return FALSE;
  *ms = v * mul;
  return TRUE;
}

gboolean rill_window_spec_parse(const char *text, rill_window_spec *spec, GError **error)
{
  g_return_val_if_fail(text != NULL && spec != NULL, FALSE);
  rill_window_spec s = {0};
  char **words = g_strsplit_set(text, " \t", -1);
  gboolean ok = TRUE, kind_seen = FALSE;
  const char *why = "empty window description";
  for (char **w = words; ok && *w; w++) {
    if (!**w)
      continue;
    char *eq = strchr(*w, '=');
    char *name = eq ? g_strndup(*w, (gsize)(eq - *w)) : g_strdup(*w);
    const char *val = eq ? eq + 1 : NULL;
    int64_t ms = 0;
    if (val && !parse_duration(val, &ms)) {
      ok = FALSE;
      why = "bad duration (use a number with ms, s, m or h)";
    } else if (!strcmp(name, "tumbling") || !strcmp(name, "hopping") || !strcmp(name, "session")) {
      ok = !kind_seen;
      why = "two window kinds";
      kind_seen = TRUE;
      s.kind = name[0] == 't' ? RILL_WINDOW_TUMBLING : name[0] == 'h' ? RILL_WINDOW_HOPPING : RILL_WINDOW_SESSION;
      if (val && s.kind == RILL_WINDOW_SESSION)
        s.gap_ms = ms;
      else if (val && s.kind == RILL_WINDOW_TUMBLING)
        s.size_ms = ms;
      else if (val) {
        ok = FALSE;
        why = "hopping needs size= and slide=";
      }
    } else if (val && !strcmp(name, "size")) {
      s.size_ms = ms;
    } else if (val && !strcmp(name, "slide")) {
      s.slide_ms = ms;
    } else if (val && !strcmp(name, "gap")) {
      s.gap_ms = ms;
    } else if (val && !strcmp(name, "lateness")) {
      s.allowed_lateness_ms = ms;
    } else if (val && !strcmp(name, "offset")) {
      s.offset_ms = ms;
    } else {
      ok = FALSE;
      why = "unknown word";
    }
    g_free(name);
  }
  g_strfreev(words);
  if (ok && !kind_seen) {
    ok = FALSE;
    why = "no window kind (tumbling, hopping or session)";
  }
  if (!ok) {
    g_set_error(error, RILL_WINDOW_ERROR, RILL_WINDOW_ERROR_PARSE, "cannot parse window '%s': %s", text, why);
    return FALSE;
  }
  if (s.kind == RILL_WINDOW_TUMBLING)
    s.slide_ms = s.size_ms;
  if (!rill_window_spec_validate(&s, error))
    return FALSE;
  *spec = s;
  return TRUE;
}

void rill__window_cfg_free(gpointer data)
{
  rill__window_cfg *cfg = data;
  rill_aggregate_free(cfg->agg);
  g_free(cfg);
}

static int64_t gcd64(int64_t a, int64_t b)
{
  while (b) {
    int64_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}

guint rill__window_local_top(rill_ctx *ctx, const rill__window_cfg *cfg)
{
  const GArray *outs = ctx->stage->outputs;
  if (!cfg->local_top || outs->len != 1 || g_array_index(outs, rill__edge, 0).stage != cfg->top_route)
    return 0;
  return cfg->local_top;
}

rill_stage *rill_pipeline_add_window(rill_pipeline *pipeline, const char *name, rill_stage *input,
                                     const rill_window_spec *spec, rill_aggregate *aggregate)
{
  g_return_val_if_fail(spec != NULL && aggregate != NULL, NULL);
  rill__window_cfg *cfg = g_new0(rill__window_cfg, 1);
  cfg->spec = *spec;
  cfg->agg = aggregate;
  if (cfg->spec.kind == RILL_WINDOW_TUMBLING)
    cfg->spec.slide_ms = cfg->spec.size_ms;
  if (cfg->spec.size_ms > 0 && cfg->spec.slide_ms > 0)
    cfg->slice = gcd64(cfg->spec.size_ms, cfg->spec.slide_ms);
  const rill_operator_class *klass =
    spec->kind == RILL_WINDOW_SESSION ? &rill__window_session_class : &rill__window_pane_class;
  return rill_pipeline_add_operator(pipeline, name, klass, cfg, rill__window_cfg_free, &input, 1);
}

/* ---- results ------------------------------------------------------------ */

rill_flow rill__window_emit_cached(rill_emitter *out, rill__window_bounds_text *cache, rill_bytes key,
                                   const GString *value, gboolean has_value, int64_t start, int64_t end,
                                   guint64 update)
{
  if (!cache->start_len || cache->start != start || cache->end != end) {
    cache->start = start;
    cache->end = end;
    cache->start_len = (uint8_t)rill__fmt_i64(cache->start_txt, start);
    cache->end_len = (uint8_t)rill__fmt_i64(cache->end_txt, end);
  }
  guint nh = update ? 3 : 2;
  size_t vlen = has_value ? value->len : 0;
  /* One arena block: headers, then start, end, update digits, key, value. */
  size_t size = nh * sizeof(rill_header) + 3 * 24 + key.len + vlen + 1;
  uint8_t *mem = rill_emitter_alloc(out, size);
  rill_header *h = (rill_header *)mem;
  char *p = (char *)(mem + nh * sizeof(rill_header));
  h[0].key = rill_bytes_make(RILL_WINDOW_HEADER_START, sizeof RILL_WINDOW_HEADER_START - 1);
  memcpy(p, cache->start_txt, cache->start_len);
  h[0].value = rill_bytes_make(p, cache->start_len);
  p += h[0].value.len;
  h[1].key = rill_bytes_make(RILL_WINDOW_HEADER_END, sizeof RILL_WINDOW_HEADER_END - 1);
  memcpy(p, cache->end_txt, cache->end_len);
  h[1].value = rill_bytes_make(p, cache->end_len);
  p += h[1].value.len;
  if (update) {
    h[2].key = rill_bytes_make(RILL_WINDOW_HEADER_UPDATE, sizeof RILL_WINDOW_HEADER_UPDATE - 1);
    h[2].value = rill_bytes_make(p, rill__fmt_i64(p, (int64_t)update));
    p += h[2].value.len;
  }
  rill_record r = RILL_RECORD_INIT;
  if (key.data) {
    memcpy(p, key.data, key.len);
    r.key = rill_bytes_make(p, key.len);
    p += key.len;
  }
  if (has_value) {
    memcpy(p, value->str, vlen);
    r.value = rill_bytes_make(p, vlen);
  }
  r.timestamp = end - 1;
  r.headers = h;
  r.n_headers = nh;
  return rill_emit_record_raw(out, &r);
}

rill_flow rill__window_emit(rill_emitter *out, rill_bytes key, const GString *value, gboolean has_value,
                            int64_t start, int64_t end, guint64 update)
{
  rill__window_bounds_text once = {0};
  return rill__window_emit_cached(out, &once, key, value, has_value, start, end, update);
}

void rill__window_late(rill_ctx *ctx, const rill_window_spec *spec, const rill_record *record)
{
  rill_ctx_add_late_records(ctx, 1);
  if (spec->late_fn)
    spec->late_fn(ctx, record, spec->late_data);
}

static gboolean header_i64(const rill_record *record, const char *name, int64_t *v)
{
  const rill_bytes *b = rill_record_header(record, name);
  return b && b->data && rill__parse_i64(b->data, b->len, v);
}

gboolean rill_window_result_bounds(const rill_record *record, int64_t *start, int64_t *end)
{
  g_return_val_if_fail(record != NULL, FALSE);
  int64_t s, e;
  if (!header_i64(record, RILL_WINDOW_HEADER_START, &s) || !header_i64(record, RILL_WINDOW_HEADER_END, &e))
    return FALSE;
  if (start)
    *start = s;
  if (end)
    *end = e;
  return TRUE;
}
