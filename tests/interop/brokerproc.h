/* brokerproc.h — the C tests' way to run a real rill-broker process (the
 * Python tests use rillbroker.py): build/tools/rill-broker on 127.0.0.1
 * port 0 in a temp data dir, the bound port read from its "event=listening"
 * line, stopped with SIGTERM (must exit 0) and its directory removed.
 * Waits on conditions with a generous bound, never on a duration. */
#pragma once

#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/log/test-batch.h" /* test_tmpdir, test_rm_rf */

typedef struct {
  char *top;    /* temp dir: data/ and events.log */
  GPid pid;
  uint16_t port;
} brokerproc;

/* Starts rill-broker with @settings ("key=value" strings, NULL-terminated). */
static inline void brokerproc_start(brokerproc *b, const char *const *settings)
{
  memset(b, 0, sizeof *b);
  b->top = test_tmpdir();
  g_autofree char *dir = g_build_filename(b->top, "data", NULL);
  g_autofree char *events = g_build_filename(b->top, "events.log", NULL);
  g_autofree char *exe = g_build_filename(RILL_BINARY_DIR, "tools", "rill-broker", NULL);
  GPtrArray *argv = g_ptr_array_new();
  g_ptr_array_add(argv, exe);
  g_ptr_array_add(argv, "--data-dir");
  g_ptr_array_add(argv, dir);
  g_ptr_array_add(argv, "--listen");
  g_ptr_array_add(argv, "127.0.0.1:0");
  for (guint i = 0; settings && settings[i]; i++) {
    g_ptr_array_add(argv, "--set");
    g_ptr_array_add(argv, (char *)settings[i]);
  }
  g_ptr_array_add(argv, NULL);
  int out = open(events, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  g_assert_cmpint(out, >=, 0);
  GError *error = NULL;
  g_assert_true(g_spawn_async_with_fds(NULL, (char **)argv->pdata, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                                       &b->pid, -1, out, out, &error));
  g_assert_no_error(error);
  close(out);
  g_ptr_array_free(argv, TRUE);
  for (int i = 0; i < 6000 && b->port == 0; i++) {
    g_autofree char *text = NULL;
    g_file_get_contents(events, &text, NULL, NULL);
    const char *l = text ? strstr(text, "event=listening") : NULL;
    const char *p = l ? strstr(l, " port=") : NULL;
    if (p)
      b->port = (uint16_t)atoi(p + 6);
    else
      g_usleep(10000);
  }
  g_assert_cmpuint(b->port, >, 0);
}

/* TRUE while the process has not exited. */
static inline gboolean brokerproc_alive(const brokerproc *b)
{
  int status;
  return waitpid(b->pid, &status, WNOHANG) == 0;
}

/* SIGTERM; the graceful stop must exit 0. Removes the data directory. */
static inline void brokerproc_stop(brokerproc *b)
{
  int status = 0;
  kill(b->pid, SIGTERM);
  g_assert_cmpint(waitpid(b->pid, &status, 0), ==, b->pid);
  g_assert_true(WIFEXITED(status));
  g_assert_cmpint(WEXITSTATUS(status), ==, 0);
  g_spawn_close_pid(b->pid);
  test_rm_rf(b->top);
  g_free(b->top);
}
