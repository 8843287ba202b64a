/* state.h — keyed state for user operators: value, counter, list and map
 * state, each scoped to the *current key*.
 *
 * A rill_state_store belongs to one task of one stage (create it in open(),
 * free it in close()); it is not thread safe and needs no locking because a
 * key_by before the stage sends every record of a key to the same task.
 * Set the current key (usually the record key) with
 * rill_state_store_set_key(); every state access then reads or writes that
 * key's entry. rill_pipeline_add_keyed_process() does both for you.
 *
 * Memory: the store counts the bytes it holds (tables, keys, values) and,
 * when given a rill_ctx, reports them as the stage's `state_MB` metric.
 *
 * Checkpoint hook: rill_state_store_snapshot() appends a self-contained
 * encoding of every state and key (format in runtime/state.c) and
 * rill_state_store_restore() loads one into a store; a later checkpoint
 * module calls them at barriers and at restart.
 */
#pragma once

#include <rill/export.h>

#include <rill/pipeline.h>

G_BEGIN_DECLS

#define RILL_STATE_ERROR (rill_state_error_quark())
RILL_API GQuark rill_state_error_quark(void);
typedef enum {
  RILL_STATE_ERROR_CORRUPT, /* a snapshot is truncated or malformed */
  RILL_STATE_ERROR_KIND,    /* a snapshot's state has another kind than the store's */
} rill_state_error;

typedef enum {
  RILL_STATE_VALUE,   /* one byte string per key */
  RILL_STATE_COUNTER, /* one int64 per key (0 when unset) */
  RILL_STATE_LIST,    /* an append-only list of byte strings per key */
  RILL_STATE_MAP,     /* a byte-string -> byte-string map per key */
} rill_state_kind;

typedef struct rill_state_store rill_state_store;
typedef struct rill_state rill_state;

/* @ctx (transfer none, may be NULL): where memory is reported. */
RILL_API rill_state_store *rill_state_store_new(rill_ctx *ctx);
RILL_API void rill_state_store_free(rill_state_store *store);
/* The state named @name, created on first use. Asking again for a name with
 * another kind is a programming error (NULL). (transfer none) */
RILL_API rill_state *rill_state_store_get(rill_state_store *store, const char *name, rill_state_kind kind);
/* Makes @key (copied) the current key. */
RILL_API void rill_state_store_set_key(rill_state_store *store, rill_bytes key);
/* Bytes held by the store. */
RILL_API guint64 rill_state_store_bytes(const rill_state_store *store);
/* Keys with any entry in any state. */
RILL_API guint rill_state_store_n_keys(const rill_state_store *store, const char *name);

RILL_API void rill_state_store_snapshot(const rill_state_store *store, GByteArray *out);
RILL_API gboolean rill_state_store_restore(rill_state_store *store, const uint8_t *data, size_t len, GError **error);

/* Forgets the current key's entry (any kind). */
RILL_API void rill_state_clear(rill_state *state);

/* value: (transfer none) *@out is valid until the next write to @state. */
RILL_API gboolean rill_value_state_get(rill_state *state, rill_bytes *out);
RILL_API void rill_value_state_set(rill_state *state, const void *data, size_t len);
RILL_API gboolean rill_value_state_get_i64(rill_state *state, int64_t *out);
RILL_API void rill_value_state_set_i64(rill_state *state, int64_t v);
RILL_API gboolean rill_value_state_get_double(rill_state *state, double *out);
RILL_API void rill_value_state_set_double(rill_state *state, double v);

/* counter: returns the new value. */
RILL_API int64_t rill_counter_state_add(rill_state *state, int64_t delta);
RILL_API int64_t rill_counter_state_get(rill_state *state);

/* list */
RILL_API void rill_list_state_append(rill_state *state, const void *data, size_t len);
RILL_API guint rill_list_state_len(rill_state *state);
/* Element @index, (transfer none) valid until the next write. */
RILL_API gboolean rill_list_state_get(rill_state *state, guint index, rill_bytes *out);

/* map */
RILL_API void rill_map_state_put(rill_state *state, const void *key, size_t key_len, const void *value,
                                 size_t value_len);
RILL_API gboolean rill_map_state_get(rill_state *state, const void *key, size_t key_len, rill_bytes *out);
RILL_API gboolean rill_map_state_remove(rill_state *state, const void *key, size_t key_len);
RILL_API guint rill_map_state_len(rill_state *state);

/* ---- a keyed process stage ----------------------------------------------
 * Calls @fn per record with @store's current key set to the record key;
 * @fn emits what it likes into @out. One store per task, created before
 * the first record and freed at close. Watermarks pass through. */
typedef rill_flow (*rill_keyed_process_fn)(rill_ctx *ctx, const rill_record *record, rill_state_store *store,
                                           rill_emitter *out, void *user_data);
RILL_API rill_stage *rill_pipeline_add_keyed_process(rill_pipeline *pipeline, const char *name, rill_stage *input,
                                                     rill_keyed_process_fn fn, void *user_data, GDestroyNotify destroy);

G_END_DECLS
