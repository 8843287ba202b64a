/* test-tools-http.c — `--http` on the tools, as processes: rill-broker
 * --http 127.0.0.1:0 announces its port, answers /readyz and /metrics
 * (promtool-clean) and still stops cleanly on SIGTERM; rill-run --http
 * serves /api/pipeline while a stdin pipeline runs and ends with it; a bad
 * address is refused before anything runs. */
#include <glib-unix.h>
#include <signal.h>
#include <sys/wait.h>

#include "tests/http/http-client.h"

static char *tool(const char *name)
{
  return g_strdup_printf("%s/tools/%s", RILL_BINARY_DIR, name);
}

/* Reads lines from @fd until one contains @prefix; returns the number after
 * "port=" or "(port " on it. */
static guint read_port(int fd, const char *prefix)
{
  GString *line = g_string_new(NULL);
  char ch;
  for (;;) {
    ssize_t n = read(fd, &ch, 1);
    if (n <= 0)
      g_error("the tool ended before printing %s (got: %s)", prefix, line->str);
    if (ch != '\n') {
      g_string_append_c(line, ch);
      continue;
    }
    if (strstr(line->str, prefix)) {
      const char *p = strstr(line->str, "port=");
      p = p ? p + 5 : strstr(line->str, "(port ") + 6;
      guint port = (guint)atoi(p);
      g_string_free(line, TRUE);
      return port;
    }
    g_string_truncate(line, 0);
  }
}

static void test_broker(void)
{
  GError *e = NULL;
  g_autofree char *dir = g_dir_make_tmp("rill-tools-http-XXXXXX", &e);
  g_autofree char *bin = tool("rill-broker");
  const char *argv[] = {bin, "--data-dir", dir, "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0", NULL};
  GPid pid;
  int out;
  g_assert_true(g_spawn_async_with_pipes(NULL, (char **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid, NULL,
                                         &out, NULL, &e));
  g_assert_no_error(e);
  guint port = read_port(out, "event=http_listening");
  g_assert_cmpuint(port, >, 0);
  SoupSession *session = soup_session_new();
  g_autofree char *ready = NULL;
  /* The listener binds before the broker starts: ready follows shortly. */
  for (int i = 0; i < 500; i++) {
    g_autofree char *url = g_strdup_printf("http://127.0.0.1:%u/readyz", port);
    guint status;
    g_free(ready);
    ready = hc_fetch(session, "GET", url, NULL, &status, NULL);
    if (status == 200)
      break;
    g_usleep(10000);
  }
  g_assert_nonnull(strstr(ready, "\"ready\":true"));
  g_autofree char *metrics = hc_get(session, port, "/metrics", 200);
  hc_promtool_check(metrics);
  g_assert_nonnull(strstr(metrics, "rill_broker_connections 0\n"));
  g_autofree char *index = hc_get(session, port, "/", 200);
  g_assert_nonnull(strstr(index, "<title>rill console</title>"));
  g_object_unref(session);
  kill(pid, SIGTERM);
  int status;
  g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
  g_assert_true(WIFEXITED(status));
  g_assert_cmpint(WEXITSTATUS(status), ==, 0);
  g_spawn_close_pid(pid);
  close(out);
  g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", dir);
  g_assert_cmpint(system(cmd), ==, 0);
}

static void test_run(void)
{
  GError *e = NULL;
  g_autofree char *bin = tool("rill-run");
  const char *argv[] = {bin, "--quiet", "--http", "127.0.0.1:0", "stdin-src name=in ! stdout-sink name=out", NULL};
  GPid pid;
  int in, out, err;
  g_assert_true(g_spawn_async_with_pipes(NULL, (char **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid, &in,
                                         &out, &err, &e));
  g_assert_no_error(e);
  guint port = read_port(err, "rill-run: serving HTTP on 127.0.0.1:0");
  g_assert_true(write(in, "a\nb\nc\n", 6) == 6);
  SoupSession *session = soup_session_new();
  g_autofree char *graph = NULL;
  for (int i = 0; i < 500; i++) { /* until the three lines went through */
    g_free(graph);
    graph = hc_get(session, port, "/api/pipeline", 200);
    if (strstr(graph, "\"name\":\"out\",\"type\":\"stdout-sink\",\"role\":\"sink\",\"inputs\":[\"in\"],\"chain\":0,"
                      "\"records_in\":3,"))
      break;
    g_usleep(10000);
  }
  g_assert_nonnull(strstr(graph, "\"records_in\":3,"));
  g_autofree char *ready = hc_get(session, port, "/readyz", 200);
  g_assert_nonnull(strstr(ready, "\"ready\":true"));
  g_object_unref(session);
  close(in); /* end of input: the pipeline ends, and rill-run with it */
  int status;
  g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
  g_assert_true(WIFEXITED(status));
  g_assert_cmpint(WEXITSTATUS(status), ==, 0);
  g_spawn_close_pid(pid);
  char buf[16] = {0};
  g_assert_cmpint(read(out, buf, sizeof buf - 1), ==, 6);
  g_assert_cmpstr(buf, ==, "a\nb\nc\n");
  close(out);
  close(err);
}

static void test_bad_address(void)
{
  g_autofree char *bin = tool("rill-run");
  const char *argv[] = {bin, "--quiet", "--http", "nowhere", "stdin-src ! stdout-sink", NULL};
  g_autofree char *err = NULL;
  int status;
  GError *e = NULL;
  g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDIN_FROM_DEV_NULL, NULL, NULL, NULL, &err, &status,
                             &e));
  g_assert_true(WIFEXITED(status));
  g_assert_cmpint(WEXITSTATUS(status), ==, 2);
  g_assert_nonnull(strstr(err, "bad HTTP listen address 'nowhere'"));
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/tools-http/rill-broker", test_broker);
  g_test_add_func("/tools-http/rill-run", test_run);
  g_test_add_func("/tools-http/bad-address", test_bad_address);
  return g_test_run();
}
