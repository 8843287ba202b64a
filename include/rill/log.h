/* log.h — rill's partitioned log storage: the built-in broker's disk, usable
 * in-process.
 *
 * A rill_log owns one data directory holding topics, each split into
 * partitions; a partition is a sequence of segment files of Kafka RecordBatch
 * v2 bytes exactly as they are served (on-disk format: docs/log.md and the
 * block comment of runtime/log/segment.c). The log knows nothing of sockets:
 * the broker calls it, and so do the in-process log connectors.
 *
 * Threads: every function is MT safe. Appends to different partitions run in
 * parallel (one lock per partition); readers run concurrently with appenders.
 * Two rill_log instances on different directories are independent; one
 * directory is opened by at most one rill_log at a time (a lock file).
 *
 * Errors: functions that can fail take a GError ** in the RILL_LOG_ERROR
 * domain (codes below). Failures allocate; the success path of append and
 * read does not.
 */
#pragma once

#include <rill/export.h>

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

#define RILL_LOG_ERROR (rill_log_error_quark())
RILL_API GQuark rill_log_error_quark(void);

/* Error codes of RILL_LOG_ERROR. The Kafka error a broker should answer with
 * is given after each. */
typedef enum {
  RILL_LOG_ERROR_IO = 1,              /* read/write/fsync failed (KAFKA_STORAGE_ERROR 56) */
  RILL_LOG_ERROR_NO_SPACE,            /* ENOSPC, EDQUOT or EFBIG; nothing half-written stays
                                       * (KAFKA_STORAGE_ERROR 56) */
  RILL_LOG_ERROR_LOCKED,              /* the directory is open in another rill_log */
  RILL_LOG_ERROR_UNKNOWN_TOPIC,       /* no such topic or partition (UNKNOWN_TOPIC_OR_PARTITION 3) */
  RILL_LOG_ERROR_TOPIC_EXISTS,        /* (TOPIC_ALREADY_EXISTS 36) */
  RILL_LOG_ERROR_INVALID_TOPIC,       /* bad name, or collides with one by '.'/'_' (INVALID_TOPIC_EXCEPTION 17) */
  RILL_LOG_ERROR_INVALID_PARTITIONS,  /* count < 1 or not larger than now (INVALID_PARTITIONS 37) */
  RILL_LOG_ERROR_INVALID_CONFIG,      /* unknown key or bad value (INVALID_CONFIG 40) */
  RILL_LOG_ERROR_CORRUPT_BATCH,       /* bad length, magic or CRC (CORRUPT_MESSAGE 2) */
  RILL_LOG_ERROR_MESSAGE_TOO_LARGE,   /* batch > max.message.bytes (MESSAGE_TOO_LARGE 10) */
  RILL_LOG_ERROR_OFFSET_OUT_OF_RANGE, /* outside [log start, high watermark] (OFFSET_OUT_OF_RANGE 1) */
  RILL_LOG_ERROR_OUT_OF_ORDER_SEQUENCE, /* idempotent producer gap (OUT_OF_ORDER_SEQUENCE_NUMBER 45) */
  RILL_LOG_ERROR_PRODUCER_FENCED,     /* epoch older than the stored one (INVALID_PRODUCER_EPOCH 47) */
  RILL_LOG_ERROR_CLOSED,              /* the topic was deleted or the log is closing */
} rill_log_error;

/* Durability of acknowledged appends. */
typedef enum {
  RILL_LOG_DURABILITY_NONE = 0, /* page cache only; survives a process crash, not power loss */
  RILL_LOG_DURABILITY_INTERVAL, /* fdatasync every flush.ms by the log's maintenance thread */
  RILL_LOG_DURABILITY_SYNC,     /* append returns after fdatasync; concurrent appends to a
                                 * partition share one fdatasync (group commit) */
} rill_log_durability;

typedef struct rill_log rill_log;

/* One damaged batch found by the scrubber or rill_log_verify_dir. */
typedef struct {
  const char *topic;
  int32_t partition;
  int64_t segment_base; /* base offset of the segment: its file is <segment_base, 20 digits>.log */
  int64_t position;     /* byte position of the batch in that file */
  int64_t first_offset; /* offsets the damaged bytes held: the offset the batch should start at ... */
  int64_t last_offset;  /* ... to the last one (-1 when unknown: the length was destroyed and the
                         * rest of the file cannot be walked) */
  const char *reason;   /* "CRC-32C mismatch", "baseOffset does not follow the previous batch", ... */
} rill_log_damage;

/* Called once per damaged batch, from the scrubber thread (or the caller of
 * rill_log_verify_dir). (@damage: transfer none, valid during the call) */
typedef void (*rill_log_damage_func)(const rill_log_damage *damage, void *user_data);

typedef struct {
  /* Topic config used where a topic sets no value of its own: NULL or a
   * NULL-terminated array of "name", "value" pairs (Kafka names, see
   * rill_log_topic_create). (transfer none; copied) */
  const char *const *default_config;
  /* How often the maintenance thread enforces retention, in ms; 0 = never
   * (call rill_log_enforce_retention yourself). Default 300000. */
  int64_t retention_check_interval_ms;
  /* Bytes at the tail of each partition's active segment that stay in the
   * page cache; older bytes are handed to writeback early and dropped from
   * the page cache once written (readers then read them from disk). This
   * bounds the log's page-cache footprint and lets appends reuse recently
   * freed pages instead of touching new memory. 0 = never drop (leave it all
   * to the kernel). Default 4 MiB. */
  int64_t page_cache_window_bytes;
  /* Segment files kept open: a segment's file is opened when used and
   * closed again, least recently used first, once more than this many are
   * open (files in use by an append, a sync or an unfreed fetch stay open
   * meanwhile). So a log of many partitions and segments needs few fds.
   * 0 = half the process's RLIMIT_NOFILE, within [16, 4096] (the default). */
  int max_open_files;
  /* Background scrubber (one thread per log): re-reads sealed segments and
   * checks each batch's length, magic, CRC-32C and offset continuity, at
   * most scrub_bytes_per_sec (0 = no scrubber), one pass over every sealed
   * segment at most every scrub_interval_ms. Each damaged batch is reported
   * once to @scrub_damage_func (NULL: g_warning) and counted
   * (rill_log_scrub_stats_get); reads of a known-damaged batch then fail
   * with RILL_LOG_ERROR_CORRUPT_BATCH instead of serving it. Defaults:
   * 4 MiB/s, 3600000 ms. */
  int64_t scrub_bytes_per_sec;
  int64_t scrub_interval_ms;
  rill_log_damage_func scrub_damage_func;
  void *scrub_damage_user_data;
} rill_log_options;

/* Fills @options with the defaults. */
RILL_API void rill_log_options_init(rill_log_options *options);

/* Opens (creating if needed) the log in @dir. Every partition's active
 * segment is checked batch by batch; a torn tail is truncated (see
 * rill_log_recovery_notes) and missing or corrupt indexes are rebuilt.
 * @options may be NULL. Returns (transfer full) or NULL with @error. */
RILL_API rill_log *rill_log_open(const char *dir, const rill_log_options *options, GError **error);

/* Flushes, writes indexes and producer state, wakes every waiter with
 * RILL_LOG_WAKE_CLOSED and frees @log. No call may be in flight on @log. */
RILL_API void rill_log_close(rill_log *log);

/* What recovery did at open: one line per repaired partition ("t-0: truncated
 * 37 bytes at position 4096: CRC-32C mismatch"), NULL-terminated.
 * (transfer full: g_strfreev) */
RILL_API char **rill_log_recovery_notes(rill_log *log);

/* ---- Topics --------------------------------------------------------------
 * Config names (Kafka's): retention.ms (-1 = forever, default 604800000),
 * retention.bytes (-1, per partition), segment.bytes (1073741824),
 * segment.ms (604800000), max.message.bytes (1048588),
 * message.timestamp.type (CreateTime | LogAppendTime),
 * index.interval.bytes (4096), flush.ms (1000, the interval of
 * durability "interval"), and rill's rill.durability (none | interval | sync,
 * default none). Names are validated as Kafka does: 1..249 characters of
 * [a-zA-Z0-9._-], not "." or "..", and not colliding with an existing topic
 * when '.' and '_' are treated as equal. */

/* Creates @topic with @partitions partitions and @config (NULL or
 * NULL-terminated "name", "value" pairs). Every valid name works: a name
 * too long for the file system's file names is stored under a shortened
 * unique form. Making the partitions' files holds no lock readers or other
 * topics wait on. (transfer none) */
RILL_API gboolean rill_log_topic_create(rill_log *log, const char *topic, int32_t partitions, const char *const *config,
                                        GError **error);
/* Deletes @topic and its data; its waiters wake with RILL_LOG_WAKE_CLOSED. */
RILL_API gboolean rill_log_topic_delete(rill_log *log, const char *topic, GError **error);
/* Grows @topic to @partitions partitions (never shrinks). */
RILL_API gboolean rill_log_topic_add_partitions(rill_log *log, const char *topic, int32_t partitions, GError **error);
/* Changes config keys of @topic (NULL-terminated pairs; a NULL value resets
 * the key to its default). Takes effect for the next append/roll. */
RILL_API gboolean rill_log_topic_alter_config(rill_log *log, const char *topic, const char *const *config,
                                              GError **error);
/* Sorted topic names. (transfer full: g_strfreev) */
RILL_API char **rill_log_topic_list(rill_log *log);
/* Partition count of @topic and, if @config is not NULL, every config key
 * with its effective value (transfer full: g_hash_table_unref; name -> value). */
RILL_API gboolean rill_log_topic_describe(rill_log *log, const char *topic, int32_t *partitions, GHashTable **config,
                                          GError **error);
/* TRUE if @name is a valid topic name (Kafka's rules); else FALSE with
 * RILL_LOG_ERROR_INVALID_TOPIC. */
RILL_API gboolean rill_log_topic_name_validate(const char *name, GError **error);

/* ---- Append --------------------------------------------------------------- */

typedef struct {
  int64_t base_offset;      /* offset given to the first record */
  int64_t last_offset;      /* offset of the last record */
  int64_t log_append_time;  /* ms, or -1 when the topic uses CreateTime */
  int64_t log_start_offset; /* after this append */
  gboolean duplicate;       /* an idempotent retry: nothing was written, the offsets
                             * are those of the original batch (Kafka answers
                             * success / DUPLICATE_SEQUENCE_NUMBER 46) */
} rill_log_append_result;

/* Appends @len bytes of one or more RecordBatch v2 at @batches to a
 * partition. Each batch's length, magic and CRC are checked and its size
 * against max.message.bytes; idempotent batches (producerId >= 0) are
 * checked against the producer's stored epoch and sequence. The bytes are
 * re-stamped IN PLACE (baseOffset; with LogAppendTime also the attributes,
 * maxTimestamp and CRC) and written exactly as they will be served. Under
 * durability sync this returns after the bytes are on disk. Either all
 * batches are appended or none. (@batches: transfer none, modified) */
RILL_API gboolean rill_log_append(rill_log *log, const char *topic, int32_t partition, uint8_t *batches, size_t len,
                                  rill_log_append_result *result, GError **error);

/* Called once when a pending rill_log_append_nowait() is decided: @error
 * NULL when its bytes are on disk (and readable), else why they never will
 * be (RILL_LOG_ERROR_IO after a failed fdatasync, RILL_LOG_ERROR_CLOSED when
 * the topic was deleted or the log closed first). Runs on the log's sync
 * thread, or on the thread of a call that synced the partition (an append
 * that rolled a segment, a blocking rill_log_append, rill_log_close), never
 * with a log lock held; keep it short (e.g. post to an event loop).
 * (@error: transfer none) */
typedef void (*rill_log_durable_func)(const GError *error, void *user_data);

/* Like rill_log_append, but never waits for fdatasync: the bytes are
 * written (and offsets assigned, in call order) before it returns. If the
 * partition's durability is sync, *@pending is set TRUE and @func(@user_data)
 * runs exactly once later, when an fdatasync covers the append; the log's
 * sync thread does one fdatasync for every append that arrived meanwhile
 * (group commit). Until then the records are not readable (the high
 * watermark has not passed them). Otherwise *@pending is FALSE and @func
 * never runs. Callbacks of one partition may run on different threads, so
 * they are not ordered among themselves; order answers by the append
 * order yourself (the broker does: its answers leave in request order).
 * FALSE with @error (and *@pending FALSE) if the append was refused. */
RILL_API gboolean rill_log_append_nowait(rill_log *log, const char *topic, int32_t partition, uint8_t *batches,
                                         size_t len, rill_log_append_result *result, rill_log_durable_func func,
                                         void *user_data, gboolean *pending, GError **error);

/* ---- Read ------------------------------------------------------------------ */

typedef struct rill_log_fetch rill_log_fetch;

/* Reads whole batches starting with the one holding @offset, stopping before
 * the batch that would take the total past @max_bytes -- but the first batch
 * is always returned whole, however large (KIP-74). @offset == high watermark
 * gives an empty fetch; outside [log start, high watermark] fails with
 * RILL_LOG_ERROR_OFFSET_OUT_OF_RANGE. Segment files stay open, even if
 * retention deletes them, until the fetch is freed.
 * Returns (transfer full: rill_log_fetch_free). */
RILL_API rill_log_fetch *rill_log_read(rill_log *log, const char *topic, int32_t partition, int64_t offset,
                                       size_t max_bytes, GError **error);
RILL_API void rill_log_fetch_free(rill_log_fetch *fetch);
/* Number of (fd, position, length) ranges; their bytes, concatenated, are the
 * batches, ready for sendfile(). */
RILL_API guint rill_log_fetch_n_ranges(const rill_log_fetch *fetch);
/* The @i'th range. @fd is owned by the fetch (do not close it). */
RILL_API void rill_log_fetch_range(const rill_log_fetch *fetch, guint i, int *fd, int64_t *position, size_t *length);
/* Total bytes of all ranges. */
RILL_API size_t rill_log_fetch_size(const rill_log_fetch *fetch);
/* High watermark and log start offset of the partition when it was read. */
RILL_API int64_t rill_log_fetch_high_watermark(const rill_log_fetch *fetch);
RILL_API int64_t rill_log_fetch_log_start_offset(const rill_log_fetch *fetch);
/* Reads the ranges into memory. (transfer full) */
RILL_API GBytes *rill_log_fetch_bytes(const rill_log_fetch *fetch, GError **error);

/* ---- Offsets ---------------------------------------------------------------- */

typedef struct {
  int64_t log_start_offset; /* first readable offset */
  int64_t high_watermark;   /* offset after the last readable record (= last stable offset) */
  int64_t log_end_offset;   /* offset the next append gets (> hwm only while a sync is pending) */
  int64_t size_bytes;       /* bytes of all segments */
  int32_t n_segments;
} rill_log_partition_info;

RILL_API gboolean rill_log_partition_info_get(rill_log *log, const char *topic, int32_t partition,
                                              rill_log_partition_info *info, GError **error);

#define RILL_LOG_TIMESTAMP_LATEST (-1)   /* ListOffsets' LATEST_TIMESTAMP */
#define RILL_LOG_TIMESTAMP_EARLIEST (-2) /* ListOffsets' EARLIEST_TIMESTAMP */

/* The first batch whose maxTimestamp >= @timestamp: its base offset in
 * @offset and its maxTimestamp in @found_timestamp; both -1 if no batch is
 * that late. RILL_LOG_TIMESTAMP_LATEST / _EARLIEST give the high watermark /
 * log start offset (found_timestamp -1). */
RILL_API gboolean rill_log_offset_for_timestamp(rill_log *log, const char *topic, int32_t partition, int64_t timestamp,
                                                int64_t *offset, int64_t *found_timestamp, GError **error);

/* ---- Waiters -----------------------------------------------------------------
 * A waiter fires once, when the high watermark passes @offset (hwm > offset),
 * or when the partition goes away. No polling: appends wake waiters. */

typedef enum {
  RILL_LOG_WAKE_DATA = 0, /* high watermark > the offset waited for */
  RILL_LOG_WAKE_CLOSED,   /* topic deleted or log closing; no data will come */
} rill_log_wake;

/* Called on the appending (or syncing, or closing) thread without locks held;
 * keep it short (e.g. write an eventfd). */
typedef void (*rill_log_wait_func)(rill_log_wake reason, int64_t high_watermark, void *user_data);

/* Registers @func to run once. If the high watermark is already past
 * @offset, @func runs before this returns, and 0 is returned. Otherwise
 * returns an id for rill_log_wait_cancel. 0 with @error set on failure. */
RILL_API guint64 rill_log_wait_add(rill_log *log, const char *topic, int32_t partition, int64_t offset,
                                   rill_log_wait_func func, void *user_data, GError **error);
/* Removes a waiter. TRUE if it had not fired (it never will); FALSE if it
 * has already fired or is firing now. */
RILL_API gboolean rill_log_wait_cancel(rill_log *log, const char *topic, int32_t partition, guint64 id);
/* Blocks until the high watermark passes @offset or @timeout_us (monotonic
 * microseconds, -1 = forever) elapse. Returns the high watermark (which may
 * be <= @offset on timeout), or -1 with @error (RILL_LOG_ERROR_CLOSED when
 * the topic was deleted or the log closed meanwhile). */
RILL_API int64_t rill_log_wait(rill_log *log, const char *topic, int32_t partition, int64_t offset, int64_t timeout_us,
                               GError **error);

/* ---- Retention and flushing ---------------------------------------------------- */

/* Deletes whole non-active segments past retention.ms / retention.bytes in
 * every partition and advances their log start offsets. Returns the number
 * of segments deleted. Also run by the maintenance thread. */
RILL_API guint rill_log_enforce_retention(rill_log *log, int64_t now_ms);
/* fdatasyncs every partition now (whatever the durability). */
RILL_API gboolean rill_log_flush(rill_log *log, GError **error);

/* ---- Integrity ------------------------------------------------------------------ */

/* What the scrubber did since the log was opened. */
typedef struct {
  guint64 passes;          /* passes over every sealed segment finished */
  guint64 segments;        /* segment files checked */
  guint64 batches;         /* batches checked */
  guint64 bytes;           /* bytes read */
  guint64 damaged_batches; /* distinct damaged batches found (each counted once) */
  guint64 io_errors;       /* segment files that could not be read */
} rill_log_scrub_stats;

RILL_API void rill_log_scrub_stats_get(rill_log *log, rill_log_scrub_stats *stats);

/* Starts a scrub pass now instead of at the next interval (no-op without a
 * scrubber). */
RILL_API void rill_log_scrub_kick(rill_log *log);

/* Offline check of a log directory (not opened; nothing is written, so it
 * may run beside a broker): every batch of every segment of every partition,
 * the active segments included, as the scrubber checks them. @func runs
 * once per damaged batch; @stats (may be NULL) gets what was read. FALSE
 * with @error only when @dir cannot be read (damage is not an error). */
RILL_API gboolean rill_log_verify_dir(const char *dir, rill_log_damage_func func, void *user_data,
                                      rill_log_scrub_stats *stats, GError **error);

/* ---- Consumer-group offsets ------------------------------------------------------
 * Stored per group in one file, replaced atomically on every commit (write
 * temp, fsync, rename, fsync dir), so a crash leaves the old or the new set. */

typedef struct {
  char *topic;              /* (owned by the struct when returned) */
  int32_t partition;
  int64_t offset;
  int32_t leader_epoch;     /* -1 if unknown */
  char *metadata;           /* may be NULL */
  int64_t commit_timestamp; /* ms */
} rill_log_group_offset;

/* Commits @n offsets for @group (transfer none; copied). A later commit of
 * the same topic-partition replaces the earlier one. */
RILL_API gboolean rill_log_group_commit(rill_log *log, const char *group, const rill_log_group_offset *offsets, guint n,
                                        GError **error);
/* The committed offset of @group for one partition into @out (strings
 * transfer full: rill_log_group_offset_clear). FALSE if none. */
RILL_API gboolean rill_log_group_fetch(rill_log *log, const char *group, const char *topic, int32_t partition,
                                       rill_log_group_offset *out);
/* All committed offsets of @group, sorted by topic and partition.
 * (transfer full: g_array_unref; elements cleared with it) */
RILL_API GArray *rill_log_group_fetch_all(rill_log *log, const char *group);
/* Groups with committed offsets, sorted. (transfer full: g_strfreev) */
RILL_API char **rill_log_group_list(rill_log *log);
/* Drops @group's offsets committed at or before @cutoff_ms (wall clock, ms),
 * and the group's file with the last one (offsets.retention.minutes).
 * *@n_left (may be NULL) = offsets that remain. FALSE with @error only on
 * I/O failure (nothing changed then). */
RILL_API gboolean rill_log_group_expire(rill_log *log, const char *group, int64_t cutoff_ms, guint *n_left,
                                        GError **error);
/* Forgets @group's offsets. FALSE with @error only on I/O failure. */
RILL_API gboolean rill_log_group_delete(rill_log *log, const char *group, GError **error);
RILL_API void rill_log_group_offset_clear(rill_log_group_offset *offset);

/* ---- Idempotent producers -----------------------------------------------------
 * Each partition keeps, per producer id, its epoch and the sequence ranges of
 * its last 5 batches (to answer retries); it is checked and updated by
 * rill_log_append, snapshotted atomically at segment roll and close, and
 * replayed from the log after a crash. */

/* Allocates a producer id, unique in this directory forever (a counter
 * stored with an atomic write). -1 with @error on I/O failure. */
RILL_API int64_t rill_log_producer_id_allocate(rill_log *log, GError **error);

/* The stored state of @producer_id in a partition: its epoch and the last
 * sequence and offset appended. FALSE if the partition knows no such producer. */
RILL_API gboolean rill_log_producer_state_get(rill_log *log, const char *topic, int32_t partition, int64_t producer_id,
                                              int16_t *epoch, int32_t *last_sequence, int64_t *last_offset);

G_END_DECLS
