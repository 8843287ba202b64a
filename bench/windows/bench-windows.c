/* bench-windows.c — windowed aggregation throughput at P = 1:
 * source -> watermarks -> key_by -> window(tumbling 1 s or hopping 10 s/2 s)
 * -> count/max -> discarding sink, against a hand-written single-threaded C
 * loop computing the same results (one GHashTable per open window) on the
 * same generated events. Events: 8-byte keys over 10 000 auctions, a bid
 * price as decimal text, 1 ms of event time per 10 events, up to 50 ms out
 * of order. Prints events/s of both; RESULT ratio = ours / hand-written. */
#include <rill/rill.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define N_KEYS 10000

typedef struct {
  uint64_t key;
  int64_t ts;
  int64_t price;
} bid;

static bid *events;
static guint64 n_events;
static gint64 results;

static rill_flow src_read(rill_ctx *ctx, void *state, rill_emitter *out)
{
  guint64 *pos = state;
  for (int i = 0; i < 1024; i++) {
    if (*pos == n_events)
      return RILL_FLOW_EOS;
    const bid *b = &events[(*pos)++];
    uint8_t *mem = rill_emitter_alloc(out, 32);
    memcpy(mem, &b->key, 8);
    int vl = g_snprintf((char *)mem + 8, 24, "%" G_GINT64_FORMAT, b->price);
    rill_record r = RILL_RECORD_INIT;
    r.key = rill_bytes_make(mem, 8);
    r.value = rill_bytes_make(mem + 8, (size_t)vl);
    r.timestamp = b->ts;
    rill_flow flow = rill_emit_record_raw(out, &r);
    if (flow != RILL_FLOW_OK)
      return flow;
  }
  return RILL_FLOW_OK;
}

static gboolean src_open(rill_ctx *ctx, void *ud, const guint *splits, guint n, void **state, GError **error)
{
  *state = g_new0(guint64, 1);
  return TRUE;
}

static void src_close(rill_ctx *ctx, void *state)
{
  g_free(state);
}

static guint one_split(void *ud, guint p)
{
  return 1;
}

static const rill_source_class src_class = {
  .type_name = "bids", .n_splits = one_split, .open = src_open, .read = src_read, .close = src_close};

static rill_flow sink_write(rill_ctx *ctx, void *state, const rill_batch *batch)
{
  __atomic_add_fetch(&results, (gint64)rill_batch_len(batch), __ATOMIC_RELAXED);
  return RILL_FLOW_OK;
}

static const rill_sink_class sink_class = {.type_name = "discard", .write = sink_write};

static double run_rill(const rill_window_spec *spec, gboolean max)
{
  rill_pipeline *p = rill_pipeline_new("bench");
  rill_stage *s = rill_pipeline_add_source(p, "bids", &src_class, NULL, NULL);
  rill_watermark_options wo = {.max_out_of_orderness_ms = 50};
  rill_stage *w = rill_pipeline_add_watermarks(p, "wm", s, &wo);
  rill_stage *k = rill_pipeline_add_key_by(p, "key_by", w, NULL, NULL, NULL);
  rill_stage *win = rill_pipeline_add_window(p, "window", k, spec,
                                             max ? rill_aggregate_max(NULL, NULL) : rill_aggregate_count());
  rill_pipeline_add_sink(p, "sink", win, &sink_class, NULL, NULL);
  results = 0;
  gint64 t0 = g_get_monotonic_time();
  GError *error = NULL;
  if (!rill_pipeline_run(p, &error))
    g_error("%s", error->message);
  double secs = (g_get_monotonic_time() - t0) / 1e6;
  rill_pipeline_unref(p);
  return n_events / secs;
}

/* The hand-written version: per window start, a hash table key -> value,
 * fired when the watermark passes the window end (parsing the same text). */
static double run_baseline(int64_t size, int64_t slide, gboolean max)
{
  GHashTable *wins = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, (GDestroyNotify)g_hash_table_unref);
  gint64 out = 0;
  int64_t wm = INT64_MIN, maxts = INT64_MIN;
  gint64 t0 = g_get_monotonic_time();
  for (guint64 i = 0; i < n_events; i++) {
    const bid *b = &events[i];
    char txt[24];
    int vl = g_snprintf(txt, sizeof txt, "%" G_GINT64_FORMAT, b->price);
    int64_t price = g_ascii_strtoll(txt, NULL, 10) + 0 * vl;
    for (int64_t s = b->ts - b->ts % slide; s > b->ts - size; s -= slide) {
      GHashTable *h = g_hash_table_lookup(wins, &s);
      if (!h) {
        h = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
        g_hash_table_insert(wins, g_memdup2(&s, sizeof s), h);
      }
      gpointer cur;
      gint64 key = (gint64)b->key;
      if (g_hash_table_lookup_extended(h, &key, NULL, &cur))
        g_hash_table_insert(h, g_memdup2(&key, sizeof key),
                            GSIZE_TO_POINTER(max ? MAX((gsize)cur, (gsize)price) : (gsize)cur + 1));
      else
        g_hash_table_insert(h, g_memdup2(&key, sizeof key), GSIZE_TO_POINTER(max ? (gsize)price : 1));
    }
    maxts = MAX(maxts, b->ts);
    if ((i & 1023) == 1023 && maxts - 51 > wm) {
      wm = maxts - 51;
      GHashTableIter it;
      gpointer k, v;
      g_hash_table_iter_init(&it, wins);
      while (g_hash_table_iter_next(&it, &k, &v))
        if (*(int64_t *)k + size - 1 <= wm) {
          out += g_hash_table_size(v);
          g_hash_table_iter_remove(&it);
        }
    }
  }
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init(&it, wins);
  while (g_hash_table_iter_next(&it, &k, &v))
    out += g_hash_table_size(v);
  double secs = (g_get_monotonic_time() - t0) / 1e6;
  g_hash_table_unref(wins);
  if (out != results)
    g_error("baseline produced %" G_GINT64_FORMAT " results, rill %" G_GINT64_FORMAT, out, results);
  return n_events / secs;
}

int main(int argc, char **argv)
{
  n_events = argc > 1 ? g_ascii_strtoull(argv[1], NULL, 10) : 10000000;
  events = g_new(bid, n_events);
  GRand *r = g_rand_new_with_seed(1);
  for (guint64 i = 0; i < n_events; i++) {
    events[i].key = g_rand_int_range(r, 0, N_KEYS);
    events[i].ts = 1700000000000 + (int64_t)(i / 10) - g_rand_int_range(r, 0, 50);
    events[i].price = g_rand_int_range(r, 100, 100000);
  }
  g_rand_free(r);
  rill_window_spec tumble = rill_window_tumbling(1000), hop = rill_window_hopping(10000, 2000);
  double q7 = run_rill(&tumble, TRUE), q7b = run_baseline(1000, 1000, TRUE);
  printf("tumbling 1s max:      rill %.2f M events/s, hand-written %.2f M events/s\n", q7 / 1e6, q7b / 1e6);
  double q5 = run_rill(&hop, FALSE), q5b = run_baseline(10000, 2000, FALSE);
  printf("hopping 10s/2s count: rill %.2f M events/s, hand-written %.2f M events/s\n", q5 / 1e6, q5b / 1e6);
  double ours = sqrt(q7 * q5), base = sqrt(q7b * q5b);
  printf("RESULT name=windows ours=%.0f baseline=%.0f unit=events/s ratio=%.2f\n", ours, base, ours / base);
  g_free(events);
  return 0;
}
