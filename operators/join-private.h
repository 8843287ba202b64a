/* join-private.h — what the three join operators share: the rill_join
 * configuration object, records copied into join state, state accounting.
 *
 * Keyed join state lives in rill__table (runtime/state-table.h) like every
 * other keyed store: the window join's per-window key -> entry tables, the
 * interval join's key -> record queues, the table join's key -> latest
 * update and the shared file table. Records themselves are variable-sized
 * copies (rill__join_rec; the window join keeps a smaller header of its
 * own over the same copy, rill__join_copy) the table values point at or
 * list.
 *
 * Invariants:
 * - A rill_join is immutable once added to a pipeline, except its counters
 *   (relaxed atomics updated by the tasks) — so every task reads the
 *   configuration and the file-loaded table without locks.
 * - Every byte of a task's join state is added to its rill__join_acct when
 *   allocated and subtracted when released (memory pooled for reuse, like
 *   the window join's free chunks and tables, is not state), so
 *   stats.state_bytes and state_records are exact after each flush: when a
 *   task's state is empty its contribution is zero.
 */
#pragma once

#include <rill/join.h>

#include "runtime/state-table.h"

typedef enum {
  RILL__JOIN_WINDOW,
  RILL__JOIN_INTERVAL,
  RILL__JOIN_TABLE,
} rill__join_type;

typedef struct rill__join_fn {
  void (*fn)(void);     /* the user's function, cast back by the caller */
  void *user_data;
  GDestroyNotify destroy;
} rill__join_fn;

struct rill_join {
  gint ref_count;
  rill__join_type type;
  rill_join_kind kind;
  int64_t size_ms;                  /* window */
  int64_t lower_ms, upper_ms;       /* interval, inclusive after set_exclusive */
  rill__join_fn key_fn[2];          /* per side; fn NULL = record key */
  rill__join_fn combine;            /* fn NULL = default with separator */
  GByteArray *separator;            /* for the default combine */
  rill__table *file_table;          /* join key -> rill__join_rec* (owned), or NULL; read-only once added */
  gboolean added;                   /* added to a pipeline: configuration frozen */
  /* counters (atomics) */
  gint64 state_bytes, state_records, peak_state_bytes;
  guint64 matches, unmatched, late_records, unkeyed_records, finish_flushed_records;
};

/* A record copied into join state: rec views bytes stored after the struct. */
typedef struct rill__join_rec {
  rill_record rec;
  rill_bytes key;    /* the join key if one was given (interval join: finds the key's queues at expiry) */
  int64_t order_ts;  /* when the record leaves state / is applied (per join) */
  guint64 seq;       /* arrival number in the task, breaks order_ts ties */
  size_t size;       /* bytes of the copy, accounted for this record */
  GList link;        /* join-specific list membership */
  guint8 side;       /* rill_join_side */
  guint8 matched;    /* left records: matched at least once */
} rill__join_rec;

/* ---- state accounting --------------------------------------------------- */

/* One task's share of the join's state counters. Changes gather here and
 * are published once per callback (rill__join_acct_flush), so the shared
 * atomics are touched per batch, not per record (peak_state_bytes is
 * sampled then). */
typedef struct rill__join_acct {
  rill_join *join;                 /* not refcounted */
  gint64 bytes, records;           /* this task's state now */
  gint64 pend_bytes, pend_records; /* not yet added to the join's counters */
} rill__join_acct;

static inline void rill__join_acct_add(rill__join_acct *a, gint64 bytes, gint64 records)
{
  a->bytes += bytes;
  a->records += records;
  a->pend_bytes += bytes;
  a->pend_records += records;
}

/* Accounts the change in rill__table_bytes(@t) since *@held, the bytes
 * accounted for @t so far (then updated). */
static inline void rill__join_acct_table(rill__join_acct *a, const rill__table *t, size_t *held)
{
  size_t now = t ? rill__table_bytes(t) : 0;
  rill__join_acct_add(a, (gint64)now - (gint64)*held, 0);
  *held = now;
}

/* Publishes the pending changes to the join's counters and, when @ctx is
 * non-NULL, the task's state size to the stage metrics. */
void rill__join_acct_flush(rill__join_acct *a, rill_ctx *ctx);

static inline void rill__join_count(guint64 *counter, guint64 n)
{
  __atomic_add_fetch(counter, n, __ATOMIC_RELAXED);
}

/* The bytes rill__join_copy writes for @r: its header array, then key,
 * value, header names and values and topic. */
size_t rill__join_copy_size(const rill_record *r);
/* Copies @r's bytes into @mem (8-byte aligned, rill__join_copy_size(@r)
 * bytes) and sets *@dst to @r viewing the copy. Returns the end of what
 * was written. */
uint8_t *rill__join_copy(rill_record *dst, void *mem, const rill_record *r);

/* A copy of @r (bytes, headers, topic) in join state, of
 * rill__join_rec_size(@r, @key) bytes (not accounted). @key, when it has
 * data, becomes the copy's `key`: it shares the record key's bytes when
 * equal to them, else is copied too. */
size_t rill__join_rec_size(const rill_record *r, rill_bytes key);
rill__join_rec *rill__join_rec_new(const rill_record *r, rill_bytes key);
/* The same copy built in caller-provided memory: @size is
 * rill__join_rec_size(@r, @key); @mem must be suitably aligned (8 bytes). */
rill__join_rec *rill__join_rec_init(void *mem, size_t size, const rill_record *r, rill_bytes key);
void rill__join_rec_free(rill__join_rec *rec);

/* ---- per-task helpers --------------------------------------------------- */

/* The join key of @r from @side's extractor; @scratch is the task's buffer. */
rill_bytes rill__join_extract_key(const rill_join *join, rill_join_side side, const rill_record *r,
                                  GByteArray *scratch);
/* Calls the combine callback and counts the result. */
rill_flow rill__join_emit(rill_join *join, rill_ctx *ctx, const rill_record *left, const rill_record *right,
                          rill_bytes key, int64_t timestamp, rill_emitter *out);
/* Orders rill__join_rec* by (order_ts, seq), for GTree time indexes. */
gint rill__join_rec_cmp(gconstpointer a, gconstpointer b, gpointer unused);
/* a + b clamped to the int64 range. */
static inline int64_t rill__join_sat_add(int64_t a, int64_t b)
{
  int64_t r;
  if (__builtin_add_overflow(a, b, &r))
    return b > 0 ? INT64_MAX : INT64_MIN;
  return r;
}

/* a - b clamped to the int64 range. */
static inline int64_t rill__join_sat_sub(int64_t a, int64_t b)
{
  int64_t r;
  if (__builtin_sub_overflow(a, b, &r))
    return b < 0 ? INT64_MAX : INT64_MIN;
  return r;
}

extern const rill_operator_class rill__join_window_class;
extern const rill_operator_class rill__join_interval_class;
extern const rill_operator_class rill__join_table_class;

/* File-table lookup for the table join (NULL when absent); @hash is
 * rill__hash(@key). */
const rill__join_rec *rill__join_file_lookup(const rill_join *join, rill_bytes key, uint64_t hash);
/* Frees a file table and its records (NULL ignored). */
void rill__join_file_table_free(rill__table *table);
