/* test-config-table.c — the configuration-table engine (runtime/config-table.c)
 * on a table of every type (rill-run's durations, sizes, lists, yes/no
 * booleans and required rows included), and the three real tables that use it: the
 * broker's log.* rows must default to exactly what the log uses when nothing
 * is set, and each table's errors come in its own domain. */
#include <rill/broker.h>
#include <rill/kafka.h>
#include <rill/log.h>

#include <glib/gstdio.h>
#include <stddef.h>
#include <string.h>

#include "runtime/broker/config.h"
#include "runtime/config-table.h"

static GQuark test_conf_error_quark(void);
G_DEFINE_QUARK(test-conf-error-quark, test_conf_error)
#define TEST_CONF_ERROR_BAD 7

typedef struct {
  char *name;
  gboolean flag;
  int32_t small;
  int64_t big;
  int mode;
  int level;
  int64_t wait_ms;
  int64_t bytes;
  char **items;
  char *opt;
  char *must;
} settings;

#define OFF(f) offsetof(settings, f)
static const rill__conf_prop props[] = {
  {"name", RILL__CONF_STRING, OFF(name), 0, 0, "anon", NULL, "label", NULL, "A name."},
  {"flag", RILL__CONF_BOOL, OFF(flag), 0, 0, "false", NULL, NULL, NULL, "A flag."},
  {"small", RILL__CONF_INT32, OFF(small), -5, 100, "10", NULL, NULL, "topic.small", "An int."},
  {"big", RILL__CONF_INT64, OFF(big), -1, G_MAXINT64, "-1", NULL, NULL, NULL, "A long."},
  {"mode", RILL__CONF_ENUM, OFF(mode), 0, 0, "b", "a|b|c|bee=1", NULL, NULL, "An enum."},
  {"level", RILL__CONF_ENUM, OFF(level), 0, 0, "all", "all=-1|0=0|1=1", NULL, NULL, "A mapped enum."},
  {"wait", RILL__CONF_DURATION, OFF(wait_ms), 1, 3600000, "100ms", NULL, NULL, NULL, "A duration."},
  {"buffer", RILL__CONF_SIZE, OFF(bytes), 0, G_MAXINT64, "64KiB", NULL, NULL, NULL, "A size."},
  {"items", RILL__CONF_LIST, OFF(items), 0, 0, "a, b,,c", NULL, NULL, NULL, "A list."},
  {"opt", RILL__CONF_STRING, OFF(opt), 0, 0, NULL, NULL, NULL, NULL, "Unset by default."},
  {"must", RILL__CONF_STRING, OFF(must), 0, 0, RILL__CONF_REQUIRED, NULL, NULL, NULL, "Required."},
};
static const rill__conf_table table = {props, G_N_ELEMENTS(props), test_conf_error_quark, TEST_CONF_ERROR_BAD,
                                       "setting", FALSE};

static char *get(const settings *s, const char *name)
{
  return rill__conf_format(rill__conf_find(&table, name), s);
}

static void assert_value(const settings *s, const char *name, const char *want)
{
  g_autofree char *v = get(s, name);
  g_assert_cmpstr(v, ==, want);
}

static void assert_rejected(settings *s, const char *name, const char *value, const char *message_part)
{
  g_autoptr(GError) e = NULL;
  g_assert_false(rill__conf_set(&table, s, name, value, &e));
  g_assert_error(e, test_conf_error_quark(), TEST_CONF_ERROR_BAD);
  if (!strstr(e->message, message_part))
    g_error("%s=%s: '%s' lacks '%s'", name, value, e->message, message_part);
}

static void test_defaults(void)
{
  settings s;
  memset(&s, 0, sizeof s);
  rill__conf_init(&table, &s);
  g_assert_cmpstr(s.name, ==, "anon");
  g_assert_false(s.flag);
  g_assert_cmpint(s.small, ==, 10);
  g_assert_cmpint(s.big, ==, -1);
  g_assert_cmpint(s.mode, ==, 1);
  g_assert_cmpint(s.level, ==, -1);
  assert_value(&s, "level", "all");
  g_assert_cmpint(s.wait_ms, ==, 100);
  g_assert_cmpint(s.bytes, ==, 65536);
  g_assert_cmpuint(g_strv_length(s.items), ==, 3);
  g_assert_cmpstr(s.items[0], ==, "a");
  g_assert_cmpstr(s.items[1], ==, "b");
  g_assert_cmpstr(s.items[2], ==, "c");
  assert_value(&s, "wait", "100ms");
  assert_value(&s, "buffer", "64KiB");
  assert_value(&s, "items", "a,b,c");
  /* Rows without a default stay unset; only the marked one is required. */
  g_assert_null(s.opt);
  g_assert_null(s.must);
  g_assert_false(rill__conf_required(rill__conf_find(&table, "opt")));
  g_assert_true(rill__conf_required(rill__conf_find(&table, "must")));
  g_assert_false(rill__conf_required(rill__conf_find(&table, "name")));
  rill__conf_clear(&table, &s);
  g_assert_null(s.name);
  g_assert_null(s.items);
}

static void test_set_and_format(void)
{
  settings s;
  memset(&s, 0, sizeof s);
  rill__conf_init(&table, &s);
  GError *e = NULL;
  g_assert_true(rill__conf_set(&table, &s, "label", "via-alias", &e));
  g_assert_cmpstr(s.name, ==, "via-alias");
  static const char *const yes[] = {"true", "TRUE", "True", "1"}, *const no[] = {"false", "FALSE", "0"};
  for (guint i = 0; i < G_N_ELEMENTS(yes); i++) {
    g_assert_true(rill__conf_set(&table, &s, "flag", yes[i], &e));
    g_assert_true(s.flag);
  }
  for (guint i = 0; i < G_N_ELEMENTS(no); i++) {
    g_assert_true(rill__conf_set(&table, &s, "flag", no[i], &e));
    g_assert_false(s.flag);
  }
  g_assert_true(rill__conf_set(&table, &s, "small", "-5", &e));
  g_assert_cmpint(s.small, ==, -5);
  g_assert_true(rill__conf_set(&table, &s, "small", "100", &e));
  g_assert_cmpint(s.small, ==, 100);
  g_assert_true(rill__conf_set(&table, &s, "big", "9223372036854775807", &e));
  g_assert_cmpint(s.big, ==, G_MAXINT64);
  assert_value(&s, "big", "9223372036854775807");
  g_assert_true(rill__conf_set(&table, &s, "mode", "c", &e));
  g_assert_cmpint(s.mode, ==, 2);
  /* A synonym stores its value and formats as the first name of that value. */
  g_assert_true(rill__conf_set(&table, &s, "mode", "bee", &e));
  g_assert_cmpint(s.mode, ==, 1);
  assert_value(&s, "mode", "b");
  g_assert_true(rill__conf_set(&table, &s, "level", "0", &e));
  g_assert_cmpint(s.level, ==, 0);
  assert_value(&s, "level", "0");
  static const struct {
    const char *text;
    int64_t ms;
    const char *formatted;
  } durations[] = {{"250", 250, "250ms"}, {"5s", 5000, "5s"}, {"3min", 180000, "3m"},
                   {"2m", 120000, "2m"},  {"1h", 3600000, "1h"}, {"1500ms", 1500, "1500ms"}};
  for (guint i = 0; i < G_N_ELEMENTS(durations); i++) {
    g_assert_true(rill__conf_set(&table, &s, "wait", durations[i].text, &e));
    g_assert_cmpint(s.wait_ms, ==, durations[i].ms);
    assert_value(&s, "wait", durations[i].formatted);
  }
  static const struct {
    const char *text;
    int64_t bytes;
    const char *formatted;
  } sizes[] = {{"0", 0, "0"},           {"4096", 4096, "4KiB"},          {"1000", 1000, "1000B"},
               {"64k", 65536, "64KiB"}, {"100MiB", 100 << 20, "100MiB"}, {"2G", G_GINT64_CONSTANT(2) << 30, "2GiB"},
               {"3KB", 3072, "3KiB"}};
  for (guint i = 0; i < G_N_ELEMENTS(sizes); i++) {
    g_assert_true(rill__conf_set(&table, &s, "buffer", sizes[i].text, &e));
    g_assert_cmpint(s.bytes, ==, sizes[i].bytes);
    assert_value(&s, "buffer", sizes[i].formatted);
  }
  g_assert_true(rill__conf_set(&table, &s, "items", " x ,y", &e));
  assert_value(&s, "items", "x,y");
  g_assert_true(rill__conf_set(&table, &s, "items", ", ,", &e));
  g_assert_cmpuint(g_strv_length(s.items), ==, 0);
  g_assert_true(rill__conf_set(&table, &s, "must", "given", &e));
  g_assert_cmpstr(s.must, ==, "given");
  g_assert_no_error(e);

  /* What format writes, set reads back. */
  for (guint i = 0; i < G_N_ELEMENTS(props); i++) {
    g_autofree char *v = rill__conf_format(&props[i], &s);
    settings t;
    memset(&t, 0, sizeof t);
    rill__conf_init(&table, &t);
    g_assert_true(rill__conf_set(&table, &t, props[i].name, v, &e));
    g_autofree char *w = rill__conf_format(&props[i], &t);
    g_assert_cmpstr(v, ==, w);
    rill__conf_clear(&table, &t);
  }
  rill__conf_clear(&table, &s);
}

static void test_errors_change_nothing(void)
{
  settings s;
  memset(&s, 0, sizeof s);
  rill__conf_init(&table, &s);
  settings before;
  memcpy(&before, &s, sizeof s); /* padding included, for the memcmp below */
  assert_rejected(&s, "nope", "1", "unknown setting 'nope'");
  assert_rejected(&s, "flag", "yes", "not one of true, false");
  assert_rejected(&s, "small", "101", "outside [-5, 100]");
  assert_rejected(&s, "small", "-6", "outside [-5, 100]");
  assert_rejected(&s, "big", "-2", "outside");
  assert_rejected(&s, "big", "9223372036854775808", "not an integer");
  static const char *const not_ints[] = {"", "3x", " 5", "5 ", "0x10", "1e3"};
  for (guint i = 0; i < G_N_ELEMENTS(not_ints); i++)
    assert_rejected(&s, "small", not_ints[i], "not an integer");
  assert_rejected(&s, "mode", "d", "not one of a, b, c, bee");
  assert_rejected(&s, "mode", "", "not one of");
  assert_rejected(&s, "level", "-1=-1", "not one of all, 0, 1");
  static const char *const not_durations[] = {"soon", "", "-5", "5 s", "5S", "1.5s", "5sec", "99999999999999999999"};
  for (guint i = 0; i < G_N_ELEMENTS(not_durations); i++)
    assert_rejected(&s, "wait", not_durations[i], "is not a duration (e.g. 500ms");
  assert_rejected(&s, "wait", "0", "wait: 0 is outside [1ms, 1h]");
  assert_rejected(&s, "wait", "61m", "outside [1ms, 1h]");
  assert_rejected(&s, "wait", "106751991168d", "not a duration"); /* over int64 ms */
  static const char *const not_sizes[] = {"1T", "k", "-1", "1 k", "9999999999G"};
  for (guint i = 0; i < G_N_ELEMENTS(not_sizes); i++)
    assert_rejected(&s, "buffer", not_sizes[i], "is not a size (e.g. 4096");
  g_assert_true(memcmp(&s, &before, sizeof s) == 0);
  g_assert_cmpstr(s.name, ==, "anon");
  rill__conf_clear(&table, &s);
}

static void test_copy_owns_strings(void)
{
  settings a;
  memset(&a, 0, sizeof a);
  rill__conf_init(&table, &a);
  settings b = a;
  rill__conf_dup_strings(&table, &b);
  g_assert_true(a.name != b.name);
  g_assert_true(rill__conf_set(&table, &a, "name", "changed", NULL));
  g_assert_cmpstr(b.name, ==, "anon");
  g_assert_true(a.items != b.items && a.items[0] != b.items[0]);
  g_assert_true(rill__conf_set(&table, &a, "items", "z", NULL));
  g_assert_cmpstr(b.items[0], ==, "a");
  rill__conf_clear(&table, &a);
  rill__conf_clear(&table, &b);
}

static void test_markdown(void)
{
  g_autofree char *md = rill__conf_markdown(&table);
  g_auto(GStrv) lines = g_strsplit(md, "\n", -1);
  g_assert_cmpuint(g_strv_length(lines), ==, 2 + G_N_ELEMENTS(props) + 1);
  g_assert_cmpstr(lines[0], ==, "| Property | Type | Range / values | Default | Topic config | Description |");
  g_assert_cmpstr(lines[2], ==, "| `name` (alias `label`) | string |  | `anon` |  | A name. |");
  g_assert_cmpstr(lines[3], ==, "| `flag` | boolean | true, false | `false` |  | A flag. |");
  g_assert_cmpstr(lines[4], ==, "| `small` | int | -5 .. 100 | `10` | topic.small | An int. |");
  g_assert_cmpstr(lines[6], ==, "| `mode` | enum | a, b, c, bee | `b` |  | An enum. |");
  g_assert_cmpstr(lines[8], ==, "| `wait` | duration | 1ms .. 1h | `100ms` |  | A duration. |");
  g_assert_cmpstr(lines[9], ==, "| `buffer` | size |  | `64KiB` |  | A size. |");
  g_assert_cmpstr(lines[10], ==, "| `items` | list | comma separated | `a, b,,c` |  | A list. |");
  g_assert_cmpstr(lines[11], ==, "| `opt` | string |  | – |  | Unset by default. |");
  g_assert_cmpstr(lines[12], ==, "| `must` | string |  | required |  | Required. |");
  /* Without a topic_key anywhere, no Topic config column. */
  rill__conf_table no_topic = table;
  no_topic.n_props = 2;
  g_autofree char *md2 = rill__conf_markdown(&no_topic);
  g_assert_true(g_str_has_prefix(md2, "| Property | Type | Range / values | Default | Description |\n|---|---|---|---|---|\n"));
}

/* A table with bool_words (rill-run's) also takes yes/no and on/off; the
 * Kafka-named tables do not (test_errors_change_nothing). */
static void test_bool_words(void)
{
  rill__conf_table words = table;
  words.bool_words = TRUE;
  settings s;
  memset(&s, 0, sizeof s);
  rill__conf_init(&words, &s);
  static const char *const yes[] = {"yes", "On", "TRUE", "1"}, *const no[] = {"no", "OFF", "false", "0"};
  for (guint i = 0; i < G_N_ELEMENTS(yes); i++) {
    g_assert_true(rill__conf_set(&words, &s, "flag", yes[i], NULL));
    g_assert_true(s.flag);
    g_assert_true(rill__conf_set(&words, &s, "flag", no[i], NULL));
    g_assert_false(s.flag);
  }
  g_autoptr(GError) e = NULL;
  g_assert_false(rill__conf_set(&words, &s, "flag", "maybe", &e));
  g_assert_cmpstr(e->message, ==, "flag: 'maybe' is not a boolean (true/false, yes/no, on/off, 1/0)");
  rill__conf_clear(&words, &s);
}

/* The broker's log.* rows are the log-wide defaults of topic configs: left
 * alone, they must equal what the log uses with no defaults at all. */
static void test_broker_topic_defaults_match_log(void)
{
  g_autofree char *dir = g_dir_make_tmp("rill-conf-XXXXXX", NULL);
  g_assert_nonnull(dir);
  GError *e = NULL;
  rill_log *log = rill_log_open(dir, NULL, &e);
  g_assert_no_error(e);
  g_assert_true(rill_log_topic_create(log, "t", 1, NULL, &e));
  GHashTable *described = NULL;
  g_assert_true(rill_log_topic_describe(log, "t", NULL, &described, &e));
  g_assert_no_error(e);

  rill__broker_settings s;
  rill__broker_settings_init(&s);
  g_auto(GStrv) pairs = rill__broker_settings_topic_defaults(&s);
  guint n = 0;
  for (char **kv = pairs; kv[0]; kv += 2, n++) {
    const char *log_value = g_hash_table_lookup(described, kv[0]);
    g_assert_nonnull(log_value);
    g_assert_cmpstr(kv[1], ==, log_value);
  }
  g_assert_cmpuint(n, >=, 7);
  /* Every durability name the broker accepts, the log accepts. */
  static const char *const levels[] = {"none", "interval", "sync"};
  for (guint i = 0; i < G_N_ELEMENTS(levels); i++) {
    const char *kv[] = {"rill.durability", levels[i], NULL};
    g_assert_true(rill__broker_settings_set(&s, "rill.durability", levels[i], &e));
    g_assert_true(rill_log_topic_alter_config(log, "t", kv, &e));
  }
  rill__broker_settings_clear(&s);
  g_hash_table_unref(described);
  rill_log_topic_delete(log, "t", NULL);
  rill_log_close(log);
  g_rmdir(dir);
}

/* Each real table reports in its own domain, with its own noun. */
static void test_real_table_errors(void)
{
  GError *e = NULL;
  rill_broker_config *bc = rill_broker_config_new();
  g_assert_false(rill_broker_config_set(bc, "retention.ms", "1", &e));
  g_assert_error(e, RILL_BROKER_ERROR, RILL_BROKER_ERROR_CONFIG);
  g_assert_cmpstr(e->message, ==, "unknown configuration key 'retention.ms'");
  g_clear_error(&e);
  rill_broker_config_free(bc);

  rill_kafka_conf *kc = rill_kafka_conf_new();
  g_assert_false(rill_kafka_conf_set(kc, "linger.ms", "-1", &e));
  g_assert_error(e, RILL_KAFKA_CLIENT_ERROR, RILL_KAFKA_CLIENT_ERROR_CONFIG);
  g_clear_error(&e);
  g_assert_true(rill_kafka_conf_set(kc, "auto.offset.reset", "smallest", &e));
  g_autofree char *reset = rill_kafka_conf_get(kc, "auto.offset.reset");
  g_assert_cmpstr(reset, ==, "earliest");
  rill_kafka_conf_free(kc);

  g_autofree char *dir = g_dir_make_tmp("rill-conf-XXXXXX", NULL);
  rill_log *log = rill_log_open(dir, NULL, &e);
  g_assert_no_error(e);
  const char *const bad[] = {"message.timestamp.type", "WallClock", NULL};
  g_assert_false(rill_log_topic_create(log, "t", 1, bad, &e));
  g_assert_error(e, RILL_LOG_ERROR, RILL_LOG_ERROR_INVALID_CONFIG);
  g_assert_nonnull(strstr(e->message, "CreateTime, LogAppendTime"));
  g_clear_error(&e);
  const char *const good[] = {"message.timestamp.type", "LogAppendTime", NULL};
  g_assert_true(rill_log_topic_create(log, "t", 1, good, &e));
  GHashTable *described = NULL;
  g_assert_true(rill_log_topic_describe(log, "t", NULL, &described, &e));
  g_assert_cmpstr(g_hash_table_lookup(described, "message.timestamp.type"), ==, "LogAppendTime");
  g_hash_table_unref(described);
  rill_log_topic_delete(log, "t", NULL);
  rill_log_close(log);
  g_rmdir(dir);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/config-table/defaults", test_defaults);
  g_test_add_func("/config-table/set-and-format", test_set_and_format);
  g_test_add_func("/config-table/errors-change-nothing", test_errors_change_nothing);
  g_test_add_func("/config-table/copy-owns-strings", test_copy_owns_strings);
  g_test_add_func("/config-table/bool-words", test_bool_words);
  g_test_add_func("/config-table/markdown", test_markdown);
  g_test_add_func("/config-table/broker-topic-defaults-match-log", test_broker_topic_defaults_match_log);
  g_test_add_func("/config-table/real-table-errors", test_real_table_errors);
  return g_test_run();
}
