/* arena.h — the bump allocator that owns everything a decoder allocates.
 *
 * Decoded messages point into two places: the input buffer (strings, bytes,
 * records are slices of it, never copied) and an arena (arrays of structs
 * and scalars). Ownership rule: a decoded message is valid while both the
 * input buffer and its arena live; rill__wire_arena_clear() frees all of it
 * at once, so decoders never need per-field frees and a failed decode leaks
 * nothing.
 *
 * Invariant: total allocation never exceeds `limit` bytes, so a hostile
 * array count cannot make a small request allocate unbounded memory.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

typedef struct rill__wire_chunk rill__wire_chunk;

typedef struct {
  rill__wire_chunk *chunks; /* newest first; owned */
  size_t used;              /* bytes handed out so far, all chunks */
  size_t limit;             /* allocation cap; RILL_WIRE_ARENA_DEFAULT_LIMIT after init */
} rill__wire_arena;

#define RILL_WIRE_ARENA_DEFAULT_LIMIT ((size_t)256 << 20)

void rill__wire_arena_init(rill__wire_arena *arena);

/* Returns @size zeroed bytes aligned for any scalar, or NULL when the limit
 * would be exceeded. (transfer none): owned by @arena. */
void *rill__wire_arena_alloc(rill__wire_arena *arena, size_t size);

/* Frees every allocation; the arena can be reused afterwards. */
void rill__wire_arena_clear(rill__wire_arena *arena);
