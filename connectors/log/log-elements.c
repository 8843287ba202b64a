/* log-elements.c — the launch elements of the embedded-log connector:
 * log-src and log-sink. Elements naming one data directory share one
 * rill_log (rill__launch_log), owned by the pipeline.
 */
#include "runtime/launch/launch-private.h"

#include <rill/log-connector.h>

/* from=earliest|latest|offset:N|time:MS */
static gboolean log_from(rill_launch_builder *b, rill_log_source_options *o, GError **error)
{
  const char *from = rill__launch_get(b, "from");
  const char *arg = strchr(from, ':');
  if (strcmp(from, "earliest") == 0) {
    o->from = RILL_LOG_FROM_EARLIEST;
    return TRUE;
  }
  if (strcmp(from, "latest") == 0) {
    o->from = RILL_LOG_FROM_LATEST;
    return TRUE;
  }
  if (arg && rill__launch_parse_int(arg + 1, &o->from_value)) {
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
  rill_log_source_options o = {.topic = rill__launch_get(b, "topic"), .follow = rill__launch_get_bool(b, "follow")};
  if (!log_from(b, &o, error))
    return NULL;
  o.log = rill__launch_log(b, rill__launch_get(b, "dir"), error);
  if (!o.log)
    return NULL;
  return rill_pipeline_add_log_source(b->pipeline, name, &o, error);
}

static rill_stage *build_log_sink(rill_launch_builder *b, const char *name, rill_stage *const *inputs, guint n_inputs,
                                  GError **error)
{
  static const char *const codecs[] = {"none", "gzip", "snappy", "lz4", "zstd"};
  const char *topic = rill__launch_get(b, "topic");
  gint64 partitions = rill__launch_get_int(b, "partitions");
  if (partitions < 1 || partitions > 100000) {
    rill__launch_fail(b, "partitions", error, RILL_LAUNCH_ERROR_INVALID_VALUE, "partitions must be 1..100000");
    return NULL;
  }
  rill_log_sink_options o = {.topic = topic};
  const char *codec = rill__launch_get(b, "codec");
  for (guint i = 0; i < G_N_ELEMENTS(codecs); i++)
    if (strcmp(codec, codecs[i]) == 0)
      o.codec = (int)i;
  o.log = rill__launch_log(b, rill__launch_get(b, "dir"), error);
  if (!o.log)
    return NULL;
  /* A missing topic is created; an existing one is used as it is. */
  if (!rill_log_topic_describe(o.log, topic, NULL, NULL, NULL) &&
      !rill_log_topic_create(o.log, topic, (int32_t)partitions, NULL, error))
    return NULL;
  return rill_pipeline_add_log_sink(b->pipeline, name, inputs[0], &o, error);
}
static const rill_launch_element elements[] = {
  {"log-sink", RILL_LAUNCH_SINK, "append records to a topic of the embedded log (created if missing)",
   RILL__LAUNCH_PARAMS({"dir", RILL_LAUNCH_STRING, NULL, NULL, TRUE, "log data directory"},
                       {"topic", RILL_LAUNCH_STRING, NULL, NULL, TRUE, "topic name"},
                       {"partitions", RILL_LAUNCH_INT, "1", NULL, FALSE, "partitions when the topic is created"},
                       {"codec", RILL_LAUNCH_ENUM, "none", "none|gzip|snappy|lz4|zstd", FALSE, "batch compression"}),
   .build = build_log_sink},
  {"log-src", RILL_LAUNCH_SOURCE, "read a topic of the embedded log",
   RILL__LAUNCH_PARAMS(
     {"dir", RILL_LAUNCH_STRING, NULL, NULL, TRUE, "log data directory"},
     {"topic", RILL_LAUNCH_STRING, NULL, NULL, TRUE, "topic name"},
     {"from", RILL_LAUNCH_STRING, "earliest", NULL, FALSE, "start: earliest, latest, offset:N or time:MS"},
     {"follow", RILL_LAUNCH_BOOL, "false", NULL, FALSE, "keep reading new records (else end at the current end)"}),
   .build = build_log_src},
};

RILL__LAUNCH_ELEMENTS_DEFINE(log, elements)
