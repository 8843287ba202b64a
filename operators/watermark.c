/* watermark.c — timestamp assignment and bounded-out-of-orderness
 * watermarks with per-partition minimum and idle detection (time.h).
 *
 * Invariants: the emitted watermark never goes backwards (a partition that
 * wakes up from idleness with old data cannot pull it back; its records may
 * then be late, which windows report); IDLE is emitted only when every
 * partition known to the task is idle, and once per idle period.
 */
#include <rill/time.h>

#include "runtime/snap.h"

typedef struct part {
  int32_t id;
  int64_t max_ts;   /* INT64_MIN before any timestamped record */
  int64_t last_seen;/* clock ms of its last record */
} part;

struct rill_watermark_generator {
  rill_watermark_options o;
  GArray *parts;    /* part; few per task, so a linear scan beats hashing */
  guint hint;
};

rill_watermark_generator *rill_watermark_generator_new(const rill_watermark_options *options)
{
  g_return_val_if_fail(options != NULL && options->max_out_of_orderness_ms >= 0, NULL);
  rill_watermark_generator *g = g_new0(rill_watermark_generator, 1);
  g->o = *options;
  g->parts = g_array_new(FALSE, FALSE, sizeof(part));
  return g;
}

void rill_watermark_generator_free(rill_watermark_generator *gen)
{
  if (!gen)
    return;
  g_array_unref(gen->parts);
  g_free(gen);
}

void rill_watermark_generator_observe(rill_watermark_generator *gen, int32_t partition, int64_t timestamp,
                                      int64_t now)
{
  g_return_if_fail(gen != NULL);
  part *p = NULL;
  if (gen->hint < gen->parts->len && g_array_index(gen->parts, part, gen->hint).id == partition)
    p = &g_array_index(gen->parts, part, gen->hint);
  for (guint i = 0; !p && i < gen->parts->len; i++)
    if (g_array_index(gen->parts, part, i).id == partition) {
      p = &g_array_index(gen->parts, part, i);
      gen->hint = i;
    }
  if (!p) {
    part np = {partition, INT64_MIN, now};
    g_array_append_val(gen->parts, np);
    gen->hint = gen->parts->len - 1;
    p = &g_array_index(gen->parts, part, gen->hint);
  }
  p->last_seen = now;
  if (timestamp != RILL_TIMESTAMP_NONE && timestamp > p->max_ts)
    p->max_ts = timestamp;
}

int64_t rill_watermark_generator_current(rill_watermark_generator *gen, int64_t now)
{
  g_return_val_if_fail(gen != NULL, INT64_MIN);
  int64_t wm = INT64_MAX;
  gboolean active = FALSE;
  for (guint i = 0; i < gen->parts->len; i++) {
    const part *p = &g_array_index(gen->parts, part, i);
    if (gen->o.idle_timeout_ms > 0 && now - p->last_seen >= gen->o.idle_timeout_ms)
      continue;
    active = TRUE;
    int64_t w = p->max_ts == INT64_MIN ? INT64_MIN : p->max_ts - gen->o.max_out_of_orderness_ms - 1;
    wm = MIN(wm, w);
  }
  if (!active)
    return gen->parts->len ? RILL_WATERMARK_IDLE : INT64_MIN;
  return wm;
}

/* ---- the stage ---------------------------------------------------------- */

typedef struct {
  rill_watermark_generator *gen;
  int64_t emitted;  /* last watermark emitted (INT64_MIN: none) */
  gboolean idle;    /* IDLE was the last marker sent */
} wm_state;

static int64_t clock_now(const rill_watermark_options *o)
{
  return o->clock ? o->clock(o->clock_data) : g_get_real_time() / 1000;
}

static gboolean wm_open(rill_ctx *ctx, void *user_data, void **state, GError **error)
{
  const rill_watermark_options *o = user_data;
  if (o->max_out_of_orderness_ms < 0 || o->idle_timeout_ms < 0) {
    g_set_error_literal(error, RILL_PIPELINE_ERROR, RILL_PIPELINE_ERROR_INVALID,
                        "watermarks: out-of-orderness and idle timeout must be >= 0");
    return FALSE;
  }
  wm_state *st = g_new0(wm_state, 1);
  st->gen = rill_watermark_generator_new(o);
  st->emitted = INT64_MIN;
  *state = st;
  return TRUE;
}

static void wm_close(rill_ctx *ctx, void *state)
{
  wm_state *st = state;
  rill_watermark_generator_free(st->gen);
  g_free(st);
}

static rill_flow wm_process(rill_ctx *ctx, void *state, guint input, rill_batch *batch, rill_emitter *out)
{
  wm_state *st = state;
  const rill_watermark_options *o = &st->gen->o;
  int64_t now = clock_now(o);
  size_t n = rill_batch_len(batch);
  if (o->processing_time || o->timestamp_fn) {
    batch = rill_batch_make_writable(batch);
    rill_record *r = (rill_record *)rill_batch_records(batch);
    for (size_t i = 0; i < n; i++)
      r[i].timestamp = o->processing_time ? now : o->timestamp_fn(&r[i], o->timestamp_data);
  }
  const rill_record *r = rill_batch_records(batch);
  /* One observation per run of records from one partition, with the run's
   * largest timestamp (RILL_TIMESTAMP_NONE is INT64_MIN: never the max
   * unless the run has no timestamp at all, which observe ignores). */
  for (size_t i = 0; i < n;) {
    int32_t pid = r[i].partition;
    int64_t max_ts = r[i].timestamp;
    for (i++; i < n && r[i].partition == pid; i++)
      max_ts = MAX(max_ts, r[i].timestamp);
    rill_watermark_generator_observe(st->gen, pid, max_ts, now);
  }
  rill_flow flow = rill_emit_batch(out, batch);
  int64_t wm = o->processing_time ? now - 1 : rill_watermark_generator_current(st->gen, now);
  if (flow != RILL_FLOW_OK)
    return flow;
  if (wm == RILL_WATERMARK_IDLE) {
    if (!st->idle) {
      st->idle = TRUE;
      flow = rill_emit_watermark(out, RILL_WATERMARK_IDLE);
    }
  } else if (wm != INT64_MIN && (wm > st->emitted || st->idle)) {
    st->idle = FALSE;
    st->emitted = MAX(st->emitted, wm);
    flow = rill_emit_watermark(out, st->emitted);
  }
  return flow;
}

/* Upstream watermarks are replaced by ours; barriers pass (NULL on_barrier). */
static rill_flow wm_on_watermark(rill_ctx *ctx, void *state, int64_t watermark, rill_emitter *out)
{
  return RILL_FLOW_OK;
}

/* Checkpoints: i64 emitted, u8 idle, u32 partitions, per partition: i32
 * id (as u32), i64 max_ts. Partitions count as just seen after a restore,
 * so idleness is measured again from the restart. */
static rill_flow wm_snapshot(rill_ctx *ctx, void *state, uint64_t id, GByteArray *out)
{
  wm_state *st = state;
  rill__snap_i64(out, st->emitted);
  rill__snap_u8(out, (uint8_t)st->idle);
  rill__snap_u32(out, st->gen->parts->len);
  for (guint i = 0; i < st->gen->parts->len; i++) {
    const part *p = &g_array_index(st->gen->parts, part, i);
    rill__snap_u32(out, (uint32_t)p->id);
    rill__snap_i64(out, p->max_ts);
  }
  return RILL_FLOW_OK;
}

static gboolean wm_restore(rill_ctx *ctx, void *state, const uint8_t *data, size_t len, GError **error)
{
  wm_state *st = state;
  rill__snap_reader r = rill__snap_reader_init(data, len);
  st->emitted = rill__snap_get_i64(&r);
  st->idle = rill__snap_get_u8(&r) != 0;
  uint32_t n = rill__snap_get_u32(&r);
  int64_t now = clock_now(&st->gen->o);
  for (uint32_t i = 0; r.ok && i < n; i++) {
    part p = {(int32_t)rill__snap_get_u32(&r), 0, now};
    p.max_ts = rill__snap_get_i64(&r);
    g_array_append_val(st->gen->parts, p);
  }
  if (!rill__snap_done(&r)) {
    g_set_error_literal(error, RILL_PIPELINE_ERROR, RILL_PIPELINE_ERROR_INVALID, "malformed watermark snapshot");
    return FALSE;
  }
  return TRUE;
}

static const rill_operator_class wm_class = {
  .type_name = "watermarks",
  .open = wm_open,
  .process = wm_process,
  .on_watermark = wm_on_watermark,
  .close = wm_close,
  .snapshot = wm_snapshot,
  .restore = wm_restore,
};

rill_stage *rill_pipeline_add_watermarks(rill_pipeline *pipeline, const char *name, rill_stage *input,
                                         const rill_watermark_options *options)
{
  g_return_val_if_fail(options != NULL, NULL);
  rill_watermark_options *o = g_memdup2(options, sizeof *options);
  return rill_pipeline_add_operator(pipeline, name, &wm_class, o, g_free, &input, 1);
}
