/* config-table.c — parsing, defaults, formatting and the Markdown reference
 * for every configuration table (see config-table.h). A value is parsed into
 * a local first and stored only once it is valid, so a failed set leaves the
 * settings untouched. */
#include "runtime/config-table.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

const char rill__conf_required_mark[] = "(required)";

/* One parsed value, before it is stored. */
typedef union {
  char *s;
  char **l;
  gboolean b;
  int64_t i;
} value;

gboolean rill__conf_required(const rill__conf_prop *p)
{
  return p->def == RILL__CONF_REQUIRED;
}

/* A row with a default to parse (neither NULL nor required). */
static gboolean has_default(const rill__conf_prop *p)
{
  return p->def && !rill__conf_required(p);
}

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

/* ---- durations and sizes ------------------------------------------------- */

typedef struct {
  const char *name;
  int64_t scale;
} unit;

/* Formatting picks the first unit of the list that divides the value, so
 * the largest units come first and synonyms ("min", "K") after theirs. */
static const unit duration_units[] = {{"d", 86400000}, {"h", 3600000}, {"m", 60000}, {"min", 60000},
                                      {"s", 1000},     {"ms", 1}};
static const unit size_units[] = {{"GiB", 1 << 30}, {"G", 1 << 30}, {"GB", 1 << 30}, {"MiB", 1 << 20},
                                  {"M", 1 << 20},   {"MB", 1 << 20}, {"KiB", 1 << 10}, {"k", 1 << 10},
                                  {"K", 1 << 10},   {"KB", 1 << 10}, {"B", 1}};

static const unit *units_of(const rill__conf_prop *p, guint *n)
{
  *n = p->type == RILL__CONF_DURATION ? G_N_ELEMENTS(duration_units) : G_N_ELEMENTS(size_units);
  return p->type == RILL__CONF_DURATION ? duration_units : size_units;
}

/* NUMBER[UNIT], a bare number in the smallest unit; FALSE unless the whole
 * text is one non-negative amount that fits an int64_t. */
static gboolean scaled_parse(const unit *units, guint n, const char *text, int64_t *out)
{
  if (!g_ascii_isdigit(*text))
    return FALSE;
  char *end;
  errno = 0;
  guint64 v = g_ascii_strtoull(text, &end, 10);
  if (errno)
    return FALSE;
  int64_t scale = *end ? 0 : 1;
  for (guint i = 0; i < n && !scale; i++)
    if (strcmp(end, units[i].name) == 0)
      scale = units[i].scale;
  if (!scale || v > (guint64)(G_MAXINT64 / scale))
    return FALSE;
  *out = (int64_t)v * scale;
  return TRUE;
}

/* @v in the largest unit that is exact ("0" bare). (transfer full) */
static char *scaled_format(const unit *units, guint n, int64_t v)
{
  for (guint i = 0; v && i < n; i++)
    if (v % units[i].scale == 0)
      return g_strdup_printf("%" G_GINT64_FORMAT "%s", v / units[i].scale, units[i].name);
  return g_strdup_printf("%" G_GINT64_FORMAT, v);
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

static gboolean parse_bool(const rill__conf_table *t, const char *text, gboolean *out)
{
  static const char *const yes[] = {"true", "1", "yes", "on"}, *const no[] = {"false", "0", "no", "off"};
  for (guint i = 0; i < (t->bool_words ? G_N_ELEMENTS(yes) : 2); i++) {
    if (g_ascii_strcasecmp(text, yes[i]) == 0)
      *out = TRUE;
    else if (g_ascii_strcasecmp(text, no[i]) == 0)
      *out = FALSE;
    else
      continue;
    return TRUE;
  }
  return FALSE;
}

/* The items of a comma-separated list. (transfer full) */
static char **parse_list(const char *text)
{
  g_auto(GStrv) parts = g_strsplit(text, ",", -1);
  GPtrArray *items = g_ptr_array_new();
  for (char **q = parts; *q; q++)
    if (*g_strstrip(*q))
      g_ptr_array_add(items, g_strdup(*q));
  g_ptr_array_add(items, NULL);
  return (char **)g_ptr_array_free(items, FALSE);
}

/* "[min, max]" or "at least min", in @p's units. (transfer full) */
static char *scaled_range(const rill__conf_prop *p)
{
  guint n;
  const unit *units = units_of(p, &n);
  g_autofree char *lo = scaled_format(units, n, p->min);
  if (p->max == G_MAXINT64)
    return g_strdup_printf("at least %s", lo);
  g_autofree char *hi = scaled_format(units, n, p->max);
  return g_strdup_printf("%s .. %s", lo, hi);
}

static gboolean parse(const rill__conf_table *t, const rill__conf_prop *p, const char *text, value *out,
                      GError **error)
{
  switch (p->type) {
  case RILL__CONF_STRING:
    out->s = g_strdup(text);
    return TRUE;
  case RILL__CONF_LIST:
    out->l = parse_list(text);
    return TRUE;
  case RILL__CONF_BOOL:
    if (parse_bool(t, text, &out->b))
      return TRUE;
    if (t->bool_words)
      return fail(t, error, "%s: '%s' is not a boolean (true/false, yes/no, on/off, 1/0)", p->name, text);
    return fail(t, error, "%s: '%s' is not one of true, false", p->name, text);
  case RILL__CONF_DURATION:
  case RILL__CONF_SIZE: {
    guint n;
    const unit *units = units_of(p, &n);
    if (!scaled_parse(units, n, text, &out->i)) {
      if (p->type == RILL__CONF_DURATION)
        return fail(t, error, "%s: '%s' is not a duration (e.g. 500ms, 60s, 5m, 1h; a bare number is ms)",
                    p->name, text);
      return fail(t, error, "%s: '%s' is not a size (e.g. 4096, 64k, 100MiB, 1G)", p->name, text);
    }
    if (out->i < p->min || out->i > p->max) {
      g_autofree char *lo = scaled_format(units, n, p->min), *hi = scaled_format(units, n, p->max);
      if (p->max == G_MAXINT64)
        return fail(t, error, "%s: %s is less than %s", p->name, text, lo);
      return fail(t, error, "%s: %s is outside [%s, %s]", p->name, text, lo, hi);
    }
    return TRUE;
  }
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
  case RILL__CONF_LIST:
    g_strfreev(*(char ***)f);
    *(char ***)f = v.l;
    break;
  case RILL__CONF_BOOL: *(gboolean *)f = v.b; break;
  case RILL__CONF_INT32: *(int32_t *)f = (int32_t)v.i; break;
  case RILL__CONF_INT64:
  case RILL__CONF_DURATION:
  case RILL__CONF_SIZE: *(int64_t *)f = v.i; break;
  case RILL__CONF_ENUM: *(int *)f = (int)v.i; break;
  }
}

/* Whether rows of this type own heap memory in their field. */
static gboolean owns_memory(const rill__conf_prop *p)
{
  return p->type == RILL__CONF_STRING || p->type == RILL__CONF_LIST;
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
    const rill__conf_prop *p = &t->props[i];
    value v = {0};
    if (has_default(p)) {
      gboolean ok = parse(t, p, p->def, &v, NULL);
      g_assert(ok); /* a table's defaults are valid: the engine's tests check every table */
    }
    if (owns_memory(p))
      *(void **)field_of(p, settings) = NULL;
    store(p, settings, v);
  }
}

void rill__conf_dup_strings(const rill__conf_table *t, void *settings)
{
  for (guint i = 0; i < t->n_props; i++) {
    void *f = field_of(&t->props[i], settings);
    if (t->props[i].type == RILL__CONF_STRING)
      *(char **)f = g_strdup(*(char **)f);
    else if (t->props[i].type == RILL__CONF_LIST)
      *(char ***)f = g_strdupv(*(char ***)f);
  }
}

void rill__conf_clear(const rill__conf_table *t, void *settings)
{
  for (guint i = 0; i < t->n_props; i++) {
    void *f = field_of(&t->props[i], settings);
    if (t->props[i].type == RILL__CONF_STRING)
      g_clear_pointer((char **)f, g_free);
    else if (t->props[i].type == RILL__CONF_LIST)
      g_clear_pointer((char ***)f, g_strfreev);
  }
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
  case RILL__CONF_DURATION:
  case RILL__CONF_SIZE: {
    guint n;
    const unit *units = units_of(p, &n);
    return scaled_format(units, n, *(const int64_t *)f);
  }
  case RILL__CONF_LIST: {
    char *const *l = *(char **const *)f;
    return l ? g_strjoinv(",", (char **)l) : g_strdup("");
  }
  }
  g_assert_not_reached();
}

/* ---- the reference ------------------------------------------------------ */

const char *rill__conf_type_name(rill__conf_type type)
{
  static const char *const names[] = {"string", "boolean", "int", "long", "enum", "duration", "size", "list"};
  return names[type];
}

char *rill__conf_range(const rill__conf_prop *p)
{
  switch (p->type) {
  case RILL__CONF_STRING: return g_strdup("");
  case RILL__CONF_BOOL: return g_strdup("true, false");
  case RILL__CONF_INT32:
  case RILL__CONF_INT64: return g_strdup_printf("%" G_GINT64_FORMAT " .. %" G_GINT64_FORMAT, p->min, p->max);
  case RILL__CONF_ENUM: return enum_names(p->choices);
  case RILL__CONF_DURATION:
  case RILL__CONF_SIZE: return p->min == 0 && p->max == G_MAXINT64 ? g_strdup("") : scaled_range(p);
  case RILL__CONF_LIST: return g_strdup("comma separated");
  }
  g_assert_not_reached();
}

char *rill__conf_markdown(const rill__conf_table *t)
{
  gboolean topic_column = FALSE;
  for (guint i = 0; i < t->n_props; i++)
    topic_column |= t->props[i].topic_key != NULL;
  GString *md = g_string_new(topic_column ? "| Property | Type | Range / values | Default | Topic config | Description |\n"
                                            "|---|---|---|---|---|---|\n"
                                          : "| Property | Type | Range / values | Default | Description |\n"
                                            "|---|---|---|---|---|\n");
  for (guint i = 0; i < t->n_props; i++) {
    const rill__conf_prop *p = &t->props[i];
    g_autofree char *range = rill__conf_range(p);
    g_string_append_printf(md, "| `%s`", p->name);
    if (p->alias)
      g_string_append_printf(md, " (alias `%s`)", p->alias);
    g_string_append_printf(md, " | %s | %s | ", rill__conf_type_name(p->type), range);
    if (has_default(p))
      g_string_append_printf(md, "`%s` |", p->def);
    else
      g_string_append(md, rill__conf_required(p) ? "required |" : "– |");
    if (topic_column)
      g_string_append_printf(md, " %s |", p->topic_key ? p->topic_key : "");
    g_string_append_printf(md, " %s |\n", p->doc);
  }
  return g_string_free(md, FALSE);
}
