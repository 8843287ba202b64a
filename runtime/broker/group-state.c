/* group-state.c — groups and members as data: construction, lookup,
 * protocol compatibility and the protocol vote. No state transitions here
 * (group-coordinator.c makes those); callers hold the coordinator lock.
 *
 * Protocol choice follows Kafka: the candidates are the protocols every
 * member supports; each member votes for the first candidate in its own
 * order of preference; the most votes win, ties going to the candidate the
 * earliest member prefers.
 */
#include "runtime/broker/group-private.h"

#include <string.h>

const char *rill__group_state_name(rill__group_state state)
{
  switch (state) {
  case RILL__GROUP_EMPTY:
    return "Empty";
  case RILL__GROUP_PREPARING_REBALANCE:
    return "PreparingRebalance";
  case RILL__GROUP_COMPLETING_REBALANCE:
    return "CompletingRebalance";
  case RILL__GROUP_STABLE:
    return "Stable";
  case RILL__GROUP_DEAD:
    break;
  }
  return "Dead";
}

int64_t rill__group_now(rill__group_coordinator *c)
{
  if (c->opts.clock)
    return c->opts.clock(c->opts.clock_data);
  return g_get_monotonic_time() / 1000;
}

void rill__group_schedule(rill__group_coordinator *c, int64_t deadline)
{
  if (deadline < c->next_wakeup) {
    c->next_wakeup = deadline;
    c->need_wakeup = true;
  }
}

rill__group *rill__group_new(const char *id)
{
  rill__group *g = g_new0(rill__group, 1);
  g->id = g_strdup(id);
  g->state = RILL__GROUP_EMPTY;
  g->empty_since_ms = g_get_real_time() / 1000;
  g->members = g_ptr_array_new_with_free_func((GDestroyNotify)rill__group_member_free);
  g->pending = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  g->rebalance_deadline = INT64_MAX;
  g->sync_deadline = INT64_MAX;
  return g;
}

void rill__group_free(rill__group *g)
{
  if (!g)
    return;
  g_free(g->id);
  g_free(g->protocol_type);
  g_free(g->protocol_name);
  g_free(g->leader_id);
  g_ptr_array_unref(g->members);
  g_hash_table_unref(g->pending);
  g_free(g);
}

static void proto_free(rill__group_proto *p)
{
  g_free(p->name);
  g_bytes_unref(p->metadata);
  g_free(p);
}

rill__group_member *rill__group_member_new(const char *member_id, const rill__group_join_request *req)
{
  rill__group_member *m = g_new0(rill__group_member, 1);
  m->member_id = g_strdup(member_id);
  m->instance_id = g_strdup(req->group_instance_id);
  m->client_id = g_strdup(req->client_id ? req->client_id : "");
  m->client_host = g_strdup(req->client_host ? req->client_host : "");
  m->session_timeout_ms = req->session_timeout_ms;
  m->rebalance_timeout_ms = req->rebalance_timeout_ms;
  m->protocols = g_ptr_array_new_with_free_func((GDestroyNotify)proto_free);
  rill__group_member_set_protocols(m, req->protocols, req->n_protocols);
  return m;
}

void rill__group_member_free(rill__group_member *m)
{
  if (!m)
    return;
  /* Parked callbacks must have been answered before a member goes away. */
  g_assert(m->join_done == NULL && m->sync_done == NULL);
  g_free(m->member_id);
  g_free(m->instance_id);
  g_free(m->client_id);
  g_free(m->client_host);
  g_ptr_array_unref(m->protocols);
  if (m->assignment)
    g_bytes_unref(m->assignment);
  g_free(m);
}

void rill__group_member_set_protocols(rill__group_member *m, const rill__group_protocol *protocols, guint n)
{
  g_ptr_array_set_size(m->protocols, 0);
  for (guint i = 0; i < n; i++) {
    rill__group_proto *p = g_new(rill__group_proto, 1);
    p->name = g_strdup(protocols[i].name);
    p->metadata = g_bytes_new(protocols[i].metadata, protocols[i].metadata_len);
    g_ptr_array_add(m->protocols, p);
  }
}

bool rill__group_member_protocols_equal(const rill__group_member *m, const rill__group_protocol *protocols,
                                        guint n)
{
  if (m->protocols->len != n)
    return false;
  for (guint i = 0; i < n; i++) {
    const rill__group_proto *p = g_ptr_array_index(m->protocols, i);
    gsize len;
    const void *data = g_bytes_get_data(p->metadata, &len);
    if (strcmp(p->name, protocols[i].name) != 0 || len != protocols[i].metadata_len ||
        (len && memcmp(data, protocols[i].metadata, len) != 0))
      return false;
  }
  return true;
}

GBytes *rill__group_member_metadata(const rill__group_member *m, const char *protocol)
{
  for (guint i = 0; protocol && i < m->protocols->len; i++) {
    const rill__group_proto *p = g_ptr_array_index(m->protocols, i);
    if (strcmp(p->name, protocol) == 0)
      return p->metadata;
  }
  return NULL;
}

rill__group_member *rill__group_find_member(rill__group *g, const char *member_id)
{
  for (guint i = 0; member_id && i < g->members->len; i++) {
    rill__group_member *m = g_ptr_array_index(g->members, i);
    if (strcmp(m->member_id, member_id) == 0)
      return m;
  }
  return NULL;
}

rill__group_member *rill__group_find_instance(rill__group *g, const char *instance_id)
{
  for (guint i = 0; instance_id && i < g->members->len; i++) {
    rill__group_member *m = g_ptr_array_index(g->members, i);
    if (m->instance_id && strcmp(m->instance_id, instance_id) == 0)
      return m;
  }
  return NULL;
}

static bool member_supports(const rill__group_member *m, const char *protocol)
{
  return rill__group_member_metadata(m, protocol) != NULL;
}

static bool all_support(rill__group *g, const char *protocol)
{
  for (guint i = 0; i < g->members->len; i++)
    if (!member_supports(g_ptr_array_index(g->members, i), protocol))
      return false;
  return true;
}

bool rill__group_supports(rill__group *g, const char *type, const rill__group_protocol *protocols, guint n)
{
  if (g->members->len == 0)
    return true;
  if (!g->protocol_type || strcmp(g->protocol_type, type) != 0)
    return false;
  for (guint i = 0; i < n; i++)
    if (all_support(g, protocols[i].name))
      return true;
  return false;
}

const char *rill__group_select_protocol(rill__group *g)
{
  if (g->members->len == 0)
    return NULL;
  const char *best = NULL;
  guint best_votes = 0;
  rill__group_member *first = g_ptr_array_index(g->members, 0);
  /* Candidates in the first member's order, so ties are deterministic. */
  for (guint i = 0; i < first->protocols->len; i++) {
    const char *cand = ((rill__group_proto *)g_ptr_array_index(first->protocols, i))->name;
    if (!all_support(g, cand))
      continue;
    guint votes = 0;
    for (guint j = 0; j < g->members->len; j++) {
      rill__group_member *m = g_ptr_array_index(g->members, j);
      for (guint k = 0; k < m->protocols->len; k++) {
        const char *pref = ((rill__group_proto *)g_ptr_array_index(m->protocols, k))->name;
        if (all_support(g, pref)) {
          votes += strcmp(pref, cand) == 0;
          break;
        }
      }
    }
    if (!best || votes > best_votes) {
      best = cand;
      best_votes = votes;
    }
  }
  return best;
}

int32_t rill__group_max_rebalance_timeout(rill__group *g)
{
  int32_t t = 0;
  for (guint i = 0; i < g->members->len; i++) {
    rill__group_member *m = g_ptr_array_index(g->members, i);
    t = MAX(t, m->rebalance_timeout_ms);
  }
  return t;
}
