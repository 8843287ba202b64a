/* epoll-loop.c — a GPollFunc backed by epoll (epoll-loop.h).
 *
 * Invariants (per thread, in `state`):
 * - slots[fd].registered says the fd is in the epoll set with
 *   slots[fd].events; `active` lists exactly the registered fds.
 * - Each call: every fd GLib passes is (re)registered with the union of
 *   its entries' events; a registered fd GLib no longer passes is removed
 *   (a closed fd leaves the set by itself: the DEL then fails harmlessly).
 * - A ready fd's events go to every entry with that fd, masked by what the
 *   entry asked (plus ERR/HUP, as poll() reports them always).
 * G_IO_* and EPOLL* share their values for IN, PRI, OUT, ERR, HUP on Linux.
 */
#include "runtime/epoll-loop.h"

#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

typedef struct {
  guint32 events;   /* registered with */
  guint32 want;     /* this call: union of the entries' events */
  guint gen;        /* the call that last saw the fd */
  int head;         /* this call: first entry index with this fd */
  gboolean registered;
  gboolean nval;    /* this call: the fd is not open */
} slot;

typedef struct {
  int epfd;
  guint gen;
  GArray *slots;  /* slot, indexed by fd */
  GArray *active; /* int: registered fds */
  GArray *next;   /* int per entry: next entry with the same fd, -1 */
  GArray *evs;    /* struct epoll_event */
} state;

static __thread state *current; /* the running rill__epoll_loop_run's */

#define RELEVANT (EPOLLIN | EPOLLPRI | EPOLLOUT | EPOLLERR | EPOLLHUP)

static slot *slot_for(state *st, int fd)
{
  if ((guint)fd >= st->slots->len) {
    guint old = st->slots->len;
    g_array_set_size(st->slots, MAX((guint)fd + 1, old * 2));
    for (guint i = old; i < st->slots->len; i++)
      g_array_index(st->slots, slot, i) = (slot){0};
  }
  return &g_array_index(st->slots, slot, fd);
}

static void sync_fd(state *st, int fd, slot *s)
{
  struct epoll_event ev = {.events = s->want, .data.fd = fd};
  if (s->registered && s->events == s->want)
    return;
  int op = s->registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
  int rc = epoll_ctl(st->epfd, op, fd, &ev);
  if (rc < 0 && errno == ENOENT) /* closed and reopened under the same number */
    rc = epoll_ctl(st->epfd, EPOLL_CTL_ADD, fd, &ev);
  else if (rc < 0 && errno == EEXIST)
    rc = epoll_ctl(st->epfd, EPOLL_CTL_MOD, fd, &ev);
  if (rc < 0) {
    /* not pollable by epoll (EBADF: not open; EPERM: a regular file):
     * poll() would say NVAL for the first, readiness for the second */
    s->nval = errno == EBADF;
    if (s->registered) {
      s->registered = FALSE;
      for (guint i = 0; i < st->active->len; i++)
        if (g_array_index(st->active, int, i) == fd) {
          g_array_remove_index_fast(st->active, i);
          break;
        }
    }
    return;
  }
  if (!s->registered)
    g_array_append_val(st->active, fd);
  s->registered = TRUE;
  s->events = s->want;
}

static gint epoll_poll(GPollFD *ufds, guint nfds, gint timeout)
{
  state *st = current;
  if (!st)
    return g_poll(ufds, nfds, timeout);
  guint gen = ++st->gen;
  if (st->next->len < nfds)
    g_array_set_size(st->next, nfds);
  int *next = (int *)(void *)st->next->data;
  for (guint i = 0; i < nfds; i++) {
    ufds[i].revents = 0;
    next[i] = -1;
    int fd = ufds[i].fd;
    if (fd < 0)
      continue;
    slot *s = slot_for(st, fd);
    if (s->gen != gen) {
      s->gen = gen;
      s->want = 0;
      s->head = -1;
      s->nval = FALSE;
    }
    s->want |= ufds[i].events & RELEVANT;
    next[i] = s->head;
    s->head = (int)i;
  }
  gboolean unpollable = FALSE;
  for (guint i = 0; i < nfds; i++) {
    int fd = ufds[i].fd;
    if (fd < 0)
      continue;
    slot *s = &g_array_index(st->slots, slot, fd);
    if (s->head != (int)i) /* once per fd: at its last entry */
      continue;
    sync_fd(st, fd, s);
    unpollable |= !s->registered;
  }
  for (guint i = 0; i < st->active->len;) {
    int fd = g_array_index(st->active, int, i);
    slot *s = &g_array_index(st->slots, slot, fd);
    if (s->gen == gen) {
      i++;
      continue;
    }
    epoll_ctl(st->epfd, EPOLL_CTL_DEL, fd, NULL);
    s->registered = FALSE;
    g_array_remove_index_fast(st->active, i);
  }
  if (st->evs->len < MAX(nfds, 16))
    g_array_set_size(st->evs, MAX(nfds, 16));
  int n = epoll_wait(st->epfd, (struct epoll_event *)(void *)st->evs->data, (int)st->evs->len,
                     unpollable ? 0 : timeout);
  if (n < 0)
    return -1; /* errno EINTR: GLib iterates again */
  gint ready = 0;
  for (int k = 0; k < n; k++) {
    struct epoll_event *ev = &g_array_index(st->evs, struct epoll_event, k);
    int fd = ev->data.fd;
    if ((guint)fd >= st->slots->len)
      continue;
    slot *s = &g_array_index(st->slots, slot, fd);
    if (s->gen != gen)
      continue;
    for (int j = s->head; j >= 0; j = next[j]) {
      ufds[j].revents = (gushort)(ev->events & (ufds[j].events | EPOLLERR | EPOLLHUP) & RELEVANT);
      ready += ufds[j].revents != 0;
    }
  }
  if (unpollable) /* what epoll cannot hold, as poll() would answer */
    for (guint i = 0; i < nfds; i++) {
      int fd = ufds[i].fd;
      if (fd < 0 || g_array_index(st->slots, slot, fd).registered)
        continue;
      ufds[i].revents = g_array_index(st->slots, slot, fd).nval ? G_IO_NVAL : (ufds[i].events & (G_IO_IN | G_IO_OUT));
      ready += ufds[i].revents != 0;
    }
  return ready;
}

void rill__epoll_loop_run(GMainContext *context, gint *quit)
{
  state st = {0};
  st.epfd = epoll_create1(EPOLL_CLOEXEC);
  st.slots = g_array_new(FALSE, TRUE, sizeof(slot));
  st.active = g_array_new(FALSE, FALSE, sizeof(int));
  st.next = g_array_new(FALSE, FALSE, sizeof(int));
  st.evs = g_array_new(FALSE, FALSE, sizeof(struct epoll_event));
  if (st.epfd >= 0) {
    current = &st;
    g_main_context_set_poll_func(context, epoll_poll);
  }
  g_main_context_push_thread_default(context);
  while (!g_atomic_int_get(quit))
    g_main_context_iteration(context, TRUE);
  g_main_context_pop_thread_default(context);
  current = NULL;
  if (st.epfd >= 0)
    close(st.epfd);
  g_array_unref(st.slots);
  g_array_unref(st.active);
  g_array_unref(st.next);
  g_array_unref(st.evs);
}
