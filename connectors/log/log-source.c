/* log-source.c — a pipeline source reading a topic of an in-process
 * rill_log. Partitions are the splits, dealt among the source's tasks. Each
 * read() fetches up to 1 MB per partition, decodes the batches (any codec)
 * and emits their records with topic, partition, offset and timestamp.
 * With nothing new it waits on log waiters for at most 100 ms (so drains
 * are noticed); without follow it ends at the high watermarks seen at open.
 *
 * Waiter callbacks run on appending threads and may still be running after
 * a cancel fails, so they hold a reference on the small wake box they
 * signal, never on the task state. */
#include <rill/log-connector.h>
#include <rill/source.h>

#include "runtime/snap.h"
#include "runtime/wire/recordbatch.h"

#define FETCH_BYTES (1 << 20)
#define WAIT_SLICE_US (100 * 1000)

typedef struct {
  rill_log *log;
  char *topic;
  GArray *partitions; /* int32_t */
  rill_log_from from;
  int64_t from_value;
  gboolean follow;
} source_conf;

typedef struct {
  GMutex lock;
  GCond cond;
  gboolean woken;
} wake_box;

typedef struct {
  int32_t partition;
  int64_t next;
  int64_t end; /* without follow: stop here */
} cursor;

typedef struct {
  source_conf *conf;
  GArray *cursors; /* cursor */
  rill__batch_reader reader;
  GArray *headers; /* rill_header scratch */
} source_state;

static void conf_free(source_conf *c)
{
  g_free(c->topic);
  g_array_unref(c->partitions);
  g_free(c);
}

static void box_free(wake_box *b)
{
  g_mutex_clear(&b->lock);
  g_cond_clear(&b->cond);
}

static void on_wake(rill_log_wake reason, int64_t hwm, void *user_data)
{
  wake_box *b = user_data;
  g_mutex_lock(&b->lock);
  b->woken = TRUE;
  g_cond_signal(&b->cond);
  g_mutex_unlock(&b->lock);
  g_atomic_rc_box_release_full(b, (GDestroyNotify)box_free);
}

static guint source_n_splits(void *user_data, guint parallelism)
{
  return ((source_conf *)user_data)->partitions->len;
}

static gboolean start_offset(source_conf *c, int32_t p, int64_t *next, int64_t *end, GError **error)
{
  rill_log_partition_info info;
  if (!rill_log_partition_info_get(c->log, c->topic, p, &info, error))
    return FALSE;
  *end = c->follow ? G_MAXINT64 : info.high_watermark;
  switch (c->from) {
  case RILL_LOG_FROM_EARLIEST: *next = info.log_start_offset; break;
  case RILL_LOG_FROM_LATEST: *next = info.high_watermark; break;
  case RILL_LOG_FROM_OFFSET: *next = CLAMP(c->from_value, info.log_start_offset, info.high_watermark); break;
  case RILL_LOG_FROM_TIMESTAMP: {
    int64_t found;
    if (!rill_log_offset_for_timestamp(c->log, c->topic, p, c->from_value, next, &found, error))
      return FALSE;
    if (*next < 0)
      *next = info.high_watermark;
    break;
  }
  }
  return TRUE;
}

static gboolean source_open(rill_ctx *ctx, void *user_data, const guint *splits, guint n_splits, void **state,
                            GError **error)
{
  source_conf *c = user_data;
  source_state *s = g_new0(source_state, 1);
  s->conf = c;
  s->cursors = g_array_new(FALSE, FALSE, sizeof(cursor));
  s->headers = g_array_new(FALSE, FALSE, sizeof(rill_header));
  rill__batch_reader_init(&s->reader);
  *state = s;
  for (guint i = 0; i < n_splits; i++) {
    cursor cur = {g_array_index(c->partitions, int32_t, splits[i]), 0, 0};
    if (!start_offset(c, cur.partition, &cur.next, &cur.end, error))
      return FALSE; /* close() frees the state */
    g_array_append_val(s->cursors, cur);
  }
  return TRUE;
}

/* Emits the records of @fetch at or after cur->next. */
static rill_flow emit_fetch(rill_ctx *ctx, source_state *s, cursor *cur, GBytes *bytes, rill_emitter *out,
                            guint *emitted)
{
  gsize len;
  const uint8_t *p = g_bytes_get_data(bytes, &len);
  GError *error = NULL;
  for (size_t at = 0; at < len && cur->next < cur->end;) {
    if (!rill__batch_reader_open(&s->reader, p + at, len - at, 0, 64u << 20, &error))
      goto fail;
    size_t size = s->reader.batch_size;
    int64_t last = s->reader.header.base_offset + s->reader.header.last_offset_delta;
    rill__record rec;
    int rc;
    while ((rc = rill__batch_reader_next(&s->reader, &rec, &error)) == 1) {
      if (rec.offset < cur->next || rec.control)
        continue;
      if (rec.offset >= cur->end)
        break;
      rill_record r;
      rill__record_view(&rec, s->headers, &r);
      r.topic = s->conf->topic;
      r.partition = cur->partition;
      r.offset = rec.offset;
      rill_flow f = rill_emit_record(out, &r);
      if (f != RILL_FLOW_OK)
        return f;
      (*emitted)++;
    }
    if (rc < 0)
      goto fail;
    cur->next = MIN(MAX(cur->next, last + 1), cur->end);
    at += size;
  }
  return RILL_FLOW_OK;
fail:
  rill_ctx_set_error(ctx, error);
  return RILL_FLOW_ERROR;
}

static rill_flow source_read(rill_ctx *ctx, void *state, rill_emitter *out)
{
  source_state *s = state;
  source_conf *c = s->conf;
  guint emitted = 0, done = 0;
  for (guint i = 0; i < s->cursors->len; i++) {
    cursor *cur = &g_array_index(s->cursors, cursor, i);
    if (cur->next >= cur->end) {
      done++;
      continue;
    }
    GError *error = NULL;
    rill_log_fetch *f = rill_log_read(c->log, c->topic, cur->partition, cur->next, FETCH_BYTES, &error);
    if (g_error_matches(error, RILL_LOG_ERROR, RILL_LOG_ERROR_OFFSET_OUT_OF_RANGE)) {
      /* Retention passed us: resume at the log start. */
      rill_log_partition_info info;
      g_clear_error(&error);
      if (rill_log_partition_info_get(c->log, c->topic, cur->partition, &info, &error) &&
          cur->next < info.log_start_offset)
        cur->next = info.log_start_offset;
      if (!error)
        continue;
    }
    if (!f && error) {
      rill_ctx_set_error(ctx, error);
      return RILL_FLOW_ERROR;
    }
    if (rill_log_fetch_size(f) > 0) {
      GBytes *b = rill_log_fetch_bytes(f, &error);
      rill_flow fl = b ? emit_fetch(ctx, s, cur, b, out, &emitted) : RILL_FLOW_ERROR;
      if (!b)
        rill_ctx_set_error(ctx, error);
      g_clear_pointer(&b, g_bytes_unref);
      if (fl != RILL_FLOW_OK) {
        rill_log_fetch_free(f);
        return fl;
      }
    }
    rill_log_fetch_free(f);
  }
  if (done == s->cursors->len)
    return RILL_FLOW_EOS;
  if (emitted > 0 || rill_ctx_is_stopping(ctx))
    return RILL_FLOW_OK;

  /* Nothing new: wait for an append past any cursor, in a short slice. */
  wake_box *box = g_atomic_rc_box_new0(wake_box);
  g_mutex_init(&box->lock);
  g_cond_init(&box->cond);
  g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(guint64));
  for (guint i = 0; i < s->cursors->len; i++) {
    cursor *cur = &g_array_index(s->cursors, cursor, i);
    if (cur->next >= cur->end)
      continue;
    GError *werr = NULL;
    guint64 id = rill_log_wait_add(c->log, c->topic, cur->partition, cur->next, on_wake,
                                   g_atomic_rc_box_acquire(box), &werr);
    if (werr) { /* nothing will fire: drop its reference, retry on the next read() */
      g_error_free(werr);
      g_mutex_lock(&box->lock);
      box->woken = TRUE;
      g_mutex_unlock(&box->lock);
      g_atomic_rc_box_release_full(box, (GDestroyNotify)box_free);
    }
    g_array_append_val(ids, id);
  }
  int64_t deadline = g_get_monotonic_time() + WAIT_SLICE_US;
  g_mutex_lock(&box->lock);
  while (!box->woken)
    if (!g_cond_wait_until(&box->cond, &box->lock, deadline))
      break;
  g_mutex_unlock(&box->lock);
  for (guint i = 0, k = 0; i < s->cursors->len; i++) {
    cursor *cur = &g_array_index(s->cursors, cursor, i);
    if (cur->next >= cur->end)
      continue;
    guint64 id = g_array_index(ids, guint64, k++);
    if (id != 0 && rill_log_wait_cancel(c->log, c->topic, cur->partition, id))
      g_atomic_rc_box_release_full(box, (GDestroyNotify)box_free); /* the waiter's reference */
  }
  g_atomic_rc_box_release_full(box, (GDestroyNotify)box_free);
  return RILL_FLOW_OK;
}

static void source_close(rill_ctx *ctx, void *state)
{
  source_state *s = state;
  rill__batch_reader_clear(&s->reader);
  g_array_unref(s->cursors);
  g_array_unref(s->headers);
  g_free(s);
}

/* Checkpoints: u32 cursors, per cursor: u32 partition, i64 next offset,
 * i64 end. read() has emitted every record below `next` when it returns,
 * so that is the position; `end` is kept so a bounded run stops where the
 * first attempt would have. */
static rill_flow source_snapshot(rill_ctx *ctx, void *state, uint64_t id, GByteArray *out)
{
  source_state *s = state;
  rill__snap_u32(out, s->cursors->len);
  for (guint i = 0; i < s->cursors->len; i++) {
    const cursor *cur = &g_array_index(s->cursors, cursor, i);
    rill__snap_u32(out, (uint32_t)cur->partition);
    rill__snap_i64(out, cur->next);
    rill__snap_i64(out, cur->end);
  }
  return RILL_FLOW_OK;
}

static gboolean source_restore(rill_ctx *ctx, void *state, const uint8_t *data, size_t len, GError **error)
{
  source_state *s = state;
  rill__snap_reader r = rill__snap_reader_init(data, len);
  uint32_t n = rill__snap_get_u32(&r);
  gboolean ok = r.ok && n == s->cursors->len;
  for (uint32_t i = 0; ok && i < n; i++) {
    cursor *cur = &g_array_index(s->cursors, cursor, i);
    int32_t partition = (int32_t)rill__snap_get_u32(&r);
    int64_t next = rill__snap_get_i64(&r), end = rill__snap_get_i64(&r);
    ok = r.ok && partition == cur->partition;
    cur->next = next;
    cur->end = end;
  }
  if (!ok || !rill__snap_done(&r)) {
    g_set_error(error, RILL_LOG_ERROR, RILL_LOG_ERROR_UNKNOWN_TOPIC,
                "log source snapshot does not match the partitions of topic '%s'", s->conf->topic);
    return FALSE;
  }
  return TRUE;
}

static const rill_source_class log_source_class = {
  .type_name = "log-source",
  .n_splits = source_n_splits,
  .open = source_open,
  .read = source_read,
  .close = source_close,
  .snapshot = source_snapshot,
  .restore = source_restore,
};

rill_stage *rill_pipeline_add_log_source(rill_pipeline *pipeline, const char *name,
                                         const rill_log_source_options *options, GError **error)
{
  g_return_val_if_fail(pipeline != NULL && options != NULL && options->log != NULL && options->topic != NULL, NULL);
  int32_t n;
  if (!rill_log_topic_describe(options->log, options->topic, &n, NULL, error))
    return NULL;
  source_conf *c = g_new0(source_conf, 1);
  c->log = options->log;
  c->topic = g_strdup(options->topic);
  c->partitions = g_array_new(FALSE, FALSE, sizeof(int32_t));
  c->from = options->from;
  c->from_value = options->from_value;
  c->follow = options->follow;
  for (guint i = 0; i < (options->partitions ? options->n_partitions : (guint)n); i++) {
    int32_t p = options->partitions ? options->partitions[i] : (int32_t)i;
    if (p < 0 || p >= n) {
      g_set_error(error, RILL_LOG_ERROR, RILL_LOG_ERROR_UNKNOWN_TOPIC, "topic '%s' has no partition %d",
                  options->topic, p);
      conf_free(c);
      return NULL;
    }
    g_array_append_val(c->partitions, p);
  }
  return rill_pipeline_add_source(pipeline, name, &log_source_class, c, (GDestroyNotify)conf_free);
}
