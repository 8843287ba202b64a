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

#include "bench/stats.h"

#define KEY_LEN 16
#define VALUE_LEN 100

static inline guint64 mix(guint64 x)
{
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

static inline void gen(guint64 i, uint8_t *key, uint8_t *value)
{
  guint64 h = mix(i);
  memcpy(key, &i, 8);
  memcpy(key + 8, &h, 8);
  for (int w = 0; w < VALUE_LEN / 8; w++) {
    h = mix(h);
    memcpy(value + w * 8, &h, 8);
  }
  memcpy(value + (VALUE_LEN / 8) * 8, &h, VALUE_LEN % 8);
}

static inline void rewrite(const uint8_t *key, const uint8_t *in, uint8_t *out)
{
  for (int j = 0; j < VALUE_LEN; j++)
    out[j] = in[j] ^ key[j % KEY_LEN];
}

static inline gboolean keep(const uint8_t *value)
{
  return (value[0] & 1) == 0;
}

static inline guint64 checksum(guint64 sum, const uint8_t *value)
{
  guint64 w[VALUE_LEN / 8 + 1] = {0};
  memcpy(w, value, VALUE_LEN);
  for (size_t k = 0; k < G_N_ELEMENTS(w); k++)
    sum = (sum << 5 | sum >> 59) ^ w[k];
  return sum;
}

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
    gen(st->next, p, p + KEY_LEN);
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
  rewrite(in->key.data, in->value.data, v);
  out->value = rill_bytes_make(v, VALUE_LEN);
  return RILL_FLOW_OK;
}

static rill_verdict filter_keep(rill_ctx *ctx, const rill_record *in, void *ud)
{
  return keep(in->value.data) ? RILL_VERDICT_KEEP : RILL_VERDICT_DROP;
}

typedef struct {
  guint64 count, sum;
} totals;

static rill_flow sink_write(rill_ctx *ctx, void *state, const rill_batch *batch)
{
  totals *t = state;
  const rill_record *r = rill_batch_records(batch);
  size_t n = rill_batch_len(batch);
  guint64 s = t->sum;
  for (size_t i = 0; i < n; i++)
    s = checksum(s, r[i].value.data);
  t->sum = s;
  t->count += n;
  return RILL_FLOW_OK;
}

static gboolean sink_open(rill_ctx *ctx, void *user_data, void **state, GError **error)
{
  *state = user_data;
  return TRUE;
}

static const rill_sink_class count_sink = {.type_name = "count", .open = sink_open, .write = sink_write};

static void pipeline(guint64 n, guint64 *count, guint64 *sum)
{
  totals t = {0, 0};
  rill_pipeline *p = rill_pipeline_new("bench");
  rill_stage *s = rill_pipeline_add_source(p, "generate", &gen_source, &n, NULL);
  s = rill_pipeline_add_map(p, "rewrite", s, map_rewrite, NULL, NULL);
  s = rill_pipeline_add_filter(p, "half", s, filter_keep, NULL, NULL);
  rill_pipeline_add_sink(p, "count", s, &count_sink, &t, NULL);
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
