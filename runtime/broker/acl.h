/* acl.h — ACLs with Kafka's authorizer semantics (AclAuthorizer).
 *
 * A binding: resource (type, name, LITERAL or PREFIXED pattern), principal
 * ("User:alice", "User:*"), host ("*" or an address), operation, ALLOW or
 * DENY. A request is allowed when the principal is a super user; else the
 * bindings matching the resource (literal name, literal "*", or a prefix of
 * the name) decide: none at all → allow.everyone.if.no.acl.found; a DENY
 * for the principal (or User:*), host and operation (or ALL) → denied; an
 * ALLOW likewise → allowed (ALLOW on READ, WRITE, DELETE or ALTER implies
 * DESCRIBE; ALTER_CONFIGS implies DESCRIBE_CONFIGS); otherwise denied.
 *
 * Numbers are Kafka's wire values (ResourceType, PatternType, AclOperation,
 * AclPermissionType). Bindings persist in <data dir>/.security/acls,
 * replaced atomically on each change. I/O thread only.
 */
#pragma once

#include <glib.h>
#include <stdint.h>

typedef enum {
  RILL__RES_ANY = 1,
  RILL__RES_TOPIC = 2,
  RILL__RES_GROUP = 3,
  RILL__RES_CLUSTER = 4,
  RILL__RES_TRANSACTIONAL_ID = 5,
} rill__acl_resource;

typedef enum { RILL__PAT_ANY = 1, RILL__PAT_MATCH = 2, RILL__PAT_LITERAL = 3, RILL__PAT_PREFIXED = 4 } rill__acl_pattern;

typedef enum {
  RILL__OP_ANY = 1,
  RILL__OP_ALL = 2,
  RILL__OP_READ = 3,
  RILL__OP_WRITE = 4,
  RILL__OP_CREATE = 5,
  RILL__OP_DELETE = 6,
  RILL__OP_ALTER = 7,
  RILL__OP_DESCRIBE = 8,
  RILL__OP_CLUSTER_ACTION = 9,
  RILL__OP_DESCRIBE_CONFIGS = 10,
  RILL__OP_ALTER_CONFIGS = 11,
  RILL__OP_IDEMPOTENT_WRITE = 12,
} rill__acl_op;

typedef enum { RILL__PERM_ANY = 1, RILL__PERM_DENY = 2, RILL__PERM_ALLOW = 3 } rill__acl_perm;

#define RILL__CLUSTER_NAME "kafka-cluster"

typedef struct {
  int8_t resource_type, pattern_type, operation, permission;
  char *name, *principal, *host; /* owned by the store; a filter's may be NULL (any) */
} rill__acl_binding;

typedef struct rill__acls rill__acls;

/* Loads <dir>/acls (@dir is created with the first binding). @super_users: "User:a;User:b". NULL with @error on a
 * malformed file. */
rill__acls *rill__acls_open(const char *dir, const char *super_users, gboolean allow_if_no_acl, GError **error);
void rill__acls_free(rill__acls *a);

gboolean rill__acls_authorize(rill__acls *a, const char *principal, const char *host, int8_t resource_type,
                              const char *name, int8_t op);
/* TRUE when @principal may do @op on some resource of @resource_type (an
 * ALLOW binding names it, or User:*, or it is a super user). */
gboolean rill__acls_any_allowed(rill__acls *a, const char *principal, int8_t resource_type, int8_t op);

/* NULL when @b is a valid binding to create, else why not (static text). */
const char *rill__acl_binding_invalid(const rill__acl_binding *b);
/* Adds @b (copied; a duplicate is a no-op) and persists. */
gboolean rill__acls_add(rill__acls *a, const rill__acl_binding *b, GError **error);
/* TRUE when @b matches @filter (Kafka's AclBindingFilter.matches). */
gboolean rill__acl_filter_matches(const rill__acl_binding *filter, const rill__acl_binding *b);
/* Bindings matching @filter. (transfer container: the bindings belong to
 * the store and live until the next change) */
GPtrArray *rill__acls_find(rill__acls *a, const rill__acl_binding *filter);
/* Removes and returns (transfer full: g_ptr_array_unref frees them) the
 * bindings matching @filter, then persists. NULL with @error. */
GPtrArray *rill__acls_remove(rill__acls *a, const rill__acl_binding *filter, GError **error);
