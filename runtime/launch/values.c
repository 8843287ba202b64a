/* values.c — parameter value types of launch text (booleans, integers,
 * durations, sizes, enums, lists) and error messages with a caret under the
 * offending spot. Conversions are strict: the whole text must parse.
 */
#include "runtime/launch/launch-private.h"

#include <errno.h>

G_DEFINE_QUARK(rill-launch-error-quark, rill_launch_error)

gboolean rill__launch_parse_bool(const char *text, gboolean *out)
{
  static const char *const yes[] = {"true", "yes", "on", "1"}, *const no[] = {"false", "no", "off", "0"};
  for (guint i = 0; i < G_N_ELEMENTS(yes); i++) {
    if (g_ascii_strcasecmp(text, yes[i]) == 0) {
      *out = TRUE;
      return TRUE;
    }
    if (g_ascii_strcasecmp(text, no[i]) == 0) {
      *out = FALSE;
      return TRUE;
    }
  }
  return FALSE;
}

gboolean rill__launch_parse_int(const char *text, gint64 *out)
{
  char *end;
  if (!*text)
    return FALSE;
  errno = 0;
  gint64 v = g_ascii_strtoll(text, &end, 10);
  if (*end || errno)
    return FALSE;
  *out = v;
  return TRUE;
}

/* NUMBER followed by a unit from @units (scale per unit); @bare_scale for
 * no unit. Non-negative integers only. */
static gboolean parse_scaled(const char *text, const char *const *units, const guint64 *scales, guint n,
                             guint64 bare_scale, guint64 *out)
{
  char *end;
  if (!g_ascii_isdigit(*text))
    return FALSE;
  errno = 0;
  guint64 v = g_ascii_strtoull(text, &end, 10);
  if (errno)
    return FALSE;
  guint64 scale = 0;
  if (!*end) {
    scale = bare_scale;
  } else {
    for (guint i = 0; i < n && !scale; i++)
      if (strcmp(end, units[i]) == 0)
        scale = scales[i];
  }
  if (!scale || v > G_MAXUINT64 / scale)
    return FALSE;
  *out = v * scale;
  return TRUE;
}

gboolean rill__launch_parse_duration(const char *text, gint64 *out_ms)
{
  static const char *const units[] = {"ms", "s", "m", "min", "h", "d"};
  static const guint64 scales[] = {1, 1000, 60000, 60000, 3600000, 86400000};
  guint64 v;
  if (!parse_scaled(text, units, scales, G_N_ELEMENTS(units), 1, &v) || v > G_MAXINT64)
    return FALSE;
  *out_ms = (gint64)v;
  return TRUE;
}

gboolean rill__launch_parse_size(const char *text, guint64 *out)
{
  static const char *const units[] = {"B", "k", "K", "KiB", "KB", "M", "MiB", "MB", "G", "GiB", "GB"};
  static const guint64 scales[] = {1, 1 << 10, 1 << 10, 1 << 10, 1 << 10, 1 << 20, 1 << 20, 1 << 20,
                                   1 << 30, 1 << 30, 1 << 30};
  return parse_scaled(text, units, scales, G_N_ELEMENTS(units), 1, out);
}

gboolean rill__launch_enum_ok(const char *choices, const char *text)
{
  gsize n = strlen(text);
  for (const char *c = choices; c && *c;) {
    const char *bar = strchr(c, '|');
    gsize len = bar ? (gsize)(bar - c) : strlen(c);
    if (len == n && strncmp(c, text, n) == 0)
      return TRUE;
    c = bar ? bar + 1 : NULL;
  }
  return FALSE;
}

gboolean rill__launch_value_check(const rill_launch_param *spec, const char *value, GError **error)
{
  gboolean b;
  gint64 i;
  guint64 u;
  switch (spec->type) {
  case RILL_LAUNCH_STRING:
  case RILL_LAUNCH_LIST:
    return TRUE;
  case RILL_LAUNCH_INT:
    if (rill__launch_parse_int(value, &i))
      return TRUE;
    g_set_error(error, RILL_LAUNCH_ERROR, RILL_LAUNCH_ERROR_INVALID_VALUE, "'%s' is not an integer", value);
    return FALSE;
  case RILL_LAUNCH_BOOL:
    if (rill__launch_parse_bool(value, &b))
      return TRUE;
    g_set_error(error, RILL_LAUNCH_ERROR, RILL_LAUNCH_ERROR_INVALID_VALUE,
                "'%s' is not a boolean (true/false, yes/no, on/off, 1/0)", value);
    return FALSE;
  case RILL_LAUNCH_DURATION:
    if (rill__launch_parse_duration(value, &i))
      return TRUE;
    g_set_error(error, RILL_LAUNCH_ERROR, RILL_LAUNCH_ERROR_INVALID_VALUE,
                "'%s' is not a duration (e.g. 500ms, 60s, 5m, 1h; a bare number is ms)", value);
    return FALSE;
  case RILL_LAUNCH_SIZE:
    if (rill__launch_parse_size(value, &u))
      return TRUE;
    g_set_error(error, RILL_LAUNCH_ERROR, RILL_LAUNCH_ERROR_INVALID_VALUE,
                "'%s' is not a size (e.g. 4096, 64k, 100MiB, 1G)", value);
    return FALSE;
  case RILL_LAUNCH_ENUM:
    if (rill__launch_enum_ok(spec->choices, value))
      return TRUE;
    g_set_error(error, RILL_LAUNCH_ERROR, RILL_LAUNCH_ERROR_INVALID_VALUE, "'%s' is not one of %s", value,
                spec->choices);
    return FALSE;
  }
  return FALSE;
}

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
