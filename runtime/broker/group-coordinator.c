/* group-coordinator.c — the classic group protocol state machine:
 *
 *   Empty --join--> PreparingRebalance --all rejoined / rebalance timeout-->
 *   CompletingRebalance --leader's SyncGroup--> Stable
 *   Stable / CompletingRebalance --join, leave, session expiry--> PreparingRebalance
 *   PreparingRebalance --no member left--> Empty (generation + 1)
 *
 * Invariants (under c->lock):
 * - A member has at most one parked JoinGroup and one parked SyncGroup; a
 *   parked request is answered exactly once (a repeat answers the older one
 *   with REBALANCE_IN_PROGRESS, removal with UNKNOWN_MEMBER_ID, replacement
 *   of a static member with FENCED_INSTANCE_ID).
 * - PreparingRebalance completes when every member has a parked JoinGroup
 *   and no KIP-394 member id is outstanding, or at rebalance_deadline, when
 *   dynamic members that did not rejoin are dropped. A new group first waits
 *   group.initial.rebalance.delay.ms, extended while members keep arriving.
 * - Completing a join increments the generation, elects a leader among the
 *   members that rejoined, selects the protocol and answers every parked
 *   JoinGroup (the leader gets all members' metadata).
 * - In CompletingRebalance, SyncGroups are parked until the leader's arrives;
 *   its assignment (missing members get an empty one) answers them all and
 *   makes the group Stable. Members that have not synced by sync_deadline
 *   (the rebalance timeout) are dropped.
 * - A member whose session expires is dropped, unless it has a parked
 *   request (it cannot heartbeat while waiting).
 */
#include "runtime/broker/group-private.h"

#include <rill/kafka-error.h>

#include <string.h>

/* ---- completions ---- */

typedef struct {
  rill__group_join_done join_done;
  rill__group_sync_done sync_done;
  void *user_data;
  rill__group_join_result join;
  rill__group_sync_result sync;
  GPtrArray *hold; /* what the result points to */
} completion;

static const char *hold_str(completion *q, const char *s)
{
  if (!s)
    return NULL;
  char *d = g_strdup(s);
  g_ptr_array_add(q->hold, d);
  return d;
}

static completion *completion_new(void)
{
  completion *q = g_new0(completion, 1);
  q->hold = g_ptr_array_new_with_free_func(g_free);
  return q;
}

static void queue_join_error(rill__group_coordinator *c, rill__group_join_done done, void *data, int16_t err,
                             const char *member_id)
{
  completion *q = completion_new();
  q->join_done = done;
  q->user_data = data;
  q->join.error_code = err;
  q->join.generation_id = -1;
  q->join.leader_id = "";
  q->join.member_id = hold_str(q, member_id ? member_id : "");
  g_queue_push_tail(&c->completions, q);
}

/* A successful JoinGroup answer for @member_id in the current generation.
 * @leader_id is what the member is told (a replaced static leader is told
 * its old id so it does not reassign a Stable group). */
static void queue_join_ok(rill__group_coordinator *c, rill__group *g, rill__group_join_done done, void *data,
                          const char *member_id, const char *leader_id)
{
  completion *q = completion_new();
  q->join_done = done;
  q->user_data = data;
  q->join.generation_id = g->generation;
  q->join.protocol_type = hold_str(q, g->protocol_type);
  q->join.protocol_name = hold_str(q, g->protocol_name);
  q->join.leader_id = hold_str(q, leader_id ? leader_id : "");
  q->join.member_id = hold_str(q, member_id);
  if (g_strcmp0(member_id, leader_id) == 0) {
    rill__group_join_member *ms = g_new0(rill__group_join_member, g->members->len);
    g_ptr_array_add(q->hold, ms);
    for (guint i = 0; i < g->members->len; i++) {
      rill__group_member *m = g_ptr_array_index(g->members, i);
      GBytes *md = rill__group_member_metadata(m, g->protocol_name);
      ms[i].member_id = hold_str(q, m->member_id);
      ms[i].group_instance_id = hold_str(q, m->instance_id);
      if (md) {
        gsize len;
        const void *p = g_bytes_get_data(md, &len);
        ms[i].metadata = g_memdup2(p, len);
        ms[i].metadata_len = len;
        g_ptr_array_add(q->hold, (void *)ms[i].metadata);
      }
    }
    q->join.members = ms;
    q->join.n_members = g->members->len;
  }
  g_queue_push_tail(&c->completions, q);
}

static void queue_sync(rill__group_coordinator *c, rill__group *g, rill__group_sync_done done, void *data,
                       int16_t err, GBytes *assignment)
{
  completion *q = completion_new();
  q->sync_done = done;
  q->user_data = data;
  q->sync.error_code = err;
  if (err == RILL_KAFKA_ERR_NONE) {
    q->sync.protocol_type = hold_str(q, g->protocol_type);
    q->sync.protocol_name = hold_str(q, g->protocol_name);
    if (assignment) {
      gsize len;
      const void *p = g_bytes_get_data(assignment, &len);
      q->sync.assignment = g_memdup2(p, len);
      q->sync.assignment_len = len;
      g_ptr_array_add(q->hold, (void *)q->sync.assignment);
    }
  }
  g_queue_push_tail(&c->completions, q);
}

/* Answers @m's parked JoinGroup / SyncGroup with @err, if any. */
static void answer_parked(rill__group_coordinator *c, rill__group *g, rill__group_member *m, int16_t err)
{
  if (m->join_done) {
    queue_join_error(c, m->join_done, m->join_data, err, m->member_id);
    m->join_done = NULL;
  }
  if (m->sync_done) {
    queue_sync(c, g, m->sync_done, m->sync_data, err, NULL);
    m->sync_done = NULL;
  }
}

void rill__group_flush(rill__group_coordinator *c)
{
  GQueue todo = G_QUEUE_INIT;
  bool wake;
  int64_t deadline;
  g_mutex_lock(&c->lock);
  todo = c->completions;
  g_queue_init(&c->completions);
  wake = c->need_wakeup;
  c->need_wakeup = false;
  deadline = c->next_wakeup;
  g_mutex_unlock(&c->lock);
  completion *q;
  while ((q = g_queue_pop_head(&todo))) {
    if (q->join_done)
      q->join_done(&q->join, q->user_data);
    else
      q->sync_done(&q->sync, q->user_data);
    g_ptr_array_unref(q->hold);
    g_free(q);
  }
  if (wake && c->opts.wakeup)
    c->opts.wakeup(deadline, c->opts.wakeup_data);
}

/* ---- rebalancing ---- */

static void heartbeat(rill__group_coordinator *c, rill__group_member *m)
{
  m->expires_at = rill__group_now(c) + m->session_timeout_ms;
  rill__group_schedule(c, m->expires_at);
}

static bool all_joined(rill__group *g)
{
  if (g_hash_table_size(g->pending) > 0)
    return false;
  for (guint i = 0; i < g->members->len; i++)
    if (!((rill__group_member *)g_ptr_array_index(g->members, i))->join_done)
      return false;
  return true;
}

static void complete_join(rill__group_coordinator *c, rill__group *g)
{
  /* Dynamic members that did not rejoin in time are gone; static ones keep
   * their place until their session expires. */
  for (guint i = g->members->len; i-- > 0;) {
    rill__group_member *m = g_ptr_array_index(g->members, i);
    if (!m->join_done && !m->instance_id) {
      answer_parked(c, g, m, RILL_KAFKA_ERR_UNKNOWN_MEMBER_ID);
      g_ptr_array_remove_index(g->members, i);
    }
  }
  rill__group_member *leader = rill__group_find_member(g, g->leader_id);
  if (!leader || !leader->join_done) {
    leader = NULL;
    for (guint i = 0; i < g->members->len && !leader; i++) {
      rill__group_member *m = g_ptr_array_index(g->members, i);
      if (m->join_done)
        leader = m;
    }
    g_free(g->leader_id);
    g->leader_id = leader ? g_strdup(leader->member_id) : NULL;
  }
  g->generation++;
  g->initial_delay = false;
  g->rebalance_deadline = INT64_MAX;
  g_clear_pointer(&g->protocol_name, g_free);
  if (!leader) {
    /* Nobody rejoined (static members that did not are let go too: the
     * group cannot form a generation without a leader). */
    for (guint i = 0; i < g->members->len; i++)
      answer_parked(c, g, g_ptr_array_index(g->members, i), RILL_KAFKA_ERR_UNKNOWN_MEMBER_ID);
    g_ptr_array_set_size(g->members, 0);
    g_clear_pointer(&g->leader_id, g_free);
    g->state = RILL__GROUP_EMPTY;
    g->empty_since_ms = g_get_real_time() / 1000;
    rill__group_store(c, g);
    return;
  }
  g->protocol_name = g_strdup(rill__group_select_protocol(g));
  g->state = RILL__GROUP_COMPLETING_REBALANCE;
  int64_t now = rill__group_now(c);
  g->sync_deadline = now + rill__group_max_rebalance_timeout(g);
  rill__group_schedule(c, g->sync_deadline);
  for (guint i = 0; i < g->members->len; i++) {
    rill__group_member *m = g_ptr_array_index(g->members, i);
    m->synced = false;
    g_clear_pointer(&m->assignment, g_bytes_unref);
    heartbeat(c, m);
    if (m->join_done) {
      queue_join_ok(c, g, m->join_done, m->join_data, m->member_id, g->leader_id);
      m->join_done = NULL;
    }
  }
}

static void try_complete_join(rill__group_coordinator *c, rill__group *g)
{
  if (g->state == RILL__GROUP_PREPARING_REBALANCE && !g->initial_delay && all_joined(g))
    complete_join(c, g);
}

static void prepare_rebalance(rill__group_coordinator *c, rill__group *g)
{
  int64_t now = rill__group_now(c);
  if (g->state == RILL__GROUP_COMPLETING_REBALANCE) {
    for (guint i = 0; i < g->members->len; i++) {
      rill__group_member *m = g_ptr_array_index(g->members, i);
      if (m->sync_done) {
        queue_sync(c, g, m->sync_done, m->sync_data, RILL_KAFKA_ERR_REBALANCE_IN_PROGRESS, NULL);
        m->sync_done = NULL;
        heartbeat(c, m); /* its session restarts with the answer */
      }
    }
  }
  g->sync_deadline = INT64_MAX;
  int32_t timeout = rill__group_max_rebalance_timeout(g);
  int32_t delay = c->opts.initial_rebalance_delay_ms;
  if (g->state == RILL__GROUP_EMPTY && delay > 0) {
    g->initial_delay = true;
    g->new_member_added = false;
    g->delay_remaining_ms = MAX(timeout - delay, 0);
    g->rebalance_deadline = now + delay;
  } else {
    g->initial_delay = false;
    g->rebalance_deadline = now + timeout;
  }
  rill__group_schedule(c, g->rebalance_deadline);
  g->state = RILL__GROUP_PREPARING_REBALANCE;
  try_complete_join(c, g);
}

static void maybe_prepare_rebalance(rill__group_coordinator *c, rill__group *g)
{
  if (g->state == RILL__GROUP_PREPARING_REBALANCE)
    try_complete_join(c, g);
  else
    prepare_rebalance(c, g);
}

void rill__group_remove_member(rill__group_coordinator *c, rill__group *g, rill__group_member *m)
{
  answer_parked(c, g, m, RILL_KAFKA_ERR_UNKNOWN_MEMBER_ID);
  bool was_leader = g_strcmp0(g->leader_id, m->member_id) == 0;
  g_ptr_array_remove(g->members, m);
  if (was_leader) {
    g_free(g->leader_id);
    g->leader_id =
      g->members->len ? g_strdup(((rill__group_member *)g_ptr_array_index(g->members, 0))->member_id) : NULL;
  }
  if (g->state == RILL__GROUP_STABLE || g->state == RILL__GROUP_COMPLETING_REBALANCE)
    prepare_rebalance(c, g);
  else
    try_complete_join(c, g);
}

/* ---- JoinGroup ---- */

static void add_member_and_rebalance(rill__group_coordinator *c, rill__group *g, const char *member_id,
                                     const rill__group_join_request *req, rill__group_join_done done,
                                     void *data)
{
  rill__group_member *m = rill__group_member_new(member_id, req);
  m->join_done = done;
  m->join_data = data;
  if (g->members->len == 0) {
    g_free(g->protocol_type);
    g->protocol_type = g_strdup(req->protocol_type);
  }
  g_ptr_array_add(g->members, m);
  if (!g->leader_id)
    g->leader_id = g_strdup(member_id);
  if (g->initial_delay)
    g->new_member_added = true;
  heartbeat(c, m);
  maybe_prepare_rebalance(c, g);
}

static void update_member_and_rebalance(rill__group_coordinator *c, rill__group *g, rill__group_member *m,
                                        const rill__group_join_request *req, rill__group_join_done done,
                                        void *data)
{
  if (m->join_done)
    queue_join_error(c, m->join_done, m->join_data, RILL_KAFKA_ERR_REBALANCE_IN_PROGRESS, m->member_id);
  m->join_done = done;
  m->join_data = data;
  rill__group_member_set_protocols(m, req->protocols, req->n_protocols);
  m->session_timeout_ms = req->session_timeout_ms;
  m->rebalance_timeout_ms = req->rebalance_timeout_ms;
  heartbeat(c, m);
  maybe_prepare_rebalance(c, g);
}

/* KIP-345: a static member rejoining without its member id replaces its old
 * incarnation, fencing it. A Stable group keeps its assignment if the
 * selected protocol stays the same. */
static void static_rejoin(rill__group_coordinator *c, rill__group *g, rill__group_member *m,
                          const char *new_id, const rill__group_join_request *req, rill__group_join_done done,
                          void *data)
{
  answer_parked(c, g, m, RILL_KAFKA_ERR_FENCED_INSTANCE_ID);
  g_autofree char *old_leader = g_strdup(g->leader_id);
  if (g_strcmp0(g->leader_id, m->member_id) == 0) {
    g_free(g->leader_id);
    g->leader_id = g_strdup(new_id);
  }
  g_free(m->member_id);
  m->member_id = g_strdup(new_id);
  g_free(m->client_id);
  m->client_id = g_strdup(req->client_id ? req->client_id : "");
  g_free(m->client_host);
  m->client_host = g_strdup(req->client_host ? req->client_host : "");
  switch (g->state) {
  case RILL__GROUP_STABLE:
    rill__group_member_set_protocols(m, req->protocols, req->n_protocols);
    m->session_timeout_ms = req->session_timeout_ms;
    m->rebalance_timeout_ms = req->rebalance_timeout_ms;
    heartbeat(c, m);
    if (g_strcmp0(rill__group_select_protocol(g), g->protocol_name) == 0) {
      rill__group_store(c, g);
      queue_join_ok(c, g, done, data, new_id, old_leader);
      return;
    }
    update_member_and_rebalance(c, g, m, req, done, data);
    return;
  case RILL__GROUP_COMPLETING_REBALANCE:
    /* The leader may be assigning to the old id: start over. */
    update_member_and_rebalance(c, g, m, req, done, data);
    return;
  default:
    update_member_and_rebalance(c, g, m, req, done, data);
    return;
  }
}

static int16_t join_locked(rill__group_coordinator *c, const rill__group_join_request *req,
                           rill__group_join_done done, void *data, char **error_member_id)
{
  if (!req->group_id || !*req->group_id)
    return RILL_KAFKA_ERR_INVALID_GROUP_ID;
  if (req->session_timeout_ms < c->opts.min_session_timeout_ms ||
      req->session_timeout_ms > c->opts.max_session_timeout_ms)
    return RILL_KAFKA_ERR_INVALID_SESSION_TIMEOUT;
  if (!req->protocol_type || !*req->protocol_type || req->n_protocols == 0)
    return RILL_KAFKA_ERR_INCONSISTENT_GROUP_PROTOCOL;
  const char *member_id = req->member_id ? req->member_id : "";
  rill__group *g = g_hash_table_lookup(c->groups, req->group_id);
  if (!g) {
    if (*member_id)
      return RILL_KAFKA_ERR_UNKNOWN_MEMBER_ID;
    g = rill__group_new(req->group_id);
    g_hash_table_insert(c->groups, g->id, g);
  }
  if (!rill__group_supports(g, req->protocol_type, req->protocols, req->n_protocols))
    return RILL_KAFKA_ERR_INCONSISTENT_GROUP_PROTOCOL;

  if (!*member_id) {
    g_autofree char *uuid = g_uuid_string_random();
    g_autofree char *new_id = g_strdup_printf("%s-%s", req->client_id ? req->client_id : "", uuid);
    rill__group_member *old = rill__group_find_instance(g, req->group_instance_id);
    if (old) {
      static_rejoin(c, g, old, new_id, req, done, data);
      return RILL_KAFKA_ERR_NONE;
    }
    if (req->require_known_member_id && !req->group_instance_id) {
      int64_t *expiry = g_new(int64_t, 1);
      *expiry = rill__group_now(c) + req->session_timeout_ms;
      rill__group_schedule(c, *expiry);
      g_hash_table_replace(g->pending, g_strdup(new_id), expiry);
      *error_member_id = g_steal_pointer(&new_id);
      return RILL_KAFKA_ERR_MEMBER_ID_REQUIRED;
    }
    add_member_and_rebalance(c, g, new_id, req, done, data);
    return RILL_KAFKA_ERR_NONE;
  }

  if (g_hash_table_remove(g->pending, member_id)) {
    add_member_and_rebalance(c, g, member_id, req, done, data);
    return RILL_KAFKA_ERR_NONE;
  }
  rill__group_member *inst = rill__group_find_instance(g, req->group_instance_id);
  if (inst && strcmp(inst->member_id, member_id) != 0)
    return RILL_KAFKA_ERR_FENCED_INSTANCE_ID;
  rill__group_member *m = rill__group_find_member(g, member_id);
  if (!m)
    return RILL_KAFKA_ERR_UNKNOWN_MEMBER_ID;
  switch (g->state) {
  case RILL__GROUP_PREPARING_REBALANCE:
    update_member_and_rebalance(c, g, m, req, done, data);
    return RILL_KAFKA_ERR_NONE;
  case RILL__GROUP_COMPLETING_REBALANCE:
  case RILL__GROUP_STABLE: {
    bool leader = g_strcmp0(g->leader_id, member_id) == 0;
    bool same = rill__group_member_protocols_equal(m, req->protocols, req->n_protocols);
    /* A Stable leader rejoining means its client wants a new assignment. */
    if (same && (g->state == RILL__GROUP_COMPLETING_REBALANCE || !leader)) {
      heartbeat(c, m);
      queue_join_ok(c, g, done, data, member_id, g->leader_id);
    } else {
      update_member_and_rebalance(c, g, m, req, done, data);
    }
    return RILL_KAFKA_ERR_NONE;
  }
  default:
    return RILL_KAFKA_ERR_UNKNOWN_MEMBER_ID;
  }
}

void rill__group_join(rill__group_coordinator *c, const rill__group_join_request *req,
                      rill__group_join_done done, void *user_data)
{
  g_return_if_fail(c != NULL && req != NULL && done != NULL);
  g_mutex_lock(&c->lock);
  g_autofree char *member_id = NULL;
  int16_t err = join_locked(c, req, done, user_data, &member_id);
  if (err != RILL_KAFKA_ERR_NONE)
    queue_join_error(c, done, user_data, err, member_id ? member_id : req->member_id);
  g_mutex_unlock(&c->lock);
  rill__group_flush(c);
}

/* ---- SyncGroup ---- */

static int16_t sync_locked(rill__group_coordinator *c, const rill__group_sync_request *req,
                           rill__group_sync_done done, void *data)
{
  if (!req->group_id || !*req->group_id)
    return RILL_KAFKA_ERR_INVALID_GROUP_ID;
  rill__group *g = g_hash_table_lookup(c->groups, req->group_id);
  if (!g)
    return RILL_KAFKA_ERR_UNKNOWN_MEMBER_ID;
  rill__group_member *inst = rill__group_find_instance(g, req->group_instance_id);
  if (inst && g_strcmp0(inst->member_id, req->member_id) != 0)
    return RILL_KAFKA_ERR_FENCED_INSTANCE_ID;
  rill__group_member *m = rill__group_find_member(g, req->member_id);
  if (!m)
    return RILL_KAFKA_ERR_UNKNOWN_MEMBER_ID;
  if (req->generation_id != g->generation)
    return RILL_KAFKA_ERR_ILLEGAL_GENERATION;
  if ((req->protocol_type && g_strcmp0(req->protocol_type, g->protocol_type) != 0) ||
      (req->protocol_name && g_strcmp0(req->protocol_name, g->protocol_name) != 0))
    return RILL_KAFKA_ERR_INCONSISTENT_GROUP_PROTOCOL;
  switch (g->state) {
  case RILL__GROUP_PREPARING_REBALANCE:
    return RILL_KAFKA_ERR_REBALANCE_IN_PROGRESS;
  case RILL__GROUP_STABLE:
    heartbeat(c, m);
    queue_sync(c, g, done, data, RILL_KAFKA_ERR_NONE, m->assignment);
    return RILL_KAFKA_ERR_NONE;
  case RILL__GROUP_COMPLETING_REBALANCE:
    break;
  default:
    return RILL_KAFKA_ERR_UNKNOWN_MEMBER_ID;
  }
  if (m->sync_done)
    queue_sync(c, g, m->sync_done, m->sync_data, RILL_KAFKA_ERR_REBALANCE_IN_PROGRESS, NULL);
  m->sync_done = done;
  m->sync_data = data;
  m->synced = true;
  heartbeat(c, m);
  if (g_strcmp0(g->leader_id, m->member_id) != 0)
    return RILL_KAFKA_ERR_NONE;
  for (guint i = 0; i < g->members->len; i++) {
    rill__group_member *x = g_ptr_array_index(g->members, i);
    g_clear_pointer(&x->assignment, g_bytes_unref);
    for (guint j = 0; j < req->n_assignments && !x->assignment; j++)
      if (g_strcmp0(req->assignments[j].member_id, x->member_id) == 0)
        x->assignment = g_bytes_new(req->assignments[j].assignment, req->assignments[j].assignment_len);
    if (!x->assignment)
      x->assignment = g_bytes_new(NULL, 0);
  }
  g->state = RILL__GROUP_STABLE;
  g->sync_deadline = INT64_MAX;
  rill__group_store(c, g);
  for (guint i = 0; i < g->members->len; i++) {
    rill__group_member *x = g_ptr_array_index(g->members, i);
    if (x->sync_done) {
      queue_sync(c, g, x->sync_done, x->sync_data, RILL_KAFKA_ERR_NONE, x->assignment);
      x->sync_done = NULL;
      heartbeat(c, x);
    }
  }
  return RILL_KAFKA_ERR_NONE;
}

void rill__group_sync(rill__group_coordinator *c, const rill__group_sync_request *req,
                      rill__group_sync_done done, void *user_data)
{
  g_return_if_fail(c != NULL && req != NULL && done != NULL);
  g_mutex_lock(&c->lock);
  int16_t err = sync_locked(c, req, done, user_data);
  if (err != RILL_KAFKA_ERR_NONE)
    queue_sync(c, NULL, done, user_data, err, NULL);
  g_mutex_unlock(&c->lock);
  rill__group_flush(c);
}

int16_t rill__group_check_member(rill__group *g, const char *member_id, const char *instance_id,
                                 int32_t generation_id, rill__group_member **out)
{
  rill__group_member *inst = rill__group_find_instance(g, instance_id);
  if (inst && g_strcmp0(inst->member_id, member_id) != 0)
    return RILL_KAFKA_ERR_FENCED_INSTANCE_ID;
  rill__group_member *m = rill__group_find_member(g, member_id);
  if (!m)
    return RILL_KAFKA_ERR_UNKNOWN_MEMBER_ID;
  if (generation_id != g->generation)
    return RILL_KAFKA_ERR_ILLEGAL_GENERATION;
  *out = m;
  return RILL_KAFKA_ERR_NONE;
}

/* ---- Heartbeat, LeaveGroup ---- */

static int16_t heartbeat_locked(rill__group_coordinator *c, const char *group_id, int32_t generation_id,
                                const char *member_id, const char *instance_id)
{
  if (!group_id || !*group_id)
    return RILL_KAFKA_ERR_INVALID_GROUP_ID;
  rill__group *g = g_hash_table_lookup(c->groups, group_id);
  if (!g)
    return RILL_KAFKA_ERR_UNKNOWN_MEMBER_ID;
  rill__group_member *m = NULL;
  int16_t err = rill__group_check_member(g, member_id, instance_id, generation_id, &m);
  if (err != RILL_KAFKA_ERR_NONE)
    return err;
  switch (g->state) {
  case RILL__GROUP_PREPARING_REBALANCE:
    heartbeat(c, m);
    return RILL_KAFKA_ERR_REBALANCE_IN_PROGRESS;
  case RILL__GROUP_COMPLETING_REBALANCE:
  case RILL__GROUP_STABLE:
    heartbeat(c, m);
    return RILL_KAFKA_ERR_NONE;
  default:
    return RILL_KAFKA_ERR_UNKNOWN_MEMBER_ID;
  }
}

int16_t rill__group_heartbeat(rill__group_coordinator *c, const char *group_id, int32_t generation_id,
                              const char *member_id, const char *group_instance_id)
{
  g_return_val_if_fail(c != NULL, RILL_KAFKA_ERR_UNKNOWN_SERVER_ERROR);
  g_mutex_lock(&c->lock);
  int16_t err = heartbeat_locked(c, group_id, generation_id, member_id, group_instance_id);
  g_mutex_unlock(&c->lock);
  rill__group_flush(c);
  return err;
}

static int16_t leave_one(rill__group_coordinator *c, rill__group *g, const rill__group_leaving_member *l)
{
  const char *member_id = l->member_id ? l->member_id : "";
  if (l->group_instance_id) {
    rill__group_member *m = rill__group_find_instance(g, l->group_instance_id);
    if (!m)
      return RILL_KAFKA_ERR_UNKNOWN_MEMBER_ID;
    if (*member_id && strcmp(member_id, m->member_id) != 0)
      return RILL_KAFKA_ERR_FENCED_INSTANCE_ID;
    rill__group_remove_member(c, g, m);
    return RILL_KAFKA_ERR_NONE;
  }
  if (g_hash_table_remove(g->pending, member_id)) {
    try_complete_join(c, g);
    return RILL_KAFKA_ERR_NONE;
  }
  rill__group_member *m = rill__group_find_member(g, member_id);
  if (!m)
    return RILL_KAFKA_ERR_UNKNOWN_MEMBER_ID;
  rill__group_remove_member(c, g, m);
  return RILL_KAFKA_ERR_NONE;
}

int16_t rill__group_leave(rill__group_coordinator *c, const char *group_id, rill__group_leaving_member *members,
                          guint n_members)
{
  g_return_val_if_fail(c != NULL && (members != NULL || n_members == 0), RILL_KAFKA_ERR_UNKNOWN_SERVER_ERROR);
  if (!group_id || !*group_id)
    return RILL_KAFKA_ERR_INVALID_GROUP_ID;
  g_mutex_lock(&c->lock);
  rill__group *g = g_hash_table_lookup(c->groups, group_id);
  for (guint i = 0; i < n_members; i++)
    members[i].error_code = g ? leave_one(c, g, &members[i]) : RILL_KAFKA_ERR_UNKNOWN_MEMBER_ID;
  g_mutex_unlock(&c->lock);
  rill__group_flush(c);
  return RILL_KAFKA_ERR_NONE;
}

/* ---- timers ---- */

static void expire_group(rill__group_coordinator *c, rill__group *g, int64_t now)
{
  GHashTableIter it;
  gpointer key, value;
  bool pending_expired = false;
  g_hash_table_iter_init(&it, g->pending);
  while (g_hash_table_iter_next(&it, &key, &value)) {
    if (*(int64_t *)value <= now) {
      g_hash_table_iter_remove(&it);
      pending_expired = true;
    }
  }
  if (pending_expired)
    try_complete_join(c, g);

  for (guint i = 0; i < g->members->len;) {
    rill__group_member *m = g_ptr_array_index(g->members, i);
    if (!m->join_done && !m->sync_done && m->expires_at <= now) {
      rill__group_remove_member(c, g, m);
      i = 0; /* removal may have reshaped the array */
      continue;
    }
    i++;
  }

  if (g->state == RILL__GROUP_PREPARING_REBALANCE && g->rebalance_deadline <= now) {
    if (g->initial_delay && g->new_member_added && g->delay_remaining_ms > 0) {
      int32_t delay = MIN(c->opts.initial_rebalance_delay_ms, (int32_t)g->delay_remaining_ms);
      g->new_member_added = false;
      g->delay_remaining_ms = MAX(g->delay_remaining_ms - c->opts.initial_rebalance_delay_ms, 0);
      g->rebalance_deadline = now + delay;
    } else {
      complete_join(c, g);
    }
  }

  if (g->state == RILL__GROUP_COMPLETING_REBALANCE && g->sync_deadline <= now) {
    for (guint i = g->members->len; i-- > 0;) {
      rill__group_member *m = g_ptr_array_index(g->members, i);
      if (!m->synced) {
        answer_parked(c, g, m, RILL_KAFKA_ERR_UNKNOWN_MEMBER_ID);
        g_ptr_array_remove_index(g->members, i);
      }
    }
    if (!rill__group_find_member(g, g->leader_id)) {
      g_free(g->leader_id);
      g->leader_id =
        g->members->len ? g_strdup(((rill__group_member *)g_ptr_array_index(g->members, 0))->member_id) : NULL;
    }
    prepare_rebalance(c, g);
  }
}

static int64_t group_next_deadline(rill__group *g)
{
  int64_t t = INT64_MAX;
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, g->pending);
  while (g_hash_table_iter_next(&it, NULL, &value))
    t = MIN(t, *(int64_t *)value);
  if (g->state == RILL__GROUP_PREPARING_REBALANCE)
    t = MIN(t, g->rebalance_deadline);
  if (g->state == RILL__GROUP_COMPLETING_REBALANCE)
    t = MIN(t, g->sync_deadline);
  for (guint i = 0; i < g->members->len; i++) {
    rill__group_member *m = g_ptr_array_index(g->members, i);
    if (!m->join_done && !m->sync_done)
      t = MIN(t, m->expires_at);
  }
  return t;
}

int64_t rill__group_coordinator_tick(rill__group_coordinator *c)
{
  g_return_val_if_fail(c != NULL, INT64_MAX);
  g_mutex_lock(&c->lock);
  int64_t now = rill__group_now(c);
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, c->groups);
  while (g_hash_table_iter_next(&it, NULL, &value))
    expire_group(c, value, now);
  bool expire = false;
  if (c->opts.offsets_retention_ms > 0 && c->opts.offsets_retention_check_interval_ms > 0) {
    if (c->next_expiry == 0)
      c->next_expiry = now + c->opts.offsets_retention_check_interval_ms;
    else if (c->next_expiry <= now) {
      expire = true;
      c->next_expiry = now + c->opts.offsets_retention_check_interval_ms;
    }
  }
  int64_t next = c->next_expiry ? c->next_expiry : INT64_MAX;
  g_hash_table_iter_init(&it, c->groups);
  while (g_hash_table_iter_next(&it, NULL, &value))
    next = MIN(next, group_next_deadline(value));
  c->next_wakeup = next;
  c->need_wakeup = false;
  g_mutex_unlock(&c->lock);
  rill__group_flush(c);
  if (expire)
    rill__group_expire_offsets(c, g_get_real_time() / 1000);
  return next;
}

/* ---- life cycle ---- */

void rill__group_options_init(rill__group_options *options)
{
  g_return_if_fail(options != NULL);
  memset(options, 0, sizeof *options);
  options->min_session_timeout_ms = 6000;
  options->max_session_timeout_ms = 1800000;
  options->initial_rebalance_delay_ms = 3000;
  options->max_metadata_bytes = 4096;
  options->offsets_retention_ms = 7 * 24 * 3600 * 1000LL;
  options->offsets_retention_check_interval_ms = 600000;
}

rill__group_coordinator *rill__group_coordinator_open(const rill__group_options *options, GError **error)
{
  g_return_val_if_fail(options != NULL && options->log != NULL, NULL);
  rill__group_coordinator *c = g_new0(rill__group_coordinator, 1);
  g_mutex_init(&c->lock);
  c->opts = *options;
  c->state_dir = g_strdup(options->state_dir);
  c->opts.state_dir = c->state_dir;
  c->groups = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)rill__group_free);
  g_queue_init(&c->completions);
  c->next_wakeup = INT64_MAX;
  if (!rill__group_store_load(c, error)) {
    rill__group_coordinator_free(c);
    return NULL;
  }
  return c;
}

void rill__group_coordinator_answer_parked(rill__group_coordinator *c)
{
  g_return_if_fail(c != NULL);
  g_mutex_lock(&c->lock);
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, c->groups);
  while (g_hash_table_iter_next(&it, NULL, &value)) {
    rill__group *g = value;
    for (guint i = 0; i < g->members->len; i++)
      answer_parked(c, g, g_ptr_array_index(g->members, i), RILL_KAFKA_ERR_COORDINATOR_NOT_AVAILABLE);
  }
  c->need_wakeup = false;
  g_mutex_unlock(&c->lock);
  rill__group_flush(c);
}

void rill__group_coordinator_free(rill__group_coordinator *c)
{
  if (!c)
    return;
  rill__group_coordinator_answer_parked(c);
  if (c->opts.wakeup_destroy)
    c->opts.wakeup_destroy(c->opts.wakeup_data);
  g_hash_table_unref(c->groups);
  g_free(c->state_dir);
  g_mutex_clear(&c->lock);
  g_free(c);
}
