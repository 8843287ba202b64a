/* loop.c — the broker's event loop: one epoll set on one I/O thread.
 *
 * Why one I/O thread: a request's work on this broker is small (decode,
 * a log append into the page cache, a range lookup) and Fetch data leaves by
 * sendfile() without touching user space, so one thread keeps a loopback
 * link busy while owning every connection, timer and group without locks.
 * Produce appends run here too, with rill_log_append_nowait: under
 * durability sync the log's sync thread does the fdatasync (one for every
 * append of every connection meanwhile: group commit) and its callback posts
 * the acknowledgement back, so a slow disk flush never stalls the loop. The
 * one fdatasync left on this thread is a segment roll's (once per segment,
 * durability interval or sync). Other blocking calls (OffsetCommit's atomic
 * file writes) go to a worker pool (conn.c: rill__broker_offload).
 *
 * Invariants: timers and posted functions run on the I/O thread only; a
 * timer runs at most once; posts made while the loop runs are run by it, and
 * posts made after it ended are run by rill_broker_stop(). A post made on
 * the I/O thread itself (an append there waking a parked Fetch) skips the
 * eventfd: the loop runs every queued post before it waits again, so the
 * wake costs no write, no extra epoll return and no read.
 */
#include "runtime/broker/broker-private.h"

#include <errno.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

struct rill__broker_timer {
  int64_t deadline_ms;
  uint64_t seq;          /* ties broken by creation order */
  GSequenceIter *iter;
  rill__broker_func func;
  void *user_data;
};

typedef struct {
  rill__broker_func func;
  void *user_data;
} rill__post;

int64_t rill__broker_now_ms(rill__broker *broker)
{
  return g_get_monotonic_time() / 1000 + broker->clock_skew_ms;
}

static gint timer_cmp(gconstpointer a, gconstpointer b, gpointer unused)
{
  const rill__broker_timer *x = a, *y = b;
  (void)unused;
  if (x->deadline_ms != y->deadline_ms)
    return x->deadline_ms < y->deadline_ms ? -1 : 1;
  return x->seq < y->seq ? -1 : (x->seq > y->seq);
}

rill__broker_timer *rill__broker_timer_add(rill__broker *broker, int64_t delay_ms, rill__broker_func func,
                                           void *user_data)
{
  rill__broker_timer *t = g_new0(rill__broker_timer, 1);
  t->deadline_ms = rill__broker_now_ms(broker) + MAX(delay_ms, 0);
  t->seq = broker->timer_seq++;
  t->func = func;
  t->user_data = user_data;
  t->iter = g_sequence_insert_sorted(broker->timers, t, timer_cmp, NULL);
  return t;
}

void rill__broker_timer_cancel(rill__broker *broker, rill__broker_timer *timer)
{
  (void)broker;
  if (!timer)
    return;
  g_sequence_remove(timer->iter);
  g_free(timer);
}

void rill__broker_post(rill__broker *broker, rill__broker_func func, void *user_data)
{
  rill__post *p = g_new(rill__post, 1);
  p->func = func;
  p->user_data = user_data;
  g_mutex_lock(&broker->post_lock);
  gboolean ended = broker->loop_ended;
  if (!ended)
    g_queue_push_tail(&broker->posts, p);
  g_mutex_unlock(&broker->post_lock);
  if (ended) {
    /* The loop is gone (rill_broker_stop is finishing): run it here. */
    func(user_data);
    g_free(p);
    return;
  }
  if (g_atomic_pointer_get(&broker->loop_thread) == g_thread_self())
    return; /* run before the loop waits again */
  uint64_t one = 1;
  while (write(broker->wake_fd, &one, sizeof one) < 0 && errno == EINTR) {
  }
}

/* Runs the queued posts, and those they post, until none is left. */
static void run_posts(rill__broker *b)
{
  for (;;) {
    g_mutex_lock(&b->post_lock);
    GQueue q = b->posts;
    g_queue_init(&b->posts);
    g_mutex_unlock(&b->post_lock);
    if (!q.head)
      return;
    rill__post *p;
    while ((p = g_queue_pop_head(&q))) {
      p->func(p->user_data);
      g_free(p);
    }
  }
}

/* @timeout_ms, or 0 when the I/O thread queued posts after its run_posts
 * (a timer's or a drain step's): they wrote no eventfd to end the wait. */
static int wait_timeout(rill__broker *b, int timeout_ms)
{
  g_mutex_lock(&b->post_lock);
  gboolean pending = b->posts.head != NULL;
  g_mutex_unlock(&b->post_lock);
  return pending ? 0 : timeout_ms;
}

void rill__broker_run_leftover_posts(rill__broker *b)
{
  g_mutex_lock(&b->post_lock);
  b->loop_ended = TRUE;
  g_mutex_unlock(&b->post_lock);
  run_posts(b);
}

static void run_timers(rill__broker *b)
{
  int64_t now = rill__broker_now_ms(b);
  for (;;) {
    GSequenceIter *it = g_sequence_get_begin_iter(b->timers);
    if (g_sequence_iter_is_end(it))
      return;
    rill__broker_timer *t = g_sequence_get(it);
    if (t->deadline_ms > now)
      return;
    g_sequence_remove(it);
    rill__broker_func f = t->func;
    void *ud = t->user_data;
    g_free(t);
    f(ud);
  }
}

static int next_timeout(rill__broker *b)
{
  GSequenceIter *it = g_sequence_get_begin_iter(b->timers);
  if (g_sequence_iter_is_end(it))
    return -1;
  rill__broker_timer *t = g_sequence_get(it);
  int64_t d = t->deadline_ms - rill__broker_now_ms(b);
  return (int)CLAMP(d, 0, 60000);
}

void rill__broker_loop_watch(rill__broker *b, int fd, uint32_t events, void *src, gboolean add)
{
  struct epoll_event ev = {.events = events, .data.ptr = src};
  if (epoll_ctl(b->epfd, add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &ev) < 0)
    g_warning("epoll_ctl(%d): %s", fd, g_strerror(errno));
}

void rill__broker_loop_unwatch(rill__broker *b, int fd)
{
  epoll_ctl(b->epfd, EPOLL_CTL_DEL, fd, NULL);
}

gboolean rill__broker_loop_init(rill__broker *b, GError **error)
{
  b->epfd = epoll_create1(EPOLL_CLOEXEC);
  b->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (b->epfd < 0 || b->wake_fd < 0) {
    g_set_error(error, RILL_BROKER_ERROR, RILL_BROKER_ERROR_LISTEN, "epoll/eventfd: %s", g_strerror(errno));
    return FALSE;
  }
  b->wake_kind = RILL__SRC_WAKE;
  b->timers = g_sequence_new(NULL);
  rill__broker_loop_watch(b, b->wake_fd, EPOLLIN, &b->wake_kind, TRUE);
  return TRUE;
}

void rill__broker_loop_clear(rill__broker *b)
{
  if (b->timers) {
    /* Timers left at the end belong to nobody that will run them. */
    GSequenceIter *it = g_sequence_get_begin_iter(b->timers);
    while (!g_sequence_iter_is_end(it)) {
      g_free(g_sequence_get(it));
      it = g_sequence_iter_next(it);
    }
    g_sequence_free(b->timers);
    b->timers = NULL;
  }
  if (b->epfd >= 0)
    close(b->epfd);
  if (b->wake_fd >= 0)
    close(b->wake_fd);
  b->epfd = b->wake_fd = -1;
}

static void reaper_tick(void *user_data)
{
  rill__broker *b = user_data;
  rill__broker_reap_idle(b);
  rill__broker_report_suppressed(b);
  b->reaper = rill__broker_timer_add(b, MIN(b->settings.connections_max_idle_ms / 4 + 1, 1000), reaper_tick, b);
}

/* Stop, step 1: no new connections or requests; parked work answers now. */
static void begin_drain(rill__broker *b)
{
  b->draining = TRUE;
  b->drain_deadline_ms = rill__broker_now_ms(b) + 10000;
  for (guint i = 0; i < b->listeners->len; i++) {
    rill__listener *l = b->listeners->pdata[i];
    if (l->fd >= 0)
      rill__broker_loop_unwatch(b, l->fd);
    rill__listener_close(l);
  }
  for (GList *l = b->conns.head; l; l = l->next)
    rill__broker_conn_pause_reading(l->data);
  rill__group_coordinator_shutdown(b->groups);
  rill__fetch_complete_all(b);
  rill__broker_event(b, "info", "stopping", "connections=%u", b->conns.length);
}

/* Stop, step 2: done when nothing is in flight and every answer is sent. */
static gboolean drained(rill__broker *b)
{
  if (b->n_offloaded > 0 || b->parked_fetches.length > 0)
    return FALSE;
  if (rill__broker_now_ms(b) > b->drain_deadline_ms)
    return TRUE;
  for (GList *l = b->conns.head; l; l = l->next) {
    rill__broker_conn *c = l->data;
    if (c->slots.length > 0)
      return FALSE;
  }
  return TRUE;
}

void rill__broker_loop_run(rill__broker *b)
{
  struct epoll_event evs[64];
  g_atomic_pointer_set(&b->loop_thread, g_thread_self());
  b->reaper = rill__broker_timer_add(b, 1000, reaper_tick, b);
  while (!b->quit) {
    int timeout = b->draining ? MIN(next_timeout(b), 50) : next_timeout(b);
    int n = epoll_wait(b->epfd, evs, G_N_ELEMENTS(evs), wait_timeout(b, timeout));
    if (n < 0 && errno != EINTR) {
      g_warning("epoll_wait: %s", g_strerror(errno));
      break;
    }
    for (int i = 0; i < n; i++) {
      rill__src_kind *kind = evs[i].data.ptr;
      switch (*kind) {
      case RILL__SRC_LISTEN:
        if (!b->draining)
          rill__broker_accept(b, (rill__listener *)kind);
        break;
      case RILL__SRC_WAKE: {
        uint64_t v;
        while (read(b->wake_fd, &v, sizeof v) < 0 && errno == EINTR) {
        }
        break;
      }
      case RILL__SRC_CONN:
        rill__broker_conn_event((rill__broker_conn *)kind, evs[i].events);
        break;
      }
    }
    run_posts(b);
    run_timers(b);
    rill__broker_resume_mem_waiting(b);
    rill__broker_stats_publish(b);
    if (!b->draining && g_atomic_int_get(&b->stop_requested))
      begin_drain(b);
    if (b->draining && drained(b))
      b->quit = TRUE;
  }
  rill__broker_timer_cancel(b, b->reaper);
  b->reaper = NULL;
  while (b->conns.head)
    rill__broker_conn_close(b->conns.head->data, "shutdown");
  rill__broker_event(b, "info", "stopped", NULL);
}

/* ---- Inline turns (broker-inline.h) ---- */

void rill__broker_loop_turn(rill__broker *b, int timeout_ms, gboolean expire_timers)
{
  struct epoll_event evs[64];
  g_atomic_pointer_set(&b->loop_thread, g_thread_self());
  int n = epoll_wait(b->epfd, evs, G_N_ELEMENTS(evs), wait_timeout(b, timeout_ms));
  for (int i = 0; i < n; i++) {
    rill__src_kind *kind = evs[i].data.ptr;
    if (*kind == RILL__SRC_LISTEN) {
      rill__broker_accept(b, (rill__listener *)kind);
    } else if (*kind == RILL__SRC_WAKE) {
      uint64_t v;
      while (read(b->wake_fd, &v, sizeof v) < 0 && errno == EINTR) {
      }
    } else {
      rill__broker_conn_event((rill__broker_conn *)kind, evs[i].events);
    }
  }
  run_posts(b);
  if (expire_timers) {
    /* The clock jumps to the earliest deadline: the code behind a timer
     * compares its own deadlines with this clock too. */
    GSequenceIter *it = g_sequence_get_begin_iter(b->timers);
    if (!g_sequence_iter_is_end(it))
      b->clock_skew_ms += MAX(0, ((rill__broker_timer *)g_sequence_get(it))->deadline_ms - rill__broker_now_ms(b));
  }
  run_timers(b);
  rill__broker_stats_publish(b);
}

