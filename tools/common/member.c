/* member.c — the minimal group member of rill-consume -G (see member.h).
 *
 * Invariant: generation/member_id are those of the last successful
 * SyncGroup; every commit uses them, so a commit after a rebalance the
 * member missed is refused by the coordinator instead of overwriting
 * another member's progress. */
#include "member.h"

struct tool_member {
  rill__kclient *client; /* not owned */
  char *group;
  char **topics;
  int32_t coordinator;
  char *member_id;
  int32_t generation;
  gint64 next_heartbeat; /* monotonic us */
};

tool_member *tool_member_new(rill__kclient *client, const char *group, const char *const *topics)
{
  tool_member *m = g_new0(tool_member, 1);
  m->client = client;
  m->group = g_strdup(group);
  m->topics = g_strdupv((char **)topics);
  m->coordinator = -1;
  m->member_id = g_strdup("");
  m->generation = -1;
  return m;
}

void tool_member_free(tool_member *m)
{
  if (!m)
    return;
  if (m->coordinator >= 0 && *m->member_id) {
    rill_wire_leave_group_request req;
    rill_wire_leave_group_request_init(&req);
    rill_wire_leave_group_request_member_identity id = {0};
    id.member_id = rill_wire_str_from(m->member_id);
    id.group_instance_id = RILL_WIRE_STR_NULL;
    id.reason = RILL_WIRE_STR_NULL;
    req.group_id = rill_wire_str_from(m->group);
    req.member_id = id.member_id;
    req.members = &id;
    req.n_members = 1;
    rill__kreq *r = rill__kclient_call(m->client, m->coordinator, RILL_WIRE_API_LEAVE_GROUP, 4, &req, NULL);
    rill__kreq_free(r);
  }
  g_free(m->group);
  g_strfreev(m->topics);
  g_free(m->member_id);
  g_free(m);
}

/* Submits @body and waits up to request.timeout.ms + @extra_ms (a join
 * waits for the rebalance). */
static rill__kreq *call_long(tool_member *m, int16_t api, int16_t max_version, const void *body, int extra_ms,
                             GError **error)
{
  rill__kreq *r = rill__kreq_new(api, max_version, body);
  r->extra_timeout_ms = extra_ms;
  rill__kclient_submit(m->client, m->coordinator, r, NULL, NULL);
  rill__kreq_wait(m->client, r, G_MAXINT64);
  if (r->error) {
    rill__kclient_set_error(error, r->error, rill_wire_api_lookup(api)->name, r->error_message);
    rill__kreq_free(r);
    return NULL;
  }
  return r;
}

/* The range assignment of @r's members (leader only): per topic, members
 * subscribed to it in member-id order get consecutive partition ranges,
 * the first (n % members) one partition more. */
static gboolean assign_range(tool_member *m, const rill_wire_join_group_response *jr,
                             rill_wire_sync_group_request_sync_group_request_assignment *out, GBytes **blobs,
                             GError **error)
{
  int32_t nm = jr->n_members;
  char ***subs = g_new0(char **, (gsize)nm);
  GArray **parts = g_new0(GArray *, (gsize)nm);
  int32_t *order = g_new0(int32_t, (gsize)nm);
  gboolean ok = FALSE;
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func(g_free);
  for (int32_t i = 0; i < nm; i++) {
    order[i] = i;
    parts[i] = g_array_new(FALSE, TRUE, sizeof(rill__koffset));
    subs[i] = rill__kconsumer_subscription_decode(jr->members[i].metadata.ptr,
                                                 jr->members[i].metadata.len < 0 ? 0 : (size_t)jr->members[i].metadata.len);
    for (guint t = 0; subs[i] && subs[i][t]; t++)
      if (!g_ptr_array_find_with_equal_func(all, subs[i][t], g_str_equal, NULL))
        g_ptr_array_add(all, g_strdup(subs[i][t]));
  }
  /* member-id order (insertion sort: groups are small) */
  for (int32_t i = 1; i < nm; i++)
    for (int32_t j = i; j > 0; j--) {
      rill_wire_str a = jr->members[order[j - 1]].member_id, b = jr->members[order[j]].member_id;
      int c = memcmp(a.ptr, b.ptr, (size_t)MIN(a.len, b.len));
      if (c < 0 || (c == 0 && a.len <= b.len))
        break;
      int32_t x = order[j];
      order[j] = order[j - 1];
      order[j - 1] = x;
    }
  g_ptr_array_add(all, NULL);
  if (!rill__kclient_refresh_metadata(m->client, (const char *const *)all->pdata, error))
    goto out;
  for (guint t = 0; t + 1 < all->len; t++) {
    const char *topic = all->pdata[t];
    int32_t n = rill__kclient_partition_count(m->client, topic, NULL);
    int32_t k = 0;
    for (int32_t i = 0; i < nm; i++)
      k += subs[order[i]] && g_strv_contains((const char *const *)subs[order[i]], topic);
    if (n <= 0 || k == 0)
      continue;
    int32_t next = 0, idx = 0;
    for (int32_t i = 0; i < nm; i++) {
      int32_t mi = order[i];
      if (!subs[mi] || !g_strv_contains((const char *const *)subs[mi], topic))
        continue;
      int32_t count = n / k + (idx < n % k ? 1 : 0);
      idx++;
      for (int32_t p = next; p < next + count; p++) {
        rill__koffset o = {(char *)topic, p, -1};
        g_array_append_val(parts[mi], o);
      }
      next += count;
    }
  }
  for (int32_t i = 0; i < nm; i++) {
    blobs[i] = rill__kconsumer_assignment_encode((const rill__koffset *)parts[i]->data, parts[i]->len);
    gsize len;
    const void *data = g_bytes_get_data(blobs[i], &len);
    out[i].member_id = jr->members[i].member_id;
    out[i].assignment = rill_wire_bytes_from(data, len);
  }
  ok = TRUE;
out:
  for (int32_t i = 0; i < nm; i++) {
    g_strfreev(subs[i]);
    g_array_unref(parts[i]);
  }
  g_free(subs);
  g_free(parts);
  g_free(order);
  return ok;
}

/* One JoinGroup + SyncGroup round. The assignment bytes decoded, or NULL:
 * with *@again set when the round must simply be repeated. */
static GArray *join_once(tool_member *m, gboolean *again, GError **error)
{
  const rill_kafka_conf *kc = rill__kclient_conf(m->client);
  *again = FALSE;
  GBytes *sub = rill__kconsumer_subscription_encode((const char *const *)m->topics);
  gsize sub_len;
  const void *sub_data = g_bytes_get_data(sub, &sub_len);
  rill_wire_join_group_request jreq;
  rill_wire_join_group_request_init(&jreq);
  rill_wire_join_group_request_join_group_request_protocol proto = {rill_wire_str_from("range"),
                                                                    rill_wire_bytes_from(sub_data, sub_len)};
  jreq.group_id = rill_wire_str_from(m->group);
  jreq.session_timeout_ms = kc->session_timeout_ms;
  jreq.rebalance_timeout_ms = kc->max_poll_interval_ms;
  jreq.member_id = rill_wire_str_from(m->member_id);
  jreq.protocol_type = rill_wire_str_from("consumer");
  jreq.protocols = &proto;
  jreq.n_protocols = 1;
  rill__kreq *jr = call_long(m, RILL_WIRE_API_JOIN_GROUP, 5, &jreq, kc->max_poll_interval_ms, error);
  g_bytes_unref(sub);
  if (!jr)
    return NULL;
  const rill_wire_join_group_response *j = &jr->resp.join_group;
  GArray *result = NULL;
  if (j->error_code == RILL_KAFKA_ERR_MEMBER_ID_REQUIRED || j->error_code == RILL_KAFKA_ERR_UNKNOWN_MEMBER_ID) {
    g_free(m->member_id);
    m->member_id = j->error_code == RILL_KAFKA_ERR_MEMBER_ID_REQUIRED ? g_strndup(j->member_id.ptr, (gsize)MAX(j->member_id.len, 0))
                                                                    : g_strdup("");
    *again = TRUE;
    goto out;
  }
  if (j->error_code == RILL_KAFKA_ERR_REBALANCE_IN_PROGRESS || RILL_KAFKA_ERR_COORDINATOR_LOAD_IN_PROGRESS == j->error_code) {
    *again = TRUE;
    goto out;
  }
  if (j->error_code) {
    rill__kclient_set_error(error, j->error_code, "JoinGroup", NULL);
    goto out;
  }
  g_free(m->member_id);
  m->member_id = g_strndup(j->member_id.ptr, (gsize)MAX(j->member_id.len, 0));
  int32_t generation = j->generation_id;
  gboolean leader = j->leader.len == j->member_id.len && memcmp(j->leader.ptr, j->member_id.ptr, (size_t)MAX(j->leader.len, 0)) == 0;

  rill_wire_sync_group_request sreq;
  rill_wire_sync_group_request_init(&sreq);
  sreq.group_id = jreq.group_id;
  sreq.generation_id = generation;
  sreq.member_id = rill_wire_str_from(m->member_id);
  sreq.protocol_type = rill_wire_str_from("consumer");
  sreq.protocol_name = rill_wire_str_from("range");
  rill_wire_sync_group_request_sync_group_request_assignment *as = NULL;
  GBytes **blobs = NULL;
  if (leader) {
    as = g_new0(rill_wire_sync_group_request_sync_group_request_assignment, (gsize)j->n_members + 1);
    blobs = g_new0(GBytes *, (gsize)j->n_members + 1);
    if (!assign_range(m, j, as, blobs, error))
      goto out_sync;
    sreq.assignments = as;
    sreq.n_assignments = j->n_members;
  }
  rill__kreq *sr = call_long(m, RILL_WIRE_API_SYNC_GROUP, 4, &sreq, kc->max_poll_interval_ms, error);
  if (!sr)
    goto out_sync;
  if (sr->resp.sync_group.error_code == RILL_KAFKA_ERR_REBALANCE_IN_PROGRESS) {
    *again = TRUE;
  } else if (sr->resp.sync_group.error_code) {
    rill__kclient_set_error(error, sr->resp.sync_group.error_code, "SyncGroup", NULL);
  } else {
    rill_wire_bytes a = sr->resp.sync_group.assignment;
    result = a.len > 0 ? rill__kconsumer_assignment_decode(a.ptr, (size_t)a.len)
                       : rill__kconsumer_assignment_decode((const uint8_t *)"\0\0\0\0\0\0", 6);
    if (!result)
      rill__kclient_set_error(error, -1, "SyncGroup", "malformed assignment");
    m->generation = generation;
  }
  rill__kreq_free(sr);
out_sync:
  for (int32_t i = 0; blobs && i < j->n_members; i++)
    if (blobs[i])
      g_bytes_unref(blobs[i]);
  g_free(blobs);
  g_free(as);
out:
  rill__kreq_free(jr);
  return result;
}

GArray *tool_member_join(tool_member *m, GError **error)
{
  gint64 give_up = g_get_monotonic_time() + (gint64)rill__kclient_conf(m->client)->max_poll_interval_ms * 1000 * 2;
  for (;;) {
    if (m->coordinator < 0 && (m->coordinator = rill__kadmin_find_coordinator(m->client, m->group, error)) < 0)
      return NULL;
    gboolean again;
    GArray *assignment = join_once(m, &again, error);
    if (assignment) {
      /* the committed offsets of what we got */
      for (guint t = 0; m->topics[t]; t++) {
        GArray *committed = rill__kadmin_offset_fetch(m->client, m->coordinator, m->group, m->topics[t], error);
        if (!committed) {
          rill__koffsets_free(assignment);
          return NULL;
        }
        for (guint i = 0; i < assignment->len; i++) {
          rill__koffset *a = &g_array_index(assignment, rill__koffset, i);
          for (guint k = 0; k < committed->len; k++) {
            const rill__koffset *c = &g_array_index(committed, rill__koffset, k);
            if (c->partition == a->partition && strcmp(c->topic, a->topic) == 0)
              a->offset = c->offset;
          }
        }
        rill__koffsets_free(committed);
      }
      m->next_heartbeat = g_get_monotonic_time() + (gint64)rill__kclient_conf(m->client)->heartbeat_interval_ms * 1000;
      return assignment;
    }
    if (!again || g_get_monotonic_time() >= give_up || tool_interrupted()) {
      if (again)
        rill__kclient_set_error(error, RILL_KAFKA_ERR_REBALANCE_IN_PROGRESS, "JoinGroup", "gave up rejoining");
      return NULL;
    }
  }
}

gboolean tool_member_heartbeat(tool_member *m, GError **error)
{
  if (g_get_monotonic_time() < m->next_heartbeat)
    return TRUE;
  rill_wire_heartbeat_request req;
  rill_wire_heartbeat_request_init(&req);
  req.group_id = rill_wire_str_from(m->group);
  req.generation_id = m->generation;
  req.member_id = rill_wire_str_from(m->member_id);
  rill__kreq *r = rill__kclient_call(m->client, m->coordinator, RILL_WIRE_API_HEARTBEAT, 4, &req, error);
  if (!r)
    return FALSE;
  int16_t code = r->resp.heartbeat.error_code;
  rill__kreq_free(r);
  m->next_heartbeat = g_get_monotonic_time() + (gint64)rill__kclient_conf(m->client)->heartbeat_interval_ms * 1000;
  if (code == RILL_KAFKA_ERR_UNKNOWN_MEMBER_ID) {
    g_free(m->member_id);
    m->member_id = g_strdup("");
  }
  if (code == RILL_KAFKA_ERR_NOT_COORDINATOR || code == RILL_KAFKA_ERR_COORDINATOR_NOT_AVAILABLE)
    m->coordinator = -1;
  return code == 0;
}

gboolean tool_member_commit(tool_member *m, const GArray *offsets, GError **error)
{
  if (offsets->len == 0)
    return TRUE;
  return rill__kadmin_offset_commit(m->client, m->coordinator, m->group, m->generation, m->member_id, offsets, error);
}
