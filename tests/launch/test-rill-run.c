/* test-rill-run.c — the rill-run program as users run it: exit codes, -f
 * files, --summary JSON, --list/--describe, and docs/rill-run.md's element
 * reference against rill_launch_registry_reference_markdown() so it cannot
 * drift. */
#include <rill/rill.h>

#include <json-glib/json-glib.h>
#include <signal.h>
#include <sys/wait.h>

#include "tests/connectors/util.h"

static char *rill_run_path(void)
{
  return g_build_filename(RILL_BINARY_DIR, "tools", "rill-run", NULL);
}

/* Runs rill-run with @args; returns the exit status, stdout and stderr. */
static int run(const char *const *args, char **out, char **err)
{
  GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(argv, rill_run_path());
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add(argv, g_strdup(args[i]));
  g_ptr_array_add(argv, NULL);
  int status = -1;
  GError *error = NULL;
  g_assert_true(g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, out, err, &status,
                             &error));
  g_assert_no_error(error);
  g_ptr_array_unref(argv);
  g_assert_true(WIFEXITED(status));
  return WEXITSTATUS(status);
}

static void test_exit_codes(void)
{
  char *dir = make_tmp_dir();
  char *in = g_build_filename(dir, "in.txt", NULL), *out_path = g_build_filename(dir, "out.txt", NULL);
  char *pipe_file = g_build_filename(dir, "p.rill", NULL), *summary = g_build_filename(dir, "summary.json", NULL);
  write_file(in, "{\"n\":1}\n{\"n\":7}\n{\"n\":3}\n", -1);
  char *text = g_strdup_printf("# keep n > 2\nfile-src path=%s\n  ! filter field=n gt=2\n  ! file-sink path=%s\n", in,
                               out_path);
  write_file(pipe_file, text, -1);
  char *out = NULL, *err = NULL, *contents = NULL;

  /* Runs from a file; summary written; quiet. */
  g_assert_cmpint(run((const char *[]){"-q", "--summary", summary, "-f", pipe_file, NULL}, &out, &err), ==, 0);
  g_assert_true(g_file_get_contents(out_path, &contents, NULL, NULL));
  g_assert_cmpstr(contents, ==, "{\"n\":7}\n{\"n\":3}\n");
  g_free(contents);
  g_assert_true(g_file_get_contents(summary, &contents, NULL, NULL));
  JsonParser *jp = json_parser_new();
  g_assert_true(json_parser_load_from_data(jp, contents, -1, NULL));
  JsonObject *o = json_node_get_object(json_parser_get_root(jp));
  g_assert_true(json_object_get_boolean_member(o, "ok"));
  g_assert_cmpint(json_object_get_int_member(o, "records_in"), ==, 3);
  g_assert_cmpint(json_object_get_int_member(o, "records_out"), ==, 2);
  g_object_unref(jp);
  g_free(contents);
  g_free(out);
  g_free(err);

  /* A text error: exit 2, the message names the file and points at it. */
  g_assert_cmpint(run((const char *[]){"file-src path=x ! nope", NULL}, &out, &err), ==, 2);
  g_assert_nonnull(strstr(err, "no element named 'nope'"));
  g_assert_nonnull(strstr(err, "^"));
  g_free(out);
  g_free(err);

  /* A run-time failure (malformed JSON, no dead-letter output): exit 1. */
  write_file(in, "{\"n\":1}\nbroken\n", -1);
  char *failing = g_strdup_printf("file-src path=%s ! json-parse ! stdout-sink", in);
  g_assert_cmpint(run((const char *[]){"-q", failing, NULL}, &out, &err), ==, 1);
  g_assert_nonnull(strstr(err, "json-parse"));
  g_free(out);
  g_free(err);

  /* Usage errors: exit 2. */
  g_assert_cmpint(run((const char *[]){NULL}, &out, &err), ==, 2);
  g_free(out);
  g_free(err);
  g_assert_cmpint(run((const char *[]){"--describe", "nope", NULL}, &out, &err), ==, 2);
  g_free(out);
  g_free(err);

  g_free(failing);
  g_free(text);
  remove_tree(dir);
  g_free(dir);
  g_free(in);
  g_free(out_path);
  g_free(pipe_file);
  g_free(summary);
}

static void test_list_describe(void)
{
  char *out = NULL, *err = NULL;
  g_assert_cmpint(run((const char *[]){"--list", NULL}, &out, &err), ==, 0);
  rill_launch_registry *registry = rill_launch_registry_new();
  rill_elements_register_all(registry);
  guint n;
  const rill_launch_element *const *e = rill_launch_registry_elements(registry, &n);
  for (guint i = 0; i < n; i++) /* one line per element, starting with its name */
    g_assert_nonnull(strstr(out, rill_launch_element_get_name(e[i])));
  rill_launch_registry_free(registry);
  g_free(out);
  g_free(err);
  g_assert_cmpint(run((const char *[]){"--describe", "window", NULL}, &out, &err), ==, 0);
  g_assert_nonnull(strstr(out, "tumbling"));
  g_assert_nonnull(strstr(out, "gap"));
  g_free(out);
  g_free(err);
}

static void test_doc_reference(void)
{
  char *path = g_build_filename(RILL_SOURCE_DIR, "docs", "rill-run.md", NULL), *doc = NULL;
  g_assert_true(g_file_get_contents(path, &doc, NULL, NULL));
  const char *begin_mark = "<!-- BEGIN element reference (rill-run --reference) -->\n";
  const char *end_mark = "<!-- END element reference -->";
  char *begin = strstr(doc, begin_mark), *end = strstr(doc, end_mark);
  g_assert_nonnull(begin);
  g_assert_nonnull(end);
  begin += strlen(begin_mark);
  char *section = g_strndup(begin, (gsize)(end - begin));
  rill_launch_registry *registry = rill_launch_registry_new();
  rill_elements_register_all(registry);
  char *expected = rill_launch_registry_reference_markdown(registry);
  rill_launch_registry_free(registry);
  if (strcmp(section, expected) != 0)
    g_error("docs/rill-run.md's element reference is out of date: regenerate it with "
            "`build/tools/rill-run --reference` between the BEGIN/END markers");
  g_free(expected);
  g_free(section);
  g_free(doc);
  g_free(path);
}

/* rill-run --checkpoint-dir: a following file source drained with SIGTERM
 * after a checkpoint, more input, a second run resuming from that
 * checkpoint: the output holds every line exactly once. A checkpoint that
 * does not fit (-p 2) is refused with exit 2. */
static GPid spawn_run(const char *const *args)
{
  GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(argv, rill_run_path());
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add(argv, g_strdup(args[i]));
  g_ptr_array_add(argv, NULL);
  GPid pid;
  GError *error = NULL;
  g_assert_true(g_spawn_async(NULL, (char **)argv->pdata, NULL, G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL |
                              G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &pid, &error));
  g_assert_no_error(error);
  g_ptr_array_unref(argv);
  return pid;
}

/* Waits for a complete checkpoint newer than @after, then drains the run. */
static void drain_after_checkpoint(GPid pid, const char *ck, guint64 after)
{
  gint64 deadline = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
  while (rill_checkpoint_latest(ck) <= after) {
    if (g_get_monotonic_time() > deadline)
      g_error("no checkpoint after %" G_GUINT64_FORMAT " within 30 s", after);
    g_usleep(5000);
  }
  kill(pid, SIGTERM);
  int status;
  g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
  g_spawn_close_pid(pid);
  g_assert_true(WIFEXITED(status));
  g_assert_cmpint(WEXITSTATUS(status), ==, 130); /* drained, but interrupted */
}

static void test_checkpoints(void)
{
  char *dir = make_tmp_dir();
  char *in = g_build_filename(dir, "in.txt", NULL), *out_path = g_build_filename(dir, "out.txt", NULL);
  char *ck = g_build_filename(dir, "ck", NULL);
  write_file(in, "a\nb\nc\n", -1);
  char *text = g_strdup_printf("file-src path=%s follow=true ! file-sink path=%s", in, out_path);
  const char *args[] = {"-q", "--checkpoint-dir", ck, "--checkpoint-interval", "20", text, NULL};

  drain_after_checkpoint(spawn_run(args), ck, 0);
  guint64 first = rill_checkpoint_latest(ck);
  char *contents = NULL;
  g_assert_true(g_file_get_contents(out_path, &contents, NULL, NULL));
  g_assert_cmpstr(contents, ==, "a\nb\nc\n");
  g_free(contents);

  write_file(in, "a\nb\nc\nd\ne\n", -1);
  drain_after_checkpoint(spawn_run(args), ck, first);
  g_assert_true(g_file_get_contents(out_path, &contents, NULL, NULL));
  g_assert_cmpstr(contents, ==, "a\nb\nc\nd\ne\n");
  g_free(contents);

  char *out = NULL, *err = NULL;
  g_assert_cmpint(run((const char *[]){"-q", "-p", "2", "--checkpoint-dir", ck, text, NULL}, &out, &err), ==, 2);
  g_assert_nonnull(strstr(err, "parallelism 1"));
  g_free(out);
  g_free(err);

  g_free(text);
  remove_tree(dir);
  g_free(dir);
  g_free(in);
  g_free(out_path);
  g_free(ck);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/rill-run/exit-codes", test_exit_codes);
  g_test_add_func("/rill-run/list-describe", test_list_describe);
  g_test_add_func("/rill-run/doc-reference", test_doc_reference);
  g_test_add_func("/rill-run/checkpoints", test_checkpoints);
  return g_test_run();
}
