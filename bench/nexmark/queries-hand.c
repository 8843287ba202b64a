/* queries-hand.c — the baseline: each query written by hand as one
 * single-threaded C loop over the store, the way a careful programmer would
 * without a framework (flat arrays, an open-addressing hash map, windows
 * fired as the watermark passes), with the same semantics as the rill
 * pipelines (queries-rill.c): watermark = max dateTime - 4 s - 1, a window
 * [s, e) fires when the watermark reaches e - 1, end of input fires the rest.
 * It relies on the store being in timestamp order (it is: one timeline).
 */
#include "bench/nexmark/nexmark.h"

/* ---- int64 -> int64 open-addressing map (key INT64_MIN = empty) ---------- */

typedef struct {
  int64_t *keys, *vals;
  size_t cap, len; /* cap a power of two, len < cap / 2 */
} i64map;

static void map_init(i64map *m, size_t cap)
{
  m->cap = cap;
  m->len = 0;
  m->keys = g_new(int64_t, cap);
  m->vals = g_new0(int64_t, cap);
  for (size_t i = 0; i < cap; i++)
    m->keys[i] = INT64_MIN;
}

static void map_free(i64map *m)
{
  g_free(m->keys);
  g_free(m->vals);
}

static void map_clear(i64map *m)
{
  for (size_t i = 0; i < m->cap; i++)
    m->keys[i] = INT64_MIN;
  m->len = 0;
}

static int64_t *map_slot(i64map *m, int64_t k);

static void map_grow(i64map *m)
{
  i64map old = *m;
  map_init(m, old.cap * 2);
  for (size_t i = 0; i < old.cap; i++)
    if (old.keys[i] != INT64_MIN)
      *map_slot(m, old.keys[i]) = old.vals[i];
  map_free(&old);
}

/* The value slot of @k, inserted as 0 when missing. */
static int64_t *map_slot(i64map *m, int64_t k)
{
  size_t mask = m->cap - 1, i = nx_mix64((uint64_t)k) & mask;
  while (m->keys[i] != k) {
    if (m->keys[i] == INT64_MIN) {
      if (2 * (m->len + 1) > m->cap) {
        map_grow(m);
        return map_slot(m, k);
      }
      m->keys[i] = k;
      m->vals[i] = 0;
      m->len++;
      break;
    }
    i = (i + 1) & mask;
  }
  return &m->vals[i];
}

static gboolean map_has(const i64map *m, int64_t k)
{
  size_t mask = m->cap - 1, i = nx_mix64((uint64_t)k) & mask;
  for (; m->keys[i] != INT64_MIN; i = (i + 1) & mask)
    if (m->keys[i] == k)
      return TRUE;
  return FALSE;
}

/* ---- Q0, Q1, Q2 ----------------------------------------------------------- */

static nx_check run_stateless(nx_query q, const nx_store *s)
{
  nx_check c = {0, 0};
  for (uint64_t i = 0; i < s->n; i++) {
    size_t len;
    const uint8_t *v = nx_store_event(s, i, &len);
    if (v[0] != NX_BID)
      continue;
    int64_t auction = nx_get_i64(v + 1), price = nx_get_i64(v + 17);
    if (q == NX_Q2) {
      if (auction % NX_Q2_MOD == 0)
        nx_check_add(&c, nx_row_q2(auction, price));
      continue;
    }
    if (q == NX_Q1)
      price *= 908;
    nx_check_add(&c, nx_row_bid(auction, nx_get_i64(v + 9), price, nx_get_i64(v + 25),
                                nx_get_str(v + NX_BID_STRINGS, 2)));
  }
  return c;
}

/* ---- Q5: per 2 s pane a count map; a window merges its 5 panes ----------- */

#define Q5_PANES (NX_Q5_SIZE / NX_Q5_SLIDE)
/* Panes in use: those of the oldest unfired window (start s, 5 panes) up to
 * the newest pane, which is at most s/slide + 6 while the watermark (max ts
 * - 4 s - 1) has not reached s + size - 1: 7 panes, so a ring of 8. */
#define Q5_RING 8

static void q5_fire(i64map *panes, int64_t first_pane, int64_t start, i64map *merged, nx_check *c)
{
  map_clear(merged);
  int64_t p0 = start / NX_Q5_SLIDE;
  for (int64_t p = p0; p < p0 + Q5_PANES; p++) {
    if (p < first_pane)
      continue;
    i64map *m = &panes[p % Q5_RING];
    for (size_t i = 0; i < m->cap; i++)
      if (m->keys[i] != INT64_MIN)
        *map_slot(merged, m->keys[i]) += m->vals[i];
  }
  int64_t max = 0;
  for (size_t i = 0; i < merged->cap; i++)
    if (merged->keys[i] != INT64_MIN && merged->vals[i] > max)
      max = merged->vals[i];
  for (size_t i = 0; i < merged->cap; i++)
    if (merged->keys[i] != INT64_MIN && merged->vals[i] == max)
      nx_check_add(c, nx_row_q5(start, merged->keys[i], max));
}

static nx_check run_q5(const nx_store *s)
{
  nx_check c = {0, 0};
  /* Ring of panes: pane p lives in slot p % Q5_RING while windows need it. */
  i64map panes[Q5_RING], merged;
  for (int i = 0; i < Q5_RING; i++)
    map_init(&panes[i], 1024);
  map_init(&merged, 1024);
  int64_t first_pane = INT64_MIN; /* pane of the first bid */
  int64_t next_start = 0;         /* next window start to fire */
  int64_t last_pane = INT64_MIN;  /* newest pane with data */
  int64_t max_ts = INT64_MIN;
  for (uint64_t i = 0; i < s->n; i++) {
    size_t len;
    const uint8_t *v = nx_store_event(s, i, &len);
    int64_t ts = s->ts[i];
    if (ts > max_ts) {
      max_ts = ts;
      int64_t wm = max_ts - NX_OUT_OF_ORDERNESS - 1;
      while (first_pane != INT64_MIN && next_start + NX_Q5_SIZE - 1 <= wm) {
        q5_fire(panes, first_pane, next_start, &merged, &c);
        /* pane next_start / slide is in no later window: recycle its slot */
        map_clear(&panes[(next_start / NX_Q5_SLIDE) % Q5_RING]);
        next_start += NX_Q5_SLIDE;
      }
    }
    if (v[0] != NX_BID)
      continue;
    int64_t pane = ts / NX_Q5_SLIDE;
    if (first_pane == INT64_MIN) {
      first_pane = pane;
      next_start = (pane - Q5_PANES + 1) * NX_Q5_SLIDE;
    }
    last_pane = MAX(last_pane, pane);
    (*map_slot(&panes[pane % Q5_RING], nx_get_i64(v + 1)))++;
  }
  for (; first_pane != INT64_MIN && next_start / NX_Q5_SLIDE <= last_pane; next_start += NX_Q5_SLIDE) {
    q5_fire(panes, first_pane, next_start, &merged, &c);
    map_clear(&panes[(next_start / NX_Q5_SLIDE) % Q5_RING]);
  }
  for (int i = 0; i < Q5_RING; i++)
    map_free(&panes[i]);
  map_free(&merged);
  return c;
}

/* ---- Q7: per window the running max and the bids at that price ----------- */

typedef struct {
  int64_t index;      /* window start / size; INT64_MIN = unused */
  int64_t max;
  GArray *best;       /* event indexes with price == max (so far) */
  GArray *boundary;   /* bids at exactly the window end: candidates too */
} q7_win;

static void q7_emit_bid(const nx_store *s, uint64_t e, nx_check *c)
{
  size_t len;
  const uint8_t *v = nx_store_event(s, e, &len);
  nx_check_add(c, nx_row_bid(nx_get_i64(v + 1), nx_get_i64(v + 9), nx_get_i64(v + 17), nx_get_i64(v + 25),
                             nx_get_str(v + NX_BID_STRINGS, 2)));
}

static void q7_fire(const nx_store *s, q7_win *w, nx_check *c)
{
  for (guint i = 0; i < w->best->len; i++)
    q7_emit_bid(s, g_array_index(w->best, uint64_t, i), c);
  for (guint i = 0; i < w->boundary->len; i++) {
    uint64_t e = g_array_index(w->boundary, uint64_t, i);
    size_t len;
    if (nx_get_i64(nx_store_event(s, e, &len) + 17) == w->max)
      q7_emit_bid(s, e, c);
  }
  g_array_set_size(w->best, 0);
  g_array_set_size(w->boundary, 0);
  w->index = INT64_MIN;
}

static nx_check run_q7(const nx_store *s)
{
  nx_check c = {0, 0};
  /* In timestamp order at most two windows are open (the watermark lags
   * 4 s < 10 s): slot index % 2. */
  q7_win w[2];
  for (int i = 0; i < 2; i++) {
    w[i].index = INT64_MIN;
    w[i].best = g_array_new(FALSE, FALSE, sizeof(uint64_t));
    w[i].boundary = g_array_new(FALSE, FALSE, sizeof(uint64_t));
  }
  int64_t max_ts = INT64_MIN;
  for (uint64_t i = 0; i < s->n; i++) {
    size_t len;
    const uint8_t *v = nx_store_event(s, i, &len);
    int64_t ts = s->ts[i];
    if (ts > max_ts) {
      max_ts = ts;
      int64_t wm = max_ts - NX_OUT_OF_ORDERNESS - 1;
      for (int k = 0; k < 2; k++)
        if (w[k].index != INT64_MIN && (w[k].index + 1) * NX_Q7_SIZE - 1 <= wm)
          q7_fire(s, &w[k], &c);
    }
    if (v[0] != NX_BID)
      continue;
    int64_t idx = ts / NX_Q7_SIZE, price = nx_get_i64(v + 17);
    q7_win *x = &w[idx & 1];
    g_assert(x->index == INT64_MIN || x->index == idx);
    if (x->index == INT64_MIN) {
      x->index = idx;
      x->max = price;
    }
    if (price > x->max) {
      x->max = price;
      g_array_set_size(x->best, 0);
    }
    if (price == x->max)
      g_array_append_val(x->best, i);
    if (ts % NX_Q7_SIZE == 0) {
      q7_win *prev = &w[(idx - 1) & 1];
      if (prev->index == idx - 1)
        g_array_append_val(prev->boundary, i);
    }
  }
  for (int k = 0; k < 2; k++) {
    q7_win *first = w[0].index != INT64_MIN && (w[1].index == INT64_MIN || w[0].index < w[1].index) ? &w[0] : &w[1];
    if (first->index != INT64_MIN)
      q7_fire(s, first, &c);
  }
  for (int i = 0; i < 2; i++) {
    g_array_free(w[i].best, TRUE);
    g_array_free(w[i].boundary, TRUE);
  }
  return c;
}

/* ---- Q8: per window the new persons and the set of sellers -------------- */

typedef struct {
  int64_t index;
  GArray *persons; /* event indexes */
  i64map sellers;  /* seller -> 1 */
} q8_win;

static void q8_fire(const nx_store *s, q8_win *w, nx_check *c)
{
  for (guint i = 0; i < w->persons->len; i++) {
    size_t len;
    const uint8_t *v = nx_store_event(s, g_array_index(w->persons, uint64_t, i), &len);
    int64_t id = nx_get_i64(v + 1);
    if (map_has(&w->sellers, id))
      nx_check_add(c, nx_row_q8(id, nx_get_str(v + NX_PERSON_STRINGS, 0), w->index * NX_Q8_SIZE));
  }
  g_array_set_size(w->persons, 0);
  map_clear(&w->sellers);
  w->index = INT64_MIN;
}

static nx_check run_q8(const nx_store *s)
{
  nx_check c = {0, 0};
  q8_win w[2];
  for (int i = 0; i < 2; i++) {
    w[i].index = INT64_MIN;
    w[i].persons = g_array_new(FALSE, FALSE, sizeof(uint64_t));
    map_init(&w[i].sellers, 1024);
  }
  int64_t max_ts = INT64_MIN;
  for (uint64_t i = 0; i < s->n; i++) {
    size_t len;
    const uint8_t *v = nx_store_event(s, i, &len);
    int64_t ts = s->ts[i];
    if (ts > max_ts) {
      max_ts = ts;
      int64_t wm = max_ts - NX_OUT_OF_ORDERNESS - 1;
      for (int k = 0; k < 2; k++)
        if (w[k].index != INT64_MIN && (w[k].index + 1) * NX_Q8_SIZE - 1 <= wm)
          q8_fire(s, &w[k], &c);
    }
    if (v[0] == NX_BID)
      continue;
    int64_t idx = ts / NX_Q8_SIZE;
    q8_win *x = &w[idx & 1];
    g_assert(x->index == INT64_MIN || x->index == idx);
    x->index = idx;
    if (v[0] == NX_PERSON)
      g_array_append_val(x->persons, i);
    else
      *map_slot(&x->sellers, nx_get_i64(v + 17)) = 1;
  }
  for (int k = 0; k < 2; k++) {
    q8_win *first = w[0].index != INT64_MIN && (w[1].index == INT64_MIN || w[0].index < w[1].index) ? &w[0] : &w[1];
    if (first->index != INT64_MIN)
      q8_fire(s, first, &c);
  }
  for (int i = 0; i < 2; i++) {
    g_array_free(w[i].persons, TRUE);
    map_free(&w[i].sellers);
  }
  return c;
}

nx_check nx_hand_run(nx_query q, const nx_store *store)
{
  switch (q) {
  case NX_Q5:
    return run_q5(store);
  case NX_Q7:
    return run_q7(store);
  case NX_Q8:
    return run_q8(store);
  default:
    return run_stateless(q, store);
  }
}
