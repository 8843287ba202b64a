/* test-launch-kafka.c — kafka-sink and kafka-src in launch text against a
 * real rill-broker process: a file written to a topic by one launch string
 * is read back by kcat (an independent client) and by kafka-src launch
 * strings, each compared with the hand-written input; client properties pass
 * through to the Kafka client, whose table refuses unknown names and bad
 * values, reported at the parameter. */
#include <rill/rill.h>

#include "tests/broker/broker-proc.h"

static const char input[] = "alpha\nbravo\ncharlie\ndelta\necho\nfoxtrot\n";

static void run_text(const char *text)
{
  GError *error = NULL;
  rill_pipeline *p = rill_parse_launch(text, &error);
  g_assert_no_error(error);
  g_assert_true(rill_pipeline_run(p, &error));
  g_assert_no_error(error);
  rill_pipeline_unref(p);
}

static int by_text(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* @text's lines sorted, joined with '\n' (each line terminated). (transfer full) */
static char *sorted(const char *text)
{
  char **v = g_strsplit(text, "\n", -1);
  guint n = g_strv_length(v);
  GString *s = g_string_new(NULL);
  qsort(v, n, sizeof *v, by_text);
  for (guint i = 0; i < n; i++)
    if (*v[i])
      g_string_append_printf(s, "%s\n", v[i]);
  g_strfreev(v);
  return g_string_free(s, FALSE);
}

static char *file_text(const char *path)
{
  char *text = NULL;
  g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
  return text;
}

static void expect_error(const char *text, rill_launch_error code, const char *needle)
{
  GError *error = NULL;
  rill_pipeline *p = rill_parse_launch(text, &error);
  g_assert_null(p);
  g_assert_error(error, RILL_LAUNCH_ERROR, (gint)code);
  if (!strstr(error->message, needle))
    g_error("'%s' not in: %s", needle, error->message);
  g_error_free(error);
}

static void test_round_trip(void)
{
  broker_proc b = {0};
  broker_proc_start(&b, (const char *const[]){"--set", "num.partitions=3", NULL});
  char *in = g_build_filename(b.dir, "in.txt", NULL), *out = g_build_filename(b.dir, "out.txt", NULL);
  char *tail = g_build_filename(b.dir, "tail.txt", NULL);
  g_assert_true(g_file_set_contents(in, input, -1, NULL));

  /* Write: properties other than bootstrap.servers pass through. */
  char *t = g_strdup_printf("file-src path=%s position-headers=false ! kafka-sink bootstrap.servers=%s topic=words "
                            "acks=all linger.ms=0 compression.codec=lz4",
                            in, b.bootstrap);
  run_text(t);
  g_free(t);

  /* kcat sees every line once. */
  const char *kcat[] = {"kcat", "-C", "-b", b.bootstrap, "-t", "words", "-e", "-q", "-f", "%s\n", NULL};
  char *got = run_tool(kcat, NULL), *got_sorted = sorted(got), *want = sorted(input);
  g_assert_cmpstr(got_sorted, ==, want);
  g_free(got);
  g_free(got_sorted);

  /* Read back everything with kafka-src. */
  t = g_strdup_printf("kafka-src bootstrap.servers=%s topic=words fetch.wait.max.ms=50 ! file-sink path=%s "
                      "fsync=false",
                      b.bootstrap, out);
  run_text(t);
  g_free(t);
  got = file_text(out);
  got_sorted = sorted(got);
  g_assert_cmpstr(got_sorted, ==, want);
  g_free(got);
  g_free(got_sorted);

  /* from=offset:1 on each partition: everything but the first record of
   * each non-empty partition, which kcat names with -f '%p %o'. */
  const char *kcat_po[] = {"kcat", "-C", "-b", b.bootstrap, "-t", "words", "-e", "-q", "-f", "%o %s\n", NULL};
  char *po = run_tool(kcat_po, NULL);
  GString *rest = g_string_new(NULL);
  char **rows = g_strsplit(po, "\n", -1);
  for (guint i = 0; rows[i]; i++)
    if (*rows[i] && !g_str_has_prefix(rows[i], "0 "))
      g_string_append_printf(rest, "%s\n", strchr(rows[i], ' ') + 1);
  g_strfreev(rows);
  g_free(po);
  char *want_rest = sorted(rest->str);
  g_string_free(rest, TRUE);
  g_assert_cmpuint(strlen(want_rest), <, strlen(want)); /* some partition had data */
  t = g_strdup_printf("kafka-src bootstrap.servers=%s topic=words from=offset:1 ! file-sink path=%s fsync=false",
                      b.bootstrap, tail);
  run_text(t);
  g_free(t);
  got = file_text(tail);
  got_sorted = sorted(got);
  g_assert_cmpstr(got_sorted, ==, want_rest);
  g_free(got);
  g_free(got_sorted);
  g_free(want_rest);
  g_free(want);

  broker_proc_stop(&b);
  g_free(in);
  g_free(out);
  g_free(tail);
}

static void test_bad_properties(void)
{
  /* Refused before any connection: no broker needed. */
  expect_error("stdin-src ! kafka-sink bootstrap.servers=127.0.0.1:1 topic=t no.such.property=1",
               RILL_LAUNCH_ERROR_UNKNOWN_PARAMETER, "'no.such.property'");
  expect_error("stdin-src ! kafka-sink bootstrap.servers=127.0.0.1:1 topic=t acks=banana",
               RILL_LAUNCH_ERROR_INVALID_VALUE, "acks");
  expect_error("kafka-src topic=t ! stdout-sink", RILL_LAUNCH_ERROR_MISSING_PARAMETER, "bootstrap.servers");
  expect_error("kafka-src bootstrap.servers=127.0.0.1:1 topic=t from=offset:x ! stdout-sink",
               RILL_LAUNCH_ERROR_INVALID_VALUE, "start position");
  expect_error("kafka-src bootstrap.servers=127.0.0.1:1 topic=t partitions=0,z ! stdout-sink",
               RILL_LAUNCH_ERROR_INVALID_VALUE, "'z' is not a partition");
  /* Messages name rill-run's parameters, not the C API's fields. */
  expect_error("kafka-src bootstrap.servers=127.0.0.1:1 topic=t group.id=g ! stdout-sink",
               RILL_LAUNCH_ERROR_INVALID_VALUE, "group.id needs follow=true");
  expect_error("kafka-src bootstrap.servers=127.0.0.1:1 topic=t group.id=g follow=true partitions=0 ! stdout-sink",
               RILL_LAUNCH_ERROR_INVALID_VALUE, "partitions= cannot be combined with group.id");
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/launch-kafka/round-trip", test_round_trip);
  g_test_add_func("/launch-kafka/bad-properties", test_bad_properties);
  return g_test_run();
}
