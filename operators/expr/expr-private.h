/* expr-private.h — the expression engine's insides: tokens (lexer.c), the
 * tree (parser.c builds it, eval.c walks it), value helpers (value.c) and
 * the function table (functions.c, time.c) that docs/expressions.md and
 * tests/expr are checked against.
 *
 * Invariants: a compiled tree is immutable (tasks share it); every string
 * a node holds is owned by the node; a value's pointers point into the
 * record (its copy in the fields arena), a node, or the scratch arena.
 */
#pragma once

#include <rill/expr.h>

#include "operators/fields-private.h"
#include "operators/json-scan.h"
#include "operators/scratch.h"

/* ---- tokens (lexer.c) ------------------------------------------------------ */

typedef enum {
  TOK_EOF,
  TOK_NUMBER,
  TOK_STRING,
  TOK_IDENT,
  TOK_DOT,
  TOK_COMMA,
  TOK_LPAREN,
  TOK_RPAREN,
  TOK_LBRACK,
  TOK_RBRACK,
  TOK_PLUS,
  TOK_MINUS,
  TOK_STAR,
  TOK_SLASH,
  TOK_PERCENT,
  TOK_EQ,
  TOK_NE,
  TOK_LT,
  TOK_LE,
  TOK_GT,
  TOK_GE,
  TOK_AND, /* and, && */
  TOK_OR,  /* or, || */
  TOK_NOT, /* not, ! */
  TOK_IF,
  TOK_THEN,
  TOK_ELSE,
  TOK_TRUE,
  TOK_FALSE,
  TOK_NULL,
} rill__expr_tok_kind;

typedef struct {
  rill__expr_tok_kind kind;
  gsize pos;      /* byte offset in the text */
  double number;  /* NUMBER */
  char *text;     /* STRING (decoded) / IDENT; owned by the lexer until taken */
  gsize len;
} rill__expr_token;

typedef struct {
  const char *src;
  gsize pos;
  gboolean after_dot; /* a number right after '.' is a path segment: integer only */
} rill__expr_lexer;

/* The next token; FALSE with @error (syntax, with position) on a bad one. */
gboolean rill__expr_lex(rill__expr_lexer *lx, rill__expr_token *tok, GError **error);
/* Sets @error: "column C: MESSAGE" plus the text and a caret at @pos. */
void rill__expr_error_at(GError **error, const char *src, gsize pos, int code, const char *format, ...)
  G_GNUC_PRINTF(5, 6);

/* ---- tree (parser.c) ------------------------------------------------------- */

typedef enum {
  N_LITERAL,
  N_FIELD,  /* a path from the record root */
  N_MEMBER, /* child.NAME on a computed value */
  N_INDEX,  /* child[expr] on a computed value */
  N_NEG,
  N_NOT,
  N_AND,
  N_OR,
  N_BINARY, /* op: TOK_PLUS .. TOK_GE */
  N_IF,
  N_CALL,
} rill__expr_node_kind;

typedef struct {
  char *name;       /* member name (owned), also for numeric segments */
  gsize len;
  gint64 index;     /* >= 0: array index (a[0], or a numeric a.0 segment on arrays) */
  gboolean bracket; /* written a[N]: index only */
} rill__expr_seg;

typedef struct rill__expr_function rill__expr_function;
typedef struct rill__expr_node rill__expr_node;

struct rill__expr_node {
  rill__expr_node_kind kind;
  gsize pos;                  /* where it starts in the text (errors) */
  int op;                     /* N_BINARY */
  rill_expr_value literal;    /* N_LITERAL (text owned by `owned`) */
  char *owned;
  rill__expr_seg *segs;       /* N_FIELD / N_MEMBER (one) */
  guint n_segs;
  rill__expr_node **kids;     /* operands / arguments / cond, then, else */
  guint n_kids;
  const rill__expr_function *fn; /* N_CALL, not owned: the static table */
  GRegex *regex;              /* N_CALL of a regex function: its literal pattern, compiled */
  char **group_names;         /* ... and its named groups in pattern order (NULL-terminated) */
};

struct rill_expr {
  char *text;
  rill__expr_node *root;
};

void rill__expr_node_free(rill__expr_node *n);
/* Parses @text into a tree; NULL with @error. */
rill__expr_node *rill__expr_parse(const char *text, GError **error);

/* ---- evaluation (eval.c) ----------------------------------------------------- */

typedef struct {
  rill_fields *fields;       /* CSV records (NULL for JSON) */
  rill__json_span root;      /* JSON records */
  rill_fields *json;         /* JSON records read through a rill_fields (its member index), or NULL */
  rill__scratch *arena;      /* results */
} rill__expr_ctx;

void rill__expr_eval(const rill__expr_node *n, rill__expr_ctx *c, rill_expr_value *out);
/* A JSON span as a value (strings decoded into @arena when escaped). */
void rill__expr_from_span(const rill__json_span *s, rill__scratch *arena, rill_expr_value *out);
/* A value of type ARRAY/OBJECT as a span to scan. */
rill__json_span rill__expr_span(const rill_expr_value *v);

/* ---- values (value.c) -------------------------------------------------------- */

static inline void rill__expr_null(rill_expr_value *v)
{
  *v = (rill_expr_value){RILL_EXPR_NULL, FALSE, 0, NULL, 0};
}
static inline void rill__expr_bool(rill_expr_value *v, gboolean b)
{
  *v = (rill_expr_value){RILL_EXPR_BOOL, b != FALSE, 0, NULL, 0};
}
static inline void rill__expr_number(rill_expr_value *v, double d)
{
  *v = (rill_expr_value){RILL_EXPR_NUMBER, FALSE, d, NULL, 0};
}
static inline void rill__expr_string(rill_expr_value *v, const char *s, gsize len)
{
  *v = (rill_expr_value){RILL_EXPR_STRING, FALSE, 0, s, len};
}
/* Parses a whole string as a JSON-style number (blanks around allowed);
 * FALSE when it is not one. */
gboolean rill__expr_parse_number(const char *s, gsize len, double *out);
/* Compares: sets *@cmp (<0, 0, >0) and returns TRUE when @a and @b are
 * ordered (numbers, strings, numeric strings against numbers, booleans);
 * FALSE otherwise (null, mixed types). */
gboolean rill__expr_compare(const rill_expr_value *a, const rill_expr_value *b, int *cmp);
/* Equality: null equals only null; otherwise compare == 0. */
gboolean rill__expr_equal(const rill_expr_value *a, const rill_expr_value *b);

/* ---- functions (functions.c, time.c) ------------------------------------------ */

typedef void (*rill__expr_fn)(rill__expr_ctx *c, const rill__expr_node *call, const rill_expr_value *args,
                              guint n_args, rill_expr_value *out);

struct rill__expr_function {
  const char *name;
  guint min_args, max_args;
  guint regex_arg;       /* 1-based argument that must be a regex literal; 0 = none */
  rill__expr_fn fn;
  const char *signature; /* for docs/expressions.md, e.g. "replace(s, from, to)" */
  const char *doc;       /* one line */
};

/* The table, sorted by name; *@n receives its length. */
const rill__expr_function *rill__expr_functions(guint *n);
const rill__expr_function *rill__expr_function_find(const char *name, gsize len);
/* Time functions (time.c), listed in the table. */
void rill__expr_fn_parse_time(rill__expr_ctx *c, const rill__expr_node *call, const rill_expr_value *args,
                              guint n_args, rill_expr_value *out);
void rill__expr_fn_format_time(rill__expr_ctx *c, const rill__expr_node *call, const rill_expr_value *args,
                               guint n_args, rill_expr_value *out);
