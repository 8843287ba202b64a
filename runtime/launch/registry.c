/* registry.c — the registry of launch elements: every element's name,
 * role, description and parameters (config-table rows: type, range,
 * default, doc) next to its build function, as its family declared them
 * beside its code. The parser sets values through the rows, and
 * `rill-run --list`, `--describe` and the element reference in
 * docs/rill-run.md are printed from them (a test checks the doc against
 * rill_launch_registry_reference_markdown).
 *
 * Invariant: elements are kept sorted by name (lookup is a binary search)
 * and names are unique. The registry borrows the entries (static tables).
 */
#include "runtime/launch/launch-private.h"

rill_launch_registry *rill_launch_registry_new(void)
{
  rill_launch_registry *r = g_new0(rill_launch_registry, 1);
  r->elements = g_ptr_array_new();
  return r;
}

void rill_launch_registry_free(rill_launch_registry *registry)
{
  if (!registry)
    return;
  g_ptr_array_unref(registry->elements);
  g_free(registry);
}

/* The index of @name, or where it would go (*found FALSE). */
static guint position(const rill_launch_registry *r, const char *name, gboolean *found)
{
  guint lo = 0, hi = r->elements->len;
  while (lo < hi) {
    guint mid = lo + (hi - lo) / 2;
    int c = strcmp(name, ((const rill_launch_element *)r->elements->pdata[mid])->name);
    if (c == 0) {
      *found = TRUE;
      return mid;
    }
    if (c < 0)
      hi = mid;
    else
      lo = mid + 1;
  }
  *found = FALSE;
  return lo;
}

void rill__launch_registry_add(rill_launch_registry *registry, const rill_launch_element *elements,
                               guint n_elements)
{
  g_return_if_fail(registry != NULL);
  g_return_if_fail(elements != NULL || n_elements == 0);
  for (guint i = 0; i < n_elements; i++) {
    gboolean found;
    guint at = position(registry, elements[i].name, &found);
    if (found) {
      g_critical("launch element '%s' is registered twice", elements[i].name);
      continue;
    }
    g_ptr_array_insert(registry->elements, (gint)at, (gpointer)&elements[i]);
  }
}

rill__conf_table rill__launch_element_table(const rill_launch_element *e)
{
  return (rill__conf_table){e->params, e->n_params, rill_launch_error_quark, RILL_LAUNCH_ERROR_INVALID_VALUE,
                            "parameter", TRUE};
}

void rill__launch_registry_set_dead_letters(rill_launch_registry *registry, rill__launch_dead_letter_fn open,
                                            GDestroyNotify unref)
{
  registry->dead_letter_open = open;
  registry->dead_letter_unref = unref;
}

const rill_launch_element *const *rill_launch_registry_elements(const rill_launch_registry *registry,
                                                                guint *n_elements)
{
  g_return_val_if_fail(registry != NULL, NULL);
  g_return_val_if_fail(n_elements != NULL, NULL);
  *n_elements = registry->elements->len;
  return (const rill_launch_element *const *)registry->elements->pdata;
}

const char *rill_launch_element_get_name(const rill_launch_element *element)
{
  g_return_val_if_fail(element != NULL, NULL);
  return element->name;
}

const rill_launch_element *rill_launch_registry_lookup(const rill_launch_registry *registry, const char *name)
{
  g_return_val_if_fail(registry != NULL, NULL);
  g_return_val_if_fail(name != NULL, NULL);
  gboolean found;
  guint at = position(registry, name, &found);
  return found ? registry->elements->pdata[at] : NULL;
}

static const char *role_name(rill_launch_role role)
{
  static const char *const names[] = {"source", "transform", "multi-input", "sink"};
  return names[role];
}


char *rill_launch_registry_list(const rill_launch_registry *registry)
{
  g_return_val_if_fail(registry != NULL, NULL);
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < registry->elements->len; i++) {
    const rill_launch_element *e = registry->elements->pdata[i];
    g_string_append_printf(s, "%-13s %-11s %s\n", e->name, role_name(e->role), e->description);
  }
  return g_string_free(s, FALSE);
}

char *rill_launch_element_describe(const rill_launch_element *e)
{
  g_return_val_if_fail(e != NULL, NULL);
  GString *s = g_string_new(NULL);
  g_string_append_printf(s, "%s (%s): %s\n\nparameters:\n", e->name, role_name(e->role), e->description);
  for (guint i = 0; i < e->n_params; i++) {
    const rill__conf_prop *p = &e->params[i];
    g_autofree char *range = rill__conf_range(p);
    g_string_append_printf(s, "  %-17s %-9s %s", p->name, rill__conf_type_name(p->type), p->doc);
    if (*range)
      g_string_append_printf(s, " [%s]", range);
    if (rill__conf_required(p))
      g_string_append(s, " (required)");
    else if (p->def)
      g_string_append_printf(s, " (default %s)", p->def);
    g_string_append_c(s, '\n');
  }
  if (e->pass_through)
    g_string_append_printf(s, "  %-17s %-9s %s\n", "*", "string", e->pass_through);
  g_string_append_printf(s, "  %-17s %-9s %s\n", "name", "string", "the stage name, for `NAME.` references");
  return g_string_free(s, FALSE);
}

/* Each element's table is the engine's reference of its rows (the format of
 * docs/CONFIGURATION.md), plus the pass-through row. */
char *rill_launch_registry_reference_markdown(const rill_launch_registry *registry)
{
  g_return_val_if_fail(registry != NULL, NULL);
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < registry->elements->len; i++) {
    const rill_launch_element *e = registry->elements->pdata[i];
    g_string_append_printf(s, "### %s\n\n%s (%s).\n\n", e->name, e->description, role_name(e->role));
    if (e->n_params == 0) {
      g_string_append(s, "No parameters besides `name`.\n\n");
      continue;
    }
    rill__conf_table t = rill__launch_element_table(e);
    g_autofree char *md = rill__conf_markdown(&t);
    g_string_append(s, md);
    if (e->pass_through)
      g_string_append_printf(s, "| `*` | string |  | – | %s |\n", e->pass_through);
    g_string_append_c(s, '\n');
  }
  return g_string_free(s, FALSE);
}
