/* topic-config.c — per-topic configuration under Kafka's names, driven by one
 * table (name, kind, field, min, default): parsing, validation and the
 * describe listing all come from it, so a new key is one line.
 *
 * Invariant: a rill__topic_config always holds validated values; resolving
 * goes built-in defaults -> log-wide defaults -> the topic's own keys. */
#include "runtime/log/log-private.h"

#include <stddef.h>
#include <string.h>

typedef enum { KIND_INT, KIND_TIMESTAMP_TYPE, KIND_DURABILITY } kind;

typedef struct {
  const char *name;
  kind kind;
  size_t field;
  int64_t min;
  const char *def;
} config_def;

static const config_def defs[] = {
  {"retention.ms", KIND_INT, offsetof(rill__topic_config, retention_ms), -1, "604800000"},
  {"retention.bytes", KIND_INT, offsetof(rill__topic_config, retention_bytes), -1, "-1"},
  {"segment.bytes", KIND_INT, offsetof(rill__topic_config, segment_bytes), 14, "1073741824"},
  {"segment.ms", KIND_INT, offsetof(rill__topic_config, segment_ms), 1, "604800000"},
  {"max.message.bytes", KIND_INT, offsetof(rill__topic_config, max_message_bytes), 0, "1048588"},
  {"index.interval.bytes", KIND_INT, offsetof(rill__topic_config, index_interval_bytes), 0, "4096"},
  {"flush.ms", KIND_INT, offsetof(rill__topic_config, flush_ms), 0, "1000"},
  {"message.timestamp.type", KIND_TIMESTAMP_TYPE, offsetof(rill__topic_config, log_append_time), 0,
   "CreateTime"},
  {"rill.durability", KIND_DURABILITY, offsetof(rill__topic_config, durability), 0, "none"},
};

static const char *const durability_names[] = {"none", "interval", "sync"};

static const config_def *find_def(const char *name)
{
  for (size_t i = 0; i < G_N_ELEMENTS(defs); i++)
    if (strcmp(defs[i].name, name) == 0)
      return &defs[i];
  return NULL;
}

static gboolean set_one(rill__topic_config *cfg, const char *name, const char *value, GError **error)
{
  const config_def *d = find_def(name);
  if (!d) {
    g_set_error(error, RILL_LOG_ERROR, RILL_LOG_ERROR_INVALID_CONFIG, "unknown topic config '%s'", name);
    return FALSE;
  }
  char *field = (char *)cfg + d->field;
  switch (d->kind) {
  case KIND_INT: {
    gint64 v;
    if (!g_ascii_string_to_signed(value, 10, d->min, G_MAXINT64, &v, NULL)) {
      g_set_error(error, RILL_LOG_ERROR, RILL_LOG_ERROR_INVALID_CONFIG,
                  "invalid value '%s' for %s (an integer >= %" G_GINT64_FORMAT ")", value, name, d->min);
      return FALSE;
    }
    *(int64_t *)field = v;
    return TRUE;
  }
  case KIND_TIMESTAMP_TYPE:
    if (strcmp(value, "CreateTime") == 0 || strcmp(value, "LogAppendTime") == 0) {
      *(bool *)field = value[0] == 'L';
      return TRUE;
    }
    break;
  case KIND_DURABILITY:
    for (size_t i = 0; i < G_N_ELEMENTS(durability_names); i++)
      if (strcmp(value, durability_names[i]) == 0) {
        *(rill_log_durability *)field = (rill_log_durability)i;
        return TRUE;
      }
    break;
  }
  g_set_error(error, RILL_LOG_ERROR, RILL_LOG_ERROR_INVALID_CONFIG, "invalid value '%s' for %s", value,
              name);
  return FALSE;
}

gboolean rill__topic_config_apply(rill__topic_config *cfg, GHashTable *set, const char *const *kv,
                                  GError **error)
{
  for (; kv && kv[0]; kv += 2) {
    if (!kv[1]) {
      g_set_error(error, RILL_LOG_ERROR, RILL_LOG_ERROR_INVALID_CONFIG, "no value for '%s'", kv[0]);
      return FALSE;
    }
    if (!set_one(cfg, kv[0], kv[1], error))
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
    if (!set_one(cfg, k, v, error))
      return FALSE;
  return TRUE;
}

gboolean rill__topic_config_resolve(rill__topic_config *cfg, GHashTable *defaults, GHashTable *own,
                                    GError **error)
{
  memset(cfg, 0, sizeof *cfg);
  for (size_t i = 0; i < G_N_ELEMENTS(defs); i++)
    if (!set_one(cfg, defs[i].name, defs[i].def, error))
      g_assert_not_reached();
  return apply_table(cfg, defaults, error) && apply_table(cfg, own, error);
}

GHashTable *rill__topic_config_describe(const rill__topic_config *cfg)
{
  GHashTable *t = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
  for (size_t i = 0; i < G_N_ELEMENTS(defs); i++) {
    const char *field = (const char *)cfg + defs[i].field;
    char *v = NULL;
    switch (defs[i].kind) {
    case KIND_INT: v = g_strdup_printf("%" G_GINT64_FORMAT, *(const int64_t *)field); break;
    case KIND_TIMESTAMP_TYPE: v = g_strdup(*(const bool *)field ? "LogAppendTime" : "CreateTime"); break;
    case KIND_DURABILITY: v = g_strdup(durability_names[*(const rill_log_durability *)field]); break;
    }
    g_hash_table_insert(t, (gpointer)defs[i].name, v);
  }
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
