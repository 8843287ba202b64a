/* lexer.c — the expression tokenizer: numbers, "…" and '…' strings (JSON
 * escapes plus \'), identifiers and keywords, operators. Also the one
 * error formatter every compile error goes through, so each names its
 * column and shows the text with a caret.
 *
 * Invariant: a token's text is a fresh allocation the parser takes over
 * (or frees); positions are byte offsets into the source.
 */
#include "operators/expr/expr-private.h"

#include <string.h>

G_DEFINE_QUARK(rill-expr-error-quark, rill_expr_error)

void rill__expr_error_at(GError **error, const char *src, gsize pos, int code, const char *format, ...)
{
  va_list ap;
  va_start(ap, format);
  char *msg = g_strdup_vprintf(format, ap);
  va_end(ap);
  /* The line holding @pos, and the column in it (1-based, in characters). */
  gsize start = pos, end = pos, line = 1;
  while (start > 0 && src[start - 1] != '\n')
    start--;
  while (src[end] && src[end] != '\n')
    end++;
  for (gsize i = 0; i < start; i++)
    line += src[i] == '\n';
  glong col = g_utf8_validate_len(src + start, pos - start, NULL) ? g_utf8_strlen(src + start, (gssize)(pos - start))
                                                                : (glong)(pos - start);
  GString *caret = g_string_new(NULL);
  for (glong i = 0; i < col; i++)
    g_string_append_c(caret, ' ');
  char *where = line > 1 ? g_strdup_printf("line %" G_GSIZE_FORMAT ", column %ld", line, col + 1)
                         : g_strdup_printf("column %ld", col + 1);
  g_set_error(error, RILL_EXPR_ERROR, code, "%s: %s\n  %.*s\n  %s^", where, msg, (int)(end - start), src + start,
              caret->str);
  g_free(where);
  g_string_free(caret, TRUE);
  g_free(msg);
}

static gboolean ident_start(char c)
{
  return g_ascii_isalpha(c) || c == '_';
}

static gboolean ident_char(char c)
{
  return g_ascii_isalnum(c) || c == '_';
}

static const struct {
  const char *word;
  rill__expr_tok_kind kind;
} keywords[] = {
  {"and", TOK_AND},   {"or", TOK_OR},     {"not", TOK_NOT},     {"if", TOK_IF},     {"then", TOK_THEN},
  {"else", TOK_ELSE}, {"true", TOK_TRUE}, {"false", TOK_FALSE}, {"null", TOK_NULL},
};

static gboolean lex_string(rill__expr_lexer *lx, rill__expr_token *tok, GError **error)
{
  const char *s = lx->src;
  char quote = s[lx->pos];
  gsize p = lx->pos + 1;
  GString *out = g_string_new(NULL);
  for (;;) {
    char c = s[p];
    if (c == '\0') {
      rill__expr_error_at(error, s, tok->pos, RILL_EXPR_ERROR_SYNTAX, "unterminated string");
      g_string_free(out, TRUE);
      return FALSE;
    }
    if (c == quote) {
      p++;
      break;
    }
    if (c != '\\') {
      g_string_append_c(out, c);
      p++;
      continue;
    }
    char e = s[p + 1];
    switch (e) {
    case 'n': g_string_append_c(out, '\n'); break;
    case 't': g_string_append_c(out, '\t'); break;
    case 'r': g_string_append_c(out, '\r'); break;
    case 'b': g_string_append_c(out, '\b'); break;
    case 'f': g_string_append_c(out, '\f'); break;
    case '\\': case '"': case '\'': case '/': g_string_append_c(out, e); break;
    case 'u': {
      gunichar u = 0;
      for (int i = 0; i < 4; i++) {
        int d = g_ascii_xdigit_value(s[p + 2 + i]);
        if (d < 0) {
          rill__expr_error_at(error, s, p, RILL_EXPR_ERROR_SYNTAX, "\\u needs four hex digits");
          g_string_free(out, TRUE);
          return FALSE;
        }
        u = u * 16 + (gunichar)d;
      }
      if (u >= 0xD800 && u < 0xE000) {
        rill__expr_error_at(error, s, p, RILL_EXPR_ERROR_SYNTAX, "\\u%04X is a surrogate, not a character", u);
        g_string_free(out, TRUE);
        return FALSE;
      }
      g_string_append_unichar(out, u);
      p += 4;
      break;
    }
    default:
      rill__expr_error_at(error, s, p, RILL_EXPR_ERROR_SYNTAX, "unknown escape '\\%c' (use \\\\ for a backslash)",
                          e ? e : ' ');
      g_string_free(out, TRUE);
      return FALSE;
    }
    p += 2;
  }
  if (!g_utf8_validate_len(out->str, out->len, NULL)) {
    rill__expr_error_at(error, s, tok->pos, RILL_EXPR_ERROR_SYNTAX, "string is not valid UTF-8");
    g_string_free(out, TRUE);
    return FALSE;
  }
  tok->kind = TOK_STRING;
  tok->len = out->len;
  tok->text = g_string_free(out, FALSE);
  lx->pos = p;
  return TRUE;
}

static gboolean lex_number(rill__expr_lexer *lx, rill__expr_token *tok, GError **error)
{
  const char *s = lx->src;
  gsize p = lx->pos;
  while (g_ascii_isdigit(s[p]))
    p++;
  if (!lx->after_dot) {
    if (s[p] == '.' && g_ascii_isdigit(s[p + 1])) {
      p++;
      while (g_ascii_isdigit(s[p]))
        p++;
    }
    if ((s[p] == 'e' || s[p] == 'E') &&
        (g_ascii_isdigit(s[p + 1]) || ((s[p + 1] == '+' || s[p + 1] == '-') && g_ascii_isdigit(s[p + 2])))) {
      p += 2;
      while (g_ascii_isdigit(s[p]))
        p++;
    }
  }
  if (ident_char(s[p])) {
    rill__expr_error_at(error, s, p, RILL_EXPR_ERROR_SYNTAX, "unexpected '%c' after a number", s[p]);
    return FALSE;
  }
  tok->kind = TOK_NUMBER;
  tok->text = g_strndup(s + lx->pos, p - lx->pos);
  tok->len = p - lx->pos;
  tok->number = g_ascii_strtod(tok->text, NULL);
  lx->pos = p;
  return TRUE;
}

gboolean rill__expr_lex(rill__expr_lexer *lx, rill__expr_token *tok, GError **error)
{
  const char *s = lx->src;
  while (s[lx->pos] == ' ' || s[lx->pos] == '\t' || s[lx->pos] == '\n' || s[lx->pos] == '\r')
    lx->pos++;
  *tok = (rill__expr_token){TOK_EOF, lx->pos, 0, NULL, 0};
  gboolean after_dot = lx->after_dot;
  lx->after_dot = FALSE;
  char c = s[lx->pos];
  if (c == '\0')
    return TRUE;
  if (c == '"' || c == '\'')
    return lex_string(lx, tok, error);
  if (g_ascii_isdigit(c)) {
    lx->after_dot = after_dot;
    gboolean ok = lex_number(lx, tok, error);
    lx->after_dot = FALSE;
    return ok;
  }
  if (ident_start(c)) {
    gsize p = lx->pos;
    while (ident_char(s[p]))
      p++;
    gsize n = p - lx->pos;
    tok->kind = TOK_IDENT;
    for (guint i = 0; i < G_N_ELEMENTS(keywords) && !after_dot; i++)
      if (strlen(keywords[i].word) == n && memcmp(keywords[i].word, s + lx->pos, n) == 0)
        tok->kind = keywords[i].kind;
    if (tok->kind == TOK_IDENT) {
      tok->text = g_strndup(s + lx->pos, n);
      tok->len = n;
    }
    lx->pos = p;
    return TRUE;
  }
  char d = s[lx->pos + 1];
  gsize width = 1;
  switch (c) {
  case '.': tok->kind = TOK_DOT; lx->after_dot = TRUE; break;
  case ',': tok->kind = TOK_COMMA; break;
  case '(': tok->kind = TOK_LPAREN; break;
  case ')': tok->kind = TOK_RPAREN; break;
  case '[': tok->kind = TOK_LBRACK; break;
  case ']': tok->kind = TOK_RBRACK; break;
  case '+': tok->kind = TOK_PLUS; break;
  case '-': tok->kind = TOK_MINUS; break;
  case '*': tok->kind = TOK_STAR; break;
  case '/': tok->kind = TOK_SLASH; break;
  case '%': tok->kind = TOK_PERCENT; break;
  case '<': tok->kind = d == '=' ? TOK_LE : TOK_LT; width = d == '=' ? 2 : 1; break;
  case '>': tok->kind = d == '=' ? TOK_GE : TOK_GT; width = d == '=' ? 2 : 1; break;
  case '!': tok->kind = d == '=' ? TOK_NE : TOK_NOT; width = d == '=' ? 2 : 1; break;
  case '=':
    if (d != '=') {
      rill__expr_error_at(error, s, lx->pos, RILL_EXPR_ERROR_SYNTAX, "'=' alone: compare with ==");
      return FALSE;
    }
    tok->kind = TOK_EQ;
    width = 2;
    break;
  case '&':
  case '|':
    if (d != c) {
      rill__expr_error_at(error, s, lx->pos, RILL_EXPR_ERROR_SYNTAX, "'%c' alone: use %c%c or %s", c, c, c,
                          c == '&' ? "and" : "or");
      return FALSE;
    }
    tok->kind = c == '&' ? TOK_AND : TOK_OR;
    width = 2;
    break;
  default:
    if ((unsigned char)c >= 0x80)
      rill__expr_error_at(error, s, lx->pos, RILL_EXPR_ERROR_SYNTAX,
                          "unexpected character (quote names that are not A-Z, 0-9, _: .\"name\")");
    else
      rill__expr_error_at(error, s, lx->pos, RILL_EXPR_ERROR_SYNTAX, "unexpected character '%c'", c);
    return FALSE;
  }
  lx->pos += width;
  return TRUE;
}
