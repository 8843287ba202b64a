/* test-acl.c — the authorizer's rules (runtime/broker/acl.c) on a real
 * store in a temp dir: Kafka's deny-wins, literal/wildcard/prefixed
 * matching, implied DESCRIBE, User:* and hosts, super users,
 * allow.everyone.if.no.acl.found, filters (DescribeAcls/DeleteAcls
 * semantics), validation, and persistence across a reopen. Expected
 * outcomes are Kafka's documented AclAuthorizer behaviour. */
#include <glib/gstdio.h>

#include "runtime/broker/acl.h"
#include "runtime/files.h"

static rill__acl_binding b(int8_t type, const char *name, int8_t pattern, const char *principal, int8_t op,
                           int8_t perm)
{
  return (rill__acl_binding){type, pattern, op, perm, (char *)name, (char *)principal, (char *)"*"};
}

static void add(rill__acls *a, rill__acl_binding x)
{
  GError *e = NULL;
  g_assert_null(rill__acl_binding_invalid(&x));
  g_assert_true(rill__acls_add(a, &x, &e));
  g_assert_no_error(e);
}

#define T RILL__RES_TOPIC
#define G RILL__RES_GROUP

static void test_rules(void)
{
  g_autofree char *dir = g_dir_make_tmp("rill-acl-XXXXXX", NULL);
  GError *e = NULL;
  rill__acls *a = rill__acls_open(dir, "User:root;User:CN=ops,O=x", FALSE, &e);
  g_assert_no_error(e);
  /* No binding anywhere: allow.everyone.if.no.acl.found (false here). */
  g_assert_false(rill__acls_authorize(a, "User:alice", "1.2.3.4", T, "t", RILL__OP_READ));
  g_assert_true(rill__acls_authorize(a, "User:root", "1.2.3.4", T, "t", RILL__OP_DELETE));
  g_assert_true(rill__acls_authorize(a, "User:CN=ops,O=x", "1.2.3.4", RILL__RES_CLUSTER, "kafka-cluster",
                                     RILL__OP_ALTER));

  add(a, b(T, "orders", RILL__PAT_PREFIXED, "User:alice", RILL__OP_WRITE, RILL__PERM_ALLOW));
  add(a, b(T, "orders-secret", RILL__PAT_LITERAL, "User:alice", RILL__OP_ALL, RILL__PERM_DENY));
  add(a, b(T, "*", RILL__PAT_LITERAL, "User:*", RILL__OP_READ, RILL__PERM_ALLOW));
  add(a, b(G, "app", RILL__PAT_LITERAL, "User:bob", RILL__OP_READ, RILL__PERM_ALLOW));
  add(a, b(T, "orders-eu", RILL__PAT_LITERAL, "User:bob", RILL__OP_READ, RILL__PERM_DENY));

  g_assert_true(rill__acls_authorize(a, "User:alice", "h", T, "orders-1", RILL__OP_WRITE));
  g_assert_false(rill__acls_authorize(a, "User:alice", "h", T, "order", RILL__OP_WRITE)); /* not the prefix */
  g_assert_false(rill__acls_authorize(a, "User:alice", "h", T, "orders-1", RILL__OP_DELETE));
  /* WRITE implies DESCRIBE; READ from the wildcard for everyone. */
  g_assert_true(rill__acls_authorize(a, "User:alice", "h", T, "orders-1", RILL__OP_DESCRIBE));
  g_assert_true(rill__acls_authorize(a, "User:carol", "h", T, "anything", RILL__OP_READ));
  g_assert_true(rill__acls_authorize(a, "User:carol", "h", T, "anything", RILL__OP_DESCRIBE));
  g_assert_false(rill__acls_authorize(a, "User:carol", "h", T, "anything", RILL__OP_WRITE));
  /* Deny wins: ALL denied beats the prefix ALLOW and the wildcard READ. */
  g_assert_false(rill__acls_authorize(a, "User:alice", "h", T, "orders-secret", RILL__OP_WRITE));
  g_assert_false(rill__acls_authorize(a, "User:alice", "h", T, "orders-secret", RILL__OP_READ));
  g_assert_false(rill__acls_authorize(a, "User:bob", "h", T, "orders-eu", RILL__OP_READ));
  /* A DENY of READ does not deny DESCRIBE (implied by the wildcard READ). */
  g_assert_true(rill__acls_authorize(a, "User:bob", "h", T, "orders-eu", RILL__OP_DESCRIBE));
  /* Resource types are separate. */
  g_assert_true(rill__acls_authorize(a, "User:bob", "h", G, "app", RILL__OP_READ));
  g_assert_false(rill__acls_authorize(a, "User:bob", "h", G, "app2", RILL__OP_READ));
  g_assert_true(rill__acls_any_allowed(a, "User:alice", T, RILL__OP_WRITE));
  g_assert_false(rill__acls_any_allowed(a, "User:bob", T, RILL__OP_WRITE));

  /* Hosts. */
  rill__acl_binding h = b(G, "hosted", RILL__PAT_LITERAL, "User:dave", RILL__OP_READ, RILL__PERM_ALLOW);
  h.host = (char *)"10.0.0.1";
  add(a, h);
  g_assert_true(rill__acls_authorize(a, "User:dave", "10.0.0.1", G, "hosted", RILL__OP_READ));
  g_assert_false(rill__acls_authorize(a, "User:dave", "10.0.0.2", G, "hosted", RILL__OP_READ));

  /* Filters: MATCH finds every binding that applies to a name. */
  rill__acl_binding f = {RILL__RES_ANY, RILL__PAT_MATCH, RILL__OP_ANY, RILL__PERM_ANY, (char *)"orders-secret", NULL, NULL};
  GPtrArray *found = rill__acls_find(a, &f);
  g_assert_cmpuint(found->len, ==, 3); /* prefix orders, literal orders-secret, wildcard * */
  g_ptr_array_unref(found);
  f = (rill__acl_binding){T, RILL__PAT_ANY, RILL__OP_ANY, RILL__PERM_DENY, NULL, NULL, NULL};
  GPtrArray *gone = rill__acls_remove(a, &f, &e);
  g_assert_no_error(e);
  g_assert_cmpuint(gone->len, ==, 2);
  g_ptr_array_unref(gone);
  g_assert_true(rill__acls_authorize(a, "User:alice", "h", T, "orders-secret", RILL__OP_WRITE));
  rill__acls_free(a);

  /* Persistence: the same answers after reopening; allow-everyone applies
   * only to resources without bindings. */
  a = rill__acls_open(dir, "", TRUE, &e);
  g_assert_no_error(e);
  g_assert_true(rill__acls_authorize(a, "User:alice", "h", T, "orders-secret", RILL__OP_WRITE));
  g_assert_false(rill__acls_authorize(a, "User:carol", "h", T, "anything", RILL__OP_WRITE)); /* * has bindings */
  g_assert_true(rill__acls_authorize(a, "User:carol", "h", G, "no-acls", RILL__OP_READ));
  f = (rill__acl_binding){RILL__RES_ANY, RILL__PAT_ANY, RILL__OP_ANY, RILL__PERM_ANY, NULL, NULL, NULL};
  found = rill__acls_find(a, &f);
  g_assert_cmpuint(found->len, ==, 4);
  g_ptr_array_unref(found);
  rill__acls_free(a);
  rill__rm_rf(dir);
}

static void test_invalid(void)
{
  rill__acl_binding x = b(RILL__RES_CLUSTER, "other", RILL__PAT_LITERAL, "User:a", RILL__OP_ALTER, RILL__PERM_ALLOW);
  g_assert_nonnull(rill__acl_binding_invalid(&x));
  x = b(T, "t", RILL__PAT_MATCH, "User:a", RILL__OP_READ, RILL__PERM_ALLOW);
  g_assert_nonnull(rill__acl_binding_invalid(&x));
  x = b(T, "t", RILL__PAT_LITERAL, "alice", RILL__OP_READ, RILL__PERM_ALLOW);
  g_assert_nonnull(rill__acl_binding_invalid(&x));
  x = b(T, "t", RILL__PAT_LITERAL, "User:a", RILL__OP_ANY, RILL__PERM_ALLOW);
  g_assert_nonnull(rill__acl_binding_invalid(&x));
  x = b(T, "t", RILL__PAT_LITERAL, "User:a", RILL__OP_READ, RILL__PERM_ANY);
  g_assert_nonnull(rill__acl_binding_invalid(&x));
  x = b(T, "", RILL__PAT_LITERAL, "User:a", RILL__OP_READ, RILL__PERM_ALLOW);
  g_assert_nonnull(rill__acl_binding_invalid(&x));

  /* A damaged file is an error, not an empty (open) store. */
  g_autofree char *dir = g_dir_make_tmp("rill-acl-XXXXXX", NULL);
  g_autofree char *path = g_build_filename(dir, "acls", NULL);
  g_assert_true(g_file_set_contents(path, "2 3 3 3 dA== garbage\n", -1, NULL));
  GError *e = NULL;
  g_assert_null(rill__acls_open(dir, "", FALSE, &e));
  g_assert_nonnull(e);
  g_error_free(e);
  rill__rm_rf(dir);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/acl/rules", test_rules);
  g_test_add_func("/acl/invalid", test_invalid);
  return g_test_run();
}
