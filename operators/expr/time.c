/* time.c — parse_time and format_time: milliseconds since the epoch from
 * and to text, in ISO 8601 or strptime/strftime formats.
 *
 * Formats are read in the C locale (month and day names in English,
 * whatever the process locale), through one C locale object made on first
 * use. Without a %z in the format a time is UTC; times are always written
 * in UTC.
 */
#define _GNU_SOURCE /* memmem, strptime_l, timegm */
#include "operators/expr/expr-private.h"

#include <locale.h>
#include <math.h>
#include <string.h>
#include <time.h>

static locale_t c_locale(void)
{
  static gsize once = 0;
  static locale_t loc;
  if (g_once_init_enter(&once)) {
    loc = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    g_once_init_leave(&once, 1);
  }
  return loc;
}

static gboolean is_iso(const rill_expr_value *args, guint n)
{
  return n < 2 || (args[1].type == RILL_EXPR_STRING && args[1].len == 7 && memcmp(args[1].text, "iso8601", 7) == 0);
}

void rill__expr_fn_parse_time(rill__expr_ctx *c, const rill__expr_node *call, const rill_expr_value *a, guint n,
                              rill_expr_value *out)
{
  rill__expr_null(out);
  if (a[0].type != RILL_EXPR_STRING || (n > 1 && a[1].type != RILL_EXPR_STRING))
    return;
  char *text = rill__scratch_strndup(c->arena, a[0].text, a[0].len);
  if (strlen(text) != a[0].len)
    return; /* a NUL inside */
  if (is_iso(a, n)) {
    GTimeZone *utc = g_time_zone_new_utc();
    GDateTime *dt = g_date_time_new_from_iso8601(text, utc);
    g_time_zone_unref(utc);
    if (dt) {
      rill__expr_number(out, (double)g_date_time_to_unix(dt) * 1000 + g_date_time_get_microsecond(dt) / 1000);
      g_date_time_unref(dt);
    }
    return;
  }
  char *format = rill__scratch_strndup(c->arena, a[1].text, a[1].len);
  struct tm tm;
  memset(&tm, 0, sizeof tm);
  tm.tm_mday = 1;
  const char *end = strptime_l(text, format, &tm, c_locale());
  if (!end || *end)
    return;
  long offset = tm.tm_gmtoff;
  time_t t = timegm(&tm);
  if (t == (time_t)-1 && !(tm.tm_year == 69 && tm.tm_mon == 11 && tm.tm_mday == 31))
    return;
  rill__expr_number(out, ((double)t - (double)offset) * 1000);
}

void rill__expr_fn_format_time(rill__expr_ctx *c, const rill__expr_node *call, const rill_expr_value *a, guint n,
                               rill_expr_value *out)
{
  rill__expr_null(out);
  double ms;
  if (a[0].type == RILL_EXPR_NUMBER)
    ms = a[0].number;
  else if (a[0].type != RILL_EXPR_STRING || !rill__expr_parse_number(a[0].text, a[0].len, &ms))
    return;
  if (n > 1 && a[1].type != RILL_EXPR_STRING)
    return;
  /* Year 0 to 9999 (what ISO 8601 writes in four digits). */
  if (!(ms >= -62167219200000.0 && ms < 253402300800000.0))
    return;
  double secs = floor(ms / 1000);
  int millis = (int)(ms - secs * 1000);
  time_t t = (time_t)secs;
  struct tm tm;
  if (!gmtime_r(&t, &tm))
    return;
  char buf[256];
  gsize len;
  if (is_iso(a, n)) {
    len = strftime_l(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm, c_locale());
    if (millis)
      len += (gsize)g_snprintf(buf + len, sizeof buf - len, ".%03d", millis);
    buf[len++] = 'Z';
    buf[len] = '\0';
  } else {
    char *format = rill__scratch_strndup(c->arena, a[1].text, a[1].len);
    len = strftime_l(buf, sizeof buf, format, &tm, c_locale());
    if (len == 0 && *format)
      return; /* too long for the buffer */
  }
  rill__expr_string(out, rill__scratch_strndup(c->arena, buf, len), len);
}
