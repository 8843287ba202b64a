/* nexmark.h — what the two implementations of each query share: the
 * pre-generated event store, the query list and the output checksum.
 *
 * Fairness: events are generated and encoded once, before any timing, into
 * one contiguous store (generator.h encoding). Both implementations read the
 * same encoded bytes and decode the fields they need with the same inline
 * helpers, and both fold every output row into the same checksum; neither
 * pays for generation. The rill source hands out records that reference the
 * store (zero copy), as a log source references fetched batches.
 *
 * The checksum is order independent (a sum of per-row hashes plus a count),
 * since window results come out in engine-dependent order.
 */
#pragma once
#include "bench/nexmark/generator.h"

typedef struct {
  uint8_t *bytes;   /* all encoded events, back to back */
  uint64_t *off;    /* n + 1 offsets into bytes */
  int64_t *ts;      /* n timestamps (also inside each encoding) */
  uint64_t n;
} nx_store;

typedef enum {
  NX_Q0,
  NX_Q1,
  NX_Q2,
  NX_Q5,
  NX_Q7,
  NX_Q8,
  NX_N_QUERIES,
} nx_query;

/* Rows and the sum of their hashes. */
typedef struct {
  uint64_t rows;
  uint64_t sum;
} nx_check;

/* Window sizes of the queries (ms). */
#define NX_Q5_SIZE 10000
#define NX_Q5_SLIDE 2000
#define NX_Q7_SIZE 10000
#define NX_Q8_SIZE 10000
/* WATERMARK dateTime - 4 s */
#define NX_OUT_OF_ORDERNESS 4000
/* Q2: auction % 123 == 0 */
#define NX_Q2_MOD 123

static inline uint64_t nx_hash_i64(uint64_t h, int64_t v)
{
  return nx_mix64(h ^ (uint64_t)v) + NX_GOLDEN_GAMMA;
}

static inline uint64_t nx_hash_str(uint64_t h, const char *p, size_t len)
{
  uint64_t x = len;
  size_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t w;
    memcpy(&w, p + i, 8);
    x = (x ^ w) * 0x100000001b3ULL + (x >> 29);
  }
  uint64_t tail = 0;
  memcpy(&tail, p + i, len - i);
  return nx_hash_i64(h, (int64_t)(x ^ tail));
}

static inline void nx_check_add(nx_check *c, uint64_t row_hash)
{
  c->rows++;
  c->sum += row_hash;
}

/* Row hashes, one per query output shape. */
static inline uint64_t nx_row_bid(int64_t auction, int64_t bidder, int64_t price, int64_t ts, nx_str extra)
{
  uint64_t h = nx_hash_i64(nx_hash_i64(nx_hash_i64(nx_hash_i64(1, auction), bidder), price), ts);
  return nx_hash_str(h, extra.p, extra.len);
}

static inline uint64_t nx_row_q2(int64_t auction, int64_t price)
{
  return nx_hash_i64(nx_hash_i64(2, auction), price);
}

static inline uint64_t nx_row_q5(int64_t window_start, int64_t auction, int64_t count)
{
  return nx_hash_i64(nx_hash_i64(nx_hash_i64(5, window_start), auction), count);
}

static inline uint64_t nx_row_q8(int64_t person, nx_str name, int64_t window_start)
{
  return nx_hash_str(nx_hash_i64(nx_hash_i64(8, person), window_start), name.p, name.len);
}

/* The encoded bytes of event @i. */
static inline const uint8_t *nx_store_event(const nx_store *s, uint64_t i, size_t *len)
{
  *len = (size_t)(s->off[i + 1] - s->off[i]);
  return s->bytes + s->off[i];
}

/* The hand-written single-threaded implementation of @q over @store. */
nx_check nx_hand_run(nx_query q, const nx_store *store);

/* The rill pipeline for @q with @parallelism tasks. FALSE with @error when
 * the pipeline fails; *@tie_overflow is set when Q5 saw more tied items in a
 * window than its top-N keeps (the result would then be incomplete). */
gboolean nx_rill_run(nx_query q, const nx_store *store, guint parallelism, nx_check *out, gboolean *tie_overflow,
                     GError **error);
