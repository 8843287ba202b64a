/* kafka-source.h — committing a source task's positions to its group.
 *
 * The source's own checkpoint hook (on_checkpoint_complete, on the task's
 * thread) calls this with the positions it recorded at that checkpoint's
 * barrier; see kafka-source.c and docs/connectors/kafka.md, "Commits". */
#pragma once

#include "connectors/kafka/admin.h"

/* Commits @offsets (@n rill__koffset: next offset to read) for the group
 * member of the source task whose state is @source_state, skipping
 * partitions the task no longer owns. Call on the task's thread (e.g. from
 * its barrier handling). FALSE with @error when the commit failed; a commit
 * fenced by a rebalance is not an error (the new owner re-reads). */
gboolean rill__kafka_source_commit_offsets(void *source_state, const rill__koffset *offsets, guint n,
                                           GError **error);
