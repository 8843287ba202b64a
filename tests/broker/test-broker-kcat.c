/* test-broker-kcat.c — an unmodified kcat (librdkafka 2.0.2) against a real
 * rill-broker process on an ephemeral port: metadata, keyed lines with
 * headers read back with keys/headers/timestamps/offsets, every compression
 * codec, and the start positions beginning/end/offset/-N/s@timestamp. */
#include <stdarg.h>

#include "tests/broker/broker-proc.h"

static broker_proc B;

/* kcat -b BROKER ARGS... (NULL-terminated) with @input on stdin. */
G_GNUC_NULL_TERMINATED static char *kcat(const char *input, ...)
{
  const char *argv[24] = {"kcat", "-b", B.bootstrap};
  int n = 3;
  va_list ap;
  va_start(ap, input);
  const char *a;
  while ((a = va_arg(ap, const char *)) && n < 23)
    argv[n++] = a;
  va_end(ap);
  argv[n] = NULL;
  return run_tool(argv, input);
}

#define FMT "%k|%s|%h|%T|%p|%o\n"

static void produce_lines(const char *topic, const char *lines, const char *codec)
{
  g_free(kcat(lines, "-P", "-t", topic, "-K", ":", "-z", codec, NULL));
}

static char **consume(const char *topic, const char *offset)
{
  char *out = kcat(NULL, "-C", "-t", topic, "-o", offset, "-e", "-f", FMT, NULL);
  char **lines = g_strsplit(out, "\n", -1);
  g_free(out);
  /* drop the empty tail */
  guint n = g_strv_length(lines);
  if (n && !*lines[n - 1]) {
    g_free(lines[n - 1]);
    lines[n - 1] = NULL;
  }
  return lines;
}

static void test_metadata(void)
{
  g_free(kcat("x\n", "-P", "-t", "meta-topic", NULL, NULL, NULL, NULL, NULL));
  char *out = kcat(NULL, "-L", NULL, NULL, NULL, NULL, NULL, NULL, NULL);
  char *want = g_strdup_printf("broker 1 at 127.0.0.1:%u (controller)", B.port);
  g_assert_nonnull(strstr(out, want));
  g_assert_nonnull(strstr(out, "topic \"meta-topic\" with 1 partitions"));
  g_assert_nonnull(strstr(out, "partition 0, leader 1, replicas: 1, isrs: 1"));
  g_free(want);
  g_free(out);
}

static void test_keys_headers_timestamps(void)
{
  int64_t before = g_get_real_time() / 1000;
  char *out = kcat("k1:v1\nk2:v2\nk3:v3\n", "-P", "-t", "kh", "-K", ":", "-H", "h1=a", "-H", "h2=b", NULL);
  g_free(out);
  int64_t after = g_get_real_time() / 1000;
  char **l = consume("kh", "beginning");
  g_assert_cmpuint(g_strv_length(l), ==, 3);
  int64_t last_ts = 0;
  for (int i = 0; i < 3; i++) {
    char **f = g_strsplit(l[i], "|", -1);
    char *k = g_strdup_printf("k%d", i + 1), *v = g_strdup_printf("v%d", i + 1), *o = g_strdup_printf("%d", i);
    g_assert_cmpstr(f[0], ==, k);
    g_assert_cmpstr(f[1], ==, v);
    g_assert_cmpstr(f[2], ==, "h1=a,h2=b");
    int64_t ts = g_ascii_strtoll(f[3], NULL, 10);
    g_assert_cmpint(ts, >=, before);
    g_assert_cmpint(ts, <=, after);
    g_assert_cmpint(ts, >=, last_ts);
    last_ts = ts;
    g_assert_cmpstr(f[4], ==, "0");
    g_assert_cmpstr(f[5], ==, o);
    g_free(k), g_free(v), g_free(o);
    g_strfreev(f);
  }
  g_strfreev(l);
}

static void test_compression(void)
{
  const char *codecs[] = {"none", "gzip", "snappy", "lz4", "zstd"};
  GString *want = g_string_new(NULL);
  for (guint c = 0; c < G_N_ELEMENTS(codecs); c++) {
    GString *in = g_string_new(NULL);
    for (int i = 0; i < 50; i++) {
      g_string_append_printf(in, "%s-%d:value-%s-%d-%s\n", codecs[c], i, codecs[c], i,
                             "padding-padding-padding-padding");
      g_string_append_printf(want, "%s-%d|value-%s-%d-%s\n", codecs[c], i, codecs[c], i,
                             "padding-padding-padding-padding");
    }
    produce_lines("cz", in->str, codecs[c]);
    g_string_free(in, TRUE);
  }
  char *out = kcat(NULL, "-C", "-t", "cz", "-o", "beginning", "-e", "-f", "%k|%s\n", NULL);
  g_assert_cmpstr(out, ==, want->str);
  g_free(out);
  g_string_free(want, TRUE);
}

static void test_offsets(void)
{
  produce_lines("off", "a:0\nb:1\nc:2\nd:3\n", "none");
  int64_t split = g_get_real_time() / 1000 + 1;
  /* Make the second lot's CreateTime later than @split. */
  while (g_get_real_time() / 1000 <= split + 1)
    g_usleep(2000);
  produce_lines("off", "e:4\nf:5\n", "none");

  char **l = consume("off", "beginning");
  g_assert_cmpuint(g_strv_length(l), ==, 6);
  g_strfreev(l);
  l = consume("off", "end");
  g_assert_cmpuint(g_strv_length(l), ==, 0);
  g_strfreev(l);
  l = consume("off", "2");
  g_assert_cmpuint(g_strv_length(l), ==, 4);
  g_assert_true(g_str_has_prefix(l[0], "c|2|"));
  g_strfreev(l);
  l = consume("off", "-2");
  g_assert_cmpuint(g_strv_length(l), ==, 2);
  g_assert_true(g_str_has_prefix(l[0], "e|4|"));
  g_strfreev(l);
  char *s = g_strdup_printf("s@%" G_GINT64_FORMAT, split);
  l = consume("off", s);
  g_assert_cmpuint(g_strv_length(l), ==, 2);
  g_assert_true(g_str_has_prefix(l[0], "e|4|"));
  g_assert_true(g_str_has_prefix(l[1], "f|5|"));
  g_strfreev(l);
  g_free(s);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  broker_proc_start(&B, NULL);
  g_test_add_func("/kcat/metadata", test_metadata);
  g_test_add_func("/kcat/keys-headers-timestamps", test_keys_headers_timestamps);
  g_test_add_func("/kcat/compression", test_compression);
  g_test_add_func("/kcat/offsets", test_offsets);
  int rc = g_test_run();
  broker_proc_stop(&B);
  return rc;
}
