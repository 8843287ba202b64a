/* config-table.c — parsing, defaults, formatting and the Markdown reference
 * for every configuration table (see config-table.h). A value is parsed into
 * a local first and stored only once it is valid, so a failed set leaves the
 * settings untouched. */
#include "runtime/config-table.h"

#include <stdarg.h>
#include <string.h>

/* One parsed value, before it is stored. */
typedef union {
  char *s;
  gboolean b;
  int64_t i;
} value;

static void *field_of(const rill__conf_prop *p, void *settings)
{
  return (char *)settings + p->offset;
}

static const void *cfield_of(const rill__conf_prop *p, const void *settings)
{
  return (const char *)settings + p->offset;
}

const rill__conf_prop *rill__conf_find(const rill__conf_table *t, const char *name)
{
  for (guint i = 0; i < t->n_props; i++) {
    const rill__conf_prop *p = &t->props[i];
    if (strcmp(p->name, name) == 0 || (p->alias && strcmp(p->alias, name) == 0))
      return p;
  }
  return NULL;
}

/* ---- enums -------------------------------------------------------------- */

/* The value @name stands for among @choices, or FALSE when it is none of them. */
static gboolean enum_value(const char *choices, const char *name, int *out)
{
  g_auto(GStrv) c = g_strsplit(choices, "|", -1);
  int plain = 0;
  for (char **q = c; *q; q++) {
    char *eq = strchr(*q, '=');
    int v = eq ? (int)g_ascii_strtoll(eq + 1, NULL, 10) : plain++;
    if (eq)
      *eq = '\0';
    if (strcmp(*q, name) == 0) {
      *out = v;
      return TRUE;
    }
  }
  return FALSE;
}

/* "a, b, c": every accepted name of @choices. (transfer full) */
static char *enum_names(const char *choices)
{
  g_auto(GStrv) c = g_strsplit(choices, "|", -1);
  for (char **q = c; *q; q++) {
    char *eq = strchr(*q, '=');
    if (eq)
      *eq = '\0';
  }
  return g_strjoinv(", ", c);
}

/* The first name of @choices standing for @v. (transfer full) */
static char *enum_name(const char *choices, int v)
{
  g_auto(GStrv) c = g_strsplit(choices, "|", -1);
  for (char **q = c; *q; q++) {
    char *eq = strchr(*q, '=');
    if (eq)
      *eq = '\0';
    int w;
    if (enum_value(choices, *q, &w) && w == v)
      return g_strdup(*q);
  }
  return g_strdup_printf("%d", v);
}

/* ---- parse and store ---------------------------------------------------- */

static gboolean fail(const rill__conf_table *t, GError **error, const char *format, ...) G_GNUC_PRINTF(3, 4);

static gboolean fail(const rill__conf_table *t, GError **error, const char *format, ...)
{
  va_list ap;
  va_start(ap, format);
  g_autofree char *msg = g_strdup_vprintf(format, ap);
  va_end(ap);
  g_set_error_literal(error, t->domain(), t->code, msg);
  return FALSE;
}

static gboolean parse(const rill__conf_table *t, const rill__conf_prop *p, const char *text, value *out,
                      GError **error)
{
  switch (p->type) {
  case RILL__CONF_STRING:
    out->s = g_strdup(text);
    return TRUE;
  case RILL__CONF_BOOL:
    if (g_ascii_strcasecmp(text, "true") == 0 || strcmp(text, "1") == 0)
      out->b = TRUE;
    else if (g_ascii_strcasecmp(text, "false") == 0 || strcmp(text, "0") == 0)
      out->b = FALSE;
    else
      return fail(t, error, "%s: '%s' is not one of true, false", p->name, text);
    return TRUE;
  case RILL__CONF_INT32:
  case RILL__CONF_INT64: {
    gint64 v;
    if (!g_ascii_string_to_signed(text, 10, G_MININT64, G_MAXINT64, &v, NULL))
      return fail(t, error, "%s: '%s' is not an integer", p->name, text);
    if (v < p->min || v > p->max)
      return fail(t, error, "%s: %s is outside [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT "]", p->name, text,
                  p->min, p->max);
    out->i = v;
    return TRUE;
  }
  case RILL__CONF_ENUM: {
    int v;
    if (!enum_value(p->choices, text, &v)) {
      g_autofree char *names = enum_names(p->choices);
      return fail(t, error, "%s: '%s' is not one of %s", p->name, text, names);
    }
    out->i = v;
    return TRUE;
  }
  }
  g_assert_not_reached();
}

static void store(const rill__conf_prop *p, void *settings, value v)
{
  void *f = field_of(p, settings);
  switch (p->type) {
  case RILL__CONF_STRING:
    g_free(*(char **)f);
    *(char **)f = v.s;
    break;
  case RILL__CONF_BOOL: *(gboolean *)f = v.b; break;
  case RILL__CONF_INT32: *(int32_t *)f = (int32_t)v.i; break;
  case RILL__CONF_INT64: *(int64_t *)f = v.i; break;
  case RILL__CONF_ENUM: *(int *)f = (int)v.i; break;
  }
}

gboolean rill__conf_set(const rill__conf_table *t, void *settings, const char *name, const char *text,
                        GError **error)
{
  const rill__conf_prop *p = rill__conf_find(t, name);
  if (!p)
    return fail(t, error, "unknown %s '%s'", t->noun, name);
  value v;
  if (!parse(t, p, text, &v, error))
    return FALSE;
  store(p, settings, v);
  return TRUE;
}

void rill__conf_init(const rill__conf_table *t, void *settings)
{
  for (guint i = 0; i < t->n_props; i++) {
    value v;
    gboolean ok = parse(t, &t->props[i], t->props[i].def, &v, NULL);
    g_assert(ok); /* a table's defaults are valid: the engine's tests check every table */
    if (t->props[i].type == RILL__CONF_STRING)
      *(char **)field_of(&t->props[i], settings) = NULL;
    store(&t->props[i], settings, v);
  }
}

void rill__conf_dup_strings(const rill__conf_table *t, void *settings)
{
  for (guint i = 0; i < t->n_props; i++)
    if (t->props[i].type == RILL__CONF_STRING) {
      char **f = field_of(&t->props[i], settings);
      *f = g_strdup(*f);
    }
}

void rill__conf_clear(const rill__conf_table *t, void *settings)
{
  for (guint i = 0; i < t->n_props; i++)
    if (t->props[i].type == RILL__CONF_STRING)
      g_clear_pointer((char **)field_of(&t->props[i], settings), g_free);
}

char *rill__conf_format(const rill__conf_prop *p, const void *settings)
{
  const void *f = cfield_of(p, settings);
  switch (p->type) {
  case RILL__CONF_STRING: return g_strdup(*(char *const *)f ? *(char *const *)f : "");
  case RILL__CONF_BOOL: return g_strdup(*(const gboolean *)f ? "true" : "false");
  case RILL__CONF_INT32: return g_strdup_printf("%" G_GINT32_FORMAT, *(const int32_t *)f);
  case RILL__CONF_INT64: return g_strdup_printf("%" G_GINT64_FORMAT, *(const int64_t *)f);
  case RILL__CONF_ENUM: return enum_name(p->choices, *(const int *)f);
  }
  g_assert_not_reached();
}

/* ---- the reference ------------------------------------------------------ */

char *rill__conf_markdown(const rill__conf_table *t)
{
  static const char *const type_names[] = {"string", "boolean", "int", "long", "enum"};
  gboolean topic_column = FALSE;
  for (guint i = 0; i < t->n_props; i++)
    topic_column |= t->props[i].topic_key != NULL;
  GString *md = g_string_new(topic_column ? "| Property | Type | Range / values | Default | Topic config | Description |\n"
                                            "|---|---|---|---|---|---|\n"
                                          : "| Property | Type | Range / values | Default | Description |\n"
                                            "|---|---|---|---|---|\n");
  for (guint i = 0; i < t->n_props; i++) {
    const rill__conf_prop *p = &t->props[i];
    g_autofree char *range = NULL;
    switch (p->type) {
    case RILL__CONF_STRING: range = g_strdup(""); break;
    case RILL__CONF_BOOL: range = g_strdup("true, false"); break;
    case RILL__CONF_INT32:
    case RILL__CONF_INT64:
      range = g_strdup_printf("%" G_GINT64_FORMAT " .. %" G_GINT64_FORMAT, p->min, p->max);
      break;
    case RILL__CONF_ENUM: range = enum_names(p->choices); break;
    }
    g_string_append_printf(md, "| `%s`", p->name);
    if (p->alias)
      g_string_append_printf(md, " (alias `%s`)", p->alias);
    g_string_append_printf(md, " | %s | %s | `%s` |", type_names[p->type], range, p->def);
    if (topic_column)
      g_string_append_printf(md, " %s |", p->topic_key ? p->topic_key : "");
    g_string_append_printf(md, " %s |\n", p->doc);
  }
  return g_string_free(md, FALSE);
}
