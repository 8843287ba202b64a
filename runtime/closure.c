/* closure.c — the user function + data pair behind built-in stages. */
#include "runtime/pipeline-private.h"

rill__closure *rill__closure_new(void (*fn)(void), const void *klass, void *user_data, GDestroyNotify destroy)
{
  rill__closure *c = g_new(rill__closure, 1);
  c->fn = fn;
  c->klass = klass;
  c->user_data = user_data;
  c->destroy = destroy;
  return c;
}

void rill__closure_free(gpointer closure)
{
  rill__closure *c = closure;
  if (c->destroy)
    c->destroy(c->user_data);
  g_free(c);
}
