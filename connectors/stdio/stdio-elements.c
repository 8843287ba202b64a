/* stdio-elements.c — the launch elements of the stdio connector:
 * stdin-src, stdout-sink and stderr-sink (format= as the file elements).
 */
#include "connectors/file/file-elements.h"

#include <rill/stdio.h>

typedef struct {
  int format; /* rill_file_format */
  gboolean csv_header; /* stdin-src */
  char **columns;      /* stdin-src */
} stdio_props;

static rill_file_format format_of(rill_launch_builder *b)
{
  return (rill_file_format)((const stdio_props *)rill__launch_props(b))->format;
}

static rill_stage *build_stdin_src(rill_launch_builder *b, const char *name, rill_stage *const *inputs,
                                   guint n_inputs, GError **error)
{
  const stdio_props *p = rill__launch_props(b);
  if (p->columns && p->format != RILL_FILE_FORMAT_CSV) {
    rill__launch_fail(b, "columns", error, RILL_LAUNCH_ERROR_INVALID_VALUE, "columns= names CSV columns: add format=csv");
    return NULL;
  }
  rill_file_source *src = rill_stdin_source_new(format_of(b));
  rill_file_source_set_csv_header(src, p->csv_header);
  rill_file_source_set_csv_columns(src, (const char *const *)p->columns);
  return rill_pipeline_add_file_source(b->pipeline, name, src);
}

static rill_stage *build_stdout_sink(rill_launch_builder *b, const char *name, rill_stage *const *inputs,
                                     guint n_inputs, GError **error)
{
  return rill_pipeline_add_stdio_sink(b->pipeline, name, inputs[0], RILL_STDIO_STDOUT, format_of(b));
}

static rill_stage *build_stderr_sink(rill_launch_builder *b, const char *name, rill_stage *const *inputs,
                                     guint n_inputs, GError **error)
{
  return rill_pipeline_add_stdio_sink(b->pipeline, name, inputs[0], RILL_STDIO_STDERR, format_of(b));
}

static const rill_launch_element elements[] = {
  {"stderr-sink", RILL_LAUNCH_SINK, "write record values to standard error, one per line",
   RILL__LAUNCH_PARAMS(stdio_props, RILL__FILE_FORMAT_ROW(stdio_props, "lines")), .build = build_stderr_sink},
  {"stdin-src", RILL_LAUNCH_SOURCE, "read standard input as lines, JSON Lines or CSV",
   RILL__LAUNCH_PARAMS(stdio_props, RILL__FILE_FORMAT_ROW(stdio_props, "lines"), RILL__CSV_SOURCE_ROWS(stdio_props)),
   .build = build_stdin_src},
  {"stdout-sink", RILL_LAUNCH_SINK, "write record values to standard output, one per line",
   RILL__LAUNCH_PARAMS(stdio_props, RILL__FILE_FORMAT_ROW(stdio_props, "lines")), .build = build_stdout_sink},
};

RILL__LAUNCH_ELEMENTS_DEFINE(stdio, elements)
