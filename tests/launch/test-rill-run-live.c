/* test-rill-run-live.c — rill-run while a job runs, as a user watching it
 * sees it: output that appears as input arrives (a slow producer writes a
 * line only after the previous one came out, so order of events is the
 * assertion, never elapsed time), kafka-src follow=true the same way
 * against a real rill-broker, interruption by signal (exit 130 and the
 * summary says so), an unknown topic (exit 3, not created), progress of
 * file-src in the summary, errors that name field and value, the status
 * line, and --log-format (rill-run, a Kafka tool, rill-broker's events).
 * --version is checked on the installed tools (tests/install).
 *
 * Reads from rill-run's stdout are guarded by a generous poll so a
 * regression fails the test instead of hanging it; the guard is not a
 * speed requirement. */
#include <rill/rill.h>

#include <errno.h>
#include <json-glib/json-glib.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/broker/broker-proc.h"
#include "tests/connectors/util.h"

#define GUARD_MS 60000

typedef struct {
  GPid pid;
  int in, out, err;
  GString *pending; /* bytes read from out past the last line returned */
  GString *errbuf;  /* stderr read so far */
} job;

/* Starts tools/@name with @args, stdin/stdout/stderr on pipes. */
static void job_start_tool(job *j, const char *name, const char *const *args)
{
  GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(argv, g_build_filename(RILL_BINARY_DIR, "tools", name, NULL));
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add(argv, g_strdup(args[i]));
  g_ptr_array_add(argv, NULL);
  GError *error = NULL;
  g_assert_true(g_spawn_async_with_pipes(NULL, (char **)argv->pdata, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                                         &j->pid, &j->in, &j->out, &j->err, &error));
  g_assert_no_error(error);
  g_ptr_array_unref(argv);
  j->pending = g_string_new(NULL);
  j->errbuf = g_string_new(NULL);
}

static void job_start(job *j, const char *const *args)
{
  job_start_tool(j, "rill-run", args);
}

/* Reads the job's stderr until it holds @n occurrences of @needle. */
static void job_wait_stderr(job *j, const char *needle, guint n)
{
  for (;;) {
    guint found = 0;
    for (const char *p = j->errbuf->str; (p = strstr(p, needle)); p++)
      found++;
    if (found >= n)
      return;
    struct pollfd pfd = {.fd = j->err, .events = POLLIN};
    g_assert_cmpint(poll(&pfd, 1, GUARD_MS), ==, 1); /* it never came */
    char buf[4096];
    gssize got = read(j->err, buf, sizeof buf);
    g_assert_cmpint(got, >, 0);
    g_string_append_len(j->errbuf, buf, got);
  }
}

static void job_write(job *j, const char *text)
{
  gsize len = strlen(text);
  g_assert_cmpint(write(j->in, text, len), ==, (gssize)len);
}

/* The next line of the job's stdout (without "\n"); NULL at end of output. */
static char *job_read_line(job *j)
{
  for (;;) {
    char *nl = memchr(j->pending->str, '\n', j->pending->len);
    if (nl) {
      char *line = g_strndup(j->pending->str, (gsize)(nl - j->pending->str));
      g_string_erase(j->pending, 0, nl + 1 - j->pending->str);
      return line;
    }
    struct pollfd pfd = {.fd = j->out, .events = POLLIN};
    int n = poll(&pfd, 1, GUARD_MS);
    g_assert_cmpint(n, ==, 1); /* the line never came */
    char buf[4096];
    gssize got = read(j->out, buf, sizeof buf);
    g_assert_cmpint(got, >=, 0);
    if (got == 0)
      return NULL;
    g_string_append_len(j->pending, buf, got);
  }
}

/* Sends @sig, then finishes like job_finish. */
static int job_signal(job *j, int sig, char **err_text);

/* Closes stdin, waits for the exit; returns the exit status and stderr. */
static int job_finish(job *j, char **err_text)
{
  if (j->in >= 0)
    close(j->in);
  j->in = -1;
  char *rest;
  while ((rest = job_read_line(j)))
    g_free(rest);
  GString *err = j->errbuf;
  char buf[4096];
  gssize got;
  while ((got = read(j->err, buf, sizeof buf)) > 0)
    g_string_append_len(err, buf, got);
  int status;
  g_assert_cmpint(waitpid(j->pid, &status, 0), ==, j->pid);
  g_spawn_close_pid(j->pid);
  close(j->out);
  close(j->err);
  g_string_free(j->pending, TRUE);
  if (err_text)
    *err_text = g_string_free(err, FALSE);
  else
    g_string_free(err, TRUE);
  g_assert_true(WIFEXITED(status));
  return WEXITSTATUS(status);
}

/* Each line written to stdin comes out of @pipeline before the next one is
 * written: the job never holds output back while its input waits. */
static void check_live(const char *pipeline, const char *const *lines)
{
  job j;
  job_start(&j, (const char *[]){"-q", pipeline, NULL});
  for (guint i = 0; lines[i]; i++) {
    char *in = g_strdup_printf("%s\n", lines[i]);
    job_write(&j, in);
    char *got = job_read_line(&j);
    g_assert_cmpstr(got, ==, lines[i]);
    g_free(got);
    g_free(in);
  }
  g_assert_cmpint(job_finish(&j, NULL), ==, 0);
}

static void test_live_output(void)
{
  const char *lines[] = {"{\"k\":\"a\",\"n\":1}", "{\"k\":\"b\",\"n\":2}", "{\"k\":\"a\",\"n\":3}", NULL};
  /* The sink chained to the source in one task: an empty read() is idle. */
  check_live("stdin-src ! stdout-sink", lines);
  /* The sink in its own task behind an exchange: an empty input is idle. */
  check_live("stdin-src format=jsonl ! key-by field=k ! stdout-sink", lines);

  /* SIGTERM while the input is still open: drained, interrupted, 130. */
  job j;
  job_start(&j, (const char *[]){"-q", "stdin-src ! stdout-sink", NULL});
  job_write(&j, "before\n");
  char *got = job_read_line(&j);
  g_assert_cmpstr(got, ==, "before");
  g_free(got);
  char *err = NULL;
  g_assert_cmpint(job_signal(&j, SIGTERM, &err), ==, 130);
  g_free(err);
}

static int job_signal(job *j, int sig, char **err_text)
{
  g_assert_cmpint(kill(j->pid, sig), ==, 0);
  /* stdin stays open until the job ended, so only the signal can end it. */
  char *rest;
  while ((rest = job_read_line(j)))
    g_free(rest);
  return job_finish(j, err_text);
}

/* Runs a tool from the build tree with @input on stdin; returns its exit
 * status; its stdout in *@out when @out. */
static int tool(const char *input, char **out, const char *const *args)
{
  GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(argv, g_build_filename(RILL_BINARY_DIR, "tools", args[0], NULL));
  for (guint i = 1; args[i]; i++)
    g_ptr_array_add(argv, g_strdup(args[i]));
  g_ptr_array_add(argv, NULL);
  GError *error = NULL;
  GSubprocess *p = g_subprocess_newv((const char *const *)argv->pdata,
                                     G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  g_assert_no_error(error);
  g_assert_true(g_subprocess_communicate_utf8(p, input, NULL, out, NULL, &error));
  g_assert_no_error(error);
  int status = g_subprocess_get_exit_status(p);
  g_object_unref(p);
  g_ptr_array_unref(argv);
  return status;
}

static JsonObject *summary_of(JsonParser *jp, const char *path)
{
  GError *error = NULL;
  g_assert_true(json_parser_load_from_file(jp, path, &error));
  g_assert_no_error(error);
  return json_node_get_object(json_parser_get_root(jp));
}

/* kafka-src follow=true: each record produced shows up before the next is
 * produced; Ctrl-C (SIGINT) then drains and exits 130, "interrupted". An
 * unknown topic is exit 3 and stays unknown (a source never creates it). */
static void test_kafka(void)
{
  broker_proc b = {0};
  broker_proc_start(&b, NULL);
  g_assert_cmpint(tool(NULL, NULL, (const char *[]){"rill-topics", "-b", b.bootstrap, "create", "events", "-P", "1",
                                                    NULL}),
                  ==, 0);
  char *dir = make_tmp_dir();
  char *summary = g_build_filename(dir, "summary.json", NULL);
  char *text = g_strdup_printf("kafka-src bootstrap.servers=%s topic=events follow=true ! stdout-sink", b.bootstrap);
  job j;
  job_start(&j, (const char *[]){"--status=on", "--summary", summary, text, NULL});
  const char *lines[] = {"first", "second", "third", NULL};
  for (guint i = 0; lines[i]; i++) {
    char *in = g_strdup_printf("%s\n", lines[i]);
    g_assert_cmpint(tool(in, NULL, (const char *[]){"rill-produce", "-b", b.bootstrap, "-t", "events", NULL}), ==, 0);
    char *got = job_read_line(&j);
    g_assert_cmpstr(got, ==, lines[i]);
    g_free(got);
    g_free(in);
  }
  /* The status line has the source lag kafka-src reports: caught up. */
  job_wait_stderr(&j, "3 in  3 out", 1);
  job_wait_stderr(&j, "lag 0  ", 1);
  g_assert_cmpint(job_signal(&j, SIGINT, NULL), ==, 130);
  JsonParser *jp = json_parser_new();
  JsonObject *o = summary_of(jp, summary);
  g_assert_true(json_object_get_boolean_member(o, "interrupted"));
  g_assert_false(json_object_get_boolean_member(o, "ok"));
  g_assert_cmpint(json_object_get_int_member(o, "records_out"), ==, 3);
  g_object_unref(jp);
  g_free(text);

  text = g_strdup_printf("kafka-src bootstrap.servers=%s topic=nosuch ! stdout-sink", b.bootstrap);
  char *err = NULL;
  job_start(&j, (const char *[]){"-q", text, NULL});
  g_assert_cmpint(job_finish(&j, &err), ==, 3);
  if (!strstr(err, "topic 'nosuch' does not exist"))
    g_error("unexpected message: %s", err);
  g_free(err);
  char *topics = NULL;
  g_assert_cmpint(tool(NULL, &topics, (const char *[]){"rill-topics", "-b", b.bootstrap, "list", NULL}), ==, 0);
  g_assert_cmpstr(topics, ==, "events\n");
  g_free(topics);
  g_free(text);

  broker_proc_stop(&b);
  remove_tree(dir);
  g_free(dir);
  g_free(summary);
}

/* The status line: forced on, it is redrawn on stderr (carriage return,
 * the text, erase to end of line) while the job runs and cleared at the
 * end; on auto with stderr not a terminal it never appears, although the
 * job ran until the forced one had redrawn twice. */
static void test_status_line(void)
{
  job on, automatic;
  job_start(&on, (const char *[]){"--status=on", "stdin-src ! stdout-sink", NULL});
  job_start(&automatic, (const char *[]){"stdin-src ! stdout-sink", NULL});
  job_write(&on, "x\n");
  job_write(&automatic, "x\n");
  char *line = job_read_line(&on);
  g_free(line);
  line = job_read_line(&automatic);
  g_free(line);
  /* The second sample has a rate (two snapshots to compare). */
  job_wait_stderr(&on, " rec/s", 1);
  job_wait_stderr(&on, "\r", 2);
  job_wait_stderr(&on, "1 in  1 out", 1);
  char *err = NULL;
  g_assert_cmpint(job_finish(&automatic, &err), ==, 0);
  g_assert_cmpstr(err, ==, "");
  g_free(err);
  g_assert_cmpint(job_finish(&on, &err), ==, 0);
  g_assert_true(g_str_has_suffix(err, "\r\033[K"));
  g_free(err);

  job_start(&on, (const char *[]){"--status=maybe", "stdin-src ! stdout-sink", NULL});
  g_assert_cmpint(job_finish(&on, &err), ==, 2);
  g_assert_nonnull(strstr(err, "not auto, on or off"));
  g_free(err);
}

/* file-src reports progress like archive-src: the summary's input_bytes is
 * the file's size, read in full; a bad timestamp names the element, the
 * field and the value. */
static void test_progress_and_errors(void)
{
  char *dir = make_tmp_dir();
  char *in = g_build_filename(dir, "in.jsonl", NULL), *out = g_build_filename(dir, "out.jsonl", NULL);
  char *summary = g_build_filename(dir, "summary.json", NULL);
  GString *data = g_string_new(NULL);
  for (guint i = 0; i < 5000; i++)
    g_string_append_printf(data, "{\"t\":\"2024-01-01T00:00:%02uZ\",\"n\":%u}\n", i % 60, i);
  write_file(in, data->str, (gssize)data->len);
  char *text = g_strdup_printf("file-src path=%s ! file-sink path=%s", in, out);
  job j;
  job_start(&j, (const char *[]){"-q", "--summary", summary, text, NULL});
  g_assert_cmpint(job_finish(&j, NULL), ==, 0);
  JsonParser *jp = json_parser_new();
  JsonObject *o = summary_of(jp, summary);
  g_assert_cmpint(json_object_get_int_member(o, "input_bytes"), ==, (gint64)data->len);
  g_assert_cmpint(json_object_get_int_member(o, "input_bytes_total"), ==, (gint64)data->len);
  g_assert_false(json_object_get_boolean_member(o, "interrupted"));
  g_assert_true(json_object_get_boolean_member(o, "ok"));
  g_object_unref(jp);
  g_free(text);

  write_file(in, "{\"t\":\"2024-01-01T00:00:00Z\"}\n{\"t\":\"yesterday\"}\n", -1);
  text = g_strdup_printf("file-src path=%s format=jsonl ! watermarks name=stamp field=t ! stdout-sink", in);
  char *err = NULL;
  job_start(&j, (const char *[]){"-q", text, NULL});
  g_assert_cmpint(job_finish(&j, &err), ==, 1);
  if (!strstr(err, "stage 'stamp") || !strstr(err, "field 't' is not a timestamp") || !strstr(err, "'yesterday'"))
    g_error("the error does not name element, field and value: %s", err);
  g_free(err);
  g_free(text);

  g_string_free(data, TRUE);
  remove_tree(dir);
  g_free(dir);
  g_free(in);
  g_free(out);
  g_free(summary);
}

/* --log-format: every stderr line is one JSON object / logfmt record with
 * ts and level, for rill-run and a Kafka tool alike; a multi-line message
 * (the caret under a text error) stays on its line. */
static void test_log_format(void)
{
  job j;
  char *err = NULL;
  job_start(&j, (const char *[]){"--log-format=json", "file-src path=x ! fliter field=a", NULL});
  g_assert_cmpint(job_finish(&j, &err), ==, 2);
  char **lines = g_strsplit(err, "\n", -1);
  guint n = 0;
  for (guint i = 0; lines[i]; i++) {
    if (!*lines[i])
      continue;
    n++;
    JsonParser *jp = json_parser_new();
    GError *error = NULL;
    g_assert_true(json_parser_load_from_data(jp, lines[i], -1, &error));
    g_assert_no_error(error);
    JsonObject *o = json_node_get_object(json_parser_get_root(jp));
    g_assert_true(g_str_has_suffix(json_object_get_string_member(o, "ts"), "Z"));
    g_assert_cmpstr(json_object_get_string_member(o, "level"), ==, "error");
    g_assert_nonnull(strstr(json_object_get_string_member(o, "msg"), "no element named 'fliter' (rill-run --list shows them)\n"));
    g_object_unref(jp);
  }
  g_assert_cmpuint(n, ==, 1);
  g_strfreev(lines);
  g_free(err);

  GError *error = NULL;
  char *exe = g_build_filename(RILL_BINARY_DIR, "tools", "rill-topics", NULL);
  GSubprocess *p = g_subprocess_new(G_SUBPROCESS_FLAGS_STDERR_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error, exe,
                                    "--log-format=logfmt", "-b", "127.0.0.1:1", "--timeout-ms", "500", "list", NULL);
  g_assert_no_error(error);
  g_assert_true(g_subprocess_communicate_utf8(p, NULL, NULL, NULL, &err, &error));
  g_assert_no_error(error);
  g_assert_cmpint(g_subprocess_get_exit_status(p), ==, 2);
  g_assert_true(g_str_has_prefix(err, "ts="));
  g_assert_nonnull(strstr(err, " level=error tool=rill-topics msg=\""));
  g_assert_cmpint(strchr(err, '\n') - err, ==, (gssize)strlen(err) - 1); /* one line */
  g_object_unref(p);
  g_free(exe);
  g_free(err);

  /* rill-broker's event lines become JSON objects, numbers kept. */
  char *data = make_tmp_dir();
  job_start_tool(&j, "rill-broker", (const char *[]){"--log-format=json", "-d", data, "-l", "127.0.0.1:0", NULL});
  char *line = job_read_line(&j);
  JsonParser *jp = json_parser_new();
  g_assert_true(json_parser_load_from_data(jp, line, -1, &error));
  g_assert_no_error(error);
  JsonObject *o = json_node_get_object(json_parser_get_root(jp));
  g_assert_true(json_object_has_member(o, "ts"));
  g_assert_cmpstr(json_object_get_string_member(o, "level"), ==, "info");
  g_assert_cmpstr(json_object_get_string_member(o, "event"), ==, "listening");
  g_assert_cmpint(json_object_get_int_member(o, "port"), >, 0);
  g_object_unref(jp);
  g_free(line);
  g_assert_cmpint(job_signal(&j, SIGINT, NULL), ==, 0);
  remove_tree(data);
  g_free(data);

  job_start(&j, (const char *[]){"--log-format=yaml", "stdin-src ! stdout-sink", NULL});
  g_assert_cmpint(job_finish(&j, &err), ==, 2);
  g_assert_nonnull(strstr(err, "not text, logfmt or json"));
  g_free(err);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  signal(SIGPIPE, SIG_IGN);
  g_test_add_func("/rill-run-live/output", test_live_output);
  g_test_add_func("/rill-run-live/kafka", test_kafka);
  g_test_add_func("/rill-run-live/log-format", test_log_format);
  g_test_add_func("/rill-run-live/progress-errors", test_progress_and_errors);
  g_test_add_func("/rill-run-live/status-line", test_status_line);
  return g_test_run();
}
