/* test-scram.c — the SCRAM implementation shared by broker and client:
 * RFC 7677's SCRAM-SHA-256 example exchange (client side, byte for byte),
 * full exchanges between our server and client for both mechanisms,
 * wrong passwords, unknown users, and malformed messages the server must
 * refuse. (librdkafka's doubled nonce is covered by the interop tests,
 * which run librdkafka itself.) */
#include <string.h>

#include "runtime/security/scram.h"

/* RFC 7677 §3. */
#define RFC_CLIENT_FIRST "n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
#define RFC_SERVER_FIRST "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
#define RFC_CLIENT_FINAL                                                                                            \
  "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
#define RFC_SERVER_FINAL "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="

static void test_rfc7677_client(void)
{
  rill__scram_client *c = rill__scram_client_new(RILL__SCRAM_SHA_256, "user", "pencil");
  rill__scram_client_set_nonce(c, "rOprNGfwEbeRWgbNEkqO");
  GBytes *first = rill__scram_client_first(c);
  gsize n;
  const char *p = g_bytes_get_data(first, &n);
  g_assert_cmpmem(p, n, RFC_CLIENT_FIRST, strlen(RFC_CLIENT_FIRST));
  char *err = NULL;
  GBytes *final = rill__scram_client_final(c, (const uint8_t *)RFC_SERVER_FIRST, strlen(RFC_SERVER_FIRST), &err);
  g_assert_null(err);
  p = g_bytes_get_data(final, &n);
  g_assert_cmpmem(p, n, RFC_CLIENT_FINAL, strlen(RFC_CLIENT_FINAL));
  g_assert_true(rill__scram_client_verify(c, (const uint8_t *)RFC_SERVER_FINAL, strlen(RFC_SERVER_FINAL), &err));
  const char *forged = "v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
  g_assert_false(rill__scram_client_verify(c, (const uint8_t *)forged, strlen(forged), &err));
  g_assert_nonnull(err);
  g_free(err);
  g_bytes_unref(first);
  g_bytes_unref(final);
  rill__scram_client_free(c);
}

/* The RFC's salt and password give the StoredKey its ClientProof implies:
 * a credential made here must accept "pencil" and nothing else. */
static void test_credential_check(void)
{
  gsize salt_len;
  guchar *salt = g_base64_decode("W22ZaJ0SNY7soEsUEjb6gQ==", &salt_len);
  rill__scram_credential cred;
  rill__scram_credential_make(&cred, RILL__SCRAM_SHA_256, "pencil", salt, salt_len, 4096);
  g_assert_true(rill__scram_credential_check(&cred, "pencil"));
  g_assert_false(rill__scram_credential_check(&cred, "pencil "));
  g_assert_false(rill__scram_credential_check(&cred, ""));
  g_free(salt);
}

typedef struct {
  const char *user;
  rill__scram_credential cred[2];
} one_user;

static gboolean lookup(const char *user, rill__scram_mech mech, rill__scram_credential *out, void *data)
{
  one_user *u = data;
  if (strcmp(user, u->user) != 0)
    return FALSE;
  *out = u->cred[mech];
  return TRUE;
}

/* Runs a whole exchange; returns TRUE when both sides accept. */
static gboolean exchange(one_user *u, rill__scram_mech mech, const char *user, const char *password)
{
  rill__scram_server *s = rill__scram_server_new(mech, lookup, u);
  rill__scram_client *c = rill__scram_client_new(mech, user, password);
  GBytes *first = rill__scram_client_first(c);
  uint8_t *out = NULL;
  size_t out_len = 0;
  gboolean done = TRUE, ok = FALSE;
  char *err = NULL;
  gsize n;
  const uint8_t *p = g_bytes_get_data(first, &n);
  if (!rill__scram_server_step(s, p, n, &out, &out_len, &done, &err))
    goto out;
  g_assert_false(done);
  GBytes *final = rill__scram_client_final(c, out, out_len, &err);
  g_assert_nonnull(final);
  g_free(out);
  out = NULL;
  GString *msg = g_string_new_len(g_bytes_get_data(final, NULL), (gssize)g_bytes_get_size(final));
  g_bytes_unref(final);
  ok = rill__scram_server_step(s, (const uint8_t *)msg->str, msg->len, &out, &out_len, &done, &err) && done &&
       rill__scram_client_verify(c, out, out_len, &err);
  g_string_free(msg, TRUE);
out:
  g_free(out);
  g_free(err);
  g_bytes_unref(first);
  rill__scram_client_free(c);
  rill__scram_server_free(s);
  return ok;
}

static void test_exchanges(void)
{
  one_user u = {.user = "al,i=ce"};
  rill__scram_credential_make(&u.cred[0], RILL__SCRAM_SHA_256, "s3cret", NULL, 0, 4096);
  rill__scram_credential_make(&u.cred[1], RILL__SCRAM_SHA_512, "s3cret", NULL, 0, 4096);
  for (int m = 0; m < 2; m++) {
    g_assert_true(exchange(&u, (rill__scram_mech)m, "al,i=ce", "s3cret"));
    g_assert_false(exchange(&u, (rill__scram_mech)m, "al,i=ce", "wrong"));
    g_assert_false(exchange(&u, (rill__scram_mech)m, "bob", "s3cret"));
  }
}

static void expect_refused(const char *first, const char *final)
{
  one_user u = {.user = "user"};
  rill__scram_credential_make(&u.cred[0], RILL__SCRAM_SHA_256, "pencil", NULL, 0, 4096);
  rill__scram_server *s = rill__scram_server_new(RILL__SCRAM_SHA_256, lookup, &u);
  uint8_t *out = NULL;
  size_t len = 0;
  gboolean done;
  char *err = NULL;
  gboolean ok = rill__scram_server_step(s, (const uint8_t *)first, strlen(first), &out, &len, &done, &err);
  if (final) {
    g_assert_true(ok);
    g_free(out);
    ok = rill__scram_server_step(s, (const uint8_t *)final, strlen(final), &out, &len, &done, &err);
  }
  g_assert_false(ok);
  g_assert_nonnull(err);
  g_assert_null(out);
  /* A failed exchange stays failed. */
  g_free(err);
  err = NULL;
  g_assert_false(rill__scram_server_step(s, (const uint8_t *)"n,,n=user,r=x", 13, &out, &len, &done, &err));
  g_free(err);
  rill__scram_server_free(s);
}

static void test_malformed(void)
{
  expect_refused("", NULL);
  expect_refused("p=tls-unique,,n=user,r=abc", NULL);       /* channel binding */
  expect_refused("n,,r=abc,n=user", NULL);                  /* n= must come first */
  expect_refused("n,,n=user", NULL);                        /* no nonce */
  expect_refused("n,,n=us=ZZer,r=abc", NULL);               /* bad saslname escape */
  expect_refused("n,a=other,n=user,r=abc", NULL);           /* authzid of someone else */
  expect_refused("n,,n=user,r=a\x01" "bc", NULL);           /* non-printable nonce */
  expect_refused("n,,n=user,r=abc", "c=biws,r=abc,p=AAAA");  /* foreign nonce */
  expect_refused("n,,n=user,r=abc", "c=eSws,r=abc");         /* wrong channel binding, no proof */
  expect_refused("n,,n=user,r=abc", "garbage");
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/scram/rfc7677-client", test_rfc7677_client);
  g_test_add_func("/scram/credential-check", test_credential_check);
  g_test_add_func("/scram/exchanges", test_exchanges);
  g_test_add_func("/scram/malformed", test_malformed);
  return g_test_run();
}
