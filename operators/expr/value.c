/* value.c — what values mean: number parsing, comparison and equality
 * (the null rules of docs/expressions.md), truthiness, and how a value is
 * written as JSON or text.
 *
 * Invariant: ordering is total within a type (numbers numerically, strings
 * by bytes, false < true) and a string that is a whole number compares with
 * a number as that number; every other mix, and null, is unordered, so
 * <, <=, > and >= are false there and == is false unless both are null.
 */
#include "operators/expr/expr-private.h"
#include "runtime/numbers.h"

#include <math.h>
#include <string.h>

gboolean rill__expr_parse_number(const char *s, gsize len, double *out)
{
  while (len && g_ascii_isspace(*s))
    s++, len--;
  while (len && g_ascii_isspace(s[len - 1]))
    len--;
  if (len == 0 || len > 64)
    return FALSE;
  /* Integers without sign up to 15 digits: no strtod. */
  if (len <= 15) {
    double v = 0;
    gsize i = 0;
    while (i < len && s[i] >= '0' && s[i] <= '9')
      v = v * 10 + (s[i++] - '0');
    if (i == len) {
      *out = v;
      return TRUE;
    }
  }
  char buf[72];
  for (gsize i = 0; i < len; i++) {
    if (!strchr("0123456789+-.eE", s[i]) || s[i] == '\0')
      return FALSE;
    buf[i] = s[i];
  }
  buf[len] = '\0';
  char *end;
  double v = g_ascii_strtod(buf, &end);
  if (end != buf + len || !isfinite(v))
    return FALSE;
  *out = v;
  return TRUE;
}

static int cmp_double(double a, double b)
{
  return a < b ? -1 : a > b ? 1 : 0;
}

/* Compact JSON of a container (for equality of arrays and objects). */
static GString *compact(const rill_expr_value *v)
{
  GString *s = g_string_sized_new(v->len);
  rill__json_span span = rill__expr_span(v);
  rill__json_append_compact(s, &span);
  return s;
}

gboolean rill__expr_compare(const rill_expr_value *a, const rill_expr_value *b, int *cmp)
{
  double x, y;
  if (a->type == RILL_EXPR_NUMBER && b->type == RILL_EXPR_NUMBER) {
    if (isnan(a->number) || isnan(b->number))
      return FALSE;
    *cmp = cmp_double(a->number, b->number);
    return TRUE;
  }
  if (a->type == RILL_EXPR_STRING && b->type == RILL_EXPR_STRING) {
    gsize n = MIN(a->len, b->len);
    int c = n ? memcmp(a->text, b->text, n) : 0;
    *cmp = c ? c : (a->len < b->len ? -1 : a->len > b->len ? 1 : 0);
    return TRUE;
  }
  if (a->type == RILL_EXPR_NUMBER && b->type == RILL_EXPR_STRING) {
    if (!rill__expr_parse_number(b->text, b->len, &y))
      return FALSE;
    *cmp = cmp_double(a->number, y);
    return TRUE;
  }
  if (a->type == RILL_EXPR_STRING && b->type == RILL_EXPR_NUMBER) {
    if (!rill__expr_parse_number(a->text, a->len, &x))
      return FALSE;
    *cmp = cmp_double(x, b->number);
    return TRUE;
  }
  if (a->type == RILL_EXPR_BOOL && b->type == RILL_EXPR_BOOL) {
    *cmp = (int)a->boolean - (int)b->boolean;
    return TRUE;
  }
  return FALSE;
}

gboolean rill__expr_equal(const rill_expr_value *a, const rill_expr_value *b)
{
  if (a->type == RILL_EXPR_NULL || b->type == RILL_EXPR_NULL)
    return a->type == b->type;
  if ((a->type == RILL_EXPR_ARRAY || a->type == RILL_EXPR_OBJECT) && a->type == b->type) {
    GString *x = compact(a), *y = compact(b);
    gboolean eq = g_string_equal(x, y);
    g_string_free(x, TRUE);
    g_string_free(y, TRUE);
    return eq;
  }
  int c;
  return rill__expr_compare(a, b, &c) && c == 0;
}

gboolean rill_expr_value_truthy(const rill_expr_value *v)
{
  g_return_val_if_fail(v != NULL, FALSE);
  return !(v->type == RILL_EXPR_NULL || (v->type == RILL_EXPR_BOOL && !v->boolean));
}

void rill_expr_value_append_json(const rill_expr_value *v, GString *out)
{
  g_return_if_fail(v != NULL && out != NULL);
  switch (v->type) {
  case RILL_EXPR_NULL: g_string_append(out, "null"); break;
  case RILL_EXPR_BOOL: g_string_append(out, v->boolean ? "true" : "false"); break;
  case RILL_EXPR_NUMBER:
    if (v->text)
      g_string_append_len(out, v->text, (gssize)v->len);
    else
      rill__append_double(out, v->number);
    break;
  case RILL_EXPR_STRING: rill_json_append_string(out, v->text, (gssize)v->len); break;
  case RILL_EXPR_ARRAY:
  case RILL_EXPR_OBJECT: {
    rill__json_span span = rill__expr_span(v);
    rill__json_append_compact(out, &span);
    break;
  }
  }
}

void rill_expr_value_append_text(const rill_expr_value *v, GString *out)
{
  g_return_if_fail(v != NULL && out != NULL);
  if (v->type == RILL_EXPR_STRING)
    g_string_append_len(out, v->text, (gssize)v->len);
  else if (v->type != RILL_EXPR_NULL)
    rill_expr_value_append_json(v, out);
}
