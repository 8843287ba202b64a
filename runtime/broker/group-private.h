/* group-private.h — the coordinator's internal structures, shared by
 * group-state.c (groups, members, protocol choice), group-coordinator.c (the
 * protocol state machine), group-store.c (persistence) and group-admin.c
 * (offsets, list, describe, delete).
 *
 * Every field below is guarded by rill__group_coordinator.lock. Callbacks of
 * parked requests are never run under the lock: they are queued as
 * completions and run by group_flush() once the lock is released.
 */
#pragma once

#include "runtime/broker/group-coordinator.h"

typedef enum {
  RILL__GROUP_EMPTY,
  RILL__GROUP_PREPARING_REBALANCE,
  RILL__GROUP_COMPLETING_REBALANCE,
  RILL__GROUP_STABLE,
  RILL__GROUP_DEAD,
} rill__group_state;

typedef struct {
  char *name;
  GBytes *metadata;
} rill__group_proto;

typedef struct {
  char *member_id;
  char *instance_id;         /* NULL for dynamic members */
  char *client_id;
  char *client_host;
  int32_t session_timeout_ms;
  int32_t rebalance_timeout_ms;
  GPtrArray *protocols;      /* rill__group_proto, the member's order of preference */
  GBytes *assignment;        /* of the current generation; NULL before the leader's SyncGroup */
  int64_t expires_at;        /* session deadline; ignored while a join or sync is parked */
  rill__group_join_done join_done; /* parked JoinGroup, NULL if none */
  void *join_data;
  rill__group_sync_done sync_done; /* parked SyncGroup, NULL if none */
  void *sync_data;
  bool synced;               /* sent SyncGroup in this generation */
} rill__group_member;

typedef struct {
  char *id;
  rill__group_state state;
  int32_t generation;
  char *protocol_type;       /* NULL until a member first joins */
  char *protocol_name;       /* selected protocol; NULL unless CompletingRebalance/Stable */
  char *leader_id;           /* NULL when there are no members */
  GPtrArray *members;        /* rill__group_member, in join order */
  GHashTable *pending;       /* KIP-394 member ids given out, not yet joined: id -> int64 expiry */
  int64_t rebalance_deadline;/* PreparingRebalance: complete without the stragglers; INT64_MAX if none */
  int64_t sync_deadline;     /* CompletingRebalance: drop members that never synced */
  bool initial_delay;        /* PreparingRebalance of a new group: wait for more members first */
  bool new_member_added;     /* a member joined during the current initial delay */
  int64_t delay_remaining_ms;/* how much longer the initial delay may be extended */
  int64_t empty_since_ms;    /* wall clock: created, loaded, or last became Empty (offsets expire from then) */
} rill__group;

struct rill__group_coordinator {
  GMutex lock;
  rill__group_options opts;
  char *state_dir;
  GHashTable *groups;        /* id -> rill__group */
  GQueue completions;        /* rill__group_completion, to run after unlock */
  int64_t next_wakeup;       /* earliest deadline the owner is known to wait for */
  int64_t next_expiry;       /* coordinator clock: next offsets-retention pass */
  bool need_wakeup;
};

/* ---- group-state.c ---- */
const char *rill__group_state_name(rill__group_state state);
int64_t rill__group_now(rill__group_coordinator *c);
rill__group *rill__group_new(const char *id);
void rill__group_free(rill__group *g);
rill__group_member *rill__group_member_new(const char *member_id, const rill__group_join_request *req);
void rill__group_member_free(rill__group_member *m);
/* Replaces the member's protocols with those of @req. */
void rill__group_member_set_protocols(rill__group_member *m, const rill__group_protocol *protocols, guint n);
bool rill__group_member_protocols_equal(const rill__group_member *m, const rill__group_protocol *protocols,
                                        guint n);
/* The member's metadata for @protocol, or NULL. (transfer none) */
GBytes *rill__group_member_metadata(const rill__group_member *m, const char *protocol);
rill__group_member *rill__group_find_member(rill__group *g, const char *member_id);
/* Kafka's checks of a request naming a member of @g, in Kafka's order: a
 * static instance held by another member (FENCED_INSTANCE_ID), an unknown
 * member, a stale generation. RILL_KAFKA_ERR_NONE with *@out set, else the error. */
int16_t rill__group_check_member(rill__group *g, const char *member_id, const char *instance_id,
                                 int32_t generation_id, rill__group_member **out);
rill__group_member *rill__group_find_instance(rill__group *g, const char *instance_id);
/* Whether a joining member of @type with @protocols can be in @g. */
bool rill__group_supports(rill__group *g, const char *type, const rill__group_protocol *protocols, guint n);
/* The protocol all members support that most members prefer. (transfer none) */
const char *rill__group_select_protocol(rill__group *g);
int32_t rill__group_max_rebalance_timeout(rill__group *g);
/* Notes a deadline so the owner's timer is re-armed if it is earlier. */
void rill__group_schedule(rill__group_coordinator *c, int64_t deadline);

/* ---- group-coordinator.c ---- */
/* Removes @m (answering its parked requests with UNKNOWN_MEMBER_ID) and
 * rebalances as the state requires. */
void rill__group_remove_member(rill__group_coordinator *c, rill__group *g, rill__group_member *m);
/* Runs the queued completions; call with the lock released. */
void rill__group_flush(rill__group_coordinator *c);

/* ---- group-store.c ---- */
/* Writes @g's metadata (Stable or Empty) atomically; a failure is logged
 * (the group keeps working in memory). */
void rill__group_store(rill__group_coordinator *c, rill__group *g);
/* Removes @g's file. */
gboolean rill__group_store_remove(rill__group_coordinator *c, const char *group_id, GError **error);
/* Loads every group file in the state dir into c->groups. */
gboolean rill__group_store_load(rill__group_coordinator *c, GError **error);
