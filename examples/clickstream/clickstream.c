/* clickstream.c — sessionizing a clickstream with event-time session windows.
 *
 *   clicks   (file source: "TIMESTAMP_MS USER PAGE" per line)
 *     -> parse     (map: key = user, timestamp = the click time)
 *     -> time      (watermarks; the generated file is in time order)
 *     -> by-user   (key_by)
 *     -> sessions  (session window, gap --gap-min minutes, count)
 *     -> to-text   (map: "USER START_MS LAST_CLICK_MS CLICKS DURATION_S")
 *     -> report    (file sink, OUT/sessions.txt; one file per task at P > 1)
 *
 * A session is the run of a user's clicks in which each click comes at most
 * gap after the previous one (a click exactly gap later still joins: session
 * windows merge when they touch). Its window is [first, last + gap), so the
 * last click is window end - gap and the duration is last - first.
 *
 * Usage: clickstream [--out DIR] [--input FILE] [--gap-min N] [-p N]
 *                    [--users N] [--seed N]
 * Without --input it writes OUT/clicks.txt first (deterministic for a seed).
 */
#include <rill/rill.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- sample data ---------------------------------------------------------- */

typedef struct {
  int64_t ms;
  guint user, page, seq;
} click;

static int by_time(const void *a, const void *b)
{
  const click *x = a, *y = b;
  if (x->ms != y->ms)
    return x->ms < y->ms ? -1 : 1;
  return x->seq < y->seq ? -1 : x->seq > y->seq; /* stable: generation order */
}

/* Each user makes a few visits over a day; within a visit clicks come 2 s to
 * 20 min apart, and now and then exactly 30 min (the default gap) or just
 * over it, so the boundary cases are in the data. Sorted by time. */
static gboolean write_clicks(const char *path, guint users, guint32 seed, GError **error)
{
  GRand *r = g_rand_new_with_seed(seed);
  GArray *all = g_array_new(FALSE, FALSE, sizeof(click));
  const int64_t day0 = INT64_C(1700006400000); /* 2023-11-15T00:00:00Z */
  for (guint u = 0; u < users; u++) {
    guint visits = (guint)g_rand_int_range(r, 1, 6);
    for (guint v = 0; v < visits; v++) {
      int64_t t = day0 + (int64_t)g_rand_int_range(r, 0, 22 * 3600) * 1000;
      guint clicks = (guint)g_rand_int_range(r, 1, 25);
      for (guint c = 0; c < clicks; c++) {
        click k = {.ms = t, .user = u, .page = (guint)g_rand_int_range(r, 0, 40), .seq = all->len};
        g_array_append_val(all, k);
        int pick = g_rand_int_range(r, 0, 100);
        if (pick < 3)
          t += 30 * 60 * 1000; /* exactly the gap: same session */
        else if (pick < 6)
          t += 30 * 60 * 1000 + 1; /* just over: a new session */
        else
          t += (int64_t)g_rand_int_range(r, 2000, 20 * 60 * 1000);
      }
    }
  }
  g_array_sort(all, by_time);
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < all->len; i++) {
    const click *k = &g_array_index(all, click, i);
    g_string_append_printf(s, "%" G_GINT64_FORMAT " user%03u /page/%u\n", k->ms, k->user, k->page);
  }
  gboolean ok = g_file_set_contents(path, s->str, (gssize)s->len, error);
  g_string_free(s, TRUE);
  g_array_unref(all);
  g_rand_free(r);
  return ok;
}

/* ---- stages ------------------------------------------------------------------ */

/* "TIMESTAMP_MS USER PAGE" -> key = USER, timestamp; anything else fails the
 * job with the line (the input is ours). */
static rill_flow parse(rill_ctx *ctx, const rill_record *in, rill_record *out, void *user_data)
{
  const char *v = (const char *)in->value.data;
  size_t n = in->value.len, i = 0;
  int64_t ms = 0;
  while (i < n && v[i] >= '0' && v[i] <= '9')
    ms = ms * 10 + (v[i++] - '0');
  size_t user = i + 1, end = user;
  while (end < n && v[end] != ' ')
    end++;
  if (i == 0 || i >= n || v[i] != ' ' || end == user) {
    rill_ctx_fail(ctx, "not a click line: %.*s", (int)MIN(n, 80), v ? v : "");
    return RILL_FLOW_ERROR;
  }
  out->key = rill_bytes_make(v + user, end - user);
  out->timestamp = ms;
  return RILL_FLOW_OK;
}

static rill_flow to_text(rill_ctx *ctx, const rill_record *in, rill_record *out, void *user_data)
{
  int64_t gap = *(const int64_t *)user_data, start, end;
  if (!rill_window_result_bounds(in, &start, &end)) {
    rill_ctx_fail(ctx, "not a window result");
    return RILL_FLOW_ERROR;
  }
  int64_t last = end - gap;
  char *line = g_strdup_printf("%.*s %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %.*s %" G_GINT64_FORMAT,
                               (int)in->key.len, (const char *)in->key.data, start, last, (int)in->value.len,
                               (const char *)in->value.data, (last - start) / 1000);
  size_t len = strlen(line);
  char *v = rill_ctx_alloc(ctx, len);
  memcpy(v, line, len);
  g_free(line);
  out->value = rill_bytes_make(v, len);
  return RILL_FLOW_OK;
}

/* ---- main ---------------------------------------------------------------------- */

int main(int argc, char **argv)
{
  char *opt_out = NULL, *opt_input = NULL;
  gint opt_gap_min = 30, opt_parallelism = 1, opt_users = 200, opt_seed = 7;
  const GOptionEntry entries[] = {
    {"out", 'o', 0, G_OPTION_ARG_FILENAME, &opt_out, "Output directory (default ./clickstream-out)", "DIR"},
    {"input", 'i', 0, G_OPTION_ARG_FILENAME, &opt_input, "Read these clicks instead of generating them", "FILE"},
    {"gap-min", 'g', 0, G_OPTION_ARG_INT, &opt_gap_min, "Session gap in minutes (default 30)", "N"},
    {"parallelism", 'p', 0, G_OPTION_ARG_INT, &opt_parallelism, "Tasks per stage (default 1)", "N"},
    {"users", 0, 0, G_OPTION_ARG_INT, &opt_users, "Generated users (default 200)", "N"},
    {"seed", 0, 0, G_OPTION_ARG_INT, &opt_seed, "Generator seed (default 7)", "N"},
    G_OPTION_ENTRY_NULL};
  int status = 1;
  GError *error = NULL;
  rill_pipeline *p = NULL;
  char *clicks = NULL, *report = NULL;
  GOptionContext *oc = g_option_context_new("- user sessions from a clickstream");
  g_option_context_add_main_entries(oc, entries, NULL);
  if (!g_option_context_parse(oc, &argc, &argv, &error))
    goto fail;
  const char *out_dir = opt_out ? opt_out : "clickstream-out";
  if (g_mkdir_with_parents(out_dir, 0755) != 0) {
    g_set_error(&error, G_FILE_ERROR, g_file_error_from_errno(errno), "cannot create %s", out_dir);
    goto fail;
  }
  clicks = opt_input ? g_strdup(opt_input) : g_build_filename(out_dir, "clicks.txt", NULL);
  if (!opt_input && !write_clicks(clicks, (guint)MAX(opt_users, 1), (guint32)opt_seed, &error))
    goto fail;
  int64_t gap = (int64_t)MAX(opt_gap_min, 1) * 60 * 1000;

  report = g_build_filename(out_dir, "sessions.txt", NULL);
  p = rill_pipeline_new("clickstream");
  rill_pipeline_set_parallelism(p, (guint)MAX(opt_parallelism, 1));
  rill_file_source *src = rill_file_source_new(clicks, RILL_FILE_FORMAT_LINES);
  rill_file_source_set_position_headers(src, FALSE);
  rill_stage *s = rill_pipeline_add_file_source(p, "clicks", src);
  s = rill_pipeline_add_map(p, "parse", s, parse, NULL, NULL);
  rill_watermark_options wo = {.max_out_of_orderness_ms = 0};
  s = rill_pipeline_add_watermarks(p, "time", s, &wo);
  s = rill_pipeline_add_key_by(p, "by-user", s, NULL, NULL, NULL);
  rill_window_spec session = rill_window_session(gap);
  s = rill_pipeline_add_window(p, "sessions", s, &session, rill_aggregate_count());
  s = rill_pipeline_add_map(p, "to-text", s, to_text, &gap, NULL);
  rill_file_sink *sink = rill_file_sink_new(report, RILL_FILE_FORMAT_LINES);
  rill_file_sink_set_fsync(sink, FALSE);
  rill_pipeline_add_file_sink(p, "report", s, sink);
  if (!rill_pipeline_run(p, &error))
    goto fail;

  guint n;
  guint64 in = 0, sessions = 0;
  rill_stage_metrics *m = rill_pipeline_get_metrics(p, &n);
  for (guint i = 0; i < n; i++) {
    if (strcmp(m[i].stage, "parse") == 0)
      in += m[i].records_in;
    if (strcmp(m[i].stage, "report") == 0)
      sessions += m[i].records_in;
  }
  g_free(m);
  g_print("clickstream: %" G_GUINT64_FORMAT " clicks -> %" G_GUINT64_FORMAT " sessions (gap %d min) -> %s\n", in,
          sessions, MAX(opt_gap_min, 1), report);
  status = 0;
  goto out;

fail:
  g_printerr("clickstream: %s\n", error ? error->message : "failed");
out:
  rill_pipeline_unref(p);
  g_clear_error(&error);
  g_free(clicks);
  g_free(report);
  g_free(opt_out);
  g_free(opt_input);
  g_option_context_free(oc);
  return status;
}
