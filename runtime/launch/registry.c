/* registry.c — the registry of launch elements: every element's name,
 * role, description and parameters (type, default, doc) next to its build
 * function, as its family declared them beside its code. The parser
 * validates against it, and `rill-run --list`, `--describe` and the element
 * reference in docs/rill-run.md are printed from it (a test checks the doc
 * against rill_launch_registry_reference_markdown).
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

void rill_launch_registry_add(rill_launch_registry *registry, const rill_launch_element *elements,
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

static const char *type_name(const rill_launch_param *p)
{
  static const char *const names[] = {"string", "integer", "boolean", "duration", "size", "enum", "list"};
  return p->type == RILL_LAUNCH_ENUM ? p->choices : names[p->type];
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
    const rill_launch_param *p = &e->params[i];
    g_string_append_printf(s, "  %-17s %-26s %s", p->name, type_name(p), p->doc);
    if (p->required)
      g_string_append(s, " (required)");
    else if (p->default_value)
      g_string_append_printf(s, " (default %s)", p->default_value);
    g_string_append_c(s, '\n');
  }
  g_string_append_printf(s, "  %-17s %-26s %s\n", "name", "string", "the stage name, for `NAME.` references");
  return g_string_free(s, FALSE);
}

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
    g_string_append(s, "| parameter | type | default | description |\n|---|---|---|---|\n");
    for (guint k = 0; k < e->n_params; k++) {
      const rill_launch_param *p = &e->params[k];
      char **parts = g_strsplit(type_name(p), "|", -1);
      char *type = g_strjoinv(" \\| ", parts);
      g_strfreev(parts);
      g_string_append_printf(s, "| `%s` | %s | %s | %s |\n", p->name, type,
                             p->required ? "required" : p->default_value ? p->default_value : "–", p->doc);
      g_free(type);
    }
    g_string_append_c(s, '\n');
  }
  return g_string_free(s, FALSE);
}
