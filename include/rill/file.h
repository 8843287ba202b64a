/* file.h — file sources and sinks: lines, JSON Lines and CSV.
 *
 * Sources read a file, every regular file of a directory, or every match of
 * a glob(7) pattern ("-" is standard input). Each file is a split; splits
 * are dealt over the pipeline's P source tasks, and a task reads its files
 * one after the other. Records are zero-copy views into large read chunks:
 *
 *   value    the line (without its "\n"), the JSON text, or the raw CSV
 *            record (without its line break; may span several lines)
 *   headers  "file"   the path as given or found
 *            "line"   1-based line number where the record starts (decimal)
 *            "offset" byte offset where the record starts (decimal)
 *            "csv-header"  CSV sources: the header row (raw) or the
 *                          columns= names; empty without either; kept
 *                          even without position headers
 *
 * A final line without "\n" is still a record. A record that cannot be read
 * (malformed JSON, a CSV record cut off inside quotes at end of file) goes to
 * the dead-letter output when one is set (rill_file_source_set_dead_letter)
 * and fails the stage otherwise; either way every complete record before it
 * has been delivered first. I/O errors fail the stage with a message naming
 * the file and the byte offset.
 *
 * Follow mode tails each file: new lines are picked up by polling every
 * poll_ms (default 100 ms); a file renamed away and replaced (log rotation)
 * is read to its end, then the new file is read from its start; a file
 * truncated in place is read again from its start. A follow source never
 * ends by itself; it stops when the pipeline drains.
 *
 * Sinks write one file per task (see rill_file_sink_new for names), always
 * through a temporary ".NAME.tmp" beside the final name that is fsync'ed and
 * renamed into place when the file is complete (rotation, end of stream,
 * close), so readers never see a partial file under its final name.
 * Rotation by size and/or age starts a new file.
 */
#pragma once

#include <rill/export.h>

#include <rill/dead-letter.h>
#include <rill/pipeline.h>

G_BEGIN_DECLS

#define RILL_FILE_ERROR (rill_file_error_quark())
RILL_API GQuark rill_file_error_quark(void);

typedef enum {
  RILL_FILE_ERROR_NOT_FOUND, /* the path or pattern names no readable file */
  RILL_FILE_ERROR_IO,        /* read/write/rename failed; message names the file and offset */
  RILL_FILE_ERROR_PARSE,     /* a record is malformed; message names the file, line and offset */
  RILL_FILE_ERROR_TRUNCATED, /* the file ends inside a record */
  RILL_FILE_ERROR_INVALID,   /* bad configuration */
} rill_file_error;

typedef enum {
  RILL_FILE_FORMAT_LINES, /* one record per "\n"-terminated line */
  RILL_FILE_FORMAT_JSONL, /* JSON Lines: one JSON value per line; blank lines skipped */
  RILL_FILE_FORMAT_CSV,   /* RFC 4180 records; "\r\n" or "\n" line breaks */
} rill_file_format;

/* Returns "lines", "jsonl" or "csv"; rill_file_format_from_name parses
 * those (and "json") and returns FALSE for anything else. */
RILL_API const char *rill_file_format_name(rill_file_format format);
RILL_API gboolean rill_file_format_from_name(const char *name, rill_file_format *format);

/* ---- source ------------------------------------------------------------- */

typedef struct rill_file_source rill_file_source;

/* A source over @path: a file, a directory (its regular files, not
 * recursive, dot files skipped), a glob pattern, or "-" for stdin. Nothing
 * is opened until the pipeline starts; a pattern matching nothing then fails
 * the pipeline with RILL_FILE_ERROR_NOT_FOUND (in follow mode, a plain path
 * that does not exist yet is waited for). (transfer full) */
RILL_API rill_file_source *rill_file_source_new(const char *path, rill_file_format format);
RILL_API void rill_file_source_free(rill_file_source *source);

/* Tail the files (see above). @poll_ms 0 = default 100. */
RILL_API void rill_file_source_set_follow(rill_file_source *source, gboolean follow, guint poll_ms);
/* CSV: the first record of each file is a header row (not emitted; carried
 * as the "csv-header" header). Default FALSE. */
RILL_API void rill_file_source_set_csv_header(rill_file_source *source, gboolean header);
/* CSV: name the columns @names (NULL-terminated, copied; NULL = none). The
 * records carry them as their "csv-header"; with set_csv_header TRUE too,
 * each file's header row is skipped and these names are used instead.
 * Without either, records carry an empty "csv-header" and the columns are
 * c1..cN (rill/fields.h). */
RILL_API void rill_file_source_set_csv_columns(rill_file_source *source, const char *const *names);
/* JSON Lines: check each line parses (default TRUE); malformed lines go to
 * the dead-letter output. FALSE passes lines through unchecked (faster). */
RILL_API void rill_file_source_set_validate(rill_file_source *source, gboolean validate);
/* Attach "file", "line" and "offset" headers (default TRUE). */
RILL_API void rill_file_source_set_position_headers(rill_file_source *source, gboolean headers);
/* Read chunk size in bytes (default 4 MiB, at least 4 KiB). Records longer
 * than a chunk are still read whole. */
RILL_API void rill_file_source_set_chunk_size(rill_file_source *source, gsize bytes);
/* Where unreadable records go. (transfer none): a reference is taken. */
RILL_API void rill_file_source_set_dead_letter(rill_file_source *source, rill_dead_letter *dead_letter);

/* The class; user_data is a rill_file_source. */
RILL_API extern const rill_source_class rill_file_source_class;

/* Adds @source (transfer full) to @pipeline as a source stage. (transfer none) */
RILL_API rill_stage *rill_pipeline_add_file_source(rill_pipeline *pipeline, const char *name, rill_file_source *source);

/* ---- sink --------------------------------------------------------------- */

typedef struct rill_file_sink rill_file_sink;

/* A sink writing record values, one per line, converting to @format:
 * RILL_FILE_FORMAT_JSONL writes CSV records (those with a "csv-header"
 * header) as typed JSON objects, RILL_FILE_FORMAT_CSV writes JSON objects
 * as rows under the header row (set_csv_header, else the input's, else the
 * first object's member names); other values are written as they are (see
 * rill/fields.h). Names:
 * with no rotation and parallelism 1 the file is @path itself; otherwise
 * each file is "STEM-TASK-SEQ.EXT" beside @path (STEM/EXT split at the first
 * '.' of the base name, TASK the task index, SEQ a 6-digit sequence that
 * continues after files already there), so sorting the names of one task
 * gives the order they were written. For stdout/stderr see rill/stdio.h.
 * (transfer full) */
RILL_API rill_file_sink *rill_file_sink_new(const char *path, rill_file_format format);
RILL_API void rill_file_sink_free(rill_file_sink *sink);

/* Start a new file once the current one holds at least @bytes (0 = never). */
RILL_API void rill_file_sink_set_rotate_bytes(rill_file_sink *sink, guint64 bytes);
/* Start a new file once the current one is @seconds old (0 = never);
 * checked whenever records are written and at each flush. */
RILL_API void rill_file_sink_set_rotate_seconds(rill_file_sink *sink, guint seconds);
/* CSV: write @header_row (without line break) at the top of every file,
 * and write JSON objects as its columns; NULL = take it from the first
 * record's non-empty "csv-header" header, else its JSON member names. */
RILL_API void rill_file_sink_set_csv_header(rill_file_sink *sink, const char *header_row);
/* fsync each file before renaming it into place (default TRUE). */
RILL_API void rill_file_sink_set_fsync(rill_file_sink *sink, gboolean fsync);

/* The class; user_data is a rill_file_sink. */
RILL_API extern const rill_sink_class rill_file_sink_class;

/* Adds @sink (transfer full) to @pipeline reading @input. (transfer none) */
RILL_API rill_stage *rill_pipeline_add_file_sink(rill_pipeline *pipeline, const char *name, rill_stage *input,
                                                 rill_file_sink *sink);

G_END_DECLS
