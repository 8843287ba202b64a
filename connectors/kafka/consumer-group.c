/* consumer-group.c — a consumer group member with its own protocol thread
 * (see consumer-group.h for the handshake with the consumer thread).
 *
 * Invariants:
 * - Everything under m->lock is shared between the member thread and the
 *   consumer thread; network calls are made without holding it.
 * - `owns` is TRUE exactly while the consumer holds an assignment; the
 *   member thread never rejoins while it is TRUE (except after the
 *   rebalance timeout, when the coordinator has dropped us anyway).
 * - A pending assignment is handed out only while the consumer owns none;
 *   a rebalance discards an assignment nobody picked up yet.
 * - The member thread's long calls (JoinGroup and SyncGroup wait for the
 *   whole group) are waited for in short slices so that free() stops the
 *   thread promptly; an abandoned call's response is freed by its queue. */
#include "connectors/kafka/consumer-group.h"

#include <string.h>

typedef enum { ST_JOIN, ST_STABLE, ST_REVOKE, ST_LEFT } mstate;

struct rill__kmember {
  rill__kclient *client; /* not owned */
  const rill_kafka_conf *conf;
  char *group;
  char **patterns;       /* the subscription as given */
  GRegex **regexes;      /* compiled '^' patterns, NULL-terminated */
  char **strategies;     /* "range", "roundrobin" in preference order */
  GThread *thread;
  GAsyncQueue *answers;  /* responses of the member thread's calls */

  GMutex lock;
  GCond cond;
  gboolean stop;
  mstate state;
  int32_t coordinator;
  char *member_id;
  int32_t generation;
  char **subscribed;     /* topics of the last join (resolved patterns) */
  GArray *pending;       /* assignment not yet polled, or NULL */
  gboolean revoke_wanted;
  gboolean owns;
  gboolean rejoin_wanted; /* a fenced commit */
  gint64 last_poll;      /* monotonic us */
  GError *fatal;
};

static gboolean is_fencing(int16_t code)
{
  return code == RILL_KAFKA_ERR_ILLEGAL_GENERATION || code == RILL_KAFKA_ERR_UNKNOWN_MEMBER_ID ||
         code == RILL_KAFKA_ERR_REBALANCE_IN_PROGRESS || code == RILL_KAFKA_ERR_FENCED_INSTANCE_ID;
}

static char *wire_dup(rill__wire_str s)
{
  return g_strndup(s.ptr ? s.ptr : "", (gsize)MAX(s.len, 0));
}

/* ---- calls ---------------------------------------------------------------- */

static void on_answer(rill__kreq *r, void *data)
{
  GAsyncQueue *q = data;
  g_async_queue_push(q, r);
  g_async_queue_unref(q);
}

/* Sends @body to the coordinator and waits for the answer (up to
 * request.timeout.ms + @extra_ms), returning early with NULL when the member
 * stops. Transport failures are errors. (transfer full) */
static rill__kreq *call(rill__kmember *m, int16_t api, int16_t max_version, const void *body, int extra_ms,
                        GError **error)
{
  rill__kreq *r = rill__kreq_new(api, max_version, body);
  r->extra_timeout_ms = extra_ms;
  g_mutex_lock(&m->lock);
  int32_t node = m->coordinator;
  g_mutex_unlock(&m->lock);
  rill__kclient_submit(m->client, node, r, on_answer, g_async_queue_ref(m->answers));
  gint64 give_up = g_get_monotonic_time() + ((gint64)m->conf->request_timeout_ms + extra_ms + 1000) * 1000;
  for (;;) {
    rill__kreq *a = g_async_queue_timeout_pop(m->answers, 50000);
    if (a) {
      if (a->error) {
        rill__kclient_set_error(error, a->error, rill__wire_api_lookup(api)->name, a->error_message);
        rill__kreq_free(a);
        return NULL;
      }
      return a;
    }
    if (g_atomic_int_get(&m->stop) || g_get_monotonic_time() > give_up) {
      /* the answer, when it comes, waits in the queue until the next call or free */
      rill__kclient_set_error(error, RILL_KAFKA_ERR_REQUEST_TIMED_OUT, rill__wire_api_lookup(api)->name, NULL);
      return NULL;
    }
  }
}

/* Drops answers of abandoned calls. */
static void drain_answers(rill__kmember *m)
{
  rill__kreq *a;
  while ((a = g_async_queue_try_pop(m->answers)))
    rill__kreq_free(a);
}

/* ---- subscription ------------------------------------------------------- */

/* The topics the patterns name now: plain names as given, regexes matched
 * against the cluster's topics (sorted). NULL with @error when no broker
 * answered. (transfer full) */
static char **resolve_topics(rill__kmember *m, GError **error)
{
  GPtrArray *out = g_ptr_array_new();
  for (guint i = 0; m->patterns[i]; i++)
    if (m->patterns[i][0] != '^')
      g_ptr_array_add(out, g_strdup(m->patterns[i]));
  if (m->regexes[0]) {
    rill__kreq *r = rill__kadmin_metadata(m->client, NULL, error);
    if (!r) {
      g_ptr_array_free(out, TRUE);
      return NULL;
    }
    const rill__wire_metadata_response *md = &r->resp.metadata;
    for (int32_t t = 0; t < md->n_topics; t++) {
      g_autofree char *name = wire_dup(md->topics[t].name);
      if (md->topics[t].error_code || md->topics[t].is_internal || name[0] == '_')
        continue;
      for (guint k = 0; m->regexes[k]; k++)
        if (g_regex_match(m->regexes[k], name, 0, NULL) &&
            !g_ptr_array_find_with_equal_func(out, name, g_str_equal, NULL)) {
          g_ptr_array_add(out, g_strdup(name));
          break;
        }
    }
    rill__kreq_free(r);
  }
  for (guint i = 1; i < out->len; i++)
    for (guint j = i; j > 0 && strcmp(out->pdata[j - 1], out->pdata[j]) > 0; j--) {
      gpointer x = out->pdata[j];
      out->pdata[j] = out->pdata[j - 1];
      out->pdata[j - 1] = x;
    }
  g_ptr_array_add(out, NULL);
  return (char **)g_ptr_array_free(out, FALSE);
}

/* ---- assignors ------------------------------------------------------------ */

typedef struct {
  rill__wire_str id;
  char **topics; /* subscription */
  GArray *parts; /* rill__koffset (topic not owned) */
} amember;

static int cmp_member(const void *a, const void *b)
{
  const amember *x = a, *y = b;
  int c = memcmp(x->id.ptr, y->id.ptr, (size_t)MIN(x->id.len, y->id.len));
  return c ? c : (x->id.len > y->id.len) - (x->id.len < y->id.len);
}

static gboolean subscribes(const amember *am, const char *topic)
{
  return am->topics && g_strv_contains((const char *const *)am->topics, topic);
}

/* range (Kafka's RangeAssignor): per topic, the subscribed members in
 * member-id order get consecutive ranges, the first (n % k) one more. */
static void assign_range(rill__kclient *client, amember *ms, int32_t nm, char **all)
{
  for (guint t = 0; all[t]; t++) {
    int32_t n = rill__kclient_partition_count(client, all[t], NULL), k = 0;
    for (int32_t i = 0; i < nm; i++)
      k += subscribes(&ms[i], all[t]);
    if (n <= 0 || k == 0)
      continue;
    int32_t next = 0, idx = 0;
    for (int32_t i = 0; i < nm; i++) {
      if (!subscribes(&ms[i], all[t]))
        continue;
      int32_t count = n / k + (idx++ < n % k ? 1 : 0);
      for (int32_t p = next; p < next + count; p++) {
        rill__koffset o = {all[t], p, -1};
        g_array_append_val(ms[i].parts, o);
      }
      next += count;
    }
  }
}

/* roundrobin (Kafka's RoundRobinAssignor): every partition of every topic,
 * in topic then partition order, to the next member in member-id order
 * that subscribes to its topic. */
static void assign_roundrobin(rill__kclient *client, amember *ms, int32_t nm, char **all)
{
  int32_t cursor = 0;
  for (guint t = 0; all[t]; t++) {
    int32_t n = rill__kclient_partition_count(client, all[t], NULL);
    for (int32_t p = 0; p < n; p++)
      for (int32_t tries = 0; tries < nm; tries++) {
        amember *am = &ms[cursor];
        cursor = (cursor + 1) % nm;
        if (subscribes(am, all[t])) {
          rill__koffset o = {all[t], p, -1};
          g_array_append_val(am->parts, o);
          break;
        }
      }
  }
}

/* The leader's SyncGroup assignments for the members of @j. */
static gboolean run_assignor(rill__kmember *m, const rill__wire_join_group_response *j,
                             rill__wire_sync_group_request_assignment *out, GBytes **blobs, GError **error)
{
  int32_t nm = j->n_members;
  amember *ms = g_new0(amember, (gsize)nm);
  GPtrArray *all = g_ptr_array_new_with_free_func(g_free);
  gboolean ok = FALSE;
  g_autofree char *proto = NULL;
  for (int32_t i = 0; i < nm; i++) {
    ms[i].id = j->members[i].member_id;
    ms[i].parts = g_array_new(FALSE, TRUE, sizeof(rill__koffset));
    rill__wire_bytes md = j->members[i].metadata;
    ms[i].topics = rill__kconsumer_subscription_decode(md.ptr, md.len < 0 ? 0 : (size_t)md.len);
    for (guint t = 0; ms[i].topics && ms[i].topics[t]; t++)
      if (!g_ptr_array_find_with_equal_func(all, ms[i].topics[t], g_str_equal, NULL))
        g_ptr_array_add(all, g_strdup(ms[i].topics[t]));
  }
  qsort(ms, (size_t)nm, sizeof(amember), cmp_member);
  for (guint i = 1; i < all->len; i++)
    for (guint k = i; k > 0 && strcmp(all->pdata[k - 1], all->pdata[k]) > 0; k--) {
      gpointer x = all->pdata[k];
      all->pdata[k] = all->pdata[k - 1];
      all->pdata[k - 1] = x;
    }
  g_ptr_array_add(all, NULL);
  if (all->len > 1 && !rill__kclient_refresh_metadata(m->client, (const char *const *)all->pdata, error))
    goto out;
  proto = wire_dup(j->protocol_name);
  if (!strcmp(proto, "roundrobin"))
    assign_roundrobin(m->client, ms, nm, (char **)all->pdata);
  else
    assign_range(m->client, ms, nm, (char **)all->pdata);
  for (int32_t i = 0; i < nm; i++) {
    blobs[i] = rill__kconsumer_assignment_encode((const rill__koffset *)ms[i].parts->data, ms[i].parts->len);
    gsize len;
    const void *data = g_bytes_get_data(blobs[i], &len);
    out[i].member_id = ms[i].id;
    out[i].assignment = rill__wire_bytes_from(data, len);
  }
  ok = TRUE;
out:
  for (int32_t i = 0; i < nm; i++) {
    g_strfreev(ms[i].topics);
    g_array_unref(ms[i].parts);
  }
  g_free(ms);
  g_ptr_array_unref(all);
  return ok;
}

/* ---- join ------------------------------------------------------------------ */

typedef enum { JOIN_OK, JOIN_AGAIN, JOIN_FAILED } join_result;

/* One JoinGroup + SyncGroup round; on JOIN_OK *@assignment holds the
 * partitions (offsets -1). */
static join_result join_once(rill__kmember *m, GArray **assignment, GError **error)
{
  const rill_kafka_conf *kc = m->conf;
  char **topics = resolve_topics(m, error);
  if (!topics)
    return JOIN_FAILED;
  GBytes *sub = rill__kconsumer_subscription_encode((const char *const *)topics);
  gsize sub_len;
  const void *sub_data = g_bytes_get_data(sub, &sub_len);
  guint ns = g_strv_length(m->strategies);
  rill__wire_join_group_request_protocol *protos = g_new0(rill__wire_join_group_request_protocol, ns);
  for (guint i = 0; i < ns; i++) {
    protos[i].name = rill__wire_str_from(m->strategies[i]);
    protos[i].metadata = rill__wire_bytes_from(sub_data, sub_len);
  }
  g_mutex_lock(&m->lock);
  g_strfreev(m->subscribed);
  m->subscribed = topics;
  char *member_id = g_strdup(m->member_id);
  g_mutex_unlock(&m->lock);

  rill__wire_join_group_request jreq;
  rill__wire_join_group_request_init(&jreq);
  jreq.group_id = rill__wire_str_from(m->group);
  jreq.session_timeout_ms = kc->session_timeout_ms;
  jreq.rebalance_timeout_ms = kc->max_poll_interval_ms;
  jreq.member_id = rill__wire_str_from(member_id);
  jreq.group_instance_id = RILL_WIRE_STR_NULL;
  jreq.protocol_type = rill__wire_str_from("consumer");
  jreq.protocols = protos;
  jreq.n_protocols = (int32_t)ns;
  jreq.reason = RILL_WIRE_STR_NULL;
  rill__kreq *jr = call(m, RILL_WIRE_API_JOIN_GROUP, 5, &jreq, kc->max_poll_interval_ms, error);
  g_bytes_unref(sub);
  g_free(protos);
  g_free(member_id);
  if (!jr)
    return JOIN_FAILED;
  const rill__wire_join_group_response *j = &jr->resp.join_group;
  join_result res = JOIN_FAILED;
  g_autofree char *me = NULL, *leader = NULL, *proto = NULL;
  int16_t code = j->error_code;
  if (code == RILL_KAFKA_ERR_MEMBER_ID_REQUIRED || code == RILL_KAFKA_ERR_UNKNOWN_MEMBER_ID ||
      code == RILL_KAFKA_ERR_ILLEGAL_GENERATION) {
    g_mutex_lock(&m->lock);
    g_free(m->member_id);
    m->member_id = code == RILL_KAFKA_ERR_MEMBER_ID_REQUIRED ? wire_dup(j->member_id) : g_strdup("");
    g_mutex_unlock(&m->lock);
    res = JOIN_AGAIN;
    goto out;
  }
  if (code == RILL_KAFKA_ERR_REBALANCE_IN_PROGRESS || rill__kerror_retriable(code)) {
    if (code == RILL_KAFKA_ERR_NOT_COORDINATOR || code == RILL_KAFKA_ERR_COORDINATOR_NOT_AVAILABLE) {
      g_mutex_lock(&m->lock);
      m->coordinator = -1;
      g_mutex_unlock(&m->lock);
    }
    res = JOIN_AGAIN;
    goto out;
  }
  if (code) {
    rill__kclient_set_error(error, code, "JoinGroup", NULL);
    goto out;
  }
  me = wire_dup(j->member_id);
  leader = wire_dup(j->leader);
  proto = wire_dup(j->protocol_name);
  int32_t generation = j->generation_id;
  g_mutex_lock(&m->lock);
  g_free(m->member_id);
  m->member_id = g_strdup(me);
  g_mutex_unlock(&m->lock);

  rill__wire_sync_group_request sreq;
  rill__wire_sync_group_request_init(&sreq);
  sreq.group_id = jreq.group_id;
  sreq.generation_id = generation;
  sreq.member_id = rill__wire_str_from(me);
  sreq.group_instance_id = RILL_WIRE_STR_NULL;
  sreq.protocol_type = rill__wire_str_from("consumer");
  sreq.protocol_name = rill__wire_str_from(proto);
  rill__wire_sync_group_request_assignment *as = NULL;
  GBytes **blobs = NULL;
  if (!strcmp(me, leader)) {
    as = g_new0(rill__wire_sync_group_request_assignment, (gsize)j->n_members + 1);
    blobs = g_new0(GBytes *, (gsize)j->n_members + 1);
    if (!run_assignor(m, j, as, blobs, error))
      goto out_sync;
    sreq.assignments = as;
    sreq.n_assignments = j->n_members;
  }
  rill__kreq *sr = call(m, RILL_WIRE_API_SYNC_GROUP, 4, &sreq, kc->max_poll_interval_ms, error);
  if (!sr)
    goto out_sync;
  code = sr->resp.sync_group.error_code;
  if (is_fencing(code) || rill__kerror_retriable(code)) {
    if (code == RILL_KAFKA_ERR_UNKNOWN_MEMBER_ID) {
      g_mutex_lock(&m->lock);
      g_free(m->member_id);
      m->member_id = g_strdup("");
      g_mutex_unlock(&m->lock);
    }
    res = JOIN_AGAIN;
  } else if (code) {
    rill__kclient_set_error(error, code, "SyncGroup", NULL);
  } else {
    rill__wire_bytes a = sr->resp.sync_group.assignment;
    *assignment = a.len > 0 ? rill__kconsumer_assignment_decode(a.ptr, (size_t)a.len)
                            : rill__kconsumer_assignment_decode((const uint8_t *)"\0\0\0\0\0\0", 6);
    if (*assignment) {
      res = JOIN_OK;
      g_mutex_lock(&m->lock);
      m->generation = generation;
      g_mutex_unlock(&m->lock);
    } else {
      rill__kclient_set_error(error, -1, "SyncGroup", "malformed assignment");
    }
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
  return res;
}

/* Fills the committed offsets of @assignment's partitions. */
static gboolean fetch_committed(rill__kmember *m, GArray *assignment, GError **error)
{
  g_autoptr(GPtrArray) topics = g_ptr_array_new();
  for (guint i = 0; i < assignment->len; i++) {
    char *t = g_array_index(assignment, rill__koffset, i).topic;
    if (!g_ptr_array_find_with_equal_func(topics, t, g_str_equal, NULL))
      g_ptr_array_add(topics, t);
  }
  for (guint t = 0; t < topics->len; t++) {
    g_mutex_lock(&m->lock);
    int32_t node = m->coordinator;
    g_mutex_unlock(&m->lock);
    GArray *committed = rill__kadmin_offset_fetch(m->client, node, m->group, topics->pdata[t], error);
    if (!committed)
      return FALSE;
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
  return TRUE;
}

static gboolean c_known(rill__kmember *m)
{
  g_mutex_lock(&m->lock);
  gboolean k = m->coordinator >= 0;
  g_mutex_unlock(&m->lock);
  return k;
}

/* ---- member thread ---------------------------------------------------------- */

static void leave_group(rill__kmember *m)
{
  g_mutex_lock(&m->lock);
  int32_t node = m->coordinator;
  char *id = m->member_id;
  m->member_id = g_strdup("");
  m->generation = -1;
  g_mutex_unlock(&m->lock);
  if (node >= 0 && *id) {
    rill__wire_leave_group_request req;
    rill__wire_leave_group_request_init(&req);
    rill__wire_leave_group_request_member_identity mi = {0};
    mi.member_id = rill__wire_str_from(id);
    mi.group_instance_id = RILL_WIRE_STR_NULL;
    mi.reason = RILL_WIRE_STR_NULL;
    req.group_id = rill__wire_str_from(m->group);
    req.member_id = mi.member_id;
    req.members = &mi;
    req.n_members = 1;
    GError *e = NULL;
    rill__kreq *r = rill__kclient_call(m->client, node, RILL_WIRE_API_LEAVE_GROUP, 4, &req, &e);
    if (!r) {
      g_debug("kafka group %s: LeaveGroup: %s", m->group, e->message);
      g_error_free(e);
    }
    rill__kreq_free(r);
  }
  g_free(id);
}

/* Heartbeat; returns its error code (transport failures as such). */
static int16_t heartbeat(rill__kmember *m)
{
  g_mutex_lock(&m->lock);
  rill__wire_heartbeat_request req;
  rill__wire_heartbeat_request_init(&req);
  g_autofree char *id = g_strdup(m->member_id);
  req.group_id = rill__wire_str_from(m->group);
  req.generation_id = m->generation;
  req.member_id = rill__wire_str_from(id);
  req.group_instance_id = RILL_WIRE_STR_NULL;
  g_mutex_unlock(&m->lock);
  GError *e = NULL;
  rill__kreq *r = call(m, RILL_WIRE_API_HEARTBEAT, 4, &req, 0, &e);
  if (!r) {
    g_debug("kafka group %s: heartbeat: %s", m->group, e->message);
    g_error_free(e);
    return RILL_KAFKA_ERR_NETWORK_EXCEPTION;
  }
  int16_t code = r->resp.heartbeat.error_code;
  rill__kreq_free(r);
  return code;
}

/* Waits on the condition until @until (monotonic us) or a wake-up. Lock held. */
static void wait_until(rill__kmember *m, gint64 until)
{
  if (!m->stop)
    g_cond_wait_until(&m->cond, &m->lock, until);
}

/* Asks the consumer for its partitions back and waits for them (lock held). */
static void revoke(rill__kmember *m)
{
  if (m->pending) {
    rill__koffsets_free(m->pending);
    m->pending = NULL;
  }
  if (!m->owns)
    return;
  m->revoke_wanted = TRUE;
  m->state = ST_REVOKE;
  gint64 give_up = g_get_monotonic_time() + (gint64)m->conf->max_poll_interval_ms * 1000;
  gint64 next_hb = g_get_monotonic_time() + (gint64)m->conf->heartbeat_interval_ms * 1000;
  while (m->owns && !m->stop && g_get_monotonic_time() < give_up) {
    wait_until(m, MIN(give_up, next_hb));
    if (m->owns && g_get_monotonic_time() >= next_hb) {
      /* keeps the session alive while the consumer commits */
      g_mutex_unlock(&m->lock);
      heartbeat(m);
      g_mutex_lock(&m->lock);
      next_hb = g_get_monotonic_time() + (gint64)m->conf->heartbeat_interval_ms * 1000;
    }
  }
}

static gpointer member_main(gpointer data)
{
  rill__kmember *m = data;
  const rill_kafka_conf *kc = m->conf;
  gint64 next_hb = 0, next_meta = g_get_monotonic_time() + (gint64)kc->metadata_max_age_ms * 1000;
  int failures = 0;
  g_mutex_lock(&m->lock);
  while (!m->stop) {
    gint64 now = g_get_monotonic_time();
    if (m->state == ST_LEFT) {
      /* out of the group for not polling: wait for the consumer */
      if (now - m->last_poll < (gint64)kc->max_poll_interval_ms * 1000) {
        revoke(m);
        m->state = ST_JOIN;
      } else {
        wait_until(m, now + 100000);
      }
      continue;
    }
    if (m->state == ST_JOIN) {
      g_mutex_unlock(&m->lock);
      drain_answers(m);
      GError *e = NULL;
      GArray *a = NULL;
      join_result jr = JOIN_FAILED;
      g_mutex_lock(&m->lock);
      gboolean need_coordinator = m->coordinator < 0;
      g_mutex_unlock(&m->lock);
      if (need_coordinator) {
        int32_t c = rill__kadmin_find_coordinator(m->client, m->group, &e);
        g_mutex_lock(&m->lock);
        m->coordinator = c;
        g_mutex_unlock(&m->lock);
      }
      if (c_known(m))
        jr = join_once(m, &a, &e);
      if (jr == JOIN_OK && !fetch_committed(m, a, &e)) {
        rill__koffsets_free(a);
        jr = JOIN_FAILED;
      }
      g_mutex_lock(&m->lock);
      if (jr == JOIN_OK) {
        failures = 0;
        if (m->pending)
          rill__koffsets_free(m->pending);
        m->pending = a;
        m->state = ST_STABLE;
        m->rejoin_wanted = FALSE;
        next_hb = g_get_monotonic_time() + (gint64)kc->heartbeat_interval_ms * 1000;
        g_cond_broadcast(&m->cond);
      } else if (jr == JOIN_FAILED) {
        if (m->stop) {
          g_clear_error(&e);
          break;
        }
        /* transport trouble is retried for a while; broker refusals are final */
        gboolean transient = e && e->domain == RILL_KAFKA_CLIENT_ERROR && e->code != RILL_KAFKA_CLIENT_ERROR_BROKER;
        if (!transient && e && e->domain == RILL_KAFKA_CLIENT_ERROR &&
            (strstr(e->message, "COORDINATOR") || strstr(e->message, "UNSTABLE_OFFSET_COMMIT")))
          transient = TRUE; /* the coordinator moves, loads or is not there yet */
        if (!transient) {
          g_propagate_prefixed_error(&m->fatal, e, "group '%s': ", m->group);
          break;
        }
        /* like other Kafka consumers: keep trying while the cluster is unreachable */
        if (++failures % 50 == 0)
          g_message("kafka group %s: still not joined after %d attempts: %s", m->group, failures, e->message);
        else
          g_debug("kafka group %s: join: %s", m->group, e->message);
        g_error_free(e);
        m->coordinator = -1;
        gint64 backoff_ms = MIN((gint64)kc->retry_backoff_ms * failures, MAX(kc->retry_backoff_ms, 1000));
        wait_until(m, g_get_monotonic_time() + backoff_ms * 1000);
      }
      continue;
    }
    /* ST_STABLE */
    if (m->rejoin_wanted) {
      revoke(m);
      m->state = ST_JOIN;
      continue;
    }
    if (m->owns && now - m->last_poll > (gint64)kc->max_poll_interval_ms * 1000) {
      g_warning("kafka group %s: no poll for max.poll.interval.ms (%d ms): leaving the group", m->group,
                kc->max_poll_interval_ms);
      g_mutex_unlock(&m->lock);
      leave_group(m);
      g_mutex_lock(&m->lock);
      m->state = ST_LEFT;
      m->revoke_wanted = TRUE;
      continue;
    }
    if (m->regexes[0] && now >= next_meta) {
      next_meta = now + (gint64)kc->metadata_max_age_ms * 1000;
      g_mutex_unlock(&m->lock);
      GError *e = NULL;
      char **topics = resolve_topics(m, &e);
      g_clear_error(&e);
      g_mutex_lock(&m->lock);
      if (topics && !g_strv_equal((const char *const *)topics, (const char *const *)m->subscribed)) {
        g_debug("kafka group %s: subscription changed: rejoining", m->group);
        m->rejoin_wanted = TRUE;
      }
      g_strfreev(topics);
      continue;
    }
    if (now < next_hb) {
      wait_until(m, next_hb);
      continue;
    }
    g_mutex_unlock(&m->lock);
    int16_t code = heartbeat(m);
    g_mutex_lock(&m->lock);
    next_hb = g_get_monotonic_time() + (gint64)kc->heartbeat_interval_ms * 1000;
    if (code == RILL_KAFKA_ERR_NOT_COORDINATOR || code == RILL_KAFKA_ERR_COORDINATOR_NOT_AVAILABLE ||
        code == RILL_KAFKA_ERR_NETWORK_EXCEPTION || code == RILL_KAFKA_ERR_REQUEST_TIMED_OUT) {
      /* find the coordinator again; the session survives a short outage */
      g_mutex_unlock(&m->lock);
      GError *e = NULL;
      int32_t c = rill__kadmin_find_coordinator(m->client, m->group, &e);
      g_clear_error(&e);
      g_mutex_lock(&m->lock);
      if (c >= 0)
        m->coordinator = c;
      next_hb = g_get_monotonic_time() + (gint64)kc->retry_backoff_ms * 1000;
    } else if (code) {
      g_debug("kafka group %s: heartbeat says %d: rejoining", m->group, code);
      if (code == RILL_KAFKA_ERR_UNKNOWN_MEMBER_ID) {
        g_free(m->member_id);
        m->member_id = g_strdup("");
      }
      revoke(m);
      m->state = ST_JOIN;
    }
  }
  g_cond_broadcast(&m->cond);
  g_mutex_unlock(&m->lock);
  return NULL;
}

/* ---- consumer side ---------------------------------------------------------- */

rill__kmember *rill__kmember_new(rill__kclient *client, const char *group_id, const char *const *topics,
                                 GError **error)
{
  const rill_kafka_conf *kc = rill__kclient_conf(client);
  g_auto(GStrv) strategies = g_strsplit(kc->assignment_strategy, ",", -1);
  GPtrArray *st = g_ptr_array_new();
  for (guint i = 0; strategies[i]; i++) {
    char *s = g_strstrip(strategies[i]);
    if (!*s)
      continue;
    if (strcmp(s, "range") && strcmp(s, "roundrobin")) {
      g_set_error(error, RILL_KAFKA_CLIENT_ERROR, RILL_KAFKA_CLIENT_ERROR_CONFIG,
                  "partition.assignment.strategy: '%s' is not supported (range, roundrobin)", s);
      g_ptr_array_free(st, TRUE);
      return NULL;
    }
    g_ptr_array_add(st, g_strdup(s));
  }
  if (st->len == 0)
    g_ptr_array_add(st, g_strdup("range"));
  g_ptr_array_add(st, NULL);
  GPtrArray *rx = g_ptr_array_new();
  for (guint i = 0; topics[i]; i++) {
    if (topics[i][0] != '^')
      continue;
    GRegex *r = g_regex_new(topics[i], G_REGEX_ANCHORED, 0, error);
    if (!r) {
      g_ptr_array_set_free_func(rx, (GDestroyNotify)g_regex_unref);
      g_ptr_array_free(rx, TRUE);
      g_strfreev((char **)g_ptr_array_free(st, FALSE));
      g_prefix_error(error, "topic pattern: ");
      return NULL;
    }
    g_ptr_array_add(rx, r);
  }
  g_ptr_array_add(rx, NULL);
  rill__kmember *m = g_new0(rill__kmember, 1);
  m->client = client;
  m->conf = kc;
  m->group = g_strdup(group_id);
  m->patterns = g_strdupv((char **)topics);
  m->regexes = (GRegex **)g_ptr_array_free(rx, FALSE);
  m->strategies = (char **)g_ptr_array_free(st, FALSE);
  m->answers = g_async_queue_new_full((GDestroyNotify)rill__kreq_free);
  g_mutex_init(&m->lock);
  g_cond_init(&m->cond);
  m->state = ST_JOIN;
  m->coordinator = -1;
  m->member_id = g_strdup("");
  m->generation = -1;
  m->subscribed = g_new0(char *, 1);
  m->last_poll = g_get_monotonic_time();
  m->thread = g_thread_new("rill-kgroup", member_main, m);
  return m;
}

void rill__kmember_free(rill__kmember *m)
{
  if (!m)
    return;
  g_mutex_lock(&m->lock);
  m->stop = TRUE;
  g_cond_broadcast(&m->cond);
  g_mutex_unlock(&m->lock);
  g_thread_join(m->thread);
  leave_group(m);
  drain_answers(m);
  g_async_queue_unref(m->answers);
  if (m->pending)
    rill__koffsets_free(m->pending);
  g_clear_error(&m->fatal);
  for (guint i = 0; m->regexes[i]; i++)
    g_regex_unref(m->regexes[i]);
  g_free(m->regexes);
  g_strfreev(m->patterns);
  g_strfreev(m->strategies);
  g_strfreev(m->subscribed);
  g_free(m->member_id);
  g_free(m->group);
  g_mutex_clear(&m->lock);
  g_cond_clear(&m->cond);
  g_free(m);
}

rill__kmember_event rill__kmember_poll(rill__kmember *m, GArray **assignment, GError **error)
{
  rill__kmember_event ev = RILL__KMEMBER_IDLE;
  g_mutex_lock(&m->lock);
  m->last_poll = g_get_monotonic_time();
  if (m->owns && m->revoke_wanted) {
    ev = RILL__KMEMBER_REVOKE;
  } else if (!m->owns && m->pending) {
    *assignment = m->pending;
    m->pending = NULL;
    m->owns = TRUE;
    ev = RILL__KMEMBER_ASSIGN;
  } else if (m->fatal) {
    g_propagate_error(error, g_error_copy(m->fatal));
    ev = RILL__KMEMBER_ERROR;
  }
  if (m->state == ST_LEFT)
    g_cond_broadcast(&m->cond);
  g_mutex_unlock(&m->lock);
  return ev;
}

void rill__kmember_revoked(rill__kmember *m)
{
  g_mutex_lock(&m->lock);
  m->owns = FALSE;
  m->revoke_wanted = FALSE;
  g_cond_broadcast(&m->cond);
  g_mutex_unlock(&m->lock);
}

gboolean rill__kmember_commit(rill__kmember *m, const GArray *offsets, gboolean *fenced, GError **error)
{
  *fenced = FALSE;
  if (offsets->len == 0)
    return TRUE;
  g_mutex_lock(&m->lock);
  int32_t node = m->coordinator, generation = m->generation;
  g_autofree char *id = g_strdup(m->member_id);
  gboolean usable = m->owns && m->state != ST_LEFT && node >= 0;
  g_mutex_unlock(&m->lock);
  if (!usable) {
    *fenced = TRUE;
    g_set_error(error, RILL_KAFKA_CLIENT_ERROR, RILL_KAFKA_CLIENT_ERROR_BROKER,
                "OffsetCommit '%s': not a member of the group right now", m->group);
    return FALSE;
  }
  GError *e = NULL;
  if (rill__kadmin_offset_commit(m->client, node, m->group, generation, id, offsets, &e))
    return TRUE;
  /* the Kafka error name is in the message (admin.h) */
  static const char *const fencing[] = {"ILLEGAL_GENERATION", "UNKNOWN_MEMBER_ID", "REBALANCE_IN_PROGRESS",
                                        "NOT_COORDINATOR", "COORDINATOR_NOT_AVAILABLE", NULL};
  for (guint i = 0; fencing[i]; i++)
    if (e->domain == RILL_KAFKA_CLIENT_ERROR && e->code == RILL_KAFKA_CLIENT_ERROR_BROKER &&
        strstr(e->message, fencing[i]))
      *fenced = TRUE;
  if (*fenced) {
    g_mutex_lock(&m->lock);
    if (strstr(e->message, "UNKNOWN_MEMBER_ID") && !strcmp(id, m->member_id)) {
      g_free(m->member_id);
      m->member_id = g_strdup("");
    }
    if (strstr(e->message, "COORDINATOR"))
      m->coordinator = -1;
    m->rejoin_wanted = TRUE;
    g_cond_broadcast(&m->cond);
    g_mutex_unlock(&m->lock);
  }
  g_propagate_error(error, e);
  return FALSE;
}

int32_t rill__kmember_generation(rill__kmember *m, char **member_id)
{
  g_mutex_lock(&m->lock);
  int32_t g = m->generation;
  if (member_id)
    *member_id = g_strdup(m->member_id);
  g_mutex_unlock(&m->lock);
  return g;
}
