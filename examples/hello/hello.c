/* hello.c — the smallest complete rill job: read a text file line by line,
 * upper-case each line, drop blank lines and '#' comments, print the rest
 * with their line numbers.
 *
 *   lines (source) -> upper (map) -> no-comments (filter) -> stdout (sink)
 *
 * Usage: hello [FILE] [--metrics]   (FILE defaults to the bundled
 * greetings.txt). The source and sink are written here to show the two
 * connector APIs; real jobs use the connectors under connectors/.
 */
#include <rill/rill.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a file-lines source: key = line number (decimal), value = the line -- */

typedef struct {
  FILE *file;
  char *line;
  size_t cap;
  guint64 number;
} lines_state;

static gboolean lines_open(rill_ctx *ctx, void *user_data, const guint *splits, guint n_splits, void **state,
                           GError **error)
{
  const char *path = user_data;
  FILE *f = fopen(path, "r");
  if (!f) {
    int e = errno;
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "cannot open %s: %s", path, g_strerror(e));
    return FALSE;
  }
  lines_state *st = g_new0(lines_state, 1);
  st->file = f;
  *state = st;
  return TRUE;
}

static guint lines_n_splits(void *user_data, guint parallelism)
{
  return 1; /* one file, read in order by one task */
}

static rill_flow lines_read(rill_ctx *ctx, void *state, rill_emitter *out)
{
  lines_state *st = state;
  for (int i = 0; i < 1024; i++) {
    ssize_t n = getline(&st->line, &st->cap, st->file);
    if (n < 0) {
      if (ferror(st->file)) {
        rill_ctx_fail(ctx, "read error: %s", g_strerror(errno));
        return RILL_FLOW_ERROR;
      }
      return RILL_FLOW_EOS;
    }
    if (n > 0 && st->line[n - 1] == '\n')
      n--;
    char key[24];
    int klen = g_snprintf(key, sizeof key, "%" G_GUINT64_FORMAT, ++st->number);
    rill_record r = RILL_RECORD_INIT;
    r.key = rill_bytes_make(key, (size_t)klen);
    r.value = rill_bytes_make(st->line, (size_t)n);
    rill_flow flow = rill_emit_record(out, &r); /* copies the bytes */
    if (flow != RILL_FLOW_OK)
      return flow;
  }
  return RILL_FLOW_OK;
}

static void lines_close(rill_ctx *ctx, void *state)
{
  lines_state *st = state;
  fclose(st->file);
  free(st->line);
  g_free(st);
}

static const rill_source_class lines_source = {
  .type_name = "file-lines",
  .n_splits = lines_n_splits,
  .open = lines_open,
  .read = lines_read,
  .close = lines_close,
};

/* ---- a stdout sink: "KEY: VALUE" per record ------------------------------ */

static rill_flow stdout_write(rill_ctx *ctx, void *state, const rill_batch *batch)
{
  const rill_record *r = rill_batch_records(batch);
  for (size_t i = 0; i < rill_batch_len(batch); i++)
    printf("%.*s: %.*s\n", (int)r[i].key.len, (const char *)r[i].key.data, (int)r[i].value.len,
           (const char *)r[i].value.data);
  return RILL_FLOW_OK;
}

static rill_flow stdout_flush(rill_ctx *ctx, void *state)
{
  return fflush(stdout) == 0 ? RILL_FLOW_OK : RILL_FLOW_ERROR;
}

static const rill_sink_class stdout_sink = {.type_name = "stdout", .write = stdout_write, .flush = stdout_flush};

/* ---- the job ------------------------------------------------------------- */

static rill_flow upper(rill_ctx *ctx, const rill_record *in, rill_record *out, void *user_data)
{
  char *v = rill_ctx_alloc(ctx, in->value.len);
  for (size_t i = 0; i < in->value.len; i++)
    v[i] = g_ascii_toupper((char)in->value.data[i]);
  out->value = rill_bytes_make(v, in->value.len);
  return RILL_FLOW_OK;
}

static rill_verdict no_comments(rill_ctx *ctx, const rill_record *in, void *user_data)
{
  return in->value.len > 0 && in->value.data[0] != '#' ? RILL_VERDICT_KEEP : RILL_VERDICT_DROP;
}

int main(int argc, char **argv)
{
  const char *path = HELLO_DATA;
  gboolean metrics = FALSE;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--metrics") == 0)
      metrics = TRUE;
    else
      path = argv[i];
  }
  rill_pipeline *p = rill_pipeline_new("hello");
  rill_stage *s = rill_pipeline_add_source(p, "lines", &lines_source, (void *)path, NULL);
  s = rill_pipeline_add_map(p, "upper", s, upper, NULL, NULL);
  s = rill_pipeline_add_filter(p, "no-comments", s, no_comments, NULL, NULL);
  rill_pipeline_add_sink(p, "stdout", s, &stdout_sink, NULL, NULL);
  if (metrics)
    rill_pipeline_set_metrics_output(p, stderr);
  rill_pipeline_watch_signals(p);
  GError *error = NULL;
  gboolean ok = rill_pipeline_run(p, &error);
  if (!ok) {
    fprintf(stderr, "hello: %s\n", error->message);
    g_error_free(error);
  }
  rill_pipeline_unref(p);
  return ok ? 0 : 1;
}
