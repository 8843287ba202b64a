/* archive.h — archive connectors (libarchive): a source streaming the
 * entries of tar / tar.gz / tar.bz2 / tar.xz / tar.zst / zip / 7z / ...
 * archives without extracting them, and a sink writing tar.gz, tar.zst or
 * zip archives. Reference: docs/connectors/archive.md.
 *
 * Source records: one per line of each regular-file entry (the newline is
 * removed; a last line without newline is a record too), or one per entry
 * (RILL_ARCHIVE_RECORD_ENTRY). Key absent, timestamp RILL_TIMESTAMP_NONE,
 * headers RILL_ARCHIVE_HEADER_*. Each archive is a split: with P tasks,
 * archive i is read by task i % P, entries and lines in order.
 *
 * Damage: a corrupt or truncated archive ends its task's stream after every
 * complete record before the damage has been emitted; the pipeline then
 * drains and fails with a RILL_ARCHIVE_ERROR_CORRUPT message naming the
 * archive, the entry and the byte offset (see source.h on failing after
 * the good part).
 */
#pragma once

#include <rill/export.h>

#include <rill/pipeline.h>

G_BEGIN_DECLS

#define RILL_ARCHIVE_ERROR (rill_archive_error_quark())
RILL_API GQuark rill_archive_error_quark(void);

typedef enum {
  RILL_ARCHIVE_ERROR_NOT_FOUND, /* a path does not exist or a pattern matched nothing */
  RILL_ARCHIVE_ERROR_INVALID,   /* an option is missing or out of range */
  RILL_ARCHIVE_ERROR_OPEN,      /* a file is not a readable archive */
  RILL_ARCHIVE_ERROR_CORRUPT,   /* damaged or truncated: "archive 'A': entry 'E': ... byte N ..." */
  RILL_ARCHIVE_ERROR_TOO_LONG,  /* a line or entry is longer than max_record_bytes */
  RILL_ARCHIVE_ERROR_WRITE,     /* sink: creating, writing or renaming an archive failed */
} rill_archive_error;

/* Source record header names. */
#define RILL_ARCHIVE_HEADER_ARCHIVE "archive" /* the archive's path as given/expanded */
#define RILL_ARCHIVE_HEADER_ENTRY "entry"     /* entry path inside the archive */
#define RILL_ARCHIVE_HEADER_MTIME "mtime"     /* entry mtime, decimal seconds since the epoch (absent if unknown) */
#define RILL_ARCHIVE_HEADER_LINE "line"       /* 1-based line number in the entry (line mode only) */

/* ---- source ------------------------------------------------------------- */

typedef enum {
  RILL_ARCHIVE_RECORD_LINES, /* one record per line (default) */
  RILL_ARCHIVE_RECORD_ENTRY, /* one record per entry: its whole content */
} rill_archive_record_mode;

typedef struct rill_archive_source_options {
  const char *const *paths;     /* NULL-terminated archive paths or glob patterns (glob(3)); required */
  const char *entry_pattern;    /* only entries whose name matches this glob ('*' also matches '/'); NULL = all */
  rill_archive_record_mode mode;
  gsize max_record_bytes;       /* longest line/entry accepted; 0 = 64 MiB */
  gsize read_chunk_bytes;       /* bytes decompressed per read step; 0 = 64 KiB */
} rill_archive_source_options;

typedef struct rill_archive_source rill_archive_source;

/* Expands the paths (each pattern must match at least one file, each plain
 * path must be a regular file) and checks the options; the archives are
 * opened only when the pipeline runs. (transfer none) @options; (transfer full) result. */
RILL_API rill_archive_source *rill_archive_source_new(const rill_archive_source_options *options, GError **error);
RILL_API void rill_archive_source_free(rill_archive_source *source);

/* Expanded archive list, in split order. (transfer none) */
RILL_API guint rill_archive_source_n_archives(const rill_archive_source *source);
RILL_API const char *rill_archive_source_archive(const rill_archive_source *source, guint index);

/* Adds @source (transfer full) as a source stage. (transfer none) result. */
RILL_API rill_stage *rill_pipeline_add_archive_source(rill_pipeline *pipeline, const char *name,
                                                      rill_archive_source *source);

/* ---- sink --------------------------------------------------------------- */

typedef enum {
  RILL_ARCHIVE_FORMAT_AUTO,   /* from path_pattern's suffix: .tar.gz/.tgz, .tar.zst/.tzst, .zip */
  RILL_ARCHIVE_FORMAT_TAR_GZ,
  RILL_ARCHIVE_FORMAT_TAR_ZST,
  RILL_ARCHIVE_FORMAT_ZIP,
} rill_archive_format;

/* Each record's value becomes one line ("value\n") of the current entry;
 * entries are cut at entry_max_bytes / entry_max_records, archives after
 * the entry that brings them to archive_max_bytes, and at every sink flush
 * (end of stream, checkpoint barrier). An archive is written as
 * "FINAL.tmp" and renamed to FINAL when complete. Placeholders: {task} (the
 * task index), {seq} (archive number per task, from 0; entry number in its
 * archive, from 0). */
typedef struct rill_archive_sink_options {
  const char *path_pattern;    /* e.g. "out/logs-{task}-{seq}.tar.gz"; must contain {seq}, and
                                * {task} when the parallelism is above 1. Required. */
  rill_archive_format format;
  const char *entry_pattern;   /* entry names; NULL = "part-{seq}.txt" */
  guint64 entry_max_bytes;     /* cut an entry at this size (also the memory bound); 0 = 8 MiB */
  guint64 entry_max_records;   /* cut an entry after this many records; 0 = no limit */
  guint64 archive_max_bytes;   /* start a new archive once this many compressed bytes are
                                * written (checked between entries); 0 = no limit */
} rill_archive_sink_options;

typedef struct rill_archive_sink rill_archive_sink;

/* Checks the options. (transfer none) @options; (transfer full) result. */
RILL_API rill_archive_sink *rill_archive_sink_new(const rill_archive_sink_options *options, GError **error);
RILL_API void rill_archive_sink_free(rill_archive_sink *sink);

/* Adds @sink (transfer full) as a sink stage reading @input. (transfer none) result. */
RILL_API rill_stage *rill_pipeline_add_archive_sink(rill_pipeline *pipeline, const char *name, rill_stage *input,
                                                    rill_archive_sink *sink);

G_END_DECLS
