/* scratch.h — a per-task scratch arena for per-record temporaries (decoded
 * JSON strings, rendered numbers, expression results).
 *
 * Allocation bumps a pointer in the current block; rill__scratch_reset
 * makes all of it free again at once and keeps the largest block, so a task
 * that handles records of a steady size stops calling malloc after the
 * first few. Invariants: pointers handed out stay valid until the next
 * reset or free (blocks never move); every allocation is 8-byte aligned.
 * Not thread safe: one per task.
 */
#pragma once

#include <glib.h>

typedef struct rill__scratch rill__scratch;

/* (transfer full) */
rill__scratch *rill__scratch_new(void);
void rill__scratch_free(rill__scratch *s);
/* @len bytes (uninitialised), valid until the next reset. (transfer none) */
void *rill__scratch_alloc(rill__scratch *s, gsize len);
/* A NUL-terminated copy of @len bytes at @data. (transfer none) */
char *rill__scratch_strndup(rill__scratch *s, const char *data, gsize len);
/* A NUL-terminated copy of @str's text. (transfer none) */
char *rill__scratch_gstring(rill__scratch *s, const GString *str);
/* Frees everything handed out since the last reset. */
void rill__scratch_reset(rill__scratch *s);
