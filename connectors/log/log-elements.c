/* log-elements.c — the launch elements of the embedded-log connector:
 * log-src and log-sink. Elements naming one data directory share one
 * rill_log (rill__launch_log), owned by the pipeline.
 */
#include "runtime/launch/launch-private.h"

#include <rill/log-connector.h>

/* The parameters of both elements (each reads its own rows). */
typedef struct {
  char *dir;
  char *topic;
  char *from;        /* log-src */
  gboolean follow;
  int32_t partitions; /* log-sink */
  int codec;          /* 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd (rill_log_sink_options) */
} log_props;

/* from=earliest|latest|offset:N|time:MS */
static gboolean log_from(rill_launch_builder *b, const char *from, rill_log_source_options *o, GError **error)
{
  const char *arg = strchr(from, ':');
  if (strcmp(from, "earliest") == 0) {
    o->from = RILL_LOG_FROM_EARLIEST;
    return TRUE;
  }
  if (strcmp(from, "latest") == 0) {
    o->from = RILL_LOG_FROM_LATEST;
    return TRUE;
  }
  if (arg && g_ascii_string_to_signed(arg + 1, 10, G_MININT64, G_MAXINT64, &o->from_value, NULL)) {
    if (g_str_has_prefix(from, "offset:")) {
      o->from = RILL_LOG_FROM_OFFSET;
      return TRUE;
    }
    if (g_str_has_prefix(from, "time:")) {
      o->from = RILL_LOG_FROM_TIMESTAMP;
      return TRUE;
    }
  }
  rill__launch_fail(b, "from", error, RILL_LAUNCH_ERROR_INVALID_VALUE,
                    "'%s' is not a start position (earliest, latest, offset:N, time:MS)", from);
  return FALSE;
}

static rill_stage *build_log_src(rill_launch_builder *b, const char *name, rill_stage *const *inputs, guint n_inputs,
                                 GError **error)
{
  const log_props *p = rill__launch_props(b);
  rill_log_source_options o = {.topic = p->topic, .follow = p->follow};
  if (!log_from(b, p->from, &o, error))
    return NULL;
  o.log = rill__launch_log(b, p->dir, error);
  if (!o.log)
    return NULL;
  return rill_pipeline_add_log_source(b->pipeline, name, &o, error);
}

static rill_stage *build_log_sink(rill_launch_builder *b, const char *name, rill_stage *const *inputs, guint n_inputs,
                                  GError **error)
{
  const log_props *p = rill__launch_props(b);
  rill_log_sink_options o = {.topic = p->topic, .codec = p->codec};
  o.log = rill__launch_log(b, p->dir, error);
  if (!o.log)
    return NULL;
  /* A missing topic is created; an existing one is used as it is. */
  if (!rill_log_topic_describe(o.log, p->topic, NULL, NULL, NULL) &&
      !rill_log_topic_create(o.log, p->topic, p->partitions, NULL, error))
    return NULL;
  return rill_pipeline_add_log_sink(b->pipeline, name, inputs[0], &o, error);
}

#define OFF(f) offsetof(log_props, f)
#define REQUIRED RILL__CONF_REQUIRED

/* name, type, field, min, max, default, choices, -, -, doc */
static const rill_launch_element elements[] = {
  {"log-sink", RILL_LAUNCH_SINK, "append records to a topic of the embedded log (created if missing)",
   RILL__LAUNCH_PARAMS(log_props,
     {"dir", RILL__CONF_STRING, OFF(dir), 0, 0, REQUIRED, NULL, NULL, NULL, "log data directory"},
     {"topic", RILL__CONF_STRING, OFF(topic), 0, 0, REQUIRED, NULL, NULL, NULL, "topic name"},
     {"partitions", RILL__CONF_INT32, OFF(partitions), 1, 100000, "1", NULL, NULL, NULL, "partitions when the topic is created"},
     {"codec", RILL__CONF_ENUM, OFF(codec), 0, 0, "none", "none|gzip|snappy|lz4|zstd", NULL, NULL, "batch compression"}),
   .build = build_log_sink},
  {"log-src", RILL_LAUNCH_SOURCE, "read a topic of the embedded log",
   RILL__LAUNCH_PARAMS(log_props,
     {"dir", RILL__CONF_STRING, OFF(dir), 0, 0, REQUIRED, NULL, NULL, NULL, "log data directory"},
     {"topic", RILL__CONF_STRING, OFF(topic), 0, 0, REQUIRED, NULL, NULL, NULL, "topic name"},
     {"from", RILL__CONF_STRING, OFF(from), 0, 0, "earliest", NULL, NULL, NULL, "start: earliest, latest, offset:N or time:MS"},
     {"follow", RILL__CONF_BOOL, OFF(follow), 0, 0, "false", NULL, NULL, NULL, "keep reading new records (else end at the current end)"}),
   .build = build_log_src},
};

RILL__LAUNCH_ELEMENTS_DEFINE(log, elements)
