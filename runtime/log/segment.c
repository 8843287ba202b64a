/* segment.c — one segment of a partition: a .log file of RecordBatch v2
 * bytes and its two sparse indexes.
 *
 * Files, in the partition directory <topic>-<partition>/, named by the
 * segment's base offset as 20 zero-padded digits (Kafka's layout):
 *
 *   00000000000000000000.log        batches, back to back, exactly as served
 *   00000000000000000000.index      offset index
 *   00000000000000000000.timeindex  time index
 *
 * .log: each batch is a RecordBatch v2 (runtime/wire/batch-header.h) whose
 * baseOffset is the offset the log assigned. Batches are contiguous: a batch's
 * baseOffset is the previous batch's baseOffset + lastOffsetDelta + 1, and
 * the first one's is the segment's base offset.
 *
 * .index: entries of 8 bytes, big-endian, increasing in both fields:
 *   OFFSET SIZE FIELD
 *   0      4    relativeOffset  batch baseOffset - segment base offset
 *   4      4    position        byte position of that batch in the .log
 *
 * .timeindex: entries of 12 bytes, big-endian, timestamps increasing:
 *   OFFSET SIZE FIELD
 *   0      8    timestamp       largest maxTimestamp of all batches up to and
 *                               including the one at relativeOffset
 *   8      4    relativeOffset
 *
 * An entry is added for a batch when index.interval.bytes or more were
 * written since the previous entry (the first batch always gets one); a time
 * entry only when the largest timestamp grew. When the indexes are written
 * (segment roll, close) a last time entry records the segment's largest
 * timestamp, so the last entry of a written .timeindex is the segment's
 * maxTimestamp.
 *
 * Indexes are kept in memory and written whole when the segment stops being
 * active and at close; they are never trusted blindly: on open they must pass
 * a sanity check (sizes, monotony, bounds, and the batch at the last entry
 * carrying the offset it claims) or they are rebuilt from the .log. The
 * active segment's indexes are always rebuilt, from a scan that checks every
 * batch (length, magic, CRC, contiguous offsets) and truncates the file at
 * the first bad one: that is crash recovery.
 *
 * The segment owns its file I/O (append, sync, read, page-cache release);
 * the .log's fd comes from the log's fd cache (fd-cache.c) and is pinned
 * only for the length of each call, so a closed fd is simply reopened.
 */
#define _GNU_SOURCE /* sync_file_range */
#include "runtime/log/log-private.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define OFFSET_ENTRY_SIZE 8
#define TIME_ENTRY_SIZE 12

static rill__segment *segment_new(rill__fd_cache *cache, const char *dir, int64_t base_offset)
{
  rill__segment *seg = g_new0(rill__segment, 1);
  seg->ref = 1;
  seg->cache = cache;
  seg->fd = -1;
  seg->idle_link.data = seg;
  seg->path = g_strdup_printf("%s/%020" G_GINT64_FORMAT, dir, base_offset);
  seg->base_offset = base_offset;
  seg->next_offset = base_offset;
  seg->max_timestamp = -1;
  seg->created_ms = -1;
  seg->offset_index = g_array_new(FALSE, FALSE, sizeof(rill__offset_entry));
  seg->time_index = g_array_new(FALSE, FALSE, sizeof(rill__time_entry));
  return seg;
}

rill__segment *rill__segment_ref(rill__segment *seg)
{
  g_atomic_int_inc(&seg->ref);
  return seg;
}

void rill__segment_unref(rill__segment *seg)
{
  if (!seg || !g_atomic_int_dec_and_test(&seg->ref))
    return;
  rill__segment_forget_fd(seg);
  g_array_unref(seg->offset_index);
  g_array_unref(seg->time_index);
  g_free(seg->path);
  g_free(seg);
}

static gboolean io_error(rill__segment *seg, GError **error, int err, const char *what)
{
  g_autofree char *p = g_strconcat(seg->path, ".log", NULL);
  rill__set_io_error(error, err, what, p);
  return FALSE;
}

rill__segment *rill__segment_create(rill__fd_cache *cache, const char *dir, int64_t base_offset,
                                    GError **error)
{
  rill__segment *seg = segment_new(cache, dir, base_offset);
  int fd = rill__segment_pin_fd(seg, O_CREAT, error);
  if (fd < 0)
    goto fail;
  struct stat st;
  int rc = fstat(fd, &st), err = errno;
  rill__segment_unpin(seg);
  if (rc != 0) {
    io_error(seg, error, err, "cannot create segment");
    goto fail;
  }
  if (st.st_size != 0) {
    /* Only a segment that never got a batch may be re-created. */
    g_set_error(error, RILL_LOG_ERROR, RILL_LOG_ERROR_IO, "segment %s.log exists and is not empty", seg->path);
    goto fail;
  }
  seg->indexes_dirty = true;
  return seg;

fail:
  rill__segment_unref(seg);
  return NULL;
}

static gboolean pwrite_all(int fd, const uint8_t *data, size_t len, int64_t position)
{
  for (size_t done = 0; done < len;) {
    ssize_t n = pwrite(fd, data + done, len - done, position + (int64_t)done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return FALSE;
    done += (size_t)n;
  }
  return TRUE;
}

gboolean rill__segment_append(rill__segment *seg, const uint8_t *data, size_t len, bool *torn, GError **error)
{
  *torn = false;
  int fd = rill__segment_pin(seg, error);
  if (fd < 0)
    return FALSE;
  gboolean ok = pwrite_all(fd, data, len, seg->size);
  if (!ok) {
    io_error(seg, error, errno, "cannot append to");
    /* Take back a partial write so the segment ends on a whole batch. */
    *torn = ftruncate(fd, seg->size) != 0;
  }
  rill__segment_unpin(seg);
  return ok;
}

gboolean rill__segment_sync(rill__segment *seg, GError **error)
{
  int fd = rill__segment_pin(seg, error);
  if (fd < 0)
    return FALSE;
  int64_t t0 = g_get_monotonic_time();
  int rc = fdatasync(fd), err = errno;
  rill_prom_histogram_observe(&seg->cache->sync_ns, (guint64)(g_get_monotonic_time() - t0) * 1000);
  rill__segment_unpin(seg);
  return rc == 0 || io_error(seg, error, err, "cannot fdatasync");
}

static gboolean pread_all(int fd, void *buf, size_t len, int64_t position)
{
  for (size_t done = 0; done < len;) {
    ssize_t n = pread(fd, (uint8_t *)buf + done, len - done, position + (int64_t)done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      if (n == 0)
        errno = EIO; /* the file is shorter than its index says */
      return FALSE;
    }
    done += (size_t)n;
  }
  return TRUE;
}

gboolean rill__segment_read(rill__segment *seg, void *buf, size_t len, int64_t position, GError **error)
{
  int fd = rill__segment_pin(seg, error);
  if (fd < 0)
    return FALSE;
  gboolean ok = pread_all(fd, buf, len, position);
  if (!ok)
    io_error(seg, error, errno, "cannot read");
  rill__segment_unpin(seg);
  return ok;
}

void rill__segment_start_writeback(rill__segment *seg, int64_t from, int64_t to)
{
  int fd = rill__segment_pin(seg, NULL);
  if (fd < 0)
    return;
  (void)sync_file_range(fd, from, to - from, SYNC_FILE_RANGE_WRITE);
  rill__segment_unpin(seg);
}

void rill__segment_drop_cached(rill__segment *seg, int64_t from, int64_t to)
{
  int fd = rill__segment_pin(seg, NULL);
  if (fd < 0)
    return;
  /* DONTNEED skips pages still under writeback: wait for it first. */
  (void)sync_file_range(fd, from, to - from, SYNC_FILE_RANGE_WAIT_BEFORE);
  (void)posix_fadvise(fd, from, to - from, POSIX_FADV_DONTNEED);
  rill__segment_unpin(seg);
}

static bool read_header_fd(int fd, int64_t position, int64_t end, rill_batch_header *h)
{
  uint8_t buf[RILL_BATCH_HEADER_SIZE];
  if (end - position < RILL_BATCH_HEADER_SIZE)
    return false;
  ssize_t n = pread(fd, buf, sizeof buf, position);
  if (n != (ssize_t)sizeof buf)
    return false;
  /* Without the CRC check the parser reads only the 61 header bytes; @end
   * tells it how much of the batch the file holds. */
  return rill__batch_header_parse(buf, (size_t)(end - position), false, h) == RILL_BATCH_OK &&
         h->last_offset_delta >= 0;
}

bool rill__segment_read_header(rill__segment *seg, int64_t position, int64_t end, rill_batch_header *h)
{
  if (end - position < RILL_BATCH_HEADER_SIZE)
    return false;
  int fd = rill__segment_pin(seg, NULL);
  if (fd < 0)
    return false;
  bool ok = read_header_fd(fd, position, end, h);
  rill__segment_unpin(seg);
  return ok;
}

void rill__segment_index_batch(rill__segment *seg, const rill_batch_header *h, int64_t position,
                               int64_t interval_bytes)
{
  int64_t total = (int64_t)h->batch_length + RILL_BATCH_LOG_OVERHEAD;
  int32_t rel = (int32_t)(h->base_offset - seg->base_offset);
  if (h->max_timestamp > seg->max_timestamp)
    seg->max_timestamp = h->max_timestamp;
  if (seg->offset_index->len == 0 || seg->bytes_since_index >= interval_bytes) {
    rill__offset_entry e = {rel, (int32_t)position};
    g_array_append_val(seg->offset_index, e);
    const rill__time_entry *last =
      seg->time_index->len ? &g_array_index(seg->time_index, rill__time_entry, seg->time_index->len - 1)
                           : NULL;
    if (seg->max_timestamp >= 0 && (!last || seg->max_timestamp > last->timestamp)) {
      rill__time_entry t = {seg->max_timestamp, rel};
      g_array_append_val(seg->time_index, t);
    }
    seg->bytes_since_index = 0;
  }
  seg->bytes_since_index += total;
  seg->next_offset = h->base_offset + h->last_offset_delta + 1;
  seg->size = position + total;
  seg->indexes_dirty = true;
}

/* Scans batches from @position (whose baseOffset must be seg->next_offset)
 * to the end of the file, indexing them. With @crc the whole batch is read
 * and checked. A bad batch truncates the file there, noted in @note. */
static gboolean scan_from(rill__segment *seg, int fd, int64_t position, int64_t file_size, bool crc,
                          int64_t interval_bytes, GString *note, GError **error)
{
  g_autofree uint8_t *buf = NULL;
  size_t buf_size = 0;
  const char *why = NULL;
  while (position < file_size) {
    rill_batch_header h;
    if (file_size - position < RILL_BATCH_HEADER_SIZE) {
      why = rill__batch_status_str(RILL_BATCH_TRUNCATED);
      break;
    }
    if (!crc) {
      if (!read_header_fd(fd, position, file_size, &h)) {
        why = "invalid batch header";
        break;
      }
    } else {
      uint8_t head[RILL_BATCH_LOG_OVERHEAD];
      if (pread(fd, head, sizeof head, position) != (ssize_t)sizeof head)
        goto io_error;
      int64_t total = rill_batch_total_size(head, sizeof head);
      if (total < RILL_BATCH_HEADER_SIZE || total > file_size - position) {
        why = total < RILL_BATCH_HEADER_SIZE ? rill__batch_status_str(RILL_BATCH_BAD_LENGTH)
                                             : rill__batch_status_str(RILL_BATCH_TRUNCATED);
        break;
      }
      if ((size_t)total > buf_size) {
        buf_size = MAX((size_t)total, buf_size * 2);
        g_free(buf);
        buf = g_malloc(buf_size);
      }
      if (pread(fd, buf, (size_t)total, position) != total)
        goto io_error;
      rill__batch_status st = rill__batch_header_parse(buf, (size_t)total, true, &h);
      if (st != RILL_BATCH_OK || h.last_offset_delta < 0) {
        why = st != RILL_BATCH_OK ? rill__batch_status_str(st) : "negative lastOffsetDelta";
        break;
      }
    }
    if (h.base_offset != seg->next_offset) {
      why = "baseOffset does not follow the previous batch";
      break;
    }
    if (h.base_offset + h.last_offset_delta - seg->base_offset > G_MAXINT32) {
      why = "offset too far from the segment base";
      break;
    }
    rill__segment_index_batch(seg, &h, position, interval_bytes);
    position += (int64_t)h.batch_length + RILL_BATCH_LOG_OVERHEAD;
  }
  if (why) {
    if (note)
      g_string_append_printf(note, "%s.log: truncated %" G_GINT64_FORMAT " bytes at position %" G_GINT64_FORMAT
                             ": %s; ", seg->path, file_size - position, position, why);
    if (ftruncate(fd, position) != 0)
      return io_error(seg, error, errno, "cannot truncate");
  }
  seg->size = position;
  return TRUE;

io_error:
  return io_error(seg, error, errno, "cannot read");
}

static guint8 *read_file(const char *path, gsize *len)
{
  char *data = NULL;
  if (!g_file_get_contents(path, &data, len, NULL))
    return NULL;
  return (guint8 *)data;
}

/* Loads both index files; false (indexes left empty) unless they pass the
 * sanity check described at the top of this file. */
static bool load_indexes(rill__segment *seg, int fd, int64_t file_size)
{
  g_autofree char *ip = g_strconcat(seg->path, ".index", NULL);
  g_autofree char *tp = g_strconcat(seg->path, ".timeindex", NULL);
  gsize ilen = 0, tlen = 0;
  g_autofree guint8 *idx = read_file(ip, &ilen);
  g_autofree guint8 *tim = read_file(tp, &tlen);
  if (!idx || !tim || ilen % OFFSET_ENTRY_SIZE || tlen % TIME_ENTRY_SIZE)
    goto bad;
  if (file_size > 0 && ilen == 0)
    goto bad;
  for (gsize i = 0; i < ilen; i += OFFSET_ENTRY_SIZE) {
    rill__offset_entry e = {(int32_t)rill__be32(idx + i), (int32_t)rill__be32(idx + i + 4)};
    const rill__offset_entry *prev =
      seg->offset_index->len ? &g_array_index(seg->offset_index, rill__offset_entry, seg->offset_index->len - 1)
                             : NULL;
    if (e.rel_offset < 0 || e.position < 0 || e.position >= file_size ||
        (prev && (e.rel_offset <= prev->rel_offset || e.position <= prev->position)) ||
        (!prev && (e.rel_offset != 0 || e.position != 0)))
      goto bad;
    g_array_append_val(seg->offset_index, e);
  }
  for (gsize i = 0; i < tlen; i += TIME_ENTRY_SIZE) {
    rill__time_entry t = {(int64_t)rill__be64(tim + i), (int32_t)rill__be32(tim + i + 8)};
    const rill__time_entry *prev =
      seg->time_index->len ? &g_array_index(seg->time_index, rill__time_entry, seg->time_index->len - 1) : NULL;
    if (t.rel_offset < 0 || (prev && (t.timestamp <= prev->timestamp || t.rel_offset < prev->rel_offset)))
      goto bad;
    g_array_append_val(seg->time_index, t);
  }
  if (seg->offset_index->len) {
    const rill__offset_entry *last =
      &g_array_index(seg->offset_index, rill__offset_entry, seg->offset_index->len - 1);
    rill_batch_header h;
    if (!read_header_fd(fd, last->position, file_size, &h) ||
        h.base_offset != seg->base_offset + last->rel_offset)
      goto bad;
  }
  return true;

bad:
  g_array_set_size(seg->offset_index, 0);
  g_array_set_size(seg->time_index, 0);
  return false;
}

/* The body of rill__segment_open, with the .log pinned as @fd. */
static gboolean open_pinned(rill__segment *seg, int fd, bool recover, GString *note, GError **error)
{
  int64_t base_offset = seg->base_offset;
  struct stat st;
  if (fstat(fd, &st) != 0)
    return io_error(seg, error, errno, "cannot open segment");
  seg->created_ms = (int64_t)st.st_mtime * 1000;
  /* The interval only shapes new entries; rebuilt ones use the default. */
  const int64_t interval = 4096;
  if (!recover && load_indexes(seg, fd, st.st_size)) {
    const rill__offset_entry *last =
      seg->offset_index->len ? &g_array_index(seg->offset_index, rill__offset_entry, seg->offset_index->len - 1)
                             : NULL;
    int64_t max_ts = seg->time_index->len
                       ? g_array_index(seg->time_index, rill__time_entry, seg->time_index->len - 1).timestamp
                       : -1;
    /* Re-index from the last entry: drop it, the scan appends it again. */
    int64_t from = 0;
    if (last) {
      from = last->position;
      seg->next_offset = base_offset + last->rel_offset;
      g_array_set_size(seg->offset_index, seg->offset_index->len - 1);
      seg->bytes_since_index = interval;
    }
    if (!scan_from(seg, fd, from, st.st_size, false, interval, note, error))
      return FALSE;
    seg->max_timestamp = MAX(seg->max_timestamp, max_ts);
    seg->indexes_dirty = false;
    if (note && note->len) /* a torn tail in a closed segment: indexes follow the new end */
      seg->indexes_dirty = true;
    return TRUE;
  }
  if (!recover && note)
    g_string_append_printf(note, "%s: index rebuilt; ", seg->path);
  if (!scan_from(seg, fd, 0, st.st_size, recover, interval, note, error))
    return FALSE;
  seg->indexes_dirty = true;
  return TRUE;
}

rill__segment *rill__segment_open(rill__fd_cache *cache, const char *dir, int64_t base_offset, bool recover,
                                  GString *note, GError **error)
{
  rill__segment *seg = segment_new(cache, dir, base_offset);
  int fd = rill__segment_pin(seg, error);
  if (fd < 0)
    goto fail;
  gboolean ok = open_pinned(seg, fd, recover, note, error);
  rill__segment_unpin(seg);
  if (ok)
    return seg;
fail:
  rill__segment_unref(seg);
  return NULL;
}

gboolean rill__segment_write_indexes(rill__segment *seg, GError **error)
{
  if (!seg->indexes_dirty)
    return TRUE;
  GArray *ti = seg->time_index;
  if (seg->max_timestamp >= 0 &&
      (ti->len == 0 || g_array_index(ti, rill__time_entry, ti->len - 1).timestamp < seg->max_timestamp)) {
    rill__time_entry t = {seg->max_timestamp, (int32_t)(seg->next_offset - 1 - seg->base_offset)};
    g_array_append_val(ti, t);
  }
  GArray *oi = seg->offset_index;
  g_autofree guint8 *ib = g_malloc((gsize)oi->len * OFFSET_ENTRY_SIZE + 1);
  for (guint i = 0; i < oi->len; i++) {
    const rill__offset_entry *e = &g_array_index(oi, rill__offset_entry, i);
    rill_put_be32(ib + i * OFFSET_ENTRY_SIZE, (uint32_t)e->rel_offset);
    rill_put_be32(ib + i * OFFSET_ENTRY_SIZE + 4, (uint32_t)e->position);
  }
  g_autofree guint8 *tb = g_malloc((gsize)ti->len * TIME_ENTRY_SIZE + 1);
  for (guint i = 0; i < ti->len; i++) {
    const rill__time_entry *e = &g_array_index(ti, rill__time_entry, i);
    rill_put_be64(tb + i * TIME_ENTRY_SIZE, (uint64_t)e->timestamp);
    rill_put_be32(tb + i * TIME_ENTRY_SIZE + 8, (uint32_t)e->rel_offset);
  }
  /* Indexes are checked on open, so a plain (non-fsynced) replace is enough:
   * a torn index is rebuilt, never believed. */
  g_autofree char *ip = g_strconcat(seg->path, ".index", NULL);
  g_autofree char *tp = g_strconcat(seg->path, ".timeindex", NULL);
  if (!g_file_set_contents(ip, (const char *)ib, (gssize)oi->len * OFFSET_ENTRY_SIZE, error) ||
      !g_file_set_contents(tp, (const char *)tb, (gssize)ti->len * TIME_ENTRY_SIZE, error)) {
    if (error && *error) {
      (*error)->domain = RILL_LOG_ERROR;
      (*error)->code = RILL_LOG_ERROR_IO;
    }
    return FALSE;
  }
  seg->indexes_dirty = false;
  return TRUE;
}

void rill__segment_unlink(rill__segment *seg)
{
  static const char *const exts[] = {".log", ".index", ".timeindex"};
  for (size_t i = 0; i < G_N_ELEMENTS(exts); i++) {
    g_autofree char *p = g_strconcat(seg->path, exts[i], NULL);
    unlink(p);
  }
}

int64_t rill__segment_lookup_offset(rill__segment *seg, int64_t offset)
{
  GArray *a = seg->offset_index;
  int64_t rel = offset - seg->base_offset;
  guint lo = 0, hi = a->len; /* find the last entry with rel_offset <= rel */
  while (lo < hi) {
    guint mid = (lo + hi) / 2;
    if (g_array_index(a, rill__offset_entry, mid).rel_offset <= rel)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo == 0 ? 0 : g_array_index(a, rill__offset_entry, lo - 1).position;
}

int64_t rill__segment_lookup_time(rill__segment *seg, int64_t timestamp)
{
  GArray *a = seg->time_index;
  guint lo = 0, hi = a->len; /* the last entry with timestamp < @timestamp */
  while (lo < hi) {
    guint mid = (lo + hi) / 2;
    if (g_array_index(a, rill__time_entry, mid).timestamp < timestamp)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == 0)
    return 0;
  return rill__segment_lookup_offset(seg, seg->base_offset + g_array_index(a, rill__time_entry, lo - 1).rel_offset);
}
