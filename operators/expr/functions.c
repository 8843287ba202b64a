/* functions.c — the expression functions: the one table (name, argument
 * counts, signature, doc line) that the parser checks calls against,
 * docs/expressions.md lists and tests/expr covers (a test fails when the
 * three differ), and the string, regex and conversion functions. Time
 * functions are in time.c.
 *
 * Null rule: a function given null, or a value of a type it does not take,
 * returns null (coalesce excepted). Strings are UTF-8; a regex subject that
 * is not valid UTF-8 is not handed to PCRE: the result is null.
 * Results are written into the scratch arena or point into an argument.
 */
#define _GNU_SOURCE /* memmem, strptime_l, timegm */
#include "operators/expr/expr-private.h"

#include <math.h>
#include <string.h>

#define FN(name)                                                                                              \
  static void fn_##name(rill__expr_ctx *c, const rill__expr_node *call, const rill_expr_value *a, guint n,    \
                        rill_expr_value *out)

static gboolean is_str(const rill_expr_value *v)
{
  return v->type == RILL_EXPR_STRING;
}

static char *arena_copy(rill__expr_ctx *c, const char *s, gsize len)
{
  return rill__scratch_strndup(c->arena, s, len);
}

static void out_gstring(rill__expr_ctx *c, GString *s, rill_expr_type type, rill_expr_value *out)
{
  *out = (rill_expr_value){type, FALSE, 0, arena_copy(c, s->str, s->len), s->len};
  g_string_free(s, TRUE);
}

/* ---- case and blanks -------------------------------------------------------------- */

static gboolean ascii_only(const char *s, gsize len)
{
  for (gsize i = 0; i < len; i++)
    if ((unsigned char)s[i] >= 0x80)
      return FALSE;
  return TRUE;
}

static void change_case(rill__expr_ctx *c, const rill_expr_value *v, gboolean up, rill_expr_value *out)
{
  if (!is_str(v)) {
    rill__expr_null(out);
    return;
  }
  if (!ascii_only(v->text, v->len) && g_utf8_validate_len(v->text, v->len, NULL)) {
    char *t = up ? g_utf8_strup(v->text, (gssize)v->len) : g_utf8_strdown(v->text, (gssize)v->len);
    gsize len = strlen(t);
    rill__expr_string(out, arena_copy(c, t, len), len);
    g_free(t);
    return;
  }
  char *t = rill__scratch_alloc(c->arena, v->len + 1);
  for (gsize i = 0; i < v->len; i++)
    t[i] = up ? g_ascii_toupper(v->text[i]) : g_ascii_tolower(v->text[i]);
  t[v->len] = '\0';
  rill__expr_string(out, t, v->len);
}

FN(lower)
{
  change_case(c, &a[0], FALSE, out);
}

FN(upper)
{
  change_case(c, &a[0], TRUE, out);
}

FN(trim)
{
  if (!is_str(&a[0])) {
    rill__expr_null(out);
    return;
  }
  const char *s = a[0].text;
  gsize len = a[0].len;
  while (len && g_ascii_isspace(*s))
    s++, len--;
  while (len && g_ascii_isspace(s[len - 1]))
    len--;
  rill__expr_string(out, s, len);
}

/* ---- substrings ------------------------------------------------------------------- */

FN(contains)
{
  if (!is_str(&a[0]) || !is_str(&a[1]))
    rill__expr_null(out);
  else
    rill__expr_bool(out, a[1].len == 0 || memmem(a[0].text, a[0].len, a[1].text, a[1].len) != NULL);
}

FN(starts_with)
{
  if (!is_str(&a[0]) || !is_str(&a[1]))
    rill__expr_null(out);
  else
    rill__expr_bool(out, a[1].len <= a[0].len && memcmp(a[0].text, a[1].text, a[1].len) == 0);
}

FN(ends_with)
{
  if (!is_str(&a[0]) || !is_str(&a[1]))
    rill__expr_null(out);
  else
    rill__expr_bool(out, a[1].len <= a[0].len &&
                           memcmp(a[0].text + a[0].len - a[1].len, a[1].text, a[1].len) == 0);
}

FN(replace)
{
  if (!is_str(&a[0]) || !is_str(&a[1]) || !is_str(&a[2])) {
    rill__expr_null(out);
    return;
  }
  if (a[1].len == 0) {
    *out = a[0];
    return;
  }
  GString *s = g_string_sized_new(a[0].len);
  const char *p = a[0].text, *end = a[0].text + a[0].len;
  for (;;) {
    const char *hit = memmem(p, (gsize)(end - p), a[1].text, a[1].len);
    if (!hit)
      break;
    g_string_append_len(s, p, hit - p);
    g_string_append_len(s, a[2].text, (gssize)a[2].len);
    p = hit + a[1].len;
  }
  g_string_append_len(s, p, end - p);
  out_gstring(c, s, RILL_EXPR_STRING, out);
}

/* Character offsets to bytes (bytes when the text is not valid UTF-8). */
static gsize char_count(const char *s, gsize len, gboolean *utf8)
{
  *utf8 = g_utf8_validate_len(s, len, NULL);
  return *utf8 ? (gsize)g_utf8_strlen(s, (gssize)len) : len;
}

static const char *char_at(const char *s, gsize i, gboolean utf8)
{
  return utf8 ? g_utf8_offset_to_pointer(s, (glong)i) : s + i;
}

FN(substring)
{
  if (!is_str(&a[0]) || a[1].type != RILL_EXPR_NUMBER || (n > 2 && a[2].type != RILL_EXPR_NUMBER)) {
    rill__expr_null(out);
    return;
  }
  gboolean utf8;
  gsize total = char_count(a[0].text, a[0].len, &utf8);
  double start = floor(a[1].number);
  if (start < 0)
    start = MAX(0, (double)total + start);
  start = MIN(start, (double)total);
  double count = n > 2 ? MAX(0, floor(a[2].number)) : (double)total;
  double stop = MIN((double)total, start + count);
  const char *from = char_at(a[0].text, (gsize)start, utf8);
  const char *to = char_at(a[0].text, (gsize)stop, utf8);
  rill__expr_string(out, from, (gsize)(to - from));
}

FN(length)
{
  gboolean utf8;
  switch (a[0].type) {
  case RILL_EXPR_STRING: rill__expr_number(out, (double)char_count(a[0].text, a[0].len, &utf8)); return;
  case RILL_EXPR_ARRAY:
  case RILL_EXPR_OBJECT: {
    rill__json_span span = rill__expr_span(&a[0]), k, v;
    rill__json_iter it;
    rill__json_iter_init(&it, &span);
    double count = 0;
    if (span.type == RILL__JSON_ARRAY)
      while (rill__json_iter_element(&it, &v))
        count++;
    else
      while (rill__json_iter_member(&it, &k, &v))
        count++;
    rill__expr_number(out, count);
    return;
  }
  default: rill__expr_null(out); return;
  }
}

/* ---- arrays ------------------------------------------------------------------------- */

FN(split)
{
  if (!is_str(&a[0]) || !is_str(&a[1])) {
    rill__expr_null(out);
    return;
  }
  GString *s = g_string_new("[");
  const char *p = a[0].text, *end = a[0].text + a[0].len;
  gboolean first = TRUE;
  if (a[1].len == 0) { /* into characters */
    gboolean utf8 = g_utf8_validate_len(p, a[0].len, NULL);
    while (p < end) {
      const char *next = utf8 ? g_utf8_next_char(p) : p + 1;
      if (!first)
        g_string_append_c(s, ',');
      first = FALSE;
      rill_json_append_string(s, p, next - p);
      p = next;
    }
  } else {
    for (;;) {
      const char *hit = memmem(p, (gsize)(end - p), a[1].text, a[1].len);
      if (!first)
        g_string_append_c(s, ',');
      first = FALSE;
      rill_json_append_string(s, p, (hit ? hit : end) - p);
      if (!hit)
        break;
      p = hit + a[1].len;
    }
  }
  g_string_append_c(s, ']');
  out_gstring(c, s, RILL_EXPR_ARRAY, out);
}

FN(join)
{
  if (a[0].type != RILL_EXPR_ARRAY || !is_str(&a[1])) {
    rill__expr_null(out);
    return;
  }
  rill__json_span arr = rill__expr_span(&a[0]), e;
  rill__json_iter it;
  rill__json_iter_init(&it, &arr);
  GString *s = g_string_new(NULL);
  gboolean first = TRUE;
  while (rill__json_iter_element(&it, &e)) {
    if (!first)
      g_string_append_len(s, a[1].text, (gssize)a[1].len);
    first = FALSE;
    rill_expr_value v;
    rill__expr_from_span(&e, c->arena, &v);
    rill_expr_value_append_text(&v, s);
  }
  out_gstring(c, s, RILL_EXPR_STRING, out);
}

/* ---- regex ---------------------------------------------------------------------------- */

/* Runs the call's regex on @v; NULL when @v is not a valid UTF-8 string or
 * does not match. (transfer full) */
static GMatchInfo *run_regex(const rill__expr_node *call, const rill_expr_value *v)
{
  if (!is_str(v) || !g_utf8_validate_len(v->text, v->len, NULL))
    return NULL;
  GMatchInfo *mi = NULL;
  if (!g_regex_match_full(call->regex, v->text, (gssize)v->len, 0, 0, &mi, NULL)) {
    g_match_info_free(mi);
    return NULL;
  }
  return mi;
}

FN(match)
{
  if (!is_str(&a[0]) || !g_utf8_validate_len(a[0].text, a[0].len, NULL)) {
    rill__expr_null(out);
    return;
  }
  rill__expr_bool(out, g_regex_match_full(call->regex, a[0].text, (gssize)a[0].len, 0, 0, NULL, NULL));
}

/* Group @i of the match as a value (null when it did not take part). */
static void group_value(const rill_expr_value *subject, GMatchInfo *mi, int i, rill_expr_value *out)
{
  int start, end;
  if (!g_match_info_fetch_pos(mi, i, &start, &end) || start < 0)
    rill__expr_null(out);
  else
    rill__expr_string(out, subject->text + start, (gsize)(end - start));
}

FN(capture)
{
  GMatchInfo *mi = run_regex(call, &a[0]);
  if (!mi) {
    rill__expr_null(out);
    return;
  }
  if (n == 3) {
    int i = -1;
    if (a[2].type == RILL_EXPR_NUMBER && a[2].number >= 0 && a[2].number < 1000)
      i = (int)a[2].number;
    else if (is_str(&a[2])) {
      char *name = g_strndup(a[2].text, a[2].len);
      i = g_regex_get_string_number(call->regex, name);
      g_free(name);
    }
    if (i < 0 || i > g_regex_get_capture_count(call->regex))
      rill__expr_null(out);
    else
      group_value(&a[0], mi, i, out);
    g_match_info_free(mi);
    return;
  }
  GString *s = g_string_new("{");
  if (call->group_names[0]) {
    for (guint k = 0; call->group_names[k]; k++) {
      rill_expr_value g;
      group_value(&a[0], mi, g_regex_get_string_number(call->regex, call->group_names[k]), &g);
      if (k)
        g_string_append_c(s, ',');
      rill_json_append_string(s, call->group_names[k], -1);
      g_string_append_c(s, ':');
      rill_expr_value_append_json(&g, s);
    }
  } else {
    for (int k = 1; k <= g_regex_get_capture_count(call->regex); k++) {
      rill_expr_value g;
      group_value(&a[0], mi, k, &g);
      g_string_append_printf(s, "%s\"%d\":", k > 1 ? "," : "", k);
      rill_expr_value_append_json(&g, s);
    }
  }
  g_string_append_c(s, '}');
  g_match_info_free(mi);
  out_gstring(c, s, RILL_EXPR_OBJECT, out);
}

/* ---- conversions ------------------------------------------------------------------------ */

FN(to_number)
{
  double d;
  if (a[0].type == RILL_EXPR_NUMBER)
    *out = a[0];
  else if (a[0].type == RILL_EXPR_BOOL)
    rill__expr_number(out, a[0].boolean ? 1 : 0);
  else if (is_str(&a[0]) && rill__expr_parse_number(a[0].text, a[0].len, &d))
    rill__expr_number(out, d);
  else
    rill__expr_null(out);
}

FN(to_string)
{
  if (a[0].type == RILL_EXPR_NULL || is_str(&a[0])) {
    *out = a[0];
    return;
  }
  GString *s = g_string_new(NULL);
  rill_expr_value_append_json(&a[0], s);
  out_gstring(c, s, RILL_EXPR_STRING, out);
}

static gboolean word_is(const rill_expr_value *v, const char *w)
{
  gsize n = strlen(w);
  return v->len == n && g_ascii_strncasecmp(v->text, w, n) == 0;
}

FN(to_bool)
{
  if (a[0].type == RILL_EXPR_BOOL)
    *out = a[0];
  else if (a[0].type == RILL_EXPR_NUMBER)
    rill__expr_bool(out, a[0].number != 0);
  else if (is_str(&a[0]) && (word_is(&a[0], "true") || word_is(&a[0], "yes") || word_is(&a[0], "1")))
    rill__expr_bool(out, TRUE);
  else if (is_str(&a[0]) && (word_is(&a[0], "false") || word_is(&a[0], "no") || word_is(&a[0], "0")))
    rill__expr_bool(out, FALSE);
  else
    rill__expr_null(out);
}

FN(coalesce)
{
  for (guint i = 0; i < n; i++)
    if (a[i].type != RILL_EXPR_NULL) {
      *out = a[i];
      return;
    }
  rill__expr_null(out);
}

/* ---- the table -------------------------------------------------------------------------- */

#define ENTRY(name, min, max, re, sig, doc) {#name, min, max, re, fn_##name, sig, doc}
#define fn_parse_time rill__expr_fn_parse_time
#define fn_format_time rill__expr_fn_format_time

/* Sorted by name (bsearch). */
static const rill__expr_function functions[] = {
  ENTRY(capture, 2, 3, 2, "capture(s, regex[, group])",
        "the named groups of the first match as an object (groups 1, 2... as \"1\", \"2\"... when none is named), or group `group` (name or number) as a string; null when it does not match"),
  ENTRY(coalesce, 1, 8, 0, "coalesce(a, b, ...)", "the first argument that is not null (the one function that takes null)"),
  ENTRY(contains, 2, 2, 0, "contains(s, sub)", "true when `sub` occurs in `s`"),
  ENTRY(ends_with, 2, 2, 0, "ends_with(s, suffix)", "true when `s` ends with `suffix`"),
  ENTRY(format_time, 1, 2, 0, "format_time(ms[, format])",
        "milliseconds since the epoch as text in UTC: ISO 8601 (`2023-11-14T22:13:20Z`, `.123` when there are milliseconds) by default or with \"iso8601\", else a strftime format"),
  ENTRY(join, 2, 2, 0, "join(array, sep)", "the elements as text joined by `sep` (null elements as empty text)"),
  ENTRY(length, 1, 1, 0, "length(x)", "characters of a string (bytes when it is not UTF-8), elements of an array, members of an object"),
  ENTRY(lower, 1, 1, 0, "lower(s)", "`s` in lower case (Unicode)"),
  ENTRY(match, 2, 2, 2, "match(s, regex)", "true when the regex (PCRE, unanchored, a string literal) matches `s`"),
  ENTRY(parse_time, 1, 2, 0, "parse_time(s[, format])",
        "text to milliseconds since the epoch: ISO 8601 by default or with \"iso8601\" (no zone = UTC), else a strptime format (%z for zones, else UTC); null when it does not parse"),
  ENTRY(replace, 3, 3, 0, "replace(s, from, to)", "every occurrence of the text `from` replaced by `to`"),
  ENTRY(split, 2, 2, 0, "split(s, sep)", "the parts of `s` between occurrences of `sep`, as an array (`sep` \"\": the characters)"),
  ENTRY(starts_with, 2, 2, 0, "starts_with(s, prefix)", "true when `s` starts with `prefix`"),
  ENTRY(substring, 2, 3, 0, "substring(s, start[, count])",
        "`count` characters (default: the rest) from character `start` (0-based; negative counts from the end)"),
  ENTRY(to_bool, 1, 1, 0, "to_bool(x)", "booleans as they are; numbers: not 0; strings true/false, yes/no, 1/0 (any case); else null"),
  ENTRY(to_number, 1, 1, 0, "to_number(x)", "numbers as they are; a string holding a whole number; true/false as 1/0; else null"),
  ENTRY(to_string, 1, 1, 0, "to_string(x)", "strings as they are; numbers, booleans, arrays and objects as their JSON text"),
  ENTRY(trim, 1, 1, 0, "trim(s)", "`s` without blanks at either end"),
  ENTRY(upper, 1, 1, 0, "upper(s)", "`s` in upper case (Unicode)"),
};

const rill__expr_function *rill__expr_functions(guint *n)
{
  *n = G_N_ELEMENTS(functions);
  return functions;
}

const rill__expr_function *rill__expr_function_find(const char *name, gsize len)
{
  guint lo = 0, hi = G_N_ELEMENTS(functions);
  while (lo < hi) {
    guint mid = lo + (hi - lo) / 2;
    int c = strncmp(name, functions[mid].name, len);
    if (c == 0)
      c = functions[mid].name[len] ? -1 : 0;
    if (c == 0)
      return &functions[mid];
    if (c < 0)
      hi = mid;
    else
      lo = mid + 1;
  }
  return NULL;
}
