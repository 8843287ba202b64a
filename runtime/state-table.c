/* state-table.c — see state-table.h for the layout and invariants.
 *
 * Slot layout (stride = 32 + value_size rounded up to 8):
 *   OFFSET SIZE DESCRIPTION
 *   0      8    hash (0 empty, 1 tombstone, >= 2 live)
 *   8      4    key length
 *   12     4    unused
 *   16     16   key bytes when length <= 16, else a g_malloc'd pointer
 *   32     V    the value
 *
 * A slot that is not live is zero bytes but for its hash (clear and rehash
 * zero the array, removal zeroes the slot), so an insert writes only the
 * header and key: its value is already zero-filled.
 */
#include "runtime/state-table.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define INLINE_KEY 16
#define HDR 32
#define EMPTY 0
#define TOMB 1

typedef struct slot {
  uint64_t hash;
  uint32_t len;
  uint32_t unused;
  union {
    uint8_t in[INLINE_KEY];
    uint8_t *ptr;
  } k;
} slot;

G_STATIC_ASSERT(sizeof(slot) == HDR);

struct rill__table {
  uint8_t *slots;
  size_t cap;        /* power of two, or 0 before the first insert */
  size_t stride;
  size_t value_size;
  size_t live, tombs;
  size_t key_bytes;  /* out-of-line key bytes */
};

static inline uint64_t mix(uint64_t a, uint64_t b)
{
  __uint128_t r = (__uint128_t)a * b;
  return (uint64_t)r ^ (uint64_t)(r >> 64);
}

uint64_t rill__hash(const void *data, size_t len)
{
  const uint8_t *p = data;
  uint64_t h = mix(0x9e3779b97f4a7c15ull ^ len, 0xa0761d6478bd642full);
  while (len >= 8) {
    uint64_t w;
    memcpy(&w, p, 8);
    h = mix(h ^ w, 0xe7037ed1a0b428dbull);
    p += 8;
    len -= 8;
  }
  if (len) {
    uint64_t w = 0;
    memcpy(&w, p, len);
    h = mix(h ^ w, 0x8ebc6af09c88c6e3ull);
  }
  h = mix(h, 0x589965cc75374cc3ull);
  return h < 2 ? h + 2 : h;
}

static inline slot *at(const rill__table *t, size_t i)
{
  return (slot *)(t->slots + i * t->stride);
}

static inline const uint8_t *key_of(const slot *s)
{
  return s->len <= INLINE_KEY ? s->k.in : s->k.ptr;
}

static inline gboolean same(const slot *s, const void *key, size_t len, uint64_t hash)
{
  if (s->hash != hash || s->len != len)
    return FALSE;
  if (len == 8) { /* the common id key: two loads, not a memcmp call */
    uint64_t a, b;
    memcpy(&a, s->k.in, 8);
    memcpy(&b, key, 8);
    return a == b;
  }
  return len == 0 || memcmp(key_of(s), key, len) == 0;
}

rill__table *rill__table_new(size_t value_size)
{
  rill__table *t = g_new0(rill__table, 1);
  t->value_size = value_size;
  t->stride = HDR + ((value_size + 7) & ~(size_t)7);
  return t;
}

/* Slot arrays of HUGE bytes or more are 2 MiB aligned and asked to be
 * backed by huge pages: a table that grows to megabytes (a window join's
 * or a pane's keys) is written all over by its rehash, and 4 KiB pages
 * cost a fault each (in a VM, an exit each) where a huge page costs one
 * per 2 MiB. Smaller arrays stay on the heap: many small tables must not
 * round up to 2 MiB each. */
#define HUGE ((size_t)2 * 1024 * 1024)

static uint8_t *slots_alloc(size_t bytes)
{
  if (bytes < HUGE)
    return g_malloc(bytes);
  void *mem = NULL;
  if (posix_memalign(&mem, HUGE, bytes) != 0)
    g_error("state table: out of memory for %zu bytes of slots", bytes);
#ifdef MADV_HUGEPAGE
  madvise(mem, bytes, MADV_HUGEPAGE); /* a hint: failure only costs faults */
#endif
  return mem;
}

static void slots_free(uint8_t *slots, size_t bytes)
{
  if (bytes < HUGE)
    g_free(slots);
  else
    free(slots); /* from posix_memalign */
}

static void free_keys(rill__table *t)
{
  if (!t->key_bytes)
    return; /* no key is out of line: nothing to walk the slots for */
  for (size_t i = 0; i < t->cap; i++) {
    slot *s = at(t, i);
    if (s->hash >= 2 && s->len > INLINE_KEY)
      g_free(s->k.ptr);
  }
  t->key_bytes = 0;
}

void rill__table_free(rill__table *t)
{
  if (!t)
    return;
  free_keys(t);
  slots_free(t->slots, t->cap * t->stride);
  g_free(t);
}

void rill__table_clear(rill__table *t)
{
  free_keys(t);
  if (t->slots)
    memset(t->slots, 0, t->cap * t->stride);
  t->live = t->tombs = 0;
}

/* The capacity a full table grows to: double, except that an array that
 * would reach HUGE / 4 goes straight to HUGE or more. The arrays between
 * (512 KiB, 1 MiB) would sit on 4 KiB pages, a fault per page for each
 * rehash on the way up; a table that size is on its way to megabytes (the
 * first window of a join or an aggregate), and at most it holds 4x the
 * memory its keys need. */
static size_t grown(const rill__table *t)
{
  size_t cap = t->cap * 2;
  if (cap * t->stride >= HUGE / 4)
    while (cap * t->stride < HUGE)
      cap *= 2;
  return cap;
}

/* Rebuilds into @cap slots (drops tombstones); keys move with their slots. */
static void rehash(rill__table *t, size_t cap)
{
  uint8_t *old = t->slots;
  size_t old_cap = t->cap;
  /* Zeroed by writing, not g_malloc0: calloc'd fresh pages are mapped to
   * the shared zero page on the first probe (a read) and then copied on
   * the first insert, two faults per page and a TLB shootdown. */
  t->slots = slots_alloc(cap * t->stride);
  memset(t->slots, 0, cap * t->stride);
  t->cap = cap;
  t->tombs = 0;
  for (size_t i = 0; i < old_cap; i++) {
    const slot *s = (const slot *)(old + i * t->stride);
    if (s->hash < 2)
      continue;
    size_t j = s->hash & (cap - 1);
    while (at(t, j)->hash != EMPTY)
      j = (j + 1) & (cap - 1);
    memcpy(at(t, j), s, t->stride);
  }
  slots_free(old, old_cap * t->stride);
}

void rill__table_prefetch(const rill__table *t, uint64_t hash)
{
  if (t->cap)
    __builtin_prefetch(at(t, hash & (t->cap - 1)));
}

void rill__table_reserve(rill__table *t, size_t n)
{
  size_t cap = t->cap ? t->cap : 16;
  while ((n + t->tombs + 1) * 10 >= cap * 7)
    cap *= 2;
  if (cap != t->cap)
    rehash(t, cap);
}

void *rill__table_lookup(const rill__table *t, const void *key, size_t len, uint64_t hash)
{
  if (!t->cap)
    return NULL;
  size_t mask = t->cap - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    slot *s = at(t, i);
    if (s->hash == EMPTY)
      return NULL;
    if (same(s, key, len, hash))
      return (uint8_t *)s + HDR;
  }
}

void *rill__table_upsert(rill__table *t, const void *key, size_t len, uint64_t hash, gboolean *created)
{
  g_assert(hash >= 2);
  if (G_UNLIKELY((t->live + t->tombs + 1) * 10 >= t->cap * 7))
    rehash(t, t->cap == 0 ? 16 : (t->live + 1) * 2 * 10 >= t->cap * 7 ? grown(t) : t->cap);
  size_t mask = t->cap - 1;
  slot *free_slot = NULL;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    slot *s = at(t, i);
    if (s->hash == EMPTY) {
      if (!free_slot)
        free_slot = s;
      break;
    }
    if (s->hash == TOMB) {
      if (!free_slot)
        free_slot = s;
      continue;
    }
    if (same(s, key, len, hash)) {
      if (created)
        *created = FALSE;
      return (uint8_t *)s + HDR;
    }
  }
  if (free_slot->hash == TOMB)
    t->tombs--;
  /* No memset: a slot that is not live is zeros but for its hash. */
  free_slot->hash = hash;
  free_slot->len = (uint32_t)len;
  if (len <= INLINE_KEY) {
    if (len)
      memcpy(free_slot->k.in, key, len);
  } else {
    free_slot->k.ptr = g_memdup2(key, len);
    t->key_bytes += len;
  }
  t->live++;
  if (created)
    *created = TRUE;
  return (uint8_t *)free_slot + HDR;
}

static void entomb(rill__table *t, slot *s)
{
  if (s->len > INLINE_KEY) {
    g_free(s->k.ptr);
    t->key_bytes -= s->len;
  }
  memset(s, 0, t->stride);
  s->hash = TOMB;
  t->live--;
  t->tombs++;
}

gboolean rill__table_remove(rill__table *t, const void *key, size_t len, uint64_t hash)
{
  uint8_t *v = rill__table_lookup(t, key, len, hash);
  if (!v)
    return FALSE;
  entomb(t, (slot *)(v - HDR));
  return TRUE;
}

size_t rill__table_len(const rill__table *t)
{
  return t->live;
}

size_t rill__table_value_size(const rill__table *t)
{
  return t->value_size;
}

size_t rill__table_bytes(const rill__table *t)
{
  return sizeof *t + t->cap * t->stride + t->key_bytes;
}

gboolean rill__table_next(const rill__table *t, size_t *it, rill_bytes *key, void **value)
{
  for (size_t i = *it; i < t->cap; i++) {
    slot *s = at(t, i);
    if (s->hash < 2)
      continue;
    *it = i + 1;
    if (key)
      *key = rill_bytes_make(key_of(s), s->len);
    if (value)
      *value = (uint8_t *)s + HDR;
    return TRUE;
  }
  *it = t->cap;
  return FALSE;
}

void rill__table_remove_current(rill__table *t, size_t it)
{
  g_assert(it >= 1 && it <= t->cap && at(t, it - 1)->hash >= 2);
  entomb(t, at(t, it - 1));
}

/* ---- snapshots ---------------------------------------------------------- */

static void put_u32(GByteArray *out, uint32_t v)
{
  uint8_t b[4] = {v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24};
  g_byte_array_append(out, b, 4);
}

static gboolean get_u32(const uint8_t *data, size_t len, size_t *pos, uint32_t *v)
{
  if (len - *pos < 4)
    return FALSE;
  const uint8_t *b = data + *pos;
  *v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
  *pos += 4;
  return TRUE;
}

void rill__table_serialize(const rill__table *t, GByteArray *out)
{
  put_u32(out, (uint32_t)t->live);
  rill_bytes k;
  void *v;
  for (size_t it = 0; rill__table_next(t, &it, &k, &v);) {
    put_u32(out, (uint32_t)k.len);
    g_byte_array_append(out, k.data, (guint)k.len);
    g_byte_array_append(out, v, (guint)t->value_size);
  }
}

gboolean rill__table_deserialize(rill__table *t, const uint8_t *data, size_t len, size_t *used)
{
  size_t pos = 0;
  uint32_t n;
  gboolean ok = get_u32(data, len, &pos, &n);
  for (uint32_t i = 0; ok && i < n; i++) {
    uint32_t kl;
    ok = get_u32(data, len, &pos, &kl) && len - pos >= (size_t)kl + t->value_size;
    if (!ok)
      break;
    const uint8_t *key = data + pos;
    void *v = rill__table_upsert(t, key, kl, rill__hash(key, kl), NULL);
    memcpy(v, key + kl, t->value_size);
    pos += kl + t->value_size;
  }
  *used = pos;
  return ok;
}
