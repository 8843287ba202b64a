/* dedupe.c — drop records whose key was let through within a time bound
 * (dedupe.h). Table: key -> kept timestamp. `next_due` is <= the earliest
 * time a key can be forgotten, so most watermarks cost nothing. */
#include <rill/dedupe.h>

#include "operators/event-time-private.h"
#include "runtime/snap.h"
#include "runtime/state-table.h"

typedef struct {
  int64_t within;
  rill__table *t;
  int64_t next_due;
} dd_state;

static gboolean dd_open(rill_ctx *ctx, void *user_data, void **state, GError **error)
{
  int64_t within = *(const int64_t *)user_data;
  if (within <= 0) {
    g_set_error_literal(error, RILL_PIPELINE_ERROR, RILL_PIPELINE_ERROR_INVALID, "dedupe: within must be > 0 ms");
    return FALSE;
  }
  dd_state *st = g_new0(dd_state, 1);
  st->within = within;
  st->t = rill__table_new(sizeof(int64_t));
  st->next_due = INT64_MAX;
  *state = st;
  return TRUE;
}

static void dd_close(rill_ctx *ctx, void *state)
{
  dd_state *st = state;
  rill__table_free(st->t);
  g_free(st);
}

static gboolean keep(const rill_record *r, void *data)
{
  dd_state *st = data;
  if (r->timestamp == RILL_TIMESTAMP_NONE)
    return TRUE;
  gboolean created;
  int64_t *kept = rill__table_upsert(st->t, r->key.data, r->key.len, rill__hash(r->key.data, r->key.len), &created);
  if (!created) {
    int64_t d = r->timestamp - *kept;
    if (d > -st->within && d < st->within)
      return FALSE;
  }
  *kept = r->timestamp;
  st->next_due = MIN(st->next_due, r->timestamp + st->within - 1);
  return TRUE;
}

static rill_flow dd_process(rill_ctx *ctx, void *state, guint input, rill_batch *batch, rill_emitter *out)
{
  dd_state *st = state;
  batch = rill_batch_make_writable(batch);
  size_t kept = rill_batch_retain(batch, keep, st);
  rill_ctx_set_state_bytes(ctx, rill__table_bytes(st->t));
  if (!kept) {
    rill_batch_unref(batch);
    return RILL_FLOW_OK;
  }
  return rill_emit_batch(out, batch);
}

/* A rill__advance_fn: forgets the keys whose window closed. */
static rill_flow expire(rill_ctx *ctx, void *state, int64_t wm, rill_emitter *out)
{
  dd_state *st = state;
  if (wm >= st->next_due) {
    st->next_due = INT64_MAX;
    void *v;
    for (size_t it = 0; rill__table_next(st->t, &it, NULL, &v);) {
      int64_t due = *(int64_t *)v + st->within - 1;
      if (due <= wm)
        rill__table_remove_current(st->t, it);
      else
        st->next_due = MIN(st->next_due, due);
    }
    /* The state gauge must fall with the table, not only grow with input. */
    rill_ctx_set_state_bytes(ctx, rill__table_bytes(st->t));
  }
  return RILL_FLOW_OK;
}

static rill_flow dd_on_watermark(rill_ctx *ctx, void *state, int64_t wm, rill_emitter *out)
{
  return rill__advance_and_forward(ctx, state, wm, out, expire);
}

/* Checkpoints: i64 next_due, then the table (key -> kept timestamp) in the
 * rill__table_serialize format. */
static rill_flow dd_snapshot(rill_ctx *ctx, void *state, uint64_t id, GByteArray *out)
{
  dd_state *st = state;
  rill__snap_i64(out, st->next_due);
  rill__table_serialize(st->t, out);
  return RILL_FLOW_OK;
}

static gboolean dd_restore(rill_ctx *ctx, void *state, const uint8_t *data, size_t len, GError **error)
{
  dd_state *st = state;
  rill__snap_reader r = rill__snap_reader_init(data, len);
  st->next_due = rill__snap_get_i64(&r);
  size_t used = 0;
  if (!r.ok || !rill__table_deserialize(st->t, r.p, (size_t)(r.end - r.p), &used) || used != (size_t)(r.end - r.p)) {
    g_set_error_literal(error, RILL_PIPELINE_ERROR, RILL_PIPELINE_ERROR_INVALID, "malformed dedupe snapshot");
    return FALSE;
  }
  rill_ctx_set_state_bytes(ctx, rill__table_bytes(st->t));
  return TRUE;
}

static const rill_operator_class dd_class = {
  .type_name = "dedupe",
  .open = dd_open,
  .process = dd_process,
  .on_watermark = dd_on_watermark,
  .close = dd_close,
  .snapshot = dd_snapshot,
  .restore = dd_restore,
};

rill_stage *rill_pipeline_add_dedupe(rill_pipeline *pipeline, const char *name, rill_stage *input,
                                     int64_t within_ms)
{
  int64_t *w = g_new(int64_t, 1);
  *w = within_ms;
  return rill_pipeline_add_operator(pipeline, name, &dd_class, w, g_free, &input, 1);
}
