/* window.h — event-time windows: tumbling, hopping (size + slide) and
 * session (gap), each folding an aggregate per key and window.
 *
 * Semantics (docs/operators.md has the long form):
 * - A record belongs to key = its record key (put key_by before the window
 *   when P > 1) and to the windows containing its timestamp. Windows are
 *   [start, end), aligned to offset_ms (tumbling/hopping).
 * - Watermark W means "no more records with timestamp <= W". A window fires
 *   once, when W >= end - 1, emitting one result per key with data. At end
 *   of input every remaining window fires.
 * - allowed_lateness_ms: a window's state is kept until W >= end - 1 +
 *   lateness; a record arriving for a fired window within that bound updates
 *   it, and the updated result is emitted again (header window.update) at
 *   the end of the input batch that carried it.
 * - A record too late for every window containing it (or with no
 *   timestamp) goes to the late side output (late_fn) and is counted in the
 *   stage metrics (`late`); with no late_fn it is counted and dropped.
 * - Hopping windows keep one accumulator per key and *pane* (slices of
 *   gcd(size, slide) ms) and merge panes when a window fires, so a record is
 *   added once whatever size/slide is.
 * - Session windows start at a record's timestamp and end gap ms after the
 *   last record; sessions of a key that come within gap merge (accumulators
 *   merged). A late record merging into a fired session re-emits the merged
 *   session (its start/end may widen).
 *
 * Result record encoding (what downstream stages, sinks and tools read):
 *   key        the group key (absent for records without a key)
 *   value      the aggregate result, see aggregate.h (absent: no result)
 *   timestamp  window end - 1
 *   headers    "window.start" and "window.end": decimal ms since the epoch
 *              (ASCII, e.g. "1700000060000"); "window.update": "1" only
 *              on re-emissions caused by late records (the latest emission
 *              for a key and window is the current result)
 * An absent key and an empty key form one group, reported as absent.
 * rill_window_result_bounds() reads the bounds back.
 */
#pragma once

#include <rill/export.h>

#include <rill/aggregate.h>

G_BEGIN_DECLS

#define RILL_WINDOW_HEADER_START "window.start"
#define RILL_WINDOW_HEADER_END "window.end"
#define RILL_WINDOW_HEADER_UPDATE "window.update"

typedef enum {
  RILL_WINDOW_TUMBLING,
  RILL_WINDOW_HOPPING,
  RILL_WINDOW_SESSION,
} rill_window_kind;

/* Receives a record too late for any window. (transfer none) @record: copy
 * what must outlive the call. Runs on the stage's task thread. */
typedef void (*rill_late_fn)(rill_ctx *ctx, const rill_record *record, void *user_data);

typedef struct rill_window_spec {
  rill_window_kind kind;
  int64_t size_ms;             /* tumbling, hopping: > 0 */
  int64_t slide_ms;            /* hopping: > 0, <= size; tumbling: ignored (= size) */
  int64_t gap_ms;              /* session: > 0 */
  int64_t offset_ms;           /* tumbling, hopping: window starts are offset + k*slide */
  int64_t allowed_lateness_ms; /* >= 0 */
  rill_late_fn late_fn;        /* NULL: count and drop */
  void *late_data;             /* not owned; must outlive the pipeline */
} rill_window_spec;

/* Specs with everything else zero. */
RILL_API rill_window_spec rill_window_tumbling(int64_t size_ms);
RILL_API rill_window_spec rill_window_hopping(int64_t size_ms, int64_t slide_ms);
RILL_API rill_window_spec rill_window_session(int64_t gap_ms);

#define RILL_WINDOW_ERROR (rill_window_error_quark())
RILL_API GQuark rill_window_error_quark(void);
typedef enum {
  RILL_WINDOW_ERROR_INVALID, /* a size/slide/gap/lateness is out of range */
  RILL_WINDOW_ERROR_PARSE,   /* rill_window_spec_parse could not read the text */
} rill_window_error;

/* Checks @spec; FALSE with RILL_WINDOW_ERROR_INVALID saying what is wrong. */
RILL_API gboolean rill_window_spec_validate(const rill_window_spec *spec, GError **error);
/* Parses "tumbling size=60s", "hopping size=10s slide=2s", "session gap=30s",
 * each optionally with "lateness=5s" and "offset=1s" (units ms, s, m, h; a
 * bare number is ms). Also accepts the short forms "tumbling=60s" and
 * "session=30s". */
RILL_API gboolean rill_window_spec_parse(const char *text, rill_window_spec *spec, GError **error);

/* A windowed aggregate stage over @input. (transfer full) @aggregate.
 * An invalid @spec fails the pipeline at start with the reason. */
RILL_API rill_stage *rill_pipeline_add_window(rill_pipeline *pipeline, const char *name, rill_stage *input,
                                              const rill_window_spec *spec, rill_aggregate *aggregate);

/* Reads window.start / window.end from a result record. */
RILL_API gboolean rill_window_result_bounds(const rill_record *record, int64_t *start, int64_t *end);

G_END_DECLS
