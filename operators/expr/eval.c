/* eval.c — compiling (the public entry points) and evaluating a tree
 * against one record.
 *
 * JSON records are never turned into values wholesale: a path walks the
 * record's bytes (json-scan) to the one value it names, and that value
 * becomes a rill_expr_value pointing into the record (strings without
 * escapes, numbers' text, containers' JSON). Only escaped strings and
 * function results are written, into the task's scratch arena.
 *
 * Invariants: evaluation has no failure path (wrong types give null, see
 * value.c) and recurses at most as deep as the tree, which the parser
 * bounds.
 */
#include "operators/expr/expr-private.h"

#include <math.h>
#include <string.h>

struct rill_expr_scratch {
  rill__scratch *arena;
};

/* ---- compiling ------------------------------------------------------------- */

rill_expr *rill_expr_compile(const char *text, GError **error)
{
  g_return_val_if_fail(text != NULL, NULL);
  rill__expr_node *root = rill__expr_parse(text, error);
  if (!root)
    return NULL;
  rill_expr *e = g_new0(rill_expr, 1);
  e->text = g_strdup(text);
  e->root = root;
  return e;
}

void rill_expr_free(rill_expr *expr)
{
  if (!expr)
    return;
  rill__expr_node_free(expr->root);
  g_free(expr->text);
  g_free(expr);
}

const char *rill_expr_text(const rill_expr *expr)
{
  g_return_val_if_fail(expr != NULL, NULL);
  return expr->text;
}

rill_expr_scratch *rill_expr_scratch_new(void)
{
  rill_expr_scratch *s = g_new0(rill_expr_scratch, 1);
  s->arena = rill__scratch_new();
  return s;
}

void rill_expr_scratch_free(rill_expr_scratch *scratch)
{
  if (!scratch)
    return;
  rill__scratch_free(scratch->arena);
  g_free(scratch);
}

void rill_expr_scratch_reset(rill_expr_scratch *scratch)
{
  g_return_if_fail(scratch != NULL);
  rill__scratch_reset(scratch->arena);
}

/* ---- values from the record ---------------------------------------------------- */

static double span_number(const rill__json_span *s)
{
  const char *p = s->text;
  gsize n = s->len, i = 0;
  gboolean neg = n && *p == '-';
  if (neg)
    i++;
  if (n - i <= 15) {
    double v = 0;
    gsize j = i;
    while (j < n && p[j] >= '0' && p[j] <= '9')
      v = v * 10 + (p[j++] - '0');
    if (j == n && j > i)
      return neg ? -v : v;
  }
  /* The span lies in a NUL-terminated copy and is followed by a byte that
   * ends a number, so strtod stops at its end. */
  return g_ascii_strtod(p, NULL);
}

void rill__expr_from_span(const rill__json_span *s, rill__scratch *arena, rill_expr_value *out)
{
  switch (s->type) {
  case RILL__JSON_ABSENT:
  case RILL__JSON_NULL: rill__expr_null(out); return;
  case RILL__JSON_TRUE: rill__expr_bool(out, TRUE); return;
  case RILL__JSON_FALSE: rill__expr_bool(out, FALSE); return;
  case RILL__JSON_NUMBER:
    rill__expr_number(out, span_number(s));
    out->text = s->text;
    out->len = s->len;
    return;
  case RILL__JSON_STRING: {
    gsize len;
    const char *t = rill__json_string(s, arena, FALSE, &len);
    rill__expr_string(out, t, len);
    return;
  }
  case RILL__JSON_ARRAY:
  case RILL__JSON_OBJECT:
    *out = (rill_expr_value){s->type == RILL__JSON_ARRAY ? RILL_EXPR_ARRAY : RILL_EXPR_OBJECT, FALSE, 0, s->text,
                             s->len};
    return;
  }
}

rill__json_span rill__expr_span(const rill_expr_value *v)
{
  rill__json_type t = v->type == RILL_EXPR_ARRAY ? RILL__JSON_ARRAY
                      : v->type == RILL_EXPR_OBJECT ? RILL__JSON_OBJECT
                                                    : RILL__JSON_ABSENT;
  return (rill__json_span){t, v->text, v->len};
}

/* One path step on a container span. */
static void step(const rill__json_span *in, const rill__expr_seg *seg, rill__json_span *out)
{
  if (in->type == RILL__JSON_OBJECT && !seg->bracket)
    rill__json_member(in, seg->name, seg->len, out);
  else if (in->type == RILL__JSON_ARRAY && seg->index >= 0)
    rill__json_element(in, (gsize)seg->index, out);
  else
    *out = (rill__json_span){RILL__JSON_ABSENT, NULL, 0};
}

static void eval_field(const rill__expr_node *n, rill__expr_ctx *c, rill_expr_value *out)
{
  if (c->fields) { /* CSV: one level of column names */
    if (n->n_segs == 0) {
      GString *s = g_string_new(NULL);
      rill_fields_write(c->fields, RILL_FIELDS_JSON, s);
      *out = (rill_expr_value){RILL_EXPR_OBJECT, FALSE, 0, rill__scratch_gstring(c->arena, s), s->len};
      g_string_free(s, TRUE);
      return;
    }
    rill__json_span v;
    if (n->n_segs != 1 || n->segs[0].bracket || !rill__fields_csv_value(c->fields, n->segs[0].name, &v))
      rill__expr_null(out);
    else if (v.type == RILL__JSON_STRING)
      rill__expr_string(out, v.text, v.len); /* raw bytes, not JSON-quoted */
    else
      rill__expr_from_span(&v, c->arena, out);
    return;
  }
  rill__json_span v = c->root;
  guint i = 0;
  if (c->json && n->n_segs && !n->segs[0].bracket && v.type == RILL__JSON_OBJECT) {
    rill__fields_json_member(c->json, n->segs[0].name, n->segs[0].len, &v);
    i = 1;
  }
  for (; i < n->n_segs && v.type != RILL__JSON_ABSENT; i++) {
    rill__json_span next;
    step(&v, &n->segs[i], &next);
    v = next;
  }
  rill__expr_from_span(&v, c->arena, out);
}

/* ---- operators ----------------------------------------------------------------- */

/* A number, or a string that is a whole number; FALSE otherwise. */
static gboolean as_number(const rill_expr_value *v, double *d)
{
  if (v->type == RILL_EXPR_NUMBER) {
    *d = v->number;
    return TRUE;
  }
  return v->type == RILL_EXPR_STRING && rill__expr_parse_number(v->text, v->len, d);
}

static void eval_binary(const rill__expr_node *n, rill__expr_ctx *c, rill_expr_value *out)
{
  rill_expr_value a, b;
  rill__expr_eval(n->kids[0], c, &a);
  rill__expr_eval(n->kids[1], c, &b);
  int cmp;
  double x, y;
  switch (n->op) {
  case TOK_EQ: rill__expr_bool(out, rill__expr_equal(&a, &b)); return;
  case TOK_NE: rill__expr_bool(out, !rill__expr_equal(&a, &b)); return;
  case TOK_LT: rill__expr_bool(out, rill__expr_compare(&a, &b, &cmp) && cmp < 0); return;
  case TOK_LE: rill__expr_bool(out, rill__expr_compare(&a, &b, &cmp) && cmp <= 0); return;
  case TOK_GT: rill__expr_bool(out, rill__expr_compare(&a, &b, &cmp) && cmp > 0); return;
  case TOK_GE: rill__expr_bool(out, rill__expr_compare(&a, &b, &cmp) && cmp >= 0); return;
  default: break;
  }
  if (n->op == TOK_PLUS && a.type == RILL_EXPR_STRING && b.type == RILL_EXPR_STRING) {
    char *s = rill__scratch_alloc(c->arena, a.len + b.len + 1);
    memcpy(s, a.text, a.len);
    memcpy(s + a.len, b.text, b.len);
    rill__expr_string(out, s, a.len + b.len);
    return;
  }
  if (!as_number(&a, &x) || !as_number(&b, &y)) {
    rill__expr_null(out);
    return;
  }
  double r;
  switch (n->op) {
  case TOK_PLUS: r = x + y; break;
  case TOK_MINUS: r = x - y; break;
  case TOK_STAR: r = x * y; break;
  case TOK_SLASH: r = y == 0 ? NAN : x / y; break;
  default: r = y == 0 ? NAN : fmod(x, y); break;
  }
  if (isfinite(r))
    rill__expr_number(out, r);
  else
    rill__expr_null(out);
}

static void eval_call(const rill__expr_node *n, rill__expr_ctx *c, rill_expr_value *out)
{
  rill_expr_value args[8];
  g_assert(n->n_kids <= G_N_ELEMENTS(args));
  for (guint i = 0; i < n->n_kids; i++)
    rill__expr_eval(n->kids[i], c, &args[i]);
  n->fn->fn(c, n, args, n->n_kids, out);
}

void rill__expr_eval(const rill__expr_node *n, rill__expr_ctx *c, rill_expr_value *out)
{
  rill_expr_value v;
  switch (n->kind) {
  case N_LITERAL: *out = n->literal; return;
  case N_FIELD: eval_field(n, c, out); return;
  case N_MEMBER:
  case N_INDEX: {
    rill__expr_eval(n->kids[0], c, &v);
    rill__json_span in = rill__expr_span(&v), res = {RILL__JSON_ABSENT, NULL, 0};
    if (n->kind == N_MEMBER) {
      step(&in, &n->segs[0], &res);
    } else {
      rill_expr_value i;
      rill__expr_eval(n->kids[1], c, &i);
      if (in.type == RILL__JSON_ARRAY && i.type == RILL_EXPR_NUMBER && i.number >= 0 && i.number < 1e15 &&
          i.number == floor(i.number))
        rill__json_element(&in, (gsize)i.number, &res);
      else if (in.type == RILL__JSON_OBJECT && i.type == RILL_EXPR_STRING)
        rill__json_member(&in, i.text, i.len, &res);
    }
    rill__expr_from_span(&res, c->arena, out);
    return;
  }
  case N_NEG:
    rill__expr_eval(n->kids[0], c, &v);
    if (v.type == RILL_EXPR_NUMBER || (v.type == RILL_EXPR_STRING && rill__expr_parse_number(v.text, v.len, &v.number)))
      rill__expr_number(out, -v.number);
    else
      rill__expr_null(out);
    return;
  case N_NOT:
    rill__expr_eval(n->kids[0], c, &v);
    rill__expr_bool(out, !rill_expr_value_truthy(&v));
    return;
  case N_AND:
  case N_OR:
    rill__expr_eval(n->kids[0], c, &v);
    if (rill_expr_value_truthy(&v) == (n->kind == N_OR)) {
      rill__expr_bool(out, n->kind == N_OR);
      return;
    }
    rill__expr_eval(n->kids[1], c, &v);
    rill__expr_bool(out, rill_expr_value_truthy(&v));
    return;
  case N_BINARY: eval_binary(n, c, out); return;
  case N_IF:
    rill__expr_eval(n->kids[0], c, &v);
    rill__expr_eval(n->kids[rill_expr_value_truthy(&v) ? 1 : 2], c, out);
    return;
  case N_CALL: eval_call(n, c, out); return;
  }
}

/* ---- entry points ------------------------------------------------------------ */

void rill_expr_eval(const rill_expr *expr, rill_fields *record, rill_expr_scratch *scratch, rill_expr_value *out)
{
  g_return_if_fail(expr != NULL && record != NULL && scratch != NULL && out != NULL);
  rill__expr_ctx c = {NULL, {RILL__JSON_ABSENT, NULL, 0}, NULL, scratch->arena};
  if (rill__fields_format(record) == RILL_FIELDS_CSV) {
    c.fields = record;
  } else {
    c.root = *rill__fields_json_root(record);
    c.json = record;
  }
  rill__expr_eval(expr->root, &c, out);
}

gboolean rill_expr_eval_json(const rill_expr *expr, const char *json, gsize len, rill_expr_scratch *scratch,
                             rill_expr_value *out, GError **error)
{
  g_return_val_if_fail(expr != NULL && (json != NULL || len == 0) && scratch != NULL && out != NULL, FALSE);
  gsize at;
  const char *what;
  if (!rill__json_validate(json ? json : "", len, &at, &what)) {
    g_set_error(error, RILL_FIELDS_ERROR, RILL_FIELDS_ERROR_PARSE, "malformed JSON: %s at byte %" G_GSIZE_FORMAT,
                what, at);
    rill__expr_null(out);
    return FALSE;
  }
  const char *copy = rill__scratch_strndup(scratch->arena, json, len);
  rill__expr_ctx c = {NULL, {RILL__JSON_ABSENT, NULL, 0}, NULL, scratch->arena};
  rill__json_value(copy, copy + len, &c.root);
  rill__expr_eval(expr->root, &c, out);
  return TRUE;
}
