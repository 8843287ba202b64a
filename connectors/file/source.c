/* source.c — the file source: resolves the path into files (splits), and
 * per task reads its files, frames records and emits them as batches that
 * reference the read chunks (no per-record copy of the payload).
 *
 * Per task, read() does one round: for each open file, one fill and framing
 * of everything complete, then emits the batch built so far. Without follow
 * a task reads its files one after the other and returns EOS after the last;
 * with follow it polls all of them and sleeps poll_ms when none had data.
 * Invariant: records are emitted in file order, and before any error is
 * reported every complete record framed so far has been emitted.
 */
#include "connectors/file/reader.h"
#include "connectors/file/source-private.h"

#include <rill/fields.h>
#include <rill/file.h>

#include "runtime/snap.h"

#include <glob.h>
#include <json-glib/json-glib.h>
#include <sys/stat.h>

#define DEFAULT_CHUNK (4u << 20)
#define DEFAULT_POLL_MS 100

struct rill_file_source {
  char *path;
  rill_file_format format;
  gboolean follow;
  guint poll_ms;
  rill__file_idle_fn idle;  /* NULL: sleep poll_ms (see source-private.h) */
  void *idle_data;
  gboolean csv_header;
  char *csv_columns;  /* set_csv_columns: the names as a CSV row; NULL = none */
  gboolean validate;
  gboolean headers;
  gsize chunk_size;
  rill_dead_letter *dead_letter;
  GPtrArray *files;   /* resolved by n_splits (char *) */
  GError *resolve_error;
};

typedef struct {
  rill__reader r;
  char *path;
  gsize path_len;
  gboolean opened;
  rill_buffer *name;        /* path bytes, for the "file" header */
  rill_buffer *csv_header;  /* the header row, once read */
  gboolean header_pending;  /* next record is the header row */
} file_state;

typedef struct {
  rill_file_source *src;
  file_state *files;
  guint n_files;
  guint current;            /* non-follow: the file being read */
  gboolean busy;            /* follow: the last pass found data */
  rill_batch_builder *builder;
  rill_buffer *ref_chunk, *ref_name, *ref_hdr; /* referenced by the batch being built */
  JsonParser *parser;
} task_state;

/* ---- configuration ------------------------------------------------------ */

rill_file_source *rill_file_source_new(const char *path, rill_file_format format)
{
  g_return_val_if_fail(path != NULL, NULL);
  rill_file_source *s = g_new0(rill_file_source, 1);
  s->path = g_strdup(path);
  s->format = format;
  s->poll_ms = DEFAULT_POLL_MS;
  s->validate = TRUE;
  s->headers = TRUE;
  s->chunk_size = DEFAULT_CHUNK;
  return s;
}

void rill_file_source_free(rill_file_source *source)
{
  if (!source)
    return;
  g_free(source->path);
  g_free(source->csv_columns);
  if (source->dead_letter)
    rill_dead_letter_unref(source->dead_letter);
  if (source->files)
    g_ptr_array_unref(source->files);
  g_clear_error(&source->resolve_error);
  g_free(source);
}

void rill_file_source_set_follow(rill_file_source *source, gboolean follow, guint poll_ms)
{
  g_return_if_fail(source != NULL);
  source->follow = follow;
  source->poll_ms = poll_ms ? poll_ms : DEFAULT_POLL_MS;
}

void rill__file_source_set_idle_hook(rill_file_source *source, rill__file_idle_fn fn, void *user_data)
{
  g_return_if_fail(source != NULL);
  source->idle = fn;
  source->idle_data = user_data;
}

void rill_file_source_set_csv_header(rill_file_source *source, gboolean header)
{
  g_return_if_fail(source != NULL);
  source->csv_header = header;
}

void rill_file_source_set_csv_columns(rill_file_source *source, const char *const *names)
{
  g_return_if_fail(source != NULL);
  g_clear_pointer(&source->csv_columns, g_free);
  if (!names || !names[0])
    return;
  GString *row = g_string_new(NULL);
  rill_csv_append_row(row, names, NULL, g_strv_length((char **)names), ',');
  source->csv_columns = g_string_free(row, FALSE);
}

void rill_file_source_set_validate(rill_file_source *source, gboolean validate)
{
  g_return_if_fail(source != NULL);
  source->validate = validate;
}

void rill_file_source_set_position_headers(rill_file_source *source, gboolean headers)
{
  g_return_if_fail(source != NULL);
  source->headers = headers;
}

void rill_file_source_set_chunk_size(rill_file_source *source, gsize bytes)
{
  g_return_if_fail(source != NULL);
  source->chunk_size = MAX(bytes, 4096);
}

void rill_file_source_set_dead_letter(rill_file_source *source, rill_dead_letter *dead_letter)
{
  g_return_if_fail(source != NULL);
  if (dead_letter)
    rill_dead_letter_ref(dead_letter);
  if (source->dead_letter)
    rill_dead_letter_unref(source->dead_letter);
  source->dead_letter = dead_letter;
}

/* ---- splits ------------------------------------------------------------- */

static gboolean is_regular(const char *path)
{
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int compare_paths(gconstpointer a, gconstpointer b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Fills s->files from s->path; sets s->resolve_error when nothing matches. */
static void resolve(rill_file_source *s)
{
  s->files = g_ptr_array_new_with_free_func(g_free);
  if (g_file_test(s->path, G_FILE_TEST_IS_DIR)) {
    GError *err = NULL;
    GDir *dir = g_dir_open(s->path, 0, &err);
    if (!dir) {
      g_set_error(&s->resolve_error, RILL_FILE_ERROR, RILL_FILE_ERROR_NOT_FOUND, "%s", err->message);
      g_error_free(err);
      return;
    }
    const char *name;
    while ((name = g_dir_read_name(dir)) != NULL) {
      char *full = g_build_filename(s->path, name, NULL);
      if (name[0] != '.' && is_regular(full))
        g_ptr_array_add(s->files, full);
      else
        g_free(full);
    }
    g_dir_close(dir);
    g_ptr_array_sort(s->files, compare_paths);
  } else if (strpbrk(s->path, "*?[") && strcmp(s->path, "-") != 0) {
    glob_t g;
    if (glob(s->path, 0, NULL, &g) == 0) {
      for (size_t i = 0; i < g.gl_pathc; i++)
        if (is_regular(g.gl_pathv[i]))
          g_ptr_array_add(s->files, g_strdup(g.gl_pathv[i]));
    }
    globfree(&g);
  } else {
    g_ptr_array_add(s->files, g_strdup(s->path));
  }
  if (s->files->len == 0)
    g_set_error(&s->resolve_error, RILL_FILE_ERROR, RILL_FILE_ERROR_NOT_FOUND, "%s: no file matches", s->path);
}

static guint source_n_splits(void *user_data, guint parallelism)
{
  rill_file_source *s = user_data;
  if (!s->files)
    resolve(s);
  return MAX(s->files->len, 1);
}

/* ---- task --------------------------------------------------------------- */

static rill_buffer *buffer_of(const void *data, gsize len)
{
  rill_buffer *b = rill_buffer_new(MAX(len, 1));
  memcpy(rill_buffer_data(b), data, len);
  return b;
}

/* At the start of a file: CSV records carry a "csv-header" header, the
 * configured columns, the file's header row once read, or an empty one
 * (columns without names, c1..cN), so what follows knows they are CSV. */
static void reset_csv_header(const rill_file_source *src, file_state *f)
{
  rill_buffer_unref(f->csv_header);
  f->csv_header = NULL;
  f->header_pending = src->format == RILL_FILE_FORMAT_CSV && src->csv_header;
  if (src->format != RILL_FILE_FORMAT_CSV || (src->csv_header && !src->csv_columns))
    return;
  const char *row = src->csv_columns ? src->csv_columns : "";
  gsize n = strlen(row);
  /* One spare byte so an empty row still gets a buffer; size - 1 is the length. */
  f->csv_header = rill_buffer_new(n + 1);
  memcpy(rill_buffer_data(f->csv_header), row, n);
}

static gboolean open_file(task_state *t, rill_ctx *ctx, file_state *f, GError **error)
{
  if (!rill__reader_open(&f->r, f->path, t->src->format, t->src->chunk_size, error)) {
    rill__reader_clear(&f->r);
    return FALSE;
  }
  /* Progress (docs/progress.md): a regular file's size is the total to
   * read; a followed file grows, so it has none. */
  struct stat st;
  if (!t->src->follow && f->r.is_regular && fstat(f->r.fd, &st) == 0)
    rill_source_add_progress(ctx, 0, (guint64)st.st_size);
  f->r.hold_tail = t->src->follow;
  f->opened = TRUE;
  reset_csv_header(t->src, f);
  return TRUE;
}

static void close_file(file_state *f)
{
  if (f->opened)
    rill__reader_clear(&f->r);
  f->opened = FALSE;
  rill_buffer_unref(f->csv_header);
  f->csv_header = NULL;
}

static gboolean source_open(rill_ctx *ctx, void *user_data, const guint *splits, guint n_splits, void **state,
                            GError **error)
{
  rill_file_source *s = user_data;
  if (s->resolve_error && !(s->follow && !strpbrk(s->path, "*?["))) {
    g_propagate_error(error, g_error_copy(s->resolve_error));
    return FALSE;
  }
  task_state *t = g_new0(task_state, 1);
  t->src = s;
  t->files = g_new0(file_state, n_splits);
  t->n_files = n_splits;
  for (guint i = 0; i < n_splits; i++) {
    const char *path = splits[i] < s->files->len ? s->files->pdata[splits[i]] : s->path;
    t->files[i].path = g_strdup(path);
    t->files[i].path_len = strlen(path);
    t->files[i].name = buffer_of(path, strlen(path));
  }
  t->builder = rill_batch_builder_new(0);
  if (s->format == RILL_FILE_FORMAT_JSONL && s->validate)
    t->parser = json_parser_new_immutable();
  if (s->dead_letter)
    rill_dead_letter_acquire(s->dead_letter, ctx);
  *state = t;
  return TRUE;
}

static void source_close(rill_ctx *ctx, void *state)
{
  task_state *t = state;
  for (guint i = 0; i < t->n_files; i++) {
    close_file(&t->files[i]);
    g_free(t->files[i].path);
    rill_buffer_unref(t->files[i].name);
  }
  g_free(t->files);
  rill_batch_builder_free(t->builder);
  g_clear_object(&t->parser);
  if (t->src->dead_letter)
    rill_dead_letter_release(t->src->dead_letter, ctx);
  g_free(t);
}

/* ---- emitting ----------------------------------------------------------- */

static rill_flow emit_pending(task_state *t, rill_emitter *out)
{
  t->ref_chunk = t->ref_name = t->ref_hdr = NULL;
  rill_batch *b = rill_batch_builder_finish(t->builder);
  return b ? rill_emit_batch(out, b) : RILL_FLOW_OK;
}

/* Writes @v in decimal at @p; returns the length. */
static gsize format_u64(char *p, guint64 v)
{
  char tmp[20];
  gsize n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  for (gsize i = 0; i < n; i++)
    p[i] = tmp[n - 1 - i];
  return n;
}

static const char H_FILE[] = "file", H_LINE[] = "line", H_OFFSET[] = "offset", H_CSV[] = "csv-header";

/* Fills @headers (4 slots) for @fr; numbers are written to @digits (40 bytes). */
static guint fill_headers(file_state *f, const rill__frame *fr, rill_header *headers, char *digits)
{
  gsize nl = format_u64(digits, fr->line);
  gsize no = format_u64(digits + 20, fr->offset);
  headers[0] = (rill_header){rill_bytes_make(H_FILE, 4), rill_bytes_make(rill_buffer_data(f->name), f->path_len)};
  headers[1] = (rill_header){rill_bytes_make(H_LINE, 4), rill_bytes_make(digits, nl)};
  headers[2] = (rill_header){rill_bytes_make(H_OFFSET, 6), rill_bytes_make(digits + 20, no)};
  if (!f->csv_header)
    return 3;
  headers[3] = (rill_header){rill_bytes_make(H_CSV, sizeof H_CSV - 1),
                             rill_bytes_make(rill_buffer_data(f->csv_header), rill_buffer_size(f->csv_header) - 1)};
  return 4;
}

/* A record that cannot be read: dead letter, or fail the stage. */
static rill_flow reject(task_state *t, rill_ctx *ctx, rill_emitter *out, file_state *f, const rill__frame *fr,
                        int code, const char *why)
{
  rill_header headers[4];
  char digits[40];
  rill_record rec = RILL_RECORD_INIT;
  rec.value = rill_bytes_make(fr->data, fr->len);
  rec.headers = headers;
  rec.n_headers = fill_headers(f, fr, headers, digits);
  if (t->src->dead_letter)
    return rill_dead_letter_send(t->src->dead_letter, ctx, &rec, why, NULL, -1, -1);
  /* No dead-letter output: everything before this record goes first. */
  rill_flow flow = emit_pending(t, out);
  if (flow != RILL_FLOW_OK)
    return flow;
  rill_ctx_set_error(ctx, g_error_new(RILL_FILE_ERROR, code, "%s: line %" G_GUINT64_FORMAT ", byte offset %"
                                      G_GUINT64_FORMAT ": %s", strcmp(f->path, "-") == 0 ? "stdin" : f->path,
                                      fr->line, fr->offset, why));
  return RILL_FLOW_ERROR;
}

static gboolean blank(const uint8_t *p, gsize len)
{
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isspace(p[i]))
      return FALSE;
  return TRUE;
}

static rill_flow emit_frame(task_state *t, rill_ctx *ctx, rill_emitter *out, file_state *f, const rill__frame *fr)
{
  if (f->header_pending) {
    f->header_pending = FALSE;
    if (t->src->csv_columns)
      return RILL_FLOW_OK; /* columns= names them instead */
    rill_buffer_unref(f->csv_header);
    /* One spare byte so an empty header row still gets a buffer; size - 1 is the length. */
    f->csv_header = rill_buffer_new(fr->len + 1);
    memcpy(rill_buffer_data(f->csv_header), fr->data, fr->len);
    return RILL_FLOW_OK;
  }
  if (t->src->format != RILL_FILE_FORMAT_LINES && blank(fr->data, fr->len))
    return RILL_FLOW_OK;
  if (t->parser) {
    GError *err = NULL;
    if (!json_parser_load_from_data(t->parser, (const char *)fr->data, (gssize)fr->len, &err)) {
      char *why = g_strdup_printf("malformed JSON: %s", err->message);
      g_error_free(err);
      rill_flow flow = reject(t, ctx, out, f, fr, RILL_FILE_ERROR_PARSE, why);
      g_free(why);
      return flow;
    }
  }
  rill_record rec = RILL_RECORD_INIT;
  rec.value = rill_bytes_make(fr->data, fr->len);
  if (t->src->headers) {
    rill_header *headers = rill_batch_builder_alloc(t->builder, 4 * sizeof(rill_header) + 40);
    rec.headers = headers;
    rec.n_headers = fill_headers(f, fr, headers, (char *)(headers + 4));
    if (t->ref_name != f->name) {
      rill_batch_builder_reference_buffer(t->builder, f->name);
      t->ref_name = f->name;
    }
  } else if (f->csv_header) {
    /* Without position headers CSV records still say which columns they have. */
    rill_header *headers = rill_batch_builder_alloc(t->builder, sizeof(rill_header));
    headers[0] = (rill_header){rill_bytes_make(H_CSV, sizeof H_CSV - 1),
                               rill_bytes_make(rill_buffer_data(f->csv_header), rill_buffer_size(f->csv_header) - 1)};
    rec.headers = headers;
    rec.n_headers = 1;
  }
  if (f->csv_header && t->ref_hdr != f->csv_header) {
    rill_batch_builder_reference_buffer(t->builder, f->csv_header);
    t->ref_hdr = f->csv_header;
  }
  if (t->ref_chunk != f->r.chunk) {
    rill_batch_builder_reference_buffer(t->builder, f->r.chunk);
    t->ref_chunk = f->r.chunk;
  }
  rill_batch_builder_append_raw(t->builder, &rec);
  if (rill_batch_builder_is_full(t->builder))
    return emit_pending(t, out);
  return RILL_FLOW_OK;
}

/* Frames and emits every complete record buffered for @f. */
static rill_flow drain(task_state *t, rill_ctx *ctx, rill_emitter *out, file_state *f)
{
  rill__frame fr;
  rill__frame_status st;
  while ((st = rill__reader_next(&f->r, &fr)) != RILL__FRAME_MORE) {
    rill_flow flow = st == RILL__FRAME_OK
                       ? emit_frame(t, ctx, out, f, &fr)
                       : reject(t, ctx, out, f, &fr, RILL_FILE_ERROR_TRUNCATED,
                                "truncated record: the file ends inside a quoted CSV field");
    if (flow != RILL_FLOW_OK)
      return flow;
  }
  return RILL_FLOW_OK;
}

static rill_flow fail(task_state *t, rill_ctx *ctx, rill_emitter *out, GError *error)
{
  rill_flow flow = emit_pending(t, out);
  rill_ctx_set_error(ctx, error);
  return flow == RILL_FLOW_OK ? RILL_FLOW_ERROR : flow;
}

/* Reads more of @f, counting the bytes as progress. */
static gssize fill(rill_ctx *ctx, file_state *f, guint wait_ms, GError **error)
{
  gssize n = rill__reader_fill(&f->r, wait_ms, error);
  if (n > 0)
    rill_source_add_progress(ctx, (guint64)n, 0);
  return n;
}

static rill_flow read_once(task_state *t, rill_ctx *ctx, rill_emitter *out)
{
  if (t->current >= t->n_files) {
    rill_flow flow = t->src->dead_letter ? rill_dead_letter_flush(t->src->dead_letter, ctx) : RILL_FLOW_OK;
    return flow == RILL_FLOW_OK ? RILL_FLOW_EOS : flow;
  }
  file_state *f = &t->files[t->current];
  GError *err = NULL;
  if (!f->opened && !open_file(t, ctx, f, &err))
    return fail(t, ctx, out, err);
  if (fill(ctx, f, RILL_SOURCE_WAIT_MS, &err) < 0) {
    rill_flow flow = drain(t, ctx, out, f);
    return flow == RILL_FLOW_OK ? fail(t, ctx, out, err) : (g_error_free(err), flow);
  }
  rill_flow flow = drain(t, ctx, out, f);
  if (flow != RILL_FLOW_OK)
    return flow;
  if (f->r.eof) {
    close_file(f);
    t->current++;
  }
  return emit_pending(t, out);
}

/* Follow mode: one pass over every file; sleeps when none had news. */
static rill_flow read_follow(task_state *t, rill_ctx *ctx, rill_emitter *out)
{
  gboolean progress = FALSE;
  for (guint i = 0; i < t->n_files; i++) {
    file_state *f = &t->files[i];
    GError *err = NULL;
    if (!f->opened && !open_file(t, ctx, f, &err)) {
      if (g_error_matches(err, RILL_FILE_ERROR, RILL_FILE_ERROR_NOT_FOUND)) {
        g_error_free(err); /* not there yet: look again next pass */
        continue;
      }
      return fail(t, ctx, out, err);
    }
    gssize n = fill(ctx, f, 0, &err);
    if (n < 0)
      return fail(t, ctx, out, err);
    progress |= n > 0;
    rill_flow flow = drain(t, ctx, out, f);
    if (flow != RILL_FLOW_OK)
      return flow;
    gboolean truncated;
    if (n == 0 && f->r.eof && rill__reader_rotated(&f->r, &truncated)) {
      /* Whatever the old file got before it was replaced is still ours. */
      while (!truncated && (n = fill(ctx, f, 0, &err)) > 0)
        if ((flow = drain(t, ctx, out, f)) != RILL_FLOW_OK)
          return flow;
      if (n < 0)
        return fail(t, ctx, out, err);
      f->r.hold_tail = FALSE;
      f->r.eof = TRUE;
      if ((flow = drain(t, ctx, out, f)) != RILL_FLOW_OK)
        return flow;
      f->r.hold_tail = TRUE;
      reset_csv_header(t->src, f);
      if (!rill__reader_reopen(&f->r, truncated, &err)) {
        if (!g_error_matches(err, RILL_FILE_ERROR, RILL_FILE_ERROR_NOT_FOUND))
          return fail(t, ctx, out, err);
        g_error_free(err); /* gone again already: reopen on the next pass */
        close_file(f);
      }
      progress = TRUE;
    }
  }
  rill_flow flow = emit_pending(t, out);
  gboolean was_busy = t->busy;
  t->busy = progress;
  if (flow != RILL_FLOW_OK || progress)
    return flow;
  /* The first empty pass returns at once: the runtime lets the sinks show
   * what came so far (live output, source.h) before we sleep. */
  if (was_busy)
    return RILL_FLOW_OK;
  if (t->src->idle) {
    t->src->idle(ctx, t->src->idle_data);
    return RILL_FLOW_OK;
  }
  for (guint waited = 0; waited < t->src->poll_ms && !rill_ctx_is_stopping(ctx); waited += 20)
    g_usleep(MIN(20, t->src->poll_ms - waited) * 1000);
  return RILL_FLOW_OK;
}

static rill_flow source_read(rill_ctx *ctx, void *state, rill_emitter *out)
{
  task_state *t = state;
  return t->src->follow ? read_follow(t, ctx, out) : read_once(t, ctx, out);
}

/* ---- checkpoints --------------------------------------------------------
 * u32 current, u32 files, per file: u32-prefixed path, u8 status (0 not
 * open, 1 open, 2 done), u64 byte offset and u64 line of the next record,
 * u8 header_pending, u32-prefixed CSV header row + 1 byte (empty: none).
 * read() emits every record it framed before returning, so the reader's
 * position is exactly what went downstream. */

static rill_flow source_snapshot(rill_ctx *ctx, void *state, uint64_t id, GByteArray *out)
{
  task_state *t = state;
  rill__snap_u32(out, t->current);
  rill__snap_u32(out, t->n_files);
  for (guint i = 0; i < t->n_files; i++) {
    file_state *f = &t->files[i];
    rill__snap_bytes(out, f->path, f->path_len);
    guint8 status = f->opened ? 1 : (!t->src->follow && i < t->current) ? 2 : 0;
    rill__snap_u8(out, status);
    rill__snap_u64(out, f->opened ? f->r.chunk_offset + f->r.pos : 0);
    rill__snap_u64(out, f->opened ? f->r.line : 1);
    rill__snap_u8(out, (guint8)f->header_pending);
    if (f->csv_header)
      rill__snap_bytes(out, rill_buffer_data(f->csv_header), rill_buffer_size(f->csv_header));
    else
      rill__snap_bytes(out, NULL, 0);
  }
  return RILL_FLOW_OK;
}

static gboolean source_restore(rill_ctx *ctx, void *state, const uint8_t *data, size_t len, GError **error)
{
  task_state *t = state;
  rill__snap_reader r = rill__snap_reader_init(data, len);
  guint32 current = rill__snap_get_u32(&r), n = rill__snap_get_u32(&r);
  if (!r.ok || n != t->n_files || current > n) {
    g_set_error(error, RILL_FILE_ERROR, RILL_FILE_ERROR_IO, "file source snapshot has %u files, the task has %u", n,
                t->n_files);
    return FALSE;
  }
  t->current = current;
  for (guint i = 0; i < n; i++) {
    file_state *f = &t->files[i];
    size_t pl, hl;
    const uint8_t *path = rill__snap_get_bytes(&r, &pl);
    guint8 status = rill__snap_get_u8(&r);
    guint64 offset = rill__snap_get_u64(&r), line = rill__snap_get_u64(&r);
    gboolean header_pending = rill__snap_get_u8(&r) != 0;
    const uint8_t *hdr = rill__snap_get_bytes(&r, &hl);
    if (!r.ok || pl != f->path_len || memcmp(path, f->path, pl) != 0) {
      g_set_error(error, RILL_FILE_ERROR, RILL_FILE_ERROR_IO, "file source snapshot does not match file %s", f->path);
      return FALSE;
    }
    if (status != 1)
      continue;
    if (!open_file(t, ctx, f, error) || !rill__reader_seek(&f->r, offset, line, error))
      return FALSE;
    rill_source_add_progress(ctx, offset, 0); /* read before the checkpoint */
    f->header_pending = header_pending;
    if (hl) {
      f->csv_header = rill_buffer_new(hl);
      memcpy(rill_buffer_data(f->csv_header), hdr, hl);
    }
  }
  if (!rill__snap_done(&r)) {
    g_set_error_literal(error, RILL_FILE_ERROR, RILL_FILE_ERROR_IO, "malformed file source snapshot");
    return FALSE;
  }
  return TRUE;
}

const rill_source_class rill_file_source_class = {
  .type_name = "file-source",
  .n_splits = source_n_splits,
  .open = source_open,
  .read = source_read,
  .close = source_close,
  .snapshot = source_snapshot,
  .restore = source_restore,
};

rill_stage *rill_pipeline_add_file_source(rill_pipeline *pipeline, const char *name, rill_file_source *source)
{
  g_return_val_if_fail(pipeline != NULL && source != NULL, NULL);
  return rill_pipeline_add_source(pipeline, name, &rill_file_source_class, source,
                                  (GDestroyNotify)rill_file_source_free);
}
