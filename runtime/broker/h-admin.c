/* h-admin.c — CreateTopics, DeleteTopics, CreatePartitions.
 *
 * All act on the log synchronously (a topic exists when the answer leaves).
 * One broker holds one copy: ReplicationFactor must be -1 (default) or 1,
 * else INVALID_REPLICATION_FACTOR; replica assignments may only name this
 * broker. validate_only runs every check without changing anything.
 */
#include "runtime/broker/broker-private.h"

static int16_t set_err(rill__broker_req *req, rill_wire_str *msg, GError *error)
{
  int16_t code = rill__broker_kafka_error(error);
  *msg = rill_wire_str_from(rill__broker_req_strdup(req, rill_wire_str_from(error->message)));
  g_error_free(error);
  return code;
}

static gboolean assignment_ok(rill__broker_req *req, const int32_t *ids, int32_t n)
{
  for (int32_t i = 0; i < n; i++)
    if (ids[i] != rill__broker_node_id(req->broker))
      return FALSE;
  return n == 1;
}

void rill__handle_create_topics(rill__broker_req *req)
{
  const rill_wire_create_topics_request *in = &req->body->create_topics;
  rill__broker *b = req->broker;
  rill_log *log = rill__broker_log(b);
  rill_wire_create_topics_response out;
  rill_wire_create_topics_response_init(&out);
  out.n_topics = MAX(in->n_topics, 0);
  out.topics = rill__broker_req_new0(req, rill_wire_create_topics_response_creatable_topic_result, out.n_topics);
  for (int32_t i = 0; i < out.n_topics; i++) {
    const rill_wire_create_topics_request_creatable_topic *it = &in->topics[i];
    rill_wire_create_topics_response_creatable_topic_result *ot = &out.topics[i];
    char *name = rill__broker_req_strdup(req, it->name);
    GError *error = NULL;
    int32_t partitions = it->num_partitions == -1 ? rill__broker_settings_get(b)->num_partitions : it->num_partitions;
    ot->name = it->name;
    ot->error_message = RILL_WIRE_STR_NULL;
    ot->num_partitions = -1;
    ot->replication_factor = -1;
    ot->n_configs = -1;
    if (it->n_assignments > 0) {
      partitions = it->n_assignments;
      gboolean ok = TRUE;
      for (int32_t a = 0; a < it->n_assignments; a++)
        ok = ok && it->assignments[a].partition_index == a &&
             assignment_ok(req, it->assignments[a].broker_ids, it->assignments[a].n_broker_ids);
      if (!ok || it->num_partitions != -1) {
        ot->error_code = RILL_KAFKA_ERR_INVALID_REPLICA_ASSIGNMENT;
        ot->error_message = rill_wire_str_from("assignments must list partitions 0..n-1 on this broker only");
        continue;
      }
    }
    if (it->replication_factor != -1 && it->replication_factor != 1) {
      ot->error_code = RILL_KAFKA_ERR_INVALID_REPLICATION_FACTOR;
      ot->error_message = rill_wire_str_from("Replication factor must be 1: this cluster has one broker.");
      continue;
    }
    if (partitions < 1) {
      ot->error_code = RILL_KAFKA_ERR_INVALID_PARTITIONS;
      ot->error_message = rill_wire_str_from("Number of partitions must be at least 1.");
      continue;
    }
    if (!name || !rill_log_topic_name_validate(name, &error)) {
      ot->error_code = error ? set_err(req, &ot->error_message, error) : RILL_KAFKA_ERR_INVALID_TOPIC_EXCEPTION;
      continue;
    }
    GPtrArray *cfg = g_ptr_array_new();
    for (int32_t c = 0; c < it->n_configs; c++) {
      if (it->configs[c].value.len < 0)
        continue; /* null = the default */
      g_ptr_array_add(cfg, rill__broker_req_strdup(req, it->configs[c].name));
      g_ptr_array_add(cfg, rill__broker_req_strdup(req, it->configs[c].value));
    }
    g_ptr_array_add(cfg, NULL);
    if (in->validate_only) {
      int32_t n;
      if (rill_log_topic_describe(log, name, &n, NULL, NULL)) {
        ot->error_code = RILL_KAFKA_ERR_TOPIC_ALREADY_EXISTS;
        ot->error_message = rill_wire_str_from("Topic already exists.");
      }
    } else if (!rill_log_topic_create(log, name, partitions, (const char *const *)cfg->pdata, &error)) {
      ot->error_code = set_err(req, &ot->error_message, error);
    } else {
      rill__broker_event(b, "info", "topic_created", "topic=%s partitions=%d reason=request", name, partitions);
    }
    g_ptr_array_free(cfg, TRUE);
    if (ot->error_code == 0) {
      ot->num_partitions = partitions;
      ot->replication_factor = 1;
    }
  }
  rill__broker_respond(req, &out);
}

void rill__handle_delete_topics(rill__broker_req *req)
{
  const rill_wire_delete_topics_request *in = &req->body->delete_topics;
  rill__broker *b = req->broker;
  rill_wire_delete_topics_response out;
  rill_wire_delete_topics_response_init(&out);
  out.n_responses = MAX(in->n_topic_names, 0);
  out.responses = rill__broker_req_new0(req, rill_wire_delete_topics_response_deletable_topic_result, out.n_responses);
  for (int32_t i = 0; i < out.n_responses; i++) {
    char *name = rill__broker_req_strdup(req, in->topic_names[i]);
    GError *error = NULL;
    out.responses[i].name = in->topic_names[i];
    out.responses[i].error_message = RILL_WIRE_STR_NULL;
    if (!name) {
      out.responses[i].error_code = RILL_KAFKA_ERR_INVALID_TOPIC_EXCEPTION;
    } else if (!rill_log_topic_delete(rill__broker_log(b), name, &error)) {
      out.responses[i].error_code = set_err(req, &out.responses[i].error_message, error);
    } else {
      rill__broker_event(b, "info", "topic_deleted", "topic=%s", name);
    }
  }
  rill__broker_respond(req, &out);
}

void rill__handle_create_partitions(rill__broker_req *req)
{
  const rill_wire_create_partitions_request *in = &req->body->create_partitions;
  rill__broker *b = req->broker;
  rill_log *log = rill__broker_log(b);
  rill_wire_create_partitions_response out;
  rill_wire_create_partitions_response_init(&out);
  out.n_results = MAX(in->n_topics, 0);
  out.results = rill__broker_req_new0(req, rill_wire_create_partitions_response_create_partitions_topic_result,
                                      out.n_results);
  for (int32_t i = 0; i < out.n_results; i++) {
    const rill_wire_create_partitions_request_create_partitions_topic *it = &in->topics[i];
    rill_wire_create_partitions_response_create_partitions_topic_result *ot = &out.results[i];
    char *name = rill__broker_req_strdup(req, it->name);
    GError *error = NULL;
    int32_t now = 0;
    ot->name = it->name;
    ot->error_message = RILL_WIRE_STR_NULL;
    for (int32_t a = 0; a < it->n_assignments; a++)
      if (!assignment_ok(req, it->assignments[a].broker_ids, it->assignments[a].n_broker_ids)) {
        ot->error_code = RILL_KAFKA_ERR_INVALID_REPLICA_ASSIGNMENT;
        ot->error_message = rill_wire_str_from("assignments may only name this broker");
      }
    if (ot->error_code)
      continue;
    if (!name || !rill_log_topic_describe(log, name, &now, NULL, &error)) {
      ot->error_code = error ? set_err(req, &ot->error_message, error) : RILL_KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    } else if (it->count <= now) {
      ot->error_code = RILL_KAFKA_ERR_INVALID_PARTITIONS;
      ot->error_message = rill_wire_str_from("The partition count can only grow.");
    } else if (!in->validate_only && !rill_log_topic_add_partitions(log, name, it->count, &error)) {
      ot->error_code = set_err(req, &ot->error_message, error);
    } else if (!in->validate_only) {
      rill__broker_event(b, "info", "partitions_created", "topic=%s partitions=%d", name, it->count);
    }
  }
  rill__broker_respond(req, &out);
}
