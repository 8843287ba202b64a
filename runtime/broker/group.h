/* group.h — the group coordinator's entry points, as the broker calls them.
 *
 * The dispatch table (runtime/broker/dispatch.c) routes these APIs here:
 * FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit,
 * OffsetFetch, ListGroups, DescribeGroups, DeleteGroups. Each handler follows
 * handler.h: it runs on the I/O thread, reads req->body.<api>, and answers
 * with rill__broker_respond() now or later (JoinGroup / SyncGroup park until
 * the rebalance completes; timers via rill__broker_timer_add()).
 *
 * Implementation: runtime/broker/group*.c (the coordinator, with group state
 * and committed offsets kept through rill_log's group-offset store so they
 * survive a restart). Until it lands, runtime/broker/group-stub.c answers
 * every group API with COORDINATOR_NOT_AVAILABLE (15); the coordinator's
 * merge deletes that one file and adds its group*.c to sources.cmake.
 *
 * Settings the coordinator reads (rill__broker_settings_get(), config.h):
 * group_initial_rebalance_delay_ms, group_min_session_timeout_ms,
 * group_max_session_timeout_ms, offsets_retention_minutes.
 */
#pragma once

#include "runtime/broker/handler.h"

typedef struct rill__group_coordinator rill__group_coordinator;

/* Created by rill_broker_start() before the loop accepts connections; loads
 * persisted state from rill__broker_log(@broker). NULL with @error on failure
 * (the broker then fails to start). (transfer full) */
rill__group_coordinator *rill__group_coordinator_new(rill__broker *broker, GError **error);
/* Called on the I/O thread when the broker stops: answer every parked
 * request (e.g. JoinGroup with REBALANCE_IN_PROGRESS / COORDINATOR_NOT_AVAILABLE),
 * cancel timers and persist state. Requests arriving afterwards are not
 * dispatched. */
void rill__group_coordinator_shutdown(rill__group_coordinator *gc);
/* Frees @gc (after shutdown; any thread, the loop has ended). */
void rill__group_coordinator_free(rill__group_coordinator *gc);

/* The coordinator of @broker (for handlers). (transfer none) */
rill__group_coordinator *rill__broker_groups(rill__broker *broker);

/* Request handlers (handler.h contract). */
void rill__group_handle_find_coordinator(rill__broker_req *req);
void rill__group_handle_join_group(rill__broker_req *req);
void rill__group_handle_sync_group(rill__broker_req *req);
void rill__group_handle_heartbeat(rill__broker_req *req);
void rill__group_handle_leave_group(rill__broker_req *req);
void rill__group_handle_offset_commit(rill__broker_req *req);
void rill__group_handle_offset_fetch(rill__broker_req *req);
void rill__group_handle_list_groups(rill__broker_req *req);
void rill__group_handle_describe_groups(rill__broker_req *req);
void rill__group_handle_delete_groups(rill__broker_req *req);
