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
 * Prints each run and the medians; the last line is
 *   RESULT name=metrics-overhead ours=<pipeline on> baseline=<pipeline off>
 *   unit=rec/s ratio=<min of the two on/off ratios> ratio_pipeline=...
 *   ratio_broker=...
 * (target: ratio >= 0.97).
 */
#include <rill/rill.h>

#include <libsoup/soup.h>

#include "bench/kafka-bench.h"
#include "bench/stats.h"

#define WHO "bench-metrics-overhead"
#define KEY_LEN 16
#define VALUE_LEN 100
#define PIPELINE_RECORDS 10000000
#define BROKER_RECORDS 300000
#define BROKER_RECORD_SIZE 100
#define SCRAPE_US 100000

/* ---- the scraper --------------------------------------------------------------- */

typedef struct {
  guint port;
  const char *must_contain; /* a family every answer must have */
  gint stop;                /* atomic */
  guint scrapes;
  GThread *thread;
} scraper;

static gpointer scrape_loop(gpointer data)
{
  scraper *s = data;
  SoupSession *session = soup_session_new();
  g_autofree char *url = g_strdup_printf("http://127.0.0.1:%u/metrics", s->port);
  while (!g_atomic_int_get(&s->stop)) {
    SoupMessage *msg = soup_message_new("GET", url);
    GBytes *body = soup_session_send_and_read(session, msg, NULL, NULL);
    gsize n = 0;
    const char *text = body ? g_bytes_get_data(body, &n) : NULL;
    if (soup_message_get_status(msg) != 200 || !text || !g_strstr_len(text, (gssize)n, s->must_contain))
      bench_die(WHO, "a scrape failed or lacked the expected metrics");
    s->scrapes++;
    g_bytes_unref(body);
    g_object_unref(msg);
    g_usleep(SCRAPE_US);
  }
  g_object_unref(session);
  return NULL;
}

static void scraper_start(scraper *s, guint port, const char *must_contain)
{
  *s = (scraper){.port = port, .must_contain = must_contain};
  s->thread = g_thread_new("scraper", scrape_loop, s);
}

static guint scraper_stop(scraper *s)
{
  g_atomic_int_set(&s->stop, 1);
  g_thread_join(s->thread);
  return s->scrapes;
}

/* ---- the pipeline workload (bench-pipeline's) ---------------------------------------- */

static inline guint64 mix(guint64 x)
{
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

typedef struct {
  guint64 n, next;
} gen_state;

static gboolean gen_open(rill_ctx *ctx, void *user_data, const guint *splits, guint n_splits, void **state,
                         GError **error)
{
  gen_state *st = g_new0(gen_state, 1);
  st->n = *(guint64 *)user_data;
  *state = st;
  return TRUE;
}

static rill_flow gen_read(rill_ctx *ctx, void *state, rill_emitter *out)
{
  gen_state *st = state;
  guint64 end = MIN(st->n, st->next + RILL_BATCH_DEFAULT_RECORDS);
  for (; st->next < end; st->next++) {
    uint8_t *p = rill_emitter_alloc(out, KEY_LEN + VALUE_LEN);
    guint64 h = mix(st->next);
    memcpy(p, &st->next, 8);
    memcpy(p + 8, &h, 8);
    for (int w = 0; w < VALUE_LEN / 8; w++) {
      h = mix(h);
      memcpy(p + KEY_LEN + w * 8, &h, 8);
    }
    memcpy(p + KEY_LEN + (VALUE_LEN / 8) * 8, &h, VALUE_LEN % 8);
    rill_record r = RILL_RECORD_INIT;
    r.key = rill_bytes_make(p, KEY_LEN);
    r.value = rill_bytes_make(p + KEY_LEN, VALUE_LEN);
    rill_flow flow = rill_emit_record_raw(out, &r);
    if (flow != RILL_FLOW_OK)
      return flow;
  }
  return st->next == st->n ? RILL_FLOW_EOS : RILL_FLOW_OK;
}

static void gen_close(rill_ctx *ctx, void *state)
{
  g_free(state);
}

static const rill_source_class gen_source = {
  .type_name = "generate", .open = gen_open, .read = gen_read, .close = gen_close};

static rill_flow map_rewrite(rill_ctx *ctx, const rill_record *in, rill_record *out, void *ud)
{
  uint8_t *v = rill_ctx_alloc(ctx, VALUE_LEN);
  for (int j = 0; j < VALUE_LEN; j++)
    v[j] = in->value.data[j] ^ in->key.data[j % KEY_LEN];
  out->value = rill_bytes_make(v, VALUE_LEN);
  return RILL_FLOW_OK;
}

static rill_verdict filter_keep(rill_ctx *ctx, const rill_record *in, void *ud)
{
  return (in->value.data[0] & 1) == 0 ? RILL_VERDICT_KEEP : RILL_VERDICT_DROP;
}

static rill_flow sink_write(rill_ctx *ctx, void *state, const rill_batch *batch)
{
  *(guint64 *)state += rill_batch_len(batch);
  return RILL_FLOW_OK;
}

static gboolean sink_open(rill_ctx *ctx, void *user_data, void **state, GError **error)
{
  *state = user_data;
  return TRUE;
}

static const rill_sink_class count_sink = {.type_name = "count", .open = sink_open, .write = sink_write};

/* Records/s through the pipeline; with @http, served and scraped. */
static double run_pipeline(gboolean http, guint64 n, guint64 *kept, guint *scrapes)
{
  guint64 count = 0;
  rill_pipeline *p = rill_pipeline_new("bench");
  rill_stage *s = rill_pipeline_add_source(p, "generate", &gen_source, &n, NULL);
  s = rill_pipeline_add_map(p, "rewrite", s, map_rewrite, NULL, NULL);
  s = rill_pipeline_add_filter(p, "half", s, filter_keep, NULL, NULL);
  rill_pipeline_add_sink(p, "count", s, &count_sink, &count, NULL);
  GError *error = NULL;
  rill_http_server *srv = NULL;
  scraper sc;
  if (http) {
    srv = rill_http_server_new(NULL, &error);
    rill_pipeline_serve_http(p, srv);
    if (!rill_http_server_listen(srv, "127.0.0.1:0", &error))
      bench_die(WHO, error->message);
    scraper_start(&sc, rill_http_server_get_port(srv), "rill_pipeline_records_in_total{");
  }
  gint64 t0 = g_get_monotonic_time();
  if (!rill_pipeline_run(p, &error))
    bench_die(WHO, error->message);
  double dt = (double)(g_get_monotonic_time() - t0) / 1e6;
  if (http) {
    *scrapes = scraper_stop(&sc);
    rill_http_server_free(srv);
  }
  rill_pipeline_unref(p);
  *kept = count;
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

static double run_broker(const char *exe, gboolean http, guint *scrapes)
{
  bench_broker b;
  const char *sets[] = {"rill.durability=none", NULL};
  const char *args[] = {"--http", "127.0.0.1:0", NULL};
  bench_broker_start_args(&b, WHO, exe, sets, http ? args : NULL);
  bench_target t = {.rill = b, .bootstrap = b.bootstrap};
  bench_target_create_topic(&t, WHO, "bench", 1);
  scraper sc;
  if (http)
    scraper_start(&sc, http_port(&b), "rill_broker_records_in_total{topic=\"bench\"");
  double rate = bench_produce(WHO, t.bootstrap, bench_bulk_producer_conf, "bench", 1, BROKER_RECORDS,
                              BROKER_RECORD_SIZE);
  if (http)
    *scrapes = scraper_stop(&sc);
  bench_broker_stop(&t.rill);
  return rate;
}

int main(int argc, char **argv)
{
  if (argc < 2)
    bench_die(WHO, "usage: bench-metrics-overhead RILL_BROKER_EXE [RUNS]");
  const char *exe = argv[1];
  int runs = argc > 2 ? atoi(argv[2]) : 5;
  if (runs < 1 || runs > 15)
    bench_die(WHO, "RUNS must be 1..15");
  signal(SIGPIPE, SIG_IGN);
  printf("bench-metrics-overhead: /metrics scraped every %d ms when on; pipeline %d records, broker %d x %d B, "
         "medians of %d runs\n", SCRAPE_US / 1000, PIPELINE_RECORDS, BROKER_RECORDS, BROKER_RECORD_SIZE, runs);
  double p_off[15], p_on[15], b_off[15], b_on[15];
  for (int r = 0; r < runs; r++) {
    /* Alternate which side goes first, so drift in the machine's load
     * does not always favour one. */
    gboolean on_first = r % 2;
    guint64 k_off = 0, k_on = 0;
    guint s_p = 0, s_b = 0, unused = 0;
    for (int side = 0; side < 2; side++) {
      gboolean on = side == 0 ? on_first : !on_first;
      if (on)
        p_on[r] = run_pipeline(TRUE, PIPELINE_RECORDS, &k_on, &s_p);
      else
        p_off[r] = run_pipeline(FALSE, PIPELINE_RECORDS, &k_off, &unused);
    }
    if (k_on != k_off || k_on == 0)
      bench_die(WHO, "the pipeline kept different counts with and without HTTP");
    for (int side = 0; side < 2; side++) {
      gboolean on = side == 0 ? on_first : !on_first;
      if (on)
        b_on[r] = run_broker(exe, TRUE, &s_b);
      else
        b_off[r] = run_broker(exe, FALSE, &unused);
    }
    printf("run %d: pipeline off %.0f on %.0f rec/s (%u scrapes)  broker off %.0f on %.0f rec/s (%u scrapes)\n", r + 1,
           p_off[r], p_on[r], s_p, b_off[r], b_on[r], s_b);
    fflush(stdout);
  }
  double po = bench_median(p_off, runs), pn = bench_median(p_on, runs);
  double bo = bench_median(b_off, runs), bn = bench_median(b_on, runs);
  printf("median pipeline: off %.0f on %.0f rec/s ratio %.3f\n", po, pn, pn / po);
  printf("median broker:   off %.0f on %.0f rec/s ratio %.3f\n", bo, bn, bn / bo);
  printf("RESULT name=metrics-overhead ours=%.0f baseline=%.0f unit=rec/s ratio=%.3f ratio_pipeline=%.3f "
         "ratio_broker=%.3f\n", pn, po, MIN(pn / po, bn / bo), pn / po, bn / bo);
  return 0;
}
