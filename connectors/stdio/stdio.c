/* stdio.c — stdin as a file source, stdout/stderr sinks, and the stderr
 * dead-letter output. Sinks buffer up to FLUSH_BYTES, write out when the
 * input goes idle (live output), and write every line at once on a terminal.
 *
 * Invariant: a task hands its buffer to write(2) only whole lines at a time
 * and under the stream's lock, so concurrent tasks (and the dead-letter
 * output, which shares stderr) never interleave inside a line. A CSV
 * header row is written at most once per sink, before any row.
 */
#include <rill/stdio.h>

#include "connectors/file/encode.h"

#include <unistd.h>

#define FLUSH_BYTES (256u << 10)

/* Guards fd 1 / fd 2 writes: the descriptors are process-wide already. */
static GMutex stream_locks[3];

struct rill_stdio_sink {
  rill_stdio_stream stream;
  rill_file_format format;
  gint header_written; /* CSV: the header row went out (once, whichever task knew it first) */
};

typedef struct {
  rill_stdio_sink *sink;
  rill__encoder *encoder;
  GString *buf;
  guint64 written;
  gboolean tty;          /* the stream is a terminal: write each line at once */
} stdio_state;

rill_file_source *rill_stdin_source_new(rill_file_format format)
{
  return rill_file_source_new("-", format);
}

rill_stage *rill_pipeline_add_stdin_source(rill_pipeline *pipeline, const char *name, rill_file_format format)
{
  g_return_val_if_fail(pipeline != NULL, NULL);
  return rill_pipeline_add_file_source(pipeline, name, rill_stdin_source_new(format));
}

rill_stdio_sink *rill_stdio_sink_new(rill_stdio_stream stream, rill_file_format format)
{
  g_return_val_if_fail(stream == RILL_STDIO_STDOUT || stream == RILL_STDIO_STDERR, NULL);
  rill_stdio_sink *s = g_new0(rill_stdio_sink, 1);
  s->stream = stream;
  s->format = format;
  return s;
}

void rill_stdio_sink_free(rill_stdio_sink *sink)
{
  g_free(sink);
}

static gboolean stdio_open(rill_ctx *ctx, void *user_data, void **state, GError **error)
{
  stdio_state *t = g_new0(stdio_state, 1);
  t->sink = user_data;
  t->encoder = rill__encoder_new(t->sink->format);
  t->buf = g_string_sized_new(FLUSH_BYTES + 4096);
  t->tty = isatty((int)t->sink->stream) == 1;
  *state = t;
  return TRUE;
}

static rill_flow write_out(rill_ctx *ctx, stdio_state *t)
{
  if (!t->buf->len)
    return RILL_FLOW_OK;
  GError *err = NULL;
  int fd = (int)t->sink->stream;
  g_mutex_lock(&stream_locks[fd]);
  gboolean ok = rill__write_all(fd, t->buf->str, t->buf->len, fd == 1 ? "stdout" : "stderr", t->written, &err);
  g_mutex_unlock(&stream_locks[fd]);
  t->written += t->buf->len;
  g_string_truncate(t->buf, 0);
  if (!ok) {
    rill_ctx_set_error(ctx, err);
    return RILL_FLOW_ERROR;
  }
  return RILL_FLOW_OK;
}

/* CSV out: the header row before any row, written at once so that no
 * task's rows can reach the stream before it. FALSE when the write fails. */
static gboolean write_header(rill_ctx *ctx, stdio_state *t, const rill_record *first)
{
  const char *h = rill__encoder_csv_header(t->encoder, first);
  if (!h || !g_atomic_int_compare_and_exchange(&t->sink->header_written, 0, 1))
    return TRUE;
  if (write_out(ctx, t) != RILL_FLOW_OK)
    return FALSE;
  g_string_append(t->buf, h);
  g_string_append_c(t->buf, '\n');
  return write_out(ctx, t) == RILL_FLOW_OK;
}

static rill_flow stdio_write(rill_ctx *ctx, void *state, const rill_batch *batch)
{
  stdio_state *t = state;
  const rill_record *r = rill_batch_records(batch);
  for (size_t i = 0, n = rill_batch_len(batch); i < n; i++) {
    GError *err = NULL;
    if (t->sink->format == RILL_FILE_FORMAT_CSV && !g_atomic_int_get(&t->sink->header_written) &&
        !write_header(ctx, t, &r[i]))
      return RILL_FLOW_ERROR;
    if (!rill__encoder_line(t->encoder, t->buf, &r[i], &err)) {
      rill_ctx_set_error(ctx, err);
      return RILL_FLOW_ERROR;
    }
    if ((t->tty || t->buf->len >= FLUSH_BYTES) && write_out(ctx, t) != RILL_FLOW_OK)
      return RILL_FLOW_ERROR;
  }
  return RILL_FLOW_OK;
}

static rill_flow stdio_flush(rill_ctx *ctx, void *state)
{
  return write_out(ctx, state);
}

static void stdio_close(rill_ctx *ctx, void *state)
{
  stdio_state *t = state;
  rill__encoder_free(t->encoder);
  g_string_free(t->buf, TRUE);
  g_free(t);
}

const rill_sink_class rill_stdio_sink_class = {
  .type_name = "stdio-sink",
  .open = stdio_open,
  .write = stdio_write,
  .flush = stdio_flush,
  .close = stdio_close,
  .idle = stdio_flush,
};

rill_stage *rill_pipeline_add_stdio_sink(rill_pipeline *pipeline, const char *name, rill_stage *input,
                                         rill_stdio_stream stream, rill_file_format format)
{
  g_return_val_if_fail(pipeline != NULL, NULL);
  return rill_pipeline_add_sink(pipeline, name, input, &rill_stdio_sink_class, rill_stdio_sink_new(stream, format),
                                (GDestroyNotify)rill_stdio_sink_free);
}

/* Dead letters are rare: write each one at once so it shows up next to the
 * job's other diagnostics. */
static rill_flow stderr_dl_write(rill_ctx *ctx, void *state, const rill_batch *batch)
{
  rill_flow flow = stdio_write(ctx, state, batch);
  return flow == RILL_FLOW_OK ? write_out(ctx, state) : flow;
}

static const rill_sink_class stderr_dead_letter_class = {
  .type_name = "stderr-dead-letter",
  .open = stdio_open,
  .write = stderr_dl_write,
  .flush = stdio_flush,
  .close = stdio_close,
};

rill_dead_letter *rill_dead_letter_new_stderr(void)
{
  return rill_dead_letter_new(&stderr_dead_letter_class, rill_stdio_sink_new(RILL_STDIO_STDERR, RILL_FILE_FORMAT_LINES),
                              (GDestroyNotify)rill_stdio_sink_free);
}
