/* stdio.h — standard input as a source and standard output/error as sinks,
 * for jobs that sit in shell pipes (`zcat x.gz | job | sort`).
 *
 * The stdin source is a file source on "-" (see rill/file.h): one split, so
 * one task reads it whatever the parallelism; records carry "file" = "-",
 * "line" and "offset" headers; it ends at end of input.
 *
 * The stdout/stderr sinks write each record's value and a "\n", converting
 * JSON <-> CSV as the file sink does (rill/file.h; JSON Lines values
 * containing raw line breaks are re-serialised on one line); with CSV
 * output the header row goes out once, before the first row, when known. Tasks write whole buffers under one
 * process-wide lock per stream, so lines from P tasks never interleave
 * mid-line. Output is flushed at every flush (end of stream, checkpoint) and
 * whenever the buffer fills. A closed pipe (EPIPE, with SIGPIPE ignored)
 * fails the stage with RILL_FILE_ERROR_IO.
 */
#pragma once

#include <rill/export.h>

#include <rill/file.h>

G_BEGIN_DECLS

typedef enum {
  RILL_STDIO_STDOUT = 1,
  RILL_STDIO_STDERR = 2,
} rill_stdio_stream;

/* A file source reading standard input in @format. (transfer full) */
RILL_API rill_file_source *rill_stdin_source_new(rill_file_format format);

/* Adds a stdin source (@format) to @pipeline. (transfer none) */
RILL_API rill_stage *rill_pipeline_add_stdin_source(rill_pipeline *pipeline, const char *name, rill_file_format format);

typedef struct rill_stdio_sink rill_stdio_sink;

/* A sink writing to @stream in @format. (transfer full) */
RILL_API rill_stdio_sink *rill_stdio_sink_new(rill_stdio_stream stream, rill_file_format format);
RILL_API void rill_stdio_sink_free(rill_stdio_sink *sink);

/* The class; user_data is a rill_stdio_sink. */
RILL_API extern const rill_sink_class rill_stdio_sink_class;

/* Adds a sink writing @input's values to @stream. (transfer none) */
RILL_API rill_stage *rill_pipeline_add_stdio_sink(rill_pipeline *pipeline, const char *name, rill_stage *input,
                                                  rill_stdio_stream stream, rill_file_format format);

/* A dead-letter output writing JSON descriptions to standard error, one per
 * line. (transfer full) */
RILL_API rill_dead_letter *rill_dead_letter_new_stderr(void);

G_END_DECLS
