/* elements-io.c — build functions of the launch elements that read and
 * write: file, stdin/stdout/stderr, archive and log connectors. Each reads
 * its (already validated) parameters and calls the connector's public
 * constructor; what the connector reports goes back as the error.
 */
#include "runtime/launch/launch-private.h"

static rill_file_format file_format(rill_launch_builder *b)
{
  rill_file_format f = RILL_FILE_FORMAT_LINES;
  rill_file_format_from_name(rill__launch_get(b, "format"), &f);
  return f;
}

rill_stage *rill__launch_build_file_src(rill_launch_builder *b, const char *name, rill_stage *const *inputs,
                                        guint n_inputs, GError **error)
{
  GError *dl_error = NULL;
  rill_dead_letter *dl = rill__launch_dead_letter(b, &dl_error);
  if (dl_error) {
    g_propagate_error(error, dl_error);
    return NULL;
  }
  rill_file_source *src = rill_file_source_new(rill__launch_get(b, "path"), file_format(b));
  rill_file_source_set_follow(src, rill__launch_get_bool(b, "follow"), (guint)rill__launch_get_duration(b, "poll"));
  rill_file_source_set_csv_header(src, rill__launch_get_bool(b, "csv-header"));
  rill_file_source_set_position_headers(src, rill__launch_get_bool(b, "position-headers"));
  if (dl)
    rill_file_source_set_dead_letter(src, dl);
  return rill_pipeline_add_file_source(b->pipeline, name, src);
}

rill_stage *rill__launch_build_stdin_src(rill_launch_builder *b, const char *name, rill_stage *const *inputs,
                                         guint n_inputs, GError **error)
{
  return rill_pipeline_add_stdin_source(b->pipeline, name, file_format(b));
}

rill_stage *rill__launch_build_archive_src(rill_launch_builder *b, const char *name, rill_stage *const *inputs,
                                           guint n_inputs, GError **error)
{
  char **paths = rill__launch_get_list(b, "path");
  rill_archive_source_options o = {
    .paths = (const char *const *)paths,
    .entry_pattern = rill__launch_get(b, "entries"),
    .mode = strcmp(rill__launch_get(b, "mode"), "entry") == 0 ? RILL_ARCHIVE_RECORD_ENTRY
                                                               : RILL_ARCHIVE_RECORD_LINES,
    .max_record_bytes = rill__launch_get_size(b, "max-record"),
  };
  rill_stage *s = NULL;
  if (!paths[0]) {
    rill__launch_fail(b, "path", error, RILL_LAUNCH_ERROR_INVALID_VALUE, "no archive path given");
    goto out;
  }
  rill_archive_source *src = rill_archive_source_new(&o, error);
  if (src)
    s = rill_pipeline_add_archive_source(b->pipeline, name, src);
out:
  g_strfreev(paths);
  return s;
}

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

rill_stage *rill__launch_build_log_src(rill_launch_builder *b, const char *name, rill_stage *const *inputs,
                                       guint n_inputs, GError **error)
{
  rill_log_source_options o = {.topic = rill__launch_get(b, "topic"), .follow = rill__launch_get_bool(b, "follow")};
  if (!log_from(b, &o, error))
    return NULL;
  o.log = rill__launch_log(b, rill__launch_get(b, "dir"), error);
  if (!o.log)
    return NULL;
  return rill_log_source_add(b->pipeline, name, &o, error);
}

rill_stage *rill__launch_build_file_sink(rill_launch_builder *b, const char *name, rill_stage *const *inputs,
                                         guint n_inputs, GError **error)
{
  rill_file_sink *sink = rill_file_sink_new(rill__launch_get(b, "path"), file_format(b));
  rill_file_sink_set_rotate_bytes(sink, rill__launch_get_size(b, "rotate-size"));
  rill_file_sink_set_rotate_seconds(sink, (guint)(rill__launch_get_duration(b, "rotate-time") / 1000));
  rill_file_sink_set_fsync(sink, rill__launch_get_bool(b, "fsync"));
  if (rill__launch_has(b, "csv-header"))
    rill_file_sink_set_csv_header(sink, rill__launch_get(b, "csv-header"));
  return rill_pipeline_add_file_sink(b->pipeline, name, inputs[0], sink);
}

rill_stage *rill__launch_build_stdout_sink(rill_launch_builder *b, const char *name, rill_stage *const *inputs,
                                           guint n_inputs, GError **error)
{
  return rill_pipeline_add_stdio_sink(b->pipeline, name, inputs[0], RILL_STDIO_STDOUT, file_format(b));
}

rill_stage *rill__launch_build_stderr_sink(rill_launch_builder *b, const char *name, rill_stage *const *inputs,
                                           guint n_inputs, GError **error)
{
  return rill_pipeline_add_stdio_sink(b->pipeline, name, inputs[0], RILL_STDIO_STDERR, file_format(b));
}

rill_stage *rill__launch_build_archive_sink(rill_launch_builder *b, const char *name, rill_stage *const *inputs,
                                            guint n_inputs, GError **error)
{
  static const char *const formats[] = {"auto", "tar.gz", "tar.zst", "zip"};
  const char *f = rill__launch_get(b, "format");
  rill_archive_sink_options o = {
    .path_pattern = rill__launch_get(b, "path"),
    .entry_pattern = rill__launch_get(b, "entry"),
    .entry_max_bytes = rill__launch_get_size(b, "entry-size"),
    .entry_max_records = (guint64)rill__launch_get_int(b, "entry-records"),
    .archive_max_bytes = rill__launch_get_size(b, "archive-size"),
  };
  for (guint i = 0; i < G_N_ELEMENTS(formats); i++)
    if (strcmp(f, formats[i]) == 0)
      o.format = (rill_archive_format)i;
  rill_archive_sink *sink = rill_archive_sink_new(&o, error);
  return sink ? rill_pipeline_add_archive_sink(b->pipeline, name, inputs[0], sink) : NULL;
}

rill_stage *rill__launch_build_log_sink(rill_launch_builder *b, const char *name, rill_stage *const *inputs,
                                        guint n_inputs, GError **error)
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
  return rill_log_sink_add(b->pipeline, name, inputs[0], &o, error);
}
