/* scratch.c — the per-task bump arena of scratch.h.
 *
 * Blocks are chained newest first; a request larger than a default block
 * gets a block of its own size. Reset frees every block but the largest,
 * which becomes the current block again.
 */
#include "operators/scratch.h"

#include <string.h>

#define BLOCK_SIZE 8192

typedef struct block block;
struct block {
  block *next;  /* older block */
  gsize size;   /* usable bytes in data */
  gsize used;
  char data[];
};

struct rill__scratch {
  block *head; /* current (newest) block */
};

rill__scratch *rill__scratch_new(void)
{
  return g_new0(rill__scratch, 1);
}

static void free_chain(block *b)
{
  while (b) {
    block *next = b->next;
    g_free(b);
    b = next;
  }
}

void rill__scratch_free(rill__scratch *s)
{
  if (!s)
    return;
  free_chain(s->head);
  g_free(s);
}

void *rill__scratch_alloc(rill__scratch *s, gsize len)
{
  len = (len + 7) & ~(gsize)7;
  block *b = s->head;
  if (!b || b->size - b->used < len) {
    gsize size = MAX(len, BLOCK_SIZE);
    block *nb = g_malloc(sizeof(block) + size);
    nb->size = size;
    nb->used = 0;
    nb->next = b;
    s->head = b = nb;
  }
  void *p = b->data + b->used;
  b->used += len;
  return p;
}

char *rill__scratch_strndup(rill__scratch *s, const char *data, gsize len)
{
  char *p = rill__scratch_alloc(s, len + 1);
  if (len)
    memcpy(p, data, len);
  p[len] = '\0';
  return p;
}

char *rill__scratch_gstring(rill__scratch *s, const GString *str)
{
  return rill__scratch_strndup(s, str->str, str->len);
}

void rill__scratch_reset(rill__scratch *s)
{
  block *keep = NULL;
  for (block *b = s->head; b; b = b->next)
    if (!keep || b->size > keep->size)
      keep = b;
  if (!keep)
    return;
  /* Unlink the kept block, free the rest. */
  block **pp = &s->head;
  while (*pp != keep)
    pp = &(*pp)->next;
  *pp = keep->next;
  free_chain(s->head);
  keep->next = NULL;
  keep->used = 0;
  s->head = keep;
}
