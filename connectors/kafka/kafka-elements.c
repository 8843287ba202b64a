/* kafka-elements.c — the launch elements of the Kafka client connector,
 * kafka-src and kafka-sink: bootstrap.servers and every other written parameter
 * handed to the client's configuration table (rill_kafka_conf_set), so an
 * unknown property or a bad value is refused with the client's own message,
 * pointing at the parameter in the launch text.
 */
#include "runtime/launch/launch-private.h"

#include <rill/dead-letter.h>
#include <rill/kafka.h>

/* The parameters of both elements (each reads its own rows);
 * bootstrap.servers goes to the client's table with the passed-through pairs. */
typedef struct {
  char *servers;
  char *topic;
  char *dead_letter; /* kafka-sink */
  char **partitions; /* kafka-src */
  char *from;
  gboolean follow;
} kafka_props;

/* bootstrap.servers plus the pass-through parameters; NULL with @error. */
static rill_kafka_conf *client_conf(rill_launch_builder *b, GError **error)
{
  rill_kafka_conf *conf = rill_kafka_conf_new();
  GPtrArray *params = b->node->params;
  for (guint i = 0; i < params->len; i++) {
    const rill__launch_param *p = params->pdata[i];
    if (!p->passed && strcmp(p->key, "bootstrap.servers") != 0)
      continue;
    GError *e = NULL;
    if (rill_kafka_conf_set(conf, p->key, p->value, &e))
      continue;
    char *known = rill_kafka_conf_get(conf, p->key);
    if (known)
      rill__launch_error_at(error, b->text, p->value_pos, RILL_LAUNCH_ERROR_INVALID_VALUE, "%s %s",
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

static gboolean kafka_from(rill_launch_builder *b, const char *from, rill_kafka_source_options *o, GError **error)
{
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
  if ((num && !g_ascii_string_to_signed(num, 10, 0, G_MAXINT64, &o->from_value, NULL)) ||
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
  const kafka_props *p = rill__launch_props(b);
  rill_stage *stage = NULL;
  GArray *partitions = g_array_new(FALSE, FALSE, sizeof(int32_t));
  rill_kafka_conf *conf = NULL;
  char *group = NULL;
  rill_kafka_source_options o = {.topic = p->topic, .stop_at_end = !p->follow};
  for (guint i = 0; p->partitions && p->partitions[i]; i++) {
    gint64 v;
    if (!g_ascii_string_to_signed(p->partitions[i], 10, 0, G_MAXINT32, &v, NULL)) {
      rill__launch_fail(b, "partitions", error, RILL_LAUNCH_ERROR_INVALID_VALUE, "'%s' is not a partition",
                        p->partitions[i]);
      goto out;
    }
    int32_t partition = (int32_t)v;
    g_array_append_val(partitions, partition);
  }
  if (!kafka_from(b, p->from, &o, error))
    goto out;
  conf = client_conf(b, error);
  if (!conf)
    goto out;
  o.conf = conf;
  /* Say it in this element's words (the C API's message names its fields). */
  group = rill_kafka_conf_get(conf, "group.id");
  gboolean in_group = group && *group;
  if (in_group && !p->follow) {
    rill__launch_fail(b, "group.id", error, RILL_LAUNCH_ERROR_INVALID_VALUE,
                      "group.id needs follow=true (a group member reads on; without follow=true kafka-src ends at "
                      "the end the partitions had at start, which a group cannot do)");
    goto out;
  }
  if (in_group && partitions->len) {
    rill__launch_fail(b, "partitions", error, RILL_LAUNCH_ERROR_INVALID_VALUE,
                      "partitions= cannot be combined with group.id (the group assigns partitions)");
    goto out;
  }
  if (partitions->len) {
    o.partitions = (const int32_t *)(void *)partitions->data;
    o.n_partitions = partitions->len;
  }
  stage = rill_pipeline_add_kafka_source(b->pipeline, name, &o, error);
out:
  g_free(group);
  rill_kafka_conf_free(conf);
  g_array_unref(partitions);
  return stage;
}

static rill_stage *build_kafka_sink(rill_launch_builder *b, const char *name, rill_stage *const *inputs,
                                    guint n_inputs, GError **error)
{
  const kafka_props *p = rill__launch_props(b);
  rill_kafka_conf *conf = client_conf(b, error);
  if (!conf)
    return NULL;
  rill_kafka_sink_options o = {.topic = p->topic, .conf = conf};
  rill_stage *stage = NULL;
  o.dead_letter = rill__launch_dead_letter(b, p->dead_letter, error);
  if (o.dead_letter || !p->dead_letter)
    stage = rill_pipeline_add_kafka_sink(b->pipeline, name, inputs[0], &o, error);
  rill_kafka_conf_free(conf);
  return stage;
}

#define OFF(f) offsetof(kafka_props, f)
#define REQUIRED RILL__CONF_REQUIRED
#define KAFKA_SERVERS                                                                                         \
  {"bootstrap.servers", RILL__CONF_STRING, OFF(servers), 0, 0, REQUIRED, NULL, NULL, NULL,                    \
   "brokers to contact first, HOST:PORT[,HOST:PORT...]"}
#define KAFKA_TOPIC {"topic", RILL__CONF_STRING, OFF(topic), 0, 0, REQUIRED, NULL, NULL, NULL, "topic name"}
#define KAFKA_ANY                                                                                             \
  "any other client property by its librdkafka name, e.g. acks=all or compression.codec=lz4 "                 \
  "(docs/connectors/kafka.md)"

/* name, type, field, min, max, default, choices, -, -, doc */
static const rill_launch_element elements[] = {
  {"kafka-sink", RILL_LAUNCH_SINK,
   "produce records to a topic of a Kafka-compatible broker (rill-broker, Kafka, ...)",
   RILL__LAUNCH_PARAMS(kafka_props, KAFKA_SERVERS, KAFKA_TOPIC,
     {"dead-letter", RILL__CONF_STRING, OFF(dead_letter), 0, 0, NULL, NULL, NULL, NULL, "where records the broker refuses go: stderr or file:PATH (JSON Lines); unset = they fail the pipeline"}),
   .build = build_kafka_sink, .pass_through = KAFKA_ANY},
  {"kafka-src", RILL_LAUNCH_SOURCE, "consume a topic of a Kafka-compatible broker (rill-broker, Kafka, ...)",
   RILL__LAUNCH_PARAMS(kafka_props, KAFKA_SERVERS, KAFKA_TOPIC,
     {"partitions", RILL__CONF_LIST, OFF(partitions), 0, 0, NULL, NULL, NULL, NULL, "read only these partitions (default: all)"},
     {"from", RILL__CONF_STRING, OFF(from), 0, 0, "earliest", NULL, NULL, NULL, "start without a committed offset: earliest, latest, offset:N or time:MS"},
     {"follow", RILL__CONF_BOOL, OFF(follow), 0, 0, "false", NULL, NULL, NULL, "keep reading new records (else end at the end the partitions had at start; needs no group.id)"}),
   .build = build_kafka_src, .pass_through = KAFKA_ANY},
};

RILL__LAUNCH_ELEMENTS_DEFINE(kafka, elements)
