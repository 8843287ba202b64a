/* h-admin.c — CreateTopics, DeleteTopics, CreatePartitions, and the
 * partition limits.
 *
 * The checks run on the I/O thread; making or removing the partitions'
 * directories and files runs on the worker pool (rill__broker_offload), so a
 * topic of thousands of partitions never stalls other connections, and the
 * answer leaves when the log is done (a topic exists when the answer
 * leaves). Partitions being made count against rill.max.partitions from
 * their check on (b->partitions_pending, I/O thread only), so concurrent
 * requests cannot overshoot it together.
 *
 * One broker holds one copy: ReplicationFactor must be -1 (default) or 1,
 * else INVALID_REPLICATION_FACTOR; replica assignments may only name this
 * broker. validate_only runs every check without changing anything.
 * Messages never carry server paths (rill__broker_error_text).
 */
#include "runtime/broker/broker-private.h"
#include "runtime/broker/acl.h"

#include <stdarg.h>

/* One topic's change, done on the pool. */
typedef struct {
  int32_t at;         /* its place in the response */
  char *name;         /* (req memory) */
  int32_t partitions; /* the topic's count after */
  int32_t added;      /* reserved in partitions_pending */
  char **config;      /* CreateTopics: NULL-terminated pairs (req memory) */
  GError *error;      /* the log's answer, set on the pool */
} admin_job;

typedef struct {
  admin_job *jobs;
  int32_t n;
  void *out; /* the response (req memory) */
} admin_state;

int64_t rill__admin_count_partitions(rill_log *log)
{
  char **names = rill_log_topic_list(log);
  int64_t total = 0;
  for (char **n = names; n && *n; n++) {
    int32_t np = 0;
    if (rill_log_topic_describe(log, *n, &np, NULL, NULL))
      total += np;
  }
  g_strfreev(names);
  return total;
}

static rill__wire_str req_printf(rill__broker_req *req, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static rill__wire_str req_printf(rill__broker_req *req, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *text = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  return rill__wire_str_from(rill__broker_req_strdup(req, rill__wire_str_from(text)));
}

int16_t rill__admin_reserve_partitions(rill__broker_req *req, int64_t existing, int32_t topic_total, int32_t added,
                                       rill__wire_str *msg)
{
  rill__broker *b = req->broker;
  const rill__broker_settings *s = rill__broker_settings_get(b);
  if (topic_total > s->max_partitions_per_topic) {
    *msg = req_printf(req, "%d partitions exceed rill.max.partitions.per.topic (%d).", topic_total,
                      s->max_partitions_per_topic);
    return RILL_KAFKA_ERR_INVALID_PARTITIONS;
  }
  if (existing + b->partitions_pending + added > s->max_partitions) {
    *msg = req_printf(req, "%d more partitions would exceed rill.max.partitions (%d); the broker has %" G_GINT64_FORMAT ".",
                      added, s->max_partitions, existing + b->partitions_pending);
    return RILL_KAFKA_ERR_POLICY_VIOLATION;
  }
  b->partitions_pending += added;
  return RILL_KAFKA_ERR_NONE;
}

static admin_state *state_new(rill__broker_req *req, int32_t n, void *out)
{
  admin_state *st = rill__broker_req_new0(req, admin_state, 1);
  st->jobs = rill__broker_req_new0(req, admin_job, MAX(n, 1));
  st->out = out;
  req->handler_data = st;
  return st;
}

/* The job's error code and text (on the loop); releases its reservation. */
static int16_t job_finish(rill__broker_req *req, admin_job *j, rill__wire_str *msg)
{
  req->broker->partitions_pending -= j->added;
  if (!j->error)
    return RILL_KAFKA_ERR_NONE;
  int16_t code = rill__broker_kafka_error(j->error);
  *msg = rill__broker_error_text(req, j->error);
  g_clear_error(&j->error);
  return code;
}

static gboolean assignment_ok(rill__broker_req *req, const int32_t *ids, int32_t n)
{
  for (int32_t i = 0; i < n; i++)
    if (ids[i] != rill__broker_node_id(req->broker))
      return FALSE;
  return n == 1;
}

/* ---- CreateTopics ---- */

static void create_topics_work(void *data)
{
  rill__broker_req *req = data;
  admin_state *st = req->handler_data;
  for (int32_t i = 0; i < st->n; i++) {
    admin_job *j = &st->jobs[i];
    rill_log_topic_create(rill__broker_log(req->broker), j->name, j->partitions, (const char *const *)j->config,
                          &j->error);
  }
}

static void create_topics_done(void *data)
{
  rill__broker_req *req = data;
  admin_state *st = req->handler_data;
  rill__wire_create_topics_response *out = st->out;
  for (int32_t i = 0; i < st->n; i++) {
    admin_job *j = &st->jobs[i];
    rill__wire_create_topics_response_creatable_topic_result *ot = &out->topics[j->at];
    ot->error_code = job_finish(req, j, &ot->error_message);
    if (ot->error_code == 0) {
      ot->num_partitions = j->partitions;
      ot->replication_factor = 1;
      rill__broker_event(req->broker, "info", "topic_created", "topic=%s partitions=%d reason=request", j->name,
                         j->partitions);
    }
  }
  rill__broker_respond(req, out);
}

static char **topic_config(rill__broker_req *req, const rill__wire_create_topics_request_creatable_topic *it)
{
  char **cfg = rill__broker_req_new0(req, char *, 2 * (size_t)MAX(it->n_configs, 0) + 1);
  int n = 0;
  for (int32_t c = 0; c < it->n_configs; c++) {
    if (it->configs[c].value.len < 0)
      continue; /* null = the default */
    cfg[n++] = rill__broker_req_strdup(req, it->configs[c].name);
    cfg[n++] = rill__broker_req_strdup(req, it->configs[c].value);
  }
  return cfg;
}

void rill__handle_create_topics(rill__broker_req *req)
{
  const rill__wire_create_topics_request *in = &req->body->create_topics;
  rill__broker *b = req->broker;
  rill_log *log = rill__broker_log(b);
  rill__wire_create_topics_response *out = rill__broker_req_new0(req, rill__wire_create_topics_response, 1);
  rill__wire_create_topics_response_init(out);
  out->n_topics = MAX(in->n_topics, 0);
  out->topics = rill__broker_req_new0(req, rill__wire_create_topics_response_creatable_topic_result, out->n_topics);
  admin_state *st = state_new(req, out->n_topics, out);
  int64_t existing = out->n_topics > 0 ? rill__admin_count_partitions(log) : 0;
  for (int32_t i = 0; i < out->n_topics; i++) {
    const rill__wire_create_topics_request_creatable_topic *it = &in->topics[i];
    rill__wire_create_topics_response_creatable_topic_result *ot = &out->topics[i];
    char *name = rill__broker_req_topic(req, it->name);
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
        ot->error_message = rill__wire_str_from("assignments must list partitions 0..n-1 on this broker only");
        continue;
      }
    }
    if (it->replication_factor != -1 && it->replication_factor != 1) {
      ot->error_code = RILL_KAFKA_ERR_INVALID_REPLICATION_FACTOR;
      ot->error_message = rill__wire_str_from("Replication factor must be 1: this cluster has one broker.");
      continue;
    }
    if (partitions < 1) {
      ot->error_code = RILL_KAFKA_ERR_INVALID_PARTITIONS;
      ot->error_message = rill__wire_str_from("Number of partitions must be at least 1.");
      continue;
    }
    if (!name) {
      ot->error_code = RILL_KAFKA_ERR_INVALID_TOPIC_EXCEPTION;
      ot->error_message = rill__wire_str_from("A topic name must be a non-null string without NUL bytes.");
      continue;
    }
    if (!rill__broker_authorize(req, RILL__RES_CLUSTER, RILL__CLUSTER_NAME, RILL__OP_CREATE) &&
        !rill__broker_authorize(req, RILL__RES_TOPIC, name, RILL__OP_CREATE)) {
      ot->error_code = RILL_KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED;
      ot->error_message = rill__wire_str_from("Authorization failed.");
      continue;
    }
    if (!rill_log_topic_name_validate(name, &error)) {
      ot->error_code = rill__broker_kafka_error(error);
      ot->error_message = rill__broker_error_text(req, error);
      g_error_free(error);
      continue;
    }
    if (rill_log_topic_describe(log, name, NULL, NULL, NULL)) {
      ot->error_code = RILL_KAFKA_ERR_TOPIC_ALREADY_EXISTS;
      ot->error_message = rill__wire_str_from("Topic already exists.");
      continue;
    }
    ot->error_code = rill__admin_reserve_partitions(req, existing, partitions, partitions, &ot->error_message);
    if (ot->error_code)
      continue;
    if (in->validate_only) {
      b->partitions_pending -= partitions;
      ot->num_partitions = partitions;
      ot->replication_factor = 1;
      continue;
    }
    st->jobs[st->n++] = (admin_job){i, name, partitions, partitions, topic_config(req, it), NULL};
  }
  if (st->n > 0)
    rill__broker_offload(req, create_topics_work, create_topics_done);
  else
    rill__broker_respond(req, out);
}

/* ---- DeleteTopics ---- */

static void delete_topics_work(void *data)
{
  rill__broker_req *req = data;
  admin_state *st = req->handler_data;
  for (int32_t i = 0; i < st->n; i++)
    rill_log_topic_delete(rill__broker_log(req->broker), st->jobs[i].name, &st->jobs[i].error);
}

static void delete_topics_done(void *data)
{
  rill__broker_req *req = data;
  admin_state *st = req->handler_data;
  rill__wire_delete_topics_response *out = st->out;
  for (int32_t i = 0; i < st->n; i++) {
    admin_job *j = &st->jobs[i];
    rill__wire_delete_topics_response_deletable_topic_result *o = &out->responses[j->at];
    o->error_code = job_finish(req, j, &o->error_message);
    if (o->error_code == 0)
      rill__broker_event(req->broker, "info", "topic_deleted", "topic=%s", j->name);
  }
  rill__broker_respond(req, out);
}

void rill__handle_delete_topics(rill__broker_req *req)
{
  const rill__wire_delete_topics_request *in = &req->body->delete_topics;
  rill__wire_delete_topics_response *out = rill__broker_req_new0(req, rill__wire_delete_topics_response, 1);
  rill__wire_delete_topics_response_init(out);
  out->n_responses = MAX(in->n_topic_names, 0);
  out->responses =
      rill__broker_req_new0(req, rill__wire_delete_topics_response_deletable_topic_result, out->n_responses);
  admin_state *st = state_new(req, out->n_responses, out);
  for (int32_t i = 0; i < out->n_responses; i++) {
    char *name = rill__broker_req_topic(req, in->topic_names[i]);
    out->responses[i].name = in->topic_names[i];
    out->responses[i].error_message = RILL_WIRE_STR_NULL;
    if (!name)
      out->responses[i].error_code = RILL_KAFKA_ERR_INVALID_TOPIC_EXCEPTION;
    else if (!rill__broker_authorize(req, RILL__RES_TOPIC, name, RILL__OP_DELETE))
      out->responses[i].error_code = RILL_KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED;
    else
      st->jobs[st->n++] = (admin_job){.at = i, .name = name};
  }
  if (st->n > 0)
    rill__broker_offload(req, delete_topics_work, delete_topics_done);
  else
    rill__broker_respond(req, out);
}

/* ---- CreatePartitions ---- */

static void create_partitions_work(void *data)
{
  rill__broker_req *req = data;
  admin_state *st = req->handler_data;
  for (int32_t i = 0; i < st->n; i++) {
    admin_job *j = &st->jobs[i];
    rill_log_topic_add_partitions(rill__broker_log(req->broker), j->name, j->partitions, &j->error);
  }
}

static void create_partitions_done(void *data)
{
  rill__broker_req *req = data;
  admin_state *st = req->handler_data;
  rill__wire_create_partitions_response *out = st->out;
  for (int32_t i = 0; i < st->n; i++) {
    admin_job *j = &st->jobs[i];
    rill__wire_create_partitions_response_topic_result *ot = &out->results[j->at];
    ot->error_code = job_finish(req, j, &ot->error_message);
    if (ot->error_code == 0)
      rill__broker_event(req->broker, "info", "partitions_created", "topic=%s partitions=%d", j->name, j->partitions);
  }
  rill__broker_respond(req, out);
}

void rill__handle_create_partitions(rill__broker_req *req)
{
  const rill__wire_create_partitions_request *in = &req->body->create_partitions;
  rill__broker *b = req->broker;
  rill_log *log = rill__broker_log(b);
  rill__wire_create_partitions_response *out = rill__broker_req_new0(req, rill__wire_create_partitions_response, 1);
  rill__wire_create_partitions_response_init(out);
  out->n_results = MAX(in->n_topics, 0);
  out->results = rill__broker_req_new0(req, rill__wire_create_partitions_response_topic_result, out->n_results);
  admin_state *st = state_new(req, out->n_results, out);
  int64_t existing = out->n_results > 0 ? rill__admin_count_partitions(log) : 0;
  for (int32_t i = 0; i < out->n_results; i++) {
    const rill__wire_create_partitions_request_topic *it = &in->topics[i];
    rill__wire_create_partitions_response_topic_result *ot = &out->results[i];
    char *name = rill__broker_req_topic(req, it->name);
    GError *error = NULL;
    int32_t now = 0;
    ot->name = it->name;
    ot->error_message = RILL_WIRE_STR_NULL;
    for (int32_t a = 0; a < it->n_assignments; a++)
      if (!assignment_ok(req, it->assignments[a].broker_ids, it->assignments[a].n_broker_ids)) {
        ot->error_code = RILL_KAFKA_ERR_INVALID_REPLICA_ASSIGNMENT;
        ot->error_message = rill__wire_str_from("assignments may only name this broker");
      }
    if (!ot->error_code && name && !rill__broker_authorize(req, RILL__RES_TOPIC, name, RILL__OP_ALTER))
      ot->error_code = RILL_KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED;
    if (ot->error_code)
      continue;
    if (!name || !rill_log_topic_describe(log, name, &now, NULL, &error)) {
      ot->error_code = error ? rill__broker_kafka_error(error) : RILL_KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
      if (error)
        ot->error_message = rill__broker_error_text(req, error);
      g_clear_error(&error);
      continue;
    }
    if (it->count <= now) {
      ot->error_code = RILL_KAFKA_ERR_INVALID_PARTITIONS;
      ot->error_message = rill__wire_str_from("The partition count can only grow.");
      continue;
    }
    ot->error_code = rill__admin_reserve_partitions(req, existing, it->count, it->count - now, &ot->error_message);
    if (ot->error_code)
      continue;
    if (in->validate_only)
      b->partitions_pending -= it->count - now;
    else
      st->jobs[st->n++] = (admin_job){i, name, it->count, it->count - now, NULL, NULL};
  }
  if (st->n > 0)
    rill__broker_offload(req, create_partitions_work, create_partitions_done);
  else
    rill__broker_respond(req, out);
}
