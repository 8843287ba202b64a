/* waiter.c — sleeping until a condition published by another thread holds
 * (protocol in waiter.h). */
#include "runtime/waiter.h"

void rill__waiter_init(rill__waiter *w)
{
  g_mutex_init(&w->lock);
  g_cond_init(&w->cond);
  w->sleeping = 0;
}

void rill__waiter_clear(rill__waiter *w)
{
  g_mutex_clear(&w->lock);
  g_cond_clear(&w->cond);
}

void rill__waiter_wait(rill__waiter *w, gboolean (*ready)(void *data), void *data)
{
  g_mutex_lock(&w->lock);
  __atomic_store_n(&w->sleeping, 1, __ATOMIC_SEQ_CST);
  while (!ready(data))
    g_cond_wait_until(&w->cond, &w->lock, g_get_monotonic_time() + RILL__WAIT_SLICE_US);
  __atomic_store_n(&w->sleeping, 0, __ATOMIC_SEQ_CST);
  g_mutex_unlock(&w->lock);
}

gboolean rill__waiter_wait_until(rill__waiter *w, gboolean (*ready)(void *data), void *data, gint64 deadline_us)
{
  g_mutex_lock(&w->lock);
  __atomic_store_n(&w->sleeping, 1, __ATOMIC_SEQ_CST);
  gboolean ok;
  while (!(ok = ready(data)) && g_get_monotonic_time() < deadline_us)
    g_cond_wait_until(&w->cond, &w->lock, MIN(deadline_us, g_get_monotonic_time() + RILL__WAIT_SLICE_US));
  __atomic_store_n(&w->sleeping, 0, __ATOMIC_SEQ_CST);
  g_mutex_unlock(&w->lock);
  return ok;
}
