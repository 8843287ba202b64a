/* bench-checkpoint.c — what checkpoints cost: the windowed aggregation of
 * bench/windows at P = 2 (source -> watermarks -> key_by -> tumbling 1 s
 * count over 10 000 keys -> discarding sink), run with checkpoints off and
 * with a checkpoint every 100 ms into a temporary directory, alternately,
 * several times. Prints events/s of both (medians) and the checkpoints
 * taken; RESULT ratio = with checkpoints / without. */
#include <rill/rill.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_KEYS 10000
#define P 2
#define ROUNDS 5

static guint64 n_events = 8000000;

typedef struct {
  guint task;
  guint64 pos; /* per-task event index */
} src_state;

static rill_flow src_read(rill_ctx *ctx, void *state, rill_emitter *out)
{
  src_state *s = state;
  for (int i = 0; i < 1024; i++) {
    guint64 g = s->pos * P + s->task;
    if (g >= n_events)
      return RILL_FLOW_EOS;
    s->pos++;
    uint64_t key = (g * 2654435761u) % N_KEYS;
    int64_t ts = 1700000000000 + (int64_t)(g / 10) - (int64_t)((g * 7919) % 50);
    uint8_t *mem = rill_emitter_alloc(out, 8);
    memcpy(mem, &key, 8);
    rill_record r = RILL_RECORD_INIT;
    r.key = rill_bytes_make(mem, 8);
    r.value = rill_bytes_make("1", 1);
    r.timestamp = ts;
    rill_flow flow = rill_emit_record_raw(out, &r);
    if (flow != RILL_FLOW_OK)
      return flow;
  }
  return RILL_FLOW_OK;
}

static gboolean src_open(rill_ctx *ctx, void *ud, const guint *splits, guint n, void **state, GError **error)
{
  src_state *s = g_new0(src_state, 1);
  s->task = splits[0];
  *state = s;
  return TRUE;
}

static void src_close(rill_ctx *ctx, void *state)
{
  g_free(state);
}

static rill_flow src_snapshot(rill_ctx *ctx, void *state, uint64_t id, GByteArray *out)
{
  src_state *s = state;
  g_byte_array_append(out, (const guint8 *)&s->pos, sizeof s->pos);
  return RILL_FLOW_OK;
}

static guint splits(void *ud, guint p)
{
  return P;
}

static const rill_source_class src_class = {.type_name = "events",
                                            .n_splits = splits,
                                            .open = src_open,
                                            .read = src_read,
                                            .close = src_close,
                                            .snapshot = src_snapshot};

static rill_flow sink_write(rill_ctx *ctx, void *state, const rill_batch *batch)
{
  return RILL_FLOW_OK;
}

static const rill_sink_class sink_class = {.type_name = "discard", .write = sink_write};

static double run(gboolean checkpoints, guint64 *taken)
{
  rill_pipeline *p = rill_pipeline_new("bench");
  rill_pipeline_set_parallelism(p, P);
  char *dir = NULL;
  GError *error = NULL;
  if (checkpoints) {
    dir = g_dir_make_tmp("rill-bench-ckpt-XXXXXX", NULL);
    if (!rill_pipeline_enable_checkpoints(p, dir, 100, 2, &error))
      g_error("%s", error->message);
  }
  rill_stage *s = rill_pipeline_add_source(p, "events", &src_class, NULL, NULL);
  rill_watermark_options wo = {.max_out_of_orderness_ms = 50};
  s = rill_pipeline_add_watermarks(p, "wm", s, &wo);
  s = rill_pipeline_add_key_by(p, "key_by", s, NULL, NULL, NULL);
  rill_window_spec spec = rill_window_tumbling(1000);
  s = rill_pipeline_add_window(p, "window", s, &spec, rill_aggregate_count());
  rill_pipeline_add_sink(p, "sink", s, &sink_class, NULL, NULL);
  gint64 t0 = g_get_monotonic_time();
  if (!rill_pipeline_run(p, &error))
    g_error("%s", error->message);
  double secs = (g_get_monotonic_time() - t0) / 1e6;
  *taken = rill_pipeline_get_last_checkpoint(p);
  rill_pipeline_unref(p);
  if (dir) {
    char *cmd = g_strdup_printf("rm -rf '%s'", dir);
    if (system(cmd) != 0)
      g_warning("could not remove %s", dir);
    g_free(cmd);
    g_free(dir);
  }
  return n_events / secs;
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
  if (argc > 1)
    n_events = g_ascii_strtoull(argv[1], NULL, 10);
  double off[ROUNDS], on[ROUNDS];
  guint64 taken = 0, t;
  for (int r = 0; r < ROUNDS; r++) {
    off[r] = run(FALSE, &t);
    on[r] = run(TRUE, &t);
    taken += t;
    printf("round %d: off %.0f events/s, every 100 ms %.0f events/s (%" G_GUINT64_FORMAT " checkpoints)\n", r,
           off[r], on[r], t);
  }
  qsort(off, ROUNDS, sizeof off[0], cmp_double);
  qsort(on, ROUNDS, sizeof on[0], cmp_double);
  double a = on[ROUNDS / 2], b = off[ROUNDS / 2];
  printf("median: off %.0f events/s, every 100 ms %.0f events/s, %.1f checkpoints per run\n", b, a,
         (double)taken / ROUNDS);
  printf("RESULT name=checkpoint ours=%.0f baseline=%.0f unit=events/s ratio=%.2f\n", a, b, a / b);
  return 0;
}
