/* format.c — the file connectors' error domain and format names. */
#include <rill/file.h>

G_DEFINE_QUARK(rill-file-error-quark, rill_file_error)

static const char *const names[] = {"lines", "jsonl", "csv"};

const char *rill_file_format_name(rill_file_format format)
{
  g_return_val_if_fail((guint)format < G_N_ELEMENTS(names), NULL);
  return names[format];
}

gboolean rill_file_format_from_name(const char *name, rill_file_format *format)
{
  g_return_val_if_fail(name != NULL && format != NULL, FALSE);
  for (guint i = 0; i < G_N_ELEMENTS(names); i++)
    if (strcmp(name, names[i]) == 0) {
      *format = (rill_file_format)i;
      return TRUE;
    }
  if (strcmp(name, "json") == 0) {
    *format = RILL_FILE_FORMAT_JSONL;
    return TRUE;
  }
  return FALSE;
}
