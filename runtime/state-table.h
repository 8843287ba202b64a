/* state-table.h — the hash table under every keyed store in rill: keyed
 * state, window panes, aggregates, dedupe, top-N.
 *
 * An open-addressing table (linear probing, tombstones) from byte-string
 * keys to fixed-size values stored inline next to the key, so a lookup is
 * one probe sequence in one array and the hot path never allocates: keys up
 * to 16 bytes live in the slot, longer keys get one allocation when the key
 * is first inserted (never per record).
 *
 * Invariants: hash 0 marks an empty slot and 1 a tombstone, so stored hashes
 * are >= 2 (rill__hash never returns less); live + tombstones stays below
 * 70% of the capacity, which is a power of two. Value pointers stay valid
 * until the next insert (which may grow the table) or clear. Values are
 * zero-filled when created. Not thread safe: one table belongs to one task.
 *
 * Snapshots (for checkpoints): rill__table_serialize() writes
 *   u32 count, then per entry: u32 key_len, key bytes, value_size bytes
 * (little-endian counts; values copied verbatim, so only tables whose values
 * are plain old data may use it — stores holding pointers serialize their
 * values themselves and use the iteration API).
 */
#pragma once

#include <rill/record.h>

typedef struct rill__table rill__table;

/* A 64-bit hash of @len bytes (>= 2). Routing uses the high 32 bits and
 * tables the low bits, so a task's keys still spread over its tables. */
uint64_t rill__hash(const void *data, size_t len);

/* Consumer task for @hash among @n (high bits, so it is independent of the
 * table index). */
static inline guint rill__hash_route(uint64_t hash, guint n)
{
  return (guint)(((hash >> 32) * (uint64_t)n) >> 32);
}

/* A table whose values are @value_size bytes. (transfer full) */
rill__table *rill__table_new(size_t value_size);
/* Frees @t (NULL ignored). Values holding resources must be released first. */
void rill__table_free(rill__table *t);
/* Removes every entry, keeping the capacity. */
void rill__table_clear(rill__table *t);
/* Grows the capacity so that @n entries fit without a rehash. */
void rill__table_reserve(rill__table *t, size_t n);

/* The value for @key, inserting a zero-filled one if absent (*@created tells
 * which, may be NULL). @hash must be rill__hash(@key, @len). (transfer none) */
void *rill__table_upsert(rill__table *t, const void *key, size_t len, uint64_t hash, gboolean *created);
/* Starts loading the slot where a probe for @hash begins, for a caller
 * that knows its next keys before it needs them. */
void rill__table_prefetch(const rill__table *t, uint64_t hash);
/* The value for @key, or NULL. (transfer none) */
void *rill__table_lookup(const rill__table *t, const void *key, size_t len, uint64_t hash);
/* Removes @key; FALSE when absent. */
gboolean rill__table_remove(rill__table *t, const void *key, size_t len, uint64_t hash);

size_t rill__table_len(const rill__table *t);
size_t rill__table_value_size(const rill__table *t);
/* Bytes held: the slot array plus out-of-line keys. */
size_t rill__table_bytes(const rill__table *t);

/* Iteration: `for (size_t it = 0; rill__table_next(t, &it, &key, &value);)`.
 * Inserting during iteration is not allowed; removing the entry just
 * returned (rill__table_remove_current) is. */
gboolean rill__table_next(const rill__table *t, size_t *it, rill_bytes *key, void **value);
/* Removes the entry the last rill__table_next(@it) returned. */
void rill__table_remove_current(rill__table *t, size_t it);

/* Appends the snapshot format above to @out. */
void rill__table_serialize(const rill__table *t, GByteArray *out);
/* Inserts the entries of a snapshot; FALSE if @data is malformed (entries
 * before the damage stay inserted). *@used gets the bytes consumed. */
gboolean rill__table_deserialize(rill__table *t, const uint8_t *data, size_t len, size_t *used);
