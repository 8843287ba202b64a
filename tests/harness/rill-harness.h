/* rill-harness.h — the test-support library every test that drives
 * operators, sources or sinks links (built once, tests/harness/build.cmake).
 *
 * - rill_script: scripted input, one event list per split, replayed by
 *   rill_script_source_class: records, watermarks, batch cuts and
 *   fake-clock steps, for whole-pipeline tests.
 * - rill_test_clock: a fake clock for pollers (the file source's follow
 *   mode): the poller waits on it instead of sleeping and the test steps
 *   it, so a test decides when each poll runs and never sleeps.
 * (range-collect.h, in the same library, has bulk input and a collecting
 * sink for whole-pipeline tests; op-harness.h drives one operator alone,
 * synchronously, which is what exact cases — late records, the order of
 * results and watermarks — should use.)
 *
 * Everything here fails the test (g_assert) on misuse; nothing is for
 * production. Scripts are built before the pipeline runs and read by the
 * source tasks without locks; the clock fields are atomics.
 */
#pragma once

#include <rill/rill.h>

/* ---- scripted source ---------------------------------------------------- */

typedef struct rill_script rill_script;

/* (transfer full) A script with @n_splits empty event lists. */
rill_script *rill_script_new(guint n_splits);
void rill_script_free(rill_script *s);
guint rill_script_n_splits(const rill_script *s);
/* Events replayed per read() call (default 64): the largest batch a split
 * hands on without a cut. */
void rill_script_set_read_size(rill_script *s, guint events);

/* A record; NULL @key / @value = absent (at most 23 bytes each). */
void rill_script_record(rill_script *s, guint split, const char *key, const char *value, int64_t ts,
                        int32_t partition);
void rill_script_watermark(rill_script *s, guint split, int64_t wm);
/* Ends the batch being built (an INT64_MIN watermark: a no-op marker). */
void rill_script_cut(rill_script *s, guint split);
/* Cuts the batch, then sets the fake clock (seen by the batch after). */
void rill_script_clock(rill_script *s, guint split, int64_t clock);

/* The fake clock, ms: a rill_clock_fn over a rill_script. */
int64_t rill_script_clock_fn(void *script);

/* user_data: the rill_script (not owned); one split per task. */
extern const rill_source_class rill_script_source_class;

/* ---- test clock for pollers --------------------------------------------- */

typedef struct {
  GMutex lock;
  GCond cond;
  guint64 waits;     /* times a poller came to wait */
  guint64 ticks;     /* steps granted */
  gboolean running;  /* released: waits return at once */
} rill_test_clock;

void rill_test_clock_init(rill_test_clock *c);
void rill_test_clock_clear(rill_test_clock *c);
/* The poller's side, instead of sleeping: blocks until the next step (or
 * release). Shaped as the file source's idle hook. */
void rill_test_clock_wait(rill_ctx *ctx, void *clock);
/* Lets the waiting poller make one more pass and waits until it comes back
 * to wait: everything written before the step has then been polled. Fails
 * the test when the poller does not come back within 30 s. */
void rill_test_clock_step(rill_test_clock *c);
/* Lets the poller run freely from now on (before stopping the pipeline). */
void rill_test_clock_release(rill_test_clock *c);
