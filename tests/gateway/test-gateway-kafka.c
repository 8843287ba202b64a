/* test-gateway-kafka.c — the gateway with a Kafka cluster as storage:
 * - two rill-gateway processes on one rill-broker process (real processes
 *   on 127.0.0.1 ports): a client on gateway A publishes, a subscriber on
 *   gateway B gets it in order with the same ids; B restarts while A goes
 *   on, and a resume on B gets exactly what it missed; history by id and
 *   by time comes from the broker;
 * - a rill-broker that stops and comes back under a running gateway;
 * - the library on a rill-broker with only a SASL listener, logging in
 *   with the -X properties every rill Kafka tool takes;
 * - the library on librdkafka's mock cluster (an independent Kafka
 *   implementation, three brokers, so partitions have different leaders):
 *   publish, deliver, resume, history; what the gateway wrote is read back
 *   by a librdkafka consumer.
 */
#include <rill/gateway.h>

#include "tests/broker/broker-proc.h"
#include "tests/connectors/kafka-mock.h"
#include "gw-test.h"
#include "wsclient.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#define SECRET GW_TEST_SECRET
#define T 15000

/* ---- helpers ----------------------------------------------------------------- */

static wsc *login(int port, const char *user)
{
  char *t = gw_test_token(user, 600);
  GError *e = NULL;
  wsc *c = wsc_connect(port, t, &e);
  g_assert_no_error(e);
  g_free(t);
  JsonObject *w = wsc_next_type(c, "welcome", T);
  g_assert_nonnull(w);
  json_object_unref(w);
  return c;
}

/* Publishes {"n":@n} to @channel and waits for its ack; returns its id. */
static gint64 say(wsc *c, const char *channel, int n)
{
  wsc_send(c, "{\"type\":\"publish\",\"ref\":\"%d\",\"channel\":\"%s\",\"body\":{\"n\":%d}}", n, channel, n);
  JsonObject *o = wsc_next_type(c, "ack", T);
  g_assert_nonnull(o);
  g_assert_cmpint(atoi(wsc_str(o, "ref")), ==, n);
  gint64 id = wsc_int(o, "id");
  json_object_unref(o);
  return id;
}

/* The next deliver frame: its body's n, its id and ts. */
static int heard(wsc *c, gint64 *id, gint64 *ts)
{
  JsonObject *o = wsc_next_type(c, "deliver", T);
  g_assert_nonnull(o);
  int n = (int)json_object_get_int_member(json_object_get_object_member(o, "body"), "n");
  if (id)
    *id = wsc_int(o, "id");
  if (ts)
    *ts = wsc_int(o, "ts");
  json_object_unref(o);
  return n;
}

static void subscribe(wsc *c, const char *channel, gint64 after)
{
  if (after >= 0)
    wsc_send(c, "{\"type\":\"subscribe\",\"channel\":\"%s\",\"after\":%" G_GINT64_FORMAT "}", channel, after);
  else
    wsc_send(c, "{\"type\":\"subscribe\",\"channel\":\"%s\"}", channel);
  JsonObject *o = wsc_next_type(c, "subscribed", T);
  g_assert_nonnull(o);
  json_object_unref(o);
}

/* Nothing more for @c: a ping is answered after everything queued before it. */
static void assert_quiet(wsc *c)
{
  wsc_send(c, "{\"type\":\"ping\",\"ref\":\"q\"}");
  JsonObject *o = wsc_next(c, T);
  g_assert_nonnull(o);
  g_assert_cmpstr(wsc_str(o, "type"), ==, "pong");
  json_object_unref(o);
}

/* ---- two gateway processes on one rill-broker --------------------------------- */

typedef struct {
  GSubprocess *proc;
  int port;
} gwproc;

static void gw_start(gwproc *g, const char *bootstrap, const char *secret_file)
{
  char *bin = g_build_filename(RILL_BINARY_DIR, "tools", "rill-gateway", NULL);
  GError *e = NULL;
  GSubprocessLauncher *l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_child_setup(l, die_with_parent, NULL, NULL);
  g->proc = g_subprocess_launcher_spawn(l, &e, bin, "--bootstrap-servers", bootstrap, "-X", "request.timeout.ms=10000",
                                        "--secret-file", secret_file, "--listen", "127.0.0.1:0", "--partitions", "3",
                                        "--topic", "chat", NULL);
  g_assert_no_error(e);
  g_object_unref(l);
  GDataInputStream *in = g_data_input_stream_new(g_subprocess_get_stdout_pipe(g->proc));
  char *line = g_data_input_stream_read_line_utf8(in, NULL, NULL, &e);
  g_assert_no_error(e);
  g_assert_nonnull(line);
  const char *p = strstr(line, " port=");
  g_assert_nonnull(p);
  g->port = atoi(p + 6);
  g_assert_cmpint(g->port, >, 0);
  g_free(line);
  g_object_unref(in);
  g_free(bin);
}

static void gw_stop(gwproc *g)
{
  g_subprocess_send_signal(g->proc, SIGTERM);
  g_assert_true(g_subprocess_wait(g->proc, NULL, NULL));
  g_assert_true(g_subprocess_get_if_exited(g->proc));
  g_assert_cmpint(g_subprocess_get_exit_status(g->proc), ==, 0);
  g_clear_object(&g->proc);
}

static void test_two_gateways(void)
{
  broker_proc b = {0};
  broker_proc_start(&b, NULL);
  char *secret = g_build_filename(b.dir, "secret", NULL);
  g_assert_true(g_file_set_contents(secret, SECRET "\n", -1, NULL));
  gwproc A = {0}, B = {0};
  gw_start(&A, b.bootstrap, secret);
  gw_start(&B, b.bootstrap, secret); /* the topic exists now: B finds it */

  wsc *alice = login(B.port, "alice"), *bob = login(A.port, "bob");
  subscribe(alice, "room:1", -1);
  gint64 acked[40], seen = -1, ts10 = -1;
  for (int i = 0; i < 20; i++) {
    acked[i] = say(bob, "room:1", i);
    if (i > 0)
      g_assert_cmpint(acked[i], >, acked[i - 1]);
  }
  for (int i = 0; i < 20; i++) { /* on the other gateway, in order, the same ids */
    gint64 ts;
    g_assert_cmpint(heard(alice, &seen, &ts), ==, i);
    g_assert_cmpint(seen, ==, acked[i]);
    if (i == 10)
      ts10 = ts;
  }
  assert_quiet(alice);

  /* B goes away (its clients are told 1001); A goes on */
  gw_stop(&B);
  g_assert_cmpint(wsc_wait_closed(alice, T), ==, RILL_GATEWAY_CLOSE_SHUTDOWN);
  wsc_free(alice);
  for (int i = 20; i < 30; i++)
    acked[i] = say(bob, "room:1", i);
  gw_start(&B, b.bootstrap, secret);
  alice = login(B.port, "alice");
  subscribe(alice, "room:1", seen);
  for (int i = 20; i < 30; i++) { /* exactly what was missed, in order */
    gint64 id;
    g_assert_cmpint(heard(alice, &id, NULL), ==, i);
    g_assert_cmpint(id, ==, acked[i]);
  }
  assert_quiet(alice);
  /* then live again */
  acked[30] = say(bob, "room:1", 30);
  gint64 id;
  g_assert_cmpint(heard(alice, &id, NULL), ==, 30);
  g_assert_cmpint(id, ==, acked[30]);

  /* history from the broker: by id, and by time (ListOffsets) */
  wsc_send(alice, "{\"type\":\"history\",\"ref\":\"h\",\"channel\":\"room:1\",\"since\":%" G_GINT64_FORMAT
                  ",\"limit\":5}", acked[3]);
  for (int i = 3; i < 8; i++)
    g_assert_cmpint(heard(alice, NULL, NULL), ==, i);
  JsonObject *end = wsc_next_type(alice, "history_end", T);
  g_assert_nonnull(end);
  g_assert_cmpint(wsc_int(end, "next"), ==, acked[8]);
  json_object_unref(end);
  wsc_send(alice, "{\"type\":\"history\",\"ref\":\"t\",\"channel\":\"room:1\",\"since_time\":%" G_GINT64_FORMAT
                  ",\"limit\":1000}", ts10);
  /* every message from the first at ts10 on; ts is in ms, so earlier ones
   * of the same ms may come first, never a later one missing */
  int first = heard(alice, NULL, NULL);
  g_assert_cmpint(first, <=, 10);
  for (int i = first + 1; i <= 30; i++)
    g_assert_cmpint(heard(alice, NULL, NULL), ==, i);
  end = wsc_next_type(alice, "history_end", T);
  g_assert_nonnull(end);
  json_object_unref(end);

  wsc_free(alice);
  wsc_free(bob);
  gw_stop(&A);
  gw_stop(&B);
  g_free(secret);
  broker_proc_stop(&b);
}

/* A publish when the cluster is gone is an error frame, not an ack, and the
 * gateway stays up. */
static void test_broker_gone(void)
{
  broker_proc b = {0};
  broker_proc_start(&b, NULL);
  rill_gateway_options o;
  rill_gateway_options_init(&o);
  o.bootstrap_servers = b.bootstrap;
  const char *props[] = {"request.timeout.ms=2000", "retry.backoff.ms=50", NULL};
  o.kafka_properties = props;
  o.partitions = 2;
  o.secret = (const guint8 *)SECRET;
  o.secret_len = strlen(SECRET);
  o.port = 0;
  GError *e = NULL;
  rill_gateway *gw = rill_gateway_new(&o, &e);
  g_assert_no_error(e);
  int port = rill_gateway_port(gw);
  wsc *bob = login(port, "bob");
  say(bob, "room:x", 1);
  broker_proc_stop(&b);
  wsc_send(bob, "{\"type\":\"publish\",\"ref\":\"2\",\"channel\":\"room:x\",\"body\":2}");
  JsonObject *o2 = wsc_next(bob, 30000);
  g_assert_nonnull(o2);
  g_assert_cmpstr(wsc_str(o2, "type"), ==, "error");
  g_assert_cmpstr(wsc_str(o2, "code"), ==, "storage");
  g_assert_cmpstr(wsc_str(o2, "ref"), ==, "2");
  json_object_unref(o2);
  assert_quiet(bob);
  wsc_free(bob);
  rill_gateway_free(gw);
}

/* The broker restarts under a running gateway (same port, same data):
 * publishes fail while it is away, then succeed, and delivery goes on from
 * where it was, nothing skipped. */
static void test_broker_restart(void)
{
  broker_proc b = {0};
  broker_proc_start(&b, NULL);
  rill_gateway_options o;
  rill_gateway_options_init(&o);
  o.bootstrap_servers = b.bootstrap;
  const char *props[] = {"request.timeout.ms=2000", "retry.backoff.ms=50", "reconnect.backoff.ms=50", NULL};
  o.kafka_properties = props;
  o.partitions = 2;
  o.secret = (const guint8 *)SECRET;
  o.secret_len = strlen(SECRET);
  o.port = 0;
  GError *e = NULL;
  rill_gateway *gw = rill_gateway_new(&o, &e);
  g_assert_no_error(e);
  int port = rill_gateway_port(gw);
  wsc *alice = login(port, "alice"), *bob = login(port, "bob");
  subscribe(alice, "room:r", -1);
  gint64 first = say(bob, "room:r", 1), id;
  g_assert_cmpint(heard(alice, &id, NULL), ==, 1);
  g_assert_cmpint(id, ==, first);

  /* away: SIGTERM, keeping the data */
  g_subprocess_send_signal(b.proc, SIGTERM);
  g_assert_true(g_subprocess_wait(b.proc, NULL, NULL));
  g_clear_object(&b.proc);
  wsc_send(bob, "{\"type\":\"publish\",\"ref\":\"x\",\"channel\":\"room:r\",\"body\":{\"n\":-1}}");
  JsonObject *err = wsc_next_type(bob, "error", 30000);
  g_assert_nonnull(err);
  g_assert_cmpstr(wsc_str(err, "code"), ==, "storage");
  json_object_unref(err);

  /* back, on the same port with the same data */
  char *exe = g_build_filename(RILL_BINARY_DIR, "tools", "rill-broker", NULL);
  char *data = g_build_filename(b.dir, "data", NULL);
  char *listen = g_strdup_printf("127.0.0.1:%u", b.port);
  GSubprocessLauncher *l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_subprocess_launcher_set_child_setup(l, die_with_parent, NULL, NULL);
  GSubprocess *again = g_subprocess_launcher_spawn(l, &e, exe, "--data-dir", data, "--listen", listen, NULL);
  g_assert_no_error(e);
  g_object_unref(l);
  /* publish until the gateway's client has reconnected (each try is
   * answered: an ack, or a storage error) */
  gint64 second = -1;
  for (int tries = 0; second < 0 && tries < 200; tries++) {
    wsc_send(bob, "{\"type\":\"publish\",\"ref\":\"2\",\"channel\":\"room:r\",\"body\":{\"n\":2}}");
    JsonObject *a = wsc_next(bob, 30000);
    g_assert_nonnull(a);
    if (g_strcmp0(wsc_str(a, "type"), "ack") == 0)
      second = wsc_int(a, "id");
    else
      g_usleep(100000);
    json_object_unref(a);
  }
  g_assert_cmpint(second, >, first);
  /* alice gets it: the poller came back at the offset it had */
  g_assert_cmpint(heard(alice, &id, NULL), ==, 2);
  g_assert_cmpint(id, ==, second);
  assert_quiet(alice);
  wsc_free(alice);
  wsc_free(bob);
  rill_gateway_free(gw);
  g_subprocess_send_signal(again, SIGTERM);
  g_assert_true(g_subprocess_wait(again, NULL, NULL));
  g_object_unref(again);
  test_rm_rf(b.dir);
  g_free(b.dir);
  g_free(b.log_path);
  g_free(b.bootstrap);
  g_free(listen);
  g_free(data);
  g_free(exe);
}

/* Security properties pass through to the client: a rill-broker with only
 * a SASL_PLAINTEXT listener, the gateway logging in with SCRAM; a wrong
 * password fails at start. */
static void test_sasl(void)
{
  char *dir = g_dir_make_tmp("rill-gwsasl-XXXXXX", NULL);
  char *users = g_build_filename(dir, "users", NULL);
  g_assert_true(g_file_set_contents(users, "gw:gw-secret\n", -1, NULL));
  char *users_kv = g_strdup_printf("rill.sasl.users.file=%s", users);
  const char *args[] = {"--listen", "SASL_PLAINTEXT://127.0.0.1:0", "--set", users_kv, "--set", "super.users=User:gw",
                        NULL};
  broker_proc b = {0};
  broker_proc_start(&b, args);
  rill_gateway_options o;
  rill_gateway_options_init(&o);
  o.bootstrap_servers = b.bootstrap;
  const char *props[] = {"security.protocol=SASL_PLAINTEXT", "sasl.mechanism=SCRAM-SHA-256", "sasl.username=gw",
                         "sasl.password=gw-secret", NULL};
  o.kafka_properties = props;
  o.partitions = 2;
  o.secret = (const guint8 *)SECRET;
  o.secret_len = strlen(SECRET);
  o.port = 0;
  GError *e = NULL;
  rill_gateway *gw = rill_gateway_new(&o, &e);
  g_assert_no_error(e);
  int port = rill_gateway_port(gw);
  wsc *alice = login(port, "alice"), *bob = login(port, "bob");
  subscribe(alice, "room:s", -1);
  gint64 id = say(bob, "room:s", 7), got;
  g_assert_cmpint(heard(alice, &got, NULL), ==, 7);
  g_assert_cmpint(got, ==, id);
  wsc_free(alice);
  wsc_free(bob);
  rill_gateway_free(gw);
  const char *wrong[] = {"security.protocol=SASL_PLAINTEXT", "sasl.mechanism=SCRAM-SHA-256", "sasl.username=gw",
                         "sasl.password=not-it", "request.timeout.ms=2000", NULL};
  o.kafka_properties = wrong;
  g_assert_null(rill_gateway_new(&o, &e));
  g_assert_nonnull(e);
  g_clear_error(&e);
  broker_proc_stop(&b);
  g_unlink(users);
  g_rmdir(dir);
  g_free(users_kv);
  g_free(users);
  g_free(dir);
}

/* Bad client properties are a configuration error. */
static void test_bad_property(void)
{
  rill_gateway_options o;
  rill_gateway_options_init(&o);
  o.bootstrap_servers = "127.0.0.1:1";
  const char *props[] = {"no.such.property=1", NULL};
  o.kafka_properties = props;
  o.secret = (const guint8 *)SECRET;
  o.secret_len = strlen(SECRET);
  GError *e = NULL;
  g_assert_null(rill_gateway_new(&o, &e));
  g_assert_error(e, RILL_KAFKA_CLIENT_ERROR, RILL_KAFKA_CLIENT_ERROR_CONFIG);
  g_clear_error(&e);
  /* storage is exactly one of log, directory, cluster */
  o.kafka_properties = NULL;
  o.data_dir = "/nonexistent";
  g_assert_null(rill_gateway_new(&o, &e));
  g_assert_error(e, RILL_GATEWAY_ERROR, RILL_GATEWAY_ERROR_CONFIG);
  g_clear_error(&e);
}

/* ---- librdkafka's mock cluster --------------------------------------------------- */

static void test_mock_cluster(void)
{
  kmock *m = kmock_new(3);
  rill_gateway_options o;
  rill_gateway_options_init(&o);
  o.bootstrap_servers = m->bootstraps;
  o.topic = "mockchat";
  o.partitions = 4;
  o.secret = (const guint8 *)SECRET;
  o.secret_len = strlen(SECRET);
  o.port = 0;
  GError *e = NULL;
  rill_gateway *gw = rill_gateway_new(&o, &e);
  g_assert_no_error(e);
  int port = rill_gateway_port(gw);
  wsc *alice = login(port, "alice"), *bob = login(port, "bob");
  /* channels on several partitions (and so several leaders) */
  const char *chans[] = {"room:a", "room:b", "room:c", "room:d"};
  for (int c = 0; c < 4; c++)
    subscribe(alice, chans[c], -1);
  gint64 ids[4][10];
  for (int i = 0; i < 10; i++)
    for (int c = 0; c < 4; c++)
      ids[c][i] = say(bob, chans[c], c * 100 + i);
  int next[4] = {0};
  for (int k = 0; k < 40; k++) { /* per channel in order, with the acked ids */
    JsonObject *d = wsc_next_type(alice, "deliver", T);
    g_assert_nonnull(d);
    int n = (int)json_object_get_int_member(json_object_get_object_member(d, "body"), "n");
    int c = n / 100;
    g_assert_cmpint(n % 100, ==, next[c]);
    g_assert_cmpint(wsc_int(d, "id"), ==, ids[c][next[c]]);
    g_assert_cmpstr(wsc_str(d, "from"), ==, "bob");
    next[c]++;
    json_object_unref(d);
  }
  assert_quiet(alice);
  wsc_free(alice);
  /* a reconnect resumes from the cluster */
  alice = login(port, "alice");
  subscribe(alice, "room:c", ids[2][4]);
  for (int i = 5; i < 10; i++) {
    gint64 id;
    g_assert_cmpint(heard(alice, &id, NULL), ==, 200 + i);
    g_assert_cmpint(id, ==, ids[2][i]);
  }
  assert_quiet(alice);
  wsc_send(alice, "{\"type\":\"history\",\"ref\":\"h\",\"channel\":\"room:b\",\"since\":%" G_GINT64_FORMAT "}",
           ids[1][7]);
  for (int i = 7; i < 10; i++)
    g_assert_cmpint(heard(alice, NULL, NULL), ==, 100 + i);
  JsonObject *end = wsc_next_type(alice, "history_end", T);
  g_assert_nonnull(end);
  json_object_unref(end);
  wsc_free(alice);
  wsc_free(bob);
  rill_gateway_free(gw);
  /* what the gateway wrote, read by another Kafka client: key = channel */
  GPtrArray *got = kmock_consume_all(m, "mockchat", 4, 40);
  g_assert_cmpuint(got->len, ==, 40);
  for (guint i = 0; i < got->len; i++)
    g_assert_true(g_str_has_prefix(got->pdata[i], "room:"));
  g_ptr_array_unref(got);
  kmock_free(m);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/gateway-kafka/two-gateways-one-broker", test_two_gateways);
  g_test_add_func("/gateway-kafka/broker-gone", test_broker_gone);
  g_test_add_func("/gateway-kafka/broker-restart", test_broker_restart);
  g_test_add_func("/gateway-kafka/sasl", test_sasl);
  g_test_add_func("/gateway-kafka/bad-property", test_bad_property);
  g_test_add_func("/gateway-kafka/mock-cluster", test_mock_cluster);
  return g_test_run();
}
