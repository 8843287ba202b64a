/* archive-elements.c — the launch elements of the archive connector
 * (libarchive): archive-src and archive-sink.
 */
#include "runtime/launch/launch-private.h"

#include <rill/archive.h>

static rill_stage *build_archive_src(rill_launch_builder *b, const char *name, rill_stage *const *inputs,
                                     guint n_inputs, GError **error)
{
  char **paths = rill__launch_get_list(b, "path");
  rill_archive_source_options o = {
    .paths = (const char *const *)paths,
    .entry_pattern = rill__launch_get(b, "entries"),
    .mode = strcmp(rill__launch_get(b, "mode"), "entry") == 0 ? RILL_ARCHIVE_RECORD_ENTRY : RILL_ARCHIVE_RECORD_LINES,
    .max_record_bytes = rill__launch_get_size(b, "max-record"),
  };
  rill_stage *s = NULL;
  if (!paths[0]) {
    rill__launch_fail(b, "path", error, RILL_LAUNCH_ERROR_INVALID_VALUE, "no archive path given");
    goto out;
  }
  rill_archive_source *src = rill_archive_source_new(&o, error);
  if (src)
    s = rill_pipeline_add_archive_source(b->pipeline, name, src);
out:
  g_strfreev(paths);
  return s;
}

static rill_stage *build_archive_sink(rill_launch_builder *b, const char *name, rill_stage *const *inputs,
                                      guint n_inputs, GError **error)
{
  static const char *const formats[] = {"auto", "tar.gz", "tar.zst", "zip"};
  const char *f = rill__launch_get(b, "format");
  rill_archive_sink_options o = {
    .path_pattern = rill__launch_get(b, "path"),
    .entry_pattern = rill__launch_get(b, "entry"),
    .entry_max_bytes = rill__launch_get_size(b, "entry-size"),
    .entry_max_records = (guint64)rill__launch_get_int(b, "entry-records"),
    .archive_max_bytes = rill__launch_get_size(b, "archive-size"),
  };
  for (guint i = 0; i < G_N_ELEMENTS(formats); i++)
    if (strcmp(f, formats[i]) == 0)
      o.format = (rill_archive_format)i;
  rill_archive_sink *sink = rill_archive_sink_new(&o, error);
  return sink ? rill_pipeline_add_archive_sink(b->pipeline, name, inputs[0], sink) : NULL;
}

static const rill_launch_element elements[] = {
  {"archive-sink", RILL_LAUNCH_SINK, "write record values as lines of entries in tar.gz / tar.zst / zip archives",
   RILL__LAUNCH_PARAMS(
     {"path", RILL_LAUNCH_STRING, NULL, NULL, TRUE,
      "archive name pattern with {seq} (and {task} when -p > 1), e.g. out/logs-{seq}.tar.gz"},
     {"format", RILL_LAUNCH_ENUM, "auto", "auto|tar.gz|tar.zst|zip", FALSE, "archive format (auto: from the suffix)"},
     {"entry", RILL_LAUNCH_STRING, NULL, NULL, FALSE, "entry name pattern (default part-{seq}.txt)"},
     {"entry-size", RILL_LAUNCH_SIZE, "8MiB", NULL, FALSE, "cut an entry at this size"},
     {"entry-records", RILL_LAUNCH_INT, "0", NULL, FALSE, "cut an entry after this many records (0 = no limit)"},
     {"archive-size", RILL_LAUNCH_SIZE, "0", NULL, FALSE, "start a new archive after this many bytes (0 = never)"}),
   .build = build_archive_sink},
  {"archive-src", RILL_LAUNCH_SOURCE,
   "read the lines (or whole entries) of tar/zip/7z/... archives without extracting",
   RILL__LAUNCH_PARAMS(
     {"path", RILL_LAUNCH_LIST, NULL, NULL, TRUE, "archive paths or glob patterns, comma separated"},
     {"entries", RILL_LAUNCH_STRING, NULL, NULL, FALSE, "only entries matching this glob"},
     {"mode", RILL_LAUNCH_ENUM, "lines", "lines|entry", FALSE, "one record per line, or per entry"},
     {"max-record", RILL_LAUNCH_SIZE, "64MiB", NULL, FALSE, "longest line or entry accepted"}),
   .build = build_archive_src},
};

RILL__LAUNCH_ELEMENTS_DEFINE(archive, elements)
