/* bench-pipeline.c — records through source -> map -> filter -> sink with
 * P = 1, against a hand-written C loop doing the same work on the same
 * generated data, side by side in one invocation.
 *
 * Work per record: generate a 16-byte key and a 100-byte value from its
 * index; map rewrites the value (each byte XOR the key); filter keeps
 * records whose rewritten value's first byte is even (about half); the sink
 * counts and checksums what is kept. Both sides must agree on count and
 * checksum, or the benchmark fails.
 *
 * Usage: bench-pipeline [--records N] [--runs R]. Prints each run, the
 * medians, the peak RSS (VmHWM) and ends with the RESULT line.
 */
#include <rill/rill.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/pipeline/workload.h"
#include "bench/stats.h"

/* ---- the baseline: one loop ---------------------------------------------- */

static void baseline(guint64 n, guint64 *count, guint64 *sum)
{
  uint8_t key[KEY_LEN], value[VALUE_LEN], out[VALUE_LEN];
  guint64 c = 0, s = 0;
  for (guint64 i = 0; i < n; i++) {
    gen(i, key, value);
    rewrite(key, value, out);
    if (keep(out)) {
      c++;
      s = checksum(s, out);
    }
  }
  *count = c;
  *sum = s;
}

/* ---- the pipeline -------------------------------------------------------- */

static void pipeline(guint64 n, guint64 *count, guint64 *sum)
{
  workload_totals t = {0, 0};
  rill_pipeline *p = rill_pipeline_new("bench");
  workload_add(p, &n, &t);
  GError *error = NULL;
  if (!rill_pipeline_run(p, &error)) {
    fprintf(stderr, "bench-pipeline: %s\n", error->message);
    exit(1);
  }
  rill_pipeline_unref(p);
  *count = t.count;
  *sum = t.sum;
}

/* ---- driver -------------------------------------------------------------- */

static double now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long vm_hwm_kb(void)
{
  char *status = NULL;
  long kb = -1;
  if (g_file_get_contents("/proc/self/status", &status, NULL, NULL)) {
    const char *line = strstr(status, "VmHWM:");
    if (line)
      kb = strtol(line + 6, NULL, 10);
  }
  g_free(status);
  return kb;
}

int main(int argc, char **argv)
{
  guint64 n = 20000000;
  int runs = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--records") == 0)
      n = g_ascii_strtoull(argv[i + 1], NULL, 10);
    else if (strcmp(argv[i], "--runs") == 0)
      runs = atoi(argv[i + 1]);
  }
  if (n == 0 || runs < 1) {
    fprintf(stderr, "usage: bench-pipeline [--records N] [--runs R]\n");
    return 2;
  }
  double *ours = g_new(double, runs), *base = g_new(double, runs);
  for (int r = 0; r < runs; r++) {
    guint64 bc, bs, pc, ps;
    double t0 = now_s();
    baseline(n, &bc, &bs);
    double t1 = now_s();
    pipeline(n, &pc, &ps);
    double t2 = now_s();
    if (bc != pc || bs != ps) {
      fprintf(stderr, "bench-pipeline: results differ: baseline %" G_GUINT64_FORMAT "/%016" G_GINT64_MODIFIER
              "x, pipeline %" G_GUINT64_FORMAT "/%016" G_GINT64_MODIFIER "x\n", bc, bs, pc, ps);
      return 1;
    }
    base[r] = n / (t1 - t0);
    ours[r] = n / (t2 - t1);
    printf("run %d: records=%" G_GUINT64_FORMAT " kept=%" G_GUINT64_FORMAT " baseline=%.0f rec/s pipeline=%.0f rec/s\n",
           r + 1, n, pc, base[r], ours[r]);
    fflush(stdout);
  }
  qsort(ours, runs, sizeof *ours, bench_cmp_double);
  qsort(base, runs, sizeof *base, bench_cmp_double);
  double o = ours[runs / 2], b = base[runs / 2];
  printf("median of %d: pipeline=%.0f rec/s baseline=%.0f rec/s\n", runs, o, b);
  printf("peak_rss_kb=%ld records=%" G_GUINT64_FORMAT "\n", vm_hwm_kb(), n);
  printf("RESULT name=pipeline ours=%.0f baseline=%.0f unit=rec/s ratio=%.3f\n", o, b, o / b);
  g_free(ours);
  g_free(base);
  return 0;
}
