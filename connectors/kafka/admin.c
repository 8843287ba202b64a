/* admin.c — synchronous admin requests over rill__kclient_call (see
 * admin.h). Versions are capped where a later version changes the layout
 * in a way these helpers do not fill (OffsetFetch v8 batches groups,
 * FindCoordinator v4 batches keys); the codec drops fields outside the
 * negotiated version, so both spellings are filled where they differ. */
#include "connectors/kafka/admin.h"

#include <rill/kafka.h>

#include "runtime/wire/batch-header.h"

#define RETRY_ERR(code) ((code) == RILL_KAFKA_ERR_COORDINATOR_LOAD_IN_PROGRESS || \
                         (code) == RILL_KAFKA_ERR_COORDINATOR_NOT_AVAILABLE || (code) == RILL_KAFKA_ERR_NOT_COORDINATOR)

static char *wire_strdup(rill__wire_str s)
{
  return s.len < 0 ? g_strdup("") : g_strndup(s.ptr, (gsize)s.len);
}

static gboolean fail_code(GError **error, int16_t code, const char *what, rill__wire_str msg)
{
  g_autofree char *detail = msg.len > 0 ? wire_strdup(msg) : NULL;
  rill__kclient_set_error(error, code, what, detail);
  return FALSE;
}

rill__kreq *rill__kadmin_metadata(rill__kclient *client, const char *const *topics, GError **error)
{
  return rill__kclient_metadata(client, topics, FALSE, error);
}

/* The controller (where topic admin requests go), or any broker. */
static int32_t controller(rill__kclient *client, GError **error)
{
  const char *none[] = {NULL};
  rill__kreq *r = rill__kadmin_metadata(client, none, error);
  if (!r)
    return G_MININT32;
  int32_t id = r->resp.metadata.controller_id;
  rill__kreq_free(r);
  /* make sure the client knows the controller's address */
  if (!rill__kclient_refresh_metadata(client, none, error))
    return G_MININT32;
  return id >= 0 ? id : RILL__KNODE_ANY;
}

gboolean rill__kadmin_create_topic(rill__kclient *client, const char *topic, int32_t partitions, int16_t replication,
                                   const char *const *configs, GError **error)
{
  int32_t node = controller(client, error);
  if (node == G_MININT32)
    return FALSE;
  rill__wire_create_topics_request req;
  rill__wire_create_topics_request_init(&req);
  rill__wire_create_topics_request_creatable_topic t = {0};
  guint nc = configs ? g_strv_length((char **)configs) : 0;
  g_autofree rill__wire_create_topics_request_creatable_topic_config *cs =
      g_new0(rill__wire_create_topics_request_creatable_topic_config, nc + 1);
  for (guint i = 0; i < nc; i++) {
    const char *eq = strchr(configs[i], '=');
    if (!eq) {
      g_set_error(error, RILL_KAFKA_CLIENT_ERROR, RILL_KAFKA_CLIENT_ERROR_CONFIG, "config '%s': expected key=value",
                  configs[i]);
      return FALSE;
    }
    cs[i].name = (rill__wire_str){configs[i], (int32_t)(eq - configs[i])};
    cs[i].value = rill__wire_str_from(eq + 1);
  }
  t.name = rill__wire_str_from(topic);
  t.num_partitions = partitions;
  t.replication_factor = replication;
  t.configs = cs;
  t.n_configs = (int32_t)nc;
  req.topics = &t;
  req.n_topics = 1;
  req.timeout_ms = rill__kclient_conf(client)->request_timeout_ms;
  rill__kreq *r = rill__kclient_call(client, node, RILL_WIRE_API_CREATE_TOPICS, 4, &req, error);
  if (!r)
    return FALSE;
  const rill__wire_create_topics_response *cr = &r->resp.create_topics;
  gboolean ok = cr->n_topics == 1 && cr->topics[0].error_code == 0;
  if (!ok) {
    g_autofree char *what = g_strdup_printf("CreateTopics '%s'", topic);
    fail_code(error, cr->n_topics == 1 ? cr->topics[0].error_code : -1, what,
              cr->n_topics == 1 ? cr->topics[0].error_message : RILL_WIRE_STR_NULL);
  }
  rill__kreq_free(r);
  return ok;
}

gboolean rill__kadmin_delete_topic(rill__kclient *client, const char *topic, GError **error)
{
  int32_t node = controller(client, error);
  if (node == G_MININT32)
    return FALSE;
  rill__wire_delete_topics_request req;
  rill__wire_delete_topics_request_init(&req);
  rill__wire_str name = rill__wire_str_from(topic);
  rill__wire_delete_topics_request_delete_topic_state st = {0};
  st.name = name;
  req.topic_names = &name;
  req.n_topic_names = 1;
  req.topics = &st;
  req.n_topics = 1;
  req.timeout_ms = rill__kclient_conf(client)->request_timeout_ms;
  rill__kreq *r = rill__kclient_call(client, node, RILL_WIRE_API_DELETE_TOPICS, 5, &req, error);
  if (!r)
    return FALSE;
  const rill__wire_delete_topics_response *dr = &r->resp.delete_topics;
  gboolean ok = dr->n_responses == 1 && dr->responses[0].error_code == 0;
  if (!ok) {
    g_autofree char *what = g_strdup_printf("DeleteTopics '%s'", topic);
    fail_code(error, dr->n_responses == 1 ? dr->responses[0].error_code : -1, what,
              dr->n_responses == 1 ? dr->responses[0].error_message : RILL_WIRE_STR_NULL);
  }
  rill__kreq_free(r);
  return ok;
}

gboolean rill__kadmin_create_partitions(rill__kclient *client, const char *topic, int32_t total, GError **error)
{
  int32_t node = controller(client, error);
  if (node == G_MININT32)
    return FALSE;
  rill__wire_create_partitions_request req;
  rill__wire_create_partitions_request_init(&req);
  rill__wire_create_partitions_request_topic t = {0};
  t.name = rill__wire_str_from(topic);
  t.count = total;
  t.assignments = NULL;
  t.n_assignments = -1;
  req.topics = &t;
  req.n_topics = 1;
  req.timeout_ms = rill__kclient_conf(client)->request_timeout_ms;
  rill__kreq *r = rill__kclient_call(client, node, RILL_WIRE_API_CREATE_PARTITIONS, 3, &req, error);
  if (!r)
    return FALSE;
  const rill__wire_create_partitions_response *pr = &r->resp.create_partitions;
  gboolean ok = pr->n_results == 1 && pr->results[0].error_code == 0;
  if (!ok) {
    g_autofree char *what = g_strdup_printf("CreatePartitions '%s'", topic);
    fail_code(error, pr->n_results == 1 ? pr->results[0].error_code : -1, what,
              pr->n_results == 1 ? pr->results[0].error_message : RILL_WIRE_STR_NULL);
  }
  rill__kreq_free(r);
  return ok;
}

gboolean rill__kadmin_list_offsets(rill__kclient *client, const char *topic, int32_t n, int64_t timestamp,
                                   int64_t *out, GError **error)
{
  /* one request per leader, for all of its partitions */
  for (int32_t p = 0; p < n; p++)
    out[p] = G_MININT64;
  for (int32_t first = 0; first < n; first++) {
    if (out[first] != G_MININT64)
      continue;
    int32_t leader = rill__kclient_leader(client, topic, first);
    if (leader < 0) {
      g_autofree char *what = g_strdup_printf("ListOffsets %s [%d]", topic, first);
      rill__kclient_set_error(error, RILL_KAFKA_ERR_LEADER_NOT_AVAILABLE, what, NULL);
      return FALSE;
    }
    g_autofree rill__wire_list_offsets_request_partition *ps =
        g_new0(rill__wire_list_offsets_request_partition, (gsize)n);
    int32_t k = 0;
    for (int32_t p = first; p < n; p++) {
      if (out[p] != G_MININT64 || rill__kclient_leader(client, topic, p) != leader)
        continue;
      ps[k].partition_index = p;
      ps[k].timestamp = timestamp;
      ps[k].current_leader_epoch = -1;
      ps[k].max_num_offsets = 1;
      k++;
    }
    rill__wire_list_offsets_request req;
    rill__wire_list_offsets_request_init(&req);
    rill__wire_list_offsets_request_topic t = {0};
    req.replica_id = -1;
    t.name = rill__wire_str_from(topic);
    t.partitions = ps;
    t.n_partitions = k;
    req.topics = &t;
    req.n_topics = 1;
    /* v2, as the source: the mock cluster mis-encodes v5 */
    rill__kreq *r = rill__kclient_call(client, leader, RILL_WIRE_API_LIST_OFFSETS, 2, &req, error);
    if (!r)
      return FALSE;
    const rill__wire_list_offsets_response *lr = &r->resp.list_offsets;
    for (int32_t i = 0; i < lr->n_topics; i++)
      for (int32_t j = 0; j < lr->topics[i].n_partitions; j++) {
        const rill__wire_list_offsets_response_partition_response *pr = &lr->topics[i].partitions[j];
        if (pr->partition_index < 0 || pr->partition_index >= n)
          continue;
        if (pr->error_code) {
          g_autofree char *what = g_strdup_printf("ListOffsets %s [%d]", topic, pr->partition_index);
          rill__kclient_set_error(error, pr->error_code, what, NULL);
          rill__kreq_free(r);
          return FALSE;
        }
        out[pr->partition_index] =
          r->version == 0 ? (pr->n_old_style_offsets > 0 ? pr->old_style_offsets[0] : -1) : pr->offset;
      }
    rill__kreq_free(r);
    for (int32_t i = 0; i < k; i++)
      if (out[ps[i].partition_index] == G_MININT64) {
        g_autofree char *what = g_strdup_printf("ListOffsets %s [%d]", topic, ps[i].partition_index);
        rill__kclient_set_error(error, -1, what, "partition missing from the answer");
        return FALSE;
      }
  }
  return TRUE;
}

/* ---- groups -------------------------------------------------------------- */

int32_t rill__kadmin_find_coordinator(rill__kclient *client, const char *group, GError **error)
{
  gint64 give_up = g_get_monotonic_time() + (gint64)rill__kclient_conf(client)->request_timeout_ms * 1000;
  for (;;) {
    rill__wire_find_coordinator_request req;
    rill__wire_find_coordinator_request_init(&req);
    rill__wire_str key = rill__wire_str_from(group);
    req.key = key;
    req.key_type = 0;
    rill__kreq *r = rill__kclient_call(client, RILL__KNODE_ANY, RILL_WIRE_API_FIND_COORDINATOR, 3, &req, error);
    if (!r)
      return -1;
    const rill__wire_find_coordinator_response *fr = &r->resp.find_coordinator;
    int16_t code = fr->error_code;
    int32_t node = fr->node_id;
    if (code && (!RETRY_ERR(code) || g_get_monotonic_time() >= give_up)) {
      g_autofree char *what = g_strdup_printf("FindCoordinator '%s'", group);
      fail_code(error, code, what, fr->error_message);
      rill__kreq_free(r);
      return -1;
    }
    rill__kreq_free(r);
    if (!code) {
      /* the coordinator may be a broker the client has not met yet */
      const char *none[] = {NULL};
      if (!rill__kclient_refresh_metadata(client, none, error))
        return -1;
      return node;
    }
    g_usleep((gulong)rill__kclient_conf(client)->retry_backoff_ms * 1000);
  }
}

void rill__kgroup_listing_free(rill__kgroup_listing *l)
{
  if (!l)
    return;
  g_free(l->group_id);
  g_free(l->protocol_type);
  g_free(l);
}

GPtrArray *rill__kadmin_list_groups(rill__kclient *client, GError **error)
{
  const char *none[] = {NULL};
  if (!rill__kclient_refresh_metadata(client, none, error))
    return NULL;
  rill__kreq *m = rill__kadmin_metadata(client, none, error);
  if (!m)
    return NULL;
  GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)rill__kgroup_listing_free);
  for (int32_t b = 0; b < m->resp.metadata.n_brokers; b++) {
    rill__wire_list_groups_request req;
    rill__wire_list_groups_request_init(&req);
    rill__kreq *r = rill__kclient_call(client, m->resp.metadata.brokers[b].node_id, RILL_WIRE_API_LIST_GROUPS, 4,
                                       &req, error);
    if (!r)
      goto fail;
    const rill__wire_list_groups_response *lr = &r->resp.list_groups;
    if (lr->error_code) {
      fail_code(error, lr->error_code, "ListGroups", RILL_WIRE_STR_NULL);
      rill__kreq_free(r);
      goto fail;
    }
    for (int32_t i = 0; i < lr->n_groups; i++) {
      rill__kgroup_listing *l = g_new0(rill__kgroup_listing, 1);
      l->group_id = wire_strdup(lr->groups[i].group_id);
      l->protocol_type = wire_strdup(lr->groups[i].protocol_type);
      g_ptr_array_add(out, l);
    }
    rill__kreq_free(r);
  }
  rill__kreq_free(m);
  return out;
fail:
  rill__kreq_free(m);
  g_ptr_array_unref(out);
  return NULL;
}

rill__kreq *rill__kadmin_describe_group(rill__kclient *client, int32_t coordinator, const char *group, GError **error)
{
  rill__wire_describe_groups_request req;
  rill__wire_describe_groups_request_init(&req);
  rill__wire_str g = rill__wire_str_from(group);
  req.groups = &g;
  req.n_groups = 1;
  rill__kreq *r = rill__kclient_call(client, coordinator, RILL_WIRE_API_DESCRIBE_GROUPS, 4, &req, error);
  if (!r)
    return NULL;
  const rill__wire_describe_groups_response *dr = &r->resp.describe_groups;
  if (dr->n_groups != 1 || dr->groups[0].error_code) {
    g_autofree char *what = g_strdup_printf("DescribeGroups '%s'", group);
    fail_code(error, dr->n_groups == 1 ? dr->groups[0].error_code : -1, what, RILL_WIRE_STR_NULL);
    rill__kreq_free(r);
    return NULL;
  }
  return r;
}

static void koffset_clear(gpointer p)
{
  g_free(((rill__koffset *)p)->topic);
}

static GArray *koffsets_new(void)
{
  GArray *a = g_array_new(FALSE, TRUE, sizeof(rill__koffset));
  g_array_set_clear_func(a, koffset_clear);
  return a;
}

void rill__koffsets_free(GArray *offsets)
{
  if (offsets)
    g_array_unref(offsets);
}

GArray *rill__kadmin_offset_fetch(rill__kclient *client, int32_t coordinator, const char *group, const char *topic,
                                  GError **error)
{
  rill__wire_offset_fetch_request req;
  rill__wire_offset_fetch_request_init(&req);
  req.group_id = rill__wire_str_from(group);
  g_autofree int32_t *parts = NULL;
  rill__wire_offset_fetch_request_topic t = {0};
  if (topic) {
    /* v0 cannot ask for "all partitions": list them */
    const char *topics[] = {topic, NULL};
    if (!rill__kclient_refresh_metadata(client, topics, error))
      return NULL;
    int16_t terr = 0;
    int32_t n = rill__kclient_partition_count(client, topic, &terr);
    if (n < 0) {
      g_autofree char *what = g_strdup_printf("metadata of topic '%s'", topic);
      rill__kclient_set_error(error, terr ? terr : RILL_KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION, what, NULL);
      return NULL;
    }
    parts = g_new0(int32_t, (gsize)n + 1);
    for (int32_t i = 0; i < n; i++)
      parts[i] = i;
    t.name = rill__wire_str_from(topic);
    t.partition_indexes = parts;
    t.n_partition_indexes = n;
    req.topics = &t;
    req.n_topics = 1;
  } else {
    req.topics = NULL;
    req.n_topics = -1; /* v2+: every topic */
  }
  rill__kreq *r = rill__kclient_call(client, coordinator, RILL_WIRE_API_OFFSET_FETCH, 7, &req, error);
  if (!r)
    return NULL;
  const rill__wire_offset_fetch_response *fr = &r->resp.offset_fetch;
  GArray *out = koffsets_new();
  int16_t code = fr->error_code;
  for (int32_t i = 0; i < fr->n_topics && !code; i++)
    for (int32_t j = 0; j < fr->topics[i].n_partitions && !code; j++) {
      const rill__wire_offset_fetch_response_partition *p = &fr->topics[i].partitions[j];
      if (p->error_code && p->error_code != RILL_KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION) {
        code = p->error_code;
        break;
      }
      rill__koffset o = {wire_strdup(fr->topics[i].name), p->partition_index, p->committed_offset};
      g_array_append_val(out, o);
    }
  if (code) {
    g_autofree char *what = g_strdup_printf("OffsetFetch '%s'", group);
    fail_code(error, code, what, RILL_WIRE_STR_NULL);
    g_array_unref(out);
    out = NULL;
  }
  rill__kreq_free(r);
  return out;
}

gboolean rill__kadmin_offset_commit(rill__kclient *client, int32_t coordinator, const char *group, int32_t generation,
                                    const char *member_id, const GArray *offsets, GError **error)
{
  rill__wire_offset_commit_request req;
  rill__wire_offset_commit_request_init(&req);
  req.group_id = rill__wire_str_from(group);
  req.generation_id = generation;
  req.member_id = rill__wire_str_from(member_id);
  /* one request topic per distinct topic, in order of first appearance */
  g_autofree rill__wire_offset_commit_request_topic *ts =
      g_new0(rill__wire_offset_commit_request_topic, offsets->len + 1);
  g_autofree rill__wire_offset_commit_request_partition *ps =
      g_new0(rill__wire_offset_commit_request_partition, offsets->len + 1);
  int32_t nt = 0;
  guint np = 0;
  for (guint i = 0; i < offsets->len; i++) {
    const char *topic = g_array_index(offsets, rill__koffset, i).topic;
    gboolean seen = FALSE;
    for (int32_t t = 0; t < nt && !seen; t++)
      seen = rill__wire_str_eq(ts[t].name, topic);
    if (seen)
      continue;
    ts[nt].name = rill__wire_str_from(topic);
    ts[nt].partitions = &ps[np];
    for (guint j = i; j < offsets->len; j++) {
      const rill__koffset *o = &g_array_index(offsets, rill__koffset, j);
      if (strcmp(o->topic, topic) != 0)
        continue;
      ps[np].partition_index = o->partition;
      ps[np].committed_offset = o->offset;
      ps[np].committed_leader_epoch = -1;
      ps[np].commit_timestamp = -1;
      ps[np].committed_metadata = rill__wire_str_from("");
      np++;
      ts[nt].n_partitions++;
    }
    nt++;
  }
  req.topics = ts;
  req.n_topics = nt;
  rill__kreq *r = rill__kclient_call(client, coordinator, RILL_WIRE_API_OFFSET_COMMIT, 7, &req, error);
  if (!r)
    return FALSE;
  const rill__wire_offset_commit_response *cr = &r->resp.offset_commit;
  int16_t code = 0;
  for (int32_t i = 0; i < cr->n_topics && !code; i++)
    for (int32_t j = 0; j < cr->topics[i].n_partitions && !code; j++)
      code = cr->topics[i].partitions[j].error_code;
  rill__kreq_free(r);
  if (code) {
    g_autofree char *what = g_strdup_printf("OffsetCommit '%s'", group);
    return fail_code(error, code, what, RILL_WIRE_STR_NULL);
  }
  return TRUE;
}

/* ---- consumer protocol ----------------------------------------------------- */

static void put16(GByteArray *b, int16_t v)
{
  uint8_t x[2] = {(uint8_t)((uint16_t)v >> 8), (uint8_t)v};
  g_byte_array_append(b, x, 2);
}

static void put32(GByteArray *b, int32_t v)
{
  uint8_t x[4] = {(uint8_t)((uint32_t)v >> 24), (uint8_t)((uint32_t)v >> 16), (uint8_t)((uint32_t)v >> 8),
                  (uint8_t)v};
  g_byte_array_append(b, x, 4);
}

static void putstr(GByteArray *b, const char *s)
{
  size_t n = strlen(s);
  put16(b, (int16_t)n);
  g_byte_array_append(b, (const guint8 *)s, (guint)n);
}

GBytes *rill__kconsumer_subscription_encode(const char *const *topics)
{
  GByteArray *b = g_byte_array_new();
  guint n = g_strv_length((char **)topics);
  put16(b, 0);
  put32(b, (int32_t)n);
  for (guint i = 0; i < n; i++)
    putstr(b, topics[i]);
  put32(b, -1); /* UserData: null */
  return g_byte_array_free_to_bytes(b);
}

GBytes *rill__kconsumer_assignment_encode(const rill__koffset *parts, guint n)
{
  GByteArray *b = g_byte_array_new();
  put16(b, 0);
  /* topics in order of first appearance, each with its partitions */
  g_autoptr(GPtrArray) topics = g_ptr_array_new();
  for (guint i = 0; i < n; i++)
    if (!g_ptr_array_find_with_equal_func(topics, parts[i].topic, g_str_equal, NULL))
      g_ptr_array_add(topics, parts[i].topic);
  put32(b, (int32_t)topics->len);
  for (guint t = 0; t < topics->len; t++) {
    const char *name = topics->pdata[t];
    putstr(b, name);
    int32_t k = 0;
    for (guint i = 0; i < n; i++)
      k += strcmp(parts[i].topic, name) == 0;
    put32(b, k);
    for (guint i = 0; i < n; i++)
      if (strcmp(parts[i].topic, name) == 0)
        put32(b, parts[i].partition);
  }
  put32(b, -1); /* UserData: null */
  return g_byte_array_free_to_bytes(b);
}

typedef struct {
  const uint8_t *p, *end;
} cursor;

static gboolean get16(cursor *c, int16_t *v)
{
  if (c->end - c->p < 2)
    return FALSE;
  *v = (int16_t)rill__be16(c->p);
  c->p += 2;
  return TRUE;
}

static gboolean get32(cursor *c, int32_t *v)
{
  if (c->end - c->p < 4)
    return FALSE;
  *v = (int32_t)rill__be32(c->p);
  c->p += 4;
  return TRUE;
}

static char *getstr(cursor *c)
{
  int16_t n;
  if (!get16(c, &n) || n < 0 || c->end - c->p < n)
    return NULL;
  char *s = g_strndup((const char *)c->p, (gsize)n);
  c->p += n;
  return s;
}

char **rill__kconsumer_subscription_decode(const uint8_t *data, size_t len)
{
  cursor c = {data, data + len};
  int16_t version;
  int32_t n;
  if (!get16(&c, &version) || version < 0 || !get32(&c, &n) || n < 0 || (size_t)n > len / 2)
    return NULL;
  char **out = g_new0(char *, (gsize)n + 1);
  for (int32_t i = 0; i < n; i++)
    if (!(out[i] = getstr(&c))) {
      g_strfreev(out);
      return NULL;
    }
  return out; /* later versions' fields (user data, owned partitions) are not needed */
}

GArray *rill__kconsumer_assignment_decode(const uint8_t *data, size_t len)
{
  cursor c = {data, data + len};
  int16_t version;
  int32_t nt;
  if (!get16(&c, &version) || version < 0 || !get32(&c, &nt) || nt < 0 || (size_t)nt > len / 2)
    return NULL;
  GArray *out = koffsets_new();
  for (int32_t t = 0; t < nt; t++) {
    char *topic = getstr(&c);
    int32_t np;
    if (!topic || !get32(&c, &np) || np < 0 || (size_t)np > len / 4) {
      g_free(topic);
      goto fail;
    }
    for (int32_t i = 0; i < np; i++) {
      rill__koffset o = {g_strdup(topic), 0, -1};
      g_array_append_val(out, o);
      if (!get32(&c, &g_array_index(out, rill__koffset, out->len - 1).partition)) {
        g_free(topic);
        goto fail;
      }
    }
    g_free(topic);
  }
  return out;
fail:
  g_array_unref(out);
  return NULL;
}
