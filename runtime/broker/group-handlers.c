/* group-handlers.c — the group APIs on the wire: FindCoordinator, JoinGroup,
 * SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch, ListGroups,
 * DescribeGroups, DeleteGroups (group.h). Each handler turns the decoded
 * request into a call on the coordinator (group-coordinator.h) and the
 * result into the response fields the request's version carries.
 *
 * Threads: handlers, the coordinator's callbacks and its timer run on the
 * broker's I/O thread (handler.h); OffsetCommit's log write (an fsync) runs
 * on the broker's worker pool and answers from the loop, so a commit never
 * stalls other connections. The coordinator is MT safe, so that is allowed.
 *
 * Timer: one broker timer is kept armed at the coordinator's next deadline;
 * the coordinator's wakeup callback re-arms it when an operation creates an
 * earlier one.
 *
 * Group metadata is stored beside the log's committed offsets, in
 * <log dir>/.groups.
 */
#include "runtime/broker/broker-private.h"
#include "runtime/broker/acl.h"
#include "runtime/broker/group-private.h"
#include "runtime/log/log-private.h"

#include <string.h>

/* ---- the coordinator's timer on the broker loop ---- */

typedef struct {
  rill__broker *broker;      /* not refcounted */
  rill__group_coordinator *c; /* not refcounted: owns this */
  rill__broker_timer *timer; /* armed, or NULL */
  int64_t armed_at;
  bool stopped;
} group_timer;

static void arm(group_timer *t, int64_t deadline);

static void on_timer(void *data)
{
  group_timer *t = data;
  t->timer = NULL;
  arm(t, rill__group_coordinator_tick(t->c));
}

static void arm(group_timer *t, int64_t deadline)
{
  if (t->stopped || deadline == INT64_MAX || (t->timer && t->armed_at <= deadline))
    return;
  if (t->timer)
    rill__broker_timer_cancel(t->broker, t->timer);
  t->armed_at = deadline;
  t->timer = rill__broker_timer_add(t->broker, deadline - rill__broker_now_ms(t->broker), on_timer, t);
}

static void on_wakeup(int64_t deadline, void *data)
{
  arm(data, deadline);
}

/* Loaded groups have session deadlines: arm once the loop runs. */
static void first_tick(void *data)
{
  group_timer *t = data;
  arm(t, rill__group_coordinator_tick(t->c));
}

static void timer_free(void *data)
{
  g_free(data);
}

/* The loop's clock, so deadlines and the timers that check them agree. */
static int64_t loop_clock(void *data)
{
  return rill__broker_now_ms(data);
}

rill__group_coordinator *rill__group_coordinator_new(rill__broker *broker, GError **error)
{
  const rill__broker_settings *s = rill__broker_settings_get(broker);
  rill_log *log = rill__broker_log(broker);
  g_autofree char *dir = g_build_filename(log->dir, ".groups", NULL);
  group_timer *t = g_new0(group_timer, 1);
  t->broker = broker;
  rill__group_options o;
  rill__group_options_init(&o);
  o.log = log;
  o.state_dir = dir;
  o.wakeup = on_wakeup;
  o.wakeup_data = t;
  o.wakeup_destroy = timer_free;
  o.clock = loop_clock;
  o.clock_data = broker;
  o.initial_rebalance_delay_ms = (int32_t)CLAMP(s->group_initial_rebalance_delay_ms, 0, G_MAXINT32);
  o.min_session_timeout_ms = (int32_t)CLAMP(s->group_min_session_timeout_ms, 0, G_MAXINT32);
  o.max_session_timeout_ms = (int32_t)CLAMP(s->group_max_session_timeout_ms, 0, G_MAXINT32);
  o.offsets_retention_ms = s->offsets_retention_minutes * 60 * 1000;
  o.offsets_retention_check_interval_ms = s->offsets_retention_check_interval_ms;
  rill__group_coordinator *c = rill__group_coordinator_open(&o, error);
  if (!c) {
    g_free(t);
    return NULL;
  }
  t->c = c;
  rill__broker_post(broker, first_tick, t);
  return c;
}

void rill__group_coordinator_shutdown(rill__group_coordinator *c)
{
  group_timer *t = c->opts.wakeup_data;
  t->stopped = true;
  if (t->timer)
    rill__broker_timer_cancel(t->broker, t->timer);
  t->timer = NULL;
  rill__group_coordinator_answer_parked(c);
}

/* ---- helpers ---- */

static char *dup_str(rill__broker_req *req, rill__wire_str s)
{
  return rill__broker_req_strdup(req, s);
}

static const char *client_host(rill__broker_req *req)
{
  char *h = rill__broker_req_alloc(req, strlen(rill__broker_req_client_host(req)) + 2);
  h[0] = '/';
  strcpy(h + 1, rill__broker_req_client_host(req));
  return h;
}

static rill__group_coordinator *coordinator(rill__broker_req *req)
{
  return rill__broker_groups(req->broker);
}

/* ---- FindCoordinator ---- */

static int16_t coordinator_for(int8_t key_type)
{
  /* Transactions find us too; InitProducerId then refuses them clearly. */
  return key_type == 0 || key_type == 1 ? RILL_KAFKA_ERR_NONE : RILL_KAFKA_ERR_INVALID_REQUEST;
}

void rill__group_handle_find_coordinator(rill__broker_req *req)
{
  const rill__wire_find_coordinator_request *in = &req->body->find_coordinator;
  rill__wire_find_coordinator_response out;
  rill__wire_find_coordinator_response_init(&out);
  rill__wire_str host = rill__wire_str_from(rill__broker_advertised_host(req));
  int32_t port = rill__broker_advertised_port(req);
  int32_t node = rill__broker_node_id(req->broker);
  int16_t err = coordinator_for(in->key_type);
  out.error_code = err;
  out.node_id = err ? -1 : node;
  out.host = err ? rill__wire_str_from("") : host;
  out.port = err ? -1 : port;
  out.n_coordinators = MAX(in->n_coordinator_keys, 0);
  out.coordinators = rill__broker_req_new0(req, rill__wire_find_coordinator_response_coordinator, out.n_coordinators);
  for (int32_t i = 0; i < out.n_coordinators; i++) {
    rill__wire_find_coordinator_response_coordinator *o = &out.coordinators[i];
    o->key = in->coordinator_keys[i];
    o->error_code = err;
    o->node_id = err ? -1 : node;
    o->host = err ? rill__wire_str_from("") : host;
    o->port = err ? -1 : port;
    o->error_message = RILL_WIRE_STR_NULL;
  }
  rill__broker_respond(req, &out);
}

/* ---- JoinGroup ---- */

/* Parked requests are answered from another connection's handler or from a
 * timer; answering through a post keeps every answer out of the middle of
 * another connection's event handling. The result is copied into the
 * request's memory first (it is only valid during the callback). */
static rill__wire_str keep_str(rill__broker_req *req, const char *s)
{
  return s ? rill__wire_str_from(rill__broker_req_strdup(req, rill__wire_str_from(s))) : RILL_WIRE_STR_NULL;
}

static rill__wire_bytes keep_bytes(rill__broker_req *req, const uint8_t *p, size_t len)
{
  uint8_t *d = rill__broker_req_alloc(req, MAX(len, 1));
  if (len)
    memcpy(d, p, len);
  return rill__wire_bytes_from(d, len);
}

static void respond_posted(void *data)
{
  rill__broker_req *req = data;
  rill__broker_respond(req, req->handler_data);
}

static void join_done(const rill__group_join_result *r, void *data)
{
  rill__broker_req *req = data;
  int16_t version = req->header.request_api_version;
  rill__wire_join_group_response *out = rill__broker_req_new0(req, rill__wire_join_group_response, 1);
  rill__wire_join_group_response_init(out);
  out->error_code = r->error_code;
  out->generation_id = r->generation_id;
  out->protocol_type = keep_str(req, r->protocol_type);
  /* ProtocolName is nullable only from v7. */
  out->protocol_name = keep_str(req, r->protocol_name ? r->protocol_name : version >= 7 ? NULL : "");
  out->leader = keep_str(req, r->leader_id);
  out->member_id = keep_str(req, r->member_id);
  out->n_members = (int32_t)r->n_members;
  out->members = rill__broker_req_new0(req, rill__wire_join_group_response_member, MAX(r->n_members, 1));
  for (guint i = 0; i < r->n_members; i++) {
    out->members[i].member_id = keep_str(req, r->members[i].member_id);
    out->members[i].group_instance_id = keep_str(req, r->members[i].group_instance_id);
    out->members[i].metadata = keep_bytes(req, r->members[i].metadata, r->members[i].metadata_len);
  }
  req->handler_data = out;
  rill__broker_post(req->broker, respond_posted, req);
}

void rill__group_handle_join_group(rill__broker_req *req)
{
  const rill__wire_join_group_request *in = &req->body->join_group;
  int32_t n = MAX(in->n_protocols, 0);
  rill__group_protocol *protos = rill__broker_req_new0(req, rill__group_protocol, MAX(n, 1));
  for (int32_t i = 0; i < n; i++) {
    protos[i].name = dup_str(req, in->protocols[i].name);
    protos[i].metadata = in->protocols[i].metadata.ptr;
    protos[i].metadata_len = (size_t)MAX(in->protocols[i].metadata.len, 0);
    if (!protos[i].name)
      protos[i].name = "";
  }
  const char *member_id = dup_str(req, in->member_id);
  rill__group_join_request j = {
    .group_id = dup_str(req, in->group_id),
    .member_id = member_id ? member_id : "",
    .group_instance_id = dup_str(req, in->group_instance_id),
    .client_id = req->header.client_id.len >= 0 ? dup_str(req, req->header.client_id) : "",
    .client_host = client_host(req),
    .session_timeout_ms = in->session_timeout_ms,
    .rebalance_timeout_ms = in->rebalance_timeout_ms >= 0 ? in->rebalance_timeout_ms : in->session_timeout_ms,
    .protocol_type = dup_str(req, in->protocol_type),
    .protocols = protos,
    .n_protocols = (guint)n,
    .require_known_member_id = req->header.request_api_version >= 4,
  };
  rill__group_join(coordinator(req), &j, join_done, req);
}

/* ---- SyncGroup ---- */

static void sync_done(const rill__group_sync_result *r, void *data)
{
  rill__broker_req *req = data;
  rill__wire_sync_group_response *out = rill__broker_req_new0(req, rill__wire_sync_group_response, 1);
  rill__wire_sync_group_response_init(out);
  out->error_code = r->error_code;
  out->protocol_type = keep_str(req, r->protocol_type);
  out->protocol_name = keep_str(req, r->protocol_name);
  out->assignment = keep_bytes(req, r->assignment, r->assignment_len);
  req->handler_data = out;
  rill__broker_post(req->broker, respond_posted, req);
}

void rill__group_handle_sync_group(rill__broker_req *req)
{
  const rill__wire_sync_group_request *in = &req->body->sync_group;
  int32_t n = MAX(in->n_assignments, 0);
  rill__group_assignment *as = rill__broker_req_new0(req, rill__group_assignment, MAX(n, 1));
  for (int32_t i = 0; i < n; i++) {
    as[i].member_id = dup_str(req, in->assignments[i].member_id);
    as[i].assignment = in->assignments[i].assignment.ptr;
    as[i].assignment_len = (size_t)MAX(in->assignments[i].assignment.len, 0);
  }
  rill__group_sync_request s = {
    .group_id = dup_str(req, in->group_id),
    .generation_id = in->generation_id,
    .member_id = dup_str(req, in->member_id),
    .group_instance_id = dup_str(req, in->group_instance_id),
    .protocol_type = dup_str(req, in->protocol_type),
    .protocol_name = dup_str(req, in->protocol_name),
    .assignments = as,
    .n_assignments = (guint)n,
  };
  rill__group_sync(coordinator(req), &s, sync_done, req);
}

/* ---- Heartbeat, LeaveGroup ---- */

void rill__group_handle_heartbeat(rill__broker_req *req)
{
  const rill__wire_heartbeat_request *in = &req->body->heartbeat;
  rill__wire_heartbeat_response out;
  rill__wire_heartbeat_response_init(&out);
  out.error_code = rill__group_heartbeat(coordinator(req), dup_str(req, in->group_id), in->generation_id,
                                         dup_str(req, in->member_id), dup_str(req, in->group_instance_id));
  rill__broker_respond(req, &out);
}

void rill__group_handle_leave_group(rill__broker_req *req)
{
  const rill__wire_leave_group_request *in = &req->body->leave_group;
  bool v3 = req->header.request_api_version >= 3;
  int32_t n = v3 ? MAX(in->n_members, 0) : 1;
  rill__group_leaving_member *ms = rill__broker_req_new0(req, rill__group_leaving_member, n);
  for (int32_t i = 0; i < n; i++) {
    const char *id = dup_str(req, v3 ? in->members[i].member_id : in->member_id);
    ms[i].member_id = id ? id : "";
    ms[i].group_instance_id = v3 ? dup_str(req, in->members[i].group_instance_id) : NULL;
  }
  rill__wire_leave_group_response out;
  rill__wire_leave_group_response_init(&out);
  out.error_code = rill__group_leave(coordinator(req), dup_str(req, in->group_id), ms, (guint)n);
  if (!v3) {
    if (!out.error_code)
      out.error_code = ms[0].error_code;
  } else if (!out.error_code) {
    out.n_members = n;
    out.members = rill__broker_req_new0(req, rill__wire_leave_group_response_member_response, n);
    for (int32_t i = 0; i < n; i++) {
      out.members[i].member_id = in->members[i].member_id;
      out.members[i].group_instance_id = in->members[i].group_instance_id;
      out.members[i].error_code = ms[i].error_code;
    }
  }
  rill__broker_respond(req, &out);
}

/* ---- OffsetCommit ---- */

typedef struct {
  rill__wire_offset_commit_response out;
  rill__group_commit_entry *entries; /* the partitions whose topic the principal may READ */
  guint n;
  int32_t *slot; /* per response partition, in order: its index in entries, or -1: topic READ denied */
} commit_state;

static void commit_work(void *data)
{
  rill__broker_req *req = data;
  const rill__wire_offset_commit_request *in = &req->body->offset_commit;
  commit_state *st = req->handler_data;
  const char *member_id = dup_str(req, in->member_id);
  rill__group_commit(coordinator(req), dup_str(req, in->group_id), in->generation_id, member_id ? member_id : "",
                     dup_str(req, in->group_instance_id), st->entries, st->n);
}

static void commit_done(void *data)
{
  rill__broker_req *req = data;
  commit_state *st = req->handler_data;
  guint k = 0;
  for (int32_t t = 0; t < st->out.n_topics; t++)
    for (int32_t p = 0; p < st->out.topics[t].n_partitions; p++, k++)
      st->out.topics[t].partitions[p].error_code =
          st->slot[k] < 0 ? RILL_KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED : st->entries[st->slot[k]].error_code;
  rill__broker_respond(req, &st->out);
}

void rill__group_handle_offset_commit(rill__broker_req *req)
{
  const rill__wire_offset_commit_request *in = &req->body->offset_commit;
  commit_state *st = rill__broker_req_new0(req, commit_state, 1);
  rill__wire_offset_commit_response_init(&st->out);
  req->handler_data = st;
  int32_t nt = MAX(in->n_topics, 0);
  guint total = 0;
  for (int32_t t = 0; t < nt; t++)
    total += (guint)MAX(in->topics[t].n_partitions, 0);
  st->entries = rill__broker_req_new0(req, rill__group_commit_entry, MAX(total, 1));
  st->slot = rill__broker_req_new0(req, int32_t, MAX(total, 1));
  st->out.n_topics = nt;
  st->out.topics = rill__broker_req_new0(req, rill__wire_offset_commit_response_topic, nt);
  guint k = 0, i = 0;
  for (int32_t t = 0; t < nt; t++) {
    int32_t np = MAX(in->topics[t].n_partitions, 0);
    const char *topic = dup_str(req, in->topics[t].name);
    /* Kafka commits the partitions of READ-able topics and answers
     * TOPIC_AUTHORIZATION_FAILED for the rest (the group READ was gated). */
    gboolean may_read = topic && rill__broker_authorize(req, RILL__RES_TOPIC, topic, RILL__OP_READ);
    st->out.topics[t].name = in->topics[t].name;
    st->out.topics[t].n_partitions = np;
    st->out.topics[t].partitions = rill__broker_req_new0(req, rill__wire_offset_commit_response_partition, np);
    for (int32_t p = 0; p < np; p++, i++) {
      const rill__wire_offset_commit_request_partition *ip = &in->topics[t].partitions[p];
      st->out.topics[t].partitions[p].partition_index = ip->partition_index;
      st->slot[i] = may_read ? (int32_t)k : -1;
      if (!may_read)
        continue;
      st->entries[k++] = (rill__group_commit_entry){
        .topic = topic,
        .partition = ip->partition_index,
        .offset = ip->committed_offset,
        .leader_epoch = ip->committed_leader_epoch,
        .metadata = dup_str(req, ip->committed_metadata),
      };
    }
  }
  st->n = k;
  rill__broker_offload(req, commit_work, commit_done);
}

/* ---- OffsetFetch ---- */

typedef rill__wire_offset_fetch_response_partition fetch_part; /* v0-7 */
typedef rill__wire_offset_fetch_response_partitions fetch_part8;

/* One group's answer, as v0-7 topics (v8 is copied from it). */
typedef struct {
  rill__wire_offset_fetch_response_topic *topics;
  int32_t n_topics;
} fetch_answer;

static void fill_part(rill__broker_req *req, fetch_part *o, int32_t partition, const rill_log_group_offset *c)
{
  o->partition_index = partition;
  o->committed_offset = c ? c->offset : -1;
  o->committed_leader_epoch = c ? c->leader_epoch : -1;
  o->metadata =
      rill__wire_str_from(c && c->metadata ? rill__broker_req_strdup(req, rill__wire_str_from(c->metadata)) : "");
  o->error_code = RILL_KAFKA_ERR_NONE;
}

/* @topics NULL: every committed offset of the group. */
static fetch_answer fetch_group(rill__broker_req *req, const char *group, const rill__wire_str *names,
                                int32_t *const *parts, const int32_t *n_parts, int32_t n_topics, bool all)
{
  fetch_answer a = {0};
  rill__group_coordinator *c = coordinator(req);
  if (all) {
    g_autoptr(GArray) offs = rill__group_offset_fetch_all(c, group);
    /* Sorted by topic: one output topic per run. */
    a.topics = rill__broker_req_new0(req, rill__wire_offset_fetch_response_topic, MAX(offs->len, 1));
    for (guint i = 0; i < offs->len;) {
      rill_log_group_offset *o = &g_array_index(offs, rill_log_group_offset, i);
      guint j = i;
      while (j < offs->len && strcmp(g_array_index(offs, rill_log_group_offset, j).topic, o->topic) == 0)
        j++;
      if (!rill__broker_authorize(req, RILL__RES_TOPIC, o->topic, RILL__OP_DESCRIBE)) {
        i = j; /* Kafka leaves out the topics the principal cannot DESCRIBE */
        continue;
      }
      rill__wire_offset_fetch_response_topic *t = &a.topics[a.n_topics++];
      t->name = rill__wire_str_from(rill__broker_req_strdup(req, rill__wire_str_from(o->topic)));
      t->n_partitions = (int32_t)(j - i);
      t->partitions = rill__broker_req_new0(req, fetch_part, j - i);
      for (guint k = i; k < j; k++) {
        rill_log_group_offset *x = &g_array_index(offs, rill_log_group_offset, k);
        fill_part(req, &t->partitions[k - i], x->partition, x);
      }
      i = j;
    }
    return a;
  }
  a.n_topics = n_topics;
  a.topics = rill__broker_req_new0(req, rill__wire_offset_fetch_response_topic, MAX(n_topics, 1));
  for (int32_t t = 0; t < n_topics; t++) {
    const char *topic = dup_str(req, names[t]);
    a.topics[t].name = names[t];
    a.topics[t].n_partitions = MAX(n_parts[t], 0);
    a.topics[t].partitions = rill__broker_req_new0(req, fetch_part, MAX(a.topics[t].n_partitions, 1));
    gboolean may_describe = topic && rill__broker_authorize(req, RILL__RES_TOPIC, topic, RILL__OP_DESCRIBE);
    for (int32_t p = 0; p < a.topics[t].n_partitions; p++) {
      rill_log_group_offset o = {0};
      bool found = may_describe && group && rill__group_offset_fetch(c, group, topic, parts[t][p], &o);
      fill_part(req, &a.topics[t].partitions[p], parts[t][p], found ? &o : NULL);
      if (!may_describe)
        a.topics[t].partitions[p].error_code = RILL_KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED;
      rill_log_group_offset_clear(&o);
    }
  }
  return a;
}

static fetch_answer fetch_request_topics(rill__broker_req *req, const char *group, bool all, int32_t n,
                                         const rill__wire_str *names, int32_t *const *parts, const int32_t *n_parts)
{
  return fetch_group(req, group ? group : "", names, parts, n_parts, n, all);
}

void rill__group_handle_offset_fetch(rill__broker_req *req)
{
  const rill__wire_offset_fetch_request *in = &req->body->offset_fetch;
  rill__wire_offset_fetch_response out;
  rill__wire_offset_fetch_response_init(&out);
  if (req->header.request_api_version < 8) {
    int32_t n = MAX(in->n_topics, 0);
    rill__wire_str *names = rill__broker_req_new0(req, rill__wire_str, MAX(n, 1));
    int32_t **parts = rill__broker_req_new0(req, int32_t *, MAX(n, 1));
    int32_t *np = rill__broker_req_new0(req, int32_t, MAX(n, 1));
    for (int32_t t = 0; t < n; t++) {
      names[t] = in->topics[t].name;
      parts[t] = in->topics[t].partition_indexes;
      np[t] = in->topics[t].n_partition_indexes;
    }
    /* Null topics (v2+) asks for everything committed. */
    fetch_answer a = fetch_request_topics(req, dup_str(req, in->group_id), in->n_topics < 0, n, names, parts, np);
    out.topics = a.topics;
    out.n_topics = a.n_topics;
    rill__broker_respond(req, &out);
    return;
  }
  out.n_groups = MAX(in->n_groups, 0);
  out.groups = rill__broker_req_new0(req, rill__wire_offset_fetch_response_group, out.n_groups);
  for (int32_t g = 0; g < out.n_groups; g++) {
    const rill__wire_offset_fetch_request_group *ig = &in->groups[g];
    int32_t n = MAX(ig->n_topics, 0);
    rill__wire_str *names = rill__broker_req_new0(req, rill__wire_str, MAX(n, 1));
    int32_t **parts = rill__broker_req_new0(req, int32_t *, MAX(n, 1));
    int32_t *np = rill__broker_req_new0(req, int32_t, MAX(n, 1));
    for (int32_t t = 0; t < n; t++) {
      names[t] = ig->topics[t].name;
      parts[t] = ig->topics[t].partition_indexes;
      np[t] = ig->topics[t].n_partition_indexes;
    }
    rill__wire_offset_fetch_response_group *og = &out.groups[g];
    og->group_id = ig->group_id;
    /* v8 names several groups: the gate saw none of them, so each is
     * checked here (DESCRIBE, as for v0-7's one group). */
    const char *gid = dup_str(req, ig->group_id);
    if (!gid || !rill__broker_authorize(req, RILL__RES_GROUP, gid, RILL__OP_DESCRIBE)) {
      og->error_code = RILL_KAFKA_ERR_GROUP_AUTHORIZATION_FAILED;
      og->topics = rill__broker_req_new0(req, rill__wire_offset_fetch_response_topics, 1);
      continue;
    }
    fetch_answer a = fetch_request_topics(req, gid, ig->n_topics < 0, n, names, parts, np);
    og->n_topics = a.n_topics;
    og->topics = rill__broker_req_new0(req, rill__wire_offset_fetch_response_topics, MAX(a.n_topics, 1));
    for (int32_t t = 0; t < a.n_topics; t++) {
      og->topics[t].name = a.topics[t].name;
      og->topics[t].n_partitions = a.topics[t].n_partitions;
      og->topics[t].partitions = rill__broker_req_new0(req, fetch_part8, MAX(a.topics[t].n_partitions, 1));
      for (int32_t p = 0; p < a.topics[t].n_partitions; p++) {
        const fetch_part *s = &a.topics[t].partitions[p];
        og->topics[t].partitions[p] = (fetch_part8){s->partition_index, s->committed_offset,
                                                   s->committed_leader_epoch, s->metadata, s->error_code};
      }
    }
  }
  rill__broker_respond(req, &out);
}

/* ---- ListGroups, DescribeGroups, DeleteGroups ---- */

void rill__group_handle_list_groups(rill__broker_req *req)
{
  const rill__wire_list_groups_request *in = &req->body->list_groups;
  int32_t nf = MAX(in->n_states_filter, 0);
  const char **states = NULL;
  if (nf > 0) {
    states = rill__broker_req_new0(req, const char *, nf + 1);
    for (int32_t i = 0; i < nf; i++)
      states[i] = dup_str(req, in->states_filter[i]);
  }
  g_autoptr(GArray) groups = rill__group_list(coordinator(req), states);
  /* As Kafka: everything with DESCRIBE on the cluster, else only the
   * groups the principal may DESCRIBE. */
  gboolean all = rill__broker_authorize(req, RILL__RES_CLUSTER, RILL__CLUSTER_NAME, RILL__OP_DESCRIBE);
  rill__wire_list_groups_response out;
  rill__wire_list_groups_response_init(&out);
  out.groups = rill__broker_req_new0(req, rill__wire_list_groups_response_listed_group, MAX(groups->len, 1));
  for (guint i = 0; i < groups->len; i++) {
    const rill__group_listing *l = &g_array_index(groups, rill__group_listing, i);
    if (!all && !rill__broker_authorize(req, RILL__RES_GROUP, l->group_id, RILL__OP_DESCRIBE))
      continue;
    rill__wire_list_groups_response_listed_group *o = &out.groups[out.n_groups++];
    o->group_id = rill__wire_str_from(l->group_id);
    o->protocol_type = rill__wire_str_from(l->protocol_type);
    o->group_state = rill__wire_str_from(l->state);
  }
  rill__broker_respond(req, &out);
}

static rill__wire_bytes bytes_of(GBytes *b)
{
  gsize n;
  const void *p = g_bytes_get_data(b, &n);
  return rill__wire_bytes_from(p ? p : "", n);
}

void rill__group_handle_describe_groups(rill__broker_req *req)
{
  const rill__wire_describe_groups_request *in = &req->body->describe_groups;
  int32_t n = MAX(in->n_groups, 0);
  rill__group_description **ds = g_new0(rill__group_description *, MAX(n, 1));
  rill__wire_describe_groups_response out;
  rill__wire_describe_groups_response_init(&out);
  out.n_groups = n;
  out.groups = rill__broker_req_new0(req, rill__wire_describe_groups_response_described_group, MAX(n, 1));
  for (int32_t g = 0; g < n; g++) {
    rill__wire_describe_groups_response_described_group *o = &out.groups[g];
    const char *id = dup_str(req, in->groups[g]);
    o->group_id = in->groups[g];
    o->authorized_operations = INT32_MIN;
    gboolean denied = id && !rill__broker_authorize(req, RILL__RES_GROUP, id, RILL__OP_DESCRIBE);
    if (!id || !*id || denied) {
      o->error_code = denied ? RILL_KAFKA_ERR_GROUP_AUTHORIZATION_FAILED : RILL_KAFKA_ERR_INVALID_GROUP_ID;
      o->group_state = o->protocol_type = o->protocol_data = rill__wire_str_from("");
      continue;
    }
    rill__group_description *d = ds[g] = rill__group_describe(coordinator(req), id);
    o->group_state = rill__wire_str_from(d->state);
    o->protocol_type = rill__wire_str_from(d->protocol_type);
    o->protocol_data = rill__wire_str_from(d->protocol_name);
    o->n_members = (int32_t)d->members->len;
    o->members =
        rill__broker_req_new0(req, rill__wire_describe_groups_response_described_group_member, MAX(d->members->len, 1));
    for (guint i = 0; i < d->members->len; i++) {
      const rill__group_member_description *m = &g_array_index(d->members, rill__group_member_description, i);
      o->members[i].member_id = rill__wire_str_from(m->member_id);
      o->members[i].group_instance_id = rill__wire_str_from(m->group_instance_id);
      o->members[i].client_id = rill__wire_str_from(m->client_id);
      o->members[i].client_host = rill__wire_str_from(m->client_host);
      o->members[i].member_metadata = bytes_of(m->metadata);
      o->members[i].member_assignment = bytes_of(m->assignment);
    }
  }
  rill__broker_respond(req, &out);
  for (int32_t g = 0; g < n; g++)
    rill__group_description_free(ds[g]);
  g_free(ds);
}

void rill__group_handle_delete_groups(rill__broker_req *req)
{
  const rill__wire_delete_groups_request *in = &req->body->delete_groups;
  rill__wire_delete_groups_response out;
  rill__wire_delete_groups_response_init(&out);
  out.n_results = MAX(in->n_groups_names, 0);
  out.results =
      rill__broker_req_new0(req, rill__wire_delete_groups_response_deletable_group_result, MAX(out.n_results, 1));
  for (int32_t g = 0; g < out.n_results; g++) {
    out.results[g].group_id = in->groups_names[g];
    /* Per group, as Kafka: a group the principal may not DELETE is
     * answered GROUP_AUTHORIZATION_FAILED, the others are still deleted. */
    char *name = dup_str(req, in->groups_names[g]);
    out.results[g].error_code = name && !rill__broker_authorize(req, RILL__RES_GROUP, name, RILL__OP_DELETE)
                                    ? RILL_KAFKA_ERR_GROUP_AUTHORIZATION_FAILED
                                    : rill__group_delete(coordinator(req), name);
  }
  rill__broker_respond(req, &out);
}
