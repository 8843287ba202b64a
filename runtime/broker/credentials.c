/* credentials.c — the SCRAM credential store (credentials.h). */
#include "runtime/broker/credentials.h"

#include <errno.h>
#include <string.h>

#include <rill/broker.h>

#include "runtime/files.h"

#define FILE_NAME "scram-credentials"

struct rill__credentials {
  char *dir;
  char *path;
  GHashTable *users; /* user → rill__scram_credential[2] (mech index; iterations 0 = none) */
};

static rill__scram_credential *entry(rill__credentials *c, const char *user, gboolean create)
{
  rill__scram_credential *e = g_hash_table_lookup(c->users, user);
  if (!e && create) {
    e = g_new0(rill__scram_credential, 2);
    g_hash_table_insert(c->users, g_strdup(user), e);
  }
  return e;
}

static gboolean parse_line(rill__credentials *c, const char *line, GError **error)
{
  g_auto(GStrv) f = g_strsplit(line, " ", -1);
  if (g_strv_length(f) != 6)
    return FALSE;
  gsize ulen = 0, slen = 0, klen = 0, vlen = 0;
  g_autofree guchar *user = g_base64_decode(f[0], &ulen);
  g_autofree guchar *salt = g_base64_decode(f[3], &slen);
  g_autofree guchar *stored = g_base64_decode(f[4], &klen);
  g_autofree guchar *server = g_base64_decode(f[5], &vlen);
  int mech = rill__scram_mech_parse(f[1]);
  long iter = strtol(f[2], NULL, 10);
  if (mech < 0 || !ulen || memchr(user, '\0', ulen) || !slen || slen > 64 || iter < 1 ||
      klen != rill__scram_key_len((rill__scram_mech)mech) || vlen != klen)
    return FALSE;
  g_autofree char *name = g_strndup((const char *)user, ulen);
  rill__scram_credential *e = &entry(c, name, TRUE)[mech];
  e->mech = (rill__scram_mech)mech;
  e->iterations = (int32_t)iter;
  memcpy(e->salt, salt, slen);
  e->salt_len = slen;
  memcpy(e->stored_key, stored, klen);
  memcpy(e->server_key, server, vlen);
  return TRUE;
}

rill__credentials *rill__credentials_open(const char *dir, GError **error)
{
  rill__credentials *c = g_new0(rill__credentials, 1);
  c->dir = g_strdup(dir);
  c->path = g_build_filename(dir, FILE_NAME, NULL);
  c->users = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  g_autofree char *text = NULL;
  GError *local = NULL;
  if (!g_file_get_contents(c->path, &text, NULL, &local)) {
    if (g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
      g_error_free(local);
      return c;
    }
    g_set_error(error, RILL_BROKER_ERROR, RILL_BROKER_ERROR_CONFIG, "%s", local->message);
    g_error_free(local);
    rill__credentials_free(c);
    return NULL;
  }
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  for (guint i = 0; lines[i]; i++) {
    if (!*lines[i])
      continue;
    if (!parse_line(c, lines[i], error)) {
      g_set_error(error, RILL_BROKER_ERROR, RILL_BROKER_ERROR_CONFIG, "%s:%u: malformed credential line", c->path,
                  i + 1);
      rill__credentials_free(c);
      return NULL;
    }
  }
  return c;
}

void rill__credentials_free(rill__credentials *c)
{
  if (!c)
    return;
  g_hash_table_destroy(c->users);
  g_free(c->dir);
  g_free(c->path);
  g_free(c);
}

gboolean rill__credentials_lookup(rill__credentials *c, const char *user, rill__scram_mech mech,
                                  rill__scram_credential *out)
{
  rill__scram_credential *e = entry(c, user, FALSE);
  if (!e || e[mech].iterations == 0)
    return FALSE;
  *out = e[mech];
  return TRUE;
}

gboolean rill__credentials_has_user(rill__credentials *c, const char *user)
{
  return entry(c, user, FALSE) != NULL;
}

static gint cmp_str(gconstpointer a, gconstpointer b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

char **rill__credentials_users(rill__credentials *c)
{
  GPtrArray *a = g_ptr_array_new();
  GHashTableIter it;
  gpointer k;
  g_hash_table_iter_init(&it, c->users);
  while (g_hash_table_iter_next(&it, &k, NULL))
    g_ptr_array_add(a, g_strdup(k));
  g_ptr_array_sort(a, cmp_str);
  g_ptr_array_add(a, NULL);
  return (char **)g_ptr_array_free(a, FALSE);
}

static gboolean persist(rill__credentials *c, GError **error)
{
  GString *s = g_string_new(NULL);
  g_auto(GStrv) users = rill__credentials_users(c);
  for (guint i = 0; users[i]; i++) {
    rill__scram_credential *e = entry(c, users[i], FALSE);
    g_autofree char *u = g_base64_encode((const guchar *)users[i], strlen(users[i]));
    for (int m = 0; m < 2; m++) {
      if (!e[m].iterations)
        continue;
      size_t kl = rill__scram_key_len(e[m].mech);
      g_autofree char *salt = g_base64_encode(e[m].salt, e[m].salt_len);
      g_autofree char *st = g_base64_encode(e[m].stored_key, kl);
      g_autofree char *sv = g_base64_encode(e[m].server_key, kl);
      g_string_append_printf(s, "%s %s %d %s %s %s\n", u, rill__scram_mech_name(e[m].mech), e[m].iterations, salt,
                             st, sv);
    }
  }
  const char *what = "cannot create";
  int rc = g_mkdir_with_parents(c->dir, 0700) == 0 ? rill__file_replace(c->path, s->str, s->len, &what) : -errno;
  g_string_free(s, TRUE);
  if (rc < 0) {
    g_set_error(error, RILL_BROKER_ERROR, RILL_BROKER_ERROR_CONFIG, "%s %s: %s", what, c->path, g_strerror(-rc));
    return FALSE;
  }
  return TRUE;
}

gboolean rill__credentials_set(rill__credentials *c, const char *user, const rill__scram_credential *cred,
                               GError **error)
{
  gboolean existed = entry(c, user, FALSE) != NULL;
  rill__scram_credential *e = entry(c, user, TRUE);
  rill__scram_credential old = e[cred->mech];
  e[cred->mech] = *cred;
  if (persist(c, error))
    return TRUE;
  if (existed)
    e[cred->mech] = old;
  else
    g_hash_table_remove(c->users, user);
  return FALSE;
}

gboolean rill__credentials_delete(rill__credentials *c, const char *user, rill__scram_mech mech, GError **error)
{
  rill__scram_credential *e = entry(c, user, FALSE);
  if (!e || !e[mech].iterations)
    return FALSE;
  rill__scram_credential old = e[mech];
  memset(&e[mech], 0, sizeof e[mech]);
  gboolean empty = !e[0].iterations && !e[1].iterations;
  if (!persist(c, error)) {
    e[mech] = old;
    return FALSE;
  }
  if (empty)
    g_hash_table_remove(c->users, user);
  return TRUE;
}

int rill__credentials_bootstrap(rill__credentials *c, const char *path, GError **error)
{
  g_autofree char *text = NULL;
  GError *local = NULL;
  if (!g_file_get_contents(path, &text, NULL, &local)) {
    g_set_error(error, RILL_BROKER_ERROR, RILL_BROKER_ERROR_CONFIG, "rill.sasl.users.file: %s", local->message);
    g_error_free(local);
    return -1;
  }
  int added = 0;
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  for (guint i = 0; lines[i]; i++) {
    char *line = g_strstrip(lines[i]);
    if (!*line || *line == '#')
      continue;
    char *colon = strchr(line, ':');
    if (!colon || colon == line || !colon[1]) {
      g_set_error(error, RILL_BROKER_ERROR, RILL_BROKER_ERROR_CONFIG, "%s:%u: expected user:password", path, i + 1);
      return -1;
    }
    *colon = '\0';
    if (rill__credentials_has_user(c, line))
      continue;
    for (int m = 0; m < 2; m++) {
      rill__scram_credential cred;
      rill__scram_credential_make(&cred, (rill__scram_mech)m, colon + 1, NULL, 0, RILL__SCRAM_MIN_ITERATIONS);
      if (!rill__credentials_set(c, line, &cred, error))
        return -1;
    }
    added++;
  }
  return added;
}
