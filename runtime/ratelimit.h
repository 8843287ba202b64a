/* ratelimit.h — at most N log lines of one kind per second, with a count of
 * the lines held back, so a peer that repeats a mistake (or a resource that
 * stays exhausted) cannot turn the log into a flood.
 *
 * A limiter is a small struct the owner keeps per kind of line (the broker
 * keeps one per event kind, so two brokers in one process never silence
 * each other). It is not thread-safe: its owner's thread only.
 *
 * Invariants: within one second of the monotonic clock at most per_second
 * lines pass (the summary of held-back lines counts as one of them); every
 * held-back line is counted in exactly one later line, either the next line
 * let through (rill__ratelimit_allow's *suppressed) or a summary
 * (rill__ratelimit_take_suppressed), so counts are never lost while the
 * owner keeps asking.
 */
#pragma once

#include <glib.h>
#include <stdint.h>

typedef struct {
  uint32_t per_second; /* lines let through per second; 0 is taken as 1 */
  uint32_t used;       /* lines let through in window_s */
  int64_t window_s;    /* the second (now_ms / 1000) used counts in */
  uint64_t suppressed; /* lines held back and not yet reported */
} rill__ratelimit;

#define RILL__RATELIMIT_INIT(n) ((rill__ratelimit){.per_second = (n), .window_s = -1})

static inline void rill__ratelimit_roll(rill__ratelimit *r, int64_t now_ms)
{
  int64_t s = now_ms / 1000;
  if (s != r->window_s) {
    r->window_s = s;
    r->used = 0;
  }
}

/* TRUE when a line may be written now; *@suppressed then gets the number of
 * lines held back since the last one written (reset). FALSE: hold it back. */
static inline gboolean rill__ratelimit_allow(rill__ratelimit *r, int64_t now_ms, uint64_t *suppressed)
{
  rill__ratelimit_roll(r, now_ms);
  if (r->used >= MAX(r->per_second, 1u)) {
    r->suppressed++;
    return FALSE;
  }
  r->used++;
  *suppressed = r->suppressed;
  r->suppressed = 0;
  return TRUE;
}

/* For a periodic report: the lines held back (reset), once a summary line
 * may be written; 0 when there are none or the second is still spent. */
static inline uint64_t rill__ratelimit_take_suppressed(rill__ratelimit *r, int64_t now_ms)
{
  rill__ratelimit_roll(r, now_ms);
  if (!r->suppressed || r->used >= MAX(r->per_second, 1u))
    return 0;
  r->used++;
  uint64_t n = r->suppressed;
  r->suppressed = 0;
  return n;
}
