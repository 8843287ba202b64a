/* storage-log.c — the gateway's storage on the embedded log (storage.h):
 * each operation is the rill_log call of the same name on the one topic.
 *
 * An append is decided at once unless the topic's rill.durability is sync,
 * when the log's group commit calls back after the fdatasync; the offset is
 * known at append time either way and travels with the callback.
 */
#include "connectors/gateway/storage.h"

typedef struct {
  rill__gw_storage base;
  rill_log *log;
  gboolean own_log;
} log_storage;

static gboolean log_offsets(rill__gw_storage *st, int32_t p, int64_t *start, int64_t *hwm, GError **error)
{
  log_storage *l = (log_storage *)st;
  rill_log_partition_info info;
  if (!rill_log_partition_info_get(l->log, st->topic, p, &info, error))
    return FALSE;
  *start = info.log_start_offset;
  *hwm = info.high_watermark;
  return TRUE;
}

static GBytes *log_read(rill__gw_storage *st, int32_t p, int64_t from, size_t max_bytes, int64_t *hwm, GError **error)
{
  log_storage *l = (log_storage *)st;
  rill_log_fetch *f = rill_log_read(l->log, st->topic, p, from, max_bytes, error);
  if (!f)
    return NULL;
  *hwm = rill_log_fetch_high_watermark(f);
  GBytes *b = rill_log_fetch_size(f) ? rill_log_fetch_bytes(f, error) : g_bytes_new(NULL, 0);
  rill_log_fetch_free(f);
  return b;
}

static guint64 log_wait_add(rill__gw_storage *st, int32_t p, int64_t offset, rill_log_wait_func func, void *user_data,
                            GError **error)
{
  return rill_log_wait_add(((log_storage *)st)->log, st->topic, p, offset, func, user_data, error);
}

static gboolean log_wait_cancel(rill__gw_storage *st, int32_t p, guint64 id)
{
  return rill_log_wait_cancel(((log_storage *)st)->log, st->topic, p, id);
}

/* A pending append: the log's sync thread may decide it before
 * rill_log_append_nowait has even returned its offset, so whichever of the
 * two comes second (refs 2 -> 0) reports it. */
typedef struct {
  gint refs;
  rill__gw_appended_func func;
  void *user_data;
  int64_t offset;
  GError *error;
} pending_append;

static void pending_free(pending_append *a)
{
  g_clear_error(&a->error);
  g_free(a);
}

static void durable_cb(const GError *error, void *user_data)
{
  pending_append *a = user_data;
  a->error = error ? g_error_copy(error) : NULL;
  if (!g_atomic_int_dec_and_test(&a->refs))
    return;
  a->func(a->error ? -1 : a->offset, a->error, a->user_data);
  pending_free(a);
}

static gboolean log_append(rill__gw_storage *st, int32_t p, uint8_t *batch, size_t len, int64_t *offset,
                           gboolean *pending, rill__gw_appended_func func, void *user_data, GError **error)
{
  log_storage *l = (log_storage *)st;
  pending_append *a = g_new0(pending_append, 1);
  a->refs = 2;
  a->func = func;
  a->user_data = user_data;
  rill_log_append_result res;
  gboolean later = FALSE;
  *pending = FALSE;
  if (!rill_log_append_nowait(l->log, st->topic, p, batch, len, &res, durable_cb, a, &later, error)) {
    pending_free(a);
    return FALSE;
  }
  *offset = a->offset = res.base_offset;
  if (!later) {
    pending_free(a);
    return TRUE;
  }
  if (!g_atomic_int_dec_and_test(&a->refs)) {
    *pending = TRUE; /* durable_cb reports it */
    return TRUE;
  }
  /* decided already, on another thread: report it here */
  gboolean ok = a->error == NULL;
  if (!ok)
    g_propagate_error(error, g_steal_pointer(&a->error));
  pending_free(a);
  return ok;
}

static gboolean log_offset_for_time(rill__gw_storage *st, int32_t p, int64_t ts_ms, int64_t *offset, GError **error)
{
  int64_t found_ts;
  return rill_log_offset_for_timestamp(((log_storage *)st)->log, st->topic, p, ts_ms, offset, &found_ts, error);
}

static void log_free(rill__gw_storage *st)
{
  log_storage *l = (log_storage *)st;
  if (l->own_log && l->log)
    rill_log_close(l->log); /* decides pending appends (RILL_LOG_ERROR_CLOSED or synced) */
  g_free(st->topic);
  g_free(l);
}

static const rill__gw_storage_ops log_ops = {log_offsets, log_read,           log_wait_add, log_wait_cancel,
                                             log_append,  log_offset_for_time, log_free};

rill__gw_storage *rill__gw_storage_log_new(rill_log *log, const char *data_dir, const char *topic, int32_t partitions,
                                           rill_log_durability durability, GError **error)
{
  log_storage *l = g_new0(log_storage, 1);
  l->base.ops = &log_ops;
  l->base.topic = g_strdup(topic);
  if (log) {
    l->log = log;
  } else {
    if (!(l->log = rill_log_open(data_dir, NULL, error)))
      goto fail;
    l->own_log = TRUE;
  }
  GError *e = NULL;
  int32_t n;
  if (rill_log_topic_describe(l->log, topic, &n, NULL, &e)) {
    l->base.n_parts = n;
    return &l->base;
  }
  if (!g_error_matches(e, RILL_LOG_ERROR, RILL_LOG_ERROR_UNKNOWN_TOPIC)) {
    g_propagate_error(error, e);
    goto fail;
  }
  g_error_free(e);
  static const char *const names[] = {"none", "interval", "sync"};
  const char *config[] = {"rill.durability", names[durability], NULL};
  if (!rill_log_topic_create(l->log, topic, partitions, config, error))
    goto fail;
  l->base.n_parts = partitions;
  return &l->base;
fail:
  log_free(&l->base);
  return NULL;
}
