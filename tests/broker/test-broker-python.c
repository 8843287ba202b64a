/* test-broker-python.c — runs tests/broker/clients.py (python3-confluent-kafka,
 * librdkafka 2.0.2) against a real rill-broker process; the script asserts
 * every detail and this test asserts that it succeeded. */
#include "tests/broker/broker-proc.h"

static void test_confluent_kafka(void)
{
  broker_proc b = {0};
  broker_proc_start(&b, NULL);
  char *script = g_build_filename(RILL_SOURCE_DIR, "tests", "broker", "clients.py", NULL);
  const char *argv[] = {"/usr/bin/python3", script, b.bootstrap, NULL};
  char *out = run_tool(argv, NULL);
  g_assert_cmpstr(out, ==, "ok\n");
  g_free(out);
  g_free(script);
  broker_proc_stop(&b);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/python/confluent-kafka", test_confluent_kafka);
  return g_test_run();
}
