/* signals.c — SIGINT/SIGTERM for pipelines that asked (watch_signals).
 *
 * The handler only writes the signal number to a self-pipe; a watcher
 * thread reads it and notifies every watching pipeline (first signal:
 * drain, second: stop at once). Handlers are installed when the first
 * pipeline starts watching and the previous ones restored when the last
 * stops, so the registry never outlives its users and any number of
 * pipelines can watch at once.
 *
 * A signal counts from the moment the handler takes it, not when the
 * watcher thread reads it: the handler also bumps `taken`, and a pipeline
 * that stops watching before the watcher caught up (the signal came as its
 * run ended) is still marked interrupted (rill-run's exit 130).
 *
 * @locks registry_lock guards watchers, the pipe and the thread handle;
 * it is never held while joining the thread (the thread takes it).
 */
#define _GNU_SOURCE /* pipe2 */
#include "runtime/pipeline-private.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

static GMutex registry_lock;
static GPtrArray *watchers;            /* rill_pipeline, not refcounted */
static int wake_fd = -1;               /* write end, used by the handler */
static int pipe_fds[2] = {-1, -1};
static GThread *watcher;
static struct sigaction old_int, old_term;
static gint taken; /* atomic: signals the handler took, ever (lock-free, so handler-safe) */

static void on_signal(int signo)
{
  int saved = errno;
  __atomic_fetch_add(&taken, 1, __ATOMIC_SEQ_CST);
  char c = (char)signo;
  if (write(wake_fd, &c, 1) < 0) {
    /* Nothing safe to do in a handler; the signal is dropped. */
  }
  errno = saved;
}

static gpointer watcher_main(gpointer data)
{
  int fd = GPOINTER_TO_INT(data);
  for (;;) {
    char c;
    ssize_t n = read(fd, &c, 1);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0 || c == 0)
      return NULL;
    g_mutex_lock(&registry_lock);
    for (guint i = 0; watchers && i < watchers->len; i++)
      rill__pipeline_on_signal(watchers->pdata[i]);
    g_mutex_unlock(&registry_lock);
  }
}

void rill__pipeline_on_signal(rill_pipeline *p)
{
  gint n = g_atomic_int_add(&p->signals, 1) + 1;
  rill_pipeline_stop(p, n == 1);
}

void rill__signals_watch(rill_pipeline *p)
{
  g_mutex_lock(&registry_lock);
  if (!watchers) {
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
      int e = errno;
      g_mutex_unlock(&registry_lock);
      g_warning("pipeline '%s' runs without signal handling: cannot create a pipe: %s", p->name, g_strerror(e));
      return;
    }
    watchers = g_ptr_array_new();
    wake_fd = pipe_fds[1];
    watcher = g_thread_new("rill-signals", watcher_main, GINT_TO_POINTER(pipe_fds[0]));
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
  }
  p->signals_taken = __atomic_load_n(&taken, __ATOMIC_SEQ_CST);
  g_ptr_array_add(watchers, p);
  g_mutex_unlock(&registry_lock);
}

void rill__signals_unwatch(rill_pipeline *p)
{
  GThread *thread = NULL;
  int fds[2] = {-1, -1};
  g_mutex_lock(&registry_lock);
  if (!watchers || !g_ptr_array_remove(watchers, p)) {
    g_mutex_unlock(&registry_lock);
    return;
  }
  if (watchers->len == 0) {
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
  }
  /* A signal taken since p began watching that the watcher has not handed
   * on yet (it hands them on under registry_lock, so p->signals counts
   * every one it did). The run is ending: marking it is all that is left. */
  if (__atomic_load_n(&taken, __ATOMIC_SEQ_CST) != p->signals_taken && g_atomic_int_get(&p->signals) == 0)
    g_atomic_int_inc(&p->signals);
  if (watchers->len == 0) {
    g_ptr_array_unref(watchers);
    watchers = NULL;
    thread = watcher;
    watcher = NULL;
    fds[0] = pipe_fds[0];
    fds[1] = pipe_fds[1];
    pipe_fds[0] = pipe_fds[1] = wake_fd = -1;
  }
  g_mutex_unlock(&registry_lock);
  if (thread) {
    char stop = 0;
    if (write(fds[1], &stop, 1) != 1)
      g_warning("rill: cannot stop the signal watcher: %s", g_strerror(errno));
    g_thread_join(thread);
    close(fds[0]);
    close(fds[1]);
  }
}
