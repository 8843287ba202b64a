/* h-acls.c — the authorization side of the broker: CreateAcls, DescribeAcls,
 * DeleteAcls (KIP-140 semantics), DescribeUserScramCredentials and
 * AlterUserScramCredentials (KIP-554), and the ACL gate for group APIs.
 *
 * Required permissions (Kafka's): ACL and credential changes need ALTER on
 * the cluster, their descriptions DESCRIBE on the cluster
 * (CLUSTER_AUTHORIZATION_FAILED otherwise). Group APIs are checked here,
 * before their handlers run, so the coordinator stays unaware of ACLs:
 * JoinGroup, SyncGroup, Heartbeat, LeaveGroup and OffsetCommit need READ on
 * the group, OffsetFetch and FindCoordinator DESCRIBE; the answer is
 * GROUP_AUTHORIZATION_FAILED. DeleteGroups checks DELETE per group in its
 * handler (group-handlers.c); topic checks sit in the topic handlers
 * (rill__broker_authorize).
 */
#include <string.h>

#include "runtime/broker/acl.h"
#include "runtime/broker/security.h"

static char *req_str(rill__broker_req *req, rill__wire_str s)
{
  return s.len < 0 || (s.len > 0 && memchr(s.ptr, '\0', (size_t)s.len)) ? NULL : rill__broker_req_strdup(req, s);
}

static gboolean cluster_allowed(rill__broker_req *req, int8_t op)
{
  return rill__broker_authorize(req, RILL__RES_CLUSTER, RILL__CLUSTER_NAME, op);
}

static rill__acls *acls_of(rill__broker_req *req)
{
  return req->broker->security->acls;
}

/* ---- CreateAcls ---- */

void rill__handle_create_acls(rill__broker_req *req)
{
  const rill__wire_create_acls_request *in = &req->body->create_acls;
  rill__wire_create_acls_response out;
  rill__wire_create_acls_response_init(&out);
  out.n_results = MAX(in->n_creations, 0);
  out.results = rill__broker_req_new0(req, rill__wire_create_acls_response_acl_creation_result, out.n_results);
  gboolean allowed = cluster_allowed(req, RILL__OP_ALTER);
  for (int32_t i = 0; i < out.n_results; i++) {
    const rill__wire_create_acls_request_acl_creation *c = &in->creations[i];
    rill__wire_create_acls_response_acl_creation_result *r = &out.results[i];
    r->error_message = RILL_WIRE_STR_NULL;
    if (!allowed) {
      r->error_code = RILL_KAFKA_ERR_CLUSTER_AUTHORIZATION_FAILED;
      continue;
    }
    rill__acl_binding b = {c->resource_type, c->resource_pattern_type, c->operation, c->permission_type,
                           req_str(req, c->resource_name), req_str(req, c->principal), req_str(req, c->host)};
    const char *why = rill__acl_binding_invalid(&b);
    GError *error = NULL;
    if (why) {
      r->error_code = RILL_KAFKA_ERR_INVALID_REQUEST;
      r->error_message = rill__wire_str_from(why);
    } else if (!rill__acls_add(acls_of(req), &b, &error)) {
      r->error_code = RILL_KAFKA_ERR_UNKNOWN_SERVER_ERROR;
      rill__broker_event(req->broker, "error", "acl_store_failed", "error=\"%s\"", error->message);
      r->error_message = rill__wire_str_from("The ACL could not be stored; details are in the broker's log.");
      g_error_free(error);
    } else {
      rill__broker_event(req->broker, "info", "acl_created",
                         "principal=\"%s\" resource_type=%d name=\"%s\" pattern=%d acl_principal=\"%s\" host=\"%s\" "
                         "operation=%d permission=%d",
                         rill__broker_req_principal(req), b.resource_type, b.name, b.pattern_type, b.principal, b.host,
                         b.operation, b.permission);
    }
  }
  rill__broker_respond(req, &out);
}

/* ---- DescribeAcls ---- */

void rill__handle_describe_acls(rill__broker_req *req)
{
  const rill__wire_describe_acls_request *in = &req->body->describe_acls;
  rill__wire_describe_acls_response out;
  rill__wire_describe_acls_response_init(&out);
  if (!cluster_allowed(req, RILL__OP_DESCRIBE)) {
    out.error_code = RILL_KAFKA_ERR_CLUSTER_AUTHORIZATION_FAILED;
    rill__broker_respond(req, &out);
    return;
  }
  rill__acl_binding f = {in->resource_type_filter, in->pattern_type_filter, in->operation, in->permission_type,
                         req_str(req, in->resource_name_filter), req_str(req, in->principal_filter),
                         req_str(req, in->host_filter)};
  GPtrArray *found = rill__acls_find(acls_of(req), &f);
  /* Group by resource (type, name, pattern), in store order. */
  out.resources = rill__broker_req_new0(req, rill__wire_describe_acls_response_resource, found->len);
  for (guint i = 0; i < found->len; i++) {
    const rill__acl_binding *b = found->pdata[i];
    rill__wire_describe_acls_response_resource *res = NULL;
    for (int32_t k = 0; k < out.n_resources && !res; k++) {
      rill__wire_describe_acls_response_resource *x = &out.resources[k];
      if (x->resource_type == b->resource_type && x->pattern_type == b->pattern_type &&
          rill__wire_str_eq(x->resource_name, b->name))
        res = x;
    }
    if (!res) {
      res = &out.resources[out.n_resources++];
      res->resource_type = b->resource_type;
      res->resource_name = rill__wire_str_from(rill__broker_req_strdup(req, rill__wire_str_from(b->name)));
      res->pattern_type = b->pattern_type;
      res->acls = rill__broker_req_new0(req, rill__wire_describe_acls_response_acl_description, found->len);
    }
    rill__wire_describe_acls_response_acl_description *d = &res->acls[res->n_acls++];
    d->principal = rill__wire_str_from(rill__broker_req_strdup(req, rill__wire_str_from(b->principal)));
    d->host = rill__wire_str_from(rill__broker_req_strdup(req, rill__wire_str_from(b->host)));
    d->operation = b->operation;
    d->permission_type = b->permission;
  }
  g_ptr_array_unref(found);
  out.error_message = RILL_WIRE_STR_NULL;
  rill__broker_respond(req, &out);
}

/* ---- DeleteAcls ---- */

void rill__handle_delete_acls(rill__broker_req *req)
{
  const rill__wire_delete_acls_request *in = &req->body->delete_acls;
  rill__wire_delete_acls_response out;
  rill__wire_delete_acls_response_init(&out);
  out.n_filter_results = MAX(in->n_filters, 0);
  out.filter_results = rill__broker_req_new0(req, rill__wire_delete_acls_response_filter_result, out.n_filter_results);
  gboolean allowed = cluster_allowed(req, RILL__OP_ALTER);
  for (int32_t i = 0; i < out.n_filter_results; i++) {
    const rill__wire_delete_acls_request_filter *in_f = &in->filters[i];
    rill__wire_delete_acls_response_filter_result *r = &out.filter_results[i];
    r->error_message = RILL_WIRE_STR_NULL;
    if (!allowed) {
      r->error_code = RILL_KAFKA_ERR_CLUSTER_AUTHORIZATION_FAILED;
      continue;
    }
    rill__acl_binding f = {in_f->resource_type_filter, in_f->pattern_type_filter, in_f->operation,
                           in_f->permission_type, req_str(req, in_f->resource_name_filter),
                           req_str(req, in_f->principal_filter), req_str(req, in_f->host_filter)};
    GError *error = NULL;
    GPtrArray *gone = rill__acls_remove(acls_of(req), &f, &error);
    if (!gone) {
      r->error_code = RILL_KAFKA_ERR_UNKNOWN_SERVER_ERROR;
      rill__broker_event(req->broker, "error", "acl_store_failed", "error=\"%s\"", error->message);
      g_error_free(error);
      continue;
    }
    r->n_matching_acls = (int32_t)gone->len;
    r->matching_acls = rill__broker_req_new0(req, rill__wire_delete_acls_response_matching_acl, gone->len);
    for (guint k = 0; k < gone->len; k++) {
      const rill__acl_binding *b = gone->pdata[k];
      rill__wire_delete_acls_response_matching_acl *m = &r->matching_acls[k];
      m->error_message = RILL_WIRE_STR_NULL;
      m->resource_type = b->resource_type;
      m->resource_name = rill__wire_str_from(rill__broker_req_strdup(req, rill__wire_str_from(b->name)));
      m->pattern_type = b->pattern_type;
      m->principal = rill__wire_str_from(rill__broker_req_strdup(req, rill__wire_str_from(b->principal)));
      m->host = rill__wire_str_from(rill__broker_req_strdup(req, rill__wire_str_from(b->host)));
      m->operation = b->operation;
      m->permission_type = b->permission;
    }
    if (gone->len)
      rill__broker_event(req->broker, "info", "acls_deleted", "principal=\"%s\" count=%u",
                         rill__broker_req_principal(req), gone->len);
    g_ptr_array_unref(gone);
  }
  rill__broker_respond(req, &out);
}

/* ---- SCRAM credentials (KIP-554) ---- */

static int mech_of(int8_t kafka_id)
{
  return kafka_id == 1 ? RILL__SCRAM_SHA_256 : kafka_id == 2 ? RILL__SCRAM_SHA_512 : -1;
}

void rill__handle_describe_user_scram_credentials(rill__broker_req *req)
{
  const rill__wire_describe_user_scram_credentials_request *in = &req->body->describe_user_scram_credentials;
  rill__wire_describe_user_scram_credentials_response out;
  rill__wire_describe_user_scram_credentials_response_init(&out);
  out.error_message = RILL_WIRE_STR_NULL;
  if (!cluster_allowed(req, RILL__OP_DESCRIBE)) {
    out.error_code = RILL_KAFKA_ERR_CLUSTER_AUTHORIZATION_FAILED;
    rill__broker_respond(req, &out);
    return;
  }
  rill__credentials *creds = req->broker->security->creds;
  g_auto(GStrv) all = rill__credentials_users(creds);
  gboolean every = in->n_users <= 0;
  int32_t n = every ? (int32_t)g_strv_length(all) : in->n_users;
  out.results = rill__broker_req_new0(req, rill__wire_describe_user_scram_credentials_response_result, n);
  out.n_results = n;
  for (int32_t i = 0; i < n; i++) {
    rill__wire_describe_user_scram_credentials_response_result *r = &out.results[i];
    const char *user = every ? rill__broker_req_strdup(req, rill__wire_str_from(all[i])) : req_str(req, in->users[i].name);
    r->user = every ? rill__wire_str_from(user) : in->users[i].name;
    r->error_message = RILL_WIRE_STR_NULL;
    r->credential_infos = rill__broker_req_new0(req, rill__wire_describe_user_scram_credentials_response_credential_info, 2);
    for (int m = 0; user && m < 2; m++) {
      rill__scram_credential c;
      if (rill__credentials_lookup(creds, user, (rill__scram_mech)m, &c)) {
        r->credential_infos[r->n_credential_infos].mechanism = rill__scram_mech_kafka_id((rill__scram_mech)m);
        r->credential_infos[r->n_credential_infos++].iterations = c.iterations;
      }
    }
    if (!r->n_credential_infos) {
      r->error_code = RILL_KAFKA_ERR_RESOURCE_NOT_FOUND;
      r->error_message = rill__wire_str_from("Attempt to describe a user credential that does not exist");
    }
  }
  rill__broker_respond(req, &out);
}

/* The result entry for @user, added on first use. */
static rill__wire_alter_user_scram_credentials_response_result *
alter_result(rill__wire_alter_user_scram_credentials_response *out, rill__wire_str user)
{
  for (int32_t i = 0; i < out->n_results; i++)
    if (out->results[i].user.len == user.len && memcmp(out->results[i].user.ptr, user.ptr, (size_t)MAX(user.len, 0)) == 0)
      return &out->results[i];
  rill__wire_alter_user_scram_credentials_response_result *r = &out->results[out->n_results++];
  r->user = user;
  r->error_message = RILL_WIRE_STR_NULL;
  return r;
}

static void alter_fail(rill__wire_alter_user_scram_credentials_response_result *r, int16_t code, const char *msg)
{
  if (r->error_code)
    return;
  r->error_code = code;
  r->error_message = rill__wire_str_from(msg);
}

void rill__handle_alter_user_scram_credentials(rill__broker_req *req)
{
  const rill__wire_alter_user_scram_credentials_request *in = &req->body->alter_user_scram_credentials;
  rill__wire_alter_user_scram_credentials_response out;
  rill__wire_alter_user_scram_credentials_response_init(&out);
  int32_t nd = MAX(in->n_deletions, 0), nu = MAX(in->n_upsertions, 0);
  out.results = rill__broker_req_new0(req, rill__wire_alter_user_scram_credentials_response_result, nd + nu);
  gboolean allowed = cluster_allowed(req, RILL__OP_ALTER);
  rill__credentials *creds = req->broker->security->creds;
  for (int32_t i = 0; i < nd; i++) {
    const rill__wire_alter_user_scram_credentials_request_scram_credential_deletion *d = &in->deletions[i];
    rill__wire_alter_user_scram_credentials_response_result *r = alter_result(&out, d->name);
    char *user = req_str(req, d->name);
    int mech = mech_of(d->mechanism);
    GError *error = NULL;
    if (!allowed)
      alter_fail(r, RILL_KAFKA_ERR_CLUSTER_AUTHORIZATION_FAILED, "Cluster authorization failed.");
    else if (!user || !*user)
      alter_fail(r, RILL_KAFKA_ERR_UNACCEPTABLE_CREDENTIAL, "Username must not be empty");
    else if (mech < 0)
      alter_fail(r, RILL_KAFKA_ERR_UNSUPPORTED_SASL_MECHANISM, "Unknown SCRAM mechanism");
    else if (!rill__credentials_delete(creds, user, (rill__scram_mech)mech, &error)) {
      alter_fail(r, error ? RILL_KAFKA_ERR_UNKNOWN_SERVER_ERROR : RILL_KAFKA_ERR_RESOURCE_NOT_FOUND,
                 error ? "The credential store could not be written" : "Attempt to delete a user credential that does not exist");
      g_clear_error(&error);
    }
  }
  for (int32_t i = 0; i < nu; i++) {
    const rill__wire_alter_user_scram_credentials_request_scram_credential_upsertion *u = &in->upsertions[i];
    rill__wire_alter_user_scram_credentials_response_result *r = alter_result(&out, u->name);
    char *user = req_str(req, u->name);
    int mech = mech_of(u->mechanism);
    rill__scram_credential c;
    GError *error = NULL;
    if (!allowed)
      alter_fail(r, RILL_KAFKA_ERR_CLUSTER_AUTHORIZATION_FAILED, "Cluster authorization failed.");
    else if (!user || !*user)
      alter_fail(r, RILL_KAFKA_ERR_UNACCEPTABLE_CREDENTIAL, "Username must not be empty");
    else if (mech < 0)
      alter_fail(r, RILL_KAFKA_ERR_UNSUPPORTED_SASL_MECHANISM, "Unknown SCRAM mechanism");
    else if (u->iterations < RILL__SCRAM_MIN_ITERATIONS || u->iterations > RILL__SCRAM_MAX_ITERATIONS)
      alter_fail(r, RILL_KAFKA_ERR_UNACCEPTABLE_CREDENTIAL, "Iterations must be between 4096 and 16384");
    else if (!rill__scram_credential_from_salted(&c, (rill__scram_mech)mech, u->salted_password.ptr,
                                                 (size_t)MAX(u->salted_password.len, 0), u->salt.ptr,
                                                 (size_t)MAX(u->salt.len, 0), u->iterations))
      alter_fail(r, RILL_KAFKA_ERR_UNACCEPTABLE_CREDENTIAL, "Salt or salted password of the wrong size");
    else if (!rill__credentials_set(creds, user, &c, &error)) {
      alter_fail(r, RILL_KAFKA_ERR_UNKNOWN_SERVER_ERROR, "The credential store could not be written");
      rill__broker_event(req->broker, "error", "credential_store_failed", "error=\"%s\"", error->message);
      g_error_free(error);
    } else {
      rill__broker_event(req->broker, "info", "scram_credential_set", "principal=\"%s\" user=\"%s\" mechanism=%s",
                         rill__broker_req_principal(req), user, rill__scram_mech_name((rill__scram_mech)mech));
    }
  }
  rill__broker_respond(req, &out);
}

/* ---- The group gate ---- */

/* Answers @req with a rill__wire_<api>_response at its defaults but for
 * error_code @code; the arguments after @code are statements that set more
 * of the response `o` (fields whose default would read as a valid answer). */
#define RESPOND_ERROR(req, api, code, ...)                                                                           \
  do {                                                                                                               \
    rill__wire_##api##_response o;                                                                                   \
    rill__wire_##api##_response_init(&o);                                                                            \
    o.error_code = (code);                                                                                           \
    __VA_ARGS__;                                                                                                     \
    rill__broker_respond((req), &o);                                                                                 \
  } while (0)

static void respond_group_denied(rill__broker_req *req)
{
  const int16_t denied = RILL_KAFKA_ERR_GROUP_AUTHORIZATION_FAILED;
  switch (req->header.request_api_key) {
  case RILL_WIRE_API_JOIN_GROUP: RESPOND_ERROR(req, join_group, denied, o.generation_id = -1); return;
  case RILL_WIRE_API_SYNC_GROUP: RESPOND_ERROR(req, sync_group, denied); return;
  case RILL_WIRE_API_HEARTBEAT: RESPOND_ERROR(req, heartbeat, denied); return;
  case RILL_WIRE_API_LEAVE_GROUP: RESPOND_ERROR(req, leave_group, denied); return;
  case RILL_WIRE_API_OFFSET_FETCH: RESPOND_ERROR(req, offset_fetch, denied); return;
  case RILL_WIRE_API_FIND_COORDINATOR:
    RESPOND_ERROR(req, find_coordinator, denied, o.node_id = -1; o.host = rill__wire_str_from(""); o.port = -1);
    return;
  case RILL_WIRE_API_OFFSET_COMMIT: {
    /* No top-level error: every partition carries it. */
    const rill__wire_offset_commit_request *in = &req->body->offset_commit;
    rill__wire_offset_commit_response o;
    rill__wire_offset_commit_response_init(&o);
    o.n_topics = MAX(in->n_topics, 0);
    o.topics = rill__broker_req_new0(req, rill__wire_offset_commit_response_topic, o.n_topics);
    for (int32_t t = 0; t < o.n_topics; t++) {
      o.topics[t].name = in->topics[t].name;
      o.topics[t].n_partitions = MAX(in->topics[t].n_partitions, 0);
      o.topics[t].partitions = rill__broker_req_new0(req, rill__wire_offset_commit_response_partition,
                                                     o.topics[t].n_partitions);
      for (int32_t p = 0; p < o.topics[t].n_partitions; p++) {
        o.topics[t].partitions[p].partition_index = in->topics[t].partitions[p].partition_index;
        o.topics[t].partitions[p].error_code = denied;
      }
    }
    rill__broker_respond(req, &o);
    return;
  }
  default:
    g_assert_not_reached();
  }
}

static gboolean group_ok(rill__broker_req *req, rill__wire_str group, int8_t op)
{
  char *name = req_str(req, group);
  return name && rill__broker_authorize(req, RILL__RES_GROUP, name, op);
}

gboolean rill__acl_gate(rill__broker_req *req)
{
  const rill__wire_request_body *b = req->body;
  gboolean ok = TRUE;
  switch (req->header.request_api_key) {
  case RILL_WIRE_API_JOIN_GROUP: ok = group_ok(req, b->join_group.group_id, RILL__OP_READ); break;
  case RILL_WIRE_API_SYNC_GROUP: ok = group_ok(req, b->sync_group.group_id, RILL__OP_READ); break;
  case RILL_WIRE_API_HEARTBEAT: ok = group_ok(req, b->heartbeat.group_id, RILL__OP_READ); break;
  case RILL_WIRE_API_LEAVE_GROUP: ok = group_ok(req, b->leave_group.group_id, RILL__OP_READ); break;
  case RILL_WIRE_API_OFFSET_COMMIT: ok = group_ok(req, b->offset_commit.group_id, RILL__OP_READ); break;
  case RILL_WIRE_API_OFFSET_FETCH: /* v8+ names several groups: checked per group by the handler */
    ok = req->header.request_api_version >= 8 || group_ok(req, b->offset_fetch.group_id, RILL__OP_DESCRIBE);
    break;
  case RILL_WIRE_API_FIND_COORDINATOR:
    ok = b->find_coordinator.key_type != 0 || group_ok(req, b->find_coordinator.key, RILL__OP_DESCRIBE);
    break;
  default: break;
  }
  if (!ok)
    respond_group_denied(req);
  return ok;
}
