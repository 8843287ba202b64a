/* kconf.c — the property table and its parser (see kconf.h).
 *
 * Rows are in the order the reference lists them. Aliases (librdkafka's own
 * synonyms such as compression.type for compression.codec) point at the
 * same field and are listed in the doc of the main name. */
#include "connectors/kafka/kconf.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

#include "runtime/wire/compress.h"

G_DEFINE_QUARK(rill-kafka-client-error-quark, rill_kafka_client_error)

typedef enum { T_STRING, T_INT, T_BOOL, T_ENUM } prop_type;

typedef struct {
  const char *name;
  const char *alias;     /* librdkafka synonym, or NULL */
  prop_type type;
  size_t offset;
  int64_t min, max;      /* T_INT */
  const char *def;       /* default, in the syntax set() accepts */
  const char *choices;   /* T_ENUM: "a|b|c" (index = stored value; "name=value" maps synonyms) */
  const char *doc;
} prop;

#define OFF(f) offsetof(rill_kafka_conf, f)

static const prop props[] = {
  {"bootstrap.servers", "metadata.broker.list", T_STRING, OFF(bootstrap_servers), 0, 0, "", NULL,
   "Comma-separated host:port list used to find the cluster. Required."},
  {"client.id", NULL, T_STRING, OFF(client_id), 0, 0, "rill", NULL, "Client identifier sent with every request."},
  {"group.id", NULL, T_STRING, OFF(group_id), 0, 0, "", NULL,
   "Consumer group (source): every source task is one member; empty = manual assignment."},
  {"acks", "request.required.acks", T_ENUM, OFF(acks), 0, 0, "all", "all=-1|-1=-1|0=0|1=1",
   "Producer acknowledgements: 0 none (no response), 1 leader, all (-1) all in-sync replicas."},
  {"linger.ms", "queue.buffering.max.ms", T_INT, OFF(linger_ms), 0, 900000, "5", NULL,
   "How long a partition's batch may wait for more records before it is sent."},
  {"batch.size", NULL, T_INT, OFF(batch_size), 1, 2147483647, "1000000", NULL,
   "Uncompressed bytes after which a partition's batch is sent at once."},
  {"batch.num.messages", NULL, T_INT, OFF(batch_num_messages), 1, 1000000, "10000", NULL,
   "Records after which a partition's batch is sent at once."},
  {"compression.codec", "compression.type", T_ENUM, OFF(codec), 0, 0, "none", "none|gzip|snappy|lz4|zstd",
   "Compression of produced batches."},
  {"compression.level", NULL, T_INT, OFF(compression_level), -1, 22, "-1", NULL,
   "Codec level; -1 is the codec's default."},
  {"enable.idempotence", NULL, T_BOOL, OFF(idempotence), 0, 0, "false", NULL,
   "Idempotent producer: InitProducerId and per-partition sequences, so retries never duplicate. Requires acks=all."},
  {"queue.buffering.max.kbytes", NULL, T_INT, OFF(queue_max_kbytes), 1, 2147483647, "65536", NULL,
   "Bound on the bytes the sink holds unacknowledged; write() blocks (backpressure) above it."},
  {"message.timeout.ms", "delivery.timeout.ms", T_INT, OFF(message_timeout_ms), 0, 2147483647, "300000", NULL,
   "A batch not acknowledged within this time fails the pipeline (0 = forever)."},
  {"message.max.bytes", NULL, T_INT, OFF(message_max_bytes), 1000, 1000000000, "1000000", NULL,
   "Largest request the client sends; batches are cut below it."},
  {"partitioner", NULL, T_ENUM, OFF(partitioner), 0, 0, "murmur2_random",
   "murmur2_random|murmur2|consistent_random|consistent|random",
   "Keyed records: murmur2 (Java client) or consistent (CRC32, librdkafka); *_random and random: null keys "
   "stick to one partition until its batch is sent."},
  {"retries", "message.send.max.retries", T_INT, OFF(retries), 0, 2147483647, "2147483647", NULL,
   "Retries of a request that failed with a retriable error."},
  {"retry.backoff.ms", NULL, T_INT, OFF(retry_backoff_ms), 1, 300000, "100", NULL, "Wait before a retry."},
  {"request.timeout.ms", "socket.timeout.ms", T_INT, OFF(request_timeout_ms), 10, 900000, "30000", NULL,
   "A broker that does not answer within this time (plus the fetch wait) is disconnected."},
  {"reconnect.backoff.ms", NULL, T_INT, OFF(reconnect_backoff_ms), 0, 3600000, "100", NULL,
   "Wait before reconnecting to a broker after a failure."},
  {"metadata.max.age.ms", "topic.metadata.refresh.interval.ms", T_INT, OFF(metadata_max_age_ms), 1, 86400000,
   "300000", NULL, "Metadata older than this is refreshed."},
  {"auto.offset.reset", NULL, T_ENUM, OFF(auto_offset_reset), 0, 0, "latest",
   "earliest|latest|error|smallest=0|beginning=0|largest=1|end=1",
   "Where to start when there is no committed offset or it is out of range; error fails the pipeline."},
  {"session.timeout.ms", NULL, T_INT, OFF(session_timeout_ms), 1, 3600000, "45000", NULL,
   "Group session: a member without heartbeat for this long is removed."},
  {"max.poll.interval.ms", NULL, T_INT, OFF(max_poll_interval_ms), 1, 86400000, "300000", NULL,
   "Rebalance timeout sent in JoinGroup; a source task whose read() is not called for this long (stuck downstream) "
   "leaves the group, and rejoins when it reads again."},
  {"heartbeat.interval.ms", NULL, T_INT, OFF(heartbeat_interval_ms), 1, 3600000, "3000", NULL,
   "Heartbeats are sent on the member's own thread at this interval, however long processing takes."},
  {"partition.assignment.strategy", NULL, T_STRING, OFF(assignment_strategy), 0, 0, "range,roundrobin", NULL,
   "Assignors offered in JoinGroup, preferred first: range, roundrobin (Kafka's encoding: mixed groups with "
   "librdkafka/Java members work)."},
  {"enable.auto.commit", NULL, T_BOOL, OFF(enable_auto_commit), 0, 0, "true", NULL,
   "Commit processed offsets every auto.commit.interval.ms, before a rebalance takes partitions away and at close "
   "after a clean drain; false: the source commits nothing itself."},
  {"auto.commit.interval.ms", NULL, T_INT, OFF(auto_commit_interval_ms), 0, 86400000, "5000", NULL,
   "Interval of periodic commits of processed offsets."},
  {"fetch.min.bytes", NULL, T_INT, OFF(fetch_min_bytes), 1, 100000000, "1", NULL,
   "The broker answers a Fetch once this many bytes are available..."},
  {"fetch.wait.max.ms", NULL, T_INT, OFF(fetch_wait_max_ms), 0, 300000, "500", NULL,
   "...or after this long."},
  {"fetch.max.bytes", NULL, T_INT, OFF(fetch_max_bytes), 0, 2147483135, "52428800", NULL,
   "Soft bound on the bytes of one Fetch response."},
  {"max.partition.fetch.bytes", NULL, T_INT, OFF(max_partition_fetch_bytes), 1, 1000000000, "1048576", NULL,
   "Soft bound on the bytes per partition in one Fetch response."},
  {"check.crcs", NULL, T_BOOL, OFF(check_crcs), 0, 0, "false", NULL, "Verify the CRC-32C of fetched batches."},
};

static const prop *find(const char *name)
{
  for (size_t i = 0; i < G_N_ELEMENTS(props); i++)
    if (g_str_equal(props[i].name, name) || (props[i].alias && g_str_equal(props[i].alias, name)))
      return &props[i];
  return NULL;
}

/* The value of @value among the "|"-separated @choices: an entry "name"
 * stands for its index among the unmapped entries, "name=value" for value.
 * Returns -2 when absent. */
static int enum_value(const char *choices, const char *value)
{
  g_auto(GStrv) c = g_strsplit(choices, "|", -1);
  int idx = 0;
  for (char **p = c; *p; p++) {
    const char *eq = strchr(*p, '=');
    size_t n = eq ? (size_t)(eq - *p) : strlen(*p);
    int v = eq ? atoi(eq + 1) : idx++;
    if (strlen(value) == n && strncmp(*p, value, n) == 0)
      return v;
  }
  return -2;
}

/* The first name in @choices standing for @v. (transfer full) */
static char *enum_name(const char *choices, int v)
{
  g_auto(GStrv) c = g_strsplit(choices, "|", -1);
  for (char **p = c; *p; p++) {
    char *eq = strchr(*p, '=');
    if (eq)
      *eq = 0;
    if (enum_value(choices, *p) == v)
      return g_strdup(*p);
  }
  return g_strdup_printf("%d", v);
}

static gboolean apply(rill_kafka_conf *conf, const prop *p, const char *value, GError **error)
{
  void *field = (char *)conf + p->offset;
  switch (p->type) {
  case T_STRING:
    g_free(*(char **)field);
    *(char **)field = g_strdup(value);
    return TRUE;
  case T_BOOL:
    if (!g_ascii_strcasecmp(value, "true") || g_str_equal(value, "1"))
      *(gboolean *)field = TRUE;
    else if (!g_ascii_strcasecmp(value, "false") || g_str_equal(value, "0"))
      *(gboolean *)field = FALSE;
    else
      goto bad;
    return TRUE;
  case T_INT: {
    char *end;
    errno = 0;
    long long v = strtoll(value, &end, 10);
    if (errno || end == value || *end)
      goto bad;
    if (v < p->min || v > p->max) {
      g_set_error(error, RILL_KAFKA_CLIENT_ERROR, RILL_KAFKA_CLIENT_ERROR_CONFIG, "%s=%s is out of range [%" G_GINT64_FORMAT
                  "..%" G_GINT64_FORMAT "]", p->name, value, p->min, p->max);
      return FALSE;
    }
    *(int *)field = (int)v;
    return TRUE;
  }
  case T_ENUM: {
    int v = enum_value(p->choices, value);
    if (v == -2)
      goto bad;
    *(int *)field = v;
    return TRUE;
  }
  }
bad:
  g_set_error(error, RILL_KAFKA_CLIENT_ERROR, RILL_KAFKA_CLIENT_ERROR_CONFIG, "%s: invalid value '%s'%s%s", p->name, value,
              p->choices ? "; expected one of " : "", p->choices ? p->choices : "");
  return FALSE;
}

rill_kafka_conf *rill_kafka_conf_new(void)
{
  rill_kafka_conf *c = g_new0(rill_kafka_conf, 1);
  for (size_t i = 0; i < G_N_ELEMENTS(props); i++) {
    gboolean ok = apply(c, &props[i], props[i].def, NULL);
    g_assert(ok);
  }
  return c;
}

rill_kafka_conf *rill_kafka_conf_copy(const rill_kafka_conf *conf)
{
  g_return_val_if_fail(conf != NULL, NULL);
  rill_kafka_conf *c = g_memdup2(conf, sizeof *c);
  for (size_t i = 0; i < G_N_ELEMENTS(props); i++)
    if (props[i].type == T_STRING) {
      char **f = (char **)((char *)c + props[i].offset);
      *f = g_strdup(*f);
    }
  return c;
}

void rill_kafka_conf_free(rill_kafka_conf *conf)
{
  if (!conf)
    return;
  for (size_t i = 0; i < G_N_ELEMENTS(props); i++)
    if (props[i].type == T_STRING)
      g_free(*(char **)((char *)conf + props[i].offset));
  g_free(conf);
}

gboolean rill_kafka_conf_set(rill_kafka_conf *conf, const char *name, const char *value, GError **error)
{
  g_return_val_if_fail(conf != NULL && name != NULL && value != NULL, FALSE);
  const prop *p = find(name);
  if (!p) {
    g_set_error(error, RILL_KAFKA_CLIENT_ERROR, RILL_KAFKA_CLIENT_ERROR_CONFIG, "unknown property '%s'", name);
    return FALSE;
  }
  return apply(conf, p, value, error);
}

char *rill_kafka_conf_get(const rill_kafka_conf *conf, const char *name)
{
  g_return_val_if_fail(conf != NULL && name != NULL, NULL);
  const prop *p = find(name);
  if (!p)
    return NULL;
  const void *field = (const char *)conf + p->offset;
  switch (p->type) {
  case T_STRING:
    return g_strdup(*(char *const *)field);
  case T_BOOL:
    return g_strdup(*(const gboolean *)field ? "true" : "false");
  case T_INT:
    return g_strdup_printf("%d", *(const int *)field);
  case T_ENUM:
    return enum_name(p->choices, *(const int *)field);
  }
  return NULL;
}

/* "a, b, c": the accepted names of @choices, without the "=value" parts. (transfer full) */
static char *enum_names(const char *choices)
{
  g_auto(GStrv) parts = g_strsplit(choices, "|", -1);
  for (char **q = parts; *q; q++) {
    char *eq = strchr(*q, '=');
    if (eq)
      *eq = 0;
  }
  return g_strjoinv(", ", parts);
}

char *rill__kconf_reference_markdown(void)
{
  static const char *type_names[] = {"string", "integer", "boolean", "enum"};
  GString *s = g_string_new("| Property | Type | Range / values | Default | Description |\n|---|---|---|---|---|\n");
  for (size_t i = 0; i < G_N_ELEMENTS(props); i++) {
    const prop *p = &props[i];
    g_autofree char *range = NULL;
    if (p->type == T_INT)
      range = g_strdup_printf("%" G_GINT64_FORMAT " .. %" G_GINT64_FORMAT, p->min, p->max);
    else if (p->type == T_ENUM)
      range = enum_names(p->choices);
    else if (p->type == T_BOOL)
      range = g_strdup("true, false");
    else
      range = g_strdup("");
    g_string_append_printf(s, "| `%s`%s%s%s | %s | %s | `%s` | %s |\n", p->name, p->alias ? " (alias `" : "",
                           p->alias ? p->alias : "", p->alias ? "`)" : "", type_names[p->type], range, p->def,
                           p->doc);
  }
  return g_string_free(s, FALSE);
}
