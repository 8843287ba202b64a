/* harness.h — drive one operator (or a short chain) with scripted input and
 * collect what comes out: a script source whose splits replay events
 * (records, explicit watermarks, batch cuts, fake-clock steps) and a sink
 * that copies every output record, window bounds included. */
#pragma once

#include <rill/rill.h>

typedef enum { EV_RECORD, EV_WATERMARK, EV_CUT } ev_kind;

typedef struct {
  ev_kind kind;
  char key[24];          /* "" = absent key */
  int64_t value;         /* record value, written as decimal text */
  int64_t ts;            /* record timestamp / watermark value */
  int32_t partition;     /* record partition */
  int64_t clock;         /* fake clock set before this event (-1: leave) */
} ev;

typedef struct {
  guint n_splits;
  GArray **splits;       /* ev arrays, one per split */
  gint64 clock;          /* atomic: the fake clock, ms */
} script;

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

extern const rill_source_class script_source_class;
extern const rill_sink_class collector_class;

script *script_new(guint n_splits);
void script_free(script *s);
void script_record(script *s, guint split, const char *key, int64_t value, int64_t ts, int32_t partition);
void script_watermark(script *s, guint split, int64_t wm);
void script_cut(script *s, guint split);
/* Cuts the batch and sets the fake clock (seen by the batch that follows). */
void script_clock(script *s, guint split, int64_t clock);
int64_t script_clock_fn(void *script);

void collector_init(collector *c);
void collector_clear(collector *c);
/* Final value per "key|start|end" (the last emission wins). (transfer full) */
GHashTable *collector_final(collector *c);
