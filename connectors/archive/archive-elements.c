/* archive-elements.c — the launch elements of the archive connector
 * (libarchive): archive-src and archive-sink.
 */
#include "runtime/launch/launch-private.h"

#include <rill/archive.h>

/* The parameters of both elements (each reads its own rows). */
typedef struct {
  char *path;         /* archive-sink: the name pattern */
  char **paths;       /* archive-src */
  char *entries;      /* archive-src: glob */
  int mode;           /* rill_archive_record_mode */
  int64_t max_record;
  int format;         /* rill_archive_format */
  char *entry;
  int64_t entry_size;
  int64_t entry_records;
  int64_t archive_size;
} archive_props;

G_STATIC_ASSERT(RILL_ARCHIVE_RECORD_LINES == 0 && RILL_ARCHIVE_RECORD_ENTRY == 1);
G_STATIC_ASSERT(RILL_ARCHIVE_FORMAT_AUTO == 0 && RILL_ARCHIVE_FORMAT_TAR_GZ == 1 && RILL_ARCHIVE_FORMAT_TAR_ZST == 2 &&
                RILL_ARCHIVE_FORMAT_ZIP == 3);

static rill_stage *build_archive_src(rill_launch_builder *b, const char *name, rill_stage *const *inputs,
                                     guint n_inputs, GError **error)
{
  const archive_props *p = rill__launch_props(b);
  if (!p->paths[0]) {
    rill__launch_fail(b, "path", error, RILL_LAUNCH_ERROR_INVALID_VALUE, "no archive path given");
    return NULL;
  }
  rill_archive_source_options o = {
    .paths = (const char *const *)p->paths,
    .entry_pattern = p->entries,
    .mode = (rill_archive_record_mode)p->mode,
    .max_record_bytes = (guint64)p->max_record,
  };
  rill_archive_source *src = rill_archive_source_new(&o, error);
  return src ? rill_pipeline_add_archive_source(b->pipeline, name, src) : NULL;
}

static rill_stage *build_archive_sink(rill_launch_builder *b, const char *name, rill_stage *const *inputs,
                                      guint n_inputs, GError **error)
{
  const archive_props *p = rill__launch_props(b);
  rill_archive_sink_options o = {
    .path_pattern = p->path,
    .format = (rill_archive_format)p->format,
    .entry_pattern = p->entry,
    .entry_max_bytes = (guint64)p->entry_size,
    .entry_max_records = (guint64)p->entry_records,
    .archive_max_bytes = (guint64)p->archive_size,
  };
  rill_archive_sink *sink = rill_archive_sink_new(&o, error);
  return sink ? rill_pipeline_add_archive_sink(b->pipeline, name, inputs[0], sink) : NULL;
}

#define OFF(f) offsetof(archive_props, f)
#define REQUIRED RILL__CONF_REQUIRED

/* name, type, field, min, max, default, choices, -, -, doc */
static const rill_launch_element elements[] = {
  {"archive-sink", RILL_LAUNCH_SINK, "write record values as lines of entries in tar.gz / tar.zst / zip archives",
   RILL__LAUNCH_PARAMS(archive_props,
     {"path", RILL__CONF_STRING, OFF(path), 0, 0, REQUIRED, NULL, NULL, NULL, "archive name pattern with {seq} (and {task} when -p > 1), e.g. out/logs-{seq}.tar.gz"},
     {"format", RILL__CONF_ENUM, OFF(format), 0, 0, "auto", "auto|tar.gz|tar.zst|zip", NULL, NULL, "archive format (auto: from the suffix)"},
     {"entry", RILL__CONF_STRING, OFF(entry), 0, 0, NULL, NULL, NULL, NULL, "entry name pattern (default part-{seq}.txt)"},
     {"entry-size", RILL__CONF_SIZE, OFF(entry_size), 0, G_MAXINT64, "8MiB", NULL, NULL, NULL, "cut an entry at this size"},
     {"entry-records", RILL__CONF_INT64, OFF(entry_records), 0, G_MAXINT64, "0", NULL, NULL, NULL, "cut an entry after this many records (0 = no limit)"},
     {"archive-size", RILL__CONF_SIZE, OFF(archive_size), 0, G_MAXINT64, "0", NULL, NULL, NULL, "start a new archive after this many bytes (0 = never)"}),
   .build = build_archive_sink},
  {"archive-src", RILL_LAUNCH_SOURCE,
   "read the lines (or whole entries) of tar/zip/7z/... archives without extracting",
   RILL__LAUNCH_PARAMS(archive_props,
     {"path", RILL__CONF_LIST, OFF(paths), 0, 0, REQUIRED, NULL, NULL, NULL, "archive paths or glob patterns, comma separated"},
     {"entries", RILL__CONF_STRING, OFF(entries), 0, 0, NULL, NULL, NULL, NULL, "only entries matching this glob"},
     {"mode", RILL__CONF_ENUM, OFF(mode), 0, 0, "lines", "lines|entry", NULL, NULL, "one record per line, or per entry"},
     {"max-record", RILL__CONF_SIZE, OFF(max_record), 0, G_MAXINT64, "64MiB", NULL, NULL, NULL, "longest line or entry accepted"}),
   .build = build_archive_src},
};

RILL__LAUNCH_ELEMENTS_DEFINE(archive, elements)
