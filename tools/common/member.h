/* member.h — a consumer group member for rill-consume -G: the classic
 * group protocol (JoinGroup, SyncGroup with the "range" assignor when this
 * member leads, Heartbeat, OffsetCommit, LeaveGroup), all synchronous.
 *
 * The tool drives it from its fetch loop: tool_member_join() until it has
 * an assignment, tool_member_heartbeat() between fetches (fetch waits are
 * kept well under heartbeat.interval.ms), commit what was printed, and
 * rejoin when a heartbeat says the group rebalances. The connector's own
 * group consumer (connectors/kafka, in progress) is the one for pipelines;
 * this one is deliberately minimal and single-threaded. */
#pragma once

#include "tool.h"

typedef struct tool_member tool_member;

/* A member of @group subscribing to @topics (NULL-terminated; copied).
 * (transfer full) */
tool_member *tool_member_new(rill__kclient *client, const char *group, const char *const *topics);
/* Leaves the group (best effort) and frees. */
void tool_member_free(tool_member *m);

/* (Re)joins the group: the assignment, with each partition's committed
 * offset (-1 when none), as an array of rill__koffset (transfer full;
 * rill__koffsets_free). NULL with @error. */
GArray *tool_member_join(tool_member *m, GError **error);

/* Sends a heartbeat when one is due. FALSE when the member must rejoin
 * (the group is rebalancing or forgot it); @error only for failures that
 * rejoining cannot fix. */
gboolean tool_member_heartbeat(tool_member *m, GError **error);

/* Commits @offsets (rill__koffset: next offset to read) for this member's
 * generation. */
gboolean tool_member_commit(tool_member *m, const GArray *offsets, GError **error);
