/* fields.c — rill_fields: parse a JSON or CSV value, read fields by name,
 * path or index, and format the parsed record as JSON or CSV.
 *
 * JSON is not turned into a tree: parsing validates the text once
 * (json-scan.c) and keeps a copy of it; each lookup then walks the bytes
 * to the path's value. A record with a few fields read costs one
 * validation pass plus short scans, not a DOM per record.
 *
 * Invariants: strings handed out live in the scratch arena (JSON text
 * copy, decoded strings, rendered values) or the CSV scratch, all of which
 * are kept until the next parse. Column names come from set_columns, else
 * from the last "csv-header" seen (cached: re-split only when it changes);
 * an empty "csv-header" (a CSV source without a header row) or none means
 * no names: columns are then c1..cN.
 */
#include <rill/fields.h>
#include <rill/typed.h>

#include "operators/csv.h"
#include "operators/fields-private.h"

#include <errno.h>
#include <stdlib.h>

G_DEFINE_QUARK(rill-fields-error-quark, rill_fields_error)

#define TOP_MAX 32

struct rill_fields {
  rill_fields_format format;
  char sep;
  /* JSON */
  rill__json_span root;       /* the parsed value, in a copy in `arena`; ABSENT before a parse */
  rill__json_pair top[TOP_MAX]; /* the root object's first members (lookups of top-level names) */
  guint n_top;
  gboolean top_all;           /* top[] holds every member and no key has an escape */
  /* CSV */
  GArray *row;                /* rill__csv_field */
  GString *scratch;
  char **columns;             /* set_columns; NULL-terminated */
  char *header_text;          /* the csv-header the cached names came from */
  gsize header_len;
  char **header_columns;      /* names split from header_text */
  char **type_names;          /* set_types: columns with a type, NULL-terminated */
  rill_value_type *types;     /* their types */
  /* the JSON text, decoded strings and rendered values, reset at the next parse */
  rill__scratch *arena;
};

rill_fields *rill_fields_new(rill_fields_format format)
{
  rill_fields *f = g_new0(rill_fields, 1);
  f->format = format;
  f->sep = ',';
  f->row = g_array_new(FALSE, FALSE, sizeof(rill__csv_field));
  f->scratch = g_string_new(NULL);
  f->arena = rill__scratch_new();
  return f;
}

void rill_fields_free(rill_fields *fields)
{
  if (!fields)
    return;
  g_array_unref(fields->row);
  g_string_free(fields->scratch, TRUE);
  g_strfreev(fields->columns);
  g_free(fields->header_text);
  g_strfreev(fields->header_columns);
  g_strfreev(fields->type_names);
  g_free(fields->types);
  rill__scratch_free(fields->arena);
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
  rill__scratch_reset(f->arena);
  if (f->format == RILL_FIELDS_CSV)
    return rill__csv_split(data ? data : "", len, f->sep, f->row, f->scratch, error);
  f->root = (rill__json_span){RILL__JSON_ABSENT, NULL, 0};
  f->n_top = 0;
  f->top_all = FALSE;
  /* A copy, so what is handed out does not depend on the caller's buffer
   * (and ends with a NUL, which number parsing relies on). */
  const char *copy = rill__scratch_strndup(f->arena, data ? data : "", len);
  gsize at;
  const char *what;
  if (!rill__json_validate_index(copy, len, f->top, TOP_MAX, &f->n_top, &f->top_all, &at, &what)) {
    g_set_error(error, RILL_FIELDS_ERROR, RILL_FIELDS_ERROR_PARSE, "malformed JSON: %s at byte %" G_GSIZE_FORMAT,
                what, at);
    return FALSE;
  }
  for (guint i = 0; i < f->n_top && f->top_all; i++)
    if (memchr(f->top[i].key.text, '\\', f->top[i].key.len))
      f->top_all = FALSE;
  /* The root is the text without its surrounding blanks (validated: no
   * need to scan it again). */
  const char *start = copy, *end = copy + len;
  while (start < end && g_ascii_isspace(*start))
    start++;
  while (end > start && g_ascii_isspace(end[-1]))
    end--;
  rill__json_value(start, start + 1, &f->root);
  f->root.len = (gsize)(end - start);
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

gboolean rill__fields_json_member(const rill_fields *f, const char *name, gsize len, rill__json_span *out)
{
  if (f->root.type == RILL__JSON_OBJECT && f->top_all) {
    for (guint i = 0; i < f->n_top; i++) {
      const rill__json_span *k = &f->top[i].key;
      if (k->len == len + 2 && memcmp(k->text + 1, name, len) == 0) {
        *out = f->top[i].value;
        return TRUE;
      }
    }
    *out = (rill__json_span){RILL__JSON_ABSENT, NULL, 0};
    return FALSE;
  }
  return rill__json_member(&f->root, name, len, out);
}

/* Walks "a.b.0.c" from the root (numeric segments index arrays); ABSENT
 * when any step is missing. */
static rill__json_span json_lookup(rill_fields *f, const char *path)
{
  rill__json_span node = f->root;
  const char *p = path;
  while (node.type != RILL__JSON_ABSENT && *p) {
    const char *dot = strchr(p, '.');
    gsize n = dot ? (gsize)(dot - p) : strlen(p);
    rill__json_span next;
    if (p == path && node.type == RILL__JSON_OBJECT) {
      rill__fields_json_member(f, p, n, &next);
    } else if (node.type == RILL__JSON_OBJECT) {
      rill__json_member(&node, p, n, &next);
    } else if (node.type == RILL__JSON_ARRAY) {
      char *end;
      guint64 idx = g_ascii_strtoull(p, &end, 10);
      if (end != p + n || n == 0)
        return (rill__json_span){RILL__JSON_ABSENT, NULL, 0};
      rill__json_element(&node, (gsize)idx, &next);
    } else {
      return (rill__json_span){RILL__JSON_ABSENT, NULL, 0};
    }
    node = next;
    p += n;
    if (*p == '.')
      p++;
  }
  return node;
}

/* A JSON value as text (strings decoded, the rest as compact JSON), NULL
 * when absent or null. */
static const char *json_text(rill_fields *f, const rill__json_span *node, size_t *len)
{
  gsize n;
  const char *s;
  switch (node->type) {
  case RILL__JSON_ABSENT:
  case RILL__JSON_NULL:
    return NULL;
  case RILL__JSON_STRING:
    s = rill__json_string(node, f->arena, TRUE, &n);
    break;
  case RILL__JSON_OBJECT:
  case RILL__JSON_ARRAY: {
    GString *g = g_string_sized_new(node->len);
    rill__json_append_compact(g, node);
    n = g->len;
    s = rill__scratch_gstring(f->arena, g);
    g_string_free(g, TRUE);
    break;
  }
  default:
    n = node->len;
    s = rill__scratch_strndup(f->arena, node->text, n);
    break;
  }
  if (len)
    *len = n;
  return s;
}

gboolean rill_fields_has(rill_fields *fields, const char *name)
{
  g_return_val_if_fail(fields != NULL && name != NULL, FALSE);
  if (fields->format == RILL_FIELDS_CSV)
    return csv_field(fields, name) != NULL;
  return json_lookup(fields, name).type != RILL__JSON_ABSENT;
}

const char *rill_fields_get_string(rill_fields *fields, const char *name, size_t *len)
{
  g_return_val_if_fail(fields != NULL && name != NULL, NULL);
  if (fields->format == RILL_FIELDS_JSON) {
    rill__json_span v = json_lookup(fields, name);
    return json_text(fields, &v, len);
  }
  const rill__csv_field *c = csv_field(fields, name);
  if (!c || !c->data)
    return NULL;
  if (len)
    *len = c->len;
  /* CSV views are not NUL-terminated; hand out a terminated copy. */
  return rill__scratch_strndup(fields->arena, c->data, c->len);
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
  rill__json_span node = json_lookup(fields, name);
  if (node.type == RILL__JSON_ABSENT) {
    g_string_append(out, "null");
    return FALSE;
  }
  rill__json_append_compact(out, &node);
  return TRUE;
}

gboolean rill_fields_get_int(rill_fields *fields, const char *name, gint64 *value)
{
  g_return_val_if_fail(fields != NULL && name != NULL && value != NULL, FALSE);
  if (fields->format == RILL_FIELDS_JSON) {
    rill__json_span n = json_lookup(fields, name);
    if (n.type == RILL__JSON_NUMBER) {
      char buf[64];
      if (n.len >= sizeof buf)
        return FALSE;
      memcpy(buf, n.text, n.len);
      buf[n.len] = '\0';
      char *end;
      errno = 0;
      gint64 i = g_ascii_strtoll(buf, &end, 10);
      if (!*end && !errno) {
        *value = i;
        return TRUE;
      }
      double d = g_ascii_strtod(buf, NULL);
      if (!(d >= -9.2e18 && d <= 9.2e18) || d != (double)(gint64)d)
        return FALSE;
      *value = (gint64)d;
      return TRUE;
    }
    if (n.type != RILL__JSON_STRING)
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
    rill__json_span n = json_lookup(fields, name);
    if (n.type == RILL__JSON_NUMBER) {
      char buf[512];
      if (n.len >= sizeof buf)
        return FALSE;
      memcpy(buf, n.text, n.len);
      buf[n.len] = '\0';
      *value = g_ascii_strtod(buf, NULL);
      return TRUE;
    }
    if (n.type != RILL__JSON_STRING)
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
  return rill__scratch_strndup(fields->arena, c->data, c->len);
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

static void json_field_to_csv(rill_fields *f, const rill__json_span *node, GString *out)
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
      rill__json_span v = json_lookup(f, f->columns[i]);
      json_field_to_csv(f, &v, out);
    }
    return;
  }
  if (f->root.type != RILL__JSON_OBJECT) {
    json_field_to_csv(f, &f->root, out);
    return;
  }
  rill__json_iter it;
  rill__json_span key, node;
  gboolean first = TRUE;
  rill__json_iter_init(&it, &f->root);
  while (rill__json_iter_member(&it, &key, &node)) {
    if (!first)
      g_string_append_c(out, f->sep);
    first = FALSE;
    json_field_to_csv(f, &node, out);
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
  if (f->root.type != RILL__JSON_ABSENT)
    rill__json_append_compact(out, &f->root);
}

/* ---- for the expression engine (fields-private.h) ------------------------- */

rill_fields_format rill__fields_format(const rill_fields *fields)
{
  return fields->format;
}

const rill__json_span *rill__fields_json_root(const rill_fields *fields)
{
  return &fields->root;
}

rill__scratch *rill__fields_arena(rill_fields *fields)
{
  return fields->arena;
}

gboolean rill__fields_csv_value(rill_fields *fields, const char *name, rill__json_span *out)
{
  const rill__csv_field *c = csv_field(fields, name);
  if (!c)
    return FALSE;
  if (!c->data) {
    *out = (rill__json_span){RILL__JSON_NULL, NULL, 0};
    return TRUE;
  }
  /* The same typing rill_fields_write applies (inferred or set_types), so an
   * expression sees the values the record prints as. */
  GString *typed = g_string_new(NULL);
  if (!rill_value_append_json(typed, c->data, c->len, column_type(fields, name), NULL) || typed->str[0] == '"') {
    *out = (rill__json_span){RILL__JSON_STRING, c->data, c->len};
  } else if (typed->str[0] == 't' || typed->str[0] == 'f') {
    *out = (rill__json_span){typed->str[0] == 't' ? RILL__JSON_TRUE : RILL__JSON_FALSE, NULL, 0};
  } else if (typed->str[0] == 'n') {
    *out = (rill__json_span){RILL__JSON_NULL, NULL, 0};
  } else {
    *out = (rill__json_span){RILL__JSON_NUMBER, rill__scratch_strndup(fields->arena, typed->str, typed->len), typed->len};
  }
  g_string_free(typed, TRUE);
  return TRUE;
}
