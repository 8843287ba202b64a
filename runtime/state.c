/* state.c — keyed state stores (state.h) on top of rill__table.
 *
 * Each named state is one table from key to a small fixed-size entry:
 *   value    {data, len, present}     data g_malloc'd, reused while it fits
 *   counter  {int64}
 *   list     {buf, len, cap, n}       elements as [u32 len][bytes] in buf
 *   map      {rill__table *}          inner table: map key -> {data, len}
 * The current key's hash is computed once per set_key and reused by every
 * access. `heap` counts the bytes the entries point to.
 *
 * Snapshot format (little-endian):
 *   u32 n_states, then per state: u32 name_len, name, u8 kind, u32 n_keys,
 *   then per key: u32 key_len, key, payload
 *   payload: value   u32 len, bytes     counter  i64
 *            list    u32 n, then n x (u32 len, bytes)
 *            map     u32 n, then n x (u32 klen, key, u32 vlen, value)
 */
#include <rill/state.h>

#include <string.h>

#include "runtime/state-table.h"

G_DEFINE_QUARK(rill-state-error-quark, rill_state_error)

typedef struct { uint8_t *data; uint32_t len, cap; } blob;
typedef struct { uint8_t *buf; uint32_t len, cap, n, unused; } list_entry;

struct rill_state {
  rill_state_store *store; /* not refcounted: owns us */
  char *name;
  rill_state_kind kind;
  rill__table *t;
};

struct rill_state_store {
  rill_ctx *ctx;           /* not refcounted; may be NULL */
  GPtrArray *states;       /* rill_state, owned */
  GByteArray *key;         /* the current key */
  gboolean key_present;
  uint64_t hash;
  guint64 heap;            /* bytes entries point to */
};

static size_t entry_size(rill_state_kind kind)
{
  switch (kind) {
  case RILL_STATE_VALUE: return sizeof(blob);
  case RILL_STATE_COUNTER: return sizeof(int64_t);
  case RILL_STATE_LIST: return sizeof(list_entry);
  case RILL_STATE_MAP: return sizeof(rill__table *);
  }
  return 0;
}

/* Releases what entry @e of @s points to. */
static void entry_release(rill_state *s, void *e)
{
  rill_state_store *st = s->store;
  if (s->kind == RILL_STATE_VALUE) {
    st->heap -= ((blob *)e)->cap;
    g_free(((blob *)e)->data);
  } else if (s->kind == RILL_STATE_LIST) {
    st->heap -= ((list_entry *)e)->cap;
    g_free(((list_entry *)e)->buf);
  } else if (s->kind == RILL_STATE_MAP) {
    rill__table *m = *(rill__table **)e;
    void *v;
    for (size_t it = 0; rill__table_next(m, &it, NULL, &v);) {
      st->heap -= ((blob *)v)->cap;
      g_free(((blob *)v)->data);
    }
    st->heap -= rill__table_bytes(m);
    rill__table_free(m);
  }
}

rill_state_store *rill_state_store_new(rill_ctx *ctx)
{
  rill_state_store *st = g_new0(rill_state_store, 1);
  st->ctx = ctx;
  st->states = g_ptr_array_new();
  st->key = g_byte_array_new();
  st->hash = rill__hash(NULL, 0);
  return st;
}

void rill_state_store_free(rill_state_store *store)
{
  if (!store)
    return;
  for (guint i = 0; i < store->states->len; i++) {
    rill_state *s = store->states->pdata[i];
    void *e;
    for (size_t it = 0; rill__table_next(s->t, &it, NULL, &e);)
      entry_release(s, e);
    rill__table_free(s->t);
    g_free(s->name);
    g_free(s);
  }
  g_ptr_array_unref(store->states);
  g_byte_array_unref(store->key);
  g_free(store);
}

rill_state *rill_state_store_get(rill_state_store *store, const char *name, rill_state_kind kind)
{
  g_return_val_if_fail(store != NULL && name != NULL && kind <= RILL_STATE_MAP, NULL);
  for (guint i = 0; i < store->states->len; i++) {
    rill_state *s = store->states->pdata[i];
    if (!strcmp(s->name, name)) {
      g_return_val_if_fail(s->kind == kind, NULL);
      return s;
    }
  }
  rill_state *s = g_new0(rill_state, 1);
  s->store = store;
  s->name = g_strdup(name);
  s->kind = kind;
  s->t = rill__table_new(entry_size(kind));
  g_ptr_array_add(store->states, s);
  return s;
}

guint64 rill_state_store_bytes(const rill_state_store *store)
{
  g_return_val_if_fail(store != NULL, 0);
  guint64 b = store->heap;
  for (guint i = 0; i < store->states->len; i++)
    b += rill__table_bytes(((rill_state *)store->states->pdata[i])->t);
  return b;
}

guint rill_state_store_n_keys(const rill_state_store *store, const char *name)
{
  g_return_val_if_fail(store != NULL && name != NULL, 0);
  for (guint i = 0; i < store->states->len; i++) {
    rill_state *s = store->states->pdata[i];
    if (!strcmp(s->name, name))
      return (guint)rill__table_len(s->t);
  }
  return 0;
}

void rill_state_store_set_key(rill_state_store *store, rill_bytes key)
{
  g_return_if_fail(store != NULL);
  if (store->ctx)
    rill_ctx_set_state_bytes(store->ctx, rill_state_store_bytes(store));
  g_byte_array_set_size(store->key, 0);
  if (key.len)
    g_byte_array_append(store->key, key.data, (guint)key.len);
  store->hash = rill__hash(store->key->data, store->key->len);
}

static void *find(rill_state *s)
{
  rill_state_store *st = s->store;
  return rill__table_lookup(s->t, st->key->data, st->key->len, st->hash);
}

static void *upsert(rill_state *s, gboolean *created)
{
  rill_state_store *st = s->store;
  void *e = rill__table_upsert(s->t, st->key->data, st->key->len, st->hash, created);
  if (*created && s->kind == RILL_STATE_MAP) {
    *(rill__table **)e = rill__table_new(sizeof(blob));
    st->heap += rill__table_bytes(*(rill__table **)e);
  }
  return e;
}

void rill_state_clear(rill_state *state)
{
  g_return_if_fail(state != NULL);
  void *e = find(state);
  if (!e)
    return;
  entry_release(state, e);
  rill_state_store *st = state->store;
  rill__table_remove(state->t, st->key->data, st->key->len, st->hash);
}

/* ---- value -------------------------------------------------------------- */

static void blob_set(rill_state_store *st, blob *b, const void *data, size_t len)
{
  if (len > b->cap || b->cap > 4 * len + 64) {
    st->heap -= b->cap;
    g_free(b->data);
    b->cap = (uint32_t)(len ? len : 1);
    b->data = g_malloc(b->cap);
    st->heap += b->cap;
  }
  if (len)
    memcpy(b->data, data, len);
  b->len = (uint32_t)len;
}

gboolean rill_value_state_get(rill_state *state, rill_bytes *out)
{
  g_return_val_if_fail(state != NULL && state->kind == RILL_STATE_VALUE && out != NULL, FALSE);
  blob *b = find(state);
  if (!b)
    return FALSE;
  *out = rill_bytes_make(b->data, b->len);
  return TRUE;
}

void rill_value_state_set(rill_state *state, const void *data, size_t len)
{
  g_return_if_fail(state != NULL && state->kind == RILL_STATE_VALUE && (data != NULL || len == 0));
  gboolean created;
  blob_set(state->store, upsert(state, &created), data, len);
}

gboolean rill_value_state_get_i64(rill_state *state, int64_t *out)
{
  rill_bytes b;
  if (!rill_value_state_get(state, &b) || b.len != sizeof *out)
    return FALSE;
  memcpy(out, b.data, sizeof *out);
  return TRUE;
}

void rill_value_state_set_i64(rill_state *state, int64_t v)
{
  rill_value_state_set(state, &v, sizeof v);
}

gboolean rill_value_state_get_double(rill_state *state, double *out)
{
  rill_bytes b;
  if (!rill_value_state_get(state, &b) || b.len != sizeof *out)
    return FALSE;
  memcpy(out, b.data, sizeof *out);
  return TRUE;
}

void rill_value_state_set_double(rill_state *state, double v)
{
  rill_value_state_set(state, &v, sizeof v);
}

/* ---- counter ------------------------------------------------------------ */

int64_t rill_counter_state_add(rill_state *state, int64_t delta)
{
  g_return_val_if_fail(state != NULL && state->kind == RILL_STATE_COUNTER, 0);
  gboolean created;
  int64_t *c = upsert(state, &created);
  *c += delta;
  return *c;
}

int64_t rill_counter_state_get(rill_state *state)
{
  g_return_val_if_fail(state != NULL && state->kind == RILL_STATE_COUNTER, 0);
  int64_t *c = find(state);
  return c ? *c : 0;
}

/* ---- list --------------------------------------------------------------- */

void rill_list_state_append(rill_state *state, const void *data, size_t len)
{
  g_return_if_fail(state != NULL && state->kind == RILL_STATE_LIST && (data != NULL || len == 0));
  gboolean created;
  list_entry *l = upsert(state, &created);
  size_t need = l->len + 4 + len;
  if (need > l->cap) {
    size_t cap = MAX(need, (size_t)l->cap * 2);
    l->buf = g_realloc(l->buf, cap);
    state->store->heap += cap - l->cap;
    l->cap = (uint32_t)cap;
  }
  uint32_t n32 = (uint32_t)len;
  memcpy(l->buf + l->len, &n32, 4);
  if (len)
    memcpy(l->buf + l->len + 4, data, len);
  l->len = (uint32_t)need;
  l->n++;
}

guint rill_list_state_len(rill_state *state)
{
  g_return_val_if_fail(state != NULL && state->kind == RILL_STATE_LIST, 0);
  list_entry *l = find(state);
  return l ? l->n : 0;
}

gboolean rill_list_state_get(rill_state *state, guint index, rill_bytes *out)
{
  g_return_val_if_fail(state != NULL && state->kind == RILL_STATE_LIST && out != NULL, FALSE);
  list_entry *l = find(state);
  if (!l || index >= l->n)
    return FALSE;
  size_t pos = 0;
  for (guint i = 0;; i++) {
    uint32_t n;
    memcpy(&n, l->buf + pos, 4);
    if (i == index) {
      *out = rill_bytes_make(l->buf + pos + 4, n);
      return TRUE;
    }
    pos += 4 + n;
  }
}

/* ---- map ---------------------------------------------------------------- */

void rill_map_state_put(rill_state *state, const void *key, size_t key_len, const void *value, size_t value_len)
{
  g_return_if_fail(state != NULL && state->kind == RILL_STATE_MAP && (value != NULL || value_len == 0));
  gboolean created;
  rill__table **m = upsert(state, &created);
  guint64 before = rill__table_bytes(*m);
  blob *b = rill__table_upsert(*m, key, key_len, rill__hash(key, key_len), &created);
  state->store->heap += rill__table_bytes(*m) - before;
  blob_set(state->store, b, value, value_len);
}

gboolean rill_map_state_get(rill_state *state, const void *key, size_t key_len, rill_bytes *out)
{
  g_return_val_if_fail(state != NULL && state->kind == RILL_STATE_MAP && out != NULL, FALSE);
  rill__table **m = find(state);
  blob *b = m ? rill__table_lookup(*m, key, key_len, rill__hash(key, key_len)) : NULL;
  if (!b)
    return FALSE;
  *out = rill_bytes_make(b->data, b->len);
  return TRUE;
}

gboolean rill_map_state_remove(rill_state *state, const void *key, size_t key_len)
{
  g_return_val_if_fail(state != NULL && state->kind == RILL_STATE_MAP, FALSE);
  rill__table **m = find(state);
  uint64_t h = rill__hash(key, key_len);
  blob *b = m ? rill__table_lookup(*m, key, key_len, h) : NULL;
  if (!b)
    return FALSE;
  state->store->heap -= b->cap;
  g_free(b->data);
  guint64 before = rill__table_bytes(*m);
  rill__table_remove(*m, key, key_len, h);
  state->store->heap -= before - rill__table_bytes(*m);
  return TRUE;
}

guint rill_map_state_len(rill_state *state)
{
  g_return_val_if_fail(state != NULL && state->kind == RILL_STATE_MAP, 0);
  rill__table **m = find(state);
  return m ? (guint)rill__table_len(*m) : 0;
}

/* ---- snapshots ---------------------------------------------------------- */

static void put32(GByteArray *o, uint32_t v)
{
  uint8_t b[4] = {v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24};
  g_byte_array_append(o, b, 4);
}

static void put_bytes(GByteArray *o, const void *p, size_t n)
{
  put32(o, (uint32_t)n);
  if (n)
    g_byte_array_append(o, p, (guint)n);
}

void rill_state_store_snapshot(const rill_state_store *store, GByteArray *out)
{
  g_return_if_fail(store != NULL && out != NULL);
  put32(out, store->states->len);
  for (guint i = 0; i < store->states->len; i++) {
    rill_state *s = store->states->pdata[i];
    put_bytes(out, s->name, strlen(s->name));
    uint8_t kind = (uint8_t)s->kind;
    g_byte_array_append(out, &kind, 1);
    put32(out, (uint32_t)rill__table_len(s->t));
    rill_bytes k;
    void *e;
    for (size_t it = 0; rill__table_next(s->t, &it, &k, &e);) {
      put_bytes(out, k.data, k.len);
      if (s->kind == RILL_STATE_VALUE) {
        put_bytes(out, ((blob *)e)->data, ((blob *)e)->len);
      } else if (s->kind == RILL_STATE_COUNTER) {
        uint64_t v = (uint64_t) * (int64_t *)e;
        put32(out, (uint32_t)v);
        put32(out, (uint32_t)(v >> 32));
      } else if (s->kind == RILL_STATE_LIST) {
        put32(out, ((list_entry *)e)->n);
        if (((list_entry *)e)->len)
          g_byte_array_append(out, ((list_entry *)e)->buf, ((list_entry *)e)->len);
      } else {
        rill__table *m = *(rill__table **)e;
        put32(out, (uint32_t)rill__table_len(m));
        rill_bytes mk;
        void *v;
        for (size_t j = 0; rill__table_next(m, &j, &mk, &v);) {
          put_bytes(out, mk.data, mk.len);
          put_bytes(out, ((blob *)v)->data, ((blob *)v)->len);
        }
      }
    }
  }
}

typedef struct { const uint8_t *p; size_t left; } reader;

static gboolean get32(reader *r, uint32_t *v)
{
  if (r->left < 4)
    return FALSE;
  *v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 | (uint32_t)r->p[3] << 24;
  r->p += 4;
  r->left -= 4;
  return TRUE;
}

static gboolean get_bytes(reader *r, rill_bytes *b)
{
  uint32_t n;
  if (!get32(r, &n) || r->left < n)
    return FALSE;
  *b = rill_bytes_make(r->p, n);
  r->p += n;
  r->left -= n;
  return TRUE;
}

gboolean rill_state_store_restore(rill_state_store *store, const uint8_t *data, size_t len, GError **error)
{
  g_return_val_if_fail(store != NULL && (data != NULL || len == 0), FALSE);
  reader r = {data, len};
  uint32_t n_states;
  gboolean ok = get32(&r, &n_states);
  for (uint32_t i = 0; ok && i < n_states; i++) {
    rill_bytes name;
    uint32_t n_keys;
    ok = get_bytes(&r, &name) && r.left >= 1 && r.p[0] <= RILL_STATE_MAP;
    if (!ok)
      break;
    rill_state_kind kind = r.p[0];
    r.p++;
    r.left--;
    char *nm = g_strndup((const char *)name.data, name.len);
    rill_state *s = NULL;
    for (guint k = 0; k < store->states->len; k++)
      if (!strcmp(((rill_state *)store->states->pdata[k])->name, nm))
        s = store->states->pdata[k];
    if (s && s->kind != kind) {
      g_set_error(error, RILL_STATE_ERROR, RILL_STATE_ERROR_KIND, "state '%s' has another kind in the snapshot", nm);
      g_free(nm);
      return FALSE;
    }
    if (!s)
      s = rill_state_store_get(store, nm, kind);
    g_free(nm);
    ok = get32(&r, &n_keys);
    for (uint32_t k = 0; ok && k < n_keys; k++) {
      rill_bytes key;
      if (!(ok = get_bytes(&r, &key)))
        break;
      rill_state_store_set_key(store, key);
      if (kind == RILL_STATE_VALUE) {
        rill_bytes v;
        if ((ok = get_bytes(&r, &v)))
          rill_value_state_set(s, v.data ? v.data : (const uint8_t *)"", v.len);
      } else if (kind == RILL_STATE_COUNTER) {
        uint32_t lo, hi;
        if ((ok = get32(&r, &lo) && get32(&r, &hi)))
          rill_counter_state_add(s, (int64_t)((uint64_t)hi << 32 | lo) - rill_counter_state_get(s));
      } else {
        uint32_t n;
        ok = get32(&r, &n);
        for (uint32_t j = 0; ok && j < n; j++) {
          rill_bytes a, b;
          if (kind == RILL_STATE_LIST) {
            if ((ok = get_bytes(&r, &a)))
              rill_list_state_append(s, a.data ? a.data : (const uint8_t *)"", a.len);
          } else if ((ok = get_bytes(&r, &a) && get_bytes(&r, &b))) {
            rill_map_state_put(s, a.data, a.len, b.data ? b.data : (const uint8_t *)"", b.len);
          }
        }
      }
    }
  }
  if (!ok || r.left) {
    g_set_error_literal(error, RILL_STATE_ERROR, RILL_STATE_ERROR_CORRUPT, "state snapshot is truncated or malformed");
    return FALSE;
  }
  return TRUE;
}
