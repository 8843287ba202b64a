/* dead-letter.h — a shared output for records a stage cannot or will not
 * process, with the reason and the record's source position.
 *
 * A rill_dead_letter wraps any rill_sink_class (a file sink, stdout/stderr,
 * a log topic sink...). Any number of stages, in any tasks, send to one
 * dead-letter output; it serialises them with a lock and writes on the
 * sending task's thread. Each send:
 *   - builds a record: key and timestamp of the original; headers = the
 *     original's headers plus "dead-letter.reason" and "dead-letter.stage";
 *     value = the original value (RILL_DEAD_LETTER_RAW) or, by default, one
 *     JSON object line {"reason","stage","file","line","offset","key",
 *     "value"} (RILL_DEAD_LETTER_JSON; position fields only when the record
 *     has them), readable in a file or on stderr;
 *   - counts one dead letter in the sending stage's metrics (dead_letters);
 *   - returns RILL_FLOW_OK so the stage goes on, or, when stop-on-error is
 *     set, fails the stage (rill_ctx_set_error, RILL_FLOW_ERROR) with the
 *     reason and position.
 *
 * Lifecycle: stages that may send call rill_dead_letter_acquire() in their
 * open and rill_dead_letter_release() in their close. The wrapped sink is
 * opened on the first send (so a clean run creates no dead-letter file) with
 * the sending stage's context, flushed by rill_dead_letter_flush() (stages
 * call it from finish / at end of stream) and when the last acquirer
 * releases it, and closed when the last reference to the dead-letter output
 * is dropped (for outputs handed to stages, when the pipeline is freed) —
 * so a file sink's final rename happens then. The sink's callbacks get the
 * calling stage's rill_ctx and must not keep it; close() alone gets a NULL
 * ctx, since no stage is running any more. An error the sink returns fails
 * the calling stage.
 */
#pragma once

#include <rill/export.h>

#include <rill/operator.h>
#include <rill/sink.h>

G_BEGIN_DECLS

#define RILL_DEAD_LETTER_REASON_HEADER "dead-letter.reason"
#define RILL_DEAD_LETTER_STAGE_HEADER "dead-letter.stage"

typedef enum {
  RILL_DEAD_LETTER_JSON, /* value = a one-line JSON description (default) */
  RILL_DEAD_LETTER_RAW,  /* value = the original value; reason only in headers */
} rill_dead_letter_format;

typedef struct rill_dead_letter rill_dead_letter;

/* A dead-letter output writing to @klass with @user_data (whose @destroy
 * runs when the dead-letter output is freed). (transfer full) */
RILL_API rill_dead_letter *rill_dead_letter_new(const rill_sink_class *klass, void *user_data, GDestroyNotify destroy);
RILL_API rill_dead_letter *rill_dead_letter_ref(rill_dead_letter *dead_letter);
RILL_API void rill_dead_letter_unref(rill_dead_letter *dead_letter);

RILL_API void rill_dead_letter_set_format(rill_dead_letter *dead_letter, rill_dead_letter_format format);
/* When TRUE, the first dead letter fails the stage that sent it (after the
 * dead letter itself was written). Default FALSE: keep going. */
RILL_API void rill_dead_letter_set_stop_on_error(rill_dead_letter *dead_letter, gboolean stop);

/* Stage side (see lifecycle above). Thread safe. */
RILL_API void rill_dead_letter_acquire(rill_dead_letter *dead_letter, rill_ctx *ctx);
RILL_API void rill_dead_letter_release(rill_dead_letter *dead_letter, rill_ctx *ctx);
RILL_API rill_flow rill_dead_letter_flush(rill_dead_letter *dead_letter, rill_ctx *ctx);

/* Sends @record (transfer none; its bytes are copied) with @reason. Extra
 * position information the record lacks as headers may be given: @file
 * (NULL = none), @line and @offset (-1 = none) are added as "file", "line"
 * and "offset" headers. Returns RILL_FLOW_OK, or RILL_FLOW_ERROR with the
 * stage error set (stop-on-error, or the sink failed). */
RILL_API rill_flow rill_dead_letter_send(rill_dead_letter *dead_letter, rill_ctx *ctx, const rill_record *record,
                                         const char *reason, const char *file, gint64 line, gint64 offset);

/* Number of records sent so far. Thread safe. */
RILL_API guint64 rill_dead_letter_count(rill_dead_letter *dead_letter);

G_END_DECLS
