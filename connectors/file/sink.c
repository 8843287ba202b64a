/* sink.c — the file sink: one file at a time per task, written through a
 * temporary ".NAME.tmp" that is fsync'ed and renamed into place when the
 * file is complete (rotation by size or age, close).
 *
 * Invariants: a file under its final name is always complete; the current
 * file's bytes = what is on disk under the temporary name + `buf`; rotation
 * happens only between records, so the concatenation of a task's files in
 * name order is exactly what it was given. A file is created lazily at the
 * first record, except that a non-rotating single-file sink creates its
 * (possibly empty) file at close.
 */
#include "connectors/file/encode.h"

#include <rill/file.h>

#include "runtime/snap.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#define FLUSH_BYTES (1u << 20)

struct rill_file_sink {
  char *path;
  rill_file_format format;
  guint64 rotate_bytes;
  guint rotate_seconds;
  char *csv_header;
  gboolean fsync;
};

typedef struct {
  rill_file_sink *sink;
  char *dir, *stem, *ext;  /* name parts for numbered files */
  gboolean numbered;       /* STEM-TASK-SEQ.EXT names (rotation or P > 1) */
  guint task;
  guint seq;               /* next sequence number */
  int fd;                  /* -1 when no file is open */
  char *tmp_path, *final_path;
  guint64 written;         /* bytes in the current file (disk + buf) */
  gint64 opened_at;        /* monotonic us */
  gboolean any_file;       /* a file was created */
  char *header_row;        /* CSV header: configured or learned from records */
  rill__encoder *encoder;  /* lines out, converting JSON <-> CSV */
  GString *buf;
} sink_state;

rill_file_sink *rill_file_sink_new(const char *path, rill_file_format format)
{
  g_return_val_if_fail(path != NULL && *path, NULL);
  rill_file_sink *s = g_new0(rill_file_sink, 1);
  s->path = g_strdup(path);
  s->format = format;
  s->fsync = TRUE;
  return s;
}

void rill_file_sink_free(rill_file_sink *sink)
{
  if (!sink)
    return;
  g_free(sink->path);
  g_free(sink->csv_header);
  g_free(sink);
}

void rill_file_sink_set_rotate_bytes(rill_file_sink *sink, guint64 bytes)
{
  g_return_if_fail(sink != NULL);
  sink->rotate_bytes = bytes;
}

void rill_file_sink_set_rotate_seconds(rill_file_sink *sink, guint seconds)
{
  g_return_if_fail(sink != NULL);
  sink->rotate_seconds = seconds;
}

void rill_file_sink_set_csv_header(rill_file_sink *sink, const char *header_row)
{
  g_return_if_fail(sink != NULL);
  g_free(sink->csv_header);
  sink->csv_header = g_strdup(header_row);
}

void rill_file_sink_set_fsync(rill_file_sink *sink, gboolean fsync)
{
  g_return_if_fail(sink != NULL);
  sink->fsync = fsync;
}

/* ---- naming ------------------------------------------------------------- */

static char *numbered_name(sink_state *t, guint seq)
{
  return g_strdup_printf("%s-%u-%06u%s", t->stem, t->task, seq, t->ext);
}

/* The first sequence number after any existing file of this task, so a
 * reopened sink never overwrites what an earlier run finalized. */
static guint first_free_seq(sink_state *t)
{
  guint next = 0;
  GDir *d = g_dir_open(t->dir, 0, NULL);
  if (!d)
    return 0;
  char *prefix = g_strdup_printf("%s-%u-", t->stem, t->task);
  gsize plen = strlen(prefix);
  const char *name;
  while ((name = g_dir_read_name(d)) != NULL) {
    if (strncmp(name, prefix, plen) != 0 || !g_str_has_suffix(name, t->ext))
      continue;
    char *end;
    guint64 seq = g_ascii_strtoull(name + plen, &end, 10);
    if (end != name + plen && strcmp(end, t->ext) == 0 && seq + 1 > next)
      next = (guint)(seq + 1);
  }
  g_free(prefix);
  g_dir_close(d);
  return next;
}

/* ---- files -------------------------------------------------------------- */

static gboolean open_file(sink_state *t, GError **error)
{
  char *base = t->numbered ? numbered_name(t, t->seq++) : g_path_get_basename(t->sink->path);
  t->final_path = g_build_filename(t->dir, base, NULL);
  char *tmp = g_strdup_printf(".%s.tmp", base);
  t->tmp_path = g_build_filename(t->dir, tmp, NULL);
  g_free(tmp);
  g_free(base);
  t->fd = open(t->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (t->fd < 0) {
    g_set_error(error, RILL_FILE_ERROR, RILL_FILE_ERROR_IO, "%s: cannot create: %s", t->tmp_path, g_strerror(errno));
    g_clear_pointer(&t->tmp_path, g_free);
    g_clear_pointer(&t->final_path, g_free);
    return FALSE;
  }
  t->any_file = TRUE;
  t->written = 0;
  t->opened_at = g_get_monotonic_time();
  if (t->sink->format == RILL_FILE_FORMAT_CSV && t->header_row) {
    g_string_append(t->buf, t->header_row);
    g_string_append_c(t->buf, '\n');
    t->written += strlen(t->header_row) + 1;
  }
  return TRUE;
}

static gboolean write_buf(sink_state *t, GError **error)
{
  if (!t->buf->len || t->fd < 0)
    return TRUE;
  gboolean ok = rill__write_all(t->fd, t->buf->str, t->buf->len, t->tmp_path, t->written - t->buf->len, error);
  g_string_truncate(t->buf, 0);
  return ok;
}

/* Completes the current file: write, fsync, rename into place, fsync dir. */
static gboolean finalize(sink_state *t, GError **error)
{
  if (t->fd < 0)
    return TRUE;
  gboolean ok = write_buf(t, error);
  if (ok && t->sink->fsync && fsync(t->fd) != 0) {
    g_set_error(error, RILL_FILE_ERROR, RILL_FILE_ERROR_IO, "%s: fsync failed: %s", t->tmp_path, g_strerror(errno));
    ok = FALSE;
  }
  close(t->fd);
  t->fd = -1;
  if (ok && rename(t->tmp_path, t->final_path) != 0) {
    g_set_error(error, RILL_FILE_ERROR, RILL_FILE_ERROR_IO, "%s: cannot rename to %s: %s", t->tmp_path,
                t->final_path, g_strerror(errno));
    ok = FALSE;
  }
  if (ok && t->sink->fsync) {
    int dfd = open(t->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      fsync(dfd);
      close(dfd);
    }
  }
  g_clear_pointer(&t->tmp_path, g_free);
  g_clear_pointer(&t->final_path, g_free);
  return ok;
}

static gboolean too_old(sink_state *t)
{
  return t->fd >= 0 && t->sink->rotate_seconds &&
         g_get_monotonic_time() - t->opened_at >= (gint64)t->sink->rotate_seconds * G_USEC_PER_SEC;
}

/* ---- class -------------------------------------------------------------- */

static gboolean sink_open(rill_ctx *ctx, void *user_data, void **state, GError **error)
{
  rill_file_sink *s = user_data;
  sink_state *t = g_new0(sink_state, 1);
  t->sink = s;
  t->fd = -1;
  t->task = rill_ctx_task_index(ctx);
  t->dir = g_path_get_dirname(s->path);
  char *base = g_path_get_basename(s->path);
  const char *dot = strchr(base + (base[0] == '.'), '.');
  t->stem = dot ? g_strndup(base, (gsize)(dot - base)) : g_strdup(base);
  t->ext = g_strdup(dot ? dot : "");
  g_free(base);
  t->numbered = s->rotate_bytes || s->rotate_seconds || rill_ctx_parallelism(ctx) > 1;
  if (t->numbered)
    t->seq = first_free_seq(t);
  t->header_row = g_strdup(s->csv_header);
  t->encoder = rill__encoder_new(s->format);
  rill__encoder_set_csv_header(t->encoder, t->header_row);
  t->buf = g_string_sized_new(FLUSH_BYTES + 4096);
  *state = t;
  return TRUE;
}

static rill_flow failed(rill_ctx *ctx, GError *error)
{
  rill_ctx_set_error(ctx, error);
  return RILL_FLOW_ERROR;
}

static rill_flow sink_write(rill_ctx *ctx, void *state, const rill_batch *batch)
{
  sink_state *t = state;
  GError *err = NULL;
  const rill_record *r = rill_batch_records(batch);
  for (size_t i = 0, n = rill_batch_len(batch); i < n; i++) {
    if (too_old(t) && !finalize(t, &err))
      return failed(ctx, err);
    if (!t->header_row && t->sink->format == RILL_FILE_FORMAT_CSV) {
      const char *h = rill__encoder_csv_header(t->encoder, &r[i]);
      t->header_row = g_strdup(h);
    }
    if (t->fd < 0 && !open_file(t, &err))
      return failed(ctx, err);
    gsize before = t->buf->len;
    if (!rill__encoder_line(t->encoder, t->buf, &r[i], &err))
      return failed(ctx, err);
    t->written += t->buf->len - before;
    if (t->buf->len >= FLUSH_BYTES && !write_buf(t, &err))
      return failed(ctx, err);
    if (t->sink->rotate_bytes && t->written >= t->sink->rotate_bytes && !finalize(t, &err))
      return failed(ctx, err);
  }
  return RILL_FLOW_OK;
}

static rill_flow sink_flush(rill_ctx *ctx, void *state)
{
  sink_state *t = state;
  GError *err = NULL;
  if (too_old(t) ? !finalize(t, &err) : !write_buf(t, &err))
    return failed(ctx, err);
  return RILL_FLOW_OK;
}

/* Live output: the buffer goes to the temporary file (no fsync, no rotation). */
static rill_flow sink_idle(rill_ctx *ctx, void *state)
{
  sink_state *t = state;
  GError *err = NULL;
  return write_buf(t, &err) ? RILL_FLOW_OK : failed(ctx, err);
}

static void sink_close(rill_ctx *ctx, void *state)
{
  sink_state *t = state;
  GError *err = NULL;
  if (!t->any_file && !t->numbered && !open_file(t, &err)) {
    g_warning("%s", err->message);
    g_clear_error(&err);
  }
  if (!finalize(t, &err)) {
    /* close cannot fail the run any more; the temporary stays for inspection. */
    g_warning("file sink: %s", err->message);
    g_error_free(err);
  }
  g_free(t->dir);
  g_free(t->stem);
  g_free(t->ext);
  g_free(t->header_row);
  rill__encoder_free(t->encoder);
  g_string_free(t->buf, TRUE);
  g_free(t);
}

/* ---- checkpoints --------------------------------------------------------
 * At a barrier the sink has just flushed (buf is empty): the snapshot
 * fsyncs the open temporary file and records its length. Snapshot: u32
 * next seq, u8 any_file, u8 open, u32-prefixed base name of the open file,
 * u64 its length, u8 + u32-prefixed CSV header row (when known).
 * Restore makes the directory look as it did at the checkpoint: the open
 * file (renamed back from its final name if a later close finalized it) is
 * truncated to the recorded length and written on; files this task started
 * after the checkpoint are deleted. So output is exactly once as long as
 * the restarted pipeline replays the same records, which sources restored
 * from the same checkpoint do. */

static rill_flow sink_snapshot(rill_ctx *ctx, void *state, uint64_t id, GByteArray *out)
{
  sink_state *t = state;
  GError *err = NULL;
  if (!write_buf(t, &err))
    return failed(ctx, err);
  if (t->fd >= 0 && t->sink->fsync && fsync(t->fd) != 0)
    return failed(ctx, g_error_new(RILL_FILE_ERROR, RILL_FILE_ERROR_IO, "%s: fsync failed: %s", t->tmp_path,
                                   g_strerror(errno)));
  rill__snap_u32(out, t->seq);
  rill__snap_u8(out, (guint8)t->any_file);
  rill__snap_u8(out, t->fd >= 0);
  char *base = t->fd >= 0 ? g_path_get_basename(t->final_path) : NULL;
  rill__snap_bytes(out, base, base ? strlen(base) : 0);
  g_free(base);
  rill__snap_u64(out, t->fd >= 0 ? t->written : 0);
  rill__snap_u8(out, t->header_row != NULL);
  rill__snap_bytes(out, t->header_row, t->header_row ? strlen(t->header_row) : 0);
  return RILL_FLOW_OK;
}

/* Deletes this task's numbered files (final and temporary) from @seq on. */
static void delete_from(sink_state *t, guint seq)
{
  GDir *d = g_dir_open(t->dir, 0, NULL);
  if (!d)
    return;
  char *prefix = g_strdup_printf("%s-%u-", t->stem, t->task);
  char *tmp_prefix = g_strdup_printf(".%s", prefix);
  char *tmp_suffix = g_strdup_printf("%s.tmp", t->ext);
  gsize plen = strlen(prefix);
  const char *name;
  GPtrArray *doomed = g_ptr_array_new_with_free_func(g_free);
  while ((name = g_dir_read_name(d)) != NULL) {
    const char *num;
    const char *suffix;
    if (g_str_has_prefix(name, prefix)) {
      num = name + plen;
      suffix = t->ext;
    } else if (g_str_has_prefix(name, tmp_prefix)) {
      num = name + plen + 1;
      suffix = tmp_suffix;
    } else {
      continue;
    }
    char *end;
    guint64 n = g_ascii_strtoull(num, &end, 10);
    if (end != num && strcmp(end, suffix) == 0 && n >= seq)
      g_ptr_array_add(doomed, g_build_filename(t->dir, name, NULL));
  }
  g_dir_close(d);
  for (guint i = 0; i < doomed->len; i++)
    unlink(doomed->pdata[i]);
  g_ptr_array_unref(doomed);
  g_free(prefix);
  g_free(tmp_prefix);
  g_free(tmp_suffix);
}

static gboolean sink_restore(rill_ctx *ctx, void *state, const uint8_t *data, size_t len, GError **error)
{
  sink_state *t = state;
  rill__snap_reader r = rill__snap_reader_init(data, len);
  guint32 seq = rill__snap_get_u32(&r);
  gboolean any_file = rill__snap_get_u8(&r) != 0, open_now = rill__snap_get_u8(&r) != 0;
  size_t bl, hl;
  const uint8_t *base = rill__snap_get_bytes(&r, &bl);
  guint64 written = rill__snap_get_u64(&r);
  gboolean has_header = rill__snap_get_u8(&r) != 0;
  const uint8_t *hdr = rill__snap_get_bytes(&r, &hl);
  if (!rill__snap_done(&r) || (open_now && !bl)) {
    g_set_error_literal(error, RILL_FILE_ERROR, RILL_FILE_ERROR_IO, "malformed file sink snapshot");
    return FALSE;
  }
  g_free(t->header_row);
  t->header_row = has_header ? g_strndup((const char *)hdr, hl) : NULL;
  rill__encoder_set_csv_header(t->encoder, t->header_row);
  t->any_file = any_file;
  char *name = open_now ? g_strndup((const char *)base, bl) : NULL;
  if (t->numbered) {
    delete_from(t, seq); /* the open file, if any, is seq - 1 */
    t->seq = seq;
  } else if (!open_now) {
    /* The single file did not exist at the checkpoint. */
    char *b = g_path_get_basename(t->sink->path);
    char *tmp = g_strdup_printf(".%s.tmp", b);
    char *tmp_path = g_build_filename(t->dir, tmp, NULL);
    unlink(tmp_path);
    unlink(t->sink->path);
    g_free(tmp_path);
    g_free(tmp);
    g_free(b);
  }
  if (!open_now) {
    g_free(name);
    return TRUE;
  }
  t->final_path = g_build_filename(t->dir, name, NULL);
  char *tmp = g_strdup_printf(".%s.tmp", name);
  t->tmp_path = g_build_filename(t->dir, tmp, NULL);
  g_free(tmp);
  g_free(name);
  if (!g_file_test(t->tmp_path, G_FILE_TEST_EXISTS) && rename(t->final_path, t->tmp_path) != 0) {
    g_set_error(error, RILL_FILE_ERROR, RILL_FILE_ERROR_IO, "%s: checkpointed output is gone: %s", t->tmp_path,
                g_strerror(errno));
    g_clear_pointer(&t->tmp_path, g_free);
    g_clear_pointer(&t->final_path, g_free);
    return FALSE;
  }
  unlink(t->final_path); /* a finalized copy next to a temporary would be stale */
  t->fd = open(t->tmp_path, O_WRONLY | O_CLOEXEC);
  if (t->fd < 0 || ftruncate(t->fd, (off_t)written) != 0 || lseek(t->fd, 0, SEEK_END) != (off_t)written) {
    g_set_error(error, RILL_FILE_ERROR, RILL_FILE_ERROR_IO, "%s: cannot go back to byte %" G_GUINT64_FORMAT ": %s",
                t->tmp_path, written, g_strerror(errno));
    if (t->fd >= 0)
      close(t->fd);
    t->fd = -1;
    g_clear_pointer(&t->tmp_path, g_free);
    g_clear_pointer(&t->final_path, g_free);
    return FALSE;
  }
  t->written = written;
  t->opened_at = g_get_monotonic_time();
  return TRUE;
}

const rill_sink_class rill_file_sink_class = {
  .type_name = "file-sink",
  .open = sink_open,
  .write = sink_write,
  .flush = sink_flush,
  .idle = sink_idle,
  .close = sink_close,
  .snapshot = sink_snapshot,
  .restore = sink_restore,
};

rill_stage *rill_pipeline_add_file_sink(rill_pipeline *pipeline, const char *name, rill_stage *input,
                                        rill_file_sink *sink)
{
  g_return_val_if_fail(pipeline != NULL && sink != NULL, NULL);
  return rill_pipeline_add_sink(pipeline, name, input, &rill_file_sink_class, sink,
                                (GDestroyNotify)rill_file_sink_free);
}
