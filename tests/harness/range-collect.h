/* range-collect.h — bulk input and output for whole-pipeline tests (part
 * of the test-support library, see rill-harness.h): a range source (ids
 * 0..n-1 split into ranges) and a collecting sink that records every id it
 * receives plus open/flush/close counts. Ids travel as 8-byte keys. */
#pragma once

#include <rill/rill.h>

/* Ids 0..n-1 split into ranges; ids travel as 8-byte keys. */
typedef struct {
  guint n_splits;
  guint64 per_split;      /* ids per split: split s holds [s*per_split, (s+1)*per_split) */
  guint value_len;        /* bytes of value per record */
  gboolean unbounded;     /* never EOS: keep counting up */
  gint64 emitted;         /* atomic: records emitted so far */
  void (*on_read)(rill_ctx *ctx, gint64 emitted, void *data); /* optional hook */
  void *hook_data;
} range_source;

typedef struct {
  GMutex lock;
  GArray *ids;            /* guint64, in arrival order (per task; merged) */
  GArray *tasks;          /* guint: the task index that received ids[i] */
  GByteArray *tags;       /* first value byte of record i (0 when empty) */
  gint flushes, closes, opens;
  gint64 delay_us;        /* sleep per batch, to be a slow sink */
  gint64 received;        /* atomic */
  void (*before_write)(void *data); /* optional hook, called at each write */
  void *hook_data;
} collect_sink;

extern const rill_source_class range_source_class;
extern const rill_sink_class collect_sink_class;

void collect_sink_init(collect_sink *s);
void collect_sink_clear(collect_sink *s);
guint64 record_id(const rill_record *r);
