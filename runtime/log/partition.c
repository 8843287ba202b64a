/* partition.c — one partition: its segments, appends with offset assignment
 * and group commit, reads, offset lookups, waiters and retention.
 *
 * Invariants (all under p->lock):
 * - segments are sorted by base offset and non-empty as an array; the last is
 *   the active one, the only one written to;
 * - log_start_offset <= hwm <= next_offset; every byte below hwm_pos in the
 *   active segment (and every byte of older segments) is a whole, checked
 *   batch, so readers may pread it without the lock;
 * - under durability sync, hwm only moves after an fdatasync covering it, so
 *   readers never see (and appenders never acknowledge) bytes a power loss
 *   could take back;
 * - a waiter is in p->waiters iff it has not fired; it fires exactly once.
 *
 * Group commit: an appender under sync that finds no fdatasync in flight
 * becomes the leader: it notes the log end, drops the lock, syncs, and
 * advances hwm to what it noted; the others wait on p->cond, and the next of
 * them to find no sync in flight leads the next round. N concurrent
 * appenders thus pay about 2 fdatasyncs, not N. rill_log_append_nowait
 * does not wait: it records a rill__durable entry and queues the partition
 * for the log's sync thread, which leads a round the same way; every entry
 * whose end the new hwm covers fires. A failed fdatasync
 * fails every pending entry (and the partition refuses appends after it).
 *
 * Tail reads: a consumer at the tail asks for offsets appended moments
 * ago; the sparse index would start its scan up to index.interval.bytes
 * earlier, a header pread per batch in between (about a dozen preads per
 * Fetch of small batches). A ring of the last RILL__TAIL_BATCHES batch
 * starts of the active segment (lookup_start) starts it at the batch.
 *
 * Page cache: behind the newest page_cache_window_bytes of the active
 * segment, writeback is started early (sync_file_range) and written pages
 * are dropped (POSIX_FADV_DONTNEED), so appends recycle recently freed pages
 * instead of growing the page cache into memory never touched before. The
 * appender only notices a step is due and queues the partition; the sync
 * thread does the calls.
 */
#include "runtime/log/log-private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int64_t now_ms(void) { return g_get_real_time() / 1000; }

static rill__segment *active(rill__partition *p)
{
  return g_ptr_array_index(p->segments, p->segments->len - 1);
}

rill__partition *rill__partition_ref(rill__partition *p)
{
  g_atomic_int_inc(&p->ref);
  return p;
}

void rill__partition_unref(rill__partition *p)
{
  if (!p || !g_atomic_int_dec_and_test(&p->ref))
    return;
  for (guint i = 0; i < p->segments->len; i++)
    rill__segment_unref(g_ptr_array_index(p->segments, i));
  g_ptr_array_unref(p->segments);
  g_hash_table_unref(p->producers);
  g_array_unref(p->waiters);
  g_array_unref(p->durable);
  g_array_unref(p->damaged);
  g_mutex_clear(&p->lock);
  g_cond_clear(&p->cond);
  g_free(p->topic);
  g_free(p->dir);
  g_free(p);
}

static int cmp_i64(const void *a, const void *b)
{
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

/* Replays idempotent batches from @from to the end into p->producers. */
static void replay_producers(rill__partition *p, int64_t from)
{
  for (guint i = 0; i < p->segments->len; i++) {
    rill__segment *seg = g_ptr_array_index(p->segments, i);
    if (seg->next_offset <= from)
      continue;
    int64_t pos = rill__segment_lookup_offset(seg, from);
    rill_batch_header h;
    while (pos < seg->size && rill__segment_read_header(seg, pos, seg->size, &h)) {
      if (h.base_offset >= from && h.producer_id >= 0 && h.base_sequence >= 0)
        rill__producers_update(p->producers, &h, h.base_offset);
      pos += (int64_t)h.batch_length + RILL_BATCH_LOG_OVERHEAD;
    }
  }
}

rill__partition *rill__partition_open(rill_log *log, const char *topic, int32_t index, const char *dir,
                                      const rill__topic_config *cfg, bool create, GString *notes,
                                      GError **error)
{
  g_autoptr(GDir) d = NULL;
  g_autoptr(GArray) bases = g_array_new(FALSE, FALSE, sizeof(int64_t));
  rill__partition *p = g_new0(rill__partition, 1);
  p->ref = 1;
  p->log = log;
  p->topic = g_strdup(topic);
  p->index = index;
  p->dir = g_strdup(dir);
  g_mutex_init(&p->lock);
  g_cond_init(&p->cond);
  p->cfg = *cfg;
  p->segments = g_ptr_array_new();
  p->producers = rill__producers_new();
  p->waiters = g_array_new(FALSE, FALSE, sizeof(rill__waiter));
  p->durable = g_array_new(FALSE, FALSE, sizeof(rill__durable));
  p->damaged = g_array_new(FALSE, FALSE, sizeof(rill__damaged));
  p->dirty_since_ms = -1;

  if (create && g_mkdir_with_parents(p->dir, 0755) != 0) {
    rill__set_io_error(error, errno, "cannot create", p->dir);
    goto fail;
  }
  d = g_dir_open(p->dir, 0, NULL);
  if (!d) {
    rill__set_io_error(error, errno, "cannot open", p->dir);
    goto fail;
  }
  const char *name;
  while ((name = g_dir_read_name(d))) {
    char *end;
    if (strlen(name) != 24 || !g_str_has_suffix(name, ".log"))
      continue;
    int64_t base = g_ascii_strtoll(name, &end, 10);
    if (end == name + 20 && base >= 0)
      g_array_append_val(bases, base);
  }
  if (bases->len)
    qsort(bases->data, bases->len, sizeof(int64_t), cmp_i64);
  for (guint i = 0; i < bases->len; i++) {
    g_autoptr(GString) note = g_string_new(NULL);
    bool last = i + 1 == bases->len;
    rill__segment *seg =
      rill__segment_open(&log->fds, p->dir, g_array_index(bases, int64_t, i), last, note, error);
    if (!seg)
      goto fail;
    g_ptr_array_add(p->segments, seg);
    if (note->len && notes)
      g_string_append(notes, note->str);
  }
  if (p->segments->len == 0) {
    rill__segment *seg = rill__segment_create(&log->fds, p->dir, 0, error);
    if (!seg)
      goto fail;
    g_ptr_array_add(p->segments, seg);
    if (create && !rill__fsync_dir(p->dir, error))
      goto fail;
  }
  rill__segment *first = g_ptr_array_index(p->segments, 0);
  p->log_start_offset = first->base_offset;
  p->next_offset = active(p)->next_offset;
  p->hwm = p->next_offset;
  p->hwm_pos = active(p)->size;

  int64_t from = rill__producers_load(p->producers, p->dir);
  if (from > p->next_offset || from < p->log_start_offset) {
    /* The snapshot is ahead of a truncated log, or its range was deleted:
     * rebuild from what the active segment holds. */
    g_hash_table_remove_all(p->producers);
    from = active(p)->base_offset;
  }
  replay_producers(p, from);
  return p;

fail:
  rill__partition_unref(p);
  return NULL;
}

void rill__partition_set_config(rill__partition *p, const rill__topic_config *cfg)
{
  g_mutex_lock(&p->lock);
  p->cfg = *cfg;
  g_mutex_unlock(&p->lock);
}

/* Callbacks collected under the lock, run after it is dropped. */
typedef struct {
  GArray *waiters; /* rill__waiter */
  GArray *synced;  /* rill__durable that succeeded */
  GArray *failed;  /* rill__durable that failed, with @error */
  GError *error;
} fire_list;

static void take_durable(rill__partition *p, guint n, GArray **into)
{
  if (n == 0)
    return;
  if (!*into)
    *into = g_array_new(FALSE, FALSE, sizeof(rill__durable));
  g_array_append_vals(*into, p->durable->data, n);
  g_array_remove_range(p->durable, 0, n);
}

/* Moves waiters passed by hwm (all, once closed) and the durable entries hwm
 * covers into @fire (under the lock). */
static void collect_waiters(rill__partition *p, fire_list *fire)
{
  for (guint i = 0; i < p->waiters->len;) {
    rill__waiter *w = &g_array_index(p->waiters, rill__waiter, i);
    if (w->offset < p->hwm || p->closed) {
      if (!fire->waiters)
        fire->waiters = g_array_new(FALSE, FALSE, sizeof(rill__waiter));
      g_array_append_val(fire->waiters, *w);
      g_array_remove_index_fast(p->waiters, i);
    } else {
      i++;
    }
  }
  guint n = 0;
  while (n < p->durable->len && g_array_index(p->durable, rill__durable, n).end <= p->hwm)
    n++;
  take_durable(p, n, &fire->synced);
}

/* Fails every pending durable entry with @code/@message (under the lock). */
static void fail_durable(rill__partition *p, fire_list *fire, int code, const char *message)
{
  if (p->durable->len == 0)
    return;
  take_durable(p, p->durable->len, &fire->failed);
  if (!fire->error)
    fire->error = g_error_new_literal(RILL_LOG_ERROR, code, message);
}

static void fire_durable(GArray *a, const GError *error)
{
  if (!a)
    return;
  for (guint i = 0; i < a->len; i++) {
    rill__durable *d = &g_array_index(a, rill__durable, i);
    d->func(error, d->user_data);
  }
  g_array_unref(a);
}

/* Runs what @fire holds (without the lock): successes before failures.
 * Another thread may be running an earlier collection at the same time. */
static void fire_all(fire_list *fire, rill_log_wake reason, int64_t hwm)
{
  if (fire->waiters) {
    for (guint i = 0; i < fire->waiters->len; i++) {
      rill__waiter *w = &g_array_index(fire->waiters, rill__waiter, i);
      w->func(reason, hwm, w->user_data);
    }
    g_array_unref(fire->waiters);
  }
  fire_durable(fire->synced, NULL);
  fire_durable(fire->failed, fire->error);
  g_clear_error(&fire->error);
  *fire = (fire_list){0};
}

/* Under the lock. GLib's broadcast is a futex syscall even with nobody
 * waiting, and an append advances hwm every time: wake only real waiters. */
static void cond_wake(rill__partition *p)
{
  if (p->cond_waiters > 0)
    g_cond_broadcast(&p->cond);
}

/* Under the lock; FALSE when @deadline (monotonic us, < 0: none) passed. */
static gboolean cond_wait(rill__partition *p, int64_t deadline)
{
  p->cond_waiters++;
  gboolean woken = TRUE;
  if (deadline < 0)
    g_cond_wait(&p->cond, &p->lock);
  else
    woken = g_cond_wait_until(&p->cond, &p->lock, deadline);
  p->cond_waiters--;
  return woken;
}

static void advance_hwm(rill__partition *p, int64_t hwm, int64_t pos, fire_list *fire)
{
  if (hwm <= p->hwm)
    return;
  p->hwm = hwm;
  p->hwm_pos = pos;
  cond_wake(p);
  collect_waiters(p, fire);
}

#define WRITEBACK_STEP (4 << 20)

/* Page-cache release behind the tail, planned under the lock and done by
 * the sync thread (release_run) so the appender never pays for writeback
 * submission: start writeback of the active segment's whole pages once
 * WRITEBACK_STEP bytes piled up, and drop from the page cache what lies more
 * than the window behind (pages still under writeback are skipped by the
 * kernel and age out normally). */
typedef struct {
  rill__segment *seg; /* ref; NULL: nothing to do */
  int64_t wb_from, wb_to, drop_from, drop_to;
} release_plan;

/* TRUE if the active segment has a step of release work (under the lock). */
static bool release_due(rill__partition *p)
{
  if (p->log->cache_window_bytes <= 0)
    return false;
  rill__segment *seg = active(p);
  return (seg->size & ~(int64_t)4095) - seg->writeback_pos >= WRITEBACK_STEP;
}

/* Under the lock: claims the next ranges (the sync thread is the only one
 * that runs them, so claiming before doing is safe). */
static release_plan release_plan_take(rill__partition *p)
{
  release_plan r = {0};
  int64_t window = p->log->cache_window_bytes;
  if (window <= 0 || p->closed)
    return r;
  rill__segment *seg = active(p);
  int64_t end = seg->size & ~(int64_t)4095; /* the last partial page is still written to */
  if (end - seg->writeback_pos >= WRITEBACK_STEP) {
    r.wb_from = seg->writeback_pos;
    r.wb_to = end;
    seg->writeback_pos = end;
  }
  int64_t to = seg->writeback_pos - window;
  if (to - seg->dropped_pos >= WRITEBACK_STEP) {
    r.drop_from = seg->dropped_pos;
    r.drop_to = to;
    seg->dropped_pos = to;
  }
  if (r.wb_to > r.wb_from || r.drop_to > r.drop_from)
    r.seg = rill__segment_ref(seg);
  return r;
}

/* Without the lock. Failures only leave pages cached: nothing to report. */
static void release_run(release_plan *r)
{
  if (!r->seg)
    return;
  if (r->wb_to > r->wb_from)
    rill__segment_start_writeback(r->seg, r->wb_from, r->wb_to);
  /* This is the sync thread: waiting for the writeback started a step ago
   * before dropping the pages costs no appender anything. */
  if (r->drop_to > r->drop_from)
    rill__segment_drop_cached(r->seg, r->drop_from, r->drop_to);
  rill__segment_unref(r->seg);
}

/* Records that the batch at @offset starts at @position of @seg, the
 * active segment (under the lock). */
static void tail_note(rill__partition *p, rill__segment *seg, int64_t offset, int64_t position)
{
  if (p->tail_n == 0 || p->tail_base != seg->base_offset) {
    p->tail_n = 0;
    p->tail_base = seg->base_offset;
  }
  p->tail[p->tail_n % RILL__TAIL_BATCHES].offset = offset;
  p->tail[p->tail_n % RILL__TAIL_BATCHES].position = position;
  p->tail_n++;
}

/* Where to start scanning @seg for @offset (under the lock): the start of
 * the newest remembered batch at or below @offset when the ring reaches
 * back that far, else the sparse index's answer. */
static int64_t lookup_start(rill__partition *p, rill__segment *seg, int64_t offset)
{
  int64_t from = rill__segment_lookup_offset(seg, offset);
  guint n = MIN(p->tail_n, RILL__TAIL_BATCHES);
  if (n == 0 || p->tail_base != seg->base_offset)
    return from;
  /* Newest first: entries are in offset order, the ring's newest at tail_n - 1. */
  for (guint i = 1; i <= n; i++) {
    guint at = (p->tail_n - i) % RILL__TAIL_BATCHES;
    if (p->tail[at].offset <= offset)
      return MAX(from, p->tail[at].position);
  }
  return from;
}

/* Starts a new active segment at next_offset (under the lock). */
static gboolean roll(rill__partition *p, fire_list *fire, GError **error)
{
  rill__segment *old = active(p);
  if (p->cfg.durability != RILL_LOG_DURABILITY_NONE && !rill__segment_sync(old, error)) {
    p->failed = true;
    fail_durable(p, fire, RILL_LOG_ERROR_IO, (*error)->message);
    return FALSE;
  }
  rill__segment *seg = rill__segment_create(&p->log->fds, p->dir, p->next_offset, error);
  if (!seg)
    return FALSE;
  if (p->cfg.durability != RILL_LOG_DURABILITY_NONE && !rill__fsync_dir(p->dir, error)) {
    rill__segment_unlink(seg);
    rill__segment_unref(seg);
    return FALSE;
  }
  g_autoptr(GError) ierr = NULL;
  if (!rill__segment_write_indexes(old, &ierr) ||
      !rill__producers_save(p->producers, p->dir, p->next_offset, &ierr))
    g_warning("%s: %s (rebuilt at next open)", p->dir, ierr->message);
  g_ptr_array_add(p->segments, seg);
  /* The old segment is whole and (unless durability none) synced. */
  advance_hwm(p, p->next_offset, 0, fire);
  p->hwm_pos = 0;
  return TRUE;
}

/* Checks every batch in @data: header, CRC, size. Returns the batch count. */
static int validate(uint8_t *data, size_t len, int64_t max_message_bytes, bool *idempotent, GError **error)
{
  int n = 0;
  *idempotent = false;
  for (size_t at = 0; at < len; n++) {
    rill_batch_header h;
    int64_t total = rill_batch_total_size(data + at, len - at);
    if (total > max_message_bytes) {
      g_set_error(error, RILL_LOG_ERROR, RILL_LOG_ERROR_MESSAGE_TOO_LARGE,
                  "batch of %" G_GINT64_FORMAT " bytes exceeds max.message.bytes %" G_GINT64_FORMAT, total,
                  max_message_bytes);
      return -1;
    }
    rill__batch_status st = rill__batch_header_parse(data + at, len - at, true, &h);
    if (st != RILL_BATCH_OK || h.last_offset_delta < 0) {
      g_set_error(error, RILL_LOG_ERROR, RILL_LOG_ERROR_CORRUPT_BATCH, "batch at byte %zu: %s", at,
                  st != RILL_BATCH_OK ? rill__batch_status_str(st) : "negative lastOffsetDelta");
      return -1;
    }
    *idempotent |= h.producer_id >= 0 && h.base_sequence >= 0;
    at += (size_t)total;
  }
  if (n == 0)
    g_set_error(error, RILL_LOG_ERROR, RILL_LOG_ERROR_CORRUPT_BATCH, "no batch to append");
  if (n > 1 && *idempotent) {
    g_set_error(error, RILL_LOG_ERROR, RILL_LOG_ERROR_CORRUPT_BATCH,
                "idempotent batches must be appended one per call");
    return -1;
  }
  return n ? n : -1;
}

/* Group commit: returns once hwm >= @end (or with an error). Under the lock. */
static gboolean sync_to(rill__partition *p, int64_t end, fire_list *fire, GError **error)
{
  while (p->hwm < end) {
    if (p->failed) {
      g_set_error(error, RILL_LOG_ERROR, RILL_LOG_ERROR_IO, "%s: an earlier fdatasync failed", p->dir);
      return FALSE;
    }
    if (p->syncing) {
      cond_wait(p, -1);
      continue;
    }
    rill__segment *seg = rill__segment_ref(active(p));
    int64_t target = p->next_offset, target_pos = seg->size;
    p->syncing = true;
    g_mutex_unlock(&p->lock);
    GError *local = NULL;
    gboolean synced = rill__segment_sync(seg, &local);
    g_mutex_lock(&p->lock);
    p->syncing = false;
    cond_wake(p);
    if (!synced) {
      /* After a failed fsync the page cache may have dropped the data: no
       * later fsync can vouch for it, so stop accepting appends. */
      p->failed = true;
      rill__segment_unref(seg);
      fail_durable(p, fire, RILL_LOG_ERROR_IO, local->message);
      g_propagate_error(error, local);
      return FALSE;
    }
    if (seg == active(p))
      advance_hwm(p, target, target_pos, fire);
    rill__segment_unref(seg);
  }
  return TRUE;
}

/* Registers a nowait append ending at @end (under the lock), keeping
 * p->durable sorted by end (an idempotent retry ends before later appends). */
static void add_durable(rill__partition *p, int64_t end, rill_log_durable_func func, void *user_data)
{
  rill__durable d = {end, func, user_data};
  guint at = p->durable->len;
  while (at > 0 && g_array_index(p->durable, rill__durable, at - 1).end > end)
    at--;
  g_array_insert_val(p->durable, at, d);
  if (!p->sync_queued) {
    p->sync_queued = true;
    rill__log_queue_sync(p->log, p);
  }
}

gboolean rill__partition_append(rill__partition *p, uint8_t *data, size_t len,
                                rill_log_append_result *res, rill_log_durable_func func,
                                void *user_data, gboolean *pending, GError **error)
{
  if (pending)
    *pending = FALSE;
  g_mutex_lock(&p->lock);
  int64_t max_bytes = p->cfg.max_message_bytes;
  bool append_time = p->cfg.log_append_time;
  g_mutex_unlock(&p->lock);

  /* CRC checks run outside the lock, in parallel with other appenders. */
  bool idempotent;
  int n = validate(data, len, max_bytes, &idempotent, error);
  if (n < 0)
    return FALSE;
  int64_t append_ms = append_time ? now_ms() : -1;
  int64_t delta_sum = 0;
  for (size_t at = 0; at < len;) {
    int64_t total = rill_batch_total_size(data + at, len - at);
    delta_sum += (int32_t)rill__be32(data + at + 23) + 1;
    if (append_time) {
      rill_put_be16(data + at + RILL_BATCH_OFF_ATTRIBUTES,
                    rill__be16(data + at + RILL_BATCH_OFF_ATTRIBUTES) | RILL_BATCH_ATTR_LOG_APPEND_TIME);
      rill_put_be64(data + at + RILL_BATCH_OFF_MAX_TIMESTAMP, (uint64_t)append_ms);
      rill__batch_update_crc(data + at, (size_t)total);
    }
    at += (size_t)total;
  }

  fire_list fire = {0};
  gboolean ok = FALSE;
  g_mutex_lock(&p->lock);
  if (p->closed || p->failed) {
    g_set_error(error, RILL_LOG_ERROR, p->closed ? RILL_LOG_ERROR_CLOSED : RILL_LOG_ERROR_IO,
                p->closed ? "%s-%d was deleted or the log is closing" : "%s-%d: an earlier fdatasync failed",
                p->topic, p->index);
    goto out;
  }
  rill_batch_header h;
  if (idempotent) {
    rill__producer_batch dup;
    rill__batch_header_parse(data, len, false, &h);
    switch (rill__producers_check(p->producers, &h, &dup)) {
    case RILL__PRODUCER_OK: break;
    case RILL__PRODUCER_DUPLICATE:
      *res = (rill_log_append_result){dup.base_offset, dup.last_offset, append_ms, p->log_start_offset, TRUE};
      if (func && p->hwm < dup.last_offset + 1) {
        add_durable(p, dup.last_offset + 1, func, user_data);
        *pending = TRUE;
        ok = TRUE;
      } else {
        ok = sync_to(p, dup.last_offset + 1, &fire, error);
      }
      goto out;
    case RILL__PRODUCER_OUT_OF_ORDER:
      g_set_error(error, RILL_LOG_ERROR, RILL_LOG_ERROR_OUT_OF_ORDER_SEQUENCE,
                  "producer %" G_GINT64_FORMAT ": sequence %d does not follow the last one", h.producer_id,
                  h.base_sequence);
      goto out;
    case RILL__PRODUCER_FENCED:
      g_set_error(error, RILL_LOG_ERROR, RILL_LOG_ERROR_PRODUCER_FENCED,
                  "producer %" G_GINT64_FORMAT ": epoch %d is older than the stored one", h.producer_id,
                  h.producer_epoch);
      goto out;
    }
  }
  rill__segment *seg = active(p);
  int64_t now = now_ms();
  if (seg->size > 0 &&
      (seg->size + (int64_t)len > p->cfg.segment_bytes || now - seg->created_ms > p->cfg.segment_ms ||
       p->next_offset + delta_sum - seg->base_offset > G_MAXINT32)) {
    if (!roll(p, &fire, error))
      goto out;
    seg = active(p);
  }
  int64_t base = p->next_offset;
  for (size_t at = 0; at < len;) {
    rill_batch_set_base_offset(data + at, p->next_offset);
    p->next_offset += (int32_t)rill__be32(data + at + 23) + 1;
    at += (size_t)rill_batch_total_size(data + at, len - at);
  }
  bool torn;
  if (!rill__segment_append(seg, data, len, &torn, error)) {
    p->next_offset = base;
    p->failed |= torn;
    goto out;
  }
  if (seg->created_ms < 0 || seg->size == 0)
    seg->created_ms = now;
  for (size_t at = 0; at < len;) {
    rill__batch_header_parse(data + at, len - at, false, &h);
    tail_note(p, seg, h.base_offset, seg->size);
    rill__segment_index_batch(seg, &h, seg->size, p->cfg.index_interval_bytes);
    if (idempotent)
      rill__producers_update(p->producers, &h, h.base_offset);
    at += (size_t)h.batch_length + RILL_BATCH_LOG_OVERHEAD;
  }
  *res = (rill_log_append_result){base, p->next_offset - 1, append_ms, p->log_start_offset, FALSE};
  switch (p->cfg.durability) {
  case RILL_LOG_DURABILITY_SYNC:
    if (func) {
      add_durable(p, p->next_offset, func, user_data);
      *pending = TRUE;
      ok = TRUE;
    } else {
      ok = sync_to(p, p->next_offset, &fire, error);
    }
    break;
  case RILL_LOG_DURABILITY_INTERVAL:
    if (p->dirty_since_ms < 0)
      p->dirty_since_ms = now;
    /* fall through */
  case RILL_LOG_DURABILITY_NONE:
    advance_hwm(p, p->next_offset, seg->size, &fire);
    ok = TRUE;
    break;
  }
  if (ok && !p->sync_queued && release_due(p)) {
    p->sync_queued = true;
    rill__log_queue_sync(p->log, p);
  }
out:;
  int64_t hwm = p->hwm;
  g_mutex_unlock(&p->lock);
  fire_all(&fire, RILL_LOG_WAKE_DATA, hwm);
  return ok;
}

void rill__partition_sync_pending(rill__partition *p)
{
  fire_list fire = {0};
  g_mutex_lock(&p->lock);
  /* Appends from here on queue the partition again: a later round. */
  p->sync_queued = false;
  if (p->durable->len > 0 && !p->closed) {
    GError *error = NULL;
    /* Everything written so far, whatever the entries' ends. */
    if (!sync_to(p, p->next_offset, &fire, &error))
      g_error_free(error); /* the entries were failed with it */
  }
  release_plan plan = release_plan_take(p);
  int64_t hwm = p->hwm;
  g_mutex_unlock(&p->lock);
  fire_all(&fire, RILL_LOG_WAKE_DATA, hwm);
  release_run(&plan);
}

/* Index of the segment holding @offset: the last with base <= offset. */
static guint find_segment(rill__partition *p, int64_t offset)
{
  guint lo = 0, hi = p->segments->len;
  while (lo < hi) {
    guint mid = (lo + hi) / 2;
    if (((rill__segment *)g_ptr_array_index(p->segments, mid))->base_offset <= offset)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo ? lo - 1 : 0;
}

typedef struct {
  rill__segment *seg;
  int64_t start, end; /* byte range to scan */
} span;

/* Under the lock: refs and pins on the segments from the one holding
 * @offset on, with the readable byte range of each. Pinned here, their
 * bytes stay readable after the lock is dropped even if retention removes
 * the files; a segment that cannot be opened ends the list. */
static GArray *collect_spans(rill__partition *p, guint from, int64_t start)
{
  GArray *spans = g_array_new(FALSE, FALSE, sizeof(span));
  for (guint i = from; i < p->segments->len; i++) {
    rill__segment *seg = g_ptr_array_index(p->segments, i);
    if (rill__segment_pin(seg, NULL) < 0)
      break;
    span s = {rill__segment_ref(seg), i == from ? start : 0, i + 1 == p->segments->len ? p->hwm_pos : seg->size};
    g_array_append_val(spans, s);
  }
  return spans;
}

static void free_spans(GArray *spans)
{
  for (guint i = 0; i < spans->len; i++) {
    rill__segment *seg = g_array_index(spans, span, i).seg;
    rill__segment_unpin(seg);
    rill__segment_unref(seg);
  }
  g_array_unref(spans);
}

/* The damaged batch (scrub.c) at @pos of the segment based at @base, if any;
 * with @to > 0, any in [@pos, @to). */
static const rill__damaged *damaged_at(GArray *bad, int64_t base, int64_t pos, int64_t to)
{
  for (guint i = 0; bad && i < bad->len; i++) {
    const rill__damaged *d = &g_array_index(bad, rill__damaged, i);
    if (d->segment_base == base && (to > 0 ? d->position >= pos && d->position < to : d->position == pos))
      return d;
  }
  return NULL;
}

rill_log_fetch *rill__partition_read(rill__partition *p, int64_t offset, size_t max_bytes, GError **error)
{
  g_mutex_lock(&p->lock);
  int64_t hwm = p->hwm, start = p->log_start_offset;
  if (offset < start || offset > hwm) {
    g_mutex_unlock(&p->lock);
    g_set_error(error, RILL_LOG_ERROR, RILL_LOG_ERROR_OFFSET_OUT_OF_RANGE,
                "offset %" G_GINT64_FORMAT " is outside %s-%d's range [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT "]",
                offset, p->topic, p->index, start, hwm);
    return NULL;
  }
  rill_log_fetch *f = rill__fetch_new(hwm, start);
  if (offset == hwm) {
    g_mutex_unlock(&p->lock);
    return f;
  }
  guint from = find_segment(p, offset);
  GArray *spans = collect_spans(p, from, lookup_start(p, g_ptr_array_index(p->segments, from), offset));
  /* Batches the scrubber found damaged are never served: a read stops
   * before one, and a read starting in one fails (CORRUPT_MESSAGE). */
  g_autoptr(GArray) bad = p->damaged->len ? g_array_copy(p->damaged) : NULL;
  g_mutex_unlock(&p->lock);
  const rill__damaged *corrupt = NULL;

  /* Everything below each span's end is whole checked batches: scan headers
   * without the lock. */
  size_t total = 0;
  bool found = false, done = false;
  for (guint i = 0; i < spans->len && !done; i++) {
    span *s = &g_array_index(spans, span, i);
    int64_t pos = s->start, range_start = s->start;
    while (pos < s->end) {
      const rill__damaged *dmg = damaged_at(bad, s->seg->base_offset, pos, 0);
      if (dmg && (dmg->last < 0 || dmg->last >= offset)) {
        corrupt = found ? NULL : dmg;
        done = true;
        break;
      }
      if (found && total + (size_t)(s->end - pos) <= max_bytes &&
          !damaged_at(bad, s->seg->base_offset, pos, s->end)) {
        total += (size_t)(s->end - pos); /* the rest fits whole */
        pos = s->end;
        break;
      }
      rill_batch_header h;
      if (!rill__segment_read_header(s->seg, pos, s->end, &h)) {
        done = true;
        break;
      }
      int64_t size = (int64_t)h.batch_length + RILL_BATCH_LOG_OVERHEAD;
      if (!found && h.base_offset + h.last_offset_delta < offset) {
        pos += size;
        range_start = pos;
        continue;
      }
      if (found && total + (size_t)size > max_bytes) {
        done = true;
        break;
      }
      found = true;
      total += (size_t)size;
      pos += size;
    }
    rill__fetch_add(f, s->seg, range_start, pos - range_start);
  }
  free_spans(spans);
  if (corrupt) {
    g_set_error(error, RILL_LOG_ERROR, RILL_LOG_ERROR_CORRUPT_BATCH,
                "offsets %" G_GINT64_FORMAT "..%" G_GINT64_FORMAT " of %s-%d are damaged on disk (segment %020"
                G_GINT64_FORMAT ".log, position %" G_GINT64_FORMAT ")",
                corrupt->first, corrupt->last, p->topic, p->index, corrupt->segment_base, corrupt->position);
    rill_log_fetch_free(f);
    return NULL;
  }
  return f;
}

void rill__partition_info(rill__partition *p, rill_log_partition_info *info)
{
  g_mutex_lock(&p->lock);
  info->log_start_offset = p->log_start_offset;
  info->high_watermark = p->hwm;
  info->log_end_offset = p->next_offset;
  info->n_segments = (int32_t)p->segments->len;
  info->size_bytes = 0;
  for (guint i = 0; i < p->segments->len; i++)
    info->size_bytes += ((rill__segment *)g_ptr_array_index(p->segments, i))->size;
  g_mutex_unlock(&p->lock);
}

gboolean rill__partition_offset_for_time(rill__partition *p, int64_t ts, int64_t *offset, int64_t *found_ts,
                                         GError **error)
{
  *offset = -1;
  *found_ts = -1;
  g_mutex_lock(&p->lock);
  if (ts == RILL_LOG_TIMESTAMP_LATEST || ts == RILL_LOG_TIMESTAMP_EARLIEST) {
    *offset = ts == RILL_LOG_TIMESTAMP_LATEST ? p->hwm : p->log_start_offset;
    g_mutex_unlock(&p->lock);
    return TRUE;
  }
  guint from = 0;
  while (from < p->segments->len && ((rill__segment *)g_ptr_array_index(p->segments, from))->max_timestamp < ts)
    from++;
  if (from == p->segments->len) {
    g_mutex_unlock(&p->lock);
    return TRUE;
  }
  int64_t hwm = p->hwm;
  GArray *spans = collect_spans(p, from, rill__segment_lookup_time(g_ptr_array_index(p->segments, from), ts));
  g_mutex_unlock(&p->lock);
  for (guint i = 0; i < spans->len && *offset < 0; i++) {
    span *s = &g_array_index(spans, span, i);
    rill_batch_header h;
    for (int64_t pos = s->start; pos < s->end && rill__segment_read_header(s->seg, pos, s->end, &h);
         pos += (int64_t)h.batch_length + RILL_BATCH_LOG_OVERHEAD) {
      if (h.base_offset >= hwm)
        break;
      if (h.max_timestamp >= ts) {
        *offset = h.base_offset;
        *found_ts = h.max_timestamp;
        break;
      }
    }
  }
  free_spans(spans);
  return TRUE;
}

guint64 rill__partition_wait_add(rill__partition *p, int64_t offset, rill_log_wait_func func, void *user_data)
{
  g_mutex_lock(&p->lock);
  if (p->hwm > offset || p->closed) {
    int64_t hwm = p->hwm;
    rill_log_wake reason = p->closed ? RILL_LOG_WAKE_CLOSED : RILL_LOG_WAKE_DATA;
    g_mutex_unlock(&p->lock);
    func(reason, hwm, user_data);
    return 0;
  }
  rill__waiter w = {g_atomic_pointer_add(&p->log->next_waiter_id, 1) + 1, offset, func, user_data};
  g_array_append_val(p->waiters, w);
  g_mutex_unlock(&p->lock);
  return w.id;
}

gboolean rill__partition_wait_cancel(rill__partition *p, guint64 id)
{
  gboolean found = FALSE;
  g_mutex_lock(&p->lock);
  for (guint i = 0; i < p->waiters->len; i++)
    if (g_array_index(p->waiters, rill__waiter, i).id == id) {
      g_array_remove_index_fast(p->waiters, i);
      found = TRUE;
      break;
    }
  g_mutex_unlock(&p->lock);
  return found;
}

int64_t rill__partition_wait(rill__partition *p, int64_t offset, int64_t timeout_us, GError **error)
{
  int64_t deadline = timeout_us < 0 ? -1 : g_get_monotonic_time() + timeout_us;
  g_mutex_lock(&p->lock);
  while (p->hwm <= offset && !p->closed)
    if (!cond_wait(p, deadline))
      break;
  int64_t hwm = p->hwm;
  bool closed = p->closed;
  g_mutex_unlock(&p->lock);
  if (closed) {
    g_set_error(error, RILL_LOG_ERROR, RILL_LOG_ERROR_CLOSED, "%s-%d was deleted or the log is closing",
                p->topic, p->index);
    return -1;
  }
  return hwm;
}

guint rill__partition_retention(rill__partition *p, int64_t now)
{
  GPtrArray *dead = g_ptr_array_new();
  g_mutex_lock(&p->lock);
  int64_t total = 0;
  for (guint i = 0; i < p->segments->len; i++)
    total += ((rill__segment *)g_ptr_array_index(p->segments, i))->size;
  /* Never the active segment; only from the front, so offsets stay contiguous. */
  while (p->segments->len > 1) {
    rill__segment *seg = g_ptr_array_index(p->segments, 0);
    int64_t ts = seg->max_timestamp >= 0 ? seg->max_timestamp : seg->created_ms;
    bool by_time = p->cfg.retention_ms >= 0 && ts < now - p->cfg.retention_ms;
    bool by_size = p->cfg.retention_bytes >= 0 && total - seg->size >= p->cfg.retention_bytes;
    if (!by_time && !by_size)
      break;
    total -= seg->size;
    g_ptr_array_remove_index(p->segments, 0);
    g_ptr_array_add(dead, seg);
    rill__segment_unlink(seg); /* open fetches keep reading through their fd */
  }
  p->log_start_offset = ((rill__segment *)g_ptr_array_index(p->segments, 0))->base_offset;
  g_mutex_unlock(&p->lock);
  guint n = dead->len;
  for (guint i = 0; i < dead->len; i++)
    rill__segment_unref(g_ptr_array_index(dead, i));
  g_ptr_array_unref(dead);
  return n;
}

gboolean rill__partition_flush(rill__partition *p, int64_t now, bool force, GError **error)
{
  g_mutex_lock(&p->lock);
  bool due = force || (p->cfg.durability == RILL_LOG_DURABILITY_INTERVAL && p->dirty_since_ms >= 0 &&
                       now - p->dirty_since_ms >= p->cfg.flush_ms);
  if (!due || p->closed) {
    g_mutex_unlock(&p->lock);
    return TRUE;
  }
  p->dirty_since_ms = -1;
  GPtrArray *segs = g_ptr_array_new_with_free_func((GDestroyNotify)rill__segment_unref);
  /* With durability none rolled segments were never synced: a forced flush
   * covers them too. */
  for (guint i = force ? 0 : p->segments->len - 1; i < p->segments->len; i++)
    g_ptr_array_add(segs, rill__segment_ref(g_ptr_array_index(p->segments, i)));
  g_mutex_unlock(&p->lock);
  gboolean ok = TRUE;
  for (guint i = 0; i < segs->len && ok; i++) {
    if (!rill__segment_sync(g_ptr_array_index(segs, i), error)) {
      g_mutex_lock(&p->lock);
      p->failed = true;
      g_mutex_unlock(&p->lock);
      ok = FALSE;
    }
  }
  g_ptr_array_unref(segs);
  return ok;
}

void rill__partition_close(rill__partition *p, bool write_state)
{
  fire_list fire = {0};
  g_mutex_lock(&p->lock);
  if (write_state && p->durable->len > 0 && !p->failed) {
    /* Pending nowait appends: sync them rather than fail them. */
    GError *error = NULL;
    if (!sync_to(p, p->next_offset, &fire, &error))
      g_error_free(error);
  }
  p->closed = true;
  fail_durable(p, &fire, RILL_LOG_ERROR_CLOSED, "the topic was deleted or the log closed before the append was synced");
  collect_waiters(p, &fire);
  g_cond_broadcast(&p->cond);
  int64_t hwm = p->hwm;
  if (write_state) {
    g_autoptr(GError) err = NULL;
    if (p->cfg.durability != RILL_LOG_DURABILITY_NONE && !rill__segment_sync(active(p), &err)) {
      g_warning("%s", err->message);
      g_clear_error(&err);
    }
    for (guint i = 0; i < p->segments->len; i++)
      if (!rill__segment_write_indexes(g_ptr_array_index(p->segments, i), &err))
        break;
    if (!err && !p->failed)
      rill__producers_save(p->producers, p->dir, p->next_offset, &err);
    if (err)
      g_warning("%s: %s (rebuilt at next open)", p->dir, err->message);
  }
  g_mutex_unlock(&p->lock);
  fire_all(&fire, RILL_LOG_WAKE_CLOSED, hwm);
}
