/* keyed.h — key_by: a hash exchange that sends every record of one key to
 * the same downstream task, so keyed state, windows and aggregates after it
 * see all of a key's records in one place.
 *
 * key_by hashes each record's key (or the key a rill_key_fn extracts, which
 * then becomes the record key) and routes the record to task
 * hash(key) mod P of the next stage. Records cross threads in batches (one
 * per destination per input batch), never one by one; with P = 1 batches
 * pass through untouched. Order per key is kept: records of one key from
 * one upstream task arrive in their upstream order. Watermarks and barriers
 * go to every downstream task.
 *
 * Every stage whose input is a key_by stage reads it over an exchange edge
 * automatically (RILL_OPERATOR_EXCHANGE_OUTPUT).
 */
#pragma once

#include <rill/export.h>

#include <rill/pipeline.h>

G_BEGIN_DECLS

/* Returns the key of @record. The bytes may point into @record, or into
 * @scratch (a buffer of @scratch_len bytes) when the key is computed;
 * returning more than @scratch_len bytes from @scratch is a bug. An absent
 * result (data == NULL) is a key of its own. */
typedef rill_bytes (*rill_key_fn)(const rill_record *record, uint8_t *scratch, size_t scratch_len, void *user_data);

/* Bytes of scratch a rill_key_fn gets. */
#define RILL_KEY_SCRATCH 256

/* A key_by stage. @fn NULL: route by the existing record key. @destroy
 * releases @user_data when the pipeline is freed. */
RILL_API rill_stage *rill_pipeline_add_key_by(rill_pipeline *pipeline, const char *name, rill_stage *input,
                                              rill_key_fn fn, void *user_data, GDestroyNotify destroy);

/* The downstream task index key_by picks for @key among @parallelism tasks
 * (for tests and for sources that pre-partition by the same rule). */
RILL_API guint rill_key_route(rill_bytes key, guint parallelism);

G_END_DECLS
