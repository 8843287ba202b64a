/* test-stdio.c — the stdin source and stdout sink in real shell pipes, with
 * a child process (stdio-cat) between a producer and a consumer. */
#include <glib.h>
#include <string.h>

#define CAT RILL_BINARY_DIR "/tests/rill-test-stdio-cat"

/* Runs @cmd under /bin/sh; returns stdout, stores stderr and exit status. */
static char *sh(const char *cmd, char **err_out, int *status)
{
  char *argv[] = {"/bin/sh", "-c", (char *)cmd, NULL};
  char *out = NULL, *err = NULL;
  GError *error = NULL;
  g_assert_true(g_spawn_sync(NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, status, &error));
  g_assert_no_error(error);
  if (err_out)
    *err_out = err;
  else
    g_free(err);
  return out;
}

static void test_lines_pipe(void)
{
  int status;
  char *out = sh("printf 'alpha\\n\\nbeta\\ngamma' | " CAT " lines | cat", NULL, &status);
  g_assert_cmpint(status, ==, 0);
  /* the last line had no newline: still a record, written with one */
  g_assert_cmpstr(out, ==, "alpha\n\nbeta\ngamma\n");
  g_free(out);
}

static void test_large_pipe_parallel(void)
{
  int status;
  /* 200000 numbered lines through P = 3 (stdin is one split: one reader task) */
  char *out = sh("seq 1 200000 | " CAT " lines 3 | awk '{s+=$1; n++} END {printf \"%d %.0f\\n\", n, s}'", NULL, &status);
  g_assert_cmpint(status, ==, 0);
  g_assert_cmpstr(out, ==, "200000 20000100000\n");
  g_free(out);
}

static void test_jsonl_dead_letters_on_stderr(void)
{
  int status;
  char *err = NULL;
  char *out = sh("printf '{\"a\":1}\\nnot json\\n{\"b\":2}\\n' | " CAT " jsonl", &err, &status);
  g_assert_cmpint(status, ==, 0);
  g_assert_cmpstr(out, ==, "{\"a\":1}\n{\"b\":2}\n");
  g_assert_nonnull(strstr(err, "\"reason\":\"malformed JSON"));
  g_assert_nonnull(strstr(err, "\"file\":\"-\",\"line\":2,\"offset\":8"));
  g_assert_nonnull(strstr(err, "\"value\":\"not json\""));
  g_free(out);
  g_free(err);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/stdio/lines-pipe", test_lines_pipe);
  g_test_add_func("/stdio/large-pipe-parallel", test_large_pipe_parallel);
  g_test_add_func("/stdio/jsonl-dead-letters-on-stderr", test_jsonl_dead_letters_on_stderr);
  return g_test_run();
}
