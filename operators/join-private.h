/* join-private.h — what the three join operators share: the rill_join
 * configuration object, records copied into join state, state accounting,
 * and byte-key hashing.
 *
 * Invariants:
 * - A rill_join is immutable once added to a pipeline, except its counters
 *   (relaxed atomics updated by the tasks) — so every task reads the
 *   configuration and the file-loaded table without locks.
 * - Every byte of join state is allocated through rill__join_rec_new /
 *   rill__join_key_new and released through the matching free (the window
 *   join instead copies records into per-window arenas with
 *   rill__join_rec_init and accounts them itself), which keep
 *   stats.state_bytes/state_records exact: when a task's state is empty its
 *   contribution is zero.
 */
#pragma once

#include <rill/join.h>

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
  GHashTable *file_table;           /* rill__join_key* -> rill__join_rec*, or NULL; read-only once added */
  gboolean added;                   /* added to a pipeline: configuration frozen */
  /* counters (atomics) */
  gint64 state_bytes, state_records, peak_state_bytes;
  guint64 matches, unmatched, late_records, unkeyed_records, finish_flushed_records;
};

/* A byte key for hash tables. Owned keys (rill__join_key_new) keep their
 * bytes right after the struct; lookups use a stack key viewing any bytes
 * (rill__join_key_view). */
typedef struct rill__join_key {
  guint hash;
  size_t len;
  const uint8_t *data;
} rill__join_key;

/* A record copied into join state: rec views bytes stored after the struct. */
typedef struct rill__join_rec {
  rill_record rec;
  int64_t order_ts;  /* when the record leaves state / is applied (per join) */
  guint64 seq;       /* arrival number in the task, breaks order_ts ties */
  size_t size;       /* bytes accounted for this record */
  void *owner;       /* join-specific: the per-key state holding it */
  GList link;        /* join-specific list membership */
  guint8 side;       /* rill_join_side */
  guint8 matched;    /* left records: matched at least once */
} rill__join_rec;

/* ---- state accounting --------------------------------------------------- */

void rill__join_account(rill_join *join, gint64 bytes, gint64 records);
static inline void rill__join_count(guint64 *counter, guint64 n)
{
  __atomic_add_fetch(counter, n, __ATOMIC_RELAXED);
}

/* A copy of @r (bytes, headers, topic) in join state; accounted unless
 * @join is NULL (the shared file table). */
rill__join_rec *rill__join_rec_new(rill_join *join, const rill_record *r);
/* The same copy built in caller-provided memory (not accounted): @size is
 * rill__join_rec_size(@r); @mem must be suitably aligned (8 bytes). */
size_t rill__join_rec_size(const rill_record *r);
rill__join_rec *rill__join_rec_init(void *mem, size_t size, const rill_record *r);
void rill__join_rec_free(rill_join *join, rill__join_rec *rec);

/* Byte keys: hashing, and owned copies for hash tables (accounted when
 * @join is non-NULL). */
guint rill__join_bytes_hash(const uint8_t *data, size_t len);
rill__join_key *rill__join_key_new(rill_join *join, rill_bytes key);
void rill__join_key_free(rill_join *join, rill__join_key *key);
/* A lookup key viewing @key's bytes (transfer none). */
rill__join_key rill__join_key_view(rill_bytes key);
/* GHashTable callbacks for rill__join_key* keys. */
guint rill__join_key_hash(gconstpointer key);
gboolean rill__join_key_equal(gconstpointer a, gconstpointer b);

/* Bytes accounted for one hash table slot (pointer pair + hash). */
#define RILL__JOIN_SLOT_BYTES (3 * sizeof(void *))

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

/* File-table lookup for the table join (NULL when absent). */
const rill__join_rec *rill__join_file_lookup(const rill_join *join, rill_bytes key);
