/* kafka-elements.c — the launch elements of the Kafka client connector,
 * kafka-src and kafka-sink: bootstrap.servers and every other written parameter
 * handed to the client's configuration table (rill_kafka_conf_set), so an
 * unknown property or a bad value is refused with the client's own message,
 * pointing at the parameter in the launch text.
 */
#include "runtime/launch/launch-private.h"

#include <rill/dead-letter.h>
#include <rill/kafka.h>

/* bootstrap.servers plus the pass-through parameters; NULL with @error. */
static rill_kafka_conf *client_conf(rill_launch_builder *b, GError **error)
{
  rill_kafka_conf *conf = rill_kafka_conf_new();
  GPtrArray *params = b->node->params;
  for (guint i = 0; i < params->len; i++) {
    const rill__launch_param *p = params->pdata[i];
    if (!p->spec || (strcmp(p->spec->name, RILL_LAUNCH_ANY_PARAM) != 0 && strcmp(p->key, "bootstrap.servers") != 0))
      continue;
    GError *e = NULL;
    if (rill_kafka_conf_set(conf, p->key, p->value, &e))
      continue;
    char *known = rill_kafka_conf_get(conf, p->key);
    if (known)
      rill__launch_error_at(error, b->text, p->value_pos, RILL_LAUNCH_ERROR_INVALID_VALUE, "%s: %s",
                            b->node->klass->name, e->message);
    else
      rill__launch_error_at(error, b->text, p->key_pos, RILL_LAUNCH_ERROR_UNKNOWN_PARAMETER,
                            "%s has no parameter '%s' (and the Kafka client no such property): %s",
                            b->node->klass->name, p->key, e->message);
    g_free(known);
    g_error_free(e);
    rill_kafka_conf_free(conf);
    return NULL;
  }
  return conf;
}

static gboolean kafka_from(rill_launch_builder *b, rill_kafka_source_options *o, GError **error)
{
  const char *from = rill__launch_get(b, "from");
  const char *num = NULL;
  if (strcmp(from, "earliest") == 0)
    o->from = RILL_KAFKA_FROM_EARLIEST;
  else if (strcmp(from, "latest") == 0)
    o->from = RILL_KAFKA_FROM_LATEST;
  else if (g_str_has_prefix(from, "offset:")) {
    o->from = RILL_KAFKA_FROM_OFFSET;
    num = from + 7;
  } else if (g_str_has_prefix(from, "time:")) {
    o->from = RILL_KAFKA_FROM_TIMESTAMP;
    num = from + 5;
  }
  if ((num && (!rill__launch_parse_int(num, &o->from_value) || o->from_value < 0)) ||
      (!num && o->from != RILL_KAFKA_FROM_EARLIEST && o->from != RILL_KAFKA_FROM_LATEST)) {
    rill__launch_fail(b, "from", error, RILL_LAUNCH_ERROR_INVALID_VALUE,
                      "'%s' is not a start position (earliest, latest, offset:N, time:MS)", from);
    return FALSE;
  }
  return TRUE;
}

static rill_stage *build_kafka_src(rill_launch_builder *b, const char *name, rill_stage *const *inputs,
                                   guint n_inputs, GError **error)
{
  rill_stage *stage = NULL;
  char **parts = rill__launch_get_list(b, "partitions");
  GArray *partitions = g_array_new(FALSE, FALSE, sizeof(int32_t));
  rill_kafka_conf *conf = NULL;
  rill_kafka_source_options o = {.topic = rill__launch_get(b, "topic"),
                                 .stop_at_end = !rill__launch_get_bool(b, "follow")};
  for (guint i = 0; parts && parts[i]; i++) {
    gint64 v;
    if (!rill__launch_parse_int(parts[i], &v) || v < 0 || v > G_MAXINT32) {
      rill__launch_fail(b, "partitions", error, RILL_LAUNCH_ERROR_INVALID_VALUE, "'%s' is not a partition", parts[i]);
      goto out;
    }
    int32_t p = (int32_t)v;
    g_array_append_val(partitions, p);
  }
  if (!kafka_from(b, &o, error))
    goto out;
  conf = client_conf(b, error);
  if (!conf)
    goto out;
  o.conf = conf;
  if (partitions->len) {
    o.partitions = (const int32_t *)(void *)partitions->data;
    o.n_partitions = partitions->len;
  }
  stage = rill_pipeline_add_kafka_source(b->pipeline, name, &o, error);
out:
  rill_kafka_conf_free(conf);
  g_array_unref(partitions);
  g_strfreev(parts);
  return stage;
}

static rill_stage *build_kafka_sink(rill_launch_builder *b, const char *name, rill_stage *const *inputs,
                                    guint n_inputs, GError **error)
{
  rill_kafka_conf *conf = client_conf(b, error);
  if (!conf)
    return NULL;
  rill_kafka_sink_options o = {.topic = rill__launch_get(b, "topic"), .conf = conf};
  rill_stage *stage = NULL;
  o.dead_letter = rill__launch_dead_letter(b, error);
  if (o.dead_letter || !rill__launch_get(b, "dead-letter"))
    stage = rill_pipeline_add_kafka_sink(b->pipeline, name, inputs[0], &o, error);
  rill_kafka_conf_free(conf);
  return stage;
}

#define KAFKA_SERVERS                                                                                         \
  {"bootstrap.servers", RILL_LAUNCH_STRING, NULL, NULL, TRUE, "brokers to contact first, HOST:PORT[,HOST:PORT...]"}
#define KAFKA_ANY                                                                                             \
  {RILL_LAUNCH_ANY_PARAM, RILL_LAUNCH_STRING, NULL, NULL, FALSE,                                             \
   "any other client property by its librdkafka name, e.g. acks=all or compression.codec=lz4 "                \
   "(docs/connectors/kafka.md)"}

static const rill_launch_element elements[] = {
  {"kafka-sink", RILL_LAUNCH_SINK,
   "produce records to a topic of a Kafka-compatible broker (rill-broker, Kafka, ...)",
   RILL__LAUNCH_PARAMS(
     KAFKA_SERVERS, {"topic", RILL_LAUNCH_STRING, NULL, NULL, TRUE, "topic name"},
     {"dead-letter", RILL_LAUNCH_STRING, NULL, NULL, FALSE,
      "where records the broker refuses go: stderr or file:PATH (JSON Lines); "
      "unset = they fail the pipeline"},
     KAFKA_ANY),
   .build = build_kafka_sink},
  {"kafka-src", RILL_LAUNCH_SOURCE, "consume a topic of a Kafka-compatible broker (rill-broker, Kafka, ...)",
   RILL__LAUNCH_PARAMS(
     KAFKA_SERVERS, {"topic", RILL_LAUNCH_STRING, NULL, NULL, TRUE, "topic name"},
     {"partitions", RILL_LAUNCH_LIST, NULL, NULL, FALSE, "read only these partitions (default: all)"},
     {"from", RILL_LAUNCH_STRING, "earliest", NULL, FALSE,
      "start without a committed offset: earliest, latest, offset:N or time:MS"},
     {"follow", RILL_LAUNCH_BOOL, "false", NULL, FALSE,
      "keep reading new records (else end at the end the partitions had at start; needs no group.id)"},
     KAFKA_ANY),
   .build = build_kafka_src},
};

RILL__LAUNCH_ELEMENTS_DEFINE(kafka, elements)
