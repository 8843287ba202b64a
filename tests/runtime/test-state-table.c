/* test-state-table.c — rill__table against a reference model (a GHashTable
 * of the same keys): random upserts, lookups, removals and clears over
 * 8-byte keys, inline keys of other lengths and out-of-line keys, through
 * tables big enough for the huge-page slot arrays (2 MiB and more); and
 * rill__table_reserve: after reserving n, n inserts do not grow the table. */
#include <glib.h>
#include <string.h>

#include "runtime/state-table.h"

#define VALUE_SIZE 32 /* a 64-byte slot, like the window join's */

/* The key of number @k in one of three shapes: 8 bytes, 5 bytes (inline)
 * or 24 bytes (out of line). Written to @buf; returns its length. */
static size_t make_key(uint64_t k, uint8_t *buf)
{
  switch (k % 3) {
  case 0:
    memcpy(buf, &k, 8);
    return 8;
  case 1:
    memcpy(buf, &k, 5);
    return 5;
  default:
    memset(buf, 'x', 24);
    memcpy(buf + 8, &k, 8);
    return 24;
  }
}

/* Every model entry is in @t with its value, and nothing else is. */
static void check_same(const rill__table *t, GHashTable *model)
{
  g_assert_cmpuint(rill__table_len(t), ==, g_hash_table_size(model));
  GHashTableIter it;
  gpointer mk, mv;
  g_hash_table_iter_init(&it, model);
  while (g_hash_table_iter_next(&it, &mk, &mv)) {
    uint8_t key[24];
    size_t len = make_key(*(const uint64_t *)mk, key);
    const uint64_t *v = rill__table_lookup(t, key, len, rill__hash(key, len));
    g_assert_nonnull(v);
    g_assert_cmpuint(v[0], ==, GPOINTER_TO_SIZE(mv));
    g_assert_cmpuint(v[3], ==, ~(uint64_t)GPOINTER_TO_SIZE(mv));
  }
  size_t seen = 0;
  rill_bytes key;
  void *v;
  for (size_t i = 0; rill__table_next(t, &i, &key, &v);)
    seen++;
  g_assert_cmpuint(seen, ==, g_hash_table_size(model));
}

static void test_model(void)
{
  GRand *rand = g_rand_new_with_seed(18);
  rill__table *t = rill__table_new(VALUE_SIZE);
  GHashTable *model = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
  /* 60 000 live keys at most: a 64-byte slot array of 128 Ki slots, 8 MiB. */
  for (int round = 0; round < 3; round++) {
    for (int op = 0; op < 200000; op++) {
      uint64_t k = g_rand_int_range(rand, 0, 60000);
      uint8_t key[24];
      size_t len = make_key(k, key);
      uint64_t h = rill__hash(key, len);
      if (g_rand_int_range(rand, 0, 4) == 0) {
        gboolean had = g_hash_table_remove(model, &k);
        g_assert_cmpint(rill__table_remove(t, key, len, h), ==, had);
        continue;
      }
      gboolean created;
      uint64_t *v = rill__table_upsert(t, key, len, h, &created);
      g_assert_cmpint(created, ==, !g_hash_table_contains(model, &k));
      if (created)
        g_assert_true(v[0] == 0 && v[1] == 0 && v[2] == 0 && v[3] == 0); /* zero-filled */
      uint64_t val = (uint64_t)op + 1;
      v[0] = val;
      v[3] = ~val;
      g_hash_table_insert(model, g_memdup2(&k, sizeof k), GSIZE_TO_POINTER(val));
    }
    check_same(t, model);
    g_assert_cmpuint(rill__table_bytes(t), >=, (size_t)2 * 1024 * 1024);
    if (round < 2) {
      rill__table_clear(t); /* capacity kept, keys freed */
      g_hash_table_remove_all(model);
      check_same(t, model);
    }
  }
  /* A snapshot restores the same entries into a fresh table. */
  GByteArray *snap = g_byte_array_new();
  rill__table_serialize(t, snap);
  rill__table *back = rill__table_new(VALUE_SIZE);
  size_t used = 0;
  g_assert_true(rill__table_deserialize(back, snap->data, snap->len, &used));
  g_assert_cmpuint(used, ==, snap->len);
  check_same(back, model);
  rill__table_free(back);
  g_byte_array_unref(snap);
  rill__table_free(t);
  g_hash_table_unref(model);
  g_rand_free(rand);
}

static void test_reserve(void)
{
  for (size_t n = 0; n < 70000; n = n * 3 + 1) {
    rill__table *t = rill__table_new(VALUE_SIZE);
    rill__table_reserve(t, n);
    size_t bytes = rill__table_bytes(t);
    for (uint64_t k = 0; k < n; k++)
      rill__table_upsert(t, &k, 8, rill__hash(&k, 8), NULL);
    g_assert_cmpuint(rill__table_bytes(t), ==, bytes);
    g_assert_cmpuint(rill__table_len(t), ==, n);
    /* Reserving what it already has room for changes nothing. */
    rill__table_reserve(t, 0);
    g_assert_cmpuint(rill__table_bytes(t), ==, bytes);
    for (uint64_t k = 0; k < n; k++)
      g_assert_nonnull(rill__table_lookup(t, &k, 8, rill__hash(&k, 8)));
    rill__table_free(t);
  }
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/state-table/model", test_model);
  g_test_add_func("/state-table/reserve", test_reserve);
  return g_test_run();
}
