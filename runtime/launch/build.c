/* build.c — a parsed launch tree to a pipeline: stages are added in
 * dependency order (inputs first, whatever order the text used), each by
 * its element's build function; shared resources (one rill_log per data
 * directory, one dead-letter output per target, opened by the registry's
 * dead-letter hook) are created on first use.
 *
 * Invariants: a node is built once (visit = 2) and a cycle is reported
 * (visit = 1 seen again); an element with several inputs whose role takes
 * one gets an implicit union "NAME.union"; everything created belongs to the
 * pipeline (stage user data, or rill_pipeline_add_cleanup for logs) so a
 * failed build frees it by unreffing the pipeline.
 */
#include "runtime/launch/launch-private.h"

/* ---- parameter getters ---------------------------------------------------- */

static rill__launch_param *find_param(rill_launch_builder *b, const char *key)
{
  for (guint i = 0; i < b->node->params->len; i++) {
    rill__launch_param *p = b->node->params->pdata[i];
    if (strcmp(p->key, key) == 0)
      return p;
  }
  return NULL;
}

const void *rill__launch_props(rill_launch_builder *b)
{
  return b->node->props;
}

gboolean rill__launch_has(rill_launch_builder *b, const char *key)
{
  return find_param(b, key) != NULL;
}

void rill__launch_fail(rill_launch_builder *b, const char *key, GError **error, rill_launch_error code,
                       const char *format, ...)
{
  va_list ap;
  va_start(ap, format);
  char *msg = g_strdup_vprintf(format, ap);
  va_end(ap);
  rill__launch_param *p = key ? find_param(b, key) : NULL;
  rill__launch_error_at(error, b->text, p ? p->value_pos : b->node->pos, code, "%s: %s", b->node->klass->name,
                        msg);
  g_free(msg);
}

char *rill__launch_sub_name(rill_launch_builder *b, const char *suffix)
{
  return g_strdup_printf("%s.%s", b->node->name, suffix);
}

rill__launch_node *rill__launch_input_node(rill_launch_builder *b, guint index)
{
  return index < b->node->inputs->len ? b->node->inputs->pdata[index] : NULL;
}

/* ---- shared resources ------------------------------------------------------ */

rill_dead_letter *rill__launch_dead_letter(rill_launch_builder *b, const char *target, GError **error)
{
  if (!target)
    return NULL;
  rill_dead_letter *dl = g_hash_table_lookup(b->dead_letters, target);
  if (dl)
    return dl;
  GError *bad = NULL;
  if (b->registry->dead_letter_open)
    dl = b->registry->dead_letter_open(target, &bad);
  if (!dl) {
    rill__launch_fail(b, "dead-letter", error, RILL_LAUNCH_ERROR_INVALID_VALUE, "%s",
                      bad ? bad->message : "no dead-letter targets are registered");
    g_clear_error(&bad);
    return NULL;
  }
  g_hash_table_insert(b->dead_letters, g_strdup(target), dl);
  return dl;
}

rill_log *rill__launch_log(rill_launch_builder *b, const char *dir, GError **error)
{
  rill_log *log = g_hash_table_lookup(b->logs, dir);
  if (log)
    return log;
  log = rill_log_open(dir, NULL, error);
  if (!log)
    return NULL;
  g_hash_table_insert(b->logs, g_strdup(dir), log);
  rill_pipeline_add_cleanup(b->pipeline, (GDestroyNotify)rill_log_close, log);
  return log;
}

/* ---- building --------------------------------------------------------------- */

static gboolean build_node(rill_launch_builder *b, rill__launch_node *n, GError **error)
{
  if (n->visit == 2)
    return TRUE;
  if (n->visit == 1) {
    rill__launch_error_at(error, b->text, n->pos, RILL_LAUNCH_ERROR_LINK,
                          "%s is part of a cycle: its output flows back into it", n->name);
    return FALSE;
  }
  n->visit = 1;
  for (guint i = 0; i < n->inputs->len; i++)
    if (!build_node(b, n->inputs->pdata[i], error))
      return FALSE;
  rill_stage **inputs = g_newa(rill_stage *, n->inputs->len + 1);
  guint n_inputs = n->inputs->len;
  for (guint i = 0; i < n_inputs; i++)
    inputs[i] = ((rill__launch_node *)n->inputs->pdata[i])->stage;
  b->node = n;
  if (n_inputs > 1 && n->klass->role != RILL_LAUNCH_MULTI) {
    char *uname = rill__launch_sub_name(b, "union");
    inputs[0] = rill_pipeline_add_union(b->pipeline, uname, inputs, n_inputs);
    g_free(uname);
    n_inputs = 1;
  }
  n->stage = n->klass->build(b, n->name, inputs, n_inputs, error);
  if (!n->stage) {
    if (error && !*error)
      rill__launch_error_at(error, b->text, n->pos, RILL_LAUNCH_ERROR_BUILD, "%s could not be built", n->name);
    return FALSE;
  }
  n->visit = 2;
  return TRUE;
}

/* Turns a lower-level error (file, log, window...) into a launch error
 * pointing at the element. */
static void locate_error(rill_launch_builder *b, GError **error)
{
  if (!error || !*error || (*error)->domain == RILL_LAUNCH_ERROR)
    return;
  GError *inner = *error;
  *error = NULL;
  rill__launch_error_at(error, b->text, b->node ? b->node->pos : 0, RILL_LAUNCH_ERROR_BUILD, "%s: %s",
                        b->node ? b->node->klass->name : "pipeline", inner->message);
  g_error_free(inner);
}

rill_pipeline *rill_launch_parse(const rill_launch_registry *registry, const char *text, GError **error)
{
  g_return_val_if_fail(registry != NULL, NULL);
  g_return_val_if_fail(text != NULL, NULL);
  g_return_val_if_fail(error == NULL || *error == NULL, NULL);
  GError *err = NULL;
  rill__launch_tree *tree = rill__launch_tree_parse(registry, text, &err);
  if (!tree) {
    g_propagate_error(error, err);
    return NULL;
  }
  rill_launch_builder b = {
    .registry = registry,
    .pipeline = rill_pipeline_new("rill-run"),
    .text = text,
    .logs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
    .dead_letters = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, registry->dead_letter_unref),
  };
  gboolean ok = TRUE;
  for (guint i = 0; ok && i < tree->nodes->len; i++)
    ok = build_node(&b, tree->nodes->pdata[i], &err);
  if (!ok) {
    locate_error(&b, &err);
    g_propagate_error(error, err);
    g_clear_pointer(&b.pipeline, rill_pipeline_unref);
  }
  g_hash_table_unref(b.logs);
  g_hash_table_unref(b.dead_letters);
  rill__launch_tree_free(tree);
  return b.pipeline;
}
