/* util.h — helpers the connector tests share: a source emitting given
 * values, a sink collecting values with their position headers, temp dirs
 * and file helpers. */
#pragma once

#include <rill/rill.h>

/* A source emitting @values (NULL-terminated; an entry may be "" ) in order
 * from one split, optionally with a "csv-header" header. */
typedef struct {
  char **values;
  guint n;
  const char *csv_header;
} vector_source;
extern const rill_source_class vector_source_class;

typedef struct {
  char *value;   /* NULL when the record had no value */
  char *file;    /* "file" header or NULL */
  gint64 line;   /* -1 when absent */
  gint64 offset;
  char *csv_header;
} collected;

typedef struct {
  GMutex lock;
  GPtrArray *items; /* collected */
} collect_sink;
extern const rill_sink_class collect_sink_class;

collect_sink *collect_sink_new(void);
void collect_sink_free(collect_sink *sink);
guint collect_sink_len(collect_sink *sink);
/* Waits (polling, up to @timeout_s) until at least @n records arrived. */
gboolean collect_sink_wait(collect_sink *sink, guint n, guint timeout_s);
const collected *collect_sink_get(collect_sink *sink, guint i);

char *make_tmp_dir(void);
void remove_tree(const char *dir);
void write_file(const char *path, const char *data, gssize len);
void append_file(const char *path, const char *data);
char *read_file(const char *path);
/* Sorted names in @dir (dot files included). (transfer full) */
GPtrArray *list_dir(const char *dir);
