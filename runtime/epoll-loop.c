/* epoll-loop.c — many small GMainContexts on one thread, through epoll
 * (epoll-loop.h).
 *
 * Per context (`member`): `fds` are what g_main_context_query() asked for
 * at the last prepare; `epfd` holds each of those descriptors once, with
 * the union of the events of its entries; a ready descriptor's events go
 * to every entry with that descriptor, masked by what the entry asked plus
 * ERR/HUP, as poll() would report them. G_IO_* and EPOLL* share their
 * values for IN, PRI, OUT, ERR and HUP on Linux.
 *
 * Every prepare re-registers every descriptor (MOD, or ADD when the kernel
 * no longer has it): a descriptor closed and its number reused between two
 * prepares (a connection gone, another accepted into the same group) has
 * left the epoll set with the old file, and nothing else tells us.
 * Prepares happen only for contexts that had something to do, so this is
 * a group's worth of epoll_ctl per event, not one per connection.
 *
 * A context is `stale` after it was dispatched (or at start): the next
 * round prepares and queries it again. `deadline` is when its earliest
 * timeout falls due (0: at once, G_MAXINT64: never).
 */
#include "runtime/epoll-loop.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <unistd.h>

#define RELEVANT (EPOLLIN | EPOLLPRI | EPOLLOUT | EPOLLERR | EPOLLHUP)

typedef struct {
  guint32 want;   /* this prepare: union of the entries' events */
  guint gen;      /* the prepare that last saw the fd */
  int head;       /* this prepare: an entry with this fd; next[] chains the rest */
  gboolean registered;
  gboolean unpollable; /* epoll refused it (a closed fd, a regular file) */
} slot;

typedef struct {
  GMainContext *ctx;
  int epfd;
  guint members;
  gboolean acquired, stale;
  gint prio;
  gint64 deadline;
  GPollFD *fds;
  gint nfds, cap;
  int *next;      /* per entry */
  guint gen;
  GArray *slots;  /* slot, indexed by fd */
  GArray *active; /* int: registered fds */
  gboolean any_unpollable;
} member;

struct rill__epoll_loop {
  int epfd; /* holds each member's epfd */
  guint group_size;
  GPtrArray *members; /* member*; [0] is the control context */
  struct epoll_event *evs;
  guint evcap;
};

static member *member_new(rill__epoll_loop *l, GMainContext *ctx)
{
  member *m = g_new0(member, 1);
  m->ctx = ctx;
  m->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (m->epfd < 0)
    g_error("epoll_create1: %s", g_strerror(errno));
  m->stale = TRUE;
  m->slots = g_array_new(FALSE, TRUE, sizeof(slot));
  m->active = g_array_new(FALSE, FALSE, sizeof(int));
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = m};
  if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, m->epfd, &ev) < 0)
    g_error("epoll_ctl: %s", g_strerror(errno));
  g_ptr_array_add(l->members, m);
  return m;
}

static void member_free(member *m)
{
  close(m->epfd);
  g_array_unref(m->slots);
  g_array_unref(m->active);
  g_free(m->fds);
  g_free(m->next);
  g_main_context_unref(m->ctx);
  g_free(m);
}

rill__epoll_loop *rill__epoll_loop_new(GMainContext *control, guint group_size)
{
  rill__epoll_loop *l = g_new0(rill__epoll_loop, 1);
  l->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (l->epfd < 0)
    g_error("epoll_create1: %s", g_strerror(errno));
  l->group_size = MAX(group_size, 1);
  l->members = g_ptr_array_new_with_free_func((GDestroyNotify)member_free);
  member_new(l, g_main_context_ref(control));
  return l;
}

void rill__epoll_loop_free(rill__epoll_loop *l)
{
  if (!l)
    return;
  /* what the groups still hold (idle closures, libsoup's teardown) runs
   * and is freed before the contexts go */
  for (guint i = 1; i < l->members->len; i++) {
    GMainContext *ctx = ((member *)l->members->pdata[i])->ctx;
    while (g_main_context_iteration(ctx, FALSE))
      ;
  }
  g_ptr_array_unref(l->members);
  close(l->epfd);
  g_free(l->evs);
  g_free(l);
}

GMainContext *rill__epoll_loop_join(rill__epoll_loop *l)
{
  member *best = NULL;
  for (guint i = 1; i < l->members->len; i++) {
    member *m = l->members->pdata[i];
    if (m->members < l->group_size && (!best || m->members < best->members))
      best = m;
  }
  if (!best)
    best = member_new(l, g_main_context_new_with_flags(G_MAIN_CONTEXT_FLAGS_OWNERLESS_POLLING));
  best->members++;
  return best->ctx;
}

void rill__epoll_loop_leave(rill__epoll_loop *l, GMainContext *group)
{
  for (guint i = 1; i < l->members->len; i++) {
    member *m = l->members->pdata[i];
    if (m->ctx == group) {
      g_return_if_fail(m->members > 0);
      m->members--;
      return;
    }
  }
  g_return_if_reached();
}

static gboolean fcntl_closed(int fd)
{
  return fcntl(fd, F_GETFD) < 0 && errno == EBADF;
}

static slot *slot_for(member *m, int fd)
{
  if ((guint)fd >= m->slots->len)
    g_array_set_size(m->slots, MAX((guint)fd + 1, m->slots->len * 2)); /* zeroed */
  return &g_array_index(m->slots, slot, fd);
}

static void drop_active(member *m, int fd)
{
  for (guint i = 0; i < m->active->len; i++)
    if (g_array_index(m->active, int, i) == fd) {
      g_array_remove_index_fast(m->active, i);
      return;
    }
}

static void sync_fd(member *m, int fd, slot *s)
{
  struct epoll_event ev = {.events = s->want, .data.fd = fd};
  int rc = epoll_ctl(m->epfd, s->registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev);
  if (rc < 0 && errno == ENOENT) /* closed and reopened under the same number */
    rc = epoll_ctl(m->epfd, EPOLL_CTL_ADD, fd, &ev);
  else if (rc < 0 && errno == EEXIST)
    rc = epoll_ctl(m->epfd, EPOLL_CTL_MOD, fd, &ev);
  if (rc < 0) {
    s->unpollable = TRUE;
    m->any_unpollable = TRUE;
    if (s->registered)
      drop_active(m, fd);
    s->registered = FALSE;
    return;
  }
  if (!s->registered)
    g_array_append_val(m->active, fd);
  s->registered = TRUE;
}

/* prepare + query, then the epoll set follows the descriptors asked for */
static void prepare(member *m, gint64 now)
{
  if (!m->acquired)
    m->acquired = g_main_context_acquire(m->ctx);
  gboolean ready = g_main_context_prepare(m->ctx, &m->prio);
  gint timeout;
  for (;;) {
    m->nfds = g_main_context_query(m->ctx, m->prio, &timeout, m->fds, m->cap);
    if (m->nfds <= m->cap)
      break;
    m->cap = MAX(m->nfds, 2 * m->cap);
    m->fds = g_renew(GPollFD, m->fds, m->cap);
    m->next = g_renew(int, m->next, m->cap);
  }
  guint gen = ++m->gen;
  m->any_unpollable = FALSE;
  for (gint i = 0; i < m->nfds; i++) {
    m->next[i] = -1;
    int fd = m->fds[i].fd;
    if (fd < 0)
      continue;
    slot *s = slot_for(m, fd);
    if (s->gen != gen) {
      s->gen = gen;
      s->want = 0;
      s->head = -1;
      s->unpollable = FALSE;
    }
    s->want |= m->fds[i].events & RELEVANT;
    m->next[i] = s->head;
    s->head = i;
  }
  for (gint i = 0; i < m->nfds; i++) {
    int fd = m->fds[i].fd;
    slot *s = fd >= 0 ? &g_array_index(m->slots, slot, fd) : NULL;
    if (s && s->head == i) /* once per fd */
      sync_fd(m, fd, s);
  }
  for (guint i = 0; i < m->active->len;) {
    int fd = g_array_index(m->active, int, i);
    slot *s = &g_array_index(m->slots, slot, fd);
    if (s->gen == gen) {
      i++;
      continue;
    }
    epoll_ctl(m->epfd, EPOLL_CTL_DEL, fd, NULL); /* fails harmlessly when already closed */
    s->registered = FALSE;
    g_array_remove_index_fast(m->active, i);
  }
  m->deadline = ready || timeout == 0 || m->any_unpollable ? 0
                : timeout < 0                            ? G_MAXINT64
                                                         : now + (gint64)timeout * 1000;
  m->stale = FALSE;
}

/* the ready descriptors' events into fds, then check and dispatch */
static void dispatch(rill__epoll_loop *l, member *m)
{
  for (gint i = 0; i < m->nfds; i++)
    m->fds[i].revents = 0;
  if ((guint)m->nfds + 1 > l->evcap) {
    l->evcap = MAX((guint)m->nfds + 1, 2 * l->evcap);
    l->evs = g_renew(struct epoll_event, l->evs, l->evcap);
  }
  int n = m->nfds ? epoll_wait(m->epfd, l->evs, (int)l->evcap, 0) : 0;
  for (int k = 0; k < n; k++) {
    int fd = l->evs[k].data.fd;
    slot *s = &g_array_index(m->slots, slot, fd);
    if (s->gen != m->gen)
      continue;
    for (int j = s->head; j >= 0; j = m->next[j])
      m->fds[j].revents = (gushort)(l->evs[k].events & (m->fds[j].events | EPOLLERR | EPOLLHUP) & RELEVANT);
  }
  if (m->any_unpollable) /* as poll() answers for them */
    for (gint i = 0; i < m->nfds; i++) {
      int fd = m->fds[i].fd;
      if (fd >= 0 && g_array_index(m->slots, slot, fd).unpollable)
        m->fds[i].revents = fcntl_closed(fd) ? G_IO_NVAL : (m->fds[i].events & (G_IO_IN | G_IO_OUT));
    }
  /* libsoup attaches a connection's sources to the thread-default context
   * whenever it (re)starts one, e.g. the input source after a message */
  g_main_context_push_thread_default(m->ctx);
  if (g_main_context_check(m->ctx, m->prio, m->fds, m->nfds))
    g_main_context_dispatch(m->ctx);
  g_main_context_pop_thread_default(m->ctx);
  m->stale = TRUE;
}

void rill__epoll_loop_run(rill__epoll_loop *l, gint *quit)
{
  member *control = l->members->pdata[0];
  g_main_context_push_thread_default(control->ctx);
  struct epoll_event ready[64];
  while (!g_atomic_int_get(quit)) {
    gint64 now = g_get_monotonic_time(), first = G_MAXINT64;
    /* members may be added by dispatches below: index, not iterator */
    for (guint i = 0; i < l->members->len; i++) {
      member *m = l->members->pdata[i];
      if (m->stale)
        prepare(m, now);
      first = MIN(first, m->deadline);
    }
    int timeout = first == G_MAXINT64 ? -1 : first <= now ? 0 : (int)MIN((first - now + 999) / 1000, G_MAXINT);
    int n = epoll_wait(l->epfd, ready, G_N_ELEMENTS(ready), timeout);
    if (n < 0 && errno != EINTR)
      g_error("epoll_wait: %s", g_strerror(errno));
    for (int k = 0; k < n; k++) {
      member *m = ready[k].data.ptr;
      if (!m->stale)
        dispatch(l, m);
    }
    now = g_get_monotonic_time();
    for (guint i = 0; i < l->members->len; i++) {
      member *m = l->members->pdata[i];
      if (!m->stale && m->deadline <= now)
        dispatch(l, m);
    }
  }
  for (guint i = 0; i < l->members->len; i++) {
    member *m = l->members->pdata[i];
    if (m->acquired)
      g_main_context_release(m->ctx);
    m->acquired = FALSE;
    m->stale = TRUE;
  }
  g_main_context_pop_thread_default(control->ctx);
}
