/* group-coordinator.h — the classic Kafka consumer-group protocol
 * (JoinGroup / SyncGroup / Heartbeat / LeaveGroup, committed offsets, group
 * admin), independent of sockets and of the wire codec.
 *
 * One coordinator serves every group of one broker. The broker's request
 * handlers (group-handlers.c) translate decoded requests into the calls
 * below and the results back into responses; unit tests drive it directly
 * with a fake clock.
 *
 * Time: the coordinator reads an injected millisecond clock and never
 * sleeps or starts threads. Deadlines (session timeouts, rebalance timeouts,
 * the initial rebalance delay, KIP-394 pending members) are processed by
 * rill__group_coordinator_tick(), which returns the next deadline; the
 * owner calls it again at (or after) that time. When an operation creates a
 * deadline earlier than the one last returned, the optional wakeup callback
 * runs with that deadline (after the coordinator's lock is released, on the
 * calling thread) so an event loop can re-arm its timer.
 *
 * Completion: JoinGroup and SyncGroup may be parked until other members act
 * (all members rejoin; the leader sends the assignment). Their @done
 * callback runs EXACTLY ONCE per call: before the call returns when the
 * answer is immediate, or later from inside another call or tick (possibly on
 * another thread), or with COORDINATOR_NOT_AVAILABLE from
 * rill__group_coordinator_free(). Callbacks always run with no coordinator
 * lock held, so they may call back into the coordinator. The result and all
 * it points to are valid only during the callback.
 *
 * Threads: every function is MT safe (one mutex per coordinator).
 *
 * Persistence: group metadata (state, generation, protocol, leader, members
 * with the selected protocol's metadata and their assignment) is written to
 * @state_dir atomically whenever a group becomes Stable or Empty or a static
 * member is replaced (group-store.c); committed offsets go to the rill_log.
 * After a restart the groups come back as they were, each member's session
 * restarting from the load time.
 *
 * Error results are Kafka error codes (include/rill/kafka-error.h).
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include <rill/log.h>

G_BEGIN_DECLS

typedef struct rill__group_coordinator rill__group_coordinator;

/* Milliseconds on any monotonic scale. */
typedef int64_t (*rill__group_clock_func)(void *user_data);

typedef struct {
  rill_log *log;                       /* committed offsets; not refcounted, outlives the coordinator */
  const char *state_dir;               /* group metadata files; NULL = nothing persisted (transfer none) */
  rill__group_clock_func clock;        /* NULL = g_get_monotonic_time() / 1000 */
  void *clock_data;
  void (*wakeup)(int64_t deadline, void *user_data); /* a deadline earlier than the last tick's answer; may be NULL */
  void *wakeup_data;
  GDestroyNotify wakeup_destroy;       /* frees wakeup_data with the coordinator; may be NULL */
  int32_t min_session_timeout_ms;      /* group.min.session.timeout.ms (6000) */
  int32_t max_session_timeout_ms;      /* group.max.session.timeout.ms (1800000) */
  int32_t initial_rebalance_delay_ms;  /* group.initial.rebalance.delay.ms (3000) */
  int32_t max_metadata_bytes;          /* offset.metadata.max.bytes (4096) */
  int64_t offsets_retention_ms;        /* offsets.retention.minutes in ms (7 days); <= 0: keep forever */
  int64_t offsets_retention_check_interval_ms; /* offsets.retention.check.interval.ms (600000) */
} rill__group_options;

void rill__group_options_init(rill__group_options *options);

/* Offsets retention (KIP-211): in a group with no members, an offset expires
 * offsets_retention_ms after the later of its commit and the moment the
 * group became Empty; a group with members keeps all of its offsets. A group
 * left with no offsets and no members is forgotten. Runs from the tick every
 * offsets_retention_check_interval_ms; callable directly (tests) with the
 * wall-clock time @now_ms. Returns the number of offsets dropped. */
guint rill__group_expire_offsets(rill__group_coordinator *c, int64_t now_ms);

/* Loads persisted groups from options->state_dir (creating it). A corrupt
 * group file is skipped with a g_warning (its offsets stay in the log).
 * Returns (transfer full) or NULL with @error when the directory is unusable. */
rill__group_coordinator *rill__group_coordinator_open(const rill__group_options *options, GError **error);
/* Answers every parked JoinGroup/SyncGroup with COORDINATOR_NOT_AVAILABLE;
 * later calls still work (the broker's shutdown hook calls this). */
void rill__group_coordinator_answer_parked(rill__group_coordinator *c);
/* Answers what is parked (see above), destroys wakeup_data and frees.
 * Declared in group.h too, for the broker. */
void rill__group_coordinator_free(rill__group_coordinator *c);

/* Processes every deadline that has passed; returns the next deadline on the
 * clock's scale, or INT64_MAX when none. */
int64_t rill__group_coordinator_tick(rill__group_coordinator *c);

/* ---- JoinGroup ---- */

typedef struct {
  const char *name;
  const uint8_t *metadata;
  size_t metadata_len;
} rill__group_protocol;

typedef struct {
  const char *group_id;
  const char *member_id;          /* "" for a member without an id yet */
  const char *group_instance_id;  /* NULL for a dynamic member */
  const char *client_id;
  const char *client_host;
  int32_t session_timeout_ms;
  int32_t rebalance_timeout_ms;   /* -1 (JoinGroup v0): the session timeout */
  const char *protocol_type;
  const rill__group_protocol *protocols; /* in the member's order of preference */
  guint n_protocols;
  bool require_known_member_id;   /* JoinGroup v4+ (KIP-394): answer MEMBER_ID_REQUIRED first */
} rill__group_join_request;

typedef struct {
  const char *member_id;
  const char *group_instance_id;  /* NULL for dynamic members */
  const uint8_t *metadata;        /* of the selected protocol */
  size_t metadata_len;
} rill__group_join_member;

typedef struct {
  int16_t error_code;
  int32_t generation_id;          /* -1 on error */
  const char *protocol_type;      /* NULL on error */
  const char *protocol_name;      /* NULL on error */
  const char *leader_id;          /* "" on error */
  const char *member_id;          /* the member's id ("" on most errors; set with MEMBER_ID_REQUIRED) */
  const rill__group_join_member *members; /* only for the leader */
  guint n_members;
} rill__group_join_result;

typedef void (*rill__group_join_done)(const rill__group_join_result *result, void *user_data);

/* All strings of @req are copied. @done: see "Completion" above. */
void rill__group_join(rill__group_coordinator *c, const rill__group_join_request *req,
                      rill__group_join_done done, void *user_data);

/* ---- SyncGroup ---- */

typedef struct {
  const char *member_id;
  const uint8_t *assignment;
  size_t assignment_len;
} rill__group_assignment;

typedef struct {
  const char *group_id;
  int32_t generation_id;
  const char *member_id;
  const char *group_instance_id;  /* NULL if dynamic */
  const char *protocol_type;      /* NULL unless given (v5+) */
  const char *protocol_name;      /* NULL unless given (v5+) */
  const rill__group_assignment *assignments; /* the leader's; ignored from followers */
  guint n_assignments;
} rill__group_sync_request;

typedef struct {
  int16_t error_code;
  const char *protocol_type;      /* NULL on error */
  const char *protocol_name;      /* NULL on error */
  const uint8_t *assignment;      /* may be empty (length 0) */
  size_t assignment_len;
} rill__group_sync_result;

typedef void (*rill__group_sync_done)(const rill__group_sync_result *result, void *user_data);

void rill__group_sync(rill__group_coordinator *c, const rill__group_sync_request *req,
                      rill__group_sync_done done, void *user_data);

/* ---- Heartbeat and LeaveGroup (answered at once) ---- */

int16_t rill__group_heartbeat(rill__group_coordinator *c, const char *group_id, int32_t generation_id,
                              const char *member_id, const char *group_instance_id);

typedef struct {
  const char *member_id;          /* "" allowed when group_instance_id is set */
  const char *group_instance_id;  /* NULL if dynamic */
  int16_t error_code;             /* out */
} rill__group_leaving_member;

/* Removes members; fills each error_code. Returns the request-level error. */
int16_t rill__group_leave(rill__group_coordinator *c, const char *group_id, rill__group_leaving_member *members,
                          guint n_members);

/* ---- Offsets ---- */

typedef struct {
  const char *topic;
  int32_t partition;
  int64_t offset;
  int32_t leader_epoch;
  const char *metadata;           /* may be NULL */
  int16_t error_code;             /* out */
} rill__group_commit_entry;

/* Commits every entry whose own checks pass (known partition, metadata size)
 * in one atomic write; fills each error_code. A group-level refusal
 * (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, REBALANCE_IN_PROGRESS...) is set on
 * every entry and nothing is written. generation_id -1 with an empty
 * member id is a "simple" commit, allowed when the group has no members. */
void rill__group_commit(rill__group_coordinator *c, const char *group_id, int32_t generation_id,
                        const char *member_id, const char *group_instance_id,
                        rill__group_commit_entry *entries, guint n_entries);

/* The committed offset (strings transfer full: rill_log_group_offset_clear);
 * FALSE when none (Kafka answers offset -1, error NONE). */
gboolean rill__group_offset_fetch(rill__group_coordinator *c, const char *group_id, const char *topic,
                                  int32_t partition, rill_log_group_offset *out);
/* All committed offsets of @group_id (transfer full: g_array_unref). */
GArray *rill__group_offset_fetch_all(rill__group_coordinator *c, const char *group_id);

/* ---- Admin ---- */

typedef struct {
  char *group_id;
  char *protocol_type;            /* "" for a group that only has offsets */
  const char *state;              /* "Empty", "PreparingRebalance", "CompletingRebalance", "Stable", "Dead" (static) */
} rill__group_listing;

/* Every group the coordinator or the log knows, sorted by id; @states (NULL
 * or NULL-terminated, case-insensitive) keeps only those states.
 * (transfer full: g_array_unref) */
GArray *rill__group_list(rill__group_coordinator *c, const char *const *states);

typedef struct {
  char *member_id;
  char *group_instance_id;        /* NULL if dynamic */
  char *client_id;
  char *client_host;
  GBytes *metadata;               /* of the selected protocol; empty unless Stable */
  GBytes *assignment;             /* empty unless Stable */
} rill__group_member_description;

typedef struct {
  char *group_id;
  const char *state;              /* static; "Dead" for an unknown group */
  char *protocol_type;            /* "" if none */
  char *protocol_name;            /* "" unless Stable */
  GArray *members;                /* rill__group_member_description */
} rill__group_description;

/* (transfer full: rill__group_description_free). Unknown groups are described as Dead. */
rill__group_description *rill__group_describe(rill__group_coordinator *c, const char *group_id);
void rill__group_description_free(rill__group_description *d);

/* Deletes an empty group's metadata and committed offsets. Returns NONE,
 * GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP, INVALID_GROUP_ID or
 * COORDINATOR_NOT_AVAILABLE (I/O failure). */
int16_t rill__group_delete(rill__group_coordinator *c, const char *group_id);
/* Forgets every group whatever its state, with its metadata file and its
 * committed offsets; parked members are answered first. For the fuzz
 * target's reset between inputs (broker-inline.h). FALSE with @error at the
 * first file that could not be removed. */
gboolean rill__group_coordinator_forget_all(rill__group_coordinator *c, GError **error);

G_END_DECLS
