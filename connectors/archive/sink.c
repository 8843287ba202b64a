/* sink.c — the archive sink: pipeline records become lines of entries in
 * tar.gz, tar.zst or zip archives written through libarchive.
 *
 * Per task: records are appended ("value\n") to an in-memory entry buffer;
 * the entry is written (tar needs its size up front, so entries are
 * buffered whole — entry_max_bytes bounds that memory) when it reaches
 * entry_max_bytes / entry_max_records or at a flush. An archive is opened
 * on its first entry as "FINAL.tmp" and, at a flush or once its compressed
 * size reaches archive_max_bytes, closed, fsynced and renamed to FINAL, so
 * readers never see a partial archive under a final name. If the task ends
 * without a flush (the pipeline failed or was stopped at once), the
 * pending entry is still written and the archive closed, but it keeps its
 * .tmp name: nothing accepted is lost, nothing partial looks finished.
 */
#include "connectors/archive/archive-private.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <unistd.h>

#define DEFAULT_ENTRY_BYTES ((guint64)8 << 20)

struct rill_archive_sink {
  char *path_pattern;
  char *entry_pattern;
  rill_archive_format format;
  guint64 entry_max_bytes, entry_max_records, archive_max_bytes;
};

typedef struct {
  const rill_archive_sink *cfg; /* not owned */
  guint task;
  struct archive *a;            /* the open archive, or NULL */
  int fd;                       /* its file, -1 when none */
  char *final_path, *tmp_path;  /* of the open archive */
  guint64 archive_seq;          /* number of the next archive of this task */
  guint64 entry_seq;            /* entries written to the open archive */
  GByteArray *entry;            /* pending entry content */
  guint64 entry_records;
} writer;

/* ---- names -------------------------------------------------------------- */

static char *expand(const char *pattern, guint task, guint64 seq)
{
  char t[16], s[24];
  g_snprintf(t, sizeof t, "%u", task);
  g_snprintf(s, sizeof s, "%" G_GUINT64_FORMAT, seq);
  GString *out = g_string_new(pattern);
  g_string_replace(out, "{task}", t, 0);
  g_string_replace(out, "{seq}", s, 0);
  return g_string_free(out, FALSE);
}

static rill_archive_format format_of(const char *path)
{
  if (g_str_has_suffix(path, ".tar.gz") || g_str_has_suffix(path, ".tgz"))
    return RILL_ARCHIVE_FORMAT_TAR_GZ;
  if (g_str_has_suffix(path, ".tar.zst") || g_str_has_suffix(path, ".tzst"))
    return RILL_ARCHIVE_FORMAT_TAR_ZST;
  if (g_str_has_suffix(path, ".zip"))
    return RILL_ARCHIVE_FORMAT_ZIP;
  return RILL_ARCHIVE_FORMAT_AUTO;
}

/* ---- archive lifecycle -------------------------------------------------- */

static rill_flow write_failed(rill_ctx *ctx, writer *w, const char *what)
{
  rill_ctx_set_error(ctx, g_error_new(RILL_ARCHIVE_ERROR, RILL_ARCHIVE_ERROR_WRITE, "archive '%s': %s: %s",
                                      w->tmp_path ? w->tmp_path : "?", what,
                                      w->a && archive_error_string(w->a) ? archive_error_string(w->a)
                                                                         : g_strerror(errno)));
  return RILL_FLOW_ERROR;
}

static rill_flow open_archive(rill_ctx *ctx, writer *w)
{
  w->final_path = expand(w->cfg->path_pattern, w->task, w->archive_seq++);
  w->tmp_path = g_strconcat(w->final_path, ".tmp", NULL);
  w->entry_seq = 0;
  w->fd = g_open(w->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (w->fd < 0)
    return write_failed(ctx, w, "cannot create");
  w->a = archive_write_new();
  int rc = ARCHIVE_OK;
  switch (w->cfg->format) {
  case RILL_ARCHIVE_FORMAT_TAR_GZ:
    rc = archive_write_set_format_pax_restricted(w->a);
    if (rc == ARCHIVE_OK)
      rc = archive_write_add_filter_gzip(w->a);
    break;
  case RILL_ARCHIVE_FORMAT_TAR_ZST:
    rc = archive_write_set_format_pax_restricted(w->a);
    if (rc == ARCHIVE_OK)
      rc = archive_write_add_filter_zstd(w->a);
    break;
  default:
    rc = archive_write_set_format_zip(w->a);
    break;
  }
  /* No padding of the last block: the archive ends with its data. */
  if (rc == ARCHIVE_OK)
    rc = archive_write_set_bytes_in_last_block(w->a, 1);
  if (rc == ARCHIVE_OK)
    rc = archive_write_open_fd(w->a, w->fd);
  if (rc != ARCHIVE_OK)
    return write_failed(ctx, w, "cannot start");
  return RILL_FLOW_OK;
}

/* Closes the open archive; renames it to its final name when @publish. */
static rill_flow close_archive(rill_ctx *ctx, writer *w, gboolean publish)
{
  if (!w->a)
    return RILL_FLOW_OK;
  rill_flow flow = RILL_FLOW_OK;
  if (archive_write_close(w->a) != ARCHIVE_OK)
    flow = write_failed(ctx, w, "cannot finish");
  else if (publish && fsync(w->fd) != 0)
    flow = write_failed(ctx, w, "cannot sync");
  archive_write_free(w->a);
  w->a = NULL;
  close(w->fd);
  w->fd = -1;
  if (flow == RILL_FLOW_OK && publish && g_rename(w->tmp_path, w->final_path) != 0)
    flow = write_failed(ctx, w, "cannot rename into place");
  g_clear_pointer(&w->final_path, g_free);
  g_clear_pointer(&w->tmp_path, g_free);
  return flow;
}

/* Writes the pending entry (if any) into the open archive, opening one first. */
static rill_flow write_entry(rill_ctx *ctx, writer *w)
{
  if (w->entry_records == 0)
    return RILL_FLOW_OK;
  rill_flow flow = w->a ? RILL_FLOW_OK : open_archive(ctx, w);
  if (flow != RILL_FLOW_OK)
    return flow;
  char *name = expand(w->cfg->entry_pattern, w->task, w->entry_seq++);
  struct archive_entry *e = archive_entry_new();
  archive_entry_set_pathname(e, name);
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_perm(e, 0644);
  archive_entry_set_size(e, (la_int64_t)w->entry->len);
  archive_entry_set_mtime(e, (time_t)(g_get_real_time() / G_USEC_PER_SEC), 0);
  if (archive_write_header(w->a, e) != ARCHIVE_OK)
    flow = write_failed(ctx, w, "cannot write an entry header");
  size_t off = 0;
  while (flow == RILL_FLOW_OK && off < w->entry->len) {
    la_ssize_t n = archive_write_data(w->a, w->entry->data + off, w->entry->len - off);
    if (n <= 0)
      flow = write_failed(ctx, w, "cannot write entry data");
    else
      off += (size_t)n;
  }
  if (flow == RILL_FLOW_OK && archive_write_finish_entry(w->a) != ARCHIVE_OK)
    flow = write_failed(ctx, w, "cannot finish an entry");
  archive_entry_free(e);
  g_free(name);
  g_byte_array_set_size(w->entry, 0);
  w->entry_records = 0;
  if (flow == RILL_FLOW_OK && w->cfg->archive_max_bytes &&
      (guint64)archive_filter_bytes(w->a, -1) >= w->cfg->archive_max_bytes)
    flow = close_archive(ctx, w, TRUE);
  return flow;
}

/* ---- sink class --------------------------------------------------------- */

static gboolean sink_open(rill_ctx *ctx, void *user_data, void **state, GError **error)
{
  const rill_archive_sink *cfg = user_data;
  if (rill_ctx_parallelism(ctx) > 1 && !strstr(cfg->path_pattern, "{task}")) {
    g_set_error(error, RILL_ARCHIVE_ERROR, RILL_ARCHIVE_ERROR_INVALID,
                "path pattern '%s' needs {task}: %u tasks would write the same archives", cfg->path_pattern,
                rill_ctx_parallelism(ctx));
    return FALSE;
  }
  writer *w = g_new0(writer, 1);
  w->cfg = cfg;
  w->task = rill_ctx_task_index(ctx);
  w->fd = -1;
  w->entry = g_byte_array_new();
  *state = w;
  return TRUE;
}

static rill_flow sink_write(rill_ctx *ctx, void *state, const rill_batch *batch)
{
  writer *w = state;
  const rill_record *recs = rill_batch_records(batch);
  size_t n = rill_batch_len(batch);
  for (size_t i = 0; i < n; i++) {
    if (recs[i].value.len)
      g_byte_array_append(w->entry, recs[i].value.data, (guint)recs[i].value.len);
    g_byte_array_append(w->entry, (const guint8 *)"\n", 1);
    w->entry_records++;
    if (w->entry->len >= w->cfg->entry_max_bytes ||
        (w->cfg->entry_max_records && w->entry_records >= w->cfg->entry_max_records)) {
      rill_flow flow = write_entry(ctx, w);
      if (flow != RILL_FLOW_OK)
        return flow;
    }
  }
  return RILL_FLOW_OK;
}

static rill_flow sink_flush(rill_ctx *ctx, void *state)
{
  writer *w = state;
  rill_flow flow = write_entry(ctx, w);
  if (flow == RILL_FLOW_OK)
    flow = close_archive(ctx, w, TRUE);
  return flow;
}

static void sink_close(rill_ctx *ctx, void *state)
{
  writer *w = state;
  /* Not flushed (failure or immediate stop): keep the data under .tmp. */
  if (write_entry(ctx, w) == RILL_FLOW_OK)
    close_archive(ctx, w, FALSE);
  else if (w->a)
    close_archive(ctx, w, FALSE);
  g_byte_array_unref(w->entry);
  g_free(w);
}

static const rill_sink_class archive_sink_class = {
  .type_name = "archive-sink",
  .open = sink_open,
  .write = sink_write,
  .flush = sink_flush,
  .close = sink_close,
};

/* ---- public ------------------------------------------------------------- */

rill_archive_sink *rill_archive_sink_new(const rill_archive_sink_options *options, GError **error)
{
  g_return_val_if_fail(options != NULL, NULL);
  g_return_val_if_fail(error == NULL || *error == NULL, NULL);
  if (!options->path_pattern || !strstr(options->path_pattern, "{seq}")) {
    g_set_error(error, RILL_ARCHIVE_ERROR, RILL_ARCHIVE_ERROR_INVALID,
                "path pattern '%s' must contain {seq} (every flush starts a new archive)",
                options->path_pattern ? options->path_pattern : "(none)");
    return NULL;
  }
  rill_archive_format format = options->format;
  if (format == RILL_ARCHIVE_FORMAT_AUTO)
    format = format_of(options->path_pattern);
  if (format < RILL_ARCHIVE_FORMAT_TAR_GZ || format > RILL_ARCHIVE_FORMAT_ZIP) {
    g_set_error(error, RILL_ARCHIVE_ERROR, RILL_ARCHIVE_ERROR_INVALID,
                "cannot tell the archive format of '%s' (use .tar.gz, .tgz, .tar.zst, .tzst or .zip)",
                options->path_pattern);
    return NULL;
  }
  rill_archive_sink *sink = g_new0(rill_archive_sink, 1);
  sink->path_pattern = g_strdup(options->path_pattern);
  sink->entry_pattern = g_strdup(options->entry_pattern ? options->entry_pattern : "part-{seq}.txt");
  sink->format = format;
  sink->entry_max_bytes = options->entry_max_bytes ? options->entry_max_bytes : DEFAULT_ENTRY_BYTES;
  sink->entry_max_records = options->entry_max_records;
  sink->archive_max_bytes = options->archive_max_bytes;
  return sink;
}

void rill_archive_sink_free(rill_archive_sink *sink)
{
  if (!sink)
    return;
  g_free(sink->path_pattern);
  g_free(sink->entry_pattern);
  g_free(sink);
}

rill_stage *rill_pipeline_add_archive_sink(rill_pipeline *pipeline, const char *name, rill_stage *input,
                                           rill_archive_sink *sink)
{
  g_return_val_if_fail(pipeline != NULL && sink != NULL, NULL);
  return rill_pipeline_add_sink(pipeline, name, input, &archive_sink_class, sink,
                                (GDestroyNotify)rill_archive_sink_free);
}
