/* generate.h — deterministic web-server access logs for the access-log
 * example, its test and bench/etl. Same seed and sizes, same bytes. */
#pragma once

#include <glib.h>

/* Lines in Common Log Format, e.g.
 *   10.0.3.7 - - [14/Nov/2023:00:00:01 +0000] "GET /api/users HTTP/1.1" 503 1234
 * starting 2023-11-14T00:00:00Z, about @lines_per_file lines per file, each
 * file covering the next stretch of time (so reading the files in order, or
 * file i on task i % P, never goes back in time by more than 2 s of jitter).
 * About 6% of lines are server errors (status >= 500) and 3 in 200 are
 * malformed (garbage, truncated, or a non-numeric status: 1 in 200 each). */
typedef struct {
  guint files;
  guint64 lines_per_file;
  guint32 seed;
} access_log_spec;

/* Writes @spec's files as entries "access-NNN.log" of a tar.gz at @path. */
gboolean access_log_write_tar_gz(const char *path, const access_log_spec *spec, GError **error);
/* Writes @spec's files as DIR/access-NNN.log. */
gboolean access_log_write_plain(const char *dir, const access_log_spec *spec, GError **error);
