/* parse.c — launch text to a tree of element nodes and links.
 *
 * Tokens: '!', WORD (an element name), REF (a word ending in '.': `x.`) and
 * PARAM (KEY=VALUE, VALUE optionally quoted with '…' or "…"); whitespace
 * separates them, '#' comments to the end of the line (outside quotes).
 *
 * Invariants after a successful parse: every reference is resolved to the
 * element node it names (ref placeholders are gone), every element names a
 * registry entry, every parameter is one of its element's rows (set into the
 * node's struct by the config-table engine, which checked the value) or a
 * pair the element passes through, required parameters are present, names are unique, and
 * links respect the roles (nothing into a source, nothing out of a sink) and
 * the pairing rules (an element that feeds a kind has one output, of it).
 * Order of a node's inputs is the order its links appear in the text.
 */
#include "runtime/launch/launch-private.h"

typedef enum { TOK_END, TOK_BANG, TOK_WORD, TOK_REF, TOK_PARAM } tok_kind;

typedef struct {
  tok_kind kind;
  gsize pos;       /* token start */
  char *text;      /* WORD/REF: the name; PARAM: the key */
  char *value;     /* PARAM: unquoted value */
  gsize value_pos; /* PARAM: where the value starts */
} token;

typedef struct {
  const char *text;
  gsize pos;
} lexer;

static gboolean is_space(char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\\';
}

static void skip_blanks(lexer *lx)
{
  const char *t = lx->text;
  for (;;) {
    while (t[lx->pos] && is_space(t[lx->pos]))
      lx->pos++;
    if (t[lx->pos] != '#')
      return;
    while (t[lx->pos] && t[lx->pos] != '\n')
      lx->pos++;
  }
}

/* Reads a value at lx->pos: quoted or up to the next blank, '!' or '#'. */
static gboolean read_value(lexer *lx, GString *out, GError **error)
{
  const char *t = lx->text;
  char q = t[lx->pos];
  if (q == '"' || q == '\'') {
    gsize start = lx->pos++;
    while (t[lx->pos] && t[lx->pos] != q) {
      if (q == '"' && t[lx->pos] == '\\' && (t[lx->pos + 1] == '"' || t[lx->pos + 1] == '\\'))
        lx->pos++;
      g_string_append_c(out, t[lx->pos++]);
    }
    if (!t[lx->pos]) {
      rill__launch_error_at(error, t, start, RILL_LAUNCH_ERROR_SYNTAX, "unterminated quote");
      return FALSE;
    }
    lx->pos++;
    return TRUE;
  }
  while (t[lx->pos] && !is_space(t[lx->pos]) && t[lx->pos] != '!' && t[lx->pos] != '#')
    g_string_append_c(out, t[lx->pos++]);
  return TRUE;
}

static gboolean next_token(lexer *lx, token *tok, GError **error)
{
  const char *t = lx->text;
  memset(tok, 0, sizeof *tok);
  skip_blanks(lx);
  tok->pos = lx->pos;
  if (!t[lx->pos]) {
    tok->kind = TOK_END;
    return TRUE;
  }
  if (t[lx->pos] == '!') {
    lx->pos++;
    tok->kind = TOK_BANG;
    return TRUE;
  }
  gsize start = lx->pos;
  while (t[lx->pos] && !is_space(t[lx->pos]) && t[lx->pos] != '!' && t[lx->pos] != '=' && t[lx->pos] != '#')
    lx->pos++;
  if (t[lx->pos] == '=') {
    if (lx->pos == start) {
      rill__launch_error_at(error, t, start, RILL_LAUNCH_ERROR_SYNTAX, "'=' without a parameter name before it");
      return FALSE;
    }
    tok->kind = TOK_PARAM;
    tok->text = g_strndup(t + start, lx->pos - start);
    lx->pos++;
    tok->value_pos = lx->pos;
    GString *v = g_string_new(NULL);
    if (!read_value(lx, v, error)) {
      g_string_free(v, TRUE);
      g_free(tok->text);
      return FALSE;
    }
    tok->value = g_string_free(v, FALSE);
    return TRUE;
  }
  gsize len = lx->pos - start;
  if (len > 1 && t[lx->pos - 1] == '.') {
    tok->kind = TOK_REF;
    tok->text = g_strndup(t + start, len - 1);
  } else {
    tok->kind = TOK_WORD;
    tok->text = g_strndup(t + start, len);
  }
  return TRUE;
}

static void param_free(gpointer data)
{
  rill__launch_param *p = data;
  g_free(p->key);
  g_free(p->value);
  g_free(p);
}

static rill__launch_node *node_new(const char *type, gsize pos, gboolean is_ref)
{
  rill__launch_node *n = g_new0(rill__launch_node, 1);
  n->type = g_strdup(type);
  n->pos = pos;
  n->is_ref = is_ref;
  n->params = g_ptr_array_new_with_free_func(param_free);
  n->inputs = g_ptr_array_new();
  return n;
}

static void node_free(gpointer data)
{
  rill__launch_node *n = data;
  if (n->props) {
    rill__conf_table t = rill__launch_element_table(n->klass);
    rill__conf_clear(&t, n->props);
    g_free(n->props);
  }
  g_free(n->type);
  g_free(n->name);
  g_ptr_array_unref(n->params);
  g_ptr_array_unref(n->inputs);
  g_free(n);
}

void rill__launch_tree_free(rill__launch_tree *tree)
{
  if (!tree)
    return;
  g_ptr_array_unref(tree->nodes);
  g_free(tree);
}

typedef struct {
  rill__launch_node *from, *to; /* either may be a ref placeholder */
} link;

static const char *role_word(rill_launch_role role)
{
  switch (role) {
  case RILL_LAUNCH_SOURCE:
    return "a source";
  case RILL_LAUNCH_SINK:
    return "a sink";
  default:
    return "an operator";
  }
}

/* Element parameters: known, unique, set into the node's struct by the
 * engine (which checks the value); required ones present; name= taken out. */
static gboolean check_params(rill__launch_tree *tree, rill__launch_node *n, GError **error)
{
  const rill_launch_element *e = n->klass;
  rill__conf_table table = rill__launch_element_table(e);
  n->props = g_malloc0(MAX(e->props_size, 1));
  rill__conf_init(&table, n->props);
  for (guint i = 0; i < n->params->len; i++) {
    rill__launch_param *p = n->params->pdata[i];
    for (guint j = 0; j < i; j++)
      if (strcmp(((rill__launch_param *)n->params->pdata[j])->key, p->key) == 0) {
        rill__launch_error_at(error, tree->text, p->key_pos, RILL_LAUNCH_ERROR_SYNTAX,
                              "%s: parameter '%s' given twice", e->name, p->key);
        return FALSE;
      }
    if (strcmp(p->key, "name") == 0)
      continue;
    p->row = rill__conf_find(&table, p->key);
    if (!p->row && e->pass_through) {
      p->passed = TRUE; /* checked by the build function */
      continue;
    }
    if (!p->row) {
      GString *known = g_string_new(NULL);
      for (guint j = 0; j < e->n_params; j++)
        g_string_append_printf(known, "%s, ", e->params[j].name);
      rill__launch_error_at(error, tree->text, p->key_pos, RILL_LAUNCH_ERROR_UNKNOWN_PARAMETER,
                            "%s has no parameter '%s' (it has: %sname)", e->name, p->key, known->str);
      g_string_free(known, TRUE);
      return FALSE;
    }
    GError *bad = NULL;
    if (!rill__conf_set(&table, n->props, p->key, p->value, &bad)) {
      rill__launch_error_at(error, tree->text, p->value_pos, RILL_LAUNCH_ERROR_INVALID_VALUE, "%s %s", e->name,
                            bad->message);
      g_error_free(bad);
      return FALSE;
    }
  }
  for (guint j = 0; j < e->n_params; j++) {
    if (!rill__conf_required(&e->params[j]))
      continue;
    gboolean found = FALSE;
    for (guint i = 0; i < n->params->len && !found; i++)
      found = ((rill__launch_param *)n->params->pdata[i])->row == &e->params[j];
    if (!found) {
      rill__launch_error_at(error, tree->text, n->pos, RILL_LAUNCH_ERROR_MISSING_PARAMETER,
                            "%s needs %s=… (%s)", e->name, e->params[j].name, e->params[j].doc);
      return FALSE;
    }
  }
  return TRUE;
}

/* Stage names: name= or the element name, numbered from the second use. */
static gboolean assign_names(rill__launch_tree *tree, GHashTable *names, GError **error)
{
  for (guint i = 0; i < tree->nodes->len; i++) {
    rill__launch_node *n = tree->nodes->pdata[i];
    for (guint k = 0; k < n->params->len; k++) {
      rill__launch_param *p = n->params->pdata[k];
      if (strcmp(p->key, "name") != 0)
        continue;
      if (!*p->value || strchr(p->value, '.')) {
        rill__launch_error_at(error, tree->text, p->value_pos, RILL_LAUNCH_ERROR_INVALID_VALUE,
                              "a name must be non-empty and contain no '.'");
        return FALSE;
      }
      if (g_hash_table_contains(names, p->value)) {
        rill__launch_error_at(error, tree->text, p->value_pos, RILL_LAUNCH_ERROR_UNKNOWN_REFERENCE,
                              "the name '%s' is used twice", p->value);
        return FALSE;
      }
      n->name = g_strdup(p->value);
      g_hash_table_insert(names, n->name, n);
    }
  }
  for (guint i = 0; i < tree->nodes->len; i++) {
    rill__launch_node *n = tree->nodes->pdata[i];
    for (guint k = 1; !n->name; k++) {
      char *candidate = k == 1 ? g_strdup(n->type) : g_strdup_printf("%s-%u", n->type, k);
      if (g_hash_table_contains(names, candidate))
        g_free(candidate);
      else
        n->name = candidate;
    }
    g_hash_table_insert(names, n->name, n);
  }
  return TRUE;
}

static rill__launch_node *resolve(rill__launch_tree *tree, GHashTable *names, rill__launch_node *end, GError **error)
{
  if (!end->is_ref)
    return end;
  rill__launch_node *n = g_hash_table_lookup(names, end->type);
  if (!n)
    rill__launch_error_at(error, tree->text, end->pos, RILL_LAUNCH_ERROR_UNKNOWN_REFERENCE,
                          "'%s.' refers to no element (name one with name=%s)", end->type, end->type);
  return n;
}

/* "avg, count, ..." : the elements of @kind, for messages. (transfer full) */
static char *kind_names(const rill_launch_registry *registry, const char *kind)
{
  GString *s = g_string_new(NULL);
  guint n;
  const rill_launch_element *const *e = rill_launch_registry_elements(registry, &n);
  for (guint i = 0; i < n; i++)
    if (g_strcmp0(e[i]->kind, kind) == 0)
      g_string_append_printf(s, "%s%s", s->len ? ", " : "", e[i]->name);
  return g_string_free(s, FALSE);
}

static gboolean link_nodes(const rill_launch_registry *registry, rill__launch_tree *tree, GHashTable *names,
                           GArray *links, GError **error)
{
  for (guint i = 0; i < links->len; i++) {
    link *l = &g_array_index(links, link, i);
    rill__launch_node *from = resolve(tree, names, l->from, error);
    if (!from)
      return FALSE;
    rill__launch_node *to = resolve(tree, names, l->to, error);
    if (!to)
      return FALSE;
    if (from->klass->role == RILL_LAUNCH_SINK) {
      rill__launch_error_at(error, tree->text, l->from->pos, RILL_LAUNCH_ERROR_LINK,
                            "%s is a sink: nothing can follow it", from->klass->name);
      return FALSE;
    }
    if (to->klass->role == RILL_LAUNCH_SOURCE) {
      rill__launch_error_at(error, tree->text, l->to->pos, RILL_LAUNCH_ERROR_LINK,
                            "%s is a source: nothing can link into it", to->klass->name);
      return FALSE;
    }
    g_ptr_array_add(to->inputs, from);
    from->n_outputs++;
  }
  for (guint i = 0; i < tree->nodes->len; i++) {
    rill__launch_node *n = tree->nodes->pdata[i];
    /* An element that feeds a kind (a window) is one stage with the element
     * after it (its aggregate). */
    if (n->klass->feeds && n->n_outputs != 1) {
      char *kind = kind_names(registry, n->klass->feeds);
      rill__launch_error_at(error, tree->text, n->pos, RILL_LAUNCH_ERROR_LINK,
                            "%s must be followed by exactly one %s (%s)", n->klass->name, n->klass->feeds, kind);
      g_free(kind);
      return FALSE;
    }
    for (guint k = 0; k < n->inputs->len; k++) {
      rill__launch_node *in = n->inputs->pdata[k];
      if (in->klass->feeds && g_strcmp0(in->klass->feeds, n->klass->kind) != 0) {
        char *kind = kind_names(registry, in->klass->feeds);
        rill__launch_error_at(error, tree->text, n->pos, RILL_LAUNCH_ERROR_LINK,
                              "%s cannot follow a %s: put one %s (%s) right after the %s", n->klass->name,
                              in->klass->name, in->klass->feeds, kind, in->klass->name);
        g_free(kind);
        return FALSE;
      }
    }
    if (n->klass->role != RILL_LAUNCH_SOURCE && n->inputs->len == 0) {
      rill__launch_error_at(error, tree->text, n->pos, RILL_LAUNCH_ERROR_LINK,
                            "%s is %s and needs an input: link something into it with '!'", n->klass->name,
                            role_word(n->klass->role));
      return FALSE;
    }
  }
  return TRUE;
}

rill__launch_tree *rill__launch_tree_parse(const rill_launch_registry *registry, const char *text,
                                           GError **error)
{
  rill__launch_tree *tree = g_new0(rill__launch_tree, 1);
  tree->text = text;
  tree->nodes = g_ptr_array_new_with_free_func(node_free);
  GPtrArray *refs = g_ptr_array_new_with_free_func(node_free);
  GArray *links = g_array_new(FALSE, FALSE, sizeof(link));
  GHashTable *names = g_hash_table_new(g_str_hash, g_str_equal);
  lexer lx = {text, 0};
  rill__launch_node *prev = NULL;    /* output waiting to be linked by '!' */
  rill__launch_node *current = NULL; /* element taking parameters */
  gsize bang_pos = 0;
  gboolean after_bang = FALSE;
  token tok;

  for (;;) {
    if (!next_token(&lx, &tok, error))
      goto fail;
    if (tok.kind == TOK_END)
      break;
    switch (tok.kind) {
    case TOK_BANG:
      if (!prev) {
        rill__launch_error_at(error, text, tok.pos, RILL_LAUNCH_ERROR_SYNTAX, "'!' with no element before it");
        goto fail_tok;
      }
      if (after_bang) {
        rill__launch_error_at(error, text, tok.pos, RILL_LAUNCH_ERROR_SYNTAX,
                              "two '!' in a row: an element is missing between them");
        goto fail_tok;
      }
      after_bang = TRUE;
      bang_pos = tok.pos;
      current = NULL;
      break;
    case TOK_PARAM: {
      if (!current) {
        rill__launch_error_at(error, text, tok.pos, RILL_LAUNCH_ERROR_SYNTAX,
                              "parameter '%s=' does not follow an element", tok.text);
        goto fail_tok;
      }
      rill__launch_param *p = g_new0(rill__launch_param, 1);
      p->key = tok.text;
      p->value = tok.value;
      p->key_pos = tok.pos;
      p->value_pos = tok.value_pos;
      g_ptr_array_add(current->params, p);
      continue; /* ownership moved */
    }
    case TOK_WORD:
    case TOK_REF: {
      rill__launch_node *n = node_new(tok.text, tok.pos, tok.kind == TOK_REF);
      if (tok.kind == TOK_REF) {
        g_ptr_array_add(refs, n);
        current = NULL;
      } else {
        n->klass = rill_launch_registry_lookup(registry, tok.text);
        g_ptr_array_add(tree->nodes, n);
        if (!n->klass) {
          rill__launch_error_at(error, text, tok.pos, RILL_LAUNCH_ERROR_UNKNOWN_ELEMENT,
                                "no element named '%s' (rill-run --list shows them)", tok.text);
          goto fail_tok;
        }
        current = n;
      }
      if (after_bang) {
        link l = {prev, n};
        g_array_append_val(links, l);
      }
      prev = n;
      after_bang = FALSE;
      break;
    }
    case TOK_END:
      break;
    }
    g_free(tok.text);
    g_free(tok.value);
  }
  if (after_bang) {
    rill__launch_error_at(error, text, bang_pos, RILL_LAUNCH_ERROR_SYNTAX,
                          "dangling '!': nothing follows it");
    goto fail;
  }
  if (tree->nodes->len == 0) {
    rill__launch_error_at(error, text, 0, RILL_LAUNCH_ERROR_SYNTAX, "empty pipeline: no elements");
    goto fail;
  }
  for (guint i = 0; i < tree->nodes->len; i++)
    if (!check_params(tree, tree->nodes->pdata[i], error))
      goto fail;
  if (!assign_names(tree, names, error) || !link_nodes(registry, tree, names, links, error))
    goto fail;
  g_hash_table_unref(names);
  g_array_unref(links);
  g_ptr_array_unref(refs);
  return tree;

fail_tok:
  g_free(tok.text);
  g_free(tok.value);
fail:
  g_hash_table_unref(names);
  g_array_unref(links);
  g_ptr_array_unref(refs);
  rill__launch_tree_free(tree);
  return NULL;
}
