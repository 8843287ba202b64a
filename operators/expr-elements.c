/* expr-elements.c — the expression stages behind filter expr= and key-by
 * expr= (expr-elements.h), and the launch element map, which sets fields
 * from expressions, renames and deletes fields, and writes the record as a
 * JSON object.
 *
 * map, precisely: every set.NAME expression is evaluated on the input
 * record (sets do not see each other); the output keeps the input's
 * members in order, with deleted ones left out, renamed ones under their
 * new name and set ones holding the new value; sets of names the record
 * did not have are appended in the order written. CSV records are first
 * read as the JSON object of their columns.
 *
 * Invariant: ops are immutable once built (tasks share them); expression
 * results live in the task's rill_fields arena, reset at each parse.
 */
#include "operators/expr-elements.h"

#include "operators/expr/expr-private.h"
#include "operators/fieldops.h"

#include <rill/dead-letter.h>
#include <rill/expr.h>

typedef struct {
  char *name;
  gsize len;
  rill_expr *expr; /* set.NAME=EXPR; NULL for a rename */
  char *to;        /* rename.NAME=TO */
  gsize to_len;
} map_item;

typedef struct {
  rill__expr_stage_kind kind;
  rill_expr *expr;   /* filter, key */
  GArray *items;     /* map: map_item, in the order written */
  char **deletes;    /* map */
  gboolean is_map;
} expr_op;

static void op_free(void *data)
{
  expr_op *op = data;
  rill_expr_free(op->expr);
  if (op->items) {
    for (guint i = 0; i < op->items->len; i++) {
      map_item *it = &g_array_index(op->items, map_item, i);
      g_free(it->name);
      g_free(it->to);
      rill_expr_free(it->expr);
    }
    g_array_unref(op->items);
  }
  g_strfreev(op->deletes);
  g_free(op);
}

/* Evaluates @e on the record in @fields; results in the fields' arena. */
static void eval(const rill_expr *e, rill_fields *fields, rill_expr_value *out)
{
  rill__expr_ctx c = {NULL, {RILL__JSON_ABSENT, NULL, 0}, NULL, rill__fields_arena(fields)};
  if (rill__fields_format(fields) == RILL_FIELDS_CSV) {
    c.fields = fields;
  } else {
    c.root = *rill__fields_json_root(fields);
    c.json = fields;
  }
  rill__expr_eval(e->root, &c, out);
}

static rill_bytes copy_out(rill_ctx *ctx, const char *s, gsize len)
{
  char *dst = rill_ctx_alloc(ctx, len ? len : 1);
  memcpy(dst, s, len);
  return rill_bytes_make(dst, len);
}

/* ---- map ------------------------------------------------------------------------ */

static gboolean is_deleted(const expr_op *op, const char *name, gsize len)
{
  for (guint i = 0; op->deletes && op->deletes[i]; i++)
    if (strlen(op->deletes[i]) == len && memcmp(op->deletes[i], name, len) == 0)
      return TRUE;
  return FALSE;
}

static map_item *find_item(const expr_op *op, const char *name, gsize len)
{
  for (guint i = 0; i < op->items->len; i++) {
    map_item *it = &g_array_index(op->items, map_item, i);
    if (it->len == len && memcmp(it->name, name, len) == 0)
      return it;
  }
  return NULL;
}

static rill_verdict map_apply(rill_ctx *ctx, rill_fields *fields, rill_record *out, const char **reason,
                              const expr_op *op)
{
  rill__scratch *arena = rill__fields_arena(fields);
  guint n = op->items->len;
  rill_expr_value *vals = rill__scratch_alloc(arena, sizeof(rill_expr_value) * MAX(n, 1));
  gboolean *done = rill__scratch_alloc(arena, sizeof(gboolean) * MAX(n, 1));
  for (guint i = 0; i < n; i++) {
    map_item *it = &g_array_index(op->items, map_item, i);
    if (it->expr)
      eval(it->expr, fields, &vals[i]);
    done[i] = FALSE;
  }
  rill__json_span root;
  GString *csv_json = NULL;
  if (rill__fields_format(fields) == RILL_FIELDS_CSV) {
    csv_json = g_string_new(NULL);
    rill_fields_write(fields, RILL_FIELDS_JSON, csv_json);
    rill__json_value(csv_json->str, csv_json->str + csv_json->len, &root);
  } else {
    root = *rill__fields_json_root(fields);
  }
  if (root.type != RILL__JSON_OBJECT) {
    if (csv_json)
      g_string_free(csv_json, TRUE);
    *reason = "map needs a JSON object";
    return RILL_VERDICT_REJECT;
  }
  GString *s = g_string_sized_new(root.len + 64);
  g_string_append_c(s, '{');
  gboolean first = TRUE;
  rill__json_iter iter;
  rill__json_span key, value;
  rill__json_iter_init(&iter, &root);
  while (rill__json_iter_member(&iter, &key, &value)) {
    gsize klen;
    const char *k = rill__json_string(&key, arena, FALSE, &klen);
    if (is_deleted(op, k, klen))
      continue;
    map_item *it = find_item(op, k, klen);
    if (!first)
      g_string_append_c(s, ',');
    first = FALSE;
    if (it && !it->expr) { /* rename */
      rill_json_append_string(s, it->to, (gssize)it->to_len);
      g_string_append_c(s, ':');
      rill__json_append_compact(s, &value);
    } else if (it) { /* set */
      guint i = (guint)(it - &g_array_index(op->items, map_item, 0));
      done[i] = TRUE;
      g_string_append_len(s, key.text, (gssize)key.len);
      g_string_append_c(s, ':');
      rill_expr_value_append_json(&vals[i], s);
    } else {
      g_string_append_len(s, key.text, (gssize)key.len);
      g_string_append_c(s, ':');
      rill__json_append_compact(s, &value);
    }
  }
  for (guint i = 0; i < n; i++) {
    map_item *it = &g_array_index(op->items, map_item, i);
    if (!it->expr || done[i])
      continue;
    if (!first)
      g_string_append_c(s, ',');
    first = FALSE;
    rill_json_append_string(s, it->name, (gssize)it->len);
    g_string_append_c(s, ':');
    rill_expr_value_append_json(&vals[i], s);
  }
  g_string_append_c(s, '}');
  out->value = copy_out(ctx, s->str, s->len);
  g_string_free(s, TRUE);
  if (csv_json)
    g_string_free(csv_json, TRUE);
  return RILL_VERDICT_KEEP;
}

/* ---- the callback ----------------------------------------------------------------- */

static rill_verdict op_apply(rill_ctx *ctx, rill_fields *fields, const rill_record *in, rill_record *out,
                             const char **reason, void *data)
{
  const expr_op *op = data;
  if (op->is_map)
    return map_apply(ctx, fields, out, reason, op);
  rill_expr_value v;
  eval(op->expr, fields, &v);
  if (op->kind == RILL__EXPR_STAGE_FILTER)
    return rill_expr_value_truthy(&v) ? RILL_VERDICT_KEEP : RILL_VERDICT_DROP;
  if (v.type == RILL_EXPR_NULL) {
    out->key = rill_bytes_make(NULL, 0);
  } else if (v.type == RILL_EXPR_STRING) {
    out->key = copy_out(ctx, v.text, v.len);
  } else {
    GString *s = g_string_new(NULL);
    rill_expr_value_append_text(&v, s);
    out->key = copy_out(ctx, s->str, s->len);
    g_string_free(s, TRUE);
  }
  return RILL_VERDICT_KEEP;
}

static rill_stage *add_stage(rill_launch_builder *b, const char *name, rill_stage *input, expr_op *op, int format,
                             const char *dead_letter, GError **error)
{
  GError *dl_error = NULL;
  rill_dead_letter *dl = rill__launch_dead_letter(b, dead_letter, &dl_error);
  if (dl_error) {
    g_propagate_error(error, dl_error);
    op_free(op);
    return NULL;
  }
  return rill_pipeline_add_parse(b->pipeline, name, input, (rill_fields_format)format, dl, op_apply, NULL, op,
                                 op_free);
}

/* Compiles @text, reporting errors at @param's value. */
static rill_expr *compile(rill_launch_builder *b, const char *param, const char *text, GError **error)
{
  GError *e = NULL;
  rill_expr *expr = rill_expr_compile(text, &e);
  if (!expr) {
    rill__launch_fail(b, param, error, RILL_LAUNCH_ERROR_INVALID_VALUE, "%s: %s", param, e->message);
    g_error_free(e);
  }
  return expr;
}

rill_stage *rill__expr_stage_add(rill_launch_builder *b, const char *name, rill_stage *input,
                                 rill__expr_stage_kind kind, const char *param, const char *text, int format,
                                 const char *dead_letter, GError **error)
{
  rill_expr *expr = compile(b, param, text, error);
  if (!expr)
    return NULL;
  expr_op *op = g_new0(expr_op, 1);
  op->kind = kind;
  op->expr = expr;
  return add_stage(b, name, input, op, format, dead_letter, error);
}

/* ---- the map element ---------------------------------------------------------------- */

typedef struct {
  char **deletes;
  int format;
  char *dead_letter;
} map_props;

static gboolean plain_name(const char *s)
{
  return *s && !strchr(s, '.');
}

static rill_stage *build_map(rill_launch_builder *b, const char *name, rill_stage *const *inputs, guint n_inputs,
                             GError **error)
{
  const map_props *p = rill__launch_props(b);
  expr_op *op = g_new0(expr_op, 1);
  op->is_map = TRUE;
  op->items = g_array_new(FALSE, TRUE, sizeof(map_item));
  op->deletes = g_strdupv(p->deletes);
  GHashTable *names = g_hash_table_new(g_str_hash, g_str_equal); /* output names, each once */
  for (guint i = 0; i < b->node->params->len; i++) {
    rill__launch_param *param = b->node->params->pdata[i];
    if (!param->passed)
      continue;
    gboolean set = g_str_has_prefix(param->key, "set."), rename = g_str_has_prefix(param->key, "rename.");
    const char *field = param->key + (set ? 4 : rename ? 7 : 0);
    const char *out_name = set ? field : param->value;
    if ((!set && !rename) || !plain_name(field) || (rename && !plain_name(param->value))) {
      rill__launch_fail(b, param->key, error, RILL_LAUNCH_ERROR_UNKNOWN_PARAMETER,
                        "'%s': map takes set.NAME=EXPR, rename.OLD=NEW and delete=NAMES (top-level names, no dots)",
                        param->key);
      goto fail;
    }
    if (g_hash_table_contains(names, out_name) || (rename && find_item(op, field, strlen(field)))) {
      rill__launch_fail(b, param->key, error, RILL_LAUNCH_ERROR_INVALID_VALUE,
                        "'%s' is set or renamed twice", g_hash_table_contains(names, out_name) ? out_name : field);
      goto fail;
    }
    map_item it = {g_strdup(field), strlen(field), NULL, NULL, 0};
    if (set) {
      it.expr = compile(b, param->key, param->value, error);
      if (!it.expr) {
        g_free(it.name);
        goto fail;
      }
    } else {
      it.to = g_strdup(param->value);
      it.to_len = strlen(param->value);
    }
    g_array_append_val(op->items, it);
    g_hash_table_add(names, (char *)out_name);
  }
  g_hash_table_unref(names);
  if (op->items->len == 0 && !(op->deletes && op->deletes[0])) {
    rill__launch_fail(b, NULL, error, RILL_LAUNCH_ERROR_MISSING_PARAMETER,
                      "nothing to do: give set.NAME=EXPR, rename.OLD=NEW or delete=NAMES");
    op_free(op);
    return NULL;
  }
  return add_stage(b, name, inputs[0], op, p->format, p->dead_letter, error);
fail:
  g_hash_table_unref(names);
  op_free(op);
  return NULL;
}

static const rill_launch_element elements[] = {
  {"map", RILL_LAUNCH_TRANSFORM,
   "set fields from expressions, rename and delete fields; the value becomes a JSON object (docs/expressions.md)",
   RILL__LAUNCH_PARAMS(map_props,
     {"delete", RILL__CONF_LIST, offsetof(map_props, deletes), 0, 0, NULL, NULL, NULL, NULL, "top-level fields to leave out, comma separated"},
     RILL__FIELD_ROWS(map_props)),
   .build = build_map,
   .pass_through = "set.NAME=EXPR sets field NAME to the expression's value; rename.OLD=NEW renames a field"},
};

RILL__LAUNCH_ELEMENTS_DEFINE(expr, elements)
