/* scrub.c — checking segment files after they were written: the log's
 * background scrubber and the offline rill_log_verify_dir.
 *
 * Appends check every batch before writing it, and recovery checks the
 * active segment at open; nothing looks at sealed segments again. A bit
 * flipped on disk there (a value byte is not even seen by the header
 * checks fetch does) would be served as is. The scrubber re-reads them.
 *
 * Both walk a .log file through their own read-only fd (never the
 * segment's: it may be closed or cached elsewhere) and check each batch:
 *   - the 12-byte prefix: batchLength >= 49 and within the file,
 *   - magic 2 and CRC-32C over bytes 21..end, computed in 1 MiB pieces so a
 *     garbage length cannot make us allocate it,
 *   - lastOffsetDelta >= 0 and baseOffset = the previous batch's last + 1
 *     (the segment's base offset for the first one).
 * baseOffset and batchLength are outside the CRC, so continuity is what
 * catches a flip there. After a damaged batch whose length is sane the walk
 * goes on with the next one, whose baseOffset is believed (resync); a
 * destroyed length ends the walk of that file.
 *
 * Offsets of a damaged batch: the first is the offset the previous batch
 * says comes next; the last is the next good batch's baseOffset - 1, or,
 * at the end of the file, the offset the segment ends at (the next
 * segment's base offset, or the partition's end) — the damaged batch's own
 * lastOffsetDelta is used only when nothing better is known.
 *
 * Scrubber invariants: one thread per rill_log; it reads only sealed
 * segments (size and end offset immutable, copied under the partition
 * lock, then read without any lock); reads are paced to
 * scrub_bytes_per_sec; each damaged batch is reported and counted once
 * (remembered in partition->damaged, which the read path consults).
 */
#include "runtime/log/log-private.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/wire/crc32c.h"

#define PIECE (1 << 20)

struct rill__scrubber {
  rill_log *log;               /* not refcounted: it owns us */
  int64_t rate;                /* bytes per second */
  int64_t interval_us;
  rill_log_damage_func func;   /* NULL: g_warning */
  void *user_data;
  GThread *thread;
  GMutex lock;                 /* guards below */
  GCond cond;
  bool stopping;
  bool kicked;
  rill_log_scrub_stats stats;
  int64_t next_read_us;        /* pacing: monotonic time the next byte may be read (scrub thread) */
};

/* ---- walking one file ---- */

typedef struct {
  /* Paces @bytes just read; FALSE stops the walk (log closing). */
  bool (*pace)(void *data, int64_t bytes);
  /* Called for each damaged batch; FALSE: already known, not counted. */
  bool (*damage)(void *data, const rill_log_damage *d);
  void *data;
  uint8_t *buf;                /* PIECE bytes */
  guint64 batches, bytes, damaged;
} walker;

static void report(walker *w, rill_log_damage *d, int64_t end_offset)
{
  if (d->last_offset < 0 && d->first_offset >= 0 && end_offset > d->first_offset)
    d->last_offset = end_offset - 1;
  if (w->damage(w->data, d))
    w->damaged++;
}

/* CRC-32C of [@from, @to) of @fd, in pieces. FALSE on a short read. */
static bool crc_range(int fd, int64_t from, int64_t to, uint8_t *buf, uint32_t *crc)
{
  uint32_t c = 0;
  while (from < to) {
    size_t n = (size_t)MIN((int64_t)PIECE, to - from);
    if (pread(fd, buf, n, from) != (ssize_t)n)
      return false;
    c = rill__crc32c(c, buf, n);
    from += (int64_t)n;
  }
  *crc = c;
  return true;
}

/* Walks @path (a segment of @topic-@partition based at @base), checking
 * its first @size bytes (-1: the whole file). @end_offset: the offset after
 * the segment's last batch when known, else -1. FALSE when the file could
 * not be read (ENOENT included: retention may have removed it) or the
 * walk was stopped; *@gone tells ENOENT apart. */
static bool walk_file(walker *w, const char *path, const char *topic, int32_t partition, int64_t base,
                      int64_t size, int64_t end_offset, bool *gone)
{
  *gone = false;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) {
    *gone = errno == ENOENT;
    if (fd >= 0)
      close(fd);
    return false;
  }
  if (size < 0 || size > st.st_size)
    size = st.st_size;
  bool ok = true;
  int64_t pos = 0, expected = base;
  rill_log_damage pending = {0};
  bool has_pending = false;
  while (pos < size) {
    rill_log_damage d = {topic, partition, base, pos, expected, -1, NULL};
    uint8_t head[RILL_BATCH_HEADER_SIZE];
    int64_t rest = size - pos;
    size_t want = (size_t)MIN(rest, (int64_t)sizeof head);
    if (pread(fd, head, want, pos) != (ssize_t)want) {
      ok = false;
      break;
    }
    int64_t total = rill_batch_total_size(head, want);
    if (rest < RILL_BATCH_HEADER_SIZE || total < RILL_BATCH_HEADER_SIZE || total > rest) {
      /* Nothing after this point can be found: it all counts as damaged. */
      d.reason = rest < RILL_BATCH_HEADER_SIZE || total > rest ? rill__batch_status_str(RILL_BATCH_TRUNCATED)
                                                               : rill__batch_status_str(RILL_BATCH_BAD_LENGTH);
      if (has_pending) { /* the bad length may be the tail of the pending batch's damage */
        d = pending;
        has_pending = false;
        d.last_offset = -1;
      }
      report(w, &d, end_offset);
      break;
    }
    rill_batch_header h;
    rill__batch_status st_hdr = rill__batch_header_parse(head, (size_t)rest, false, &h);
    uint32_t crc = 0;
    if (st_hdr == RILL_BATCH_OK && !crc_range(fd, pos + RILL_BATCH_CRC_START, pos + total, w->buf, &crc)) {
      ok = false;
      break;
    }
    const char *why = NULL;
    if (st_hdr != RILL_BATCH_OK)
      why = rill__batch_status_str(st_hdr);
    else if (crc != h.crc)
      why = rill__batch_status_str(RILL_BATCH_BAD_CRC);
    else if (h.last_offset_delta < 0)
      why = "negative lastOffsetDelta";
    else if (expected >= 0 && h.base_offset != expected)
      why = "baseOffset does not follow the previous batch";
    if (has_pending) {
      /* A good batch bounds the pending one; a bad one does not. */
      if (!why && pending.first_offset >= 0 && h.base_offset > pending.first_offset)
        pending.last_offset = h.base_offset - 1;
      report(w, &pending, -1);
      has_pending = false;
    }
    if (why) {
      d.reason = why;
      if (d.first_offset < 0)
        d.first_offset = st_hdr == RILL_BATCH_OK ? h.base_offset : -1;
      if (st_hdr == RILL_BATCH_OK && h.last_offset_delta >= 0 && d.first_offset >= 0)
        d.last_offset = d.first_offset + h.last_offset_delta;
      pending = d;
      has_pending = true;
      expected = -1; /* resync on the next batch */
    } else {
      expected = h.base_offset + h.last_offset_delta + 1;
    }
    w->batches++;
    w->bytes += (guint64)total;
    pos += total;
    if (w->pace && !w->pace(w->data, total)) {
      ok = false;
      break;
    }
  }
  if (has_pending) {
    /* The last batch of the file: the segment's end bounds it. */
    if (end_offset > pending.first_offset && pending.first_offset >= 0)
      pending.last_offset = end_offset - 1;
    report(w, &pending, end_offset);
  }
  close(fd);
  return ok;
}

/* ---- the scrubber ---- */

/* Waits until @until_us (monotonic) or stop/kick; FALSE if stopping. */
static bool sleep_until(rill__scrubber *s, int64_t until_us, bool wake_on_kick)
{
  g_mutex_lock(&s->lock);
  while (!s->stopping && !(wake_on_kick && s->kicked) && g_get_monotonic_time() < until_us)
    g_cond_wait_until(&s->cond, &s->lock, until_us);
  bool go = !s->stopping;
  g_mutex_unlock(&s->lock);
  return go;
}

typedef struct {
  rill__scrubber *s;
  rill__partition *p;
} scrub_ctx;

static bool scrub_pace(void *data, int64_t bytes)
{
  rill__scrubber *s = ((scrub_ctx *)data)->s;
  int64_t now = g_get_monotonic_time();
  /* Idle time earns no credit: a pass never bursts above the rate. */
  s->next_read_us = MAX(s->next_read_us, now) + bytes * G_USEC_PER_SEC / s->rate;
  return sleep_until(s, s->next_read_us, false);
}

static bool scrub_damage(void *data, const rill_log_damage *d)
{
  rill__scrubber *s = ((scrub_ctx *)data)->s;
  rill__partition *p = ((scrub_ctx *)data)->p;
  bool fresh = true;
  g_mutex_lock(&p->lock);
  for (guint i = 0; i < p->damaged->len && fresh; i++) {
    const rill__damaged *k = &g_array_index(p->damaged, rill__damaged, i);
    fresh = !(k->segment_base == d->segment_base && k->position == d->position);
  }
  if (fresh) {
    rill__damaged k = {d->segment_base, d->position, d->first_offset, d->last_offset};
    g_array_append_val(p->damaged, k);
  }
  g_mutex_unlock(&p->lock);
  if (!fresh)
    return false;
  g_mutex_lock(&s->lock);
  s->stats.damaged_batches++;
  g_mutex_unlock(&s->lock);
  if (s->func)
    s->func(d, s->user_data);
  else
    g_warning("scrub: %s-%d: damaged batch, offsets %" G_GINT64_FORMAT "..%" G_GINT64_FORMAT
              ", segment %020" G_GINT64_FORMAT ".log position %" G_GINT64_FORMAT ": %s",
              d->topic, d->partition, d->first_offset, d->last_offset, d->segment_base, d->position, d->reason);
  return true;
}

typedef struct {
  char *path;          /* .log */
  int64_t base, size, end;
} sealed;

static void sealed_clear(sealed *x) { g_free(x->path); }

/* Sealed segments of @p: every one but the active, as of now. */
static GArray *sealed_segments(rill__partition *p)
{
  GArray *a = g_array_new(FALSE, FALSE, sizeof(sealed));
  g_array_set_clear_func(a, (GDestroyNotify)sealed_clear);
  g_mutex_lock(&p->lock);
  for (guint i = 0; !p->closed && i + 1 < p->segments->len; i++) {
    rill__segment *seg = g_ptr_array_index(p->segments, i);
    sealed x = {g_strconcat(seg->path, ".log", NULL), seg->base_offset, seg->size, seg->next_offset};
    g_array_append_val(a, x);
  }
  g_mutex_unlock(&p->lock);
  return a;
}

/* One pass; FALSE when stopped. */
static bool scrub_pass(rill__scrubber *s)
{
  GPtrArray *parts = rill__log_partitions(s->log);
  walker w = {.pace = scrub_pace, .damage = scrub_damage, .buf = g_malloc(PIECE)};
  bool go = true;
  for (guint i = 0; i < parts->len && go; i++) {
    rill__partition *p = g_ptr_array_index(parts, i);
    scrub_ctx ctx = {s, p};
    w.data = &ctx;
    g_autoptr(GArray) segs = sealed_segments(p);
    for (guint j = 0; j < segs->len && go; j++) {
      const sealed *x = &g_array_index(segs, sealed, j);
      w.batches = w.bytes = 0;
      bool gone = false;
      bool ok = walk_file(&w, x->path, p->topic, p->index, x->base, x->size, x->end, &gone);
      g_mutex_lock(&s->lock);
      go = !s->stopping;
      s->stats.batches += w.batches;
      s->stats.bytes += w.bytes;
      s->stats.segments += ok ? 1 : 0;
      if (!ok && !gone && go)
        s->stats.io_errors++;
      g_mutex_unlock(&s->lock);
    }
  }
  g_free(w.buf);
  g_ptr_array_unref(parts);
  return go;
}

static gpointer scrub_thread(gpointer data)
{
  rill__scrubber *s = data;
  for (;;) {
    int64_t started = g_get_monotonic_time();
    g_mutex_lock(&s->lock);
    s->kicked = false;
    g_mutex_unlock(&s->lock);
    if (!scrub_pass(s))
      break;
    g_mutex_lock(&s->lock);
    s->stats.passes++;
    g_mutex_unlock(&s->lock);
    if (!sleep_until(s, started + s->interval_us, true))
      break;
  }
  return NULL;
}

rill__scrubber *rill__scrubber_start(rill_log *log, const rill_log_options *options)
{
  if (options->scrub_bytes_per_sec <= 0)
    return NULL;
  rill__scrubber *s = g_new0(rill__scrubber, 1);
  s->log = log;
  s->rate = options->scrub_bytes_per_sec;
  s->interval_us = MAX(options->scrub_interval_ms, 0) * 1000;
  s->func = options->scrub_damage_func;
  s->user_data = options->scrub_damage_user_data;
  g_mutex_init(&s->lock);
  g_cond_init(&s->cond);
  s->thread = g_thread_new("rill-log-scrub", scrub_thread, s);
  return s;
}

void rill__scrubber_stop(rill__scrubber *s)
{
  if (!s)
    return;
  g_mutex_lock(&s->lock);
  s->stopping = true;
  g_cond_broadcast(&s->cond);
  g_mutex_unlock(&s->lock);
  g_thread_join(s->thread);
  g_mutex_clear(&s->lock);
  g_cond_clear(&s->cond);
  g_free(s);
}

void rill_log_scrub_stats_get(rill_log *log, rill_log_scrub_stats *stats)
{
  g_return_if_fail(log != NULL && stats != NULL);
  memset(stats, 0, sizeof *stats);
  rill__scrubber *s = log->scrubber;
  if (!s)
    return;
  g_mutex_lock(&s->lock);
  *stats = s->stats;
  g_mutex_unlock(&s->lock);
}

void rill_log_scrub_kick(rill_log *log)
{
  g_return_if_fail(log != NULL);
  rill__scrubber *s = log->scrubber;
  if (!s)
    return;
  g_mutex_lock(&s->lock);
  s->kicked = true;
  g_cond_broadcast(&s->cond);
  g_mutex_unlock(&s->lock);
}

/* ---- offline verification ---- */

typedef struct {
  rill_log_damage_func func;
  void *user_data;
} verify_ctx;

static bool verify_damage(void *data, const rill_log_damage *d)
{
  verify_ctx *v = data;
  if (v->func)
    v->func(d, v->user_data);
  return true;
}

static gint cmp_int64(gconstpointer a, gconstpointer b)
{
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

/* Base offsets of the segments in @pdir, sorted. */
static GArray *segment_bases(const char *pdir)
{
  GArray *bases = g_array_new(FALSE, FALSE, sizeof(int64_t));
  g_autoptr(GDir) d = g_dir_open(pdir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name(d))) {
    if (strlen(name) != 24 || !g_str_has_suffix(name, ".log"))
      continue;
    g_autofree char *digits = g_strndup(name, 20);
    guint64 base;
    if (g_ascii_string_to_unsigned(digits, 10, 0, G_MAXINT64, &base, NULL)) {
      int64_t b = (int64_t)base;
      g_array_append_val(bases, b);
    }
  }
  g_array_sort(bases, cmp_int64);
  return bases;
}

gboolean rill_log_verify_dir(const char *dir, rill_log_damage_func func, void *user_data,
                             rill_log_scrub_stats *stats, GError **error)
{
  g_return_val_if_fail(dir != NULL, FALSE);
  GError *local = NULL;
  g_autoptr(GDir) d = g_dir_open(dir, 0, &local);
  if (!d) {
    g_set_error(error, RILL_LOG_ERROR, RILL_LOG_ERROR_IO, "%s", local->message);
    g_error_free(local);
    return FALSE;
  }
  /* Partition directories are <topic>-<n>; sorted so the report is stable. */
  g_autoptr(GPtrArray) pdirs = g_ptr_array_new_with_free_func(g_free);
  const char *name;
  while ((name = g_dir_read_name(d))) {
    const char *dash = strrchr(name, '-');
    guint64 n;
    if (name[0] == '.' || !dash || dash == name ||
        !g_ascii_string_to_unsigned(dash + 1, 10, 0, G_MAXINT32, &n, NULL))
      continue;
    g_autofree char *path = g_build_filename(dir, name, NULL);
    if (g_file_test(path, G_FILE_TEST_IS_DIR))
      g_ptr_array_add(pdirs, g_strdup(name));
  }
  g_ptr_array_sort_with_data(pdirs, rill__strv_cmp, NULL);
  verify_ctx v = {func, user_data};
  walker w = {.damage = verify_damage, .data = &v, .buf = g_malloc(PIECE)};
  rill_log_scrub_stats total = {0};
  for (guint i = 0; i < pdirs->len; i++) {
    const char *pname = g_ptr_array_index(pdirs, i);
    const char *dash = strrchr(pname, '-');
    g_autofree char *topic = g_strndup(pname, (gsize)(dash - pname));
    int32_t partition = (int32_t)g_ascii_strtoll(dash + 1, NULL, 10);
    g_autofree char *pdir = g_build_filename(dir, pname, NULL);
    g_autoptr(GArray) bases = segment_bases(pdir);
    for (guint j = 0; j < bases->len; j++) {
      int64_t base = g_array_index(bases, int64_t, j);
      int64_t end = j + 1 < bases->len ? g_array_index(bases, int64_t, j + 1) : -1;
      g_autofree char *path = g_strdup_printf("%s/%020" G_GINT64_FORMAT ".log", pdir, base);
      bool gone;
      if (walk_file(&w, path, topic, partition, base, -1, end, &gone)) {
        total.segments++;
      } else {
        total.io_errors++;
        rill_log_damage dmg = {topic, partition, base, 0, base, end > base ? end - 1 : -1,
                               gone ? "segment file vanished" : "segment file cannot be read"};
        verify_damage(&v, &dmg);
        w.damaged++;
      }
    }
  }
  total.passes = 1;
  total.batches = w.batches;
  total.bytes = w.bytes;
  total.damaged_batches = w.damaged;
  g_free(w.buf);
  if (stats)
    *stats = total;
  return TRUE;
}
