/* json-scan.c — the JSON scanner of json-scan.h: a validating recursive
 * descent (depth-limited) and a non-validating, bounds-checked skipper for
 * lookups in text that validated before.
 *
 * Invariant: every loop compares against `end` before reading, so any
 * input, valid or not, is read only inside its bounds.
 */
#include "operators/json-scan.h"

#include <string.h>

static inline gboolean blank(char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* String bytes by what the scanners must do with them: 0 plain (most),
 * 1 the closing quote, 2 a backslash, 3 a control character (invalid),
 * 4 a byte of a multi-byte UTF-8 sequence (checked once per string). */
static const unsigned char str_class[256] = {
  [0x00 ... 0x1f] = 3, ['"'] = 1, ['\\'] = 2, [0x80 ... 0xff] = 4,
};

static inline const char *skip_blanks(const char *p, const char *end)
{
  while (p < end && blank(*p))
    p++;
  return p;
}

static const char *skip_string(const char *p, const char *end);
static rill__json_type type_of(char c);

/* ---- validation ---------------------------------------------------------- */

typedef struct {
  const char *start, *end;
  const char *err_at;
  const char *what;
  rill__json_pair *pairs; /* the root object's members, when indexing */
  guint max, n;
  gboolean all;
} vstate;

static gboolean fail(vstate *v, const char *at, const char *what)
{
  v->err_at = at;
  v->what = what;
  return FALSE;
}

static inline gboolean is_digit(char c)
{
  return c >= '0' && c <= '9';
}

static gboolean v_string(vstate *v, const char **pp)
{
  const char *p = *pp + 1; /* after the quote */
  const char *end = v->end;
  gboolean high = FALSE;
  const char *text = p;
  for (;;) {
    while (p < end && str_class[(unsigned char)*p] == 0)
      p++;
    if (p >= end)
      return fail(v, p, "unterminated string");
    switch (str_class[(unsigned char)*p]) {
    case 1:
      goto done;
    case 3:
      return fail(v, p, "control character in a string");
    case 4:
      high = TRUE;
      p++;
      continue;
    default:
      break;
    }
    /* A backslash. */
    if (p + 1 >= end)
      return fail(v, p, "unterminated string");
    char e = p[1];
    if (e == 'u') {
      if (end - p < 6 || !g_ascii_isxdigit(p[2]) || !g_ascii_isxdigit(p[3]) || !g_ascii_isxdigit(p[4]) ||
          !g_ascii_isxdigit(p[5]))
        return fail(v, p, "bad \\u escape");
      p += 6;
      continue;
    }
    if (e == '\0' || !strchr("\"\\/bfnrt", e))
      return fail(v, p, "bad escape");
    p += 2;
  }
done:
  if (high && !g_utf8_validate_len(text, (gsize)(p - text), NULL))
    return fail(v, text, "invalid UTF-8 in a string");
  *pp = p + 1;
  return TRUE;
}

static gboolean v_number(vstate *v, const char **pp)
{
  const char *p = *pp, *end = v->end;
  if (p < end && *p == '-')
    p++;
  if (p >= end || !is_digit(*p))
    return fail(v, p, "bad number");
  if (*p == '0')
    p++;
  else
    while (p < end && is_digit(*p))
      p++;
  if (p < end && *p == '.') {
    p++;
    if (p >= end || !is_digit(*p))
      return fail(v, p, "bad number");
    while (p < end && is_digit(*p))
      p++;
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    p++;
    if (p < end && (*p == '+' || *p == '-'))
      p++;
    if (p >= end || !is_digit(*p))
      return fail(v, p, "bad number");
    while (p < end && is_digit(*p))
      p++;
  }
  *pp = p;
  return TRUE;
}

static gboolean v_value(vstate *v, const char **pp, int depth);

static gboolean v_container(vstate *v, const char **pp, int depth, gboolean object)
{
  if (depth >= RILL__JSON_MAX_DEPTH)
    return fail(v, *pp, "nested too deep");
  char close = object ? '}' : ']';
  const char *p = skip_blanks(*pp + 1, v->end);
  if (p < v->end && *p == close) {
    *pp = p + 1;
    return TRUE;
  }
  for (;;) {
    const char *key = NULL;
    if (object) {
      p = skip_blanks(p, v->end);
      if (p >= v->end || *p != '"')
        return fail(v, p, "expected a member name");
      key = p;
      if (!v_string(v, &p))
        return FALSE;
      p = skip_blanks(p, v->end);
      if (p >= v->end || *p != ':')
        return fail(v, p, "expected ':'");
      p++;
    }
    if (!v_value(v, &p, depth + 1))
      return FALSE;
    if (key && depth == 0 && v->max) {
      if (v->n < v->max) {
        rill__json_pair *pair = &v->pairs[v->n++];
        const char *kend = skip_string(key, v->end);
        pair->key = (rill__json_span){RILL__JSON_STRING, key, (gsize)(kend - key)};
        const char *vstart = skip_blanks(skip_blanks(kend, v->end) + 1, v->end);
        pair->value = (rill__json_span){type_of(*vstart), vstart, (gsize)(p - vstart)};
      } else {
        v->all = FALSE;
      }
    }
    p = skip_blanks(p, v->end);
    if (p < v->end && *p == ',') {
      p++;
      continue;
    }
    if (p < v->end && *p == close) {
      *pp = p + 1;
      return TRUE;
    }
    return fail(v, p, object ? "expected ',' or '}'" : "expected ',' or ']'");
  }
}

static gboolean v_literal(vstate *v, const char **pp, const char *word, gsize n)
{
  if ((gsize)(v->end - *pp) < n || memcmp(*pp, word, n) != 0)
    return fail(v, *pp, "unexpected character");
  *pp += n;
  return TRUE;
}

static gboolean v_value(vstate *v, const char **pp, int depth)
{
  const char *p = skip_blanks(*pp, v->end);
  *pp = p;
  if (p >= v->end)
    return fail(v, p, "expected a value");
  switch (*p) {
  case '{': return v_container(v, pp, depth, TRUE);
  case '[': return v_container(v, pp, depth, FALSE);
  case '"': return v_string(v, pp);
  case 't': return v_literal(v, pp, "true", 4);
  case 'f': return v_literal(v, pp, "false", 5);
  case 'n': return v_literal(v, pp, "null", 4);
  default: return v_number(v, pp);
  }
}

gboolean rill__json_validate(const char *data, gsize len, gsize *error_at, const char **what)
{
  guint n;
  gboolean all;
  return rill__json_validate_index(data, len, NULL, 0, &n, &all, error_at, what);
}

gboolean rill__json_validate_index(const char *data, gsize len, rill__json_pair *pairs, guint max, guint *n_pairs,
                                   gboolean *all_pairs, gsize *error_at, const char **what)
{
  vstate v = {data, data + len, NULL, NULL, pairs, max, 0, TRUE};
  *n_pairs = 0;
  *all_pairs = FALSE;
  const char *p = data;
  if (skip_blanks(p, v.end) == v.end) {
    *error_at = len;
    *what = "empty value";
    return FALSE;
  }
  if (v_value(&v, &p, 0)) {
    p = skip_blanks(p, v.end);
    if (p == v.end) {
      *n_pairs = v.n;
      *all_pairs = v.all;
      return TRUE;
    }
    fail(&v, p, "text after the value");
  }
  *error_at = (gsize)(v.err_at - data);
  *what = v.what;
  return FALSE;
}

/* ---- skipping (no validation, bounds-checked) ------------------------------ */

static const char *skip_string(const char *p, const char *end)
{
  p++; /* the quote */
  while (p < end) {
    unsigned char k = str_class[(unsigned char)*p];
    if (k == 1)
      return p + 1;
    p += k == 2 ? 2 : 1;
  }
  return end;
}

/* The byte after the value at @p (not blank), or @end. */
static const char *skip_value(const char *p, const char *end)
{
  if (p >= end)
    return end;
  char c = *p;
  if (c == '"')
    return skip_string(p, end);
  if (c == '{' || c == '[') {
    int depth = 0;
    while (p < end) {
      char d = *p;
      if (d == '"') {
        p = skip_string(p, end);
        continue;
      }
      if (d == '{' || d == '[')
        depth++;
      else if ((d == '}' || d == ']') && --depth == 0)
        return p + 1;
      p++;
    }
    return end;
  }
  while (p < end && !blank(*p) && *p != ',' && *p != '}' && *p != ']' && *p != ':')
    p++;
  return p;
}

static rill__json_type type_of(char c)
{
  switch (c) {
  case '{': return RILL__JSON_OBJECT;
  case '[': return RILL__JSON_ARRAY;
  case '"': return RILL__JSON_STRING;
  case 't': return RILL__JSON_TRUE;
  case 'f': return RILL__JSON_FALSE;
  case 'n': return RILL__JSON_NULL;
  default: return (c == '-' || is_digit(c)) ? RILL__JSON_NUMBER : RILL__JSON_ABSENT;
  }
}

const char *rill__json_value(const char *p, const char *end, rill__json_span *out)
{
  p = skip_blanks(p, end);
  if (p >= end || (out->type = type_of(*p)) == RILL__JSON_ABSENT) {
    *out = (rill__json_span){RILL__JSON_ABSENT, NULL, 0};
    return NULL;
  }
  const char *q = skip_value(p, end);
  out->text = p;
  out->len = (gsize)(q - p);
  return q;
}

void rill__json_iter_init(rill__json_iter *it, const rill__json_span *c)
{
  if (c->type != RILL__JSON_OBJECT && c->type != RILL__JSON_ARRAY) {
    it->p = it->end = NULL;
    return;
  }
  it->p = c->text + 1;
  it->end = c->text + c->len - 1; /* the closing bracket */
}

gboolean rill__json_iter_element(rill__json_iter *it, rill__json_span *value)
{
  const char *p = skip_blanks(it->p, it->end);
  if (p < it->end && *p == ',')
    p = skip_blanks(p + 1, it->end);
  if (p >= it->end)
    return FALSE;
  const char *q = rill__json_value(p, it->end, value);
  if (!q)
    return FALSE;
  it->p = q;
  return TRUE;
}

gboolean rill__json_iter_member(rill__json_iter *it, rill__json_span *key, rill__json_span *value)
{
  const char *p = skip_blanks(it->p, it->end);
  if (p < it->end && *p == ',')
    p = skip_blanks(p + 1, it->end);
  if (p >= it->end || *p != '"')
    return FALSE;
  const char *q = skip_string(p, it->end);
  *key = (rill__json_span){RILL__JSON_STRING, p, (gsize)(q - p)};
  q = skip_blanks(q, it->end);
  if (q >= it->end || *q != ':')
    return FALSE;
  q = rill__json_value(q + 1, it->end, value);
  if (!q)
    return FALSE;
  it->p = q;
  return TRUE;
}

/* TRUE when the raw key span (quotes included) spells @key. */
static gboolean key_equals(const rill__json_span *k, const char *key, gsize key_len)
{
  if (k->len < 2)
    return FALSE;
  const char *t = k->text + 1;
  gsize n = k->len - 2;
  if (n == key_len && memcmp(t, key, n) == 0)
    return TRUE;
  if (!memchr(t, '\\', n))
    return FALSE;
  /* Escaped key: decode (rare) and compare. */
  rill__scratch *s = rill__scratch_new();
  gsize dn;
  const char *d = rill__json_string(k, s, FALSE, &dn);
  gboolean eq = dn == key_len && memcmp(d, key, dn) == 0;
  rill__scratch_free(s);
  return eq;
}

gboolean rill__json_member(const rill__json_span *obj, const char *key, gsize key_len, rill__json_span *out)
{
  if (obj->type == RILL__JSON_OBJECT) {
    rill__json_iter it;
    rill__json_span k;
    rill__json_iter_init(&it, obj);
    while (rill__json_iter_member(&it, &k, out))
      if (key_equals(&k, key, key_len))
        return TRUE;
  }
  *out = (rill__json_span){RILL__JSON_ABSENT, NULL, 0};
  return FALSE;
}

gboolean rill__json_element(const rill__json_span *arr, gsize index, rill__json_span *out)
{
  if (arr->type == RILL__JSON_ARRAY) {
    rill__json_iter it;
    rill__json_iter_init(&it, arr);
    for (gsize i = 0; rill__json_iter_element(&it, out); i++)
      if (i == index)
        return TRUE;
  }
  *out = (rill__json_span){RILL__JSON_ABSENT, NULL, 0};
  return FALSE;
}

/* ---- strings and output ---------------------------------------------------- */

static int hex4(const char *p)
{
  int v = 0;
  for (int i = 0; i < 4; i++)
    v = v * 16 + g_ascii_xdigit_value(p[i]);
  return v;
}

const char *rill__json_string(const rill__json_span *s, rill__scratch *scratch, gboolean nul, gsize *len)
{
  const char *t = s->text + 1;
  gsize n = s->len >= 2 ? s->len - 2 : 0;
  if (!memchr(t, '\\', n)) {
    *len = n;
    return nul ? rill__scratch_strndup(scratch, t, n) : t;
  }
  /* Decoded text is never longer than the escaped one (\uXXXX is 6 bytes,
   * at most 4 in UTF-8, and a surrogate pair 12 for 4). */
  char *out = rill__scratch_alloc(scratch, n + 1);
  gsize o = 0;
  const char *end = t + n;
  for (const char *p = t; p < end;) {
    if (*p != '\\' || p + 1 >= end) {
      out[o++] = *p++;
      continue;
    }
    char e = p[1];
    p += 2;
    switch (e) {
    case 'b': out[o++] = '\b'; break;
    case 'f': out[o++] = '\f'; break;
    case 'n': out[o++] = '\n'; break;
    case 'r': out[o++] = '\r'; break;
    case 't': out[o++] = '\t'; break;
    case 'u': {
      if (end - p < 4) {
        p = end;
        break;
      }
      gunichar c = (gunichar)hex4(p);
      p += 4;
      if (c >= 0xD800 && c < 0xDC00 && end - p >= 6 && p[0] == '\\' && p[1] == 'u') {
        gunichar lo = (gunichar)hex4(p + 2);
        if (lo >= 0xDC00 && lo < 0xE000) {
          c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
          p += 6;
        }
      }
      if (c >= 0xD800 && c < 0xE000)
        c = 0xFFFD; /* a lone surrogate has no UTF-8 form */
      o += (gsize)g_unichar_to_utf8(c, out + o);
      break;
    }
    default: out[o++] = e; break;
    }
  }
  out[o] = '\0';
  *len = o;
  return out;
}

void rill__json_append_compact(GString *out, const rill__json_span *v)
{
  const char *p = v->text, *end = v->text + v->len;
  if (v->type != RILL__JSON_OBJECT && v->type != RILL__JSON_ARRAY) {
    g_string_append_len(out, p, (gssize)v->len);
    return;
  }
  while (p < end) {
    const char *run = p;
    while (p < end && !blank(*p) && *p != '"')
      p++;
    if (p < end && *p == '"')
      p = skip_string(p, end);
    g_string_append_len(out, run, p - run);
    while (p < end && blank(*p))
      p++;
  }
}
