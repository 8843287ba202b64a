/* archive-harness.h — what the archive connector tests share: a sink that
 * collects every record (value and archive headers) in arrival order, a
 * shell runner for the system archivers, and temp directories. */
#pragma once

#include <rill/rill.h>

/* One received record, headers copied out (NULL when absent). */
typedef struct {
  char *value;
  char *archive, *entry, *mtime, *line;
  guint task;
} got_record;

typedef struct {
  GMutex lock;
  GPtrArray *records; /* got_record, arrival order */
  gint flushes;
} collector;

extern const rill_sink_class collector_class;
void collector_init(collector *c);
void collector_clear(collector *c);

/* Runs `sh -c CMD` (formatted); fails the test unless it exits 0. */
void run_ok(const char *format, ...) G_GNUC_PRINTF(1, 2);
/* Runs `sh -c CMD`, returns its stdout (transfer full); exit status in *status. */
char *run_capture(int *status, gsize *len, const char *format, ...) G_GNUC_PRINTF(3, 4);

/* A fresh temporary directory (transfer full); remove with rm_rf. */
char *make_tmpdir(void);
void rm_rf(const char *dir);

/* Writes @len bytes to DIR/NAME (creating subdirectories) with mtime @mtime. */
void write_file(const char *dir, const char *name, const char *data, gsize len, gint64 mtime);
