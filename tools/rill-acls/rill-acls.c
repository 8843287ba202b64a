/* rill-acls — ACL administration for rill-broker or any Kafka
 * (CreateAcls, DescribeAcls, DeleteAcls), like kafka-acls.sh.
 *
 *   rill-acls add (--allow|--deny) --principal User:NAME [--host H] --operation OP...
 *             (--topic T | --group G | --cluster | --transactional-id X) [--prefixed]
 *   rill-acls list   [--principal P] [--topic T | --group G | --cluster | --transactional-id X] [--prefixed]
 *   rill-acls remove [same filters as list; a resource is required]
 *
 * Operations: ALL READ WRITE CREATE DELETE ALTER DESCRIBE CLUSTER_ACTION
 * DESCRIBE_CONFIGS ALTER_CONFIGS IDEMPOTENT_WRITE (any case). list and
 * remove print one binding per line: RESOURCE-TYPE NAME PATTERN PRINCIPAL
 * HOST OPERATION PERMISSION, tab-separated. Exit codes: docs/tools.md. */
#include <stdio.h>

#include "tool.h"

static const char *const op_names[] = {"UNKNOWN", "ANY", "ALL", "READ", "WRITE", "CREATE", "DELETE", "ALTER",
                                       "DESCRIBE", "CLUSTER_ACTION", "DESCRIBE_CONFIGS", "ALTER_CONFIGS",
                                       "IDEMPOTENT_WRITE", NULL};
static const char *const type_names[] = {"UNKNOWN", "ANY", "TOPIC", "GROUP", "CLUSTER", "TRANSACTIONAL_ID",
                                         "DELEGATION_TOKEN", "USER", NULL};
static const char *const pattern_names[] = {"UNKNOWN", "ANY", "MATCH", "LITERAL", "PREFIXED", NULL};
static const char *const perm_names[] = {"UNKNOWN", "ANY", "DENY", "ALLOW", NULL};

typedef struct {
  tool_common common;
  gboolean allow, deny, cluster, prefixed;
  char *principal, *host, *topic, *group, *txn;
  char **operations;
  rill_kafka_conf *conf;
  rill__kclient *client;
} acls;

static const char *name_of(const char *const *names, int v)
{
  return v >= 0 && v < (int)g_strv_length((char **)names) ? names[v] : "?";
}

/* The resource the options name: FALSE when more than one. */
static gboolean resource(acls *a, int8_t *type, const char **name, GError **error)
{
  int n = !!a->topic + !!a->group + !!a->txn + !!a->cluster;
  if (n > 1) {
    tool_usage_error(error, "name one resource: --topic, --group, --cluster or --transactional-id");
    return FALSE;
  }
  *type = a->topic ? 2 : a->group ? 3 : a->cluster ? 4 : a->txn ? 5 : 1;
  *name = a->topic ? a->topic : a->group ? a->group : a->cluster ? "kafka-cluster" : a->txn;
  return TRUE;
}

static gboolean cmd_add(acls *a, GError **error)
{
  int8_t type;
  const char *name;
  if (!resource(a, &type, &name, error))
    return FALSE;
  if (type == 1 || a->allow == a->deny || !a->principal || !a->operations) {
    tool_usage_error(error, "add needs a resource, one of --allow/--deny, --principal and --operation");
    return FALSE;
  }
  guint n = g_strv_length(a->operations);
  rill__wire_create_acls_request rq;
  rill__wire_create_acls_request_init(&rq);
  rq.creations = g_new0(rill__wire_create_acls_request_acl_creation, n);
  rq.n_creations = (int32_t)n;
  gboolean ok = TRUE;
  for (guint i = 0; i < n && ok; i++) {
    g_autofree char *up = g_ascii_strup(a->operations[i], -1);
    int op = -1;
    for (int k = 2; op_names[k]; k++)
      if (!strcmp(op_names[k], up))
        op = k;
    if (op < 0) {
      tool_usage_error(error, "unknown operation '%s'", a->operations[i]);
      ok = FALSE;
      break;
    }
    rq.creations[i] = (rill__wire_create_acls_request_acl_creation){
        type, rill__wire_str_from(name), a->prefixed ? 4 : 3, rill__wire_str_from(a->principal),
        rill__wire_str_from(a->host ? a->host : "*"), (int8_t)op, a->allow ? 3 : 2};
  }
  rill__kreq *r = ok ? rill__kclient_call(a->client, RILL__KNODE_ANY, RILL_WIRE_API_CREATE_ACLS, 3, &rq, error) : NULL;
  g_free(rq.creations);
  if (!r)
    return FALSE;
  for (int32_t i = 0; ok && i < r->resp.create_acls.n_results; i++) {
    const rill__wire_create_acls_response_acl_creation_result *x = &r->resp.create_acls.results[i];
    if (x->error_code) {
      g_autofree char *msg = g_strndup(x->error_message.ptr, (gsize)MAX(x->error_message.len, 0));
      rill__kclient_set_error(error, x->error_code, "CreateAcls", msg && *msg ? msg : NULL);
      ok = FALSE;
    }
  }
  rill__kreq_free(r);
  return ok;
}

static void print_binding(int8_t type, rill__wire_str name, int8_t pattern, rill__wire_str principal,
                          rill__wire_str host, int8_t op, int8_t perm)
{
  printf("%s\t%.*s\t%s\t%.*s\t%.*s\t%s\t%s\n", name_of(type_names, type), MAX(name.len, 0), name.ptr ? name.ptr : "",
         name_of(pattern_names, pattern), MAX(principal.len, 0), principal.ptr ? principal.ptr : "",
         MAX(host.len, 0), host.ptr ? host.ptr : "", name_of(op_names, op), name_of(perm_names, perm));
}

static gboolean cmd_list(acls *a, GError **error)
{
  int8_t type;
  const char *name;
  if (!resource(a, &type, &name, error))
    return FALSE;
  rill__wire_describe_acls_request rq;
  rill__wire_describe_acls_request_init(&rq);
  rq.resource_type_filter = type;
  rq.resource_name_filter = rill__wire_str_from(name);
  rq.pattern_type_filter = a->prefixed ? 4 : name ? 3 : 1;
  rq.principal_filter = rill__wire_str_from(a->principal);
  rq.host_filter = rill__wire_str_from(a->host);
  rq.operation = 1;
  rq.permission_type = 1;
  rill__kreq *r = rill__kclient_call(a->client, RILL__KNODE_ANY, RILL_WIRE_API_DESCRIBE_ACLS, 3, &rq, error);
  if (!r)
    return FALSE;
  const rill__wire_describe_acls_response *d = &r->resp.describe_acls;
  gboolean ok = d->error_code == 0;
  if (!ok)
    rill__kclient_set_error(error, d->error_code, "DescribeAcls", NULL);
  for (int32_t i = 0; ok && i < d->n_resources; i++)
    for (int32_t k = 0; k < d->resources[i].n_acls; k++) {
      const rill__wire_describe_acls_response_acl_description *x = &d->resources[i].acls[k];
      print_binding(d->resources[i].resource_type, d->resources[i].resource_name, d->resources[i].pattern_type,
                    x->principal, x->host, x->operation, x->permission_type);
    }
  rill__kreq_free(r);
  return ok;
}

static gboolean cmd_remove(acls *a, GError **error)
{
  int8_t type;
  const char *name;
  if (!resource(a, &type, &name, error))
    return FALSE;
  if (type == 1) {
    tool_usage_error(error, "remove needs a resource (--topic, --group, --cluster or --transactional-id)");
    return FALSE;
  }
  rill__wire_delete_acls_request_filter f = {type, rill__wire_str_from(name), a->prefixed ? 4 : 3,
                                             rill__wire_str_from(a->principal), rill__wire_str_from(a->host), 1,
                                             a->allow ? 3 : a->deny ? 2 : 1};
  rill__wire_delete_acls_request rq = {&f, 1};
  rill__kreq *r = rill__kclient_call(a->client, RILL__KNODE_ANY, RILL_WIRE_API_DELETE_ACLS, 3, &rq, error);
  if (!r)
    return FALSE;
  gboolean ok = TRUE;
  for (int32_t i = 0; i < r->resp.delete_acls.n_filter_results; i++) {
    const rill__wire_delete_acls_response_filter_result *x = &r->resp.delete_acls.filter_results[i];
    if (x->error_code) {
      rill__kclient_set_error(error, x->error_code, "DeleteAcls", NULL);
      ok = FALSE;
      break;
    }
    for (int32_t k = 0; k < x->n_matching_acls; k++) {
      const rill__wire_delete_acls_response_matching_acl *m = &x->matching_acls[k];
      print_binding(m->resource_type, m->resource_name, m->pattern_type, m->principal, m->host, m->operation,
                    m->permission_type);
    }
  }
  rill__kreq_free(r);
  return ok;
}

static gboolean run(gpointer tool, int argc, char **argv, GError **error)
{
  acls *a = tool;
  const char *const cmds[] = {"add", "list", "remove", NULL};
  if (argc != 2 || !g_strv_contains(cmds, argv[1])) {
    tool_usage_error(error, "one command is required: add, list, remove");
    return FALSE;
  }
  if (!tool_connect(&a->common, "rill-acls", &a->conf, &a->client, error))
    return FALSE;
  if (!strcmp(argv[1], "add"))
    return cmd_add(a, error);
  if (!strcmp(argv[1], "list"))
    return cmd_list(a, error);
  return cmd_remove(a, error);
}

int main(int argc, char **argv)
{
  acls a = {0};
  GOptionEntry entries[] = {
    {"allow", 0, 0, G_OPTION_ARG_NONE, &a.allow, "add: an ALLOW binding; remove: only ALLOW bindings", NULL},
    {"deny", 0, 0, G_OPTION_ARG_NONE, &a.deny, "add: a DENY binding; remove: only DENY bindings", NULL},
    {"principal", 0, 0, G_OPTION_ARG_STRING, &a.principal, "User:NAME (User:* for everyone)", "P"},
    {"host", 0, 0, G_OPTION_ARG_STRING, &a.host, "client address (default *)", "H"},
    {"operation", 0, 0, G_OPTION_ARG_STRING_ARRAY, &a.operations, "operation (repeatable)", "OP"},
    {"topic", 0, 0, G_OPTION_ARG_STRING, &a.topic, "a topic (or * for all)", "T"},
    {"group", 0, 0, G_OPTION_ARG_STRING, &a.group, "a consumer group (or *)", "G"},
    {"transactional-id", 0, 0, G_OPTION_ARG_STRING, &a.txn, "a transactional id", "X"},
    {"cluster", 0, 0, G_OPTION_ARG_NONE, &a.cluster, "the cluster", NULL},
    {"prefixed", 0, 0, G_OPTION_ARG_NONE, &a.prefixed, "the name is a prefix (default: literal)", NULL},
    G_OPTION_ENTRY_NULL,
  };
  static const char summary[] =
    "Commands:\n"
    "  add (--allow|--deny) --principal User:NAME --operation OP... RESOURCE [--prefixed] [--host H]\n"
    "  list [--principal P] [RESOURCE [--prefixed]]\n"
    "  remove RESOURCE [--prefixed] [--principal P] [--allow|--deny]\n"
    "RESOURCE: --topic T | --group G | --cluster | --transactional-id X\n"
    "Exit status: 0 ok, 1 usage, 2 broker unreachable, 3 broker error (not authorized, invalid ACL, ...).\n"
    "See docs/security.md.";
  int rc = tool_main(argc, argv, "rill-acls", "add|list|remove - manage ACLs", summary, entries,
                     &a.common, run, &a);
  rill__kclient_free(a.client);
  rill_kafka_conf_free(a.conf);
  tool_common_clear(&a.common);
  g_free(a.principal);
  g_free(a.host);
  g_free(a.topic);
  g_free(a.group);
  g_free(a.txn);
  g_strfreev(a.operations);
  return rc;
}
