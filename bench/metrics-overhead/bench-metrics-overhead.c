/* bench-metrics-overhead.c — what serving metrics costs the data path: the
 * pipeline and broker workloads with the HTTP service off, and on with a
 * scraper fetching /metrics every 100 ms, alternating within each run.
 *
 *   bench-metrics-overhead RILL_BROKER_EXE [RUNS]
 *
 * Pipeline: bench-pipeline's workload (generate 116-byte records -> map
 * rewriting the value -> filter keeping about half -> counting sink, P = 1),
 * in this process; "on" adds rill_pipeline_serve_http() on a loopback port.
 * Broker: bench-broker's rill side (rill-broker process, durability none,
 * one partition, librdkafka producer, acks=all, 100-byte records); "on"
 * starts it with --http. Both sides must deliver every record; every scrape
 * must answer 200 with the families expected, or the benchmark fails.
 *
 * The scraper is a separate process (this program with --scrape), as
 * Prometheus would be. Throughput is reported two ways: per second of wall
 * time, and per second of CPU time of the process doing the work (this
 * process for the pipeline, HTTP thread included; every thread of the
 * rill-broker process for the broker, from /proc/PID/task/TID/schedstat).
 * The CPU figure is what the service costs, and it holds on a shared,
 * loaded machine where wall time mostly measures the neighbours; RESULT's
 * ratio uses it, the wall ratios are printed beside it.
 *
 * Prints each run and the medians; the last line is
 *   RESULT name=metrics-overhead ours=<pipeline on, rec/CPU s>
 *   baseline=<pipeline off> unit=rec/cpu_s ratio=<min of the two on/off
 *   CPU ratios, each the median of the runs' paired on/off ratios> ratio_pipeline=... ratio_broker=... wall_ratio_pipeline=...
 *   wall_ratio_broker=...
 * (target: ratio >= 0.97).
 */
#include <rill/rill.h>

#include <libsoup/soup.h>
#include <poll.h>
#include <sys/resource.h>

#include "bench/kafka-bench.h"
#include "bench/pipeline/workload.h"
#include "bench/stats.h"

#define WHO "bench-metrics-overhead"
#define PIPELINE_RECORDS 5000000
#define BROKER_RECORDS 3000000
#define BROKER_RECORD_SIZE 100
#define SCRAPE_MS 100

/* ---- the scraper (a child process) ---------------------------------------------- */

/* --scrape PORT FAMILY: GETs /metrics every 100 ms until stdin ends,
 * failing if an answer is not 200 or lacks FAMILY; prints the count. */
static int scrape_main(guint port, const char *must_contain)
{
  SoupSession *session = soup_session_new();
  g_autofree char *url = g_strdup_printf("http://127.0.0.1:%u/metrics", port);
  guint scrapes = 0;
  for (;;) {
    SoupMessage *msg = soup_message_new("GET", url);
    GBytes *body = soup_session_send_and_read(session, msg, NULL, NULL);
    gsize n = 0;
    const char *text = body ? g_bytes_get_data(body, &n) : NULL;
    if (soup_message_get_status(msg) != 200 || !text || !g_strstr_len(text, (gssize)n, must_contain))
      bench_die(WHO, "a scrape failed or lacked the expected metrics");
    scrapes++;
    g_bytes_unref(body);
    g_object_unref(msg);
    struct pollfd pfd = {.fd = 0, .events = POLLIN};
    if (poll(&pfd, 1, SCRAPE_MS) > 0)
      break; /* EOF on stdin: the parent is done */
  }
  g_object_unref(session);
  printf("%u\n", scrapes);
  return 0;
}

typedef struct {
  GPid pid;
  int in, out;
} scraper;

static void scraper_start(scraper *s, const char *self, guint port, const char *must_contain)
{
  g_autofree char *p = g_strdup_printf("%u", port);
  const char *argv[] = {self, "--scrape", p, must_contain, NULL};
  GError *e = NULL;
  if (!g_spawn_async_with_pipes(NULL, (char **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, bench_child_setup,
                                GINT_TO_POINTER(getpid()), &s->pid, &s->in, &s->out, NULL, &e))
    bench_die(WHO, e->message);
}

/* Ends the scraper; returns how many scrapes it made (all succeeded). */
static guint scraper_stop(scraper *s)
{
  close(s->in);
  char buf[32] = {0};
  ssize_t n = read(s->out, buf, sizeof buf - 1);
  int status;
  waitpid(s->pid, &status, 0);
  g_spawn_close_pid(s->pid);
  close(s->out);
  if (n <= 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    bench_die(WHO, "the scraper failed");
  return (guint)atoi(buf);
}

/* CPU seconds this process has used (every thread). */
static double self_cpu_s(void)
{
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* CPU seconds every live thread of process @pid has used, to the
 * nanosecond (the first field of /proc/PID/task/TID/schedstat); clock
 * ticks are too coarse for a broker that needs a fraction of a second. */
static double process_cpu_s(GPid pid)
{
  g_autofree char *dir = g_strdup_printf("/proc/%d/task", (int)pid);
  GDir *d = g_dir_open(dir, 0, NULL);
  if (!d)
    bench_die(WHO, "cannot list the broker's threads");
  double total = 0;
  const char *tid;
  while ((tid = g_dir_read_name(d)) != NULL) {
    g_autofree char *path = g_build_filename(dir, tid, "schedstat", NULL);
    g_autofree char *text = NULL;
    if (g_file_get_contents(path, &text, NULL, NULL))
      total += g_ascii_strtod(text, NULL) / 1e9;
  }
  g_dir_close(d);
  return total;
}

/* ---- the pipeline workload (bench/pipeline/workload.h) ------------------------------ */

/* Records/s through the pipeline (and per CPU second in @per_cpu); with
 * @http, served and scraped. */
static double run_pipeline(const char *self, gboolean http, guint64 n, guint64 *kept, guint *scrapes,
                           double *per_cpu)
{
  workload_totals totals = {0, 0};
  rill_pipeline *p = rill_pipeline_new("bench");
  workload_add(p, &n, &totals);
  GError *error = NULL;
  rill_http_server *srv = NULL;
  scraper sc;
  if (http) {
    srv = rill_http_server_new(NULL, &error);
    rill_pipeline_serve_http(p, srv);
    if (!rill_http_server_listen(srv, "127.0.0.1:0", &error))
      bench_die(WHO, error->message);
    scraper_start(&sc, self, rill_http_server_get_port(srv), "rill_pipeline_records_in_total{");
  }
  gint64 t0 = g_get_monotonic_time();
  double c0 = self_cpu_s();
  if (!rill_pipeline_run(p, &error))
    bench_die(WHO, error->message);
  double dt = (double)(g_get_monotonic_time() - t0) / 1e6;
  *per_cpu = (double)n / (self_cpu_s() - c0);
  if (http) {
    *scrapes = scraper_stop(&sc);
    rill_http_server_free(srv);
  }
  rill_pipeline_unref(p);
  *kept = totals.count;
  return (double)n / dt;
}

/* ---- the broker workload (bench-broker's rill side) ---------------------------------- */

/* The HTTP port rill-broker announced in its event log. */
static guint http_port(const bench_broker *b)
{
  g_autofree char *events = g_build_filename(b->dir, "events.log", NULL);
  for (int i = 0; i < 3000; i++) {
    g_autofree char *text = NULL;
    g_file_get_contents(events, &text, NULL, NULL);
    const char *l = text ? strstr(text, "event=http_listening") : NULL;
    const char *p = l ? strstr(l, " port=") : NULL;
    if (p)
      return (guint)atoi(p + 6);
    g_usleep(10000);
  }
  bench_die(WHO, "rill-broker did not announce its HTTP port");
  return 0;
}

/* Records/s produced (and per CPU second of the rill-broker process). */
static double run_broker(const char *self, const char *exe, gboolean http, guint *scrapes, double *per_cpu)
{
  bench_broker b;
  const char *sets[] = {"rill.durability=none", NULL};
  const char *args[] = {"--http", "127.0.0.1:0", NULL};
  bench_broker_start_args(&b, WHO, exe, sets, http ? args : NULL);
  bench_target t = {.rill = b, .bootstrap = b.bootstrap};
  bench_target_create_topic(&t, WHO, "bench", 1);
  scraper sc;
  if (http)
    scraper_start(&sc, self, http_port(&b), "rill_broker_records_in_total{topic=\"bench\"");
  double c0 = process_cpu_s(b.pid);
  double rate = bench_produce(WHO, t.bootstrap, bench_bulk_producer_conf, "bench", 1, BROKER_RECORDS,
                              BROKER_RECORD_SIZE);
  *per_cpu = BROKER_RECORDS / (process_cpu_s(b.pid) - c0);
  if (http)
    *scrapes = scraper_stop(&sc);
  bench_broker_stop(&t.rill);
  return rate;
}

int main(int argc, char **argv)
{
  if (argc == 4 && strcmp(argv[1], "--scrape") == 0)
    return scrape_main((guint)atoi(argv[2]), argv[3]);
  if (argc < 2)
    bench_die(WHO, "usage: bench-metrics-overhead RILL_BROKER_EXE [RUNS]");
  const char *self = argv[0], *exe = argv[1];
  int runs = argc > 2 ? atoi(argv[2]) : 5;
  if (runs < 1 || runs > 15)
    bench_die(WHO, "RUNS must be 1..15");
  signal(SIGPIPE, SIG_IGN);
  printf("bench-metrics-overhead: /metrics scraped every %d ms when on; pipeline %d records, broker %d x %d B, "
         "medians of %d runs\n", SCRAPE_MS, PIPELINE_RECORDS, BROKER_RECORDS, BROKER_RECORD_SIZE, runs);
  /* [off, on][run]: wall and CPU throughput */
  double pw[2][15], pc[2][15], bw[2][15], bc[2][15];
  for (int r = 0; r < runs; r++) {
    /* Alternate which side goes first, so drift in the machine's load
     * does not always favour one. */
    int first = r % 2;
    guint64 kept[2] = {0, 0};
    guint sp = 0, sb = 0, unused = 0;
    for (int k = 0; k < 2; k++) {
      int on = k == 0 ? first : !first;
      pw[on][r] = run_pipeline(self, on, PIPELINE_RECORDS, &kept[on], on ? &sp : &unused, &pc[on][r]);
    }
    if (kept[0] != kept[1] || kept[0] == 0)
      bench_die(WHO, "the pipeline kept different counts with and without HTTP");
    for (int k = 0; k < 2; k++) {
      int on = k == 0 ? first : !first;
      bw[on][r] = run_broker(self, exe, on, on ? &sb : &unused, &bc[on][r]);
    }
    printf("run %d: pipeline off %.0f on %.0f rec/s, %.0f / %.0f rec/cpu_s (%u scrapes)   "
           "broker off %.0f on %.0f rec/s, %.0f / %.0f rec/cpu_s (%u scrapes)\n",
           r + 1, pw[0][r], pw[1][r], pc[0][r], pc[1][r], sp, bw[0][r], bw[1][r], bc[0][r], bc[1][r], sb);
    fflush(stdout);
  }
  /* The ratios are medians of each run's on/off pair, not ratios of the
   * medians: the two halves of a pair ran seconds apart, so a neighbour's
   * load (or the pipeline's bimodal 6M/10M rec/s placement luck) mostly
   * hits both, where the medians of each side can come from different
   * moments. */
  double q[4][15];
  for (int r = 0; r < runs; r++) {
    q[0][r] = pw[1][r] / pw[0][r];
    q[1][r] = pc[1][r] / pc[0][r];
    q[2][r] = bw[1][r] / bw[0][r];
    q[3][r] = bc[1][r] / bc[0][r];
  }
  /* bench_median sorts in place: the pairs above are read first. */
  double m[4][2];
  for (int on = 0; on < 2; on++) {
    m[0][on] = bench_median(pw[on], runs);
    m[1][on] = bench_median(pc[on], runs);
    m[2][on] = bench_median(bw[on], runs);
    m[3][on] = bench_median(bc[on], runs);
  }
  double rpw = bench_median(q[0], runs), rp = bench_median(q[1], runs);
  double rbw = bench_median(q[2], runs), rb = bench_median(q[3], runs);
  printf("median pipeline: off %.0f on %.0f rec/s, off %.0f on %.0f rec/cpu_s; median of paired ratios: wall %.3f, "
         "cpu %.3f\n",
         m[0][0], m[0][1], m[1][0], m[1][1], rpw, rp);
  printf("median broker:   off %.0f on %.0f rec/s, off %.0f on %.0f rec/cpu_s; median of paired ratios: wall %.3f, "
         "cpu %.3f\n",
         m[2][0], m[2][1], m[3][0], m[3][1], rbw, rb);
  printf("RESULT name=metrics-overhead ours=%.0f baseline=%.0f unit=rec/cpu_s ratio=%.3f ratio_pipeline=%.3f "
         "ratio_broker=%.3f wall_ratio_pipeline=%.3f wall_ratio_broker=%.3f\n",
         m[1][1], m[1][0], MIN(rp, rb), rp, rb, rpw, rbw);
  return 0;
}
