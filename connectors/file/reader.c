/* reader.c — chunked reading and record framing for the file sources.
 *
 * Lines and JSON Lines end at "\n" (found with memchr over the chunk).
 * CSV records end at a "\n" outside quotes: the quote count from the
 * record's start is tracked, and a newline only ends the record when it is
 * even (RFC 4180 escapes a quote by doubling it, which keeps the parity
 * right). A "\r" before the "\n" is stripped from CSV records only.
 * See reader.h for the chunk invariants.
 */
#include "connectors/file/reader.h"

#include "runtime/batch-private.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

static gboolean open_fd(rill__reader *r, GError **error)
{
  if (strcmp(r->path, "-") == 0) {
    r->fd = STDIN_FILENO;
  } else {
    r->fd = open(r->path, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0) {
      int e = errno;
      g_set_error(error, RILL_FILE_ERROR, e == ENOENT ? RILL_FILE_ERROR_NOT_FOUND : RILL_FILE_ERROR_IO,
                  "%s: cannot open: %s", r->path, g_strerror(e));
      return FALSE;
    }
  }
  struct stat st;
  if (fstat(r->fd, &st) == 0) {
    r->is_regular = S_ISREG(st.st_mode);
    r->ino = st.st_ino;
    r->dev = st.st_dev;
    if (S_ISDIR(st.st_mode)) {
      g_set_error(error, RILL_FILE_ERROR, RILL_FILE_ERROR_IO, "%s: is a directory", r->path);
      return FALSE;
    }
  }
  if (r->is_regular)
    posix_fadvise(r->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  r->chunk_offset = 0;
  r->len = r->pos = 0;
  r->line = 1;
  r->eof = FALSE;
  r->quoted_tail = FALSE;
  return TRUE;
}

gboolean rill__reader_open(rill__reader *reader, const char *path, rill_file_format format, gsize chunk_size,
                           GError **error)
{
  memset(reader, 0, sizeof *reader);
  reader->fd = -1;
  reader->path = g_strdup(path);
  reader->format = format;
  reader->chunk_size = chunk_size;
  return open_fd(reader, error);
}

void rill__reader_clear(rill__reader *reader)
{
  if (reader->fd > STDIN_FILENO)
    close(reader->fd);
  reader->fd = -1;
  rill_buffer_unref(reader->chunk);
  reader->chunk = NULL;
  g_clear_pointer(&reader->path, g_free);
}

/* Makes room after len: reuse the chunk when nobody else holds it, else
 * move the incomplete tail into a fresh chunk (grown for long records). */
static void make_room(rill__reader *r)
{
  if (r->chunk && r->len < rill_buffer_size(r->chunk))
    return;
  gsize tail = r->len - r->pos;
  if (r->chunk && __atomic_load_n(&r->chunk->ref, __ATOMIC_ACQUIRE) == 1 && tail < rill_buffer_size(r->chunk)) {
    memmove(r->chunk->data, r->chunk->data + r->pos, tail);
  } else {
    gsize size = MAX(r->chunk_size, tail * 2);
    rill_buffer *fresh = rill_buffer_new(size);
    if (tail)
      memcpy(fresh->data, r->chunk->data + r->pos, tail);
    rill_buffer_unref(r->chunk);
    r->chunk = fresh;
  }
  r->chunk_offset += r->pos;
  r->len = tail;
  r->pos = 0;
}

gssize rill__reader_fill(rill__reader *reader, guint wait_ms, GError **error)
{
  rill__reader *r = reader;
  make_room(r);
  if (!r->is_regular) {
    struct pollfd pfd = {.fd = r->fd, .events = POLLIN};
    int n = poll(&pfd, 1, (int)wait_ms);
    if (n == 0 || (n < 0 && errno == EINTR))
      return 0;
  }
  gsize room = rill_buffer_size(r->chunk) - r->len;
  gssize got;
  do
    got = read(r->fd, r->chunk->data + r->len, room);
  while (got < 0 && errno == EINTR);
  if (got < 0) {
    g_set_error(error, RILL_FILE_ERROR, RILL_FILE_ERROR_IO, "%s: read error at byte offset %" G_GUINT64_FORMAT ": %s",
                r->path, r->chunk_offset + r->len, g_strerror(errno));
    return -1;
  }
  r->eof = got == 0;
  r->len += (gsize)got;
  return got;
}

/* Counts '"' in [p, end) — parity is all CSV framing needs. */
static gsize count_quotes(const uint8_t *p, const uint8_t *end)
{
  gsize n = 0;
  while ((p = memchr(p, '"', (size_t)(end - p))) != NULL) {
    n++;
    p++;
  }
  return n;
}

static gsize count_newlines(const uint8_t *p, const uint8_t *end)
{
  gsize n = 0;
  while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
    n++;
    p++;
  }
  return n;
}

rill__frame_status rill__reader_next(rill__reader *reader, rill__frame *frame)
{
  rill__reader *r = reader;
  if (!r->chunk || r->pos >= r->len)
    return RILL__FRAME_MORE;
  const uint8_t *base = r->chunk->data;
  const uint8_t *start = base + r->pos, *end = base + r->len;
  const uint8_t *nl;
  gsize lines = 1;
  if (r->format != RILL_FILE_FORMAT_CSV) {
    nl = memchr(start, '\n', (size_t)(end - start));
  } else {
    const uint8_t *cursor = start;
    gsize quotes = 0;
    for (;;) {
      nl = memchr(cursor, '\n', (size_t)(end - cursor));
      quotes += count_quotes(cursor, nl ? nl : end);
      if (!nl || quotes % 2 == 0)
        break;
      cursor = nl + 1;
      lines++;
    }
    r->quoted_tail = !nl && quotes % 2 == 1;
  }
  frame->data = start;
  frame->offset = r->chunk_offset + r->pos;
  frame->line = r->line;
  if (nl) {
    frame->len = (gsize)(nl - start);
    frame->final = FALSE;
    r->pos = (gsize)(nl + 1 - base);
    r->line += lines;
  } else {
    if (!r->eof || r->hold_tail)
      return RILL__FRAME_MORE;
    frame->len = (gsize)(end - start);
    frame->final = TRUE;
    r->pos = r->len;
    r->line += count_newlines(start, end);
    if (r->quoted_tail)
      return RILL__FRAME_TRUNCATED;
  }
  if (r->format == RILL_FILE_FORMAT_CSV && frame->len && frame->data[frame->len - 1] == '\r')
    frame->len--;
  return RILL__FRAME_OK;
}

gboolean rill__reader_rotated(rill__reader *reader, gboolean *truncated)
{
  rill__reader *r = reader;
  *truncated = FALSE;
  if (!r->is_regular)
    return FALSE;
  struct stat st;
  if (fstat(r->fd, &st) == 0 && (guint64)st.st_size < r->chunk_offset + r->len) {
    *truncated = TRUE;
    return TRUE;
  }
  if (stat(r->path, &st) != 0)
    return FALSE; /* renamed away, replacement not created yet: keep reading the old file */
  return st.st_ino != r->ino || st.st_dev != r->dev;
}

gboolean rill__reader_reopen(rill__reader *reader, gboolean truncated, GError **error)
{
  rill__reader *r = reader;
  /* Frames handed out still reference the old chunk; start a fresh one. */
  rill_buffer_unref(r->chunk);
  r->chunk = NULL;
  if (truncated) {
    if (lseek(r->fd, 0, SEEK_SET) < 0) {
      g_set_error(error, RILL_FILE_ERROR, RILL_FILE_ERROR_IO, "%s: cannot rewind truncated file: %s", r->path,
                  g_strerror(errno));
      return FALSE;
    }
    r->chunk_offset = 0;
    r->len = r->pos = 0;
    r->line = 1;
    r->eof = FALSE;
    return TRUE;
  }
  if (r->fd > STDIN_FILENO)
    close(r->fd);
  r->fd = -1;
  return open_fd(r, error);
}

gboolean rill__reader_seek(rill__reader *reader, guint64 offset, guint64 line, GError **error)
{
  rill__reader *r = reader;
  if (!r->is_regular || lseek(r->fd, (off_t)offset, SEEK_SET) < 0) {
    g_set_error(error, RILL_FILE_ERROR, RILL_FILE_ERROR_IO, "%s: cannot seek to byte offset %" G_GUINT64_FORMAT "%s",
                r->path, offset, r->is_regular ? "" : " (not a regular file)");
    return FALSE;
  }
  /* A fresh chunk: batches may still reference the old one's bytes. */
  rill_buffer_unref(r->chunk);
  r->chunk = NULL;
  r->chunk_offset = offset;
  r->len = r->pos = 0;
  r->line = line;
  r->eof = FALSE;
  r->quoted_tail = FALSE;
  return TRUE;
}
