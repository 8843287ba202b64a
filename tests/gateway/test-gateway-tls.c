/* test-gateway-tls.c — wss:// and https:// on the gateway's port, with a CA
 * and a server certificate made by the openssl command line at test time:
 * libsoup's WebSocket client trusting the test CA converses over wss,
 * /metrics answers over https, a plaintext ws client and a client that
 * does not trust the CA fail their handshakes while the gateway serves on,
 * an unreadable certificate is a configuration error, and rill-gateway
 * serves wss with --tls-cert/--tls-key.
 */
#include <rill/gateway.h>

#include "gw-test.h"
#include "wsclient.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#define SECRET GW_TEST_SECRET
#define T 10000

typedef struct {
  char *dir, *ca, *cert, *key, *other_ca;
} pki;

static void sh(const char *dir, const char *script)
{
  char *argv[] = {"/bin/sh", "-ec", (char *)script, NULL};
  int status = -1;
  char *err = NULL;
  GError *e = NULL;
  g_assert_true(g_spawn_sync(dir, argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err, &status, &e));
  g_assert_no_error(e);
  if (!g_spawn_check_wait_status(status, NULL))
    g_error("%s failed: %s", script, err);
  g_free(err);
}

/* A CA, a certificate for 127.0.0.1/localhost signed by it, and a second,
 * unrelated CA (EC P-256, as in docs/security.md). */
static void pki_make(pki *k)
{
  k->dir = g_dir_make_tmp("rill-gwtls-XXXXXX", NULL);
  sh(k->dir, "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem "
             "-days 2 -subj /CN=rill-test-ca 2>/dev/null\n"
             "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout gw.key -subj /CN=localhost "
             "-out gw.csr 2>/dev/null\n"
             "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > san.ext\n"
             "openssl x509 -req -in gw.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -out gw.pem "
             "-extfile san.ext 2>/dev/null\n"
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other.key "
             "-out other.pem -days 2 -subj /CN=other-ca 2>/dev/null\n");
  k->ca = g_build_filename(k->dir, "ca.pem", NULL);
  k->cert = g_build_filename(k->dir, "gw.pem", NULL);
  k->key = g_build_filename(k->dir, "gw.key", NULL);
  k->other_ca = g_build_filename(k->dir, "other.pem", NULL);
}

static void pki_free(pki *k)
{
  gw_test_rm_rf(k->dir);
  g_free(k->dir);
  g_free(k->ca);
  g_free(k->cert);
  g_free(k->key);
  g_free(k->other_ca);
}

static wsc *login_tls(int port, const char *user, const char *ca)
{
  char *t = gw_test_token(user, 600);
  GError *e = NULL;
  wsc *c = wsc_connect_tls(port, t, ca, &e);
  g_assert_no_error(e);
  g_free(t);
  JsonObject *w = wsc_next_type(c, "welcome", T);
  g_assert_nonnull(w);
  g_assert_cmpstr(wsc_str(w, "user"), ==, user);
  json_object_unref(w);
  return c;
}

/* alice subscribes, bob publishes: the ack and the deliver arrive over wss. */
static void converse(int port, const char *ca)
{
  wsc *alice = login_tls(port, "alice", ca), *bob = login_tls(port, "bob", ca);
  wsc_send(alice, "{\"type\":\"subscribe\",\"channel\":\"room:1\"}");
  json_object_unref(wsc_next_type(alice, "subscribed", T));
  wsc_send(bob, "{\"type\":\"publish\",\"ref\":\"p1\",\"channel\":\"room:1\",\"body\":{\"text\":\"over tls\"}}");
  JsonObject *ack = wsc_next_type(bob, "ack", T);
  g_assert_nonnull(ack);
  JsonObject *d = wsc_next_type(alice, "deliver", T);
  g_assert_nonnull(d);
  g_assert_cmpint(wsc_int(d, "id"), ==, wsc_int(ack, "id"));
  g_assert_cmpstr(json_object_get_string_member(json_object_get_object_member(d, "body"), "text"), ==, "over tls");
  json_object_unref(ack);
  json_object_unref(d);
  wsc_free(alice);
  wsc_free(bob);
}

static void test_library(void)
{
  pki k;
  pki_make(&k);
  char *data = g_build_filename(k.dir, "data", NULL);
  rill_gateway_options o;
  rill_gateway_options_init(&o);
  o.port = 0;
  o.data_dir = data;
  o.partitions = 2;
  o.secret = (const guint8 *)SECRET;
  o.secret_len = strlen(SECRET);
  o.tls_cert_file = k.cert;
  o.tls_key_file = k.key;
  GError *e = NULL;
  rill_gateway *gw = rill_gateway_new(&o, &e);
  g_assert_no_error(e);
  int port = rill_gateway_port(gw);
  converse(port, k.ca);

  /* a plaintext WebSocket on the TLS port: the handshake fails, cleanly */
  char *t = gw_test_token("mallory", 600);
  g_assert_null(wsc_connect(port, t, &e));
  g_assert_nonnull(e);
  g_clear_error(&e);
  /* a client that does not trust the CA refuses the certificate */
  g_assert_null(wsc_connect_tls(port, t, k.other_ca, &e));
  g_assert_error(e, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
  g_clear_error(&e);
  g_free(t);

  /* the gateway serves on, and its /metrics is https too */
  converse(port, k.ca);
  guint status = 0;
  char *metrics = wsc_https_get(port, "/metrics", k.ca, &status);
  g_assert_cmpuint(status, ==, 200);
  g_assert_nonnull(strstr(metrics, "rill_gateway_published_total{topic=\"gateway\"} 2"));
  g_free(metrics);
  char *plain = wsc_http_get(port, "/metrics", &status);
  g_assert_null(plain);
  g_assert_cmpuint(status, !=, 200);
  rill_gateway_free(gw);

  /* an unreadable certificate is a configuration error */
  o.tls_cert_file = k.key;
  o.tls_key_file = NULL;
  g_assert_null(rill_gateway_new(&o, &e));
  g_assert_error(e, RILL_GATEWAY_ERROR, RILL_GATEWAY_ERROR_CONFIG);
  g_clear_error(&e);
  g_free(data);
  pki_free(&k);
}

static void test_tool(void)
{
  pki k;
  pki_make(&k);
  char *data = g_build_filename(k.dir, "data", NULL);
  char *secret = g_build_filename(k.dir, "secret", NULL);
  g_assert_true(g_file_set_contents(secret, SECRET "\n", -1, NULL));
  char *bin = g_build_filename(RILL_BINARY_DIR, "tools", "rill-gateway", NULL);
  GError *e = NULL;
  GSubprocess *p = g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE, &e, bin, "--data-dir", data, "--secret-file",
                                    secret, "--listen", "127.0.0.1:0", "--tls-cert", k.cert, "--tls-key", k.key, NULL);
  g_assert_no_error(e);
  GDataInputStream *in = g_data_input_stream_new(g_subprocess_get_stdout_pipe(p));
  char *line = g_data_input_stream_read_line_utf8(in, NULL, NULL, &e);
  g_assert_no_error(e);
  g_assert_nonnull(line);
  g_assert_nonnull(strstr(line, " scheme=wss"));
  int port = atoi(strstr(line, " port=") + 6);
  converse(port, k.ca);
  g_subprocess_send_signal(p, SIGTERM);
  g_assert_true(g_subprocess_wait(p, NULL, NULL));
  g_assert_cmpint(g_subprocess_get_exit_status(p), ==, 0);
  g_object_unref(p);
  /* a missing key file: a configuration error, exit 1 */
  char *missing = g_build_filename(k.dir, "missing.key", NULL);
  char *argv[] = {bin, "--data-dir", data, "--secret-file", secret, "--listen", "127.0.0.1:0",
                  "--tls-cert", k.cert, "--tls-key", missing, NULL};
  int status;
  g_assert_true(g_spawn_sync(NULL, argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                             NULL, NULL, &status, NULL));
  g_assert_cmpint(WEXITSTATUS(status), ==, 1);
  g_free(missing);
  g_free(line);
  g_object_unref(in);
  g_free(bin);
  g_free(secret);
  g_free(data);
  pki_free(&k);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/gateway-tls/library", test_library);
  g_test_add_func("/gateway-tls/tool", test_tool);
  return g_test_run();
}
