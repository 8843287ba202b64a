/* arena.c — chunked bump allocator for decoded messages (see arena.h). */
#include "runtime/wire/arena.h"

#include <glib.h>
#include <string.h>

#define CHUNK_MIN 4096
#define ALIGN 16

struct rill__wire_chunk {
  rill__wire_chunk *next;
  size_t size, used;
  _Alignas(ALIGN) uint8_t data[];
};

void rill__wire_arena_init(rill__wire_arena *arena)
{
  arena->chunks = NULL;
  arena->used = 0;
  arena->limit = RILL_WIRE_ARENA_DEFAULT_LIMIT;
}

void *rill__wire_arena_alloc(rill__wire_arena *arena, size_t size)
{
  size = (size + ALIGN - 1) & ~(size_t)(ALIGN - 1);
  if (size == 0)
    size = ALIGN;
  if (size > arena->limit - arena->used || arena->used > arena->limit)
    return NULL;
  rill__wire_chunk *c = arena->chunks;
  if (!c || c->size - c->used < size) {
    size_t csize = MAX((size_t)CHUNK_MIN, size);
    if (c && c->size * 2 > csize && c->size < ((size_t)1 << 20))
      csize = MAX(csize, c->size * 2);
    c = g_malloc(sizeof *c + csize);
    c->size = csize;
    c->used = 0;
    c->next = arena->chunks;
    arena->chunks = c;
  }
  void *p = c->data + c->used;
  c->used += size;
  arena->used += size;
  memset(p, 0, size);
  return p;
}

void rill__wire_arena_clear(rill__wire_arena *arena)
{
  rill__wire_chunk *c = arena->chunks;
  while (c) {
    rill__wire_chunk *next = c->next;
    g_free(c);
    c = next;
  }
  arena->chunks = NULL;
  arena->used = 0;
}
