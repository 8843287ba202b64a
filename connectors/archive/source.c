/* source.c — the archive source: streams the regular-file entries of
 * archives through libarchive (every format and filter it reads), cutting
 * them into line records or whole-entry records, without touching disk.
 *
 * One read() call does one step — open the next archive, read the next
 * entry header, or take at most one chunk of the current entry's data and
 * emit the lines it completes — so memory stays flat (libarchive's current
 * block plus the partial line carried across chunks) and stop requests are
 * seen between chunks. Data comes from archive_read_data_block(), not
 * archive_read_data(): the latter drops the bytes it already gathered for
 * the caller's buffer when the next block fails, which would lose records
 * just before damage.
 *
 * Invariants: a line is emitted only once its newline has been read, or at
 * the clean end of its entry; on damage the partial line is dropped, every
 * complete record before it has already been emitted, and the task ends its
 * stream with the error set (the runtime delivers, then fails). Header
 * values of an entry live in a small "meta" batch that the emitter
 * references, so lines do not copy the archive and entry names; the meta
 * batch is only replaced, never released, while the task runs, because the
 * emitter may still point at it.
 */
#include "connectors/archive/archive-private.h"

#include <archive.h>
#include <archive_entry.h>
#include <glib/gstdio.h>
#include <stdarg.h>

#define DEFAULT_MAX_RECORD ((gsize)64 << 20)
#define DEFAULT_CHUNK ((gsize)64 << 10)
#define OPEN_BLOCK 65536

struct rill_archive_source {
  char **archives;             /* expanded, NULL-terminated */
  guint n_archives;
  GPatternSpec *entry_pattern; /* NULL = every entry */
  rill_archive_record_mode mode;
  gsize max_record;
  gsize chunk;
};

/* One task's reading position. */
typedef struct {
  const rill_archive_source *src; /* not owned */
  guint *splits;                  /* archive indexes dealt to this task */
  guint n_splits;
  guint next;                     /* next split to open */
  struct archive *a;              /* the open archive, or NULL */
  rill__decoder *dec;             /* our gzip/zstd decoder under @a, or NULL */
  const char *path;               /* its path; not owned */
  guint64 size;                   /* its file size */
  guint64 reported;               /* its input bytes already reported as progress */
  guint entries;                  /* headers read from it so far */
  char *entry;                    /* name of the current (or last) entry */
  gboolean in_entry;              /* reading the current entry's data */
  rill_batch *meta;               /* header values of the current entry */
  rill_bytes h_archive, h_entry, h_mtime; /* views into meta */
  guint64 line;                   /* lines emitted from the current entry */
  guint64 entry_offset;           /* entry bytes decompressed so far */
  GByteArray *carry;              /* partial line (lines) or entry so far (entry) */
  const guint8 *block;             /* unprocessed part of libarchive's current data block */
  size_t block_len;
  guint64 hole;                    /* zero bytes of a sparse hole still to process */
} reader;

/* ---- helpers ------------------------------------------------------------ */

static guint64 input_offset(reader *r)
{
  if (r->dec)
    return rill__decoder_input_offset(r->dec);
  la_int64_t n = archive_filter_bytes(r->a, -1);
  return n > 0 ? (guint64)n : 0;
}

static void report_progress(rill_ctx *ctx, reader *r, gboolean at_end)
{
  guint64 now = at_end ? MAX(r->size, r->reported) : input_offset(r);
  if (now > r->reported) {
    rill_source_add_progress(ctx, now - r->reported, 0);
    r->reported = now;
  }
}

static void close_archive(reader *r)
{
  if (r->a)
    archive_read_free(r->a);
  r->a = NULL;
  r->block_len = 0;
  rill__decoder_free(r->dec);
  r->dec = NULL;
  r->in_entry = FALSE;
}

/* Sets the error, gives up the task's remaining archives and ends its
 * stream: the runtime delivers what was emitted, then fails. */
static rill_flow G_GNUC_PRINTF(4, 5) fail(rill_ctx *ctx, reader *r, rill_archive_error code, const char *format, ...)
{
  va_list ap;
  va_start(ap, format);
  rill_ctx_set_error(ctx, g_error_new_valist(RILL_ARCHIVE_ERROR, code, format, ap));
  va_end(ap);
  close_archive(r);
  r->next = r->n_splits;
  return RILL_FLOW_EOS;
}

/* Why @r's archive failed: our decoder's reason first (libarchive's format
 * reader would only say "truncated"), else libarchive's. */
static const char *la_message(reader *r)
{
  if (r->dec && rill__decoder_error(r->dec))
    return rill__decoder_error(r->dec);
  const char *m = archive_error_string(r->a);
  return m ? m : "unknown libarchive error";
}

/* Builds the meta batch holding the header values of entry @e. */
static void set_meta(reader *r, struct archive_entry *e)
{
  char mtime[32] = "";
  if (archive_entry_mtime_is_set(e))
    g_snprintf(mtime, sizeof mtime, "%" G_GINT64_FORMAT, (gint64)archive_entry_mtime(e));
  size_t la = strlen(r->path), le = strlen(r->entry), lm = strlen(mtime);
  rill_batch_builder *bb = rill_batch_builder_new(1);
  /* An empty record keeps the batch from being empty; only its arena matters. */
  rill_batch_builder_append_kv(bb, NULL, 0, NULL, 0, RILL_TIMESTAMP_NONE);
  char *buf = rill_batch_builder_alloc(bb, la + le + lm + 1);
  memcpy(buf, r->path, la);
  memcpy(buf + la, r->entry, le);
  memcpy(buf + la + le, mtime, lm);
  rill_batch_unref(r->meta);
  r->meta = rill_batch_builder_finish(bb);
  rill_batch_builder_free(bb);
  r->h_archive = rill_bytes_make(buf, la);
  r->h_entry = rill_bytes_make(buf + la, le);
  r->h_mtime = archive_entry_mtime_is_set(e) ? rill_bytes_make(buf + la + le, lm) : rill_bytes_make(NULL, 0);
}

/* Emits one record with @len bytes at @data as value and the entry's headers. */
static rill_flow emit(reader *r, rill_emitter *out, const guint8 *data, size_t len)
{
  gboolean lines = r->src->mode == RILL_ARCHIVE_RECORD_LINES;
  guint n_headers = lines ? 4 : 3;
  char num[24];
  size_t nl = lines ? (size_t)g_snprintf(num, sizeof num, "%" G_GUINT64_FORMAT, r->line) : 0;
  size_t hsz = n_headers * sizeof(rill_header);
  guint8 *mem = rill_emitter_alloc(out, hsz + len + nl);
  rill_header *h = (rill_header *)mem;
  guint8 *value = mem + hsz;
  if (len)
    memcpy(value, data, len);
  h[0] = (rill_header){rill_bytes_from_string(RILL_ARCHIVE_HEADER_ARCHIVE), r->h_archive};
  h[1] = (rill_header){rill_bytes_from_string(RILL_ARCHIVE_HEADER_ENTRY), r->h_entry};
  h[2] = (rill_header){rill_bytes_from_string(RILL_ARCHIVE_HEADER_MTIME), r->h_mtime};
  if (lines) {
    memcpy(value + len, num, nl);
    h[3] = (rill_header){rill_bytes_from_string(RILL_ARCHIVE_HEADER_LINE), rill_bytes_make(value + len, nl)};
  }
  rill_record rec = RILL_RECORD_INIT;
  rec.value = rill_bytes_make(value, len);
  rec.headers = h;
  rec.n_headers = n_headers;
  return rill_emit_record_raw(out, &rec);
}

/* ---- the three steps ---------------------------------------------------- */

static rill_flow open_archive(rill_ctx *ctx, reader *r)
{
  r->path = r->src->archives[r->splits[r->next++]];
  GStatBuf st;
  r->size = g_stat(r->path, &st) == 0 ? (guint64)st.st_size : 0;
  r->reported = 0;
  r->entries = 0;
  g_clear_pointer(&r->entry, g_free);
  guint8 head[4];
  size_t head_len = 0;
  FILE *fp = g_fopen(r->path, "rb");
  if (fp) {
    head_len = fread(head, 1, sizeof head, fp);
    fclose(fp);
  }
  rill__decoder_kind kind = rill__decoder_sniff(head, head_len);
  r->a = archive_read_new();
  archive_read_support_format_all(r->a);
  archive_read_support_filter_all(r->a);
  int rc;
  if (kind != RILL__DECODER_NONE) {
    GError *error = NULL;
    r->dec = rill__decoder_new(r->path, kind, &error);
    if (!r->dec) {
      rill_ctx_set_error(ctx, error);
      close_archive(r);
      r->next = r->n_splits;
      return RILL_FLOW_EOS;
    }
    rc = rill__decoder_open(r->dec, r->a);
  } else {
    rc = archive_read_open_filename(r->a, r->path, OPEN_BLOCK);
  }
  if (rc != ARCHIVE_OK) {
    char *msg = g_strdup(la_message(r));
    rill_flow flow = fail(ctx, r, RILL_ARCHIVE_ERROR_OPEN, "archive '%s': cannot open: %s", r->path, msg);
    g_free(msg);
    return flow;
  }
  return RILL_FLOW_OK;
}

static rill_flow next_entry(rill_ctx *ctx, reader *r)
{
  struct archive_entry *e;
  int rc = archive_read_next_header(r->a, &e);
  report_progress(ctx, r, rc == ARCHIVE_EOF);
  if (rc == ARCHIVE_EOF) {
    close_archive(r);
    return RILL_FLOW_OK;
  }
  if (rc < ARCHIVE_WARN) {
    char *msg = g_strdup(la_message(r));
    guint64 off = input_offset(r);
    rill_flow flow;
    if (r->entries == 0)
      flow = fail(ctx, r, RILL_ARCHIVE_ERROR_OPEN,
                  "archive '%s': cannot read the first entry (input byte offset %" G_GUINT64_FORMAT "): %s",
                  r->path, off, msg);
    else
      flow = fail(ctx, r, RILL_ARCHIVE_ERROR_CORRUPT,
                  "archive '%s': entry %u, after entry '%s': damaged or truncated header at input byte "
                  "offset %" G_GUINT64_FORMAT ": %s",
                  r->path, r->entries + 1, r->entry, off, msg);
    g_free(msg);
    return flow;
  }
  /* ARCHIVE_WARN: the header is usable (libarchive noted something minor). */
  r->entries++;
  const char *name = archive_entry_pathname(e);
  g_free(r->entry);
  r->entry = g_strdup(name ? name : "");
  if (archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e) ||
      (r->src->entry_pattern && !g_pattern_spec_match_string(r->src->entry_pattern, r->entry)))
    return RILL_FLOW_OK; /* skipped: the next header read skips its data */
  set_meta(r, e);
  r->in_entry = TRUE;
  r->line = 0;
  r->entry_offset = 0;
  r->block_len = 0;
  r->hole = 0;
  g_byte_array_set_size(r->carry, 0);
  return RILL_FLOW_OK;
}

/* A line (starting at byte @start of the entry) or the entry went past max_record_bytes. */
static rill_flow too_long(rill_ctx *ctx, reader *r, guint64 start)
{
  if (r->src->mode == RILL_ARCHIVE_RECORD_ENTRY)
    return fail(ctx, r, RILL_ARCHIVE_ERROR_TOO_LONG, "archive '%s': entry '%s': longer than %" G_GSIZE_FORMAT " bytes",
                r->path, r->entry, r->src->max_record);
  return fail(ctx, r, RILL_ARCHIVE_ERROR_TOO_LONG,
              "archive '%s': entry '%s': line %" G_GUINT64_FORMAT " (at byte %" G_GUINT64_FORMAT
              " of the entry) is longer than %" G_GSIZE_FORMAT " bytes",
              r->path, r->entry, r->line + 1, start, r->src->max_record);
}

/* Emits the lines completed by @n new bytes at @data (which start at byte
 * r->entry_offset of the entry); keeps the unterminated rest in carry. */
static rill_flow split_lines(rill_ctx *ctx, reader *r, rill_emitter *out, const guint8 *data, size_t n)
{
  const guint8 *p = data, *end = data + n;
  const guint8 *nl;
  while ((nl = memchr(p, '\n', (size_t)(end - p)))) {
    size_t len = (size_t)(nl - p);
    if (r->carry->len + len > r->src->max_record)
      return too_long(ctx, r, r->entry_offset + (guint64)(p - data) - r->carry->len);
    r->line++;
    rill_flow flow;
    if (r->carry->len) {
      g_byte_array_append(r->carry, p, (guint)len);
      flow = emit(r, out, r->carry->data, r->carry->len);
      g_byte_array_set_size(r->carry, 0);
    } else {
      flow = emit(r, out, p, len);
    }
    if (flow != RILL_FLOW_OK)
      return flow;
    p = nl + 1;
  }
  if (r->carry->len + (size_t)(end - p) > r->src->max_record)
    return too_long(ctx, r, r->entry_offset + (guint64)(p - data) - r->carry->len);
  g_byte_array_append(r->carry, p, (guint)(end - p));
  r->entry_offset += n;
  return RILL_FLOW_OK;
}

/* Feeds @n bytes at @data (r->entry_offset onwards) to the record cutter. */
static rill_flow consume(rill_ctx *ctx, reader *r, rill_emitter *out, const guint8 *data, size_t n)
{
  if (r->src->mode == RILL_ARCHIVE_RECORD_LINES)
    return split_lines(ctx, r, out, data, n);
  if (r->carry->len + n > r->src->max_record)
    return too_long(ctx, r, 0);
  g_byte_array_append(r->carry, data, (guint)n);
  r->entry_offset += (guint64)n;
  return RILL_FLOW_OK;
}

static rill_flow end_of_entry(reader *r, rill_emitter *out)
{
  /* Clean end of the entry: a last line without newline is a record too. */
  r->in_entry = FALSE;
  if (r->src->mode == RILL_ARCHIVE_RECORD_ENTRY)
    return emit(r, out, r->carry->data, r->carry->len);
  if (r->carry->len == 0)
    return RILL_FLOW_OK;
  r->line++;
  return emit(r, out, r->carry->data, r->carry->len);
}

static rill_flow read_chunk(rill_ctx *ctx, reader *r, rill_emitter *out)
{
  rill_emitter_reference(out, r->meta);
  size_t max = r->src->chunk;
  if (r->hole) {
    /* Sparse entries: holes read as zero bytes. */
    static const guint8 zeros[4096];
    size_t n = (size_t)MIN(r->hole, MIN(max, sizeof zeros));
    r->hole -= n;
    return consume(ctx, r, out, zeros, n);
  }
  if (r->block_len == 0) {
    const void *buf;
    size_t len;
    la_int64_t offset;
    int rc = archive_read_data_block(r->a, &buf, &len, &offset);
    report_progress(ctx, r, FALSE);
    if (rc == ARCHIVE_EOF)
      return end_of_entry(r, out);
    if (rc < ARCHIVE_WARN) {
      char *msg = g_strdup(la_message(r));
      rill_flow flow = fail(ctx, r, RILL_ARCHIVE_ERROR_CORRUPT,
                            "archive '%s': entry '%s': damaged or truncated after byte %" G_GUINT64_FORMAT
                            " of the entry (input byte offset %" G_GUINT64_FORMAT "): %s",
                            r->path, r->entry, r->entry_offset, input_offset(r), msg);
      g_free(msg);
      return flow;
    }
    if (offset > 0 && (guint64)offset > r->entry_offset)
      r->hole = (guint64)offset - r->entry_offset;
    r->block = buf;
    r->block_len = len;
    return RILL_FLOW_OK;
  }
  size_t n = MIN(r->block_len, max);
  const guint8 *data = r->block;
  r->block += n;
  r->block_len -= n;
  return consume(ctx, r, out, data, n);
}

/* ---- source class ------------------------------------------------------- */

static guint src_n_splits(void *user_data, guint parallelism)
{
  const rill_archive_source *src = user_data;
  return src->n_archives;
}

static gboolean src_open(rill_ctx *ctx, void *user_data, const guint *splits, guint n_splits, void **state,
                         GError **error)
{
  reader *r = g_new0(reader, 1);
  r->src = user_data;
  r->splits = g_memdup2(splits, n_splits * sizeof *splits);
  r->n_splits = n_splits;
  r->carry = g_byte_array_new();
  guint64 total = 0;
  for (guint i = 0; i < n_splits; i++) {
    GStatBuf st;
    if (g_stat(r->src->archives[splits[i]], &st) == 0)
      total += (guint64)st.st_size;
  }
  rill_source_add_progress(ctx, 0, total);
  *state = r;
  return TRUE;
}

static rill_flow src_read(rill_ctx *ctx, void *state, rill_emitter *out)
{
  reader *r = state;
  if (!r->a) {
    if (r->next >= r->n_splits)
      return RILL_FLOW_EOS;
    return open_archive(ctx, r);
  }
  if (!r->in_entry)
    return next_entry(ctx, r);
  return read_chunk(ctx, r, out);
}

static void src_close(rill_ctx *ctx, void *state)
{
  reader *r = state;
  close_archive(r);
  rill_batch_unref(r->meta);
  g_byte_array_unref(r->carry);
  g_free(r->entry);
  g_free(r->splits);
  g_free(r);
}

static const rill_source_class archive_source_class = {
  .type_name = "archive-src",
  .n_splits = src_n_splits,
  .open = src_open,
  .read = src_read,
  .close = src_close,
};

/* ---- public ------------------------------------------------------------- */

rill_archive_source *rill_archive_source_new(const rill_archive_source_options *options, GError **error)
{
  g_return_val_if_fail(options != NULL, NULL);
  g_return_val_if_fail(error == NULL || *error == NULL, NULL);
  if (!options->paths) {
    g_set_error_literal(error, RILL_ARCHIVE_ERROR, RILL_ARCHIVE_ERROR_INVALID, "no archive paths given");
    return NULL;
  }
  if (options->mode != RILL_ARCHIVE_RECORD_LINES && options->mode != RILL_ARCHIVE_RECORD_ENTRY) {
    g_set_error(error, RILL_ARCHIVE_ERROR, RILL_ARCHIVE_ERROR_INVALID, "unknown record mode %d", options->mode);
    return NULL;
  }
  char **archives = rill__archive_expand_paths(options->paths, error);
  if (!archives)
    return NULL;
  rill_archive_source *src = g_new0(rill_archive_source, 1);
  src->archives = archives;
  src->n_archives = g_strv_length(archives);
  if (options->entry_pattern)
    src->entry_pattern = g_pattern_spec_new(options->entry_pattern);
  src->mode = options->mode;
  src->max_record = options->max_record_bytes ? options->max_record_bytes : DEFAULT_MAX_RECORD;
  src->chunk = options->read_chunk_bytes ? options->read_chunk_bytes : DEFAULT_CHUNK;
  return src;
}

void rill_archive_source_free(rill_archive_source *source)
{
  if (!source)
    return;
  g_strfreev(source->archives);
  if (source->entry_pattern)
    g_pattern_spec_free(source->entry_pattern);
  g_free(source);
}

guint rill_archive_source_n_archives(const rill_archive_source *source)
{
  g_return_val_if_fail(source != NULL, 0);
  return source->n_archives;
}

const char *rill_archive_source_archive(const rill_archive_source *source, guint index)
{
  g_return_val_if_fail(source != NULL && index < source->n_archives, NULL);
  return source->archives[index];
}

rill_stage *rill_pipeline_add_archive_source(rill_pipeline *pipeline, const char *name,
                                             rill_archive_source *source)
{
  g_return_val_if_fail(pipeline != NULL && source != NULL, NULL);
  return rill_pipeline_add_source(pipeline, name, &archive_source_class, source,
                                  (GDestroyNotify)rill_archive_source_free);
}
