/* typed.c — text to typed JSON values (include/rill/typed.h), shared by
 * regex-parse and the CSV readers; and JSON nodes back to text with
 * numbers printed shortest round-trip (fields, sinks). The inference never changes the text of
 * a number it keeps (it is written as it came), so nothing is rounded;
 * explicit int/float types normalise it.
 */
#include <rill/fields.h>
#include <rill/typed.h>

#include <errno.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdlib.h>

#include "operators/typed-private.h"
#include "runtime/numbers.h"

G_DEFINE_QUARK(rill-value-error-quark, rill_value_error)

static const char *const type_names[] = {"auto", "int", "float", "bool", "string", "timestamp"};

gboolean rill_value_type_from_name(const char *name, rill_value_type *type)
{
  g_return_val_if_fail(name != NULL && type != NULL, FALSE);
  static const struct {
    const char *alias;
    rill_value_type type;
  } aliases[] = {{"integer", RILL_VALUE_INT}, {"double", RILL_VALUE_FLOAT}, {"boolean", RILL_VALUE_BOOL}};
  for (guint i = 0; i < G_N_ELEMENTS(type_names); i++)
    if (strcmp(name, type_names[i]) == 0) {
      *type = (rill_value_type)i;
      return TRUE;
    }
  for (guint i = 0; i < G_N_ELEMENTS(aliases); i++)
    if (strcmp(name, aliases[i].alias) == 0) {
      *type = aliases[i].type;
      return TRUE;
    }
  return FALSE;
}

const char *rill_value_type_name(rill_value_type type)
{
  g_return_val_if_fail((guint)type < G_N_ELEMENTS(type_names), NULL);
  return type_names[type];
}

/* JSON number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?.
 * *@integral says there was neither fraction nor exponent. */
static gboolean json_number(const char *s, gsize n, gboolean *integral)
{
  gsize i = 0;
  *integral = TRUE;
  if (i < n && s[i] == '-')
    i++;
  if (i >= n || !g_ascii_isdigit(s[i]))
    return FALSE;
  if (s[i] == '0')
    i++;
  else
    while (i < n && g_ascii_isdigit(s[i]))
      i++;
  if (i < n && s[i] == '.') {
    *integral = FALSE;
    if (++i >= n || !g_ascii_isdigit(s[i]))
      return FALSE;
    while (i < n && g_ascii_isdigit(s[i]))
      i++;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    *integral = FALSE;
    i++;
    if (i < n && (s[i] == '+' || s[i] == '-'))
      i++;
    if (i >= n || !g_ascii_isdigit(s[i]))
      return FALSE;
    while (i < n && g_ascii_isdigit(s[i]))
      i++;
  }
  return i == n;
}

/* [+-]digits within 64 bits. */
static gboolean parse_int(const char *s, gsize n, gint64 *out)
{
  char buf[32];
  if (n == 0 || n >= sizeof buf)
    return FALSE;
  memcpy(buf, s, n);
  buf[n] = '\0';
  gsize i = (buf[0] == '+' || buf[0] == '-') ? 1 : 0;
  if (i == n)
    return FALSE;
  for (gsize k = i; k < n; k++)
    if (!g_ascii_isdigit(buf[k]))
      return FALSE;
  char *end;
  errno = 0;
  *out = g_ascii_strtoll(buf, &end, 10);
  return errno == 0 && *end == '\0';
}

static gboolean parse_float(const char *s, gsize n, double *out)
{
  char buf[64];
  if (n == 0 || n >= sizeof buf)
    return FALSE;
  memcpy(buf, s, n);
  buf[n] = '\0';
  char *end;
  *out = g_ascii_strtod(buf, &end);
  return *end == '\0' && isfinite(*out) && !g_ascii_isspace(buf[0]);
}

static int parse_bool(const char *s, gsize n)
{
  static const char *const yes[] = {"true", "yes", "on", "1"}, *const no[] = {"false", "no", "off", "0"};
  for (guint i = 0; i < G_N_ELEMENTS(yes); i++) {
    if (strlen(yes[i]) == n && g_ascii_strncasecmp(s, yes[i], n) == 0)
      return 1;
    if (strlen(no[i]) == n && g_ascii_strncasecmp(s, no[i], n) == 0)
      return 0;
  }
  return -1;
}

/* ---- timestamps ------------------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil). */
static gint64 days_from_civil(gint64 y, int m, int d)
{
  y -= m <= 2;
  gint64 era = (y >= 0 ? y : y - 399) / 400;
  gint64 yoe = y - era * 400;
  gint64 doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  gint64 doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static gboolean digits(const char *s, int n, int *out)
{
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (!g_ascii_isdigit(s[i]))
      return FALSE;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return TRUE;
}

/* "14/Nov/2023:22:13:20 +0000" exactly (the access-log form). */
static gboolean parse_httpdate(const char *s, gsize n, gint64 *ms)
{
  static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
  int day, year, hh, mm, ss, tzh, tzm, mon = -1;
  if (n != 26 || s[2] != '/' || s[6] != '/' || s[11] != ':' || s[14] != ':' || s[17] != ':' || s[20] != ' ' ||
      (s[21] != '+' && s[21] != '-'))
    return FALSE;
  if (!digits(s, 2, &day) || !digits(s + 7, 4, &year) || !digits(s + 12, 2, &hh) || !digits(s + 15, 2, &mm) ||
      !digits(s + 18, 2, &ss) || !digits(s + 22, 2, &tzh) || !digits(s + 24, 2, &tzm))
    return FALSE;
  for (int m = 0; m < 12 && mon < 0; m++)
    if (memcmp(s + 3, months + 3 * m, 3) == 0)
      mon = m + 1;
  if (mon < 0 || day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60)
    return FALSE;
  gint64 offset = (tzh * 60 + tzm) * (s[21] == '-' ? -1 : 1);
  *ms = (((days_from_civil(year, mon, day) * 24 + hh) * 60 + mm - offset) * 60 + ss) * 1000;
  return TRUE;
}

gboolean rill__parse_timestamp_ms(const char *s, gsize n, gint64 *ms)
{
  if (parse_int(s, n, ms) || parse_httpdate(s, n, ms))
    return TRUE;
  char *text = g_strndup(s, n);
  GTimeZone *utc = g_time_zone_new_utc();
  GDateTime *dt = g_date_time_new_from_iso8601(text, utc);
  g_time_zone_unref(utc);
  g_free(text);
  if (!dt)
    return FALSE;
  *ms = g_date_time_to_unix(dt) * 1000 + g_date_time_get_microsecond(dt) / 1000;
  g_date_time_unref(dt);
  return TRUE;
}

/* ---- conversion ------------------------------------------------------------- */

static gboolean type_error(GError **error, const char *text, gsize len, rill_value_type type)
{
  g_set_error(error, RILL_VALUE_ERROR, RILL_VALUE_ERROR_TYPE, "'%.*s' is not %s", (int)MIN(len, 64), text,
              type == RILL_VALUE_INT         ? "an integer"
              : type == RILL_VALUE_FLOAT     ? "a number"
              : type == RILL_VALUE_BOOL      ? "a boolean (true/false, yes/no, on/off, 1/0)"
                                             : "a timestamp (integer ms, ISO 8601 or 14/Nov/2023:22:13:20 +0000)");
  return FALSE;
}

gboolean rill_value_append_json(GString *out, const char *text, gsize len, rill_value_type type, GError **error)
{
  g_return_val_if_fail(out != NULL, FALSE);
  if (!text) {
    g_string_append(out, "null");
    return TRUE;
  }
  gboolean integral;
  gint64 i;
  double d;
  int b;
  switch (type) {
  case RILL_VALUE_AUTO:
    if (json_number(text, len, &integral) && (!integral || parse_int(text, len, &i))) {
      g_string_append_len(out, text, (gssize)len);
      return TRUE;
    }
    if ((len == 4 && memcmp(text, "true", 4) == 0) || (len == 5 && memcmp(text, "false", 5) == 0)) {
      g_string_append_len(out, text, (gssize)len);
      return TRUE;
    }
    break;
  case RILL_VALUE_INT:
    if (!parse_int(text, len, &i))
      return type_error(error, text, len, type);
    g_string_append_printf(out, "%" G_GINT64_FORMAT, i);
    return TRUE;
  case RILL_VALUE_FLOAT:
    if (json_number(text, len, &integral)) {
      g_string_append_len(out, text, (gssize)len);
      return TRUE;
    }
    if (!parse_float(text, len, &d))
      return type_error(error, text, len, type);
    rill__append_double(out, d);
    return TRUE;
  case RILL_VALUE_BOOL:
    if ((b = parse_bool(text, len)) < 0)
      return type_error(error, text, len, type);
    g_string_append(out, b ? "true" : "false");
    return TRUE;
  case RILL_VALUE_TIMESTAMP:
    if (!rill__parse_timestamp_ms(text, len, &i))
      return type_error(error, text, len, type);
    g_string_append_printf(out, "%" G_GINT64_FORMAT, i);
    return TRUE;
  case RILL_VALUE_STRING:
    break;
  }
  rill_json_append_string(out, text, (gssize)len);
  return TRUE;
}

/* ---- JSON nodes ------------------------------------------------------------- */

/* @node as compact JSON, doubles shortest round-trip (json-glib's
 * generator writes 76.34 as 76.340000000000003). */
void rill__json_append_node(GString *out, JsonNode *node)
{
  if (JSON_NODE_HOLDS_OBJECT(node)) {
    JsonObjectIter it;
    const char *name;
    JsonNode *member;
    gboolean first = TRUE;
    g_string_append_c(out, '{');
    json_object_iter_init_ordered(&it, json_node_get_object(node));
    while (json_object_iter_next_ordered(&it, &name, &member)) {
      if (!first)
        g_string_append_c(out, ',');
      first = FALSE;
      rill_json_append_string(out, name, -1);
      g_string_append_c(out, ':');
      rill__json_append_node(out, member);
    }
    g_string_append_c(out, '}');
  } else if (JSON_NODE_HOLDS_ARRAY(node)) {
    JsonArray *a = json_node_get_array(node);
    g_string_append_c(out, '[');
    for (guint i = 0, n = json_array_get_length(a); i < n; i++) {
      if (i)
        g_string_append_c(out, ',');
      rill__json_append_node(out, json_array_get_element(a, i));
    }
    g_string_append_c(out, ']');
  } else if (JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_DOUBLE) {
    rill__append_double(out, json_node_get_double(node));
  } else if (JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_STRING) {
    rill_json_append_string(out, json_node_get_string(node), -1);
  } else {
    char *text = json_to_string(node, FALSE);
    g_string_append(out, text);
    g_free(text);
  }
}
