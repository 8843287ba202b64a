/* log-private.h — internal structures of the log storage (runtime/log/).
 *
 * Ownership graph: rill_log -> topics (hash, name -> rill__topic) ->
 * partitions (array of refcounted rill__partition) -> segments (array of
 * refcounted rill__segment). Readers and appenders take a partition ref
 * under log->topics_lock (read side) and drop the table lock before doing
 * I/O, so a topic delete never waits for I/O and never frees a partition in
 * use.
 *
 * Locks, outer to inner: log->admin_lock (topic changes) >
 * log->topics_lock (GRWLock) > partition->lock (GMutex). log->groups_lock,
 * log->pid_lock and log->fds.lock are leaves. No I/O on a data
 * file is done with topics_lock held; segment appends are done with the
 * partition lock held (that is what orders them), fdatasync is not.
 */
#pragma once

#include <rill/log.h>
#include <rill/prometheus.h>

#include <stdbool.h>
#include <stdint.h>

#include "runtime/wire/batch-header.h"

#define RILL__PRODUCER_BATCHES 5
#define RILL__TAIL_BATCHES 64

/* ---- topic config (topic-config.c) ---- */
typedef struct {
  int64_t retention_ms;
  int64_t retention_bytes;
  int64_t segment_bytes;
  int64_t segment_ms;
  int64_t max_message_bytes;
  int64_t index_interval_bytes;
  int64_t flush_ms;
  int log_append_time; /* message.timestamp.type: 0 CreateTime, 1 LogAppendTime */
  rill_log_durability durability;
} rill__topic_config;

/* Applies the NULL-terminated pairs @kv over @cfg, recording them in @set
 * (name -> value) if not NULL. */
gboolean rill__topic_config_apply(rill__topic_config *cfg, GHashTable *set, const char *const *kv,
                                  GError **error);
/* Resolves @cfg from built-in defaults, then @defaults (name -> value), then @own. */
gboolean rill__topic_config_resolve(rill__topic_config *cfg, GHashTable *defaults, GHashTable *own,
                                    GError **error);
/* Every known key with its effective value. (transfer full) */
GHashTable *rill__topic_config_describe(const rill__topic_config *cfg);

/* ---- atomic files (atomic-file.c) ---- */
gboolean rill__atomic_write(const char *path, const void *data, size_t len, GError **error);
gboolean rill__fsync_dir(const char *dir, GError **error);
/* Orders char * array elements (g_qsort_with_data). */
gint rill__strv_cmp(gconstpointer a, gconstpointer b, gpointer unused);
void rill__set_io_error(GError **error, int err, const char *what, const char *path);

/* ---- open segment files (fd-cache.c) ---- */
typedef struct {
  GMutex lock;     /* a leaf: nothing else is taken or done under it */
  int capacity;    /* idle fds are closed beyond this many open ones */
  int open;        /* segment fds open now, pinned or idle */
  GQueue idle;     /* rill__segment with an open fd and no pin, most recently used first */
  /* fdatasync latency of the segments using this cache (all of one log's):
   * every sync pins through here, so it is measured in one place
   * (rill__segment_sync). Atomics, no lock; read by metrics scrapes. */
  rill_prom_histogram sync_ns;
} rill__fd_cache;

/* Half the process's RLIMIT_NOFILE, within [16, 4096]. */
int rill__fd_cache_default_capacity(void);
/* @capacity <= 0: the default. */
void rill__fd_cache_init(rill__fd_cache *c, int capacity);
void rill__fd_cache_clear(rill__fd_cache *c);

/* ---- segments (segment.c) ---- */
typedef struct {
  int32_t rel_offset; /* batch baseOffset - segment base */
  int32_t position;   /* byte position of the batch in the .log */
} rill__offset_entry;

typedef struct {
  int64_t timestamp;  /* largest maxTimestamp of batches up to and including rel_offset */
  int32_t rel_offset;
} rill__time_entry;

typedef struct rill__segment {
  gint ref;
  rill__fd_cache *cache; /* not refcounted: the log's, outlives its segments */
  int fd;                /* -1 while closed; fd-cache.c's (use rill__segment_pin) */
  int pins;              /* users of fd; under cache->lock */
  GList idle_link;       /* in cache->idle while open and unpinned */
  char *path;            /* .../00000000000000000000 without extension */
  int64_t base_offset;
  /* Below: written under the partition lock while the segment is active,
   * immutable after. */
  int64_t next_offset;   /* offset after the last batch */
  int64_t size;          /* bytes in the .log */
  int64_t max_timestamp; /* -1 if no batch has a timestamp */
  int64_t created_ms;    /* wall-clock time the segment got its first batch */
  GArray *offset_index;  /* rill__offset_entry, sparse */
  GArray *time_index;    /* rill__time_entry, sparse */
  int64_t bytes_since_index;
  bool indexes_dirty;    /* in memory differs from the files */
  /* Page-cache release behind the tail (partition.c: release_plan_take):
   * writeback was started (or claimed) for [0, writeback_pos), and
   * [0, dropped_pos) dropped from the page cache. Under the partition lock. */
  int64_t writeback_pos;
  int64_t dropped_pos;
} rill__segment;

/* Creates an empty segment file (no fd stays open beyond the cache's). */
rill__segment *rill__segment_create(rill__fd_cache *cache, const char *dir, int64_t base_offset,
                                    GError **error);
/* Opens an existing segment. @recover: check every batch's CRC and truncate
 * a torn tail (the active segment); else trust the indexes if they pass a
 * sanity check. @note gets a recovery note appended (may be NULL). */
rill__segment *rill__segment_open(rill__fd_cache *cache, const char *dir, int64_t base_offset, bool recover,
                                  GString *note, GError **error);
rill__segment *rill__segment_ref(rill__segment *seg);
void rill__segment_unref(rill__segment *seg);
/* Records a batch just written at @position in the indexes. */
void rill__segment_index_batch(rill__segment *seg, const rill_batch_header *h, int64_t position,
                               int64_t interval_bytes);
/* Writes the .index and .timeindex files if dirty. */
gboolean rill__segment_write_indexes(rill__segment *seg, GError **error);
/* Unlinks the segment's files (fd stays open until the last unref). */
void rill__segment_unlink(rill__segment *seg);
/* Byte position to start scanning for @offset / for @timestamp (under the
 * partition lock while active). */
int64_t rill__segment_lookup_offset(rill__segment *seg, int64_t offset);
int64_t rill__segment_lookup_time(rill__segment *seg, int64_t timestamp);
/* Reads the header of the batch at @position (< @end) into @h; false at a
 * short read or invalid header. */
bool rill__segment_read_header(rill__segment *seg, int64_t position, int64_t end, rill_batch_header *h);
/* Writes @len bytes at the end of the .log (seg->size; the caller indexes
 * them). On failure a partial write is taken back; *@torn is set when even
 * that failed (the file no longer ends on a whole batch). Under the
 * partition lock. */
gboolean rill__segment_append(rill__segment *seg, const uint8_t *data, size_t len, bool *torn, GError **error);
/* fdatasync of the .log. */
gboolean rill__segment_sync(rill__segment *seg, GError **error);
/* Reads exactly @len bytes at @position of the .log. */
gboolean rill__segment_read(rill__segment *seg, void *buf, size_t len, int64_t position, GError **error);
/* Page-cache release: start writeback of [@from, @to) / wait for it and drop
 * those pages. Failures only leave pages cached. */
void rill__segment_start_writeback(rill__segment *seg, int64_t from, int64_t to);
void rill__segment_drop_cached(rill__segment *seg, int64_t from, int64_t to);

/* fd-cache.c: the .log's fd, opened if needed (@flags added to O_RDWR),
 * kept open until the matching unpin; -1 with @error if it cannot be
 * opened (e.g. retention removed the file). */
int rill__segment_pin_fd(rill__segment *seg, int flags, GError **error);
int rill__segment_pin(rill__segment *seg, GError **error);
/* Another pin of a segment already pinned: cannot fail. */
int rill__segment_repin(rill__segment *seg);
void rill__segment_unpin(rill__segment *seg);
/* Closes the fd at the segment's end (no pin left). */
void rill__segment_forget_fd(rill__segment *seg);

/* ---- idempotent producers (producer-state.c) ---- */
typedef struct {
  int32_t first_seq, last_seq;
  int64_t base_offset, last_offset;
} rill__producer_batch;

typedef struct {
  int64_t producer_id;
  int16_t epoch;
  int n;                                        /* batches remembered */
  rill__producer_batch batches[RILL__PRODUCER_BATCHES]; /* oldest first */
} rill__producer;

typedef enum {
  RILL__PRODUCER_OK,
  RILL__PRODUCER_DUPLICATE,
  RILL__PRODUCER_OUT_OF_ORDER,
  RILL__PRODUCER_FENCED,
} rill__producer_check;

GHashTable *rill__producers_new(void); /* int64 id -> rill__producer */
rill__producer_check rill__producers_check(GHashTable *producers, const rill_batch_header *h,
                                           rill__producer_batch *dup);
void rill__producers_update(GHashTable *producers, const rill_batch_header *h, int64_t base_offset);
/* Snapshot file: "producer-state" in the partition dir, as of @offset. */
gboolean rill__producers_save(GHashTable *producers, const char *dir, int64_t offset, GError **error);
/* Loads the snapshot; returns the offset it is valid up to (0 if none). */
int64_t rill__producers_load(GHashTable *producers, const char *dir);

/* ---- partitions (partition.c) ---- */
typedef struct rill__waiter {
  guint64 id;
  int64_t offset;
  rill_log_wait_func func;
  void *user_data;
} rill__waiter;

/* A rill_log_append_nowait() waiting for the fdatasync that covers it. */
typedef struct {
  int64_t end;              /* durable once hwm >= end */
  rill_log_durable_func func;
  void *user_data;
} rill__durable;

typedef struct rill__partition {
  gint ref;
  struct rill_log *log;         /* not refcounted: outlives its partitions' use */
  char *topic;
  int32_t index;
  char *dir;
  GMutex lock;                  /* guards everything below */
  GCond cond;                   /* hwm advanced, sync finished, or closed */
  int cond_waiters;             /* threads in g_cond_wait on cond: none, no futex wake */
  rill__topic_config cfg;       /* copy, refreshed on alter */
  GPtrArray *segments;          /* rill__segment, by base offset; last = active */
  int64_t log_start_offset;
  int64_t next_offset;          /* log end offset */
  int64_t hwm;                  /* readable up to here (= next_offset unless a sync is pending) */
  int64_t hwm_pos;              /* byte end of hwm in the active segment */
  /* Where the newest batches of the active segment start (a ring, oldest
   * overwritten): a consumer at the tail fetches an offset appended moments
   * ago, and starting its scan here instead of at the sparse index entry
   * before it saves a header pread per batch in between. Entries belong to
   * the segment based at tail_base; empty after open and roll. */
  struct {
    int64_t offset, position;
  } tail[RILL__TAIL_BATCHES];
  guint tail_n;                 /* entries written since tail_base became active */
  int64_t tail_base;
  int64_t dirty_since_ms;       /* first unsynced append, -1 if none (interval) */
  bool syncing;                 /* a group-commit leader is in fdatasync */
  bool failed;                  /* an fdatasync failed: refuse appends until reopened */
  bool closed;                  /* topic deleted or log closing */
  GHashTable *producers;
  GArray *waiters;              /* rill__waiter */
  GArray *durable;              /* rill__durable, sorted by end */
  bool sync_queued;             /* in log->sync_queue (sync or page-cache release due),
                                 * not yet taken by the sync thread */
  GArray *damaged;              /* rill__damaged found by the scrubber (scrub.c); reads
                                 * stop before them */
} rill__partition;

/* A batch of a sealed segment that failed verification. */
typedef struct {
  int64_t segment_base; /* which segment */
  int64_t position;     /* where in its .log */
  int64_t first, last;  /* offsets it covers (last -1: the rest of the segment) */
} rill__damaged;

/* @dir: the partition directory (log.c names it). */
rill__partition *rill__partition_open(struct rill_log *log, const char *topic, int32_t index, const char *dir,
                                      const rill__topic_config *cfg, bool create, GString *notes,
                                      GError **error);
rill__partition *rill__partition_ref(rill__partition *p);
void rill__partition_unref(rill__partition *p);
/* Marks closed, wakes waiters and writes indexes / producer state. */
void rill__partition_close(rill__partition *p, bool write_state);
/* @func NULL: blocks for fdatasync under durability sync. Else never
 * blocks on it: *@pending tells whether @func will run (rill_log_append_nowait). */
gboolean rill__partition_append(rill__partition *p, uint8_t *data, size_t len,
                                rill_log_append_result *res, rill_log_durable_func func,
                                void *user_data, gboolean *pending, GError **error);
/* The sync thread's round for @p: one fdatasync covering every append so
 * far (if any rill__durable entry waits), the entries it satisfied fire,
 * then the page-cache release step that is due, if any. */
void rill__partition_sync_pending(rill__partition *p);
rill_log_fetch *rill__partition_read(rill__partition *p, int64_t offset, size_t max_bytes,
                                     GError **error);
void rill__partition_info(rill__partition *p, rill_log_partition_info *info);
gboolean rill__partition_offset_for_time(rill__partition *p, int64_t ts, int64_t *offset,
                                         int64_t *found_ts, GError **error);
guint64 rill__partition_wait_add(rill__partition *p, int64_t offset, rill_log_wait_func func,
                                 void *user_data);
gboolean rill__partition_wait_cancel(rill__partition *p, guint64 id);
int64_t rill__partition_wait(rill__partition *p, int64_t offset, int64_t timeout_us, GError **error);
guint rill__partition_retention(rill__partition *p, int64_t now_ms);
/* fdatasync if dirty for longer than flush.ms (@force: if dirty at all). */
gboolean rill__partition_flush(rill__partition *p, int64_t now_ms, bool force, GError **error);
void rill__partition_set_config(rill__partition *p, const rill__topic_config *cfg);

/* ---- the log (log.c) ---- */
typedef struct {
  char *name;
  char *files;             /* what its file names start with (log.c: topic_files_name) */
  GHashTable *own_config;  /* name -> value set on the topic */
  rill__topic_config cfg;
  GPtrArray *partitions;   /* rill__partition */
  bool growing;            /* under admin_lock: partitions are being added */
} rill__topic;

struct rill_log {
  char *dir;
  int lock_fd;
  GHashTable *default_config; /* name -> value */
  rill__fd_cache fds;         /* open segment files */
  /* Topic changes (create, delete, add partitions, alter) hold admin_lock
   * for their short steps; the long ones (making partition directories)
   * run without it, the topic reserved in @creating or marked growing, so
   * neither readers nor other topics' changes wait for them. topics changes
   * only with both admin_lock and topics_lock (writer) held. */
  GMutex admin_lock;
  GCond admin_cond;           /* a topic stopped growing */
  GHashTable *creating;       /* collision keys of topics being created, under admin_lock */
  GRWLock topics_lock;
  GHashTable *topics;         /* name -> rill__topic */
  GStrvBuilder *notes;        /* recovery notes, under topics_lock */
  guint64 next_waiter_id;     /* atomic */
  GMutex groups_lock;
  GHashTable *groups;         /* group -> GHashTable ("topic\0partition" -> offset) */
  GMutex pid_lock;
  int64_t next_producer_id;
  /* maintenance thread */
  GThread *thread;
  GMutex thread_lock;
  GCond thread_cond;
  bool stopping;
  int64_t retention_interval_ms;
  int64_t cache_window_bytes; /* rill_log_options.page_cache_window_bytes */
  /* sync thread: fdatasyncs for rill_log_append_nowait (group commit) */
  GThread *sync_thread;
  GMutex sync_lock;
  GCond sync_cond;
  GQueue sync_queue;          /* rill__partition refs with appends waiting for fdatasync */
  bool sync_stopping;
  struct rill__scrubber *scrubber; /* NULL when scrub_bytes_per_sec is 0 */
};

/* Queues @p for the sync thread (takes a ref). Called with p->lock held. */
void rill__log_queue_sync(rill_log *log, rill__partition *p);
/* The log's fdatasync latency histogram (nanoseconds). (transfer none) */
const rill_prom_histogram *rill__log_sync_latency(rill_log *log);
/* Refs of every partition. (transfer full: g_ptr_array_unref) */
GPtrArray *rill__log_partitions(rill_log *log);

/* ---- scrubber (scrub.c) ---- */
typedef struct rill__scrubber rill__scrubber;
/* Starts the scrub thread of @log if @options asks for one (NULL otherwise). */
rill__scrubber *rill__scrubber_start(rill_log *log, const rill_log_options *options);
/* Stops and joins it (may be NULL). */
void rill__scrubber_stop(rill__scrubber *s);

/* ---- fetch results (fetch.c) ---- */
rill_log_fetch *rill__fetch_new(int64_t hwm, int64_t log_start);
/* @seg must be pinned by the caller; the fetch takes its own ref and pin. */
void rill__fetch_add(rill_log_fetch *f, rill__segment *seg, int64_t position, int64_t length);

/* ---- group offsets (group-offsets.c) ---- */
gboolean rill__groups_load(rill_log *log, GError **error);
