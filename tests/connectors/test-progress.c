/* test-progress.c — the progress line and the JSON run summary.
 *
 * The line is checked on a real pseudo-terminal: a forked child runs an
 * archive pipeline with its stderr on the pty's slave side while the parent
 * reads the master side. The child's sink holds its first batch until the
 * parent has seen a progress line, so the test waits on an event, not on
 * time. Quiet and non-terminal outputs must draw nothing. The summary is
 * parsed with json-glib and its counts compared with what the test wrote.
 */
#include "archive-harness.h"

#include <json-glib/json-glib.h>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#define N_LINES 200000

typedef struct {
  char *dir;
  char *archive;
  gsize archive_size;
} fixture;

static void fixture_setup(fixture *f, gconstpointer data)
{
  f->dir = make_tmpdir();
  run_ok("mkdir '%s/src' && seq 1 %d | sed 's/^/line /' > '%s/src/a.log' && tar -C '%s/src' -czf '%s/logs.tar.gz' a.log",
         f->dir, N_LINES, f->dir, f->dir, f->dir);
  f->archive = g_strdup_printf("%s/logs.tar.gz", f->dir);
  char *bytes;
  GError *error = NULL;
  g_file_get_contents(f->archive, &bytes, &f->archive_size, &error);
  g_assert_no_error(error);
  g_free(bytes);
}

static void fixture_teardown(fixture *f, gconstpointer data)
{
  rm_rf(f->dir);
  g_free(f->dir);
  g_free(f->archive);
}

/* ---- the child: archive source -> gate sink, with progress ------------- */

typedef struct {
  int gate_fd;      /* -1: no gate; else the first write waits for one byte from it */
  gboolean opened;
} gate_sink;

static gboolean gate_open(rill_ctx *ctx, void *user_data, void **state, GError **error)
{
  *state = user_data;
  return TRUE;
}

static rill_flow gate_write(rill_ctx *ctx, void *state, const rill_batch *batch)
{
  gate_sink *g = state;
  if (g->gate_fd >= 0) {
    char c;
    if (read(g->gate_fd, &c, 1) != 1)
      return RILL_FLOW_ERROR;
    g->gate_fd = -1;
  }
  return RILL_FLOW_OK;
}

static const rill_sink_class gate_class = {.type_name = "gate", .open = gate_open, .write = gate_write};

static int child_run(const char *archive, gboolean quiet, int gate_fd)
{
  const char *paths[] = {archive, NULL};
  rill_archive_source_options so = {.paths = paths};
  rill_archive_source *src = rill_archive_source_new(&so, NULL);
  rill_pipeline *p = rill_pipeline_new("progress-child");
  rill_stage *s = rill_pipeline_add_archive_source(p, "src", src);
  gate_sink gate = {.gate_fd = gate_fd};
  rill_pipeline_add_sink(p, "gate", s, &gate_class, &gate, NULL);
  rill_progress_options po = {.quiet = quiet, .interval_ms = 50};
  rill_progress *pr = rill_progress_attach(p, &po);
  if (rill_progress_is_active(pr) == quiet)
    return 3;
  gboolean ok = rill_pipeline_run(p, NULL);
  rill_progress_detach(pr);
  rill_pipeline_unref(p);
  return ok ? 0 : 2;
}

/* Runs the child with stderr on a pty; returns everything the pty showed.
 * With @wait_for_line the child's sink is held until a line appears. */
static GString *run_on_pty(fixture *f, gboolean quiet, gboolean wait_for_line)
{
  int master, slave;
  g_assert_cmpint(openpty(&master, &slave, NULL, NULL, NULL), ==, 0);
  int gate[2];
  g_assert_cmpint(pipe(gate), ==, 0);
  pid_t pid = fork();
  g_assert_cmpint(pid, >=, 0);
  if (pid == 0) {
    close(master);
    close(gate[1]);
    dup2(slave, STDERR_FILENO);
    close(slave);
    _exit(child_run(f->archive, quiet, wait_for_line ? gate[0] : -1));
  }
  close(slave);
  close(gate[0]);
  GString *seen = g_string_new(NULL);
  gboolean released = !wait_for_line;
  for (;;) {
    struct pollfd pfd = {.fd = master, .events = POLLIN};
    int rc = poll(&pfd, 1, 60000);
    g_assert_cmpint(rc, ==, 1); /* 60 s without output or end: the child is stuck */
    char buf[4096];
    ssize_t n = read(master, buf, sizeof buf);
    if (n <= 0)
      break; /* EIO: the child closed the pty */
    g_string_append_len(seen, buf, n);
    if (!released && strstr(seen->str, " records")) {
      g_assert_cmpint(write(gate[1], "x", 1), ==, 1);
      released = TRUE;
    }
  }
  close(gate[1]);
  close(master);
  int status;
  g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
  g_assert_true(WIFEXITED(status));
  g_assert_cmpint(WEXITSTATUS(status), ==, 0);
  g_assert_true(released);
  return seen;
}

static void test_tty(fixture *f, gconstpointer data)
{
  GString *seen = run_on_pty(f, FALSE, TRUE);
  char *shown = g_strescape(seen->str, NULL);
  g_test_message("pty output: %s", shown);
  g_free(shown);
  /* A redrawn line: carriage return, bytes done / total (percent), records. */
  const char *line = strstr(seen->str, "\r");
  g_assert_nonnull(line);
  g_assert_nonnull(strstr(line, " / "));
  g_assert_nonnull(strstr(line, "%)"));
  g_assert_nonnull(strstr(line, " records"));
  g_assert_nonnull(strstr(line, "elapsed "));
  /* ...and cleared at the end. */
  g_assert_true(g_str_has_suffix(seen->str, "\r\033[K"));
  g_string_free(seen, TRUE);
}

static void test_quiet(fixture *f, gconstpointer data)
{
  GString *seen = run_on_pty(f, TRUE, FALSE);
  g_assert_cmpuint(seen->len, ==, 0);
  g_string_free(seen, TRUE);
}

/* Not a terminal: inactive, nothing written. */
static void test_not_tty(fixture *f, gconstpointer data)
{
  FILE *out = tmpfile();
  g_assert_nonnull(out);
  rill_pipeline *p = rill_pipeline_new("not-tty");
  rill_progress_options po = {.out = out, .interval_ms = 50};
  rill_progress *pr = rill_progress_attach(p, &po);
  g_assert_false(rill_progress_is_active(pr));
  rill_progress_detach(pr);
  rill_pipeline_unref(p);
  g_assert_cmpint(ftell(out), ==, 0);
  fclose(out);
}

/* ---- line format -------------------------------------------------------- */

static void test_format_line(void)
{
  rill_stage_metrics m[2] = {
    {.stage = "src", .type_name = "archive-src", .role = RILL_STAGE_SOURCE, .records_out = 1000,
     .source_bytes_done = 512 * 1024, .source_bytes_total = 1024 * 1024},
    {.stage = "out", .type_name = "sink", .role = RILL_STAGE_SINK, .records_in = 999},
  };
  char *line = rill_progress_format_line(m, 2, 3.2, 256 * 1024);
  g_assert_cmpstr(line, ==, "512.0 KiB / 1.0 MiB (50%)  1000 records  256.0 KiB/s  elapsed 0:03  ETA 0:02");
  g_free(line);
  m[0].source_bytes_total = 0; /* total unknown: no percentage, no ETA */
  line = rill_progress_format_line(m, 2, 3725, -1);
  g_assert_cmpstr(line, ==, "512.0 KiB  1000 records  elapsed 1:02:05");
  g_free(line);
}

/* ---- summary ------------------------------------------------------------ */

static rill_verdict drop_even(rill_ctx *ctx, const rill_record *in, void *user_data)
{
  /* "line N": even N go to the (notional) dead-letter output. */
  char *text = g_strndup((const char *)in->value.data, in->value.len); /* values are not NUL-terminated */
  guint64 n = g_ascii_strtoull(text + 5, NULL, 10);
  g_free(text);
  if (n % 2 == 0) {
    rill_ctx_add_dead_letters(ctx, 1);
    return RILL_VERDICT_DROP;
  }
  return RILL_VERDICT_KEEP;
}

static gint64 member_int(JsonObject *o, const char *name)
{
  g_assert_true(json_object_has_member(o, name));
  return json_object_get_int_member(o, name);
}

static void test_summary(fixture *f, gconstpointer data)
{
  const char *paths[] = {f->archive, NULL};
  rill_archive_source_options so = {.paths = paths};
  GError *error = NULL;
  rill_archive_source *src = rill_archive_source_new(&so, &error);
  g_assert_no_error(error);
  rill_pipeline *p = rill_pipeline_new("summary");
  rill_stage *s = rill_pipeline_add_archive_source(p, "src", src);
  rill_stage *odd = rill_pipeline_add_filter(p, "odd", s, drop_even, NULL, NULL);
  collector c;
  collector_init(&c);
  rill_pipeline_add_sink(p, "out", odd, &collector_class, &c, NULL);
  FILE *summary = tmpfile();
  rill_progress_options po = {.summary_out = summary};
  rill_progress *pr = rill_progress_attach(p, &po);
  g_assert_true(rill_pipeline_run(p, &error));
  g_assert_no_error(error);
  rill_progress_detach(pr);
  g_assert_cmpuint(c.records->len, ==, N_LINES / 2);

  char *json = rill_pipeline_summary_json(p);
  JsonParser *parser = json_parser_new();
  g_assert_true(json_parser_load_from_data(parser, json, -1, &error));
  g_assert_no_error(error);
  JsonObject *o = json_node_get_object(json_parser_get_root(parser));
  g_assert_cmpstr(json_object_get_string_member(o, "pipeline"), ==, "summary");
  g_assert_cmpstr(json_object_get_string_member(o, "state"), ==, "done");
  g_assert_true(json_object_get_boolean_member(o, "ok"));
  g_assert_true(json_object_get_null_member(o, "error"));
  g_assert_cmpfloat(json_object_get_double_member(o, "elapsed_s"), >=, 0);
  g_assert_cmpint(member_int(o, "records_in"), ==, N_LINES);
  g_assert_cmpint(member_int(o, "records_out"), ==, N_LINES / 2);
  g_assert_cmpint(member_int(o, "dead_letters"), ==, N_LINES / 2);
  g_assert_cmpint(member_int(o, "input_bytes"), ==, (gint64)f->archive_size);
  g_assert_cmpint(member_int(o, "input_bytes_total"), ==, (gint64)f->archive_size);
  JsonArray *stages = json_object_get_array_member(o, "stages");
  g_assert_cmpuint(json_array_get_length(stages), ==, 3);
  static const char *const names[] = {"src", "odd", "out"};
  static const char *const roles[] = {"source", "operator", "sink"};
  const gint64 in[] = {0, N_LINES, N_LINES / 2}, out[] = {N_LINES, N_LINES / 2, 0}, dead[] = {0, N_LINES / 2, 0};
  for (guint i = 0; i < 3; i++) {
    JsonObject *st = json_array_get_object_element(stages, i);
    g_assert_cmpstr(json_object_get_string_member(st, "name"), ==, names[i]);
    g_assert_cmpstr(json_object_get_string_member(st, "role"), ==, roles[i]);
    g_assert_cmpint(member_int(st, "records_in"), ==, in[i]);
    g_assert_cmpint(member_int(st, "records_out"), ==, out[i]);
    g_assert_cmpint(member_int(st, "dead_letters"), ==, dead[i]);
  }

  /* detach wrote the same summary, one line. */
  rewind(summary);
  char buf[8192];
  g_assert_nonnull(fgets(buf, sizeof buf, summary));
  JsonParser *p2 = json_parser_new();
  g_assert_true(json_parser_load_from_data(p2, buf, -1, &error));
  g_assert_no_error(error);
  JsonObject *o2 = json_node_get_object(json_parser_get_root(p2));
  g_assert_cmpint(member_int(o2, "records_in"), ==, N_LINES);
  g_assert_cmpint(member_int(o2, "dead_letters"), ==, N_LINES / 2);
  g_object_unref(p2);
  fclose(summary);

  g_object_unref(parser);
  g_free(json);
  collector_clear(&c);
  rill_pipeline_unref(p);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD("/progress/tty", test_tty);
  ADD("/progress/quiet", test_quiet);
  ADD("/progress/not-tty", test_not_tty);
  ADD("/progress/summary", test_summary);
  g_test_add_func("/progress/format-line", test_format_line);
  return g_test_run();
}
