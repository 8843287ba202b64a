/* rill-users — SCRAM credentials of rill-broker or any Kafka (KIP-554:
 * DescribeUserScramCredentials, AlterUserScramCredentials), like
 * kafka-configs.sh --entity-type users.
 *
 *   rill-users set USER [--mechanism M]... [--iterations N] [--password-file F]
 *   rill-users list [USER...]
 *   rill-users delete USER [--mechanism M]...
 *
 * The password is read from --password-file or the first line of stdin; it
 * never appears on the command line, and only PBKDF2 of it (the salted
 * password, with a fresh random salt) is sent. Mechanisms: SCRAM-SHA-256,
 * SCRAM-SHA-512 (default both). list prints USER MECHANISM ITERATIONS,
 * tab-separated. Exit codes: docs/tools.md. */
#include <openssl/rand.h>
#include <stdio.h>

#include "runtime/security/scram.h"
#include "tool.h"

typedef struct {
  tool_common common;
  char **mechanisms;
  int iterations;
  char *password_file;
  rill_kafka_conf *conf;
  rill__kclient *client;
} users;

/* The mechanisms asked for (default both); FALSE on an unknown name. */
static gboolean mechs(users *u, GArray *out, GError **error)
{
  if (!u->mechanisms) {
    int both[] = {RILL__SCRAM_SHA_256, RILL__SCRAM_SHA_512};
    g_array_append_vals(out, both, 2);
    return TRUE;
  }
  for (guint i = 0; u->mechanisms[i]; i++) {
    int m = rill__scram_mech_parse(u->mechanisms[i]);
    if (m < 0) {
      tool_usage_error(error, "unknown mechanism '%s' (SCRAM-SHA-256, SCRAM-SHA-512)", u->mechanisms[i]);
      return FALSE;
    }
    g_array_append_val(out, m);
  }
  return TRUE;
}

static char *read_password(users *u, GError **error)
{
  char *text = NULL;
  if (u->password_file) {
    GError *e = NULL;
    if (!g_file_get_contents(u->password_file, &text, NULL, &e)) {
      tool_usage_error(error, "%s", e->message);
      g_error_free(e);
      return NULL;
    }
  } else {
    char buf[4096];
    text = g_strdup(fgets(buf, sizeof buf, stdin) ? buf : "");
  }
  char *nl = strpbrk(text, "\r\n");
  if (nl)
    *nl = '\0';
  if (!*text) {
    g_free(text);
    tool_usage_error(error, "empty password (give it on stdin or with --password-file)");
    return NULL;
  }
  return text;
}

/* Checks every result of an AlterUserScramCredentials answer. */
static gboolean alter(users *u, rill__wire_alter_user_scram_credentials_request *rq, GError **error)
{
  rill__kreq *r = rill__kclient_call(u->client, RILL__KNODE_ANY, RILL_WIRE_API_ALTER_USER_SCRAM_CREDENTIALS, 0, rq,
                                     error);
  if (!r)
    return FALSE;
  gboolean ok = TRUE;
  for (int32_t i = 0; ok && i < r->resp.alter_user_scram_credentials.n_results; i++) {
    const rill__wire_alter_user_scram_credentials_response_result *x = &r->resp.alter_user_scram_credentials.results[i];
    if (x->error_code) {
      g_autofree char *msg = g_strndup(x->error_message.ptr, (gsize)MAX(x->error_message.len, 0));
      rill__kclient_set_error(error, x->error_code, "AlterUserScramCredentials", msg && *msg ? msg : NULL);
      ok = FALSE;
    }
  }
  rill__kreq_free(r);
  return ok;
}

static gboolean cmd_set(users *u, const char *user, GError **error)
{
  g_autoptr(GArray) ms = g_array_new(FALSE, FALSE, sizeof(int));
  if (!mechs(u, ms, error))
    return FALSE;
  char *password = read_password(u, error);
  if (!password)
    return FALSE;
  rill__wire_alter_user_scram_credentials_request rq;
  rill__wire_alter_user_scram_credentials_request_init(&rq);
  rill__wire_alter_user_scram_credentials_request_scram_credential_upsertion ups[2];
  uint8_t salt[2][32], salted[2][RILL__SCRAM_MAX_KEY];
  for (guint i = 0; i < ms->len && i < 2; i++) {
    rill__scram_mech m = (rill__scram_mech)g_array_index(ms, int, i);
    RAND_bytes(salt[i], sizeof salt[i]);
    rill__scram_salt_password(m, password, salt[i], sizeof salt[i], u->iterations, salted[i]);
    ups[i] = (rill__wire_alter_user_scram_credentials_request_scram_credential_upsertion){
        rill__wire_str_from(user), rill__scram_mech_kafka_id(m), u->iterations, rill__wire_bytes_from(salt[i], 32),
        rill__wire_bytes_from(salted[i], rill__scram_key_len(m))};
  }
  memset(password, 0, strlen(password));
  g_free(password);
  rq.upsertions = ups;
  rq.n_upsertions = (int32_t)MIN(ms->len, 2);
  return alter(u, &rq, error);
}

static gboolean cmd_delete(users *u, const char *user, GError **error)
{
  g_autoptr(GArray) ms = g_array_new(FALSE, FALSE, sizeof(int));
  if (!mechs(u, ms, error))
    return FALSE;
  rill__wire_alter_user_scram_credentials_request rq;
  rill__wire_alter_user_scram_credentials_request_init(&rq);
  rill__wire_alter_user_scram_credentials_request_scram_credential_deletion del[2];
  for (guint i = 0; i < ms->len && i < 2; i++)
    del[i] = (rill__wire_alter_user_scram_credentials_request_scram_credential_deletion){
        rill__wire_str_from(user), rill__scram_mech_kafka_id((rill__scram_mech)g_array_index(ms, int, i))};
  rq.deletions = del;
  rq.n_deletions = (int32_t)MIN(ms->len, 2);
  return alter(u, &rq, error);
}

static gboolean cmd_list(users *u, char **names, int n, GError **error)
{
  rill__wire_describe_user_scram_credentials_request rq;
  rill__wire_describe_user_scram_credentials_request_init(&rq);
  g_autofree rill__wire_describe_user_scram_credentials_request_user_name *un =
      g_new0(rill__wire_describe_user_scram_credentials_request_user_name, MAX(n, 1));
  for (int i = 0; i < n; i++)
    un[i].name = rill__wire_str_from(names[i]);
  rq.users = n ? un : NULL;
  rq.n_users = n ? n : -1;
  rill__kreq *r =
      rill__kclient_call(u->client, RILL__KNODE_ANY, RILL_WIRE_API_DESCRIBE_USER_SCRAM_CREDENTIALS, 0, &rq, error);
  if (!r)
    return FALSE;
  const rill__wire_describe_user_scram_credentials_response *d = &r->resp.describe_user_scram_credentials;
  gboolean ok = d->error_code == 0;
  if (!ok)
    rill__kclient_set_error(error, d->error_code, "DescribeUserScramCredentials", NULL);
  for (int32_t i = 0; ok && i < d->n_results; i++) {
    const rill__wire_describe_user_scram_credentials_response_result *x = &d->results[i];
    if (x->error_code) {
      g_autofree char *what = g_strdup_printf("user '%.*s'", MAX(x->user.len, 0), x->user.ptr ? x->user.ptr : "");
      rill__kclient_set_error(error, x->error_code, what, NULL);
      ok = FALSE;
      break;
    }
    for (int32_t k = 0; k < x->n_credential_infos; k++)
      printf("%.*s\t%s\t%d\n", MAX(x->user.len, 0), x->user.ptr ? x->user.ptr : "",
             x->credential_infos[k].mechanism == 1 ? "SCRAM-SHA-256" : "SCRAM-SHA-512",
             x->credential_infos[k].iterations);
  }
  rill__kreq_free(r);
  return ok;
}

static gboolean run(gpointer tool, int argc, char **argv, GError **error)
{
  users *u = tool;
  const char *const cmds[] = {"set", "list", "delete", NULL};
  if (argc < 2 || !g_strv_contains(cmds, argv[1]) || (strcmp(argv[1], "list") && argc != 3)) {
    tool_usage_error(error, "usage: set USER | list [USER...] | delete USER (see --help)");
    return FALSE;
  }
  if (u->iterations < RILL__SCRAM_MIN_ITERATIONS || u->iterations > RILL__SCRAM_MAX_ITERATIONS) {
    tool_usage_error(error, "--iterations must be between 4096 and 16384");
    return FALSE;
  }
  if (!tool_connect(&u->common, "rill-users", &u->conf, &u->client, error))
    return FALSE;
  if (!strcmp(argv[1], "set"))
    return cmd_set(u, argv[2], error);
  if (!strcmp(argv[1], "delete"))
    return cmd_delete(u, argv[2], error);
  return cmd_list(u, argv + 2, argc - 2, error);
}

int main(int argc, char **argv)
{
  users u = {.iterations = RILL__SCRAM_MIN_ITERATIONS};
  GOptionEntry entries[] = {
    {"mechanism", 'm', 0, G_OPTION_ARG_STRING_ARRAY, &u.mechanisms,
     "SCRAM-SHA-256 or SCRAM-SHA-512 (repeatable; default both)", "M"},
    {"iterations", 'i', 0, G_OPTION_ARG_INT, &u.iterations, "set: PBKDF2 iterations (4096..16384, default 4096)", "N"},
    {"password-file", 0, 0, G_OPTION_ARG_FILENAME, &u.password_file,
     "set: read the password from this file (default: first line of stdin)", "F"},
    G_OPTION_ENTRY_NULL,
  };
  static const char summary[] =
    "Commands:\n"
    "  set USER [-m M]... [-i N] [--password-file F]   create or change (password on stdin)\n"
    "  list [USER...]                                  USER MECHANISM ITERATIONS\n"
    "  delete USER [-m M]...\n"
    "Exit status: 0 ok, 1 usage, 2 broker unreachable, 3 broker error (not authorized, unknown user, ...).\n"
    "See docs/security.md.";
  int rc = tool_main(argc, argv, "rill-users", "set|list|delete [USER...] - manage SCRAM users", summary, entries,
                     &u.common, run, &u);
  rill__kclient_free(u.client);
  rill_kafka_conf_free(u.conf);
  tool_common_clear(&u.common);
  g_strfreev(u.mechanisms);
  g_free(u.password_file);
  return rc;
}
