/* bench-nexmark.c — NEXMark Q0, Q1, Q2, Q5, Q7, Q8: rill pipelines
 * (queries-rill.c) against hand-written single-threaded C
 * (queries-hand.c) on the same pre-generated events.
 *
 * The events are generated once (generator.h: the Flink generator with a
 * fixed seed, event k of one timeline, person:auction:bid = 1:3:46) and
 * encoded into memory before anything is timed; both sides then read the
 * same bytes, so neither pays generation or encoding (nexmark.h). Each
 * query runs --runs times per side; the median events/s (all events of the
 * stream, as Flink counts source records) is reported. Both sides' output
 * checksums (row count + sum of row hashes) must agree on every run, or the
 * benchmark says MISMATCH and exits 1. Both sides also show events per
 * CPU-second of the process (rill: all its threads): the per-core figure,
 * which stays meaningful on a loaded machine (waiting for a core is not
 * counted) and compares with Flink's Throughput/Cores; the line before
 * RESULT gives the geometric mean of that per-core ratio.
 *
 * Usage: bench-nexmark [--events N] [--parallelism P] [--query 0,1,2,5,7,8]
 *                      [--runs R] [--seed S] [--rate EVENTS_PER_S]
 * Ends with RESULT name=nexmark ours=<geomean rill> baseline=<geomean hand>
 * unit=events/s ratio=<ours/baseline>.
 */
#include <rill/rill.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "bench/nexmark/nexmark.h"

#include "bench/stats.h"

static const char *const QUERY_NAMES[NX_N_QUERIES] = {"q0", "q1", "q2", "q5", "q7", "q8"};
static const int QUERY_NUMBERS[NX_N_QUERIES] = {0, 1, 2, 5, 7, 8};

static void store_generate(nx_store *s, const nx_generator *gen, uint64_t n)
{
  size_t cap = (size_t)n * 200 + NX_ENCODED_MAX, used = 0;
  s->n = n;
  s->bytes = g_malloc(cap);
  s->off = g_new(uint64_t, n + 1);
  s->ts = g_new(int64_t, n);
  nx_event *ev = g_new(nx_event, 1);
  for (uint64_t k = 0; k < n; k++) {
    if (used + NX_ENCODED_MAX > cap) {
      cap *= 2;
      s->bytes = g_realloc(s->bytes, cap);
    }
    nx_generate(gen, k, ev);
    s->off[k] = used;
    s->ts[k] = ev->date_time;
    used += nx_encode(ev, s->bytes + used);
  }
  s->off[n] = used;
  g_free(ev);
}

static void store_clear(nx_store *s)
{
  g_free(s->bytes);
  g_free(s->off);
  g_free(s->ts);
}

/* CPU seconds this process used so far (all threads). */
static double cpu_seconds(void)
{
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static gboolean parse_queries(const char *text, gboolean *on, GError **error)
{
  gchar **parts = g_strsplit(text, ",", -1);
  gboolean ok = TRUE;
  for (gchar **p = parts; *p && ok; p++) {
    const char *t = g_strstrip(*p);
    if (*t == 'q' || *t == 'Q')
      t++;
    int i;
    for (i = 0; i < NX_N_QUERIES; i++)
      if (g_strcmp0(t, QUERY_NAMES[i] + 1) == 0)
        break;
    if (i == NX_N_QUERIES) {
      g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "unknown query '%s' (have 0,1,2,5,7,8)", *p);
      ok = FALSE;
    } else {
      on[i] = TRUE;
    }
  }
  g_strfreev(parts);
  return ok;
}

int main(int argc, char **argv)
{
  gint64 n_events = 4000000;
  gint parallelism = 1, runs = 3;
  gint64 seed = 42;
  gdouble rate = 100000;
  gchar *queries = NULL;
  GOptionEntry entries[] = {
    {"events", 'n', 0, G_OPTION_ARG_INT64, &n_events, "events to generate (default 4000000)", "N"},
    {"parallelism", 'p', 0, G_OPTION_ARG_INT, &parallelism, "rill tasks per stage (default 1)", "P"},
    {"query", 'q', 0, G_OPTION_ARG_STRING, &queries, "queries to run (default 0,1,2,5,7,8)", "LIST"},
    {"runs", 'r', 0, G_OPTION_ARG_INT, &runs, "runs per query and side; the median counts (default 3)", "R"},
    {"seed", 's', 0, G_OPTION_ARG_INT64, &seed, "generator seed S (default 42)", "S"},
    {"rate", 0, 0, G_OPTION_ARG_DOUBLE, &rate, "events per second of event time (default 100000)", "R"},
    G_OPTION_ENTRY_NULL,
  };
  GError *error = NULL;
  gboolean on[NX_N_QUERIES] = {FALSE};
  int rc = 0;
  GOptionContext *oc = g_option_context_new("- NEXMark: rill against hand-written C");
  g_option_context_add_main_entries(oc, entries, NULL);
  if (!g_option_context_parse(oc, &argc, &argv, &error) || !parse_queries(queries ? queries : "0,1,2,5,7,8", on, &error)) {
    fprintf(stderr, "bench-nexmark: %s\n", error->message);
    g_error_free(error);
    g_option_context_free(oc);
    g_free(queries);
    return 2;
  }
  g_option_context_free(oc);
  g_free(queries);
  if (n_events < 1 || parallelism < 1 || parallelism > 256 || runs < 1 || rate <= 0) {
    fprintf(stderr, "bench-nexmark: need events >= 1, 1 <= parallelism <= 256, runs >= 1, rate > 0\n");
    return 2;
  }

  nx_config cfg = nx_config_default((uint64_t)seed, rate);
  printf("nexmark: seed=%" G_GINT64_FORMAT " baseTime=%" G_GINT64_FORMAT " rate=%.0f/s events=%" G_GINT64_FORMAT
         " person:auction:bid=1:3:46 firstEventId=1 rill-parallelism=%d runs=%d\n",
         seed, cfg.base_time, rate, n_events, parallelism, runs);
  gint64 t0 = g_get_monotonic_time();
  nx_generator *gen = nx_generator_new(&cfg);
  nx_store store;
  store_generate(&store, gen, (uint64_t)n_events);
  nx_generator_free(gen);
  printf("generated %" G_GINT64_FORMAT " events (%.1f MB encoded, event time %.1f s) in %.2f s (not timed below)\n",
         n_events, store.off[store.n] / 1e6, (store.ts[store.n - 1] - store.ts[0]) / 1e3,
         (g_get_monotonic_time() - t0) / 1e6);

  double log_ours = 0, log_base = 0, log_ours_cpu = 0, log_base_cpu = 0;
  int n_done = 0;
  double *ours = g_new(double, runs), *base = g_new(double, runs), *ours_cpu = g_new(double, runs);
  double *base_cpu = g_new(double, runs);
  for (int q = 0; q < NX_N_QUERIES; q++) {
    if (!on[q])
      continue;
    nx_check rc_rill = {0, 0}, rc_hand = {0, 0};
    for (int r = 0; r < runs; r++) {
      gboolean overflow = FALSE;
      double c0 = cpu_seconds();
      t0 = g_get_monotonic_time();
      if (!nx_rill_run((nx_query)q, &store, (guint)parallelism, &rc_rill, &overflow, &error)) {
        fprintf(stderr, "bench-nexmark: %s: rill pipeline failed: %s\n", QUERY_NAMES[q], error->message);
        g_clear_error(&error);
        rc = 1;
        goto done;
      }
      ours[r] = store.n / ((g_get_monotonic_time() - t0) / 1e6);
      ours_cpu[r] = store.n / (cpu_seconds() - c0);
      c0 = cpu_seconds();
      t0 = g_get_monotonic_time();
      rc_hand = nx_hand_run((nx_query)q, &store);
      base[r] = store.n / ((g_get_monotonic_time() - t0) / 1e6);
      base_cpu[r] = store.n / (cpu_seconds() - c0);
      if (overflow) {
        fprintf(stderr, "bench-nexmark: %s: MISMATCH: more tied hot items in a window than the top-N keeps\n",
                QUERY_NAMES[q]);
        rc = 1;
      }
      if (rc_rill.rows != rc_hand.rows || rc_rill.sum != rc_hand.sum) {
        fprintf(stderr,
                "bench-nexmark: %s: MISMATCH: rill %" G_GUINT64_FORMAT " rows checksum %016" G_GINT64_MODIFIER
                "x, hand-written %" G_GUINT64_FORMAT " rows checksum %016" G_GINT64_MODIFIER "x\n",
                QUERY_NAMES[q], rc_rill.rows, rc_rill.sum, rc_hand.rows, rc_hand.sum);
        rc = 1;
      }
    }
    double mo = bench_median(ours, runs), mb = bench_median(base, runs), mc = bench_median(ours_cpu, runs);
    double mbc = bench_median(base_cpu, runs);
    printf("Q%d: rill %8.3f M events/s (%7.3f M per CPU-second), hand-written %8.3f M events/s (%7.3f M per "
           "CPU-second) (rows %" G_GUINT64_FORMAT ", checksum %016" G_GINT64_MODIFIER "x%s)\n",
           QUERY_NUMBERS[q], mo / 1e6, mc / 1e6, mb / 1e6, mbc / 1e6, rc_hand.rows, rc_hand.sum,
           rc ? ", MISMATCH" : ", match");
    fflush(stdout);
    log_ours += log(mo);
    log_base += log(mb);
    log_ours_cpu += log(mc);
    log_base_cpu += log(mbc);
    n_done++;
  }
  double go = exp(log_ours / n_done), gb = exp(log_base / n_done);
  printf("per CPU-second: geometric mean ratio %.3f\n", exp((log_ours_cpu - log_base_cpu) / n_done));
  printf("RESULT name=nexmark ours=%.0f baseline=%.0f unit=events/s ratio=%.3f\n", go, gb, go / gb);
  if (rc)
    fprintf(stderr, "bench-nexmark: FAILED: the implementations disagree (see MISMATCH above)\n");
done:
  g_free(ours);
  g_free(base);
  g_free(ours_cpu);
  g_free(base_cpu);
  store_clear(&store);
  return rc;
}
