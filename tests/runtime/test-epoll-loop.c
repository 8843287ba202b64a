/* test-epoll-loop.c — runtime/epoll-loop.c on a real thread with real
 * sockets: sources in group contexts fire on the loop's thread with their
 * group as thread-default, two sources on one descriptor each get only the
 * events they asked for, a source attached from the loop's own thread to
 * another group (no poll() to interrupt) still fires, and a descriptor
 * number closed and reused is watched anew. */
#include "runtime/epoll-loop.h"

#include <glib-unix.h>
#include <sys/socket.h>
#include <unistd.h>

#define N 5 /* members, in groups of 2 */

typedef struct {
  rill__epoll_loop *loop;
  GMainContext *control;
  GThread *thread;
  gint quit;
  GMutex lock;
  GCond cond;
  int pairs[N][2];
  GMainContext *groups[N];
  int got_in[N], got_out[N];
  gboolean bad; /* a callback saw what it must not */
  int timeouts, reused;
  int reuse_pair[2];
  GSource *in0; /* member 0's input source */
} fx;

static gpointer run(gpointer data)
{
  fx *f = data;
  rill__epoll_loop_run(f->loop, &f->quit);
  return NULL;
}

/* Runs @fn on the loop's thread and waits for it. */
typedef struct {
  fx *f;
  void (*fn)(fx *);
  gboolean done;
} call;

static gboolean call_cb(gpointer data)
{
  call *c = data;
  c->fn(c->f);
  g_mutex_lock(&c->f->lock);
  c->done = TRUE;
  g_cond_broadcast(&c->f->cond);
  g_mutex_unlock(&c->f->lock);
  return G_SOURCE_REMOVE;
}

static void on_loop(fx *f, void (*fn)(fx *))
{
  call c = {f, fn, FALSE};
  g_main_context_invoke(f->control, call_cb, &c);
  g_mutex_lock(&f->lock);
  while (!c.done)
    g_cond_wait(&f->cond, &f->lock);
  g_mutex_unlock(&f->lock);
}

/* Waits until *@counter (under lock) reaches @want; FALSE after 10 s. */
static gboolean wait_for(fx *f, int *counter, int want)
{
  gint64 end = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
  g_mutex_lock(&f->lock);
  while (*counter < want && g_cond_wait_until(&f->cond, &f->lock, end))
    ;
  gboolean ok = *counter >= want;
  g_mutex_unlock(&f->lock);
  return ok;
}

static void bump(fx *f, int *counter)
{
  g_mutex_lock(&f->lock);
  (*counter)++;
  g_cond_broadcast(&f->cond);
  g_mutex_unlock(&f->lock);
}

typedef struct {
  fx *f;
  int i;
} member_arg;

static gboolean in_cb(gint fd, GIOCondition cond, gpointer data)
{
  member_arg *a = data;
  fx *f = a->f;
  char buf[16];
  if (read(fd, buf, sizeof buf) <= 0 || !(cond & G_IO_IN) || (cond & G_IO_OUT) ||
      g_main_context_get_thread_default() != f->groups[a->i] || g_thread_self() != f->thread)
    f->bad = TRUE;
  bump(f, &f->got_in[a->i]);
  return G_SOURCE_CONTINUE;
}

static gboolean out_cb(gint fd, GIOCondition cond, gpointer data)
{
  member_arg *a = data;
  if (cond & G_IO_IN)
    a->f->bad = TRUE;
  bump(a->f, &a->f->got_out[a->i]);
  return G_SOURCE_REMOVE; /* once: the socket stays writable */
}

static void add_members(fx *f)
{
  for (int i = 0; i < N; i++) {
    f->groups[i] = rill__epoll_loop_join(f->loop);
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, f->pairs[i]), ==, 0);
    member_arg *a = g_new(member_arg, 1);
    *a = (member_arg){f, i};
    /* both on the same descriptor, with different events */
    GSource *in = g_unix_fd_source_new(f->pairs[i][0], G_IO_IN);
    g_source_set_callback(in, G_SOURCE_FUNC(in_cb), a, g_free);
    g_source_attach(in, f->groups[i]);
    if (i == 0)
      f->in0 = g_source_ref(in);
    g_source_unref(in);
    GSource *out = g_unix_fd_source_new(f->pairs[i][0], G_IO_OUT);
    g_source_set_callback(out, G_SOURCE_FUNC(out_cb), g_memdup2(a, sizeof *a), g_free);
    g_source_attach(out, f->groups[i]);
    g_source_unref(out);
  }
  g_assert_true(f->groups[0] == f->groups[1] && f->groups[1] != f->groups[2] && f->groups[2] != f->groups[4]);
}

static gboolean timeout_cb(gpointer data)
{
  fx *f = data;
  if (g_thread_self() != f->thread)
    f->bad = TRUE;
  bump(f, &f->timeouts);
  return G_SOURCE_REMOVE;
}

/* From the loop's thread, into the last group, which sleeps meanwhile. */
static void add_timeout(fx *f)
{
  GSource *t = g_timeout_source_new(20);
  g_source_set_callback(t, timeout_cb, f, NULL);
  g_source_attach(t, f->groups[N - 1]);
  g_source_unref(t);
}

static gboolean reused_cb(gint fd, GIOCondition cond, gpointer data)
{
  fx *f = data;
  char buf[16];
  if (read(fd, buf, sizeof buf) <= 0)
    f->bad = TRUE;
  bump(f, &f->reused);
  return G_SOURCE_REMOVE;
}

/* Member 0's descriptor goes (its source removed, the socket closed) and
 * a new socket gets its number, all between two prepares of its group. */
static void reuse_fd(fx *f)
{
  int old = f->pairs[0][0], fresh[2];
  g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fresh), ==, 0);
  g_source_destroy(f->in0);
  g_source_unref(f->in0);
  close(old);
  g_assert_cmpint(dup2(fresh[0], old), ==, old);
  close(fresh[0]);
  f->reuse_pair[0] = old;
  f->reuse_pair[1] = fresh[1];
  GSource *in = g_unix_fd_source_new(f->reuse_pair[0], G_IO_IN);
  g_source_set_callback(in, G_SOURCE_FUNC(reused_cb), f, NULL);
  g_source_attach(in, f->groups[0]);
  g_source_unref(in);
}

static void test_loop(void)
{
  fx f = {0};
  g_mutex_init(&f.lock);
  g_cond_init(&f.cond);
  f.control = g_main_context_new();
  f.loop = rill__epoll_loop_new(f.control, 2);
  f.thread = g_thread_new("epoll-loop", run, &f);
  on_loop(&f, add_members);
  for (int i = 0; i < N; i++)
    g_assert_true(wait_for(&f, &f.got_out[i], 1)); /* writable at once */
  for (int round = 1; round <= 3; round++)
    for (int i = 0; i < N; i++) {
      g_assert_cmpint(write(f.pairs[i][1], "x", 1), ==, 1);
      g_assert_true(wait_for(&f, &f.got_in[i], round));
    }
  on_loop(&f, add_timeout);
  g_assert_true(wait_for(&f, &f.timeouts, 1));
  on_loop(&f, reuse_fd);
  g_assert_cmpint(write(f.reuse_pair[1], "y", 1), ==, 1);
  g_assert_true(wait_for(&f, &f.reused, 1));
  g_assert_false(f.bad);
  g_atomic_int_set(&f.quit, 1);
  g_main_context_wakeup(f.control);
  g_thread_join(f.thread);
  rill__epoll_loop_free(f.loop);
  g_main_context_unref(f.control);
  for (int i = 0; i < N; i++) {
    close(f.pairs[i][0]); /* [0][0] is the reused one */
    close(f.pairs[i][1]);
  }
  close(f.reuse_pair[1]);
  g_mutex_clear(&f.lock);
  g_cond_clear(&f.cond);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/epoll-loop/groups", test_loop);
  return g_test_run();
}
