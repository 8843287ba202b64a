/* test-broker-config.c — the broker's configuration table and dispatch table:
 * defaults, parsing and its errors, config files, docs/CONFIGURATION.md
 * matching the table, and advertised API ranges inside the codec's. */
#include <rill/broker.h>

#include <glib/gstdio.h>
#include <unistd.h>

#include "runtime/broker/broker-private.h"

static void test_defaults_and_set(void)
{
  rill_broker_config *c = rill_broker_config_new();
  GError *e = NULL;
  char *v = rill_broker_config_get(c, "num.partitions");
  g_assert_cmpstr(v, ==, "1");
  g_free(v);
  v = rill_broker_config_get(c, "listeners");
  g_assert_cmpstr(v, ==, "127.0.0.1:9092");
  g_free(v);
  g_assert_true(rill_broker_config_set(c, "num.partitions", "12", &e));
  v = rill_broker_config_get(c, "num.partitions");
  g_assert_cmpstr(v, ==, "12");
  g_free(v);
  g_assert_true(rill_broker_config_set(c, "rill.durability", "sync", &e));
  g_assert_true(rill_broker_config_set(c, "auto.create.topics.enable", "FALSE", &e));
  v = rill_broker_config_get(c, "auto.create.topics.enable");
  g_assert_cmpstr(v, ==, "false");
  g_free(v);
  g_assert_null(rill_broker_config_get(c, "no.such.key"));

  g_assert_false(rill_broker_config_set(c, "no.such.key", "1", &e));
  g_assert_error(e, RILL_BROKER_ERROR, RILL_BROKER_ERROR_CONFIG);
  g_clear_error(&e);
  g_assert_false(rill_broker_config_set(c, "num.partitions", "0", &e));
  g_assert_error(e, RILL_BROKER_ERROR, RILL_BROKER_ERROR_CONFIG);
  g_clear_error(&e);
  g_assert_false(rill_broker_config_set(c, "num.partitions", "3x", &e));
  g_clear_error(&e);
  g_assert_false(rill_broker_config_set(c, "rill.durability", "always", &e));
  g_clear_error(&e);
  g_assert_false(rill_broker_config_set(c, "default.replication.factor", "3", &e));
  g_clear_error(&e);
  rill_broker_config_free(c);
}

static void test_file(void)
{
  char *path = NULL;
  int fd = g_file_open_tmp("rill-broker-XXXXXX.properties", &path, NULL);
  close(fd);
  g_assert_true(g_file_set_contents(path, "# comment\n\n num.partitions = 4\nlog.retention.ms=1000\n", -1, NULL));
  rill_broker_config *c = rill_broker_config_new();
  GError *e = NULL;
  g_assert_true(rill_broker_config_load_file(c, path, &e));
  g_assert_no_error(e);
  char *v = rill_broker_config_get(c, "num.partitions");
  g_assert_cmpstr(v, ==, "4");
  g_free(v);
  g_assert_true(g_file_set_contents(path, "num.partitions=2\nbogus.key=1\n", -1, NULL));
  g_assert_false(rill_broker_config_load_file(c, path, &e));
  g_assert_error(e, RILL_BROKER_ERROR, RILL_BROKER_ERROR_CONFIG);
  g_assert_nonnull(strstr(e->message, ":2:"));
  g_clear_error(&e);
  rill_broker_config_free(c);
  g_remove(path);
  g_free(path);

  /* A broker without log.dirs cannot be made. */
  c = rill_broker_config_new();
  g_assert_null(rill_broker_new(c, &e));
  g_assert_error(e, RILL_BROKER_ERROR, RILL_BROKER_ERROR_CONFIG);
  g_clear_error(&e);
  rill_broker_config_free(c);
}

/* docs/CONFIGURATION.md carries the table between markers; regenerate with
 * RILL_UPDATE_DOCS=1. */
static void test_doc_matches_table(void)
{
  char *path = g_build_filename(RILL_SOURCE_DIR, "docs", "CONFIGURATION.md", NULL);
  char *text = NULL;
  g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
  const char *begin_mark = "<!-- BEGIN GENERATED: broker config table -->\n";
  const char *end_mark = "<!-- END GENERATED -->";
  char *b = strstr(text, begin_mark);
  g_assert_nonnull(b);
  b += strlen(begin_mark);
  char *e = strstr(b, end_mark);
  g_assert_nonnull(e);
  char *md = rill__broker_config_markdown();
  if (g_getenv("RILL_UPDATE_DOCS")) {
    GString *s = g_string_new_len(text, b - text);
    g_string_append(s, md);
    g_string_append(s, e);
    g_assert_true(g_file_set_contents(path, s->str, -1, NULL));
    g_string_free(s, TRUE);
  } else {
    char *doc = g_strndup(b, (gsize)(e - b));
    g_assert_cmpstr(doc, ==, md);
    g_free(doc);
  }
  g_free(md);
  g_free(text);
  g_free(path);
}

static void test_dispatch_table(void)
{
  int served = 0;
  for (int k = 0; k <= RILL_WIRE_MAX_API_KEY; k++) {
    const rill__api_entry *e = &rill__broker_apis[k];
    if (!e->handler)
      continue;
    served++;
    const rill__wire_api_info *info = rill__wire_api_lookup((int16_t)k);
    g_assert_nonnull(info);
    g_assert_cmpint(e->min, >=, info->min_version);
    g_assert_cmpint(e->max, <=, info->max_version);
    g_assert_cmpint(e->flex, ==, info->first_flexible);
  }
  g_assert_cmpint(served, ==, RILL_WIRE_N_APIS);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/broker-config/defaults-and-set", test_defaults_and_set);
  g_test_add_func("/broker-config/file", test_file);
  g_test_add_func("/broker-config/doc", test_doc_matches_table);
  g_test_add_func("/broker-config/dispatch-table", test_dispatch_table);
  return g_test_run();
}
