/* access-log.c — the flagship ETL job: web-server access logs in, server
 * errors per path per minute out, through a topic of the embedded log.
 *
 *   pipeline "errors"  (P tasks)
 *     logs (archive or file source)
 *       -> parse   (operator: Common Log Format -> key=path, value=status,
 *                   event time; malformed lines -> dead-letters.jsonl)
 *       -> 5xx     (filter: status >= 500)
 *       -> time    (watermarks, 5 s out of order)
 *       -> by-path (key_by)
 *       -> per-minute (tumbling 60 s window, count)
 *       -> topic   (log sink: topic "errors-per-minute" in OUT/data)
 *   pipeline "report"  (1 task)
 *     topic (log source) -> to-json (map) -> report (file sink, OUT/report.jsonl)
 *
 * Where the topic lives is configuration only:
 * - default: the embedded log in OUT/data (recreated each run);
 * - --listen HOST:PORT: the same embedded log, also served to Kafka clients
 *   (kcat, ...) by an embedded broker from the start of the job; after the
 *   report the process keeps serving until SIGINT/SIGTERM;
 * - --bootstrap-servers HOST:PORT: an external Kafka-compatible broker
 *   through the Kafka sink and source instead of the log connectors (the
 *   topic is created by the broker on first use; use a fresh --topic per run,
 *   since the report reads the whole topic).
 *
 * Usage: access-log [--out DIR] [--input PATH]... [-p N] [--files N]
 *                   [--lines-per-file N] [--quiet] [--topic NAME]
 *                   [--listen HOST:PORT | --bootstrap-servers HOST:PORT]
 *        access-log --generate-plain DIR [--files N] [--lines-per-file N]
 * Without --input it generates OUT/logs.tar.gz (deterministic) and reads
 * that. --input takes archives (by suffix) or plain files, directories and
 * globs; several are read one after the other per task, file i by task
 * i % P. A line is malformed unless it is exactly
 *   IP - - [DD/Mon/YYYY:HH:MM:SS +0000] "METHOD PATH HTTP/1.x" STATUS BYTES
 * (the same grammar as errors-per-minute.awk, which the test and the
 * benchmark run side by side).
 */
#include <rill/broker.h>
#include <rill/rill.h>

#include <glib-unix.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "generate.h"

#define DEFAULT_TOPIC "errors-per-minute"

/* ---- parsing one line (no allocation) -------------------------------------- */

typedef struct {
  rill_bytes path, status;
  int64_t ms;
} access_line;

static gboolean digits(const uint8_t *s, size_t n, int *out)
{
  int v = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      return FALSE;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return TRUE;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

#define EXPECT(lit)                                                                                              \
  do {                                                                                                           \
    if ((size_t)(end - p) < sizeof(lit) - 1 || memcmp(p, lit, sizeof(lit) - 1) != 0)                             \
      return FALSE;                                                                                              \
    p += sizeof(lit) - 1;                                                                                        \
  } while (0)

static gboolean parse_line(const uint8_t *s, size_t n, access_line *out)
{
  static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
  const uint8_t *p = s, *end = s + n;
  while (p < end && ((*p >= '0' && *p <= '9') || *p == '.'))
    p++;
  if (p == s)
    return FALSE;
  EXPECT(" - - [");
  if (end - p < 20)
    return FALSE;
  int day, year, hh, mm, ss, mon = -1, status, unused;
  if (!digits(p, 2, &day) || p[2] != '/' || p[6] != '/' || !digits(p + 7, 4, &year) || p[11] != ':' ||
      !digits(p + 12, 2, &hh) || p[14] != ':' || !digits(p + 15, 2, &mm) || p[17] != ':' || !digits(p + 18, 2, &ss))
    return FALSE;
  for (int m = 0; m < 12 && mon < 0; m++)
    if (memcmp(p + 3, months + 3 * m, 3) == 0)
      mon = m + 1;
  if (mon < 0)
    return FALSE;
  p += 20;
  EXPECT(" +0000] \"");
  const uint8_t *method = p;
  while (p < end && *p >= 'A' && *p <= 'Z')
    p++;
  if (p == method)
    return FALSE;
  EXPECT(" ");
  const uint8_t *path = p;
  while (p < end && *p != ' ' && *p != '"')
    p++;
  if (p == path)
    return FALSE;
  out->path = rill_bytes_make(path, (size_t)(p - path));
  EXPECT(" HTTP/1.");
  if (p >= end || (*p != '0' && *p != '1'))
    return FALSE;
  p++;
  EXPECT("\" ");
  if (end - p < 5 || !digits(p, 3, &status) || p[3] != ' ')
    return FALSE;
  out->status = rill_bytes_make(p, 3);
  p += 4;
  if (p == end || !digits(p, (size_t)(end - p) > 9 ? 9 : (size_t)(end - p), &unused))
    return FALSE;
  for (; p < end; p++)
    if (*p < '0' || *p > '9')
      return FALSE;
  out->ms = ((days_from_civil(year, mon, day) * 24 + hh) * 3600 + mm * 60 + ss) * 1000;
  return TRUE;
}

/* ---- the parse operator ----------------------------------------------------- */

static gboolean parse_open(rill_ctx *ctx, void *user_data, void **state, GError **error)
{
  rill_dead_letter_acquire(user_data, ctx);
  *state = user_data;
  return TRUE;
}

static rill_flow parse_process(rill_ctx *ctx, void *state, guint input, rill_batch *batch, rill_emitter *out)
{
  rill_flow flow = RILL_FLOW_OK;
  const rill_record *records = rill_batch_records(batch);
  size_t n = rill_batch_len(batch);
  for (size_t i = 0; i < n && flow == RILL_FLOW_OK; i++) {
    const rill_record *r = &records[i];
    access_line l;
    if (!r->value.data || !parse_line(r->value.data, r->value.len, &l)) {
      flow = rill_dead_letter_send(state, ctx, r, "not an access log line", NULL, -1, -1);
      continue;
    }
    rill_record o = RILL_RECORD_INIT;
    o.key = l.path;     /* views into the line: the input batch stays referenced */
    o.value = l.status;
    o.timestamp = l.ms;
    flow = rill_emit_record_ref(out, &o, batch);
  }
  rill_batch_unref(batch);
  return flow;
}

static rill_flow parse_finish(rill_ctx *ctx, void *state, rill_emitter *out)
{
  return rill_dead_letter_flush(state, ctx);
}

static void parse_close(rill_ctx *ctx, void *state)
{
  rill_dead_letter_release(state, ctx);
}

static const rill_operator_class parse_class = {
  .type_name = "parse-access-log",
  .open = parse_open,
  .process = parse_process,
  .finish = parse_finish,
  .close = parse_close,
};

static rill_verdict server_error(rill_ctx *ctx, const rill_record *r, void *user_data)
{
  return r->value.data[0] >= '5' ? RILL_VERDICT_KEEP : RILL_VERDICT_DROP; /* three digits: >= 500 */
}

/* ---- report formatting --------------------------------------------------------- */

static rill_flow to_json(rill_ctx *ctx, const rill_record *in, rill_record *out, void *user_data)
{
  int64_t start, end;
  if (!rill_window_result_bounds(in, &start, &end)) {
    rill_ctx_fail(ctx, "record at offset %" G_GINT64_FORMAT " is not a window result", in->offset);
    return RILL_FLOW_ERROR;
  }
  time_t t = (time_t)(start / 1000);
  struct tm tm;
  gmtime_r(&t, &tm);
  char minute[32];
  strftime(minute, sizeof minute, "%Y-%m-%dT%H:%M", &tm);
  GString *s = g_string_new(NULL);
  g_string_append_printf(s, "{\"minute\":\"%s\",\"path\":", minute);
  rill_json_append_string(s, (const char *)in->key.data, (gssize)in->key.len);
  g_string_append_printf(s, ",\"errors\":%.*s,\"window_start\":%" G_GINT64_FORMAT "}", (int)in->value.len,
                         (const char *)in->value.data, start);
  char *v = rill_ctx_alloc(ctx, s->len);
  memcpy(v, s->str, s->len);
  out->value = rill_bytes_make(v, s->len);
  g_string_free(s, TRUE);
  return RILL_FLOW_OK;
}

/* ---- options and main ---------------------------------------------------------- */

static char *opt_out, *opt_generate_plain, *opt_listen, *opt_bootstrap, *opt_topic;
static char **opt_inputs;
static gint opt_parallelism = 1, opt_files = 4;
static gint64 opt_lines_per_file = 25000;
static gboolean opt_quiet, opt_metrics;

static const GOptionEntry entries[] = {
  {"out", 'o', 0, G_OPTION_ARG_FILENAME, &opt_out, "Output directory (default ./access-log-out)", "DIR"},
  {"input", 'i', 0, G_OPTION_ARG_FILENAME_ARRAY, &opt_inputs, "Read these logs instead of generating them", "PATH"},
  {"parallelism", 'p', 0, G_OPTION_ARG_INT, &opt_parallelism, "Tasks per stage (default 1)", "N"},
  {"files", 0, 0, G_OPTION_ARG_INT, &opt_files, "Generated log files (default 4)", "N"},
  {"lines-per-file", 0, 0, G_OPTION_ARG_INT64, &opt_lines_per_file, "Generated lines per file (default 25000)", "N"},
  {"generate-plain", 0, 0, G_OPTION_ARG_FILENAME, &opt_generate_plain, "Only write plain log files into DIR", "DIR"},
  {"quiet", 'q', 0, G_OPTION_ARG_NONE, &opt_quiet, "No progress line", NULL},
  {"metrics", 'm', 0, G_OPTION_ARG_NONE, &opt_metrics, "Print per-stage metrics to stderr", NULL},
  {"topic", 't', 0, G_OPTION_ARG_STRING, &opt_topic, "Topic name (default " DEFAULT_TOPIC ")", "NAME"},
  {"listen", 'l', 0, G_OPTION_ARG_STRING, &opt_listen, "Also serve the embedded log to Kafka clients", "HOST:PORT"},
  {"bootstrap-servers", 'b', 0, G_OPTION_ARG_STRING, &opt_bootstrap, "Use this Kafka-compatible broker for the topic",
   "HOST:PORT"},
  G_OPTION_ENTRY_NULL};

static gboolean is_archive(const char *path)
{
  static const char *const suffixes[] = {".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar.zst", ".zip", ".7z"};
  for (guint i = 0; i < G_N_ELEMENTS(suffixes); i++)
    if (g_str_has_suffix(path, suffixes[i]))
      return TRUE;
  return FALSE;
}

/* One source stage per input (joined by a union when there are several). */
static rill_stage *add_inputs(rill_pipeline *p, char **inputs, GError **error)
{
  GPtrArray *stages = g_ptr_array_new();
  rill_stage *result = NULL;
  for (guint i = 0; inputs[i]; i++) {
    char *name = g_strdup_printf("logs-%u", i);
    rill_stage *s;
    if (is_archive(inputs[i])) {
      rill_archive_source_options o = {.paths = (const char *const[]){inputs[i], NULL}};
      rill_archive_source *src = rill_archive_source_new(&o, error);
      s = src ? rill_pipeline_add_archive_source(p, name, src) : NULL;
    } else {
      rill_file_source *src = rill_file_source_new(inputs[i], RILL_FILE_FORMAT_LINES);
      rill_file_source_set_position_headers(src, FALSE);
      s = rill_pipeline_add_file_source(p, name, src);
    }
    g_free(name);
    if (!s)
      goto out;
    g_ptr_array_add(stages, s);
  }
  result = stages->len == 1 ? stages->pdata[0]
                            : rill_pipeline_add_union(p, "logs", (rill_stage *const *)stages->pdata, stages->len);
out:
  g_ptr_array_unref(stages);
  return result;
}

static guint64 metric(rill_pipeline *p, const char *stage, gboolean out)
{
  guint n;
  guint64 v = 0;
  rill_stage_metrics *m = rill_pipeline_get_metrics(p, &n);
  for (guint i = 0; i < n; i++)
    if (strcmp(m[i].stage, stage) == 0 || (g_str_has_prefix(m[i].stage, stage) && m[i].role == RILL_STAGE_SOURCE))
      v += out ? m[i].records_out : m[i].records_in;
  g_free(m);
  return v;
}

/* --listen: a broker over the job's own log, so network clients see the
 * topic as the job writes it. */
static rill_broker *serve_log(rill_log *log, const char *listen, GError **error)
{
  rill_broker_config *c = rill_broker_config_new();
  rill_broker *b = NULL;
  if (!rill_broker_config_set(c, "listeners", listen, error))
    goto out;
  b = rill_broker_new_for_log(c, log, error);
  if (b && !rill_broker_start(b, error))
    g_clear_pointer(&b, rill_broker_free);
out:
  rill_broker_config_free(c);
  return b;
}

static gboolean quit_loop(gpointer loop)
{
  g_main_loop_quit(loop);
  return G_SOURCE_REMOVE;
}

/* Serves until SIGINT or SIGTERM. */
static void serve_until_signal(void)
{
  GMainLoop *loop = g_main_loop_new(NULL, FALSE);
  guint a = g_unix_signal_add(SIGINT, quit_loop, loop), b = g_unix_signal_add(SIGTERM, quit_loop, loop);
  g_main_loop_run(loop);
  g_source_remove(a);
  g_source_remove(b);
  g_main_loop_unref(loop);
}

static double elapsed_s(gint64 since_us)
{
  return (double)(g_get_monotonic_time() - since_us) / 1e6;
}

int main(int argc, char **argv)
{
  int status = 1;
  GError *error = NULL;
  rill_log *log = NULL;
  rill_broker *broker = NULL;
  rill_kafka_conf *kconf = NULL;
  rill_pipeline *errors = NULL, *report = NULL;
  rill_dead_letter *dl = NULL;
  char *data_dir = NULL, *dl_path = NULL, *report_path = NULL, *tar_path = NULL;
  GOptionContext *oc = g_option_context_new("- server errors per path per minute from access logs");
  g_option_context_add_main_entries(oc, entries, NULL);
  if (!g_option_context_parse(oc, &argc, &argv, &error))
    goto fail;
  access_log_spec spec = {.files = (guint)MAX(opt_files, 1), .lines_per_file = (guint64)MAX(opt_lines_per_file, 1),
                          .seed = 2023};
  if (opt_generate_plain) {
    if (!access_log_write_plain(opt_generate_plain, &spec, &error))
      goto fail;
    status = 0;
    goto out;
  }
  const char *out_dir = opt_out ? opt_out : "access-log-out";
  if (g_mkdir_with_parents(out_dir, 0755) != 0) {
    g_set_error(&error, G_FILE_ERROR, g_file_error_from_errno(errno), "cannot create %s", out_dir);
    goto fail;
  }
  char *default_inputs[2] = {NULL, NULL};
  if (!opt_inputs) {
    tar_path = g_build_filename(out_dir, "logs.tar.gz", NULL);
    if (!access_log_write_tar_gz(tar_path, &spec, &error))
      goto fail;
    default_inputs[0] = tar_path;
  }
  char **inputs = opt_inputs ? opt_inputs : default_inputs;

  const char *topic = opt_topic ? opt_topic : DEFAULT_TOPIC;
  if (opt_bootstrap && opt_listen) {
    g_set_error(&error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, "--listen serves the embedded log: not with --bootstrap-servers");
    goto fail;
  }
  if (opt_bootstrap) {
    /* An external broker: only the configuration differs. */
    kconf = rill_kafka_conf_new();
    if (!rill_kafka_conf_set(kconf, "bootstrap.servers", opt_bootstrap, &error))
      goto fail;
  } else {
    /* The embedded log: a fresh topic each run, one partition per task. */
    data_dir = g_build_filename(out_dir, "data", NULL);
    log = rill_log_open(data_dir, NULL, &error);
    if (!log)
      goto fail;
    if (rill_log_topic_describe(log, topic, NULL, NULL, NULL) && !rill_log_topic_delete(log, topic, &error))
      goto fail;
    if (!rill_log_topic_create(log, topic, opt_parallelism, NULL, &error))
      goto fail;
    if (opt_listen) {
      broker = serve_log(log, opt_listen, &error);
      if (!broker)
        goto fail;
      g_print("access-log: serving %s on %s port %u\n", topic, opt_listen, rill_broker_port(broker));
      fflush(stdout);
    }
  }

  /* Pipeline 1: logs -> errors per path per minute -> topic. */
  dl_path = g_build_filename(out_dir, "dead-letters.jsonl", NULL);
  rill_file_sink *dl_sink = rill_file_sink_new(dl_path, RILL_FILE_FORMAT_JSONL);
  rill_file_sink_set_fsync(dl_sink, FALSE);
  dl = rill_dead_letter_new(&rill_file_sink_class, dl_sink, (GDestroyNotify)rill_file_sink_free);
  errors = rill_pipeline_new("errors");
  rill_pipeline_set_parallelism(errors, (guint)MAX(opt_parallelism, 1));
  rill_stage *s = add_inputs(errors, inputs, &error);
  if (!s)
    goto fail;
  s = rill_pipeline_add_operator(errors, "parse", &parse_class, rill_dead_letter_ref(dl),
                                 (GDestroyNotify)rill_dead_letter_unref, &s, 1);
  s = rill_pipeline_add_filter(errors, "5xx", s, server_error, NULL, NULL);
  rill_watermark_options wo = {.max_out_of_orderness_ms = 5000};
  s = rill_pipeline_add_watermarks(errors, "time", s, &wo);
  s = rill_pipeline_add_key_by(errors, "by-path", s, NULL, NULL, NULL);
  rill_window_spec minute = rill_window_tumbling(60000);
  s = rill_pipeline_add_window(errors, "per-minute", s, &minute, rill_aggregate_count());
  rill_log_sink_options so = {.log = log, .topic = topic};
  rill_kafka_sink_options ko = {.topic = topic, .conf = kconf};
  if (!(kconf ? rill_pipeline_add_kafka_sink(errors, "topic", s, &ko, &error)
              : rill_pipeline_add_log_sink(errors, "topic", s, &so, &error)))
    goto fail;
  if (opt_metrics)
    rill_pipeline_set_metrics_output(errors, stderr);
  rill_pipeline_watch_signals(errors);
  rill_progress_options po = {.quiet = opt_quiet};
  gint64 t0 = g_get_monotonic_time();
  rill_progress *pr = rill_progress_attach(errors, &po);
  gboolean ok = rill_pipeline_run(errors, &error);
  rill_progress_detach(pr);
  double t_errors = elapsed_s(t0);
  if (!ok)
    goto fail;

  /* Pipeline 2: topic -> JSON Lines report. */
  report_path = g_build_filename(out_dir, "report.jsonl", NULL);
  report = rill_pipeline_new("report");
  rill_log_source_options ro = {.log = log, .topic = topic};
  rill_kafka_source_options kro = {.topic = topic, .conf = kconf, .from = RILL_KAFKA_FROM_EARLIEST, .stop_at_end = TRUE};
  s = kconf ? rill_pipeline_add_kafka_source(report, "topic", &kro, &error)
            : rill_pipeline_add_log_source(report, "topic", &ro, &error);
  if (!s)
    goto fail;
  s = rill_pipeline_add_map(report, "to-json", s, to_json, NULL, NULL);
  rill_pipeline_add_file_sink(report, "report", s, rill_file_sink_new(report_path, RILL_FILE_FORMAT_JSONL));
  t0 = g_get_monotonic_time();
  if (!rill_pipeline_run(report, &error))
    goto fail;
  double t_report = elapsed_s(t0);

  guint64 lines = metric(errors, "logs", TRUE);
  g_print("access-log: read %" G_GUINT64_FORMAT " lines in %.2f s (P=%d, %.0f lines/s)\n", lines, t_errors,
          opt_parallelism, t_errors > 0 ? (double)lines / t_errors : 0.0);
  for (guint i = 0; inputs[i]; i++)
    g_print("  input:           %s\n", inputs[i]);
  g_print("  malformed lines: %" G_GUINT64_FORMAT " -> %s\n", rill_dead_letter_count(dl), dl_path);
  g_print("  server errors:   %" G_GUINT64_FORMAT " in %" G_GUINT64_FORMAT
          " (minute, path) windows -> topic %s %s %s\n",
          metric(errors, "5xx", TRUE), metric(errors, "per-minute", TRUE), topic, kconf ? "at" : "in",
          kconf ? opt_bootstrap : data_dir);
  g_print("  report:          %" G_GUINT64_FORMAT " lines -> %s (%.2f s)\n", metric(report, "report", FALSE),
          report_path, t_report);
  if (broker) {
    g_print("access-log: still serving %s on port %u; Ctrl-C to stop\n", topic, rill_broker_port(broker));
    fflush(stdout);
    serve_until_signal();
  }
  status = 0;
  goto out;

fail:
  g_printerr("access-log: %s\n", error ? error->message : "failed");
out:
  rill_pipeline_unref(errors);
  rill_pipeline_unref(report);
  if (dl)
    rill_dead_letter_unref(dl);
  if (broker)
    rill_broker_free(broker); /* before the log it serves */
  if (log)
    rill_log_close(log);
  rill_kafka_conf_free(kconf);
  g_clear_error(&error);
  g_free(data_dir);
  g_free(dl_path);
  g_free(report_path);
  g_free(tar_path);
  g_free(opt_out);
  g_free(opt_generate_plain);
  g_free(opt_listen);
  g_free(opt_bootstrap);
  g_free(opt_topic);
  g_strfreev(opt_inputs);
  g_option_context_free(oc);
  return status;
}
