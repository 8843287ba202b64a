/* file-elements.c — the launch elements of the file connector: file-src
 * and file-sink. Each build function reads its (already validated)
 * parameters and calls the connector's public constructor.
 */
#include "connectors/file/file-elements.h"

#include <rill/dead-letter.h>

rill_file_format rill__file_format_param(rill_launch_builder *b)
{
  rill_file_format f = RILL_FILE_FORMAT_LINES;
  rill_file_format_from_name(rill__launch_get(b, "format"), &f);
  return f;
}

static rill_stage *build_file_src(rill_launch_builder *b, const char *name, rill_stage *const *inputs, guint n_inputs,
                                  GError **error)
{
  GError *dl_error = NULL;
  rill_dead_letter *dl = rill__launch_dead_letter(b, &dl_error);
  if (dl_error) {
    g_propagate_error(error, dl_error);
    return NULL;
  }
  rill_file_source *src = rill_file_source_new(rill__launch_get(b, "path"), rill__file_format_param(b));
  rill_file_source_set_follow(src, rill__launch_get_bool(b, "follow"), (guint)rill__launch_get_duration(b, "poll"));
  rill_file_source_set_csv_header(src, rill__launch_get_bool(b, "csv-header"));
  rill_file_source_set_position_headers(src, rill__launch_get_bool(b, "position-headers"));
  if (dl)
    rill_file_source_set_dead_letter(src, dl);
  return rill_pipeline_add_file_source(b->pipeline, name, src);
}

static rill_stage *build_file_sink(rill_launch_builder *b, const char *name, rill_stage *const *inputs,
                                   guint n_inputs, GError **error)
{
  rill_file_sink *sink = rill_file_sink_new(rill__launch_get(b, "path"), rill__file_format_param(b));
  rill_file_sink_set_rotate_bytes(sink, rill__launch_get_size(b, "rotate-size"));
  rill_file_sink_set_rotate_seconds(sink, (guint)(rill__launch_get_duration(b, "rotate-time") / 1000));
  rill_file_sink_set_fsync(sink, rill__launch_get_bool(b, "fsync"));
  if (rill__launch_has(b, "csv-header"))
    rill_file_sink_set_csv_header(sink, rill__launch_get(b, "csv-header"));
  return rill_pipeline_add_file_sink(b->pipeline, name, inputs[0], sink);
}

static const rill_launch_element elements[] = {
  {"file-sink", RILL_LAUNCH_SINK, "write record values to a file (atomic rename when complete; rotation)",
   RILL__LAUNCH_PARAMS(
     {"path", RILL_LAUNCH_STRING, NULL, NULL, TRUE, "output file (numbered beside it when rotating or -p > 1)"},
     RILL__FILE_FORMAT_PARAM("lines"),
     {"rotate-size", RILL_LAUNCH_SIZE, "0", NULL, FALSE, "start a new file at this size (0 = never)"},
     {"rotate-time", RILL_LAUNCH_DURATION, "0", NULL, FALSE, "start a new file at this age (0 = never)"},
     {"csv-header", RILL_LAUNCH_STRING, NULL, NULL, FALSE, "header row for CSV files (default: the input's)"},
     {"fsync", RILL_LAUNCH_BOOL, "true", NULL, FALSE, "fsync each file before renaming it into place"}),
   .build = build_file_sink},
  {"file-src", RILL_LAUNCH_SOURCE, "read a file, a directory or a glob as lines, JSON Lines or CSV records",
   RILL__LAUNCH_PARAMS(
     {"path", RILL_LAUNCH_STRING, NULL, NULL, TRUE, "file, directory, glob pattern, or - for stdin"},
     RILL__FILE_FORMAT_PARAM("lines"),
     {"follow", RILL_LAUNCH_BOOL, "false", NULL, FALSE, "tail the files (rotation aware); never ends"},
     {"poll", RILL_LAUNCH_DURATION, "100ms", NULL, FALSE, "follow: how often to look for new data"},
     {"csv-header", RILL_LAUNCH_BOOL, "false", NULL, FALSE, "CSV: the first row names the columns"},
     {"position-headers", RILL_LAUNCH_BOOL, "true", NULL, FALSE, "attach file, line and offset headers"},
     RILL__LAUNCH_DEAD_LETTER_PARAM),
   .build = build_file_src},
};

RILL__LAUNCH_ELEMENTS_DEFINE(file, elements)
