/* window-io.h — what the window and state tests share on top of the test
 * harnesses (tests/harness/): scripts of records whose values are decimal
 * integers ("" key = absent), a sink that copies every output record,
 * window bounds, update flags and top-N rank included, and the same view
 * of a single-operator harness's output as one comparable string. */
#pragma once

#include "tests/harness/op-harness.h"
#include "tests/harness/rill-harness.h"

/* Scripts (rill-harness.h) whose record values are decimal integers. */
typedef rill_script script;

static inline script *script_new(guint n_splits)
{
  return rill_script_new(n_splits);
}

static inline void script_free(script *s)
{
  rill_script_free(s);
}

void script_record(script *s, guint split, const char *key, int64_t value, int64_t ts, int32_t partition);

static inline void script_watermark(script *s, guint split, int64_t wm)
{
  rill_script_watermark(s, split, wm);
}

static inline void script_cut(script *s, guint split)
{
  rill_script_cut(s, split);
}

/* Cuts the batch and sets the fake clock (seen by the batch that follows). */
static inline void script_clock(script *s, guint split, int64_t clock)
{
  rill_script_clock(s, split, clock);
}

typedef struct {
  char *key;             /* NULL = absent */
  char *value;           /* NULL = absent */
  int64_t ts;
  int64_t start, end;    /* window bounds, or INT64_MIN when none */
  gboolean update;       /* had window.update / aggregate.update > 1 */
  char *rank;            /* topn rank header, or NULL */
} out_rec;

typedef struct {
  GMutex lock;
  GPtrArray *recs;       /* out_rec */
} collector;

extern const rill_sink_class collector_class;

void collector_init(collector *c);
void collector_clear(collector *c);
/* Final value per "key|start|end" (the last emission wins). (transfer full) */
GHashTable *collector_final(collector *c);

/* ---- single-operator harness ---------------------------------------------- */

/* Pushes a record with key @key ("" = absent) and decimal value @value. */
void push_value(rill_harness *h, const char *key, int64_t value, int64_t ts);
/* Pulls everything emitted so far and asserts it reads @want: events
 * separated by spaces, a record as "key=value" then "[start,end)" for a
 * window result or "@ts" otherwise, "*" when it is an update and "#rank"
 * for a top-N rank; a watermark as "wm=N" ("wm=idle"); a barrier as "b=N".
 * "" when nothing was emitted. */
void expect_out(rill_harness *h, const char *want);
