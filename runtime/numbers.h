/* numbers.h — how rill prints a double as text (JSON, CSV, summaries).
 *
 * One rule everywhere a number becomes text: the shortest decimal form that
 * reads back (g_ascii_strtod) as exactly the same double, so 76.34 prints as
 * "76.34" and not "76.340000000000003", and no value is ever rounded into a
 * different one. Integral values within ±2^53 print without a fraction or
 * exponent ("5", not "5.0" or "5e+00"), as jq and Miller print them.
 * The output is locale-independent ('.' is always the decimal point).
 *
 * NaN and the infinities have no JSON form: they print as "null".
 */
#pragma once

#include <glib.h>

/* Appends v to out in the shortest round-trip form described above. */
void rill__append_double(GString *out, double v);

/* Writes v in the same form into buf (NUL-terminated) and returns its length;
 * RILL__DOUBLE_BUF is always large enough. */
#define RILL__DOUBLE_BUF 32
gsize rill__format_double(char buf[RILL__DOUBLE_BUF], double v);
