/* kafka-source.h — internal entry points of the Kafka source for the
 * runtime's checkpoint machinery (not wired yet; see docs/connectors/kafka.md,
 * "Commits").
 *
 * A checkpointing runtime disables enable.auto.commit, records each task's
 * read positions (the `offset` + 1 of the last record a task emitted per
 * partition) with the checkpoint, and once the checkpoint is complete calls
 * rill__kafka_source_commit_offsets on that task's thread with them. */
#pragma once

#include "connectors/kafka/admin.h"

/* Commits @offsets (@n rill__koffset: next offset to read) for the group
 * member of the source task whose state is @source_state, skipping
 * partitions the task no longer owns. Call on the task's thread (e.g. from
 * its barrier handling). FALSE with @error when the commit failed; a commit
 * fenced by a rebalance is not an error (the new owner re-reads). */
gboolean rill__kafka_source_commit_offsets(void *source_state, const rill__koffset *offsets, guint n,
                                           GError **error);
