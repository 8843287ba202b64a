/* error.c — launch errors: the domain, and messages that say where
 * ("line L, column C") and show the line with a caret under the offending
 * spot. (Parameter values are parsed and checked by the configuration-table
 * engine, runtime/config-table.c.)
 */
#include "runtime/launch/launch-private.h"

G_DEFINE_QUARK(rill-launch-error-quark, rill_launch_error)

void rill__launch_error_at(GError **error, const char *text, gsize pos, rill_launch_error code, const char *format,
                           ...)
{
  va_list ap;
  va_start(ap, format);
  char *msg = g_strdup_vprintf(format, ap);
  va_end(ap);
  gsize line_start = 0, line_no = 1;
  for (gsize i = 0; i < pos && text[i]; i++)
    if (text[i] == '\n') {
      line_no++;
      line_start = i + 1;
    }
  gsize line_end = line_start;
  while (text[line_end] && text[line_end] != '\n')
    line_end++;
  /* Column in characters, so the caret lines up under UTF-8 text. */
  glong column = g_utf8_pointer_to_offset(text + line_start, text + pos);
  GString *caret = g_string_new(NULL);
  for (glong c = 0; c < column; c++)
    g_string_append_c(caret, text[line_start + c] == '\t' ? '\t' : ' ');
  g_set_error(error, RILL_LAUNCH_ERROR, code, "line %" G_GSIZE_FORMAT ", column %ld: %s\n  %.*s\n  %s^", line_no,
              column + 1, msg, (int)(line_end - line_start), text + line_start, caret->str);
  g_string_free(caret, TRUE);
  g_free(msg);
}
