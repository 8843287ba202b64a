/* fields.c — rill_fields: parse a JSON or CSV value, read fields by name,
 * path or index, and format the parsed record as JSON or CSV.
 *
 * Invariants: strings handed out live in the parser tree (JSON), the input
 * or scratch (CSV), or `rendered` (numbers, nested values), all of which are
 * kept until the next parse. Column names come from set_columns, else from
 * the last "csv-header" seen (cached: re-split only when it changes); an
 * empty "csv-header" (a CSV source without a header row) or none means no
 * names: columns are then c1..cN.
 */
#include <rill/fields.h>
#include <rill/typed.h>

#include "operators/csv.h"
#include "operators/typed-private.h"

#include <errno.h>
#include <json-glib/json-glib.h>
#include <stdlib.h>

G_DEFINE_QUARK(rill-fields-error-quark, rill_fields_error)

struct rill_fields {
  rill_fields_format format;
  char sep;
  /* JSON */
  JsonParser *parser;
  JsonNode *root;             /* not refcounted: owned by parser */
  /* CSV */
  GArray *row;                /* rill__csv_field */
  GString *scratch;
  char **columns;             /* set_columns; NULL-terminated */
  char *header_text;          /* the csv-header the cached names came from */
  gsize header_len;
  char **header_columns;      /* names split from header_text */
  char **type_names;          /* set_types: columns with a type, NULL-terminated */
  rill_value_type *types;     /* their types */
  /* rendered values, freed at the next parse */
  GPtrArray *rendered;
};

rill_fields *rill_fields_new(rill_fields_format format)
{
  rill_fields *f = g_new0(rill_fields, 1);
  f->format = format;
  f->sep = ',';
  if (format == RILL_FIELDS_JSON)
    f->parser = json_parser_new_immutable();
  f->row = g_array_new(FALSE, FALSE, sizeof(rill__csv_field));
  f->scratch = g_string_new(NULL);
  f->rendered = g_ptr_array_new_with_free_func(g_free);
  return f;
}

void rill_fields_free(rill_fields *fields)
{
  if (!fields)
    return;
  g_clear_object(&fields->parser);
  g_array_unref(fields->row);
  g_string_free(fields->scratch, TRUE);
  g_strfreev(fields->columns);
  g_free(fields->header_text);
  g_strfreev(fields->header_columns);
  g_strfreev(fields->type_names);
  g_free(fields->types);
  g_ptr_array_unref(fields->rendered);
  g_free(fields);
}

void rill_fields_set_separator(rill_fields *fields, char separator)
{
  g_return_if_fail(fields != NULL && separator != '"' && separator != '\n');
  fields->sep = separator;
}

void rill_fields_set_columns(rill_fields *fields, const char *const *names)
{
  g_return_if_fail(fields != NULL);
  g_strfreev(fields->columns);
  fields->columns = names ? g_strdupv((char **)names) : NULL;
}

void rill_fields_set_types(rill_fields *fields, const char *const *names, const rill_value_type *types)
{
  g_return_if_fail(fields != NULL && (names == NULL || types != NULL));
  g_strfreev(fields->type_names);
  g_free(fields->types);
  guint n = names ? g_strv_length((char **)names) : 0;
  fields->type_names = names ? g_strdupv((char **)names) : NULL;
  fields->types = n ? g_memdup2(types, n * sizeof *types) : NULL;
}

/* ---- parsing ------------------------------------------------------------ */

gboolean rill_fields_parse(rill_fields *fields, const void *data, size_t len, GError **error)
{
  g_return_val_if_fail(fields != NULL && (data != NULL || len == 0), FALSE);
  rill_fields *f = fields;
  g_ptr_array_set_size(f->rendered, 0);
  if (f->format == RILL_FIELDS_CSV)
    return rill__csv_split(data ? data : "", len, f->sep, f->row, f->scratch, error);
  f->root = NULL;
  GError *err = NULL;
  if (!json_parser_load_from_data(f->parser, data ? data : "", (gssize)len, &err)) {
    g_set_error(error, RILL_FIELDS_ERROR, RILL_FIELDS_ERROR_PARSE, "malformed JSON: %s", err->message);
    g_error_free(err);
    return FALSE;
  }
  f->root = json_parser_get_root(f->parser);
  if (!f->root) {
    g_set_error_literal(error, RILL_FIELDS_ERROR, RILL_FIELDS_ERROR_PARSE, "malformed JSON: empty value");
    return FALSE;
  }
  return TRUE;
}

static void pick_header(rill_fields *f, const rill_record *record)
{
  const rill_bytes *h = rill_record_header(record, "csv-header");
  if (!h || f->columns)
    return;
  if (f->header_text && f->header_len == h->len && memcmp(f->header_text, h->data, h->len) == 0)
    return;
  g_free(f->header_text);
  g_strfreev(f->header_columns);
  f->header_text = g_strndup((const char *)h->data, h->len);
  f->header_len = h->len;
  GArray *row = g_array_new(FALSE, FALSE, sizeof(rill__csv_field));
  GString *scratch = g_string_new(NULL);
  GPtrArray *names = g_ptr_array_new();
  /* An empty header row names nothing (c1..cN). */
  if (f->header_len && rill__csv_split(f->header_text, f->header_len, f->sep, row, scratch, NULL))
    for (guint i = 0; i < row->len; i++) {
      rill__csv_field *c = &g_array_index(row, rill__csv_field, i);
      g_ptr_array_add(names, c->data ? g_strndup(c->data, c->len) : g_strdup(""));
    }
  g_ptr_array_add(names, NULL);
  f->header_columns = (char **)g_ptr_array_free(names, FALSE);
  g_array_unref(row);
  g_string_free(scratch, TRUE);
}

gboolean rill_fields_parse_record(rill_fields *fields, const rill_record *record, GError **error)
{
  g_return_val_if_fail(fields != NULL && record != NULL, FALSE);
  if (!record->value.data) {
    g_set_error_literal(error, RILL_FIELDS_ERROR, RILL_FIELDS_ERROR_NO_VALUE, "the record has no value");
    return FALSE;
  }
  if (fields->format == RILL_FIELDS_CSV)
    pick_header(fields, record);
  return rill_fields_parse(fields, record->value.data, record->value.len, error);
}

/* ---- lookup ------------------------------------------------------------- */

/* NULL when the columns have no names (then they are c1..cN). */
static char *const *column_names(rill_fields *f)
{
  char *const *names = f->columns ? f->columns : f->header_columns;
  return names && names[0] ? names : NULL;
}

gboolean rill_fields_csv_has_names(rill_fields *fields)
{
  g_return_val_if_fail(fields != NULL, FALSE);
  return column_names(fields) != NULL;
}

/* "c1".."cN" to 0..N-1; -1 otherwise. */
static int positional(const char *name)
{
  if (name[0] != 'c' || name[1] < '1' || name[1] > '9')
    return -1;
  char *end;
  guint64 n = g_ascii_strtoull(name + 1, &end, 10);
  return *end || n > 100000 ? -1 : (int)n - 1;
}

/* The column @name (by header name, else c1..cN when there are no names);
 * *@known says whether the name is a column at all (a short row's missing
 * column is known but NULL). */
static const rill__csv_field *csv_lookup(rill_fields *f, const char *name, gboolean *known)
{
  char *const *names = column_names(f);
  int at = -1;
  if (names) {
    for (guint i = 0; names[i] && at < 0; i++)
      if (strcmp(names[i], name) == 0)
        at = (int)i;
  } else {
    at = positional(name);
  }
  *known = at >= 0;
  return at >= 0 && (guint)at < f->row->len ? &g_array_index(f->row, rill__csv_field, at) : NULL;
}

static const rill__csv_field *csv_field(rill_fields *f, const char *name)
{
  gboolean known;
  return csv_lookup(f, name, &known);
}

gboolean rill_fields_csv_knows(rill_fields *fields, const char *name)
{
  g_return_val_if_fail(fields != NULL && name != NULL, FALSE);
  gboolean known = TRUE;
  if (fields->format == RILL_FIELDS_CSV)
    csv_lookup(fields, name, &known);
  return known;
}

static rill_value_type column_type(rill_fields *f, const char *name)
{
  for (guint i = 0; f->type_names && f->type_names[i]; i++)
    if (strcmp(f->type_names[i], name) == 0)
      return f->types[i];
  return RILL_VALUE_AUTO;
}

/* A CSV field as a typed JSON value; a value that does not convert to its
 * set type is written as a string (the parse stage checks types first). */
static void csv_value_json(rill_fields *f, const char *name, const rill__csv_field *c, GString *out)
{
  if (!rill_value_append_json(out, c ? c->data : NULL, c ? c->len : 0, column_type(f, name), NULL))
    rill_json_append_string(out, c->data, (gssize)c->len);
}

gboolean rill_fields_check_types(rill_fields *fields, GError **error)
{
  g_return_val_if_fail(fields != NULL, FALSE);
  GString *scratch = NULL;
  gboolean ok = TRUE;
  for (guint i = 0; ok && fields->type_names && fields->type_names[i]; i++) {
    const rill__csv_field *c = csv_field(fields, fields->type_names[i]);
    if (!c || !c->data)
      continue;
    if (!scratch)
      scratch = g_string_new(NULL);
    GError *err = NULL;
    ok = rill_value_append_json(scratch, c->data, c->len, fields->types[i], &err);
    if (!ok) {
      g_set_error(error, RILL_FIELDS_ERROR, RILL_FIELDS_ERROR_TYPE, "column %s: %s", fields->type_names[i],
                  err->message);
      g_error_free(err);
    }
  }
  if (scratch)
    g_string_free(scratch, TRUE);
  return ok;
}

/* Walks "a.b.0.c" from the root; NULL when any step is missing. */
static JsonNode *json_lookup(rill_fields *f, const char *path)
{
  JsonNode *node = f->root;
  const char *p = path;
  while (node && *p) {
    const char *dot = strchr(p, '.');
    gsize n = dot ? (gsize)(dot - p) : strlen(p);
    char seg[256];
    if (n >= sizeof seg)
      return NULL;
    memcpy(seg, p, n);
    seg[n] = '\0';
    if (JSON_NODE_HOLDS_OBJECT(node)) {
      node = json_object_get_member(json_node_get_object(node), seg);
    } else if (JSON_NODE_HOLDS_ARRAY(node)) {
      char *end;
      guint64 idx = g_ascii_strtoull(seg, &end, 10);
      JsonArray *a = json_node_get_array(node);
      node = (*end || n == 0 || idx >= json_array_get_length(a)) ? NULL : json_array_get_element(a, (guint)idx);
    } else {
      return NULL;
    }
    p += n;
    if (*p == '.')
      p++;
  }
  return node;
}

static const char *keep(rill_fields *f, char *s, size_t *len)
{
  g_ptr_array_add(f->rendered, s);
  if (len)
    *len = strlen(s);
  return s;
}

static char *node_to_string(JsonNode *node)
{
  GString *s = g_string_new(NULL);
  rill__json_append_node(s, node);
  return g_string_free(s, FALSE);
}

/* A JSON node as text (strings as they are, the rest as JSON). */
static const char *json_text(rill_fields *f, JsonNode *node, size_t *len)
{
  if (!node || JSON_NODE_HOLDS_NULL(node))
    return NULL;
  if (JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_STRING) {
    const char *s = json_node_get_string(node);
    if (len)
      *len = strlen(s);
    return s;
  }
  return keep(f, node_to_string(node), len);
}

gboolean rill_fields_has(rill_fields *fields, const char *name)
{
  g_return_val_if_fail(fields != NULL && name != NULL, FALSE);
  if (fields->format == RILL_FIELDS_CSV)
    return csv_field(fields, name) != NULL;
  return json_lookup(fields, name) != NULL;
}

const char *rill_fields_get_string(rill_fields *fields, const char *name, size_t *len)
{
  g_return_val_if_fail(fields != NULL && name != NULL, NULL);
  if (fields->format == RILL_FIELDS_JSON)
    return json_text(fields, json_lookup(fields, name), len);
  const rill__csv_field *c = csv_field(fields, name);
  if (!c || !c->data)
    return NULL;
  if (len)
    *len = c->len;
  /* CSV views are not NUL-terminated; hand out a terminated copy. */
  return keep(fields, g_strndup(c->data, c->len), NULL);
}

gboolean rill_fields_append_json(rill_fields *fields, const char *name, GString *out)
{
  g_return_val_if_fail(fields != NULL && name != NULL && out != NULL, FALSE);
  if (fields->format == RILL_FIELDS_CSV) {
    gboolean known;
    const rill__csv_field *c = csv_lookup(fields, name, &known);
    csv_value_json(fields, name, c, out);
    return known;
  }
  JsonNode *node = json_lookup(fields, name);
  if (!node) {
    g_string_append(out, "null");
    return FALSE;
  }
  rill__json_append_node(out, node);
  return TRUE;
}

gboolean rill_fields_get_int(rill_fields *fields, const char *name, gint64 *value)
{
  g_return_val_if_fail(fields != NULL && name != NULL && value != NULL, FALSE);
  if (fields->format == RILL_FIELDS_JSON) {
    JsonNode *n = json_lookup(fields, name);
    if (!n || !JSON_NODE_HOLDS_VALUE(n))
      return FALSE;
    GType t = json_node_get_value_type(n);
    if (t == G_TYPE_INT64) {
      *value = json_node_get_int(n);
      return TRUE;
    }
    if (t == G_TYPE_DOUBLE) {
      double d = json_node_get_double(n);
      if (d != (double)(gint64)d)
        return FALSE;
      *value = (gint64)d;
      return TRUE;
    }
    if (t != G_TYPE_STRING)
      return FALSE;
  }
  const char *s = rill_fields_get_string(fields, name, NULL);
  if (!s || !*s)
    return FALSE;
  char *end;
  errno = 0;
  gint64 v = g_ascii_strtoll(s, &end, 10);
  if (*end || errno)
    return FALSE;
  *value = v;
  return TRUE;
}

gboolean rill_fields_get_double(rill_fields *fields, const char *name, double *value)
{
  g_return_val_if_fail(fields != NULL && name != NULL && value != NULL, FALSE);
  if (fields->format == RILL_FIELDS_JSON) {
    JsonNode *n = json_lookup(fields, name);
    if (!n || !JSON_NODE_HOLDS_VALUE(n))
      return FALSE;
    GType t = json_node_get_value_type(n);
    if (t == G_TYPE_INT64 || t == G_TYPE_DOUBLE) {
      *value = json_node_get_double(n);
      return TRUE;
    }
    if (t != G_TYPE_STRING)
      return FALSE;
  }
  const char *s = rill_fields_get_string(fields, name, NULL);
  if (!s || !*s)
    return FALSE;
  char *end;
  double v = g_ascii_strtod(s, &end);
  if (*end)
    return FALSE;
  *value = v;
  return TRUE;
}

guint rill_fields_n_columns(rill_fields *fields)
{
  g_return_val_if_fail(fields != NULL, 0);
  return fields->format == RILL_FIELDS_CSV ? fields->row->len : 0;
}

const char *rill_fields_get_index(rill_fields *fields, guint index, size_t *len)
{
  g_return_val_if_fail(fields != NULL, NULL);
  if (fields->format != RILL_FIELDS_CSV || index >= fields->row->len)
    return NULL;
  const rill__csv_field *c = &g_array_index(fields->row, rill__csv_field, index);
  if (!c->data)
    return NULL;
  if (len)
    *len = c->len;
  return keep(fields, g_strndup(c->data, c->len), NULL);
}

/* ---- formatting --------------------------------------------------------- */

static void csv_to_json(rill_fields *f, GString *out)
{
  char *const *names = column_names(f);
  guint n_names = names ? g_strv_length((char **)names) : 0;
  g_string_append_c(out, '{');
  for (guint i = 0; i < f->row->len; i++) {
    const rill__csv_field *c = &g_array_index(f->row, rill__csv_field, i);
    char key[16];
    if (i)
      g_string_append_c(out, ',');
    if (i >= n_names)
      g_snprintf(key, sizeof key, "c%u", i + 1);
    const char *name = i < n_names ? names[i] : key;
    rill_json_append_string(out, name, -1);
    g_string_append_c(out, ':');
    csv_value_json(f, name, c, out);
  }
  g_string_append_c(out, '}');
}

static void json_field_to_csv(rill_fields *f, JsonNode *node, GString *out)
{
  size_t len = 0;
  const char *s = json_text(f, node, &len);
  rill_csv_append_field(out, s, s ? (gssize)len : 0, f->sep);
}

static void json_to_csv(rill_fields *f, GString *out)
{
  if (f->columns) {
    for (guint i = 0; f->columns[i]; i++) {
      if (i)
        g_string_append_c(out, f->sep);
      json_field_to_csv(f, json_lookup(f, f->columns[i]), out);
    }
    return;
  }
  if (!f->root || !JSON_NODE_HOLDS_OBJECT(f->root)) {
    json_field_to_csv(f, f->root, out);
    return;
  }
  JsonObjectIter it;
  const char *name;
  JsonNode *node;
  gboolean first = TRUE;
  json_object_iter_init_ordered(&it, json_node_get_object(f->root));
  while (json_object_iter_next_ordered(&it, &name, &node)) {
    if (!first)
      g_string_append_c(out, f->sep);
    first = FALSE;
    json_field_to_csv(f, node, out);
  }
}

void rill_fields_write(rill_fields *fields, rill_fields_format format, GString *out)
{
  g_return_if_fail(fields != NULL && out != NULL);
  rill_fields *f = fields;
  if (f->format == RILL_FIELDS_CSV) {
    if (format == RILL_FIELDS_JSON) {
      csv_to_json(f, out);
      return;
    }
    for (guint i = 0; i < f->row->len; i++) {
      const rill__csv_field *c = &g_array_index(f->row, rill__csv_field, i);
      if (i)
        g_string_append_c(out, f->sep);
      rill_csv_append_field(out, c->data, (gssize)c->len, f->sep);
    }
    return;
  }
  if (format == RILL_FIELDS_CSV) {
    json_to_csv(f, out);
    return;
  }
  if (f->root)
    rill__json_append_node(out, f->root);
}
