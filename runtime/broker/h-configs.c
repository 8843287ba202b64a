/* h-configs.c — DescribeConfigs, AlterConfigs and IncrementalAlterConfigs.
 *
 * Resources: TOPIC (2) reads/writes the log's topic config; BROKER (4)
 * describes the broker's settings table (read-only: the broker's config is
 * static, so altering it answers INVALID_CONFIG).
 *
 * ConfigSource for topics: a value equal to the broker-wide default is
 * reported as DEFAULT_CONFIG (5), any other as DYNAMIC_TOPIC_CONFIG (1) —
 * the log keeps effective values, not where they came from.
 *
 * AlterConfigs is Kafka's non-incremental form: the request's keys replace
 * the topic's whole override set, every key not named returns to its
 * default. IncrementalAlterConfigs (KIP-339) changes only the keys it
 * names: SET to a value, DELETE back to the default; APPEND and SUBTRACT
 * are for list configs, which no topic config here is (INVALID_CONFIG). A
 * key named twice in one resource is INVALID_REQUEST. validate_only (both
 * forms) checks the topic, the key names and the operations only.
 *
 * Authorization as Kafka's: DESCRIBE_CONFIGS (the alters: ALTER_CONFIGS)
 * on the topic, or on the cluster for a BROKER resource, checked per
 * resource before anything else, so a denied principal learns nothing
 * (not even whether the topic exists); the others are still answered.
 */
#include "runtime/broker/broker-private.h"
#include "runtime/broker/acl.h"

#include <stdlib.h>
#include <string.h>

#define RESOURCE_TOPIC 2
#define RESOURCE_BROKER 4
#define SOURCE_TOPIC 1
#define SOURCE_STATIC_BROKER 4
#define SOURCE_DEFAULT 5
#define OP_SET 0
#define OP_DELETE 1
#define OP_APPEND 2
#define OP_SUBTRACT 3

/* FALSE (with @error_code set) when the principal may not do @op on the
 * resource: TOPIC_/CLUSTER_AUTHORIZATION_FAILED by the resource's type.
 * Other types pass here and are refused by the handlers. */
static gboolean allowed(rill__broker_req *req, int8_t type, rill__wire_str name, int8_t op, int16_t *error_code)
{
  if (type == RESOURCE_BROKER && !rill__broker_authorize(req, RILL__RES_CLUSTER, RILL__CLUSTER_NAME, op)) {
    *error_code = RILL_KAFKA_ERR_CLUSTER_AUTHORIZATION_FAILED;
    return FALSE;
  }
  if (type == RESOURCE_TOPIC) {
    char *topic = rill__broker_req_strdup(req, name);
    if (!topic || !rill__broker_authorize(req, RILL__RES_TOPIC, topic, op)) {
      *error_code = RILL_KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED;
      return FALSE;
    }
  }
  return TRUE;
}

static gboolean wanted(const rill__wire_describe_configs_request_resource *r, const char *key)
{
  if (r->n_configuration_keys < 0)
    return TRUE;
  for (int32_t i = 0; i < r->n_configuration_keys; i++)
    if (rill__wire_str_eq(r->configuration_keys[i], key))
      return TRUE;
  return FALSE;
}

static int cmp_str(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The topic @resource_name names and its config (*@cfg, to unref), or
 * NULL with @error_code and @error_message set. */
static char *lookup_topic(rill__broker_req *req, rill__wire_str resource_name, GHashTable **cfg, int16_t *error_code,
                          rill__wire_str *error_message)
{
  char *name = rill__broker_req_topic(req, resource_name);
  GError *error = NULL;
  int32_t np;
  if (name && rill_log_topic_describe(rill__broker_log(req->broker), name, &np, cfg, &error))
    return name;
  *error_code = error ? rill__broker_kafka_error(error) : RILL_KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
  *error_message = error ? rill__broker_error_text(req, error) : rill__wire_str_from("unknown topic");
  g_clear_error(&error);
  return NULL;
}

static void describe_topic(rill__broker_req *req, const rill__wire_describe_configs_request_resource *r,
                           rill__wire_describe_configs_response_result *o)
{
  GHashTable *cfg = NULL;
  if (!lookup_topic(req, r->resource_name, &cfg, &o->error_code, &o->error_message))
    return;
  char **defaults = rill__broker_settings_topic_defaults(rill__broker_settings_get(req->broker));
  guint n = g_hash_table_size(cfg);
  const char **keys = (const char **)g_hash_table_get_keys_as_array(cfg, NULL);
  qsort(keys, n, sizeof *keys, cmp_str);
  o->configs = rill__broker_req_new0(req, rill__wire_describe_configs_response_resource_result, n);
  for (guint i = 0; i < n; i++) {
    if (!wanted(r, keys[i]))
      continue;
    const char *value = g_hash_table_lookup(cfg, keys[i]);
    rill__wire_describe_configs_response_resource_result *c = &o->configs[o->n_configs++];
    c->name = rill__wire_str_from(rill__broker_req_strdup(req, rill__wire_str_from(keys[i])));
    c->value = rill__wire_str_from(rill__broker_req_strdup(req, rill__wire_str_from(value)));
    c->config_source = SOURCE_TOPIC;
    for (guint d = 0; defaults[d]; d += 2)
      if (strcmp(defaults[d], keys[i]) == 0 && strcmp(defaults[d + 1], value) == 0)
        c->config_source = SOURCE_DEFAULT;
    c->is_default = c->config_source == SOURCE_DEFAULT;
    c->documentation = RILL_WIRE_STR_NULL;
  }
  g_free(keys);
  g_strfreev(defaults);
  g_hash_table_unref(cfg);
}

static void describe_broker(rill__broker_req *req, const rill__wire_describe_configs_request_resource *r,
                            rill__wire_describe_configs_response_result *o)
{
  const rill__broker_settings *s = rill__broker_settings_get(req->broker);
  char *id = g_strdup_printf("%d", rill__broker_node_id(req->broker));
  gboolean ours = r->resource_name.len == 0 || rill__wire_str_eq(r->resource_name, id);
  g_free(id);
  if (!ours) {
    o->error_code = RILL_KAFKA_ERR_INVALID_REQUEST;
    o->error_message = rill__wire_str_from("unknown broker id");
    return;
  }
  o->configs =
      rill__broker_req_new0(req, rill__wire_describe_configs_response_resource_result, rill__broker_config_table_len);
  for (guint i = 0; i < rill__broker_config_table_len; i++) {
    const rill__conf_prop *p = &rill__broker_config_table[i];
    if (!wanted(r, p->name))
      continue;
    char *v = rill__broker_settings_format(s, p);
    rill__wire_describe_configs_response_resource_result *c = &o->configs[o->n_configs++];
    c->name = rill__wire_str_from(p->name);
    c->value = rill__wire_str_from(rill__broker_req_strdup(req, rill__wire_str_from(v)));
    c->read_only = TRUE;
    c->config_source = strcmp(v, p->def) == 0 ? SOURCE_DEFAULT : SOURCE_STATIC_BROKER;
    c->is_default = c->config_source == SOURCE_DEFAULT;
    c->documentation = rill__wire_str_from(p->doc);
    g_free(v);
  }
}

void rill__handle_describe_configs(rill__broker_req *req)
{
  const rill__wire_describe_configs_request *in = &req->body->describe_configs;
  rill__wire_describe_configs_response out;
  rill__wire_describe_configs_response_init(&out);
  out.n_results = MAX(in->n_resources, 0);
  out.results = rill__broker_req_new0(req, rill__wire_describe_configs_response_result, out.n_results);
  for (int32_t i = 0; i < out.n_results; i++) {
    const rill__wire_describe_configs_request_resource *r = &in->resources[i];
    rill__wire_describe_configs_response_result *o = &out.results[i];
    o->resource_type = r->resource_type;
    o->resource_name = r->resource_name;
    o->error_message = RILL_WIRE_STR_NULL;
    if (!allowed(req, r->resource_type, r->resource_name, RILL__OP_DESCRIBE_CONFIGS, &o->error_code))
      continue;
    if (r->resource_type == RESOURCE_TOPIC)
      describe_topic(req, r, o);
    else if (r->resource_type == RESOURCE_BROKER)
      describe_broker(req, r, o);
    else {
      o->error_code = RILL_KAFKA_ERR_INVALID_REQUEST;
      o->error_message = rill__wire_str_from("only TOPIC and BROKER resources exist here");
    }
  }
  rill__broker_respond(req, &out);
}

static void alter_topic(rill__broker_req *req, const rill__wire_alter_configs_request_resource *r,
                        gboolean validate_only, rill__wire_alter_configs_response_resource_response *o)
{
  rill_log *log = rill__broker_log(req->broker);
  GHashTable *cfg = NULL;
  char *name = lookup_topic(req, r->resource_name, &cfg, &o->error_code, &o->error_message);
  if (!name)
    return;
  GError *error = NULL;
  /* Every known key: the request's value, or NULL (back to the default). */
  GPtrArray *pairs = g_ptr_array_new();
  GHashTableIter it;
  gpointer key;
  g_hash_table_iter_init(&it, cfg);
  while (g_hash_table_iter_next(&it, &key, NULL)) {
    const char *value = NULL;
    for (int32_t i = 0; i < r->n_configs; i++)
      if (rill__wire_str_eq(r->configs[i].name, key))
        value = rill__broker_req_strdup(req, r->configs[i].value);
    g_ptr_array_add(pairs, key);
    g_ptr_array_add(pairs, (gpointer)value);
  }
  g_ptr_array_add(pairs, NULL);
  for (int32_t i = 0; i < r->n_configs && !error; i++) {
    char *k = rill__broker_req_strdup(req, r->configs[i].name);
    if (!k || !g_hash_table_contains(cfg, k))
      g_set_error(&error, RILL_LOG_ERROR, RILL_LOG_ERROR_INVALID_CONFIG, "unknown topic config '%s'", k ? k : "");
  }
  if (!error && !validate_only)
    rill_log_topic_alter_config(log, name, (const char *const *)pairs->pdata, &error);
  g_ptr_array_free(pairs, TRUE);
  g_hash_table_unref(cfg);
  if (!error) {
    if (!validate_only)
      rill__broker_event(req->broker, "info", "topic_config_altered", "topic=%s", name);
    return;
  }
  o->error_code = rill__broker_kafka_error(error);
  o->error_message = rill__broker_error_text(req, error);
  g_clear_error(&error);
}

void rill__handle_alter_configs(rill__broker_req *req)
{
  const rill__wire_alter_configs_request *in = &req->body->alter_configs;
  rill__wire_alter_configs_response out;
  rill__wire_alter_configs_response_init(&out);
  out.n_responses = MAX(in->n_resources, 0);
  out.responses = rill__broker_req_new0(req, rill__wire_alter_configs_response_resource_response, out.n_responses);
  for (int32_t i = 0; i < out.n_responses; i++) {
    const rill__wire_alter_configs_request_resource *r = &in->resources[i];
    rill__wire_alter_configs_response_resource_response *o = &out.responses[i];
    o->resource_type = r->resource_type;
    o->resource_name = r->resource_name;
    o->error_message = RILL_WIRE_STR_NULL;
    if (!allowed(req, r->resource_type, r->resource_name, RILL__OP_ALTER_CONFIGS, &o->error_code))
      continue;
    if (r->resource_type == RESOURCE_TOPIC) {
      alter_topic(req, r, in->validate_only, o);
    } else {
      o->error_code = RILL_KAFKA_ERR_INVALID_CONFIG;
      o->error_message = rill__wire_str_from("broker configuration is static (set it in the config file)");
    }
  }
  rill__broker_respond(req, &out);
}

/* Checks and applies one resource's operations to its topic; fills @error_code
 * and @error_message on failure. */
static void incremental_alter_topic(rill__broker_req *req,
                                    const rill__wire_incremental_alter_configs_request_alter_configs_resource *r,
                                    gboolean validate_only, int16_t *error_code, rill__wire_str *error_message)
{
  rill_log *log = rill__broker_log(req->broker);
  GHashTable *cfg = NULL;
  char *name = lookup_topic(req, r->resource_name, &cfg, error_code, error_message);
  if (!name)
    return;
  GError *error = NULL;
  GPtrArray *pairs = g_ptr_array_new();
  const char *why = NULL;
  for (int32_t i = 0; i < r->n_configs && !why; i++) {
    const rill__wire_incremental_alter_configs_request_alterable_config *c = &r->configs[i];
    char *k = rill__broker_req_strdup(req, c->name);
    for (int32_t j = 0; j < i && !why; j++)
      if (rill__wire_str_eq(r->configs[j].name, k ? k : ""))
        why = "a config named twice";
    if (why) {
      *error_code = RILL_KAFKA_ERR_INVALID_REQUEST;
    } else if (c->config_operation < OP_SET || c->config_operation > OP_SUBTRACT) {
      *error_code = RILL_KAFKA_ERR_INVALID_REQUEST;
      why = "unknown config operation";
    } else if (!k || !g_hash_table_contains(cfg, k)) {
      *error_code = RILL_KAFKA_ERR_INVALID_CONFIG;
      why = "unknown topic config";
    } else if (c->config_operation == OP_APPEND || c->config_operation == OP_SUBTRACT) {
      *error_code = RILL_KAFKA_ERR_INVALID_CONFIG;
      why = "APPEND and SUBTRACT apply to list configs; topic configs here hold one value";
    } else if (c->config_operation == OP_SET && c->value.len < 0) {
      *error_code = RILL_KAFKA_ERR_INVALID_REQUEST;
      why = "SET needs a value";
    } else {
      g_ptr_array_add(pairs, k);
      g_ptr_array_add(pairs, c->config_operation == OP_SET ? rill__broker_req_strdup(req, c->value) : NULL);
    }
    if (why) {
      g_autofree char *text = g_strdup_printf("%s: '%s'", why, k ? k : "");
      *error_message = rill__wire_str_from(rill__broker_req_strdup(req, rill__wire_str_from(text)));
    }
  }
  g_ptr_array_add(pairs, NULL);
  if (!why && !validate_only && pairs->len > 1 &&
      !rill_log_topic_alter_config(log, name, (const char *const *)pairs->pdata, &error)) {
    *error_code = rill__broker_kafka_error(error);
    *error_message = rill__broker_error_text(req, error);
    g_clear_error(&error);
  } else if (!why && !validate_only) {
    rill__broker_event(req->broker, "info", "topic_config_altered", "topic=%s", name);
  }
  g_ptr_array_free(pairs, TRUE);
  g_hash_table_unref(cfg);
}

void rill__handle_incremental_alter_configs(rill__broker_req *req)
{
  const rill__wire_incremental_alter_configs_request *in = &req->body->incremental_alter_configs;
  rill__wire_incremental_alter_configs_response out;
  rill__wire_incremental_alter_configs_response_init(&out);
  out.n_responses = MAX(in->n_resources, 0);
  out.responses = rill__broker_req_new0(req, rill__wire_incremental_alter_configs_response_alter_configs_resource_response,
                                        out.n_responses);
  for (int32_t i = 0; i < out.n_responses; i++) {
    const rill__wire_incremental_alter_configs_request_alter_configs_resource *r = &in->resources[i];
    rill__wire_incremental_alter_configs_response_alter_configs_resource_response *o = &out.responses[i];
    o->resource_type = r->resource_type;
    o->resource_name = r->resource_name;
    o->error_message = RILL_WIRE_STR_NULL;
    if (!allowed(req, r->resource_type, r->resource_name, RILL__OP_ALTER_CONFIGS, &o->error_code))
      continue;
    if (r->resource_type == RESOURCE_TOPIC) {
      incremental_alter_topic(req, r, in->validate_only, &o->error_code, &o->error_message);
    } else {
      o->error_code = RILL_KAFKA_ERR_INVALID_CONFIG;
      o->error_message = rill__wire_str_from("broker configuration is static (set it in the config file)");
    }
  }
  rill__broker_respond(req, &out);
}
