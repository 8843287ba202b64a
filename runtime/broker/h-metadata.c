/* h-metadata.c — Metadata: this one broker, and the topics asked for.
 *
 * We are the only node: leader, replica, ISR and controller of everything,
 * at the advertised address (never 0.0.0.0: clients connect to it). Topic
 * lists: v0 empty = all; v1+ null = all, empty = none. Asked-for topics that
 * do not exist are created at once (num.partitions) when
 * auto.create.topics.enable and the request allows it (v4+), so the very
 * answer lists them with their partitions (kafkajs retries forever on
 * LEADER_NOT_AVAILABLE).
 */
#include "runtime/broker/broker-private.h"

static void fill_topic(rill__broker_req *req, rill_wire_metadata_response_metadata_response_topic *t, const char *name)
{
  rill__broker *b = req->broker;
  int32_t node = rill__broker_node_id(b);
  int32_t n = 0;
  GError *error = NULL;
  t->name = rill_wire_str_from(rill__broker_req_strdup(req, rill_wire_str_from(name)));
  t->topic_authorized_operations = INT32_MIN;
  if (!rill_log_topic_describe(rill__broker_log(b), name, &n, NULL, &error)) {
    t->error_code = rill__broker_kafka_error(error);
    g_error_free(error);
    return;
  }
  t->partitions = rill__broker_req_new0(req, rill_wire_metadata_response_metadata_response_partition, n);
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

void rill__handle_metadata(rill__broker_req *req)
{
  const rill_wire_metadata_request *in = &req->body->metadata;
  rill__broker *b = req->broker;
  const rill__broker_settings *s = rill__broker_settings_get(b);
  rill_log *log = rill__broker_log(b);
  rill_wire_metadata_response out;
  rill_wire_metadata_response_init(&out);

  out.brokers = rill__broker_req_new0(req, rill_wire_metadata_response_metadata_response_broker, 1);
  out.n_brokers = 1;
  out.brokers[0].node_id = rill__broker_node_id(b);
  out.brokers[0].host = rill_wire_str_from(rill__broker_advertised_host(b));
  out.brokers[0].port = rill__broker_advertised_port(b);
  out.brokers[0].rack = RILL_WIRE_STR_NULL;
  out.cluster_id = rill_wire_str_from(s->cluster_id);
  out.controller_id = rill__broker_node_id(b);

  gboolean all = in->n_topics < 0 || (req->header.request_api_version == 0 && in->n_topics == 0);
  if (all) {
    char **names = rill_log_topic_list(log);
    guint n = names ? g_strv_length(names) : 0;
    out.topics = rill__broker_req_new0(req, rill_wire_metadata_response_metadata_response_topic, n);
    out.n_topics = (int32_t)n;
    for (guint i = 0; i < n; i++)
      fill_topic(req, &out.topics[i], names[i]);
    g_strfreev(names);
    rill__broker_respond(req, &out);
    return;
  }

  out.topics = rill__broker_req_new0(req, rill_wire_metadata_response_metadata_response_topic, in->n_topics);
  out.n_topics = in->n_topics;
  gboolean may_create = s->auto_create_topics_enable && in->allow_auto_topic_creation;
  for (int32_t i = 0; i < in->n_topics; i++) {
    rill_wire_metadata_response_metadata_response_topic *t = &out.topics[i];
    char *name = rill__broker_req_strdup(req, in->topics[i].name);
    t->topic_authorized_operations = INT32_MIN;
    if (!name) {
      t->error_code = RILL_KAFKA_ERR_INVALID_TOPIC_EXCEPTION;
      t->name = rill_wire_str_from("");
      continue;
    }
    int32_t np;
    if (may_create && !rill_log_topic_describe(log, name, &np, NULL, NULL)) {
      GError *error = NULL;
      if (rill_log_topic_create(log, name, s->num_partitions, NULL, &error)) {
        rill__broker_event(b, "info", "topic_created", "topic=%s partitions=%d reason=auto", name, s->num_partitions);
      } else if (!g_error_matches(error, RILL_LOG_ERROR, RILL_LOG_ERROR_TOPIC_EXISTS)) {
        t->error_code = rill__broker_kafka_error(error);
        t->name = rill_wire_str_from(name);
        g_error_free(error);
        continue;
      }
      g_clear_error(&error);
    }
    fill_topic(req, t, name);
  }
  rill__broker_respond(req, &out);
}
