/* h-metadata.c — Metadata: this one broker, and the topics asked for.
 *
 * We are the only node: leader, replica, ISR and controller of everything,
 * at the advertised address (never 0.0.0.0: clients connect to it). Topic
 * lists: v0 empty = all; v1+ null = all, empty = none. Asked-for topics that
 * do not exist are created at once (num.partitions) when
 * auto.create.topics.enable and the request allows it (v4+), so the very
 * answer lists them with their partitions (kafkajs retries forever on
 * LEADER_NOT_AVAILABLE). Creating runs on the worker pool (as CreateTopics
 * does, h-admin.c), the answer leaving once the topics exist; it counts
 * against the partition limits. A name Kafka would refuse is
 * INVALID_TOPIC_EXCEPTION whether or not creation was allowed, as in Kafka.
 */
#include "runtime/broker/broker-private.h"
#include "runtime/broker/acl.h"

/* What an asked-for topic's answer will be. */
typedef struct {
  char *name;     /* NULL: not a usable name */
  int16_t error;  /* decided on the loop, or NONE: describe it at the end */
  gboolean create;
  GError *create_error;
} asked;

typedef struct {
  rill__wire_metadata_response out;
  asked *topics;
  int32_t partitions; /* of each created topic (num.partitions) */
  int32_t n_create;
} metadata_state;

static void fill_topic(rill__broker_req *req, rill__wire_metadata_response_topic *t, const char *name)
{
  rill__broker *b = req->broker;
  int32_t node = rill__broker_node_id(b);
  int32_t n = 0;
  GError *error = NULL;
  t->name = rill__wire_str_from(rill__broker_req_strdup(req, rill__wire_str_from(name)));
  t->topic_authorized_operations = INT32_MIN;
  if (!rill_log_topic_describe(rill__broker_log(b), name, &n, NULL, &error)) {
    t->error_code = rill__broker_kafka_error(error);
    g_error_free(error);
    return;
  }
  t->partitions = rill__broker_req_new0(req, rill__wire_metadata_response_partition, n);
  t->n_partitions = n;
  int32_t *nodes = rill__broker_req_new0(req, int32_t, 1);
  nodes[0] = node;
  for (int32_t p = 0; p < n; p++) {
    t->partitions[p].partition_index = p;
    t->partitions[p].leader_id = node;
    t->partitions[p].leader_epoch = 0;
    t->partitions[p].replica_nodes = nodes;
    t->partitions[p].n_replica_nodes = 1;
    t->partitions[p].isr_nodes = nodes;
    t->partitions[p].n_isr_nodes = 1;
  }
}

/* On the pool: creates the asked-for topics that were missing. */
static void auto_create_work(void *data)
{
  rill__broker_req *req = data;
  metadata_state *st = req->handler_data;
  for (int32_t i = 0; i < st->out.n_topics; i++)
    if (st->topics[i].create)
      rill_log_topic_create(rill__broker_log(req->broker), st->topics[i].name, st->partitions, NULL,
                            &st->topics[i].create_error);
}

/* On the loop: describes every asked-for topic and answers. */
static void answer_topics(void *data)
{
  rill__broker_req *req = data;
  metadata_state *st = req->handler_data;
  rill__broker *b = req->broker;
  for (int32_t i = 0; i < st->out.n_topics; i++) {
    asked *a = &st->topics[i];
    rill__wire_metadata_response_topic *t = &st->out.topics[i];
    t->topic_authorized_operations = INT32_MIN;
    if (a->create) {
      b->partitions_pending -= st->partitions;
      if (!a->create_error)
        rill__broker_event(b, "info", "topic_created", "topic=%s partitions=%d reason=auto", a->name, st->partitions);
      else if (!g_error_matches(a->create_error, RILL_LOG_ERROR, RILL_LOG_ERROR_TOPIC_EXISTS))
        a->error = rill__broker_kafka_error(a->create_error);
      if (a->error == RILL_KAFKA_ERR_KAFKA_STORAGE_ERROR)
        (void)rill__broker_error_text(req, a->create_error); /* logs it */
      g_clear_error(&a->create_error);
    }
    if (a->error)
      t->error_code = a->error;
    else
      fill_topic(req, t, a->name);
  }
  rill__broker_respond(req, &st->out);
}

void rill__handle_metadata(rill__broker_req *req)
{
  const rill__wire_metadata_request *in = &req->body->metadata;
  rill__broker *b = req->broker;
  const rill__broker_settings *s = rill__broker_settings_get(b);
  rill_log *log = rill__broker_log(b);
  metadata_state *st = rill__broker_req_new0(req, metadata_state, 1);
  rill__wire_metadata_response *out = &st->out;
  req->handler_data = st;
  rill__wire_metadata_response_init(out);

  out->brokers = rill__broker_req_new0(req, rill__wire_metadata_response_broker, 1);
  out->n_brokers = 1;
  out->brokers[0].node_id = rill__broker_node_id(b);
  out->brokers[0].host = rill__wire_str_from(rill__broker_advertised_host(req));
  out->brokers[0].port = rill__broker_advertised_port(req);
  out->brokers[0].rack = RILL_WIRE_STR_NULL;
  out->cluster_id = rill__wire_str_from(s->cluster_id);
  out->controller_id = rill__broker_node_id(b);

  gboolean all = in->n_topics < 0 || (req->header.request_api_version == 0 && in->n_topics == 0);
  if (all) {
    char **names = rill_log_topic_list(log);
    guint n = names ? g_strv_length(names) : 0;
    out->topics = rill__broker_req_new0(req, rill__wire_metadata_response_topic, n);
    /* Topics the principal may not describe are left out (Kafka). */
    for (guint i = 0; i < n; i++)
      if (rill__broker_authorize(req, RILL__RES_TOPIC, names[i], RILL__OP_DESCRIBE))
        fill_topic(req, &out->topics[out->n_topics++], names[i]);
    g_strfreev(names);
    rill__broker_respond(req, out);
    return;
  }

  out->topics = rill__broker_req_new0(req, rill__wire_metadata_response_topic, in->n_topics);
  out->n_topics = in->n_topics;
  st->topics = rill__broker_req_new0(req, asked, MAX(in->n_topics, 1));
  st->partitions = s->num_partitions;
  gboolean may_create = s->auto_create_topics_enable && in->allow_auto_topic_creation;
  int64_t existing = -1;
  for (int32_t i = 0; i < in->n_topics; i++) {
    asked *a = &st->topics[i];
    a->name = rill__broker_req_topic(req, in->topics[i].name);
    out->topics[i].name = in->topics[i].name.len < 0 ? rill__wire_str_from("") : in->topics[i].name;
    if (!a->name || !rill_log_topic_name_validate(a->name, NULL)) {
      a->error = RILL_KAFKA_ERR_INVALID_TOPIC_EXCEPTION;
      continue;
    }
    if (!rill__broker_authorize(req, RILL__RES_TOPIC, a->name, RILL__OP_DESCRIBE)) {
      a->error = RILL_KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED;
      continue;
    }
    /* Auto-creation needs CREATE on the cluster or the topic. */
    if (!may_create || rill_log_topic_describe(log, a->name, NULL, NULL, NULL) ||
        (!rill__broker_authorize(req, RILL__RES_CLUSTER, RILL__CLUSTER_NAME, RILL__OP_CREATE) &&
         !rill__broker_authorize(req, RILL__RES_TOPIC, a->name, RILL__OP_CREATE)))
      continue;
    if (existing < 0)
      existing = rill__admin_count_partitions(log);
    rill__wire_str unused;
    a->error = rill__admin_reserve_partitions(req, existing, st->partitions, st->partitions, &unused);
    if (a->error == RILL_KAFKA_ERR_NONE) {
      a->create = TRUE;
      st->n_create++;
    }
  }
  if (st->n_create > 0)
    rill__broker_offload(req, auto_create_work, answer_topics);
  else
    answer_topics(req);
}
