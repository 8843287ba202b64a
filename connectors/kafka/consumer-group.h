/* consumer-group.h — one member of a Kafka consumer group (internal), used
 * by the Kafka source (one member per task) and by rill-consume -G.
 *
 * Classic group protocol: FindCoordinator, JoinGroup, SyncGroup (the leader
 * runs the assignor the coordinator picked from partition.assignment.strategy:
 * "range" or "roundrobin", with Kafka's ConsumerProtocol encoding, so rill
 * members share groups with librdkafka and Java consumers), Heartbeat,
 * OffsetFetch, OffsetCommit, LeaveGroup.
 *
 * Threads: the protocol runs on the member's own thread, so heartbeats go
 * out every heartbeat.interval.ms however long the consumer takes between
 * polls. The consumer thread talks to it only through rill__kmember_poll,
 * rill__kmember_revoked and rill__kmember_commit.
 *
 * Rebalance handshake (eager protocol): when the coordinator announces a
 * rebalance (or a commit is fenced), the member thread asks the consumer to
 * give its partitions back (poll returns REVOKE) and waits — up to
 * max.poll.interval.ms, the rebalance timeout other members wait for us —
 * until the consumer has committed what it processed and called
 * rill__kmember_revoked. Only then does it rejoin, so a partition is never
 * read by its old and new owner with both committing.
 *
 * max.poll.interval.ms: a consumer that has not polled for that long is
 * taken out of the group (LeaveGroup); its next poll revokes and rejoins.
 *
 * Invariant: commits carry the generation and member id of the assignment
 * the consumer holds; the coordinator refuses them (ILLEGAL_GENERATION,
 * UNKNOWN_MEMBER_ID, REBALANCE_IN_PROGRESS) once the group has moved on, and
 * the member then rejoins. */
#pragma once

#include "connectors/kafka/admin.h"

typedef struct rill__kmember rill__kmember;

/* A member of @group_id subscribing to @topics (NULL-terminated; entries
 * starting with '^' are regular expressions matched against the cluster's
 * topic names, re-checked every metadata.max.age.ms). Starts joining at
 * once. @client (transfer none) must outlive the member. NULL with @error
 * for an invalid regex or strategy. (transfer full) */
rill__kmember *rill__kmember_new(rill__kclient *client, const char *group_id, const char *const *topics,
                                 GError **error);
/* Stops the member thread, leaves the group (LeaveGroup) and frees. The
 * consumer commits before this. NULL ignored. */
void rill__kmember_free(rill__kmember *m);

typedef enum {
  RILL__KMEMBER_IDLE,   /* nothing to do */
  RILL__KMEMBER_ASSIGN, /* a new assignment: *assignment is set */
  RILL__KMEMBER_REVOKE, /* give back every partition: commit, then rill__kmember_revoked() */
  RILL__KMEMBER_ERROR,  /* the member failed for good: *error is set */
} rill__kmember_event;

/* Called by the consumer at least every max.poll.interval.ms. On ASSIGN,
 * *@assignment (transfer full; rill__koffsets_free) lists the partitions
 * with their committed offsets (-1: none). */
rill__kmember_event rill__kmember_poll(rill__kmember *m, GArray **assignment, GError **error);
/* The consumer no longer reads or commits the partitions it held. */
void rill__kmember_revoked(rill__kmember *m);

/* Commits @offsets (rill__koffset: the next offset to read) under the
 * generation of the consumer's assignment. FALSE with @error on failure;
 * *@fenced is then TRUE when the group moved on (the member rejoins by
 * itself: the next poll revokes). */
gboolean rill__kmember_commit(rill__kmember *m, const GArray *offsets, gboolean *fenced, GError **error);

/* The current generation (-1 when none) and member id ("" when none), for
 * logs and tests. (transfer full) the id. */
int32_t rill__kmember_generation(rill__kmember *m, char **member_id);
