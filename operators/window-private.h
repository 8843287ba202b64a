/* window-private.h — what the pane (tumbling/hopping) and session window
 * operators share: the stage configuration, result emission in the
 * documented encoding, late-record routing and floor arithmetic. */
#pragma once

#include <rill/window.h>

#include <string.h>

#include "operators/aggregate-private.h"
#include "operators/event-time-private.h"

/* The stage's user data, shared read-only by its P tasks. */
typedef struct rill__window_cfg {
  rill_window_spec spec;
  rill_aggregate *agg;          /* owned */
  int64_t slice;                /* pane length: gcd(size, slide) */
  /* Set by rill_pipeline_add_window_top_n on the window it ranks: when
   * that top-N's route is the window's only consumer (checked at open,
   * once the plan knows the consumers), a firing emits only this task's
   * @local_top best results, the only ones of this task that can be in the
   * window's top N; the rest would be dropped by top_n anyway. */
  guint local_top;
  const rill_stage *top_route;  /* not refcounted */
} rill__window_cfg;

/* @cfg->local_top when it applies to this task's stage (@ctx), else 0. */
guint rill__window_local_top(rill_ctx *ctx, const rill__window_cfg *cfg);

/* The key order of top-N ties: bytes, then length; absent first. */
static inline int rill__topn_cmp_key(rill_bytes a, rill_bytes b)
{
  if (!a.data || !b.data)
    return (a.data != NULL) - (b.data != NULL);
  int c = memcmp(a.data, b.data, MIN(a.len, b.len));
  return c ? c : (a.len > b.len) - (a.len < b.len);
}

/* TRUE when result (@xv, @xk) ranks before (@yv, @yk) in a top-N: the
 * larger value first, ties by key. */
static inline gboolean rill__topn_before(int64_t xv, rill_bytes xk, int64_t yv, rill_bytes yk)
{
  return xv > yv || (xv == yv && rill__topn_cmp_key(xk, yk) < 0);
}

void rill__window_cfg_free(gpointer cfg);

/* The decimal bounds of the last window emitted through it: a window's
 * results share its bounds, formatted once per window, not per record. */
typedef struct {
  int64_t start, end;
  uint8_t start_len, end_len; /* 0: nothing formatted yet */
  char start_txt[24], end_txt[24];
} rill__window_bounds_text;

/* rill__window_emit with the bounds' text taken from (and kept in) @cache. */
rill_flow rill__window_emit_cached(rill_emitter *out, rill__window_bounds_text *cache, rill_bytes key,
                                   const GString *value, gboolean has_value, int64_t start, int64_t end,
                                   guint64 update);

/* Emits one result record (see window.h). @has_value FALSE: absent value.
 * @update 0 for a first firing, n for the n-th re-emission. */
rill_flow rill__window_emit(rill_emitter *out, rill_bytes key, const GString *value, gboolean has_value,
                            int64_t start, int64_t end, guint64 update);

/* Routes @record to the late side output and counts it. */
void rill__window_late(rill_ctx *ctx, const rill_window_spec *spec, const rill_record *record);

/* Timestamps beyond +-2^60 ms (and RILL_TIMESTAMP_NONE) belong to no window:
 * they go to the late output, which keeps all window arithmetic in range. */
#define RILL__WINDOW_MAX_TS ((int64_t)1 << 60)

/* floor(a / b) * b for b > 0, correct for negative a. */
static inline int64_t rill__floor_to(int64_t a, int64_t b)
{
  int64_t q = a / b;
  if ((a % b) != 0 && a < 0)
    q--;
  return q * b;
}

/* a + b clamped to [INT64_MIN, RILL__END_OF_TIME] so watermark comparisons
 * never overflow or collide with RILL_WATERMARK_IDLE. */
static inline int64_t rill__sat_add(int64_t a, int64_t b)
{
  int64_t r;
  if (__builtin_add_overflow(a, b, &r))
    return b > 0 ? RILL__END_OF_TIME : INT64_MIN;
  return r > RILL__END_OF_TIME ? RILL__END_OF_TIME : r;
}

extern const rill_operator_class rill__window_pane_class;
extern const rill_operator_class rill__window_session_class;
