/* test-group-e2e.c — consumer groups end to end: a rill broker on an
 * ephemeral 127.0.0.1 port, driven by real clients (python3-confluent-kafka
 * through tests/broker/group-e2e.py, and kcat -G). Three consumers split a
 * 6-partition topic, one leaves and the others take over, offsets are
 * committed; the rill-broker process is then killed (SIGKILL) and started
 * again on the same data directory, and a new consumer resumes exactly after
 * the committed offsets; kcat -G reads everything in a group of its own.
 */
#include <glib/gstdio.h>

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct {
  GPid pid;
  char *events; /* the broker's stdout, a file */
  int port;
} broker;

/* Starts build/tools/rill-broker on @dir and waits for its "listening" line. */
static broker start(const char *dir)
{
  broker b = {0};
  g_autofree char *top = g_path_get_dirname(dir);
  b.events = g_build_filename(top, "events.log", NULL);
  int out = open(b.events, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  g_assert_cmpint(out, >=, 0);
  g_autofree char *exe = g_build_filename(RILL_BINARY_DIR, "tools", "rill-broker", NULL);
  const char *argv[] = {exe, "--data-dir", dir, "--listen", "127.0.0.1:0",
                        "--set", "group.initial.rebalance.delay.ms=300", NULL};
  g_autoptr(GError) error = NULL;
  g_assert_true(g_spawn_async_with_fds(NULL, (char **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &b.pid,
                                       -1, out, -1, &error));
  g_assert_no_error(error);
  close(out);
  /* Wait on the condition (generously), not on a duration. */
  for (int i = 0; i < 3000 && b.port == 0; i++) {
    g_autofree char *text = NULL;
    g_file_get_contents(b.events, &text, NULL, NULL);
    const char *l = text ? strstr(text, "event=listening") : NULL;
    const char *p = l ? strstr(l, " port=") : NULL;
    if (p)
      b.port = atoi(p + 6);
    else
      g_usleep(10000);
  }
  g_assert_cmpint(b.port, >, 0);
  return b;
}

/* SIGTERM: a graceful stop must exit 0. SIGKILL: a crash. */
static void stop(broker *b, int sig)
{
  int status = 0;
  kill(b->pid, sig);
  g_assert_cmpint(waitpid(b->pid, &status, 0), ==, b->pid);
  if (sig == SIGTERM)
    g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  g_spawn_close_pid(b->pid);
  g_free(b->events);
}

static void run_phase(const broker *b, const char *phase)
{
  g_autofree char *script = g_build_filename(RILL_SOURCE_DIR, "tests", "broker", "group-e2e.py", NULL);
  g_autofree char *boot = g_strdup_printf("127.0.0.1:%d", b->port);
  const char *argv[] = {"/usr/bin/python3", script, boot, phase, NULL};
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = 0;
  g_autoptr(GError) error = NULL;
  g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error));
  g_assert_no_error(error);
  g_test_message("%s: %s%s", phase, out, err);
  if (!g_spawn_check_wait_status(status, NULL))
    g_error("phase %s failed:\n%s\n%s", phase, out, err);
}

static void rm_rf(const char *path)
{
  if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
    GDir *d = g_dir_open(path, 0, NULL);
    const char *n;
    while (d && (n = g_dir_read_name(d))) {
      g_autofree char *p = g_build_filename(path, n, NULL);
      rm_rf(p);
    }
    if (d)
      g_dir_close(d);
    g_rmdir(path);
  } else {
    g_unlink(path);
  }
}

static void test_e2e(void)
{
  g_autofree char *top = g_dir_make_tmp("rill-group-e2e-XXXXXX", NULL);
  g_autofree char *dir = g_build_filename(top, "data", NULL);
  broker b = start(dir);
  run_phase(&b, "split");
  /* Crash it: group metadata and offsets were written atomically. */
  stop(&b, SIGKILL);
  b = start(dir);
  run_phase(&b, "resume");
  run_phase(&b, "kcat");
  stop(&b, SIGTERM);
  rm_rf(top);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/group/e2e", test_e2e);
  return g_test_run();
}
