/* rill-topics — topic administration for rill-broker or any Kafka broker.
 *
 *   rill-topics [-b HOST:PORT] list
 *   rill-topics describe TOPIC...
 *   rill-topics create TOPIC [--partitions N] [--replication-factor R] [--config K=V]...
 *   rill-topics delete TOPIC...
 *   rill-topics add-partitions TOPIC --partitions TOTAL
 *   rill-topics offsets TOPIC [--time earliest|latest|MS]
 *
 * Output is plain text, one line per item, columns separated by a tab
 * (stable, for scripts; the formats are in docs/tools.md). Exit codes:
 * docs/tools.md. */
#include <stdio.h>

#include "tool.h"

typedef struct {
  tool_common common;
  int partitions;
  int replication;
  char **configs;
  char *time;
  rill_kafka_conf *conf;
  rill__kclient *client;
} topics;

static int cmp_str(gconstpointer a, gconstpointer b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static gboolean cmd_list(topics *t, GError **error)
{
  rill__kreq *r = rill__kadmin_metadata(t->client, NULL, error);
  if (!r)
    return FALSE;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
  for (int32_t i = 0; i < r->resp.metadata.n_topics; i++) {
    rill__wire_str n = r->resp.metadata.topics[i].name;
    if (n.len > 0)
      g_ptr_array_add(names, g_strndup(n.ptr, (gsize)n.len));
  }
  rill__kreq_free(r);
  g_ptr_array_sort(names, cmp_str);
  for (guint i = 0; i < names->len; i++)
    printf("%s\n", (char *)names->pdata[i]);
  return TRUE;
}

static void print_nodes(GString *s, const int32_t *nodes, int32_t n)
{
  for (int32_t i = 0; i < n; i++)
    g_string_append_printf(s, "%s%d", i ? "," : "", nodes[i]);
  if (n == 0)
    g_string_append(s, "-");
}

static gboolean cmd_describe(topics *t, char **names, GError **error)
{
  rill__kreq *r = rill__kadmin_metadata(t->client, (const char *const *)names, error);
  if (!r)
    return FALSE;
  const rill__wire_metadata_response *m = &r->resp.metadata;
  gboolean ok = TRUE;
  GString *s = g_string_new(NULL);
  for (guint k = 0; names[k] && ok; k++)
    for (int32_t i = 0; i < m->n_topics; i++) {
      const rill__wire_metadata_response_topic *mt = &m->topics[i];
      if (!rill__wire_str_eq(mt->name, names[k]))
        continue;
      if (mt->error_code) {
        g_autofree char *what = g_strdup_printf("topic '%s'", names[k]);
        rill__kclient_set_error(error, mt->error_code, what, NULL);
        ok = FALSE;
        break;
      }
      g_string_append_printf(s, "topic\t%s\tpartitions\t%d\n", names[k], mt->n_partitions);
      for (int32_t p = 0; p < mt->n_partitions; p++)
        for (int32_t q = 0; q < mt->n_partitions; q++) {
          const rill__wire_metadata_response_partition *mp = &mt->partitions[q];
          if (mp->partition_index != p)
            continue;
          g_string_append_printf(s, "partition\t%d\tleader\t%d\treplicas\t", p, mp->leader_id);
          print_nodes(s, mp->replica_nodes, mp->n_replica_nodes);
          g_string_append(s, "\tisr\t");
          print_nodes(s, mp->isr_nodes, mp->n_isr_nodes);
          g_string_append_c(s, '\n');
        }
    }
  rill__kreq_free(r);
  if (ok)
    fputs(s->str, stdout);
  g_string_free(s, TRUE);
  return ok;
}

static gboolean cmd_offsets(topics *t, const char *topic, GError **error)
{
  gint64 ts = -1;
  if (t->time && !strcmp(t->time, "earliest"))
    ts = -2;
  else if (t->time && strcmp(t->time, "latest") && (!tool_parse_int64(t->time, &ts) || ts < 0)) {
    tool_usage_error(error, "--time %s: expected earliest, latest or milliseconds", t->time);
    return FALSE;
  }
  const char *names[] = {topic, NULL};
  rill__kreq *r = rill__kadmin_metadata(t->client, names, error);
  if (!r)
    return FALSE;
  int16_t code = r->resp.metadata.n_topics == 1 ? r->resp.metadata.topics[0].error_code : -1;
  rill__kreq_free(r);
  if (code) {
    g_autofree char *what = g_strdup_printf("topic '%s'", topic);
    rill__kclient_set_error(error, code, what, NULL);
    return FALSE;
  }
  if (!rill__kclient_refresh_metadata(t->client, names, error))
    return FALSE;
  int32_t n = rill__kclient_partition_count(t->client, topic, NULL);
  g_autofree int64_t *lo = g_new0(int64_t, (gsize)MAX(n, 1));
  g_autofree int64_t *hi = g_new0(int64_t, (gsize)MAX(n, 1));
  if (!t->time) {
    /* both ends */
    if (!rill__kadmin_list_offsets(t->client, topic, n, -2, lo, error) ||
        !rill__kadmin_list_offsets(t->client, topic, n, -1, hi, error))
      return FALSE;
    for (int32_t p = 0; p < n; p++)
      printf("%s\t%d\t%" G_GINT64_FORMAT "\t%" G_GINT64_FORMAT "\n", topic, p, lo[p], hi[p]);
    return TRUE;
  }
  if (!rill__kadmin_list_offsets(t->client, topic, n, ts, lo, error))
    return FALSE;
  for (int32_t p = 0; p < n; p++)
    printf("%s\t%d\t%" G_GINT64_FORMAT "\n", topic, p, lo[p]);
  return TRUE;
}

static gboolean run(gpointer tool, int argc, char **argv, GError **error)
{
  topics *t = tool;
  if (argc < 2) {
    tool_usage_error(error, "a command is required: list, describe, create, delete, add-partitions, offsets");
    return FALSE;
  }
  const char *cmd = argv[1];
  gboolean needs_topic = strcmp(cmd, "list") != 0;
  if (!g_strv_contains((const char *const[]){"list", "describe", "create", "delete", "add-partitions", "offsets",
                                             NULL}, cmd)) {
    tool_usage_error(error, "unknown command '%s'", cmd);
    return FALSE;
  }
  if (needs_topic && argc < 3) {
    tool_usage_error(error, "%s: TOPIC is required", cmd);
    return FALSE;
  }
  if (!needs_topic && argc > 2) {
    tool_usage_error(error, "list takes no argument");
    return FALSE;
  }
  if (!strcmp(cmd, "add-partitions") && t->partitions <= 0) {
    tool_usage_error(error, "add-partitions: --partitions TOTAL is required");
    return FALSE;
  }
  if (!tool_connect(&t->common, "rill-topics", &t->conf, &t->client, error))
    return FALSE;
  if (!strcmp(cmd, "list"))
    return cmd_list(t, error);
  if (!strcmp(cmd, "describe"))
    return cmd_describe(t, argv + 2, error);
  if (!strcmp(cmd, "offsets"))
    return argc == 3 ? cmd_offsets(t, argv[2], error) : (tool_usage_error(error, "offsets: one TOPIC"), FALSE);
  for (int i = 2; i < argc; i++) {
    gboolean ok;
    if (!strcmp(cmd, "create"))
      ok = rill__kadmin_create_topic(t->client, argv[i], t->partitions > 0 ? t->partitions : -1,
                                     (int16_t)t->replication, (const char *const *)t->configs, error);
    else if (!strcmp(cmd, "delete"))
      ok = rill__kadmin_delete_topic(t->client, argv[i], error);
    else
      ok = rill__kadmin_create_partitions(t->client, argv[i], t->partitions, error);
    if (!ok)
      return FALSE;
  }
  return TRUE;
}

int main(int argc, char **argv)
{
  topics t = {0};
  t.replication = -1;
  GOptionEntry entries[] = {
    {"partitions", 'P', 0, G_OPTION_ARG_INT, &t.partitions,
     "create: partition count (default: the broker's num.partitions); add-partitions: the new total", "N"},
    {"replication-factor", 'r', 0, G_OPTION_ARG_INT, &t.replication, "create: replication factor (default: the "
     "broker's)", "R"},
    {"config", 'C', 0, G_OPTION_ARG_STRING_ARRAY, &t.configs, "create: topic config (repeatable)", "KEY=VALUE"},
    {"time", 'T', 0, G_OPTION_ARG_STRING, &t.time,
     "offsets: print the offset at earliest, latest or the first at/after MS (default: both ends)", "WHEN"},
    G_OPTION_ENTRY_NULL,
  };
  static const char summary[] =
    "Commands:\n"
    "  list                              topic names, one per line\n"
    "  describe TOPIC...                 partitions, leaders, replicas, in-sync replicas\n"
    "  create TOPIC... [-P N] [-r R] [-C K=V]...\n"
    "  delete TOPIC...\n"
    "  add-partitions TOPIC... -P TOTAL  grow to TOTAL partitions\n"
    "  offsets TOPIC [-T WHEN]           TOPIC PARTITION LOW HIGH (or the offset at WHEN)\n"
    "Exit status: 0 ok, 1 usage, 2 broker unreachable, 3 broker error (unknown topic, topic exists, ...).\n"
    "See docs/tools.md.";
  int rc = tool_main(argc, argv, "rill-topics", "COMMAND [TOPIC...] - manage Kafka topics", summary, entries,
                     &t.common, run, &t);
  rill__kclient_free(t.client);
  rill_kafka_conf_free(t.conf);
  tool_common_clear(&t.common);
  g_strfreev(t.configs);
  g_free(t.time);
  return rc;
}
