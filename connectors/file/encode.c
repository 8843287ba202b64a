/* encode.c — record values to output lines; full writes with EINTR and
 * short-write handling. */
#include "connectors/file/encode.h"

#include <errno.h>
#include <json-glib/json-glib.h>
#include <unistd.h>

gboolean rill__encode_line(GString *out, rill_file_format format, const rill_record *record, GError **error)
{
  const rill_bytes v = record->value;
  if (format == RILL_FILE_FORMAT_JSONL && v.data && memchr(v.data, '\n', v.len)) {
    JsonParser *parser = json_parser_new_immutable();
    GError *err = NULL;
    gboolean ok = json_parser_load_from_data(parser, (const char *)v.data, (gssize)v.len, &err);
    if (ok) {
      char *s = json_to_string(json_parser_get_root(parser), FALSE);
      g_string_append(out, s);
      g_free(s);
    } else {
      g_set_error(error, RILL_FILE_ERROR, RILL_FILE_ERROR_PARSE,
                  "a JSON Lines value spans several lines and is not JSON: %s", err->message);
      g_error_free(err);
    }
    g_object_unref(parser);
    if (!ok)
      return FALSE;
  } else if (v.data) {
    g_string_append_len(out, (const char *)v.data, (gssize)v.len);
  }
  g_string_append_c(out, '\n');
  return TRUE;
}

gboolean rill__write_all(int fd, const void *data, gsize len, const char *what, guint64 offset, GError **error)
{
  const char *p = data;
  while (len) {
    gssize n = write(fd, p, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      g_set_error(error, RILL_FILE_ERROR, RILL_FILE_ERROR_IO, "%s: write error at byte offset %" G_GUINT64_FORMAT ": %s",
                  what, offset, n < 0 ? g_strerror(errno) : "nothing written");
      return FALSE;
    }
    p += n;
    len -= (gsize)n;
    offset += (guint64)n;
  }
  return TRUE;
}
