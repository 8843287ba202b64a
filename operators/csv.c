/* csv.c — RFC 4180 field splitting and writing, and JSON string escaping,
 * shared by rill_fields, the dead-letter output and the file sinks.
 *
 * Splitting keeps the NULL/empty distinction of rill/fields.h: an unquoted
 * empty field is NULL, a quoted one is "". Unquoted fields are views into
 * the input; quoted fields with doubled quotes are unescaped into a scratch
 * string that lives as long as the split result.
 */
#include "operators/csv.h"

#include <rill/fields.h>

gboolean rill__csv_split(const char *data, gsize len, char sep, GArray *fields, GString *scratch, GError **error)
{
  g_array_set_size(fields, 0);
  g_string_truncate(scratch, 0);
  /* Pass 1 records scratch offsets, pass 2 turns them into pointers: the
   * scratch string may move while it grows. */
  gsize i = 0;
  for (;;) {
    rill__csv_field f = {NULL, 0, FALSE, 0};
    if (i < len && data[i] == '"') {
      f.quoted = TRUE;
      f.scratch_at = scratch->len;
      i++;
      for (;;) {
        const char *q = i < len ? memchr(data + i, '"', len - i) : NULL;
        if (!q) {
          g_set_error(error, RILL_FIELDS_ERROR, RILL_FIELDS_ERROR_PARSE,
                      "CSV: unterminated quoted field %u (starts at byte %" G_GSIZE_FORMAT ")", fields->len + 1,
                      f.scratch_at);
          return FALSE;
        }
        g_string_append_len(scratch, data + i, q - (data + i));
        i = (gsize)(q - data) + 1;
        if (i < len && data[i] == '"') {
          g_string_append_c(scratch, '"');
          i++;
          continue;
        }
        break;
      }
      f.len = scratch->len - f.scratch_at;
      if (i < len && data[i] != sep) {
        g_set_error(error, RILL_FIELDS_ERROR, RILL_FIELDS_ERROR_PARSE,
                    "CSV: unexpected character after the closing quote of field %u (byte %" G_GSIZE_FORMAT ")",
                    fields->len + 1, i);
        return FALSE;
      }
    } else {
      const char *end = i < len ? memchr(data + i, sep, len - i) : NULL;
      gsize stop = end ? (gsize)(end - data) : len;
      if (stop > i) {
        f.data = data + i;
        f.len = stop - i;
      }
      i = stop;
    }
    g_array_append_val(fields, f);
    if (i >= len)
      break;
    i++; /* the separator */
    if (i == len) {
      rill__csv_field last = {NULL, 0, FALSE, 0};
      g_array_append_val(fields, last);
      break;
    }
  }
  for (guint k = 0; k < fields->len; k++) {
    rill__csv_field *f = &g_array_index(fields, rill__csv_field, k);
    if (f->quoted)
      f->data = scratch->str + f->scratch_at;
  }
  return TRUE;
}

static gboolean needs_quotes(const char *v, gsize len, char sep)
{
  if (len == 0)
    return TRUE; /* "" is the empty string; nothing at all is NULL */
  if (v[0] == ' ' || v[len - 1] == ' ')
    return TRUE;
  for (gsize i = 0; i < len; i++)
    if (v[i] == sep || v[i] == '"' || v[i] == '\n' || v[i] == '\r')
      return TRUE;
  return FALSE;
}

void rill_csv_append_field(GString *out, const char *value, gssize len, char separator)
{
  g_return_if_fail(out != NULL);
  if (!value)
    return;
  gsize n = len < 0 ? strlen(value) : (gsize)len;
  if (!needs_quotes(value, n, separator)) {
    g_string_append_len(out, value, (gssize)n);
    return;
  }
  g_string_append_c(out, '"');
  for (gsize i = 0; i < n; i++) {
    if (value[i] == '"')
      g_string_append_c(out, '"');
    g_string_append_c(out, value[i]);
  }
  g_string_append_c(out, '"');
}

void rill_csv_append_row(GString *out, const char *const *values, const gssize *lens, guint n, char separator)
{
  g_return_if_fail(out != NULL && (values != NULL || n == 0));
  for (guint i = 0; i < n; i++) {
    if (i)
      g_string_append_c(out, separator);
    rill_csv_append_field(out, values[i], lens ? lens[i] : -1, separator);
  }
}

void rill_json_append_string(GString *out, const char *value, gssize len)
{
  g_return_if_fail(out != NULL && value != NULL);
  const char *p = value, *end = value + (len < 0 ? strlen(value) : (gsize)len);
  g_string_append_c(out, '"');
  while (p < end) {
    unsigned char c = (unsigned char)*p;
    if (c >= 0x80) {
      /* Valid UTF-8 is copied; a byte that starts no valid sequence is
       * written as the code point of the same number, so the output is
       * always valid JSON (and valid UTF-8). */
      gunichar u = g_utf8_get_char_validated(p, end - p);
      if (u == (gunichar)-1 || u == (gunichar)-2) {
        g_string_append_printf(out, "\\u%04x", c);
        p++;
      } else {
        const char *next = g_utf8_next_char(p);
        g_string_append_len(out, p, next - p);
        p = next;
      }
      continue;
    }
    switch (c) {
    case '"': g_string_append(out, "\\\""); break;
    case '\\': g_string_append(out, "\\\\"); break;
    case '\n': g_string_append(out, "\\n"); break;
    case '\r': g_string_append(out, "\\r"); break;
    case '\t': g_string_append(out, "\\t"); break;
    default:
      if (c < 0x20)
        g_string_append_printf(out, "\\u%04x", c);
      else
        g_string_append_c(out, (char)c);
    }
    p++;
  }
  g_string_append_c(out, '"');
}
