/* parser.c — the expression grammar (docs/expressions.md), by recursive
 * descent with one token of lookahead, lowest precedence first:
 *
 *   expr    := 'if' expr 'then' expr 'else' expr | or
 *   or      := and (('or' | '||') and)*
 *   and     := not (('and' | '&&') not)*
 *   not     := ('not' | '!') not | cmp
 *   cmp     := sum (('==' | '!=' | '<' | '<=' | '>' | '>=') sum)?
 *   sum     := product (('+' | '-') product)*
 *   product := unary (('*' | '/' | '%') unary)*
 *   unary   := '-' unary | postfix
 *   postfix := primary ('.' name | '[' expr ']')*
 *   primary := NUMBER | STRING | true | false | null | '(' expr ')'
 *            | NAME '(' (expr (',' expr)*)? ')' | path
 *   path    := '.'? name ('.' name | '[' INT ']')*  |  '.'
 *   name    := NAME | STRING | INT
 *
 * A path is one N_FIELD node (walked from the record root with no
 * intermediate values); postfix steps on computed values are N_MEMBER and
 * N_INDEX. Calls are checked here: the function exists, the argument count
 * fits, and a regex argument is a string literal, compiled once.
 *
 * Keywords are not reserved after a dot (the lexer makes them names there:
 * .and, a.if).
 *
 * Invariant: nesting deeper than MAX_DEPTH (parentheses, prefix operators)
 * and trees deeper than MAX_TREE (long operator or postfix chains) are
 * syntax errors, so neither parsing nor evaluation can exhaust the stack.
 */
#include "operators/expr/expr-private.h"

#include <string.h>

#define MAX_DEPTH 200
#define MAX_TREE 1000
#define MAX_NODES 4000

typedef struct {
  rill__expr_lexer lx;
  rill__expr_token tok; /* lookahead */
  GError **error;
  gboolean failed;
  int depth;
  guint nodes; /* created so far (bounds tree_depth's recursion) */
} parser;

void rill__expr_node_free(rill__expr_node *n)
{
  if (!n)
    return;
  for (guint i = 0; i < n->n_kids; i++)
    rill__expr_node_free(n->kids[i]);
  g_free(n->kids);
  for (guint i = 0; i < n->n_segs; i++)
    g_free(n->segs[i].name);
  g_free(n->segs);
  g_free(n->owned);
  if (n->regex)
    g_regex_unref(n->regex);
  g_strfreev(n->group_names);
  g_free(n);
}

static void *syntax(parser *p, gsize pos, const char *format, ...) G_GNUC_PRINTF(3, 4);

static rill__expr_node *node_new(parser *p, rill__expr_node_kind kind, gsize pos)
{
  if (++p->nodes > MAX_NODES)
    syntax(p, pos, "%s", "the expression is too long");
  rill__expr_node *n = g_new0(rill__expr_node, 1);
  n->kind = kind;
  n->pos = pos;
  return n;
}

static void add_kid(rill__expr_node *n, rill__expr_node *kid)
{
  n->kids = g_renew(rill__expr_node *, n->kids, n->n_kids + 1);
  n->kids[n->n_kids++] = kid;
}

static void add_seg(rill__expr_node *n, char *name, gsize len, gint64 index, gboolean bracket)
{
  n->segs = g_renew(rill__expr_seg, n->segs, n->n_segs + 1);
  n->segs[n->n_segs++] = (rill__expr_seg){name, len, index, bracket};
}

static void advance(parser *p)
{
  g_free(p->tok.text);
  p->tok.text = NULL;
  if (!p->failed && !rill__expr_lex(&p->lx, &p->tok, p->error)) {
    p->failed = TRUE;
    p->tok.kind = TOK_EOF;
  }
}

/* Takes the lookahead's text (the parser keeps nothing). */
static char *take_text(parser *p)
{
  char *t = p->tok.text;
  p->tok.text = NULL;
  return t;
}

static void *syntax(parser *p, gsize pos, const char *format, ...)
{
  if (!p->failed) {
    va_list ap;
    va_start(ap, format);
    char *msg = g_strdup_vprintf(format, ap);
    va_end(ap);
    rill__expr_error_at(p->error, p->lx.src, pos, RILL_EXPR_ERROR_SYNTAX, "%s", msg);
    g_free(msg);
  }
  p->failed = TRUE;
  return NULL;
}

static const char *describe(const rill__expr_token *t)
{
  switch (t->kind) {
  case TOK_EOF: return "the end";
  case TOK_NUMBER: return "a number";
  case TOK_STRING: return "a string";
  case TOK_IDENT: return "a name";
  default: return "this";
  }
}

static gboolean expect(parser *p, rill__expr_tok_kind kind, const char *what)
{
  if (p->tok.kind != kind) {
    syntax(p, p->tok.pos, "expected %s", what);
    return FALSE;
  }
  advance(p);
  return TRUE;
}

static rill__expr_node *parse_expr(parser *p);

/* A segment name after '.': NAME, "quoted", or an integer (index on arrays). */
static gboolean parse_segment(parser *p, rill__expr_node *n)
{
  if (p->tok.kind == TOK_IDENT || p->tok.kind == TOK_STRING) {
    gsize len = p->tok.len;
    add_seg(n, take_text(p), len, -1, FALSE);
  } else if (p->tok.kind == TOK_NUMBER) {
    gsize len = p->tok.len;
    gint64 idx = p->tok.number <= 1e15 ? (gint64)p->tok.number : -1;
    add_seg(n, take_text(p), len, idx, FALSE);
  } else {
    syntax(p, p->tok.pos, "expected a field name after '.', found %s", describe(&p->tok));
    return FALSE;
  }
  advance(p);
  return TRUE;
}

/* Path steps after its first segment; integer brackets stay in the path. */
static rill__expr_node *parse_path_rest(parser *p, rill__expr_node *n)
{
  for (;;) {
    if (p->tok.kind == TOK_DOT) {
      advance(p);
      if (!parse_segment(p, n))
        return n;
    } else if (p->tok.kind == TOK_LBRACK) {
      /* [INT] stays in the path; anything else ends it (postfix index). */
      rill__expr_lexer save = p->lx;
      rill__expr_token t1;
      GError *ignored = NULL;
      if (!rill__expr_lex(&p->lx, &t1, &ignored)) {
        g_clear_error(&ignored);
        p->lx = save;
        return n;
      }
      rill__expr_token t2 = {TOK_EOF, 0, 0, NULL, 0};
      gboolean ok = t1.kind == TOK_NUMBER && t1.number <= 1e15 && t1.number == (double)(gint64)t1.number &&
                    rill__expr_lex(&p->lx, &t2, &ignored) && t2.kind == TOK_RBRACK;
      g_clear_error(&ignored);
      if (!ok) {
        g_free(t1.text);
        g_free(t2.text);
        p->lx = save;
        return n;
      }
      add_seg(n, t1.text, t1.len, (gint64)t1.number, TRUE);
      g_free(t2.text);
      advance(p);
    } else {
      return n;
    }
  }
}

/* The named groups of @pattern in order: (?<name>, (?P<name>, (?'name'.
 * GRegex can map a name to its number but not list the names, so they are
 * read from the text and kept when the compiled regex knows them. */
static char **group_names(GRegex *regex, const char *pattern)
{
  GPtrArray *names = g_ptr_array_new();
  for (const char *p = pattern; *p; p++) {
    if (*p == '\\' && p[1]) {
      p++;
      continue;
    }
    if (p[0] != '(' || p[1] != '?')
      continue;
    const char *q = p + 2;
    if (*q == 'P')
      q++;
    char close = *q == '<' ? '>' : *q == '\'' ? '\'' : 0;
    if (!close || q[1] == '=' || q[1] == '!')
      continue;
    const char *end = strchr(q + 1, close);
    if (!end)
      continue;
    char *name = g_strndup(q + 1, (gsize)(end - q - 1));
    if (g_regex_get_string_number(regex, name) > 0)
      g_ptr_array_add(names, name);
    else
      g_free(name);
  }
  g_ptr_array_add(names, NULL);
  return (char **)g_ptr_array_free(names, FALSE);
}

static rill__expr_node *parse_call(parser *p, char *name, gsize pos)
{
  const rill__expr_function *fn = rill__expr_function_find(name, strlen(name));
  if (!fn) {
    if (!p->failed)
      rill__expr_error_at(p->error, p->lx.src, pos, RILL_EXPR_ERROR_FUNCTION,
                          "unknown function '%s' (docs/expressions.md lists them)", name);
    p->failed = TRUE;
    g_free(name);
    return NULL;
  }
  g_free(name);
  rill__expr_node *n = node_new(p, N_CALL, pos);
  n->fn = fn;
  advance(p); /* ( */
  if (p->tok.kind != TOK_RPAREN)
    for (;;) {
      rill__expr_node *arg = parse_expr(p);
      if (!arg)
        goto fail;
      add_kid(n, arg);
      if (p->tok.kind != TOK_COMMA)
        break;
      advance(p);
    }
  if (!expect(p, TOK_RPAREN, "',' or ')' after an argument"))
    goto fail;
  if (n->n_kids < fn->min_args || n->n_kids > fn->max_args) {
    char *range = fn->min_args == fn->max_args ? g_strdup_printf("%u", fn->min_args)
                                               : g_strdup_printf("%u to %u", fn->min_args, fn->max_args);
    rill__expr_error_at(p->error, p->lx.src, pos, RILL_EXPR_ERROR_FUNCTION, "%s takes %s argument%s, not %u: %s",
                        fn->name, range, fn->max_args == 1 ? "" : "s", n->n_kids, fn->signature);
    g_free(range);
    p->failed = TRUE;
    goto fail;
  }
  if (fn->regex_arg) {
    rill__expr_node *re = n->kids[fn->regex_arg - 1];
    if (re->kind != N_LITERAL || re->literal.type != RILL_EXPR_STRING) {
      rill__expr_error_at(p->error, p->lx.src, re->pos, RILL_EXPR_ERROR_REGEX,
                          "the pattern of %s must be a string literal (it is compiled once)", fn->name);
      p->failed = TRUE;
      goto fail;
    }
    GError *re_error = NULL;
    n->regex = g_regex_new(re->owned, G_REGEX_OPTIMIZE, 0, &re_error);
    if (!n->regex) {
      rill__expr_error_at(p->error, p->lx.src, re->pos, RILL_EXPR_ERROR_REGEX, "bad regex: %s", re_error->message);
      g_error_free(re_error);
      p->failed = TRUE;
      goto fail;
    }
    n->group_names = group_names(n->regex, re->owned);
  }
  return n;
fail:
  rill__expr_node_free(n);
  return NULL;
}

static rill__expr_node *literal_string(parser *p)
{
  rill__expr_node *n = node_new(p, N_LITERAL, p->tok.pos);
  gsize len = p->tok.len;
  n->owned = take_text(p);
  rill__expr_string(&n->literal, n->owned, len);
  advance(p);
  return n;
}

static rill__expr_node *parse_primary(parser *p)
{
  gsize pos = p->tok.pos;
  rill__expr_node *n;
  switch (p->tok.kind) {
  case TOK_NUMBER:
    n = node_new(p, N_LITERAL, pos);
    rill__expr_number(&n->literal, p->tok.number);
    advance(p);
    return n;
  case TOK_STRING:
    return literal_string(p);
  case TOK_TRUE:
  case TOK_FALSE:
    n = node_new(p, N_LITERAL, pos);
    rill__expr_bool(&n->literal, p->tok.kind == TOK_TRUE);
    advance(p);
    return n;
  case TOK_NULL:
    n = node_new(p, N_LITERAL, pos);
    rill__expr_null(&n->literal);
    advance(p);
    return n;
  case TOK_LPAREN:
    advance(p);
    n = parse_expr(p);
    if (n && !expect(p, TOK_RPAREN, "')'")) {
      rill__expr_node_free(n);
      return NULL;
    }
    return n;
  case TOK_IDENT: {
    gsize len = p->tok.len;
    char *name = take_text(p);
    advance(p);
    if (p->tok.kind == TOK_LPAREN)
      return parse_call(p, name, pos);
    n = node_new(p, N_FIELD, pos);
    add_seg(n, name, len, -1, FALSE);
    return parse_path_rest(p, n);
  }
  case TOK_DOT:
    advance(p);
    n = node_new(p, N_FIELD, pos);
    /* '.' alone is the whole record. */
    if (p->tok.kind == TOK_IDENT || p->tok.kind == TOK_STRING || p->tok.kind == TOK_NUMBER) {
      if (!parse_segment(p, n)) {
        rill__expr_node_free(n);
        return NULL;
      }
    }
    return parse_path_rest(p, n);
  default:
    return syntax(p, pos, "expected a value, found %s", describe(&p->tok));
  }
}

static rill__expr_node *parse_postfix(parser *p)
{
  rill__expr_node *n = parse_primary(p);
  while (n && !p->failed) {
    gsize pos = p->tok.pos;
    if (p->tok.kind == TOK_DOT) {
      advance(p);
      rill__expr_node *m = node_new(p, N_MEMBER, pos);
      add_kid(m, n);
      n = m;
      if (!parse_segment(p, n))
        break;
    } else if (p->tok.kind == TOK_LBRACK) {
      advance(p);
      rill__expr_node *idx = parse_expr(p);
      rill__expr_node *m = node_new(p, N_INDEX, pos);
      add_kid(m, n);
      n = m;
      if (!idx)
        break;
      add_kid(n, idx);
      if (!expect(p, TOK_RBRACK, "']'"))
        break;
    } else {
      return n;
    }
  }
  if (p->failed) {
    rill__expr_node_free(n);
    return NULL;
  }
  return n;
}

static rill__expr_node *parse_unary(parser *p)
{
  if (p->tok.kind != TOK_MINUS)
    return parse_postfix(p);
  gsize pos = p->tok.pos;
  advance(p);
  if (++p->depth > MAX_DEPTH)
    return syntax(p, pos, "%s", "nested too deep");
  rill__expr_node *kid = parse_unary(p);
  p->depth--;
  if (!kid)
    return NULL;
  rill__expr_node *n = node_new(p, N_NEG, pos);
  add_kid(n, kid);
  return n;
}

static rill__expr_node *binary(parser *p, rill__expr_node_kind kind, int op, gsize pos, rill__expr_node *a, rill__expr_node *b)
{
  rill__expr_node *n = node_new(p, kind, pos);
  n->op = op;
  add_kid(n, a);
  add_kid(n, b);
  return n;
}

/* One left-associative level: operands from @next, operators in [lo, hi]. */
static rill__expr_node *parse_left(parser *p, rill__expr_node *(*next)(parser *), rill__expr_tok_kind lo,
                                   rill__expr_tok_kind hi, rill__expr_node_kind kind)
{
  rill__expr_node *n = next(p);
  while (n && p->tok.kind >= lo && p->tok.kind <= hi) {
    int op = p->tok.kind;
    gsize pos = p->tok.pos;
    advance(p);
    rill__expr_node *b = next(p);
    if (!b) {
      rill__expr_node_free(n);
      return NULL;
    }
    n = binary(p, kind, op, pos, n, b);
  }
  return n;
}

static rill__expr_node *parse_product(parser *p)
{
  return parse_left(p, parse_unary, TOK_STAR, TOK_PERCENT, N_BINARY);
}

static rill__expr_node *parse_sum(parser *p)
{
  return parse_left(p, parse_product, TOK_PLUS, TOK_MINUS, N_BINARY);
}

static rill__expr_node *parse_cmp(parser *p)
{
  rill__expr_node *n = parse_sum(p);
  if (n && p->tok.kind >= TOK_EQ && p->tok.kind <= TOK_GE) {
    int op = p->tok.kind;
    gsize pos = p->tok.pos;
    advance(p);
    rill__expr_node *b = parse_sum(p);
    if (!b) {
      rill__expr_node_free(n);
      return NULL;
    }
    n = binary(p, N_BINARY, op, pos, n, b);
    if (p->tok.kind >= TOK_EQ && p->tok.kind <= TOK_GE) {
      rill__expr_node_free(n);
      return syntax(p, p->tok.pos, "%s", "comparisons do not chain: use a < b and b < c");
    }
  }
  return n;
}

static rill__expr_node *parse_not(parser *p)
{
  if (p->tok.kind != TOK_NOT)
    return parse_cmp(p);
  gsize pos = p->tok.pos;
  advance(p);
  if (++p->depth > MAX_DEPTH)
    return syntax(p, pos, "%s", "nested too deep");
  rill__expr_node *kid = parse_not(p);
  p->depth--;
  if (!kid)
    return NULL;
  rill__expr_node *n = node_new(p, N_NOT, pos);
  add_kid(n, kid);
  return n;
}

static rill__expr_node *parse_and(parser *p)
{
  return parse_left(p, parse_not, TOK_AND, TOK_AND, N_AND);
}

static rill__expr_node *parse_or(parser *p)
{
  return parse_left(p, parse_and, TOK_OR, TOK_OR, N_OR);
}

static rill__expr_node *parse_if(parser *p)
{
  rill__expr_node *n = node_new(p, N_IF, p->tok.pos);
  advance(p);
  rill__expr_node *c = parse_expr(p);
  if (c)
    add_kid(n, c);
  if (!c || !expect(p, TOK_THEN, "'then'"))
    goto fail;
  rill__expr_node *t = parse_expr(p);
  if (t)
    add_kid(n, t);
  if (!t || !expect(p, TOK_ELSE, "'else' (every if has one)"))
    goto fail;
  rill__expr_node *e = parse_expr(p);
  if (!e)
    goto fail;
  add_kid(n, e);
  return n;
fail:
  rill__expr_node_free(n);
  return NULL;
}

static rill__expr_node *parse_expr(parser *p)
{
  if (p->failed)
    return NULL;
  if (++p->depth > MAX_DEPTH)
    return syntax(p, p->tok.pos, "%s", "nested too deep");
  rill__expr_node *n = p->tok.kind == TOK_IF ? parse_if(p) : parse_or(p);
  p->depth--;
  return n;
}

static guint tree_depth(const rill__expr_node *n)
{
  guint d = 0;
  for (guint i = 0; i < n->n_kids; i++) {
    guint k = tree_depth(n->kids[i]); /* not inside MAX(), which evaluates twice */
    d = MAX(d, k);
  }
  return d + 1;
}

rill__expr_node *rill__expr_parse(const char *text, GError **error)
{
  parser p = {{text, 0, FALSE}, {TOK_EOF, 0, 0, NULL, 0}, error, FALSE, 0, 0};
  advance(&p);
  rill__expr_node *n = parse_expr(&p);
  if (n && !p.failed && p.tok.kind != TOK_EOF) {
    syntax(&p, p.tok.pos, "unexpected %s after the expression", describe(&p.tok));
  }
  if (n && !p.failed && tree_depth(n) > MAX_TREE)
    syntax(&p, 0, "%s", "the expression is nested too deep");
  g_free(p.tok.text);
  if (p.failed) {
    rill__expr_node_free(n);
    return NULL;
  }
  return n;
}
