/* fd-cache.c — the log's bounded cache of open segment files.
 *
 * A segment's .log is opened only while someone uses it: a user pins the
 * segment (rill__segment_pin opens the file if needed) and unpins it when
 * done. An unpinned segment keeps its fd in the cache's idle list, most
 * recently used first; once more segment files are open than the capacity,
 * idle ones are closed from the least recently used end. So the fds a log
 * holds do not grow with partitions x segments: at most max(capacity,
 * segments pinned at once) — pins last for one append, one fdatasync, one
 * index scan, or one fetch until its bytes are sent.
 *
 * Invariants (under cache->lock): seg->fd >= 0 iff the file is open and
 * counted in cache->open; a segment is in cache->idle iff its fd is open
 * and seg->pins == 0. Only pin/unpin/forget touch seg->fd, seg->pins and
 * seg->idle_link; everyone else uses the fd pin returns. fds are closed
 * after the lock is dropped.
 *
 * Durability note: a file written through one fd may be fdatasynced through
 * a later one. Linux reports a writeback error to the next fsync of the
 * file whatever fd it uses (errseq: an error no one has seen is reported to
 * fds opened after it), so acknowledging after that fdatasync stays sound.
 */
#include "runtime/log/log-private.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

int rill__fd_cache_default_capacity(void)
{
  struct rlimit rl;
  int64_t n = 4096;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
    n = MIN(n, (int64_t)rl.rlim_cur / 2);
  return (int)MAX(n, 16);
}

void rill__fd_cache_init(rill__fd_cache *c, int capacity)
{
  g_mutex_init(&c->lock);
  c->capacity = capacity > 0 ? capacity : rill__fd_cache_default_capacity();
  c->open = 0;
  g_queue_init(&c->idle);
  rill_prom_histogram_init_latency(&c->sync_ns);
}

void rill__fd_cache_clear(rill__fd_cache *c)
{
  /* Every segment was freed (forget) before the log is. */
  g_assert(c->open == 0);
  g_mutex_clear(&c->lock);
}

/* Closes idle fds beyond the capacity (@all: every idle one). Under the
 * lock; the fds to close go to @victims. */
static void evict_locked(rill__fd_cache *c, bool all, GArray *victims)
{
  while ((all || c->open > c->capacity) && c->idle.tail) {
    rill__segment *seg = c->idle.tail->data;
    g_queue_unlink(&c->idle, &seg->idle_link);
    g_array_append_val(victims, seg->fd);
    seg->fd = -1;
    c->open--;
  }
}

static void close_all(GArray *victims)
{
  for (guint i = 0; i < victims->len; i++)
    close(g_array_index(victims, int, i));
  g_array_set_size(victims, 0);
}

/* Pins an already open @seg (under the lock). */
static int pin_open_locked(rill__fd_cache *c, rill__segment *seg)
{
  if (seg->pins++ == 0)
    g_queue_unlink(&c->idle, &seg->idle_link);
  return seg->fd;
}

int rill__segment_pin_fd(rill__segment *seg, int flags, GError **error)
{
  rill__fd_cache *c = seg->cache;
  g_mutex_lock(&c->lock);
  if (seg->fd >= 0) {
    int fd = pin_open_locked(c, seg);
    g_mutex_unlock(&c->lock);
    return fd;
  }
  g_mutex_unlock(&c->lock);

  g_autoptr(GArray) victims = g_array_new(FALSE, FALSE, sizeof(int));
  g_autofree char *path = g_strconcat(seg->path, ".log", NULL);
  int fd = open(path, O_RDWR | O_CLOEXEC | flags, 0644);
  if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
    /* The process ran out: give back every idle fd and try once more. */
    g_mutex_lock(&c->lock);
    evict_locked(c, true, victims);
    g_mutex_unlock(&c->lock);
    close_all(victims);
    fd = open(path, O_RDWR | O_CLOEXEC | flags, 0644);
  }
  if (fd < 0) {
    rill__set_io_error(error, errno, "cannot open segment", path);
    return -1;
  }
  int spare = -1;
  g_mutex_lock(&c->lock);
  if (seg->fd >= 0) { /* another thread opened it meanwhile */
    spare = fd;
    fd = pin_open_locked(c, seg);
  } else {
    seg->fd = fd;
    seg->pins = 1;
    c->open++;
    evict_locked(c, false, victims);
  }
  g_mutex_unlock(&c->lock);
  if (spare >= 0)
    close(spare);
  close_all(victims);
  return fd;
}

int rill__segment_pin(rill__segment *seg, GError **error) { return rill__segment_pin_fd(seg, 0, error); }

int rill__segment_repin(rill__segment *seg)
{
  rill__fd_cache *c = seg->cache;
  g_mutex_lock(&c->lock);
  g_assert(seg->pins > 0);
  int fd = pin_open_locked(c, seg);
  g_mutex_unlock(&c->lock);
  return fd;
}

void rill__segment_unpin(rill__segment *seg)
{
  rill__fd_cache *c = seg->cache;
  g_autoptr(GArray) victims = NULL;
  g_mutex_lock(&c->lock);
  g_assert(seg->pins > 0);
  if (--seg->pins == 0) {
    g_queue_push_head_link(&c->idle, &seg->idle_link);
    if (c->open > c->capacity) {
      victims = g_array_new(FALSE, FALSE, sizeof(int));
      evict_locked(c, false, victims);
    }
  }
  g_mutex_unlock(&c->lock);
  if (victims)
    close_all(victims);
}

void rill__segment_forget_fd(rill__segment *seg)
{
  rill__fd_cache *c = seg->cache;
  int fd = -1;
  g_mutex_lock(&c->lock);
  g_assert(seg->pins == 0);
  if (seg->fd >= 0) {
    g_queue_unlink(&c->idle, &seg->idle_link);
    fd = seg->fd;
    seg->fd = -1;
    c->open--;
  }
  g_mutex_unlock(&c->lock);
  if (fd >= 0)
    close(fd);
}
