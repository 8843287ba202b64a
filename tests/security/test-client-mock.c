/* test-client-mock.c — rill's Kafka client core with security settings
 * against librdkafka's mock cluster (an independent Kafka implementation).
 * The mock of librdkafka 2.0 serves neither TLS nor SASL (rdkafka_mock.h
 * has no security settings and it advertises no SaslHandshake), so what
 * can be checked there is that our client fails cleanly and says why:
 * SASL ends with SASL_AUTHENTICATION_FAILED naming the missing APIs
 * (not retried, no hang), TLS with a handshake failure; the same cluster
 * answers the plaintext client. The successful SASL/TLS paths run against
 * rill-broker in test-rill-client.py and test-confluent.py. */
#include "connectors/kafka/kclient.h"
#include "tests/connectors/kafka-mock.h"

static rill__kreq *metadata(kmock *m, GError **error, ...)
{
  rill_kafka_conf *conf = kmock_conf(m, "request.timeout.ms", "2000", NULL);
  va_list ap;
  va_start(ap, error);
  const char *k;
  while ((k = va_arg(ap, const char *)))
    g_assert_true(rill_kafka_conf_set(conf, k, va_arg(ap, const char *), NULL));
  va_end(ap);
  rill__kclient *c = rill__kclient_new(conf, error);
  rill_kafka_conf_free(conf);
  g_assert_nonnull(c);
  rill__kreq *r = rill__kclient_metadata(c, NULL, FALSE, error);
  rill__kclient_free(c);
  return r;
}

static void test_mock(void)
{
  kmock *m = kmock_new(1);
  GError *error = NULL;
  rill__kreq *r = metadata(m, &error, NULL);
  g_assert_no_error(error);
  g_assert_cmpint(r->resp.metadata.n_brokers, ==, 1);
  rill__kreq_free(r);

  /* A minute of request.timeout.ms (the test's own limit): an
   * authentication failure must be final, not retried until then. */
  r = metadata(m, &error, "request.timeout.ms", "60000", "security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "SCRAM-SHA-512", "sasl.username",
               "alice", "sasl.password", "alice-secret", NULL);
  g_assert_null(r);
  g_assert_error(error, RILL_KAFKA_CLIENT_ERROR, RILL_KAFKA_CLIENT_ERROR_BROKER);
  g_assert_nonnull(strstr(error->message, "SASL_AUTHENTICATION_FAILED"));
  g_assert_nonnull(strstr(error->message, "SaslHandshake"));
  g_clear_error(&error);

  r = metadata(m, &error, "security.protocol", "SSL", NULL);
  g_assert_null(r);
  g_assert_error(error, RILL_KAFKA_CLIENT_ERROR, RILL_KAFKA_CLIENT_ERROR_TRANSPORT);
  g_assert_nonnull(strstr(error->message, "TLS handshake failed"));
  g_clear_error(&error);
  kmock_free(m);
}

static void test_bad_config(void)
{
  rill_kafka_conf *conf = rill_kafka_conf_new();
  GError *error = NULL;
  g_assert_true(rill_kafka_conf_set(conf, "bootstrap.servers", "127.0.0.1:1", NULL));
  g_assert_true(rill_kafka_conf_set(conf, "security.protocol", "sasl_ssl", NULL));
  g_assert_true(rill_kafka_conf_set(conf, "ssl.ca.location", "/nonexistent/ca.pem", NULL));
  g_assert_null(rill__kclient_new(conf, &error));
  g_assert_error(error, RILL_KAFKA_CLIENT_ERROR, RILL_KAFKA_CLIENT_ERROR_CONFIG);
  g_assert_nonnull(strstr(error->message, "ssl.ca.location"));
  g_clear_error(&error);
  g_assert_false(rill_kafka_conf_set(conf, "security.protocol", "tls", &error));
  g_assert_error(error, RILL_KAFKA_CLIENT_ERROR, RILL_KAFKA_CLIENT_ERROR_CONFIG);
  g_clear_error(&error);
  g_assert_false(rill_kafka_conf_set(conf, "sasl.mechanism", "GSSAPI", &error));
  g_clear_error(&error);
  rill_kafka_conf_free(conf);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/client-security/mock", test_mock);
  g_test_add_func("/client-security/bad-config", test_bad_config);
  return g_test_run();
}
