/* test-listeners.c — Kafka-style listeners: several at once, each client
 * told the advertised address of the listener it connected through, and the
 * configuration errors Kafka reports (unmapped names, duplicates, advertised
 * entries naming no listener). */
#include <rill/broker.h>

#include "tests/broker/client.h"

static rill_broker *start(const char *const *kv, GError **error)
{
  rill_broker_config *c = rill_broker_config_new();
  g_autofree char *dir = g_dir_make_tmp("rill-listeners-XXXXXX", NULL);
  g_assert_true(rill_broker_config_set(c, "log.dirs", dir, NULL));
  for (guint i = 0; kv[i]; i += 2)
    g_assert_true(rill_broker_config_set(c, kv[i], kv[i + 1], NULL));
  rill_broker *b = rill_broker_new(c, error);
  rill_broker_config_free(c);
  if (b && !rill_broker_start(b, error))
    g_clear_pointer(&b, rill_broker_free);
  return b;
}

static void metadata_broker(uint16_t port, char **host, int32_t *adv_port)
{
  int fd = tc_connect(port);
  rill__wire_metadata_request rq;
  rill__wire_metadata_request_init(&rq);
  rq.n_topics = 0;
  tc_send(fd, RILL_WIRE_API_METADATA, 8, 7, &rq);
  rill__wire_arena a;
  rill__wire_arena_init(&a);
  rill__wire_metadata_response rs;
  uint8_t *frame;
  g_assert_cmpint(tc_recv(fd, RILL_WIRE_API_METADATA, 8, &a, &rs, &frame), ==, 7);
  g_assert_cmpint(rs.n_brokers, ==, 1);
  *host = g_strndup(rs.brokers[0].host.ptr, (gsize)rs.brokers[0].host.len);
  *adv_port = rs.brokers[0].port;
  g_free(frame);
  rill__wire_arena_clear(&a);
  close(fd);
}

static void test_two_listeners(void)
{
  const char *kv[] = {"listeners", "PLAINTEXT://127.0.0.1:0,INTERNAL://127.0.0.1:0",
                      "listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT",
                      "advertised.listeners", "PLAINTEXT://public.example:1234", NULL};
  GError *error = NULL;
  rill_broker *b = start(kv, &error);
  g_assert_no_error(error);
  uint16_t p1 = rill_broker_listener_port(b, "PLAINTEXT"), p2 = rill_broker_listener_port(b, "INTERNAL");
  g_assert_cmpuint(p1, >, 0);
  g_assert_cmpuint(p2, >, 0);
  g_assert_cmpuint(p1, !=, p2);
  g_assert_cmpuint(rill_broker_port(b), ==, p1);
  g_assert_cmpuint(rill_broker_listener_port(b, "NOPE"), ==, 0);

  char *host;
  int32_t port;
  metadata_broker(p1, &host, &port);
  g_assert_cmpstr(host, ==, "public.example");
  g_assert_cmpint(port, ==, 1234);
  g_free(host);
  metadata_broker(p2, &host, &port);
  g_assert_cmpstr(host, ==, "127.0.0.1");
  g_assert_cmpint(port, ==, p2);
  g_free(host);
  rill_broker_free(b);
}

static void test_legacy_host_port(void)
{
  const char *kv[] = {"listeners", "127.0.0.1:0", "advertised.listeners", "example.org:0", NULL};
  GError *error = NULL;
  rill_broker *b = start(kv, &error);
  g_assert_no_error(error);
  uint16_t p = rill_broker_listener_port(b, "PLAINTEXT");
  g_assert_cmpuint(p, >, 0);
  char *host;
  int32_t port;
  metadata_broker(p, &host, &port);
  g_assert_cmpstr(host, ==, "example.org");
  g_assert_cmpint(port, ==, p);
  g_free(host);
  rill_broker_free(b);
}

static void expect_error(const char *listeners, const char *map, const char *adv, const char *fragment)
{
  const char *kv[] = {"listeners", listeners, "listener.security.protocol.map", map, "advertised.listeners", adv, NULL};
  GError *error = NULL;
  rill_broker *b = start(kv, &error);
  g_assert_null(b);
  g_assert_error(error, RILL_BROKER_ERROR, RILL_BROKER_ERROR_LISTEN);
  if (!strstr(error->message, fragment))
    g_error("'%s' does not mention '%s'", error->message, fragment);
  g_error_free(error);
}

static void test_errors(void)
{
  expect_error("INTERNAL://127.0.0.1:0", "", "", "INTERNAL has no security protocol");
  expect_error("PLAINTEXT://127.0.0.1:0,PLAINTEXT://127.0.0.1:0", "", "", "own name");
  expect_error("PLAINTEXT://127.0.0.1:0", "", "SSL://x:1", "names no listener");
  expect_error("PLAINTEXT://127.0.0.1:0", "PLAINTEXT:TLS", "", "unknown security protocol 'TLS'");
  expect_error("PLAINTEXT://127.0.0.1", "", "", "bad listener");
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/listeners/two", test_two_listeners);
  g_test_add_func("/listeners/legacy", test_legacy_host_port);
  g_test_add_func("/listeners/errors", test_errors);
  return g_test_run();
}
