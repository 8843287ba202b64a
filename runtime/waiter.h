/* waiter.h — how a task thread sleeps until another thread has work for it.
 *
 * One waiter per task thread. The sleeper publishes `sleeping` and then
 * re-checks its condition under the mutex; a waker publishes its change
 * (a seq_cst store) and then, only if `sleeping` is set, takes the mutex and
 * broadcasts. With both sides seq_cst, either the waker sees the sleeper or
 * the sleeper sees the change (Dekker), so the fast path never locks and no
 * wakeup is lost. Sleeps are also bounded (RILL__WAIT_SLICE_US) as a guard.
 */
#pragma once

#include <glib.h>

#define RILL__WAIT_SLICE_US (50 * 1000)

typedef struct rill__waiter {
  GMutex lock;
  GCond cond;
  gint sleeping; /* atomic: 1 while the owner is inside rill__waiter_wait */
} rill__waiter;

void rill__waiter_init(rill__waiter *w);
void rill__waiter_clear(rill__waiter *w);
/* Returns when @ready(@data) is TRUE. Called only by the waiter's owner. */
void rill__waiter_wait(rill__waiter *w, gboolean (*ready)(void *data), void *data);
/* Same, but gives up at monotonic time @deadline_us: returns whether
 * @ready held. */
gboolean rill__waiter_wait_until(rill__waiter *w, gboolean (*ready)(void *data), void *data, gint64 deadline_us);
/* Wakes the owner if it sleeps. Call after publishing the change. */
static inline void rill__waiter_wake(rill__waiter *w)
{
  if (__atomic_load_n(&w->sleeping, __ATOMIC_SEQ_CST)) {
    g_mutex_lock(&w->lock);
    g_cond_broadcast(&w->cond);
    g_mutex_unlock(&w->lock);
  }
}
