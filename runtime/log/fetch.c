/* fetch.c — the result of a read: (segment, position, length) ranges whose
 * concatenated bytes are whole batches. The fetch holds a reference and a
 * pin (fd-cache.c) on each segment, so its fd stays open (and its bytes
 * readable, even after retention unlinks the file) until rill_log_fetch_free. */
#include "runtime/log/log-private.h"

typedef struct {
  rill__segment *seg; /* ref and pin */
  int fd;             /* the pinned fd */
  int64_t position;
  size_t length;
} range;

struct rill_log_fetch {
  int64_t hwm;
  int64_t log_start;
  size_t total;
  GArray *ranges; /* range */
};

rill_log_fetch *rill__fetch_new(int64_t hwm, int64_t log_start)
{
  rill_log_fetch *f = g_new0(rill_log_fetch, 1);
  f->hwm = hwm;
  f->log_start = log_start;
  f->ranges = g_array_new(FALSE, FALSE, sizeof(range));
  return f;
}

void rill__fetch_add(rill_log_fetch *f, rill__segment *seg, int64_t position, int64_t length)
{
  if (length <= 0)
    return;
  range r = {rill__segment_ref(seg), rill__segment_repin(seg), position, (size_t)length};
  g_array_append_val(f->ranges, r);
  f->total += (size_t)length;
}

void rill_log_fetch_free(rill_log_fetch *fetch)
{
  if (!fetch)
    return;
  for (guint i = 0; i < fetch->ranges->len; i++) {
    rill__segment *seg = g_array_index(fetch->ranges, range, i).seg;
    rill__segment_unpin(seg);
    rill__segment_unref(seg);
  }
  g_array_unref(fetch->ranges);
  g_free(fetch);
}

guint rill_log_fetch_n_ranges(const rill_log_fetch *fetch)
{
  g_return_val_if_fail(fetch != NULL, 0);
  return fetch->ranges->len;
}

void rill_log_fetch_range(const rill_log_fetch *fetch, guint i, int *fd, int64_t *position, size_t *length)
{
  g_return_if_fail(fetch != NULL && i < fetch->ranges->len);
  const range *r = &g_array_index(fetch->ranges, range, i);
  if (fd)
    *fd = r->fd;
  if (position)
    *position = r->position;
  if (length)
    *length = r->length;
}

size_t rill_log_fetch_size(const rill_log_fetch *fetch)
{
  g_return_val_if_fail(fetch != NULL, 0);
  return fetch->total;
}

int64_t rill_log_fetch_high_watermark(const rill_log_fetch *fetch)
{
  g_return_val_if_fail(fetch != NULL, -1);
  return fetch->hwm;
}

int64_t rill_log_fetch_log_start_offset(const rill_log_fetch *fetch)
{
  g_return_val_if_fail(fetch != NULL, -1);
  return fetch->log_start;
}

GBytes *rill_log_fetch_bytes(const rill_log_fetch *fetch, GError **error)
{
  g_return_val_if_fail(fetch != NULL, NULL);
  uint8_t *buf = g_malloc(fetch->total + 1);
  size_t at = 0;
  for (guint i = 0; i < fetch->ranges->len; i++) {
    const range *r = &g_array_index(fetch->ranges, range, i);
    if (!rill__segment_read(r->seg, buf + at, r->length, r->position, error)) {
      g_free(buf);
      return NULL;
    }
    at += r->length;
  }
  return g_bytes_new_take(buf, fetch->total);
}
