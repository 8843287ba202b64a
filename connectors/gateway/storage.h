/* storage.h — where the gateway's topic lives (internal): the seam between
 * gateway.c and its storage, the embedded log (storage-log.c) or a Kafka
 * cluster such as rill-broker (storage-kafka.c).
 *
 * The operations are the few the gateway needs from a partitioned log:
 * append a record batch and learn its offset once it is stored (acks=all),
 * read batches from an offset, wait for data past an offset, and find the
 * offsets of a partition (its start, its high watermark, the first at a
 * time). Everything is keyed by partition of the one topic the storage was
 * opened for.
 *
 * Threads: calls come from the gateway's shard threads, several at once;
 * implementations are MT-safe. Callbacks (waiters and pending appends) may
 * run on any thread, never with a storage lock held; they must be short
 * (post to the caller's context).
 *
 * Invariants every implementation keeps:
 * - read returns whole record batches as stored (v2), starting with the one
 *   holding @from (records before @from may be in it), never past the high
 *   watermark, so what is read is acknowledged;
 * - a waiter fires at most once; wait_cancel TRUE means it never will;
 * - a pending append's callback runs exactly once (with an error when the
 *   storage is freed first).
 */
#pragma once

#include <rill/log.h>

#include <glib.h>
#include <stdint.h>

typedef struct rill__gw_storage rill__gw_storage;

/* A pending append is decided: @offset of its first record, or @error
 * (transfer none) and @offset -1. */
typedef void (*rill__gw_appended_func)(int64_t offset, const GError *error, void *user_data);

typedef struct {
  /* Log start offset and high watermark of @p. */
  gboolean (*offsets)(rill__gw_storage *st, int32_t p, int64_t *start, int64_t *hwm, GError **error);
  /* Whole batches from the one holding @from, about @max_bytes (the first
   * batch whole however large); empty bytes at the high watermark. The
   * partition's high watermark in *@hwm. (transfer full) NULL with @error
   * (RILL_LOG_ERROR_OFFSET_OUT_OF_RANGE: @from is no longer, or not yet,
   * there). */
  GBytes *(*read)(rill__gw_storage *st, int32_t p, int64_t from, size_t max_bytes, int64_t *hwm, GError **error);
  /* @func once the high watermark passes @offset: at once (returning 0)
   * when it already has, else later (returning an id). 0 with @error when
   * the partition cannot be waited on. */
  guint64 (*wait_add)(rill__gw_storage *st, int32_t p, int64_t offset, rill_log_wait_func func, void *user_data,
                      GError **error);
  gboolean (*wait_cancel)(rill__gw_storage *st, int32_t p, guint64 id);
  /* Appends @batch (one record batch, base offset 0; may be modified).
   * Either decided now (*@pending FALSE, *@offset set) or later through
   * @func (*@pending TRUE). FALSE with @error when refused now. */
  gboolean (*append)(rill__gw_storage *st, int32_t p, uint8_t *batch, size_t len, int64_t *offset, gboolean *pending,
                     rill__gw_appended_func func, void *user_data, GError **error);
  /* The first offset whose batch has a timestamp >= @ts_ms, or -1 when none. */
  gboolean (*offset_for_time)(rill__gw_storage *st, int32_t p, int64_t ts_ms, int64_t *offset, GError **error);
  /* Cancels nothing: the caller cancels its waiters first. Pending appends
   * are decided (with an error if not stored) before this returns. */
  void (*free)(rill__gw_storage *st);
} rill__gw_storage_ops;

struct rill__gw_storage {
  const rill__gw_storage_ops *ops;
  char *topic;
  int32_t n_parts;
};

/* The embedded log: @log (transfer none; must outlive the storage) or one
 * opened in @data_dir. Creates the topic with @partitions and
 * rill.durability @durability when missing. */
rill__gw_storage *rill__gw_storage_log_new(rill_log *log, const char *data_dir, const char *topic, int32_t partitions,
                                           rill_log_durability durability, GError **error);

/* A Kafka cluster (rill-broker or any Kafka) at @bootstrap ("host:port,..."),
 * with @props ("name=value" client properties, NULL-terminated, may be
 * NULL: security.protocol, sasl.*, ssl.*, request.timeout.ms, ...). Creates
 * the topic with @partitions when missing (replication: the cluster's
 * default; rill.durability only when not none, which only rill-broker
 * knows). */
rill__gw_storage *rill__gw_storage_kafka_new(const char *bootstrap, const char *const *props, const char *topic,
                                             int32_t partitions, rill_log_durability durability, GError **error);

static inline void rill__gw_storage_free(rill__gw_storage *st)
{
  if (st)
    st->ops->free(st);
}
