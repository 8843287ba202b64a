/* broker-proc.h — run a real rill-broker process for a test: a fresh data
 * directory, port 0, event lines to a file from which the bound port is read;
 * stop with SIGTERM and check the graceful exit status. */
#pragma once

#include <gio/gio.h>
#include <glib.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>

#include "tests/log/test-batch.h"

typedef struct {
  char *dir;
  char *log_path;
  GSubprocess *proc;
  uint16_t port;
  char *bootstrap; /* "127.0.0.1:PORT" */
} broker_proc;

/* A test that fails must not leave its broker behind. @nofile (may be
 * NULL): the RLIMIT_NOFILE the broker starts with. */
static inline void die_with_parent(gpointer nofile)
{
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (nofile)
    setrlimit(RLIMIT_NOFILE, nofile);
}

/* Starts the broker with open files limited to @nofile (NULL: inherited). */
static inline void broker_proc_start_nofile(broker_proc *b, const char *const *extra_args, const struct rlimit *nofile)
{
  GError *e = NULL;
  b->dir = test_tmpdir();
  b->log_path = g_build_filename(b->dir, "broker.out", NULL);
  char *data = g_build_filename(b->dir, "data", NULL);
  char *exe = g_build_filename(RILL_BINARY_DIR, "tools", "rill-broker", NULL);
  GPtrArray *argv = g_ptr_array_new();
  g_ptr_array_add(argv, exe);
  g_ptr_array_add(argv, (char *)"--data-dir");
  g_ptr_array_add(argv, data);
  g_ptr_array_add(argv, (char *)"--listen");
  g_ptr_array_add(argv, (char *)"127.0.0.1:0");
  for (guint i = 0; extra_args && extra_args[i]; i++)
    g_ptr_array_add(argv, (char *)extra_args[i]);
  g_ptr_array_add(argv, NULL);
  GSubprocessLauncher *l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_set_child_setup(l, die_with_parent, (gpointer)nofile, NULL);
  g_subprocess_launcher_set_stdout_file_path(l, b->log_path);
  b->proc = g_subprocess_launcher_spawnv(l, (const char *const *)argv->pdata, &e);
  g_assert_no_error(e);
  g_object_unref(l);
  g_ptr_array_free(argv, TRUE);
  g_free(exe);
  g_free(data);
  /* Wait for "event=listening ... port=N" (bounded: a broker that never
   * listens fails the test). */
  for (int i = 0; i < 2000 && !b->port; i++) {
    char *text = NULL;
    if (g_file_get_contents(b->log_path, &text, NULL, NULL)) {
      const char *m = strstr(text, "event=listening");
      const char *p = m ? strstr(m, " port=") : NULL;
      if (p)
        b->port = (uint16_t)atoi(p + 6);
    }
    g_free(text);
    if (!b->port) {
      g_assert_nonnull(g_subprocess_get_identifier(b->proc)); /* still running */
      g_usleep(10000);
    }
  }
  g_assert_cmpuint(b->port, >, 0);
  b->bootstrap = g_strdup_printf("127.0.0.1:%u", b->port);
}

static inline void broker_proc_start(broker_proc *b, const char *const *extra_args)
{
  broker_proc_start_nofile(b, extra_args, NULL);
}

/* TRUE while the process runs (GSubprocess reaps it on GLib's worker thread,
 * which clears the identifier once it has exited). */
static inline gboolean broker_proc_alive(const broker_proc *b)
{
  return g_subprocess_get_identifier(b->proc) != NULL;
}

/* SIGTERM, then the exit status must be 0 (graceful shutdown). */
static inline void broker_proc_stop(broker_proc *b)
{
  GError *e = NULL;
  g_subprocess_send_signal(b->proc, SIGTERM);
  g_assert_true(g_subprocess_wait(b->proc, NULL, &e));
  g_assert_no_error(e);
  g_assert_true(g_subprocess_get_if_exited(b->proc));
  g_assert_cmpint(g_subprocess_get_exit_status(b->proc), ==, 0);
  char *text = NULL;
  g_assert_true(g_file_get_contents(b->log_path, &text, NULL, NULL));
  g_assert_nonnull(strstr(text, "event=stopped"));
  g_free(text);
  g_object_unref(b->proc);
  test_rm_rf(b->dir);
  g_free(b->dir);
  g_free(b->log_path);
  g_free(b->bootstrap);
}

/* Runs @argv with @input on stdin; returns stdout (g_free); asserts exit 0. */
static inline char *run_tool(const char *const *argv, const char *input)
{
  GError *e = NULL;
  GSubprocess *p = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                               G_SUBPROCESS_FLAGS_STDERR_PIPE, &e);
  g_assert_no_error(e);
  char *out = NULL, *err = NULL;
  g_assert_true(g_subprocess_communicate_utf8(p, input ? input : "", NULL, &out, &err, &e));
  g_assert_no_error(e);
  if (!g_subprocess_get_if_exited(p) || g_subprocess_get_exit_status(p) != 0)
    g_error("%s failed:\nstdout:\n%s\nstderr:\n%s", argv[0], out, err);
  g_free(err);
  g_object_unref(p);
  return out;
}
