/* test-numbers.c — rill__append_double prints the shortest text that reads
 * back as the same double, integers without a fraction, and null for values
 * JSON cannot hold; checked against literal expectations and, for many
 * random doubles, by reading the text back with strtod. */
#include <glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/numbers.h"

static void check(double v, const char *want)
{
  GString *s = g_string_new(NULL);
  rill__append_double(s, v);
  g_assert_cmpstr(s->str, ==, want);
  g_string_free(s, TRUE);
}

static void test_literals(void)
{
  check(76.34, "76.34");
  check(0.1 + 0.2, "0.30000000000000004");
  check(0.1, "0.1");
  check(5, "5");
  check(-42, "-42");
  check(0, "0");
  check(-0.0, "-0");
  check(1e300, "1e+300");
  check(1.0000000000000001e+300 * 1.0000000000000002, "1.0000000000000002e+300");
  check(1e21, "1e+21");
  check(9007199254740992.0, "9007199254740992");
  check(1.5e-7, "1.5e-07");
  check(2.5, "2.5");
  check(NAN, "null");
  check(INFINITY, "null");
  check(-INFINITY, "null");
}

static void test_round_trip(void)
{
  GRand *r = g_rand_new_with_seed(20261206);
  GString *s = g_string_new(NULL);
  for (int i = 0; i < 200000; i++) {
    union { guint64 bits; double d; } u;
    u.bits = ((guint64)g_rand_int(r) << 32) | g_rand_int(r);
    if (!isfinite(u.d))
      continue;
    g_string_truncate(s, 0);
    rill__append_double(s, u.d);
    double back = g_ascii_strtod(s->str, NULL);
    if (memcmp(&back, &u.d, sizeof back) != 0 && !(back == 0 && u.d == 0))
      g_error("%.17g printed as %s reads back as %.17g", u.d, s->str, back);
    g_assert_cmpuint(s->len, <, RILL__DOUBLE_BUF);
  }
  g_string_free(s, TRUE);
  g_rand_free(r);
}

static void test_locale_independent(void)
{
  char buf[RILL__DOUBLE_BUF];
  g_assert_cmpuint(rill__format_double(buf, 3.25), ==, 4);
  g_assert_cmpstr(buf, ==, "3.25");
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/numbers/literals", test_literals);
  g_test_add_func("/numbers/round-trip", test_round_trip);
  g_test_add_func("/numbers/locale-independent", test_locale_independent);
  return g_test_run();
}
