/* acl.c — the ACL store and Kafka's authorization rule (acl.h).
 *
 * File: one binding per line, "type pattern operation permission name64
 * principal64 host64" (base64 so any name round-trips).
 */
#include "runtime/broker/acl.h"

#include <errno.h>
#include <string.h>

#include <rill/broker.h>

#include "runtime/files.h"

struct rill__acls {
  char *dir;
  char *path;
  GPtrArray *bindings; /* rill__acl_binding* */
  char **super_users;
  gboolean allow_if_no_acl;
};

static void binding_free(rill__acl_binding *b)
{
  g_free(b->name);
  g_free(b->principal);
  g_free(b->host);
  g_free(b);
}

static rill__acl_binding *binding_copy(const rill__acl_binding *b)
{
  rill__acl_binding *c = g_new(rill__acl_binding, 1);
  *c = *b;
  c->name = g_strdup(b->name);
  c->principal = g_strdup(b->principal);
  c->host = g_strdup(b->host);
  return c;
}

static char *b64(const char *s)
{
  return g_base64_encode((const guchar *)s, strlen(s));
}

static char *unb64(const char *s)
{
  gsize n = 0;
  guchar *d = g_base64_decode(s, &n);
  char *r = g_strndup((const char *)d, n);
  g_free(d);
  return r;
}

const char *rill__acl_binding_invalid(const rill__acl_binding *b)
{
  if (b->resource_type < RILL__RES_TOPIC || b->resource_type > RILL__RES_TRANSACTIONAL_ID)
    return "unsupported resource type";
  if (b->pattern_type != RILL__PAT_LITERAL && b->pattern_type != RILL__PAT_PREFIXED)
    return "pattern type must be LITERAL or PREFIXED";
  if (!b->name || !*b->name)
    return "empty resource name";
  if (b->resource_type == RILL__RES_CLUSTER && strcmp(b->name, RILL__CLUSTER_NAME) != 0)
    return "the cluster resource is named kafka-cluster";
  if (b->operation < RILL__OP_ALL || b->operation > RILL__OP_IDEMPOTENT_WRITE)
    return "unsupported operation";
  if (b->permission != RILL__PERM_ALLOW && b->permission != RILL__PERM_DENY)
    return "permission must be ALLOW or DENY";
  const char *colon = b->principal ? strchr(b->principal, ':') : NULL;
  if (!colon || colon == b->principal || !colon[1])
    return "principal must be Type:name (User:alice)";
  if (!b->host || !*b->host)
    return "empty host (use *)";
  return NULL;
}

static gboolean persist(rill__acls *a, GError **error)
{
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < a->bindings->len; i++) {
    rill__acl_binding *b = a->bindings->pdata[i];
    g_autofree char *n = b64(b->name), *p = b64(b->principal), *h = b64(b->host);
    g_string_append_printf(s, "%d %d %d %d %s %s %s\n", b->resource_type, b->pattern_type, b->operation,
                           b->permission, n, p, h);
  }
  const char *what = "cannot create";
  int rc = g_mkdir_with_parents(a->dir, 0700) == 0 ? rill__file_replace(a->path, s->str, s->len, &what) : -errno;
  g_string_free(s, TRUE);
  if (rc < 0) {
    g_set_error(error, RILL_BROKER_ERROR, RILL_BROKER_ERROR_CONFIG, "%s %s: %s", what, a->path, g_strerror(-rc));
    return FALSE;
  }
  return TRUE;
}

rill__acls *rill__acls_open(const char *dir, const char *super_users, gboolean allow_if_no_acl, GError **error)
{
  rill__acls *a = g_new0(rill__acls, 1);
  a->dir = g_strdup(dir);
  a->path = g_build_filename(dir, "acls", NULL);
  a->bindings = g_ptr_array_new_with_free_func((GDestroyNotify)binding_free);
  a->allow_if_no_acl = allow_if_no_acl;
  a->super_users = g_strsplit(super_users, ";", -1);
  for (guint i = 0; a->super_users[i]; i++)
    g_strstrip(a->super_users[i]);
  g_autofree char *text = NULL;
  GError *local = NULL;
  if (!g_file_get_contents(a->path, &text, NULL, &local)) {
    if (g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
      g_error_free(local);
      return a;
    }
    g_set_error(error, RILL_BROKER_ERROR, RILL_BROKER_ERROR_CONFIG, "%s", local->message);
    g_error_free(local);
    rill__acls_free(a);
    return NULL;
  }
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  for (guint i = 0; lines[i]; i++) {
    if (!*lines[i])
      continue;
    g_auto(GStrv) f = g_strsplit(lines[i], " ", -1);
    rill__acl_binding b = {0};
    if (g_strv_length(f) == 7) {
      b.resource_type = (int8_t)atoi(f[0]);
      b.pattern_type = (int8_t)atoi(f[1]);
      b.operation = (int8_t)atoi(f[2]);
      b.permission = (int8_t)atoi(f[3]);
      b.name = unb64(f[4]);
      b.principal = unb64(f[5]);
      b.host = unb64(f[6]);
    }
    if (rill__acl_binding_invalid(&b)) {
      g_set_error(error, RILL_BROKER_ERROR, RILL_BROKER_ERROR_CONFIG, "%s:%u: malformed ACL line", a->path, i + 1);
      g_free(b.name);
      g_free(b.principal);
      g_free(b.host);
      rill__acls_free(a);
      return NULL;
    }
    g_ptr_array_add(a->bindings, g_memdup2(&b, sizeof b));
  }
  return a;
}

void rill__acls_free(rill__acls *a)
{
  if (!a)
    return;
  g_ptr_array_unref(a->bindings);
  g_strfreev(a->super_users);
  g_free(a->dir);
  g_free(a->path);
  g_free(a);
}

static gboolean resource_matches(const rill__acl_binding *b, int8_t type, const char *name)
{
  if (b->resource_type != type)
    return FALSE;
  if (b->pattern_type == RILL__PAT_PREFIXED)
    return g_str_has_prefix(name, b->name);
  return strcmp(b->name, name) == 0 || strcmp(b->name, "*") == 0;
}

static gboolean who_matches(const rill__acl_binding *b, const char *principal, const char *host)
{
  return (strcmp(b->principal, principal) == 0 || strcmp(b->principal, "User:*") == 0) &&
         (strcmp(b->host, "*") == 0 || strcmp(b->host, host) == 0);
}

static gboolean is_super(rill__acls *a, const char *principal)
{
  return g_strv_contains((const char *const *)a->super_users, principal);
}

gboolean rill__acls_authorize(rill__acls *a, const char *principal, const char *host, int8_t type, const char *name,
                              int8_t op)
{
  if (is_super(a, principal))
    return TRUE;
  gboolean any = FALSE, allowed = FALSE;
  for (guint i = 0; i < a->bindings->len; i++) {
    const rill__acl_binding *b = a->bindings->pdata[i];
    if (!resource_matches(b, type, name))
      continue;
    any = TRUE;
    if (!who_matches(b, principal, host))
      continue;
    if (b->permission == RILL__PERM_DENY) {
      if (b->operation == op || b->operation == RILL__OP_ALL)
        return FALSE; /* deny wins */
      continue;
    }
    gboolean implies = b->operation == op || b->operation == RILL__OP_ALL ||
                       (op == RILL__OP_DESCRIBE && (b->operation == RILL__OP_READ || b->operation == RILL__OP_WRITE ||
                                                    b->operation == RILL__OP_DELETE || b->operation == RILL__OP_ALTER)) ||
                       (op == RILL__OP_DESCRIBE_CONFIGS && b->operation == RILL__OP_ALTER_CONFIGS);
    allowed |= implies;
  }
  return any ? allowed : a->allow_if_no_acl;
}

gboolean rill__acls_any_allowed(rill__acls *a, const char *principal, int8_t type, int8_t op)
{
  if (is_super(a, principal))
    return TRUE;
  for (guint i = 0; i < a->bindings->len; i++) {
    const rill__acl_binding *b = a->bindings->pdata[i];
    if (b->resource_type == type && b->permission == RILL__PERM_ALLOW &&
        (b->operation == op || b->operation == RILL__OP_ALL) &&
        (strcmp(b->principal, principal) == 0 || strcmp(b->principal, "User:*") == 0))
      return TRUE;
  }
  return FALSE;
}

gboolean rill__acl_filter_matches(const rill__acl_binding *f, const rill__acl_binding *b)
{
  if (f->resource_type != RILL__RES_ANY && f->resource_type != b->resource_type)
    return FALSE;
  if (f->pattern_type == RILL__PAT_MATCH) {
    if (f->name && !(b->pattern_type == RILL__PAT_PREFIXED ? g_str_has_prefix(f->name, b->name)
                                                           : strcmp(b->name, f->name) == 0 || strcmp(b->name, "*") == 0))
      return FALSE;
  } else {
    if (f->pattern_type != RILL__PAT_ANY && f->pattern_type != b->pattern_type)
      return FALSE;
    if (f->name && strcmp(f->name, b->name) != 0)
      return FALSE;
  }
  if (f->principal && strcmp(f->principal, b->principal) != 0)
    return FALSE;
  if (f->host && strcmp(f->host, b->host) != 0)
    return FALSE;
  if (f->operation != RILL__OP_ANY && f->operation != b->operation)
    return FALSE;
  if (f->permission != RILL__PERM_ANY && f->permission != b->permission)
    return FALSE;
  return TRUE;
}

gboolean rill__acls_add(rill__acls *a, const rill__acl_binding *b, GError **error)
{
  rill__acl_binding exact = *b;
  GPtrArray *same = rill__acls_find(a, &exact);
  gboolean dup = same->len > 0;
  g_ptr_array_unref(same);
  if (dup)
    return TRUE;
  g_ptr_array_add(a->bindings, binding_copy(b));
  if (persist(a, error))
    return TRUE;
  g_ptr_array_remove_index(a->bindings, a->bindings->len - 1);
  return FALSE;
}

GPtrArray *rill__acls_find(rill__acls *a, const rill__acl_binding *filter)
{
  GPtrArray *out = g_ptr_array_new();
  for (guint i = 0; i < a->bindings->len; i++)
    if (rill__acl_filter_matches(filter, a->bindings->pdata[i]))
      g_ptr_array_add(out, a->bindings->pdata[i]);
  return out;
}

GPtrArray *rill__acls_remove(rill__acls *a, const rill__acl_binding *filter, GError **error)
{
  GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)binding_free);
  GPtrArray *keep = g_ptr_array_new_with_free_func((GDestroyNotify)binding_free);
  for (guint i = 0; i < a->bindings->len; i++) {
    rill__acl_binding *b = a->bindings->pdata[i];
    g_ptr_array_add(rill__acl_filter_matches(filter, b) ? out : keep, b);
  }
  if (out->len == 0) {
    g_ptr_array_set_free_func(keep, NULL);
    g_ptr_array_unref(keep);
    return out;
  }
  GPtrArray *old = a->bindings;
  a->bindings = keep;
  if (!persist(a, error)) {
    a->bindings = old;
    g_ptr_array_set_free_func(keep, NULL);
    g_ptr_array_unref(keep);
    g_ptr_array_set_free_func(out, NULL);
    g_ptr_array_unref(out);
    return NULL;
  }
  g_ptr_array_set_free_func(old, NULL);
  g_ptr_array_unref(old);
  return out;
}
