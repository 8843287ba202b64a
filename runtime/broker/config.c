/* config.c — the broker's configuration table and its parser.
 *
 * One row per setting (rill__broker_config_table): everything else — parsing,
 * range checks, defaults, the topic defaults handed to the log, DescribeConfigs
 * for the broker, and docs/CONFIGURATION.md — is derived from it, so a new
 * setting is one row plus one struct field.
 */
#include "runtime/broker/config.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <rill/broker.h>

#define OFF(f) offsetof(rill__broker_settings, f)
#define I32 RILL__CONF_INT32
#define I64 RILL__CONF_INT64

const rill__conf_prop rill__broker_config_table[] = {
  {"log.dirs", RILL__CONF_STRING, OFF(log_dirs), 0, 0, "", NULL,
   "Data directory of the log (one directory; rill-broker's --data-dir sets it)."},
  {"listeners", RILL__CONF_STRING, OFF(listeners), 0, 0, "127.0.0.1:9092", NULL,
   "Where to listen: host:port or PLAINTEXT://host:port; port 0 picks a free port; empty = do not listen."},
  {"advertised.listeners", RILL__CONF_STRING, OFF(advertised_listeners), 0, 0, "", NULL,
   "host:port given to clients in Metadata/FindCoordinator; empty = the bound address (127.0.0.1 when bound to 0.0.0.0)."},
  {"broker.id", I32, OFF(broker_id), 0, G_MAXINT32, "1", NULL,
   "Node id of this broker (also the controller id)."},
  {"cluster.id", RILL__CONF_STRING, OFF(cluster_id), 0, 0, "rill-cluster", NULL,
   "Cluster id reported in Metadata."},
  {"num.partitions", I32, OFF(num_partitions), 1, 100000, "1", NULL,
   "Partitions of auto-created topics and of CreateTopics with NumPartitions -1."},
  {"default.replication.factor", I32, OFF(default_replication_factor), 1, 1, "1", NULL,
   "Accepted for compatibility; rill keeps one copy, so only 1 is valid."},
  {"auto.create.topics.enable", RILL__CONF_BOOL, OFF(auto_create_topics_enable), 0, 1, "true", NULL,
   "Create a topic when Metadata asks for one that does not exist."},
  {"log.retention.ms", I64, OFF(log_retention_ms), -1, G_MAXINT64, "604800000", "retention.ms",
   "Default retention.ms of topics (-1 = keep forever)."},
  {"log.retention.bytes", I64, OFF(log_retention_bytes), -1, G_MAXINT64, "-1", "retention.bytes",
   "Default retention.bytes per partition (-1 = no limit)."},
  {"log.segment.bytes", I64, OFF(log_segment_bytes), 14, G_MAXINT32, "1073741824", "segment.bytes",
   "Default segment.bytes: size at which a segment file is rolled."},
  {"log.roll.ms", I64, OFF(log_roll_ms), 1, G_MAXINT64, "604800000", "segment.ms",
   "Default segment.ms: age at which a segment file is rolled."},
  {"log.flush.interval.ms", I64, OFF(log_flush_interval_ms), 1, G_MAXINT64, "1000", "flush.ms",
   "Default flush.ms: fdatasync interval under durability interval."},
  {"rill.durability", RILL__CONF_DURABILITY, OFF(log_durability), 0, 2, "none", "rill.durability",
   "Default rill.durability: none (page cache), interval (fdatasync every flush.ms) or sync (acknowledge after fdatasync)."},
  {"log.retention.check.interval.ms", I64, OFF(log_retention_check_interval_ms), 0, G_MAXINT64, "300000", NULL,
   "How often retention is enforced (0 = never)."},
  {"rill.page.cache.window.bytes", I64, OFF(log_page_cache_window_bytes), 0, G_MAXINT64, "4194304", NULL,
   "Bytes at the tail of each partition kept in the page cache; older ones are written back early and dropped from it (0 = leave it all to the kernel)."},
  {"log.scrub.bytes.per.sec", I64, OFF(log_scrub_bytes_per_sec), 0, G_MAXINT64, "4194304", NULL,
   "Read rate of the background scrubber that re-checks the CRC of sealed segments (0 = no scrubber)."},
  {"log.scrub.interval.ms", I64, OFF(log_scrub_interval_ms), 0, G_MAXINT64, "3600000", NULL,
   "Least time between the starts of two scrub passes over every sealed segment."},
  {"message.max.bytes", I32, OFF(message_max_bytes), 0, G_MAXINT32, "1048588", "max.message.bytes",
   "Default max.message.bytes: largest record batch a topic accepts."},
  {"socket.request.max.bytes", I32, OFF(socket_request_max_bytes), 64, G_MAXINT32, "104857600", NULL,
   "Largest request accepted; a larger size prefix closes the connection before anything is allocated."},
  {"connections.max.idle.ms", I64, OFF(connections_max_idle_ms), 1, G_MAXINT64, "600000", NULL,
   "Connections with nothing in flight and no traffic for this long are closed."},
  {"max.connections", I32, OFF(max_connections), 1, G_MAXINT32, "10000", NULL,
   "Connections accepted at once; further ones are closed on accept."},
  {"rill.io.workers", I32, OFF(num_io_workers), 1, 256, "4", NULL,
   "Threads that run blocking log calls (OffsetCommit's atomic file writes) off the I/O thread."},
  {"group.initial.rebalance.delay.ms", I64, OFF(group_initial_rebalance_delay_ms), 0, G_MAXINT32, "3000", NULL,
   "Wait for more members before the first rebalance of an empty group."},
  {"group.min.session.timeout.ms", I64, OFF(group_min_session_timeout_ms), 1, G_MAXINT32, "6000", NULL,
   "Smallest session timeout a member may ask for."},
  {"group.max.session.timeout.ms", I64, OFF(group_max_session_timeout_ms), 1, G_MAXINT32, "1800000", NULL,
   "Largest session timeout a member may ask for."},
  {"offsets.retention.minutes", I64, OFF(offsets_retention_minutes), 1, G_MAXINT32, "10080", NULL,
   "Committed offsets of a group without members expire this long after the later of their commit and the "
   "group becoming empty."},
  {"offsets.retention.check.interval.ms", I64, OFF(offsets_retention_check_interval_ms), 1, G_MAXINT64, "600000",
   NULL, "How often expired committed offsets are looked for."},
};
const guint rill__broker_config_table_len = G_N_ELEMENTS(rill__broker_config_table);

static const char *const durability_names[] = {"none", "interval", "sync"};

static const rill__conf_prop *find_prop(const char *key)
{
  for (guint i = 0; i < rill__broker_config_table_len; i++)
    if (strcmp(rill__broker_config_table[i].name, key) == 0)
      return &rill__broker_config_table[i];
  return NULL;
}

static gboolean parse_int(const rill__conf_prop *p, const char *value, int64_t *out, GError **error)
{
  char *end = NULL;
  errno = 0;
  long long v = strtoll(value, &end, 10);
  if (errno || end == value || *end != '\0') {
    g_set_error(error, RILL_BROKER_ERROR, RILL_BROKER_ERROR_CONFIG, "%s: '%s' is not an integer", p->name, value);
    return FALSE;
  }
  if (v < p->min || v > p->max) {
    g_set_error(error, RILL_BROKER_ERROR, RILL_BROKER_ERROR_CONFIG,
                "%s: %lld is outside [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT "]", p->name, v, p->min, p->max);
    return FALSE;
  }
  *out = v;
  return TRUE;
}

static gboolean set_prop(rill__broker_settings *s, const rill__conf_prop *p, const char *value, GError **error)
{
  char *field = (char *)s + p->offset;
  int64_t v = 0;
  switch (p->type) {
  case RILL__CONF_INT32:
    if (!parse_int(p, value, &v, error))
      return FALSE;
    *(int32_t *)field = (int32_t)v;
    return TRUE;
  case RILL__CONF_INT64:
    if (!parse_int(p, value, &v, error))
      return FALSE;
    *(int64_t *)field = v;
    return TRUE;
  case RILL__CONF_BOOL:
    if (g_ascii_strcasecmp(value, "true") == 0)
      *(gboolean *)field = TRUE;
    else if (g_ascii_strcasecmp(value, "false") == 0)
      *(gboolean *)field = FALSE;
    else
      goto bad_enum;
    return TRUE;
  case RILL__CONF_STRING:
    g_free(*(char **)field);
    *(char **)field = g_strdup(value);
    return TRUE;
  case RILL__CONF_DURABILITY:
    for (int i = 0; i < (int)G_N_ELEMENTS(durability_names); i++)
      if (strcmp(value, durability_names[i]) == 0) {
        *(int *)field = i;
        return TRUE;
      }
    goto bad_enum;
  }
  g_assert_not_reached();

bad_enum:
  g_set_error(error, RILL_BROKER_ERROR, RILL_BROKER_ERROR_CONFIG, "%s: '%s' is not one of %s", p->name, value,
              p->type == RILL__CONF_BOOL ? "true, false" : "none, interval, sync");
  return FALSE;
}

void rill__broker_settings_init(rill__broker_settings *s)
{
  memset(s, 0, sizeof *s);
  for (guint i = 0; i < rill__broker_config_table_len; i++) {
    gboolean ok = set_prop(s, &rill__broker_config_table[i], rill__broker_config_table[i].def, NULL);
    g_assert(ok); /* the table's own defaults are valid */
  }
}

void rill__broker_settings_copy(rill__broker_settings *dst, const rill__broker_settings *src)
{
  *dst = *src;
  for (guint i = 0; i < rill__broker_config_table_len; i++) {
    const rill__conf_prop *p = &rill__broker_config_table[i];
    if (p->type == RILL__CONF_STRING) {
      char **f = (char **)((char *)dst + p->offset);
      *f = g_strdup(*f);
    }
  }
}

void rill__broker_settings_clear(rill__broker_settings *s)
{
  for (guint i = 0; i < rill__broker_config_table_len; i++) {
    const rill__conf_prop *p = &rill__broker_config_table[i];
    if (p->type == RILL__CONF_STRING)
      g_clear_pointer((char **)((char *)s + p->offset), g_free);
  }
}

gboolean rill__broker_settings_set(rill__broker_settings *s, const char *key, const char *value, GError **error)
{
  const rill__conf_prop *p = find_prop(key);
  if (!p) {
    g_set_error(error, RILL_BROKER_ERROR, RILL_BROKER_ERROR_CONFIG, "unknown configuration key '%s'", key);
    return FALSE;
  }
  return set_prop(s, p, value, error);
}

char *rill__broker_settings_format(const rill__broker_settings *s, const rill__conf_prop *p)
{
  const char *field = (const char *)s + p->offset;
  switch (p->type) {
  case RILL__CONF_INT32:
    return g_strdup_printf("%d", *(const int32_t *)field);
  case RILL__CONF_INT64:
    return g_strdup_printf("%" G_GINT64_FORMAT, *(const int64_t *)field);
  case RILL__CONF_BOOL:
    return g_strdup(*(const gboolean *)field ? "true" : "false");
  case RILL__CONF_STRING:
    return g_strdup(*(char *const *)field ? *(char *const *)field : "");
  case RILL__CONF_DURABILITY:
    return g_strdup(durability_names[*(const int *)field]);
  }
  g_assert_not_reached();
}

char **rill__broker_settings_topic_defaults(const rill__broker_settings *s)
{
  GPtrArray *a = g_ptr_array_new();
  for (guint i = 0; i < rill__broker_config_table_len; i++) {
    const rill__conf_prop *p = &rill__broker_config_table[i];
    if (!p->topic_key)
      continue;
    g_ptr_array_add(a, g_strdup(p->topic_key));
    g_ptr_array_add(a, rill__broker_settings_format(s, p));
  }
  g_ptr_array_add(a, NULL);
  return (char **)g_ptr_array_free(a, FALSE);
}

static const char *type_name(rill__conf_type t)
{
  switch (t) {
  case RILL__CONF_INT32: return "int";
  case RILL__CONF_INT64: return "long";
  case RILL__CONF_BOOL: return "boolean";
  case RILL__CONF_STRING: return "string";
  case RILL__CONF_DURABILITY: return "none|interval|sync";
  }
  return "?";
}

char *rill__broker_config_markdown(void)
{
  GString *md = g_string_new("| Property | Type | Range | Default | Topic config | Description |\n"
                             "|---|---|---|---|---|---|\n");
  for (guint i = 0; i < rill__broker_config_table_len; i++) {
    const rill__conf_prop *p = &rill__broker_config_table[i];
    char *range = (p->type == RILL__CONF_INT32 || p->type == RILL__CONF_INT64)
                      ? g_strdup_printf("%" G_GINT64_FORMAT " .. %" G_GINT64_FORMAT, p->min, p->max)
                      : g_strdup("");
    g_string_append_printf(md, "| `%s` | %s | %s | `%s` | %s | %s |\n", p->name, type_name(p->type), range, p->def,
                           p->topic_key ? p->topic_key : "", p->doc);
    g_free(range);
  }
  return g_string_free(md, FALSE);
}
