/* topic-config.c — per-topic configuration under Kafka's names: one table
 * (config-table.h) drives parsing, validation and the describe listing, so a
 * new key is one row. Defaults shared with the broker's log.* rows come from
 * topic-defaults.h.
 *
 * Invariant: a rill__topic_config always holds validated values; resolving
 * goes built-in defaults -> log-wide defaults -> the topic's own keys. */
#include "runtime/log/log-private.h"

#include <stddef.h>
#include <string.h>

#include "runtime/config-table.h"
#include "runtime/log/topic-defaults.h"

/* The engine stores enums as int. */
G_STATIC_ASSERT(sizeof(rill_log_durability) == sizeof(int));

#define OFF(f) offsetof(rill__topic_config, f)
#define I64 RILL__CONF_INT64
#define ENUM RILL__CONF_ENUM

static const rill__conf_prop props[] = {
  {"retention.ms", I64, OFF(retention_ms), -1, G_MAXINT64, RILL__TOPIC_DEFAULT_RETENTION_MS, NULL, NULL, NULL, "Age after which a closed segment is deleted (-1 = never)."},
  {"retention.bytes", I64, OFF(retention_bytes), -1, G_MAXINT64, RILL__TOPIC_DEFAULT_RETENTION_BYTES, NULL, NULL, NULL, "Size above which the oldest segments of a partition are deleted (-1 = no limit)."},
  {"segment.bytes", I64, OFF(segment_bytes), 14, G_MAXINT64, RILL__TOPIC_DEFAULT_SEGMENT_BYTES, NULL, NULL, NULL, "Size at which a segment file is rolled."},
  {"segment.ms", I64, OFF(segment_ms), 1, G_MAXINT64, RILL__TOPIC_DEFAULT_SEGMENT_MS, NULL, NULL, NULL, "Age at which a segment file is rolled."},
  {"max.message.bytes", I64, OFF(max_message_bytes), 0, G_MAXINT64, RILL__TOPIC_DEFAULT_MAX_MESSAGE_BYTES, NULL, NULL, NULL, "Largest record batch the topic accepts."},
  {"index.interval.bytes", I64, OFF(index_interval_bytes), 0, G_MAXINT64, "4096", NULL, NULL, NULL, "Bytes between two offset index entries."},
  {"flush.ms", I64, OFF(flush_ms), 0, G_MAXINT64, RILL__TOPIC_DEFAULT_FLUSH_MS, NULL, NULL, NULL, "fdatasync interval under durability interval."},
  {"message.timestamp.type", ENUM, OFF(log_append_time), 0, 0, "CreateTime", "CreateTime|LogAppendTime", NULL, NULL, "Whose timestamps a batch keeps: the producer's or the broker's."},
  {"rill.durability", ENUM, OFF(durability), 0, 0, RILL__TOPIC_DEFAULT_DURABILITY, RILL__DURABILITY_CHOICES, NULL, NULL, "none (page cache), interval (fdatasync every flush.ms) or sync (acknowledge after fdatasync)."},
};

static const rill__conf_table table = {props, G_N_ELEMENTS(props), rill_log_error_quark, RILL_LOG_ERROR_INVALID_CONFIG,
                                       "topic config", FALSE};

gboolean rill__topic_config_apply(rill__topic_config *cfg, GHashTable *set, const char *const *kv,
                                  GError **error)
{
  for (; kv && kv[0]; kv += 2) {
    if (!kv[1]) {
      g_set_error(error, RILL_LOG_ERROR, RILL_LOG_ERROR_INVALID_CONFIG, "no value for '%s'", kv[0]);
      return FALSE;
    }
    if (!rill__conf_set(&table, cfg, kv[0], kv[1], error))
      return FALSE;
    if (set)
      g_hash_table_replace(set, g_strdup(kv[0]), g_strdup(kv[1]));
  }
  return TRUE;
}

static gboolean apply_table(rill__topic_config *cfg, GHashTable *t, GError **error)
{
  if (!t)
    return TRUE;
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init(&it, t);
  while (g_hash_table_iter_next(&it, &k, &v))
    if (!rill__conf_set(&table, cfg, k, v, error))
      return FALSE;
  return TRUE;
}

gboolean rill__topic_config_resolve(rill__topic_config *cfg, GHashTable *defaults, GHashTable *own,
                                    GError **error)
{
  memset(cfg, 0, sizeof *cfg);
  rill__conf_init(&table, cfg);
  return apply_table(cfg, defaults, error) && apply_table(cfg, own, error);
}

GHashTable *rill__topic_config_describe(const rill__topic_config *cfg)
{
  GHashTable *t = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
  for (size_t i = 0; i < G_N_ELEMENTS(props); i++)
    g_hash_table_insert(t, (gpointer)props[i].name, rill__conf_format(&props[i], cfg));
  return t;
}

/* Kafka's org.apache.kafka.common.internals.Topic.validate. */
gboolean rill_log_topic_name_validate(const char *name, GError **error)
{
  g_return_val_if_fail(name != NULL, FALSE);
  size_t len = strlen(name);
  const char *why = NULL;
  if (len == 0)
    why = "is empty";
  else if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
    why = "cannot be \".\" or \"..\"";
  else if (len > 249)
    why = "is longer than 249 characters";
  else
    for (const char *c = name; *c; c++)
      if (!g_ascii_isalnum(*c) && *c != '.' && *c != '_' && *c != '-') {
        why = "contains a character other than ASCII alphanumerics, '.', '_' and '-'";
        break;
      }
  if (why) {
    g_set_error(error, RILL_LOG_ERROR, RILL_LOG_ERROR_INVALID_TOPIC, "topic name '%s' %s", name, why);
    return FALSE;
  }
  return TRUE;
}
