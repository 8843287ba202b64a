/* file-elements.c — the launch elements of the file connector: file-src
 * and file-sink. Each build function reads its (already validated)
 * parameters and calls the connector's public constructor.
 */
#include "connectors/file/file-elements.h"

#include <rill/dead-letter.h>

/* The parameters of both elements (each reads its own rows). */
typedef struct {
  char *path;
  int format; /* rill_file_format */
  gboolean follow;
  int64_t poll_ms;
  gboolean csv_header;       /* file-src: the first row names the columns */
  char **columns;            /* file-src: CSV column names */
  gboolean position_headers;
  char *dead_letter;
  int64_t rotate_size;
  int64_t rotate_time_ms;
  char *csv_header_row;      /* file-sink */
  gboolean fsync;
} file_props;

static rill_stage *build_file_src(rill_launch_builder *b, const char *name, rill_stage *const *inputs, guint n_inputs,
                                  GError **error)
{
  const file_props *p = rill__launch_props(b);
  GError *dl_error = NULL;
  rill_dead_letter *dl = rill__launch_dead_letter(b, p->dead_letter, &dl_error);
  if (dl_error) {
    g_propagate_error(error, dl_error);
    return NULL;
  }
  if (p->columns && p->format != RILL_FILE_FORMAT_CSV) {
    rill__launch_fail(b, "columns", error, RILL_LAUNCH_ERROR_INVALID_VALUE, "columns= names CSV columns: add format=csv");
    return NULL;
  }
  rill_file_source *src = rill_file_source_new(p->path, (rill_file_format)p->format);
  rill_file_source_set_follow(src, p->follow, (guint)p->poll_ms);
  rill_file_source_set_csv_header(src, p->csv_header);
  rill_file_source_set_csv_columns(src, (const char *const *)p->columns);
  rill_file_source_set_position_headers(src, p->position_headers);
  if (dl)
    rill_file_source_set_dead_letter(src, dl);
  return rill_pipeline_add_file_source(b->pipeline, name, src);
}

static rill_stage *build_file_sink(rill_launch_builder *b, const char *name, rill_stage *const *inputs,
                                   guint n_inputs, GError **error)
{
  const file_props *p = rill__launch_props(b);
  rill_file_sink *sink = rill_file_sink_new(p->path, (rill_file_format)p->format);
  rill_file_sink_set_rotate_bytes(sink, (guint64)p->rotate_size);
  rill_file_sink_set_rotate_seconds(sink, (guint)(p->rotate_time_ms / 1000));
  rill_file_sink_set_fsync(sink, p->fsync);
  if (p->csv_header_row)
    rill_file_sink_set_csv_header(sink, p->csv_header_row);
  return rill_pipeline_add_file_sink(b->pipeline, name, inputs[0], sink);
}

#define OFF(f) offsetof(file_props, f)
#define REQUIRED RILL__CONF_REQUIRED

/* name, type, field, min, max, default, choices, -, -, doc */
static const rill_launch_element elements[] = {
  {"file-sink", RILL_LAUNCH_SINK, "write record values to a file (atomic rename when complete; rotation)",
   RILL__LAUNCH_PARAMS(file_props,
     {"path", RILL__CONF_STRING, OFF(path), 0, 0, REQUIRED, NULL, NULL, NULL, "output file (numbered beside it when rotating or -p > 1)"},
     RILL__FILE_FORMAT_ROW(file_props, "lines"),
     {"rotate-size", RILL__CONF_SIZE, OFF(rotate_size), 0, G_MAXINT64, "0", NULL, NULL, NULL, "start a new file at this size (0 = never)"},
     {"rotate-time", RILL__CONF_DURATION, OFF(rotate_time_ms), 0, G_MAXINT64, "0", NULL, NULL, NULL, "start a new file at this age (0 = never)"},
     {"csv-header", RILL__CONF_STRING, OFF(csv_header_row), 0, 0, NULL, NULL, NULL, NULL, "header row for CSV files (default: the input's)"},
     {"fsync", RILL__CONF_BOOL, OFF(fsync), 0, 0, "true", NULL, NULL, NULL, "fsync each file before renaming it into place"}),
   .build = build_file_sink},
  {"file-src", RILL_LAUNCH_SOURCE, "read a file, a directory or a glob as lines, JSON Lines or CSV records",
   RILL__LAUNCH_PARAMS(file_props,
     {"path", RILL__CONF_STRING, OFF(path), 0, 0, REQUIRED, NULL, NULL, NULL, "file, directory, glob pattern, or - for stdin"},
     RILL__FILE_FORMAT_ROW(file_props, "lines"),
     {"follow", RILL__CONF_BOOL, OFF(follow), 0, 0, "false", NULL, NULL, NULL, "tail the files (rotation aware); never ends"},
     {"poll", RILL__CONF_DURATION, OFF(poll_ms), 0, G_MAXINT64, "100ms", NULL, NULL, NULL, "follow: how often to look for new data"},
     RILL__CSV_SOURCE_ROWS(file_props),
     {"position-headers", RILL__CONF_BOOL, OFF(position_headers), 0, 0, "true", NULL, NULL, NULL, "attach file, line and offset headers"},
     RILL__LAUNCH_DEAD_LETTER_ROW(file_props)),
   .build = build_file_src},
};

RILL__LAUNCH_ELEMENTS_DEFINE(file, elements)
