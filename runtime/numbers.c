/* numbers.c — shortest round-trip printing of doubles (see numbers.h).
 *
 * %.17g always reads back exactly but often shows representation noise; the
 * shortest exact form is found by trying precisions 15, 16 and 17 in turn and
 * keeping the first that g_ascii_strtod maps back to the same bits. Fifteen
 * significant digits are exact for most decimal inputs, so the common case
 * costs one format and one parse.
 */
#include "runtime/numbers.h"

#include <math.h>
#include <string.h>

gsize rill__format_double(char buf[RILL__DOUBLE_BUF], double v)
{
  if (!isfinite(v)) {
    memcpy(buf, "null", 5);
    return 4;
  }
  /* Integral and exactly representable: print as an integer. */
  if (v == floor(v) && fabs(v) <= 9007199254740992.0) {
    if (v == 0 && signbit(v)) {
      memcpy(buf, "-0", 3);
      return 2;
    }
    return (gsize)g_snprintf(buf, RILL__DOUBLE_BUF, "%" G_GINT64_FORMAT, (gint64)v);
  }
  static const char *const formats[] = {"%.15g", "%.16g", "%.17g"};
  for (guint i = 0; i < G_N_ELEMENTS(formats); i++) {
    g_ascii_formatd(buf, RILL__DOUBLE_BUF, formats[i], v);
    if (i == G_N_ELEMENTS(formats) - 1 || g_ascii_strtod(buf, NULL) == v)
      break;
  }
  return strlen(buf);
}

void rill__append_double(GString *out, double v)
{
  char buf[RILL__DOUBLE_BUF];
  gsize n = rill__format_double(buf, v);
  g_string_append_len(out, buf, (gssize)n);
}
