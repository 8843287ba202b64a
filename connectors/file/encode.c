/* encode.c — records to output lines with JSON <-> CSV conversion
 * (encode.h); full writes with EINTR and short-write handling.
 *
 * What a record is: one with a "csv-header" header came from a CSV reader
 * (an empty header: columns without names, c1..cN); otherwise a value
 * starting with '{' is taken as a JSON object. Everything else (plain
 * lines, JSON scalars for csv) passes as it is, so a sink never loses a
 * record it cannot convert. Numbers are written shortest round-trip.
 */
#include "connectors/file/encode.h"

#include <rill/fields.h>

#include <errno.h>
#include <json-glib/json-glib.h>
#include <unistd.h>

#include "operators/csv.h"
#include "operators/typed-private.h"
#include "runtime/numbers.h"

struct rill__encoder {
  rill_file_format format;
  rill_fields *csv;       /* jsonl output: CSV records in */
  JsonParser *parser;     /* csv output: JSON records in; jsonl: multi-line values */
  char *header;           /* csv output: the header row, once known */
  char **columns;         /* its names */
};

rill__encoder *rill__encoder_new(rill_file_format format)
{
  rill__encoder *e = g_new0(rill__encoder, 1);
  e->format = format;
  e->csv = rill_fields_new(RILL_FIELDS_CSV);
  e->parser = json_parser_new_immutable();
  return e;
}

void rill__encoder_free(rill__encoder *e)
{
  if (!e)
    return;
  rill_fields_free(e->csv);
  g_object_unref(e->parser);
  g_free(e->header);
  g_strfreev(e->columns);
  g_free(e);
}

void rill__encoder_set_csv_header(rill__encoder *e, const char *row)
{
  g_free(e->header);
  g_strfreev(e->columns);
  e->header = g_strdup(row);
  e->columns = NULL;
  if (!row)
    return;
  GArray *fields = g_array_new(FALSE, FALSE, sizeof(rill__csv_field));
  GString *scratch = g_string_new(NULL);
  GPtrArray *names = g_ptr_array_new();
  if (rill__csv_split(row, strlen(row), ',', fields, scratch, NULL))
    for (guint i = 0; i < fields->len; i++) {
      rill__csv_field *c = &g_array_index(fields, rill__csv_field, i);
      g_ptr_array_add(names, c->data ? g_strndup(c->data, c->len) : g_strdup(""));
    }
  g_ptr_array_add(names, NULL);
  e->columns = (char **)g_ptr_array_free(names, FALSE);
  g_array_unref(fields);
  g_string_free(scratch, TRUE);
}

static gboolean json_object_value(const rill_record *r)
{
  for (gsize i = 0; i < r->value.len; i++)
    if (!g_ascii_isspace(r->value.data[i]))
      return r->value.data[i] == '{';
  return FALSE;
}

/* The record's JSON object, or NULL when it is none. (transfer none: the parser's) */
static JsonObject *parse_object(rill__encoder *e, const rill_record *r)
{
  if (!r->value.data || !json_object_value(r) ||
      !json_parser_load_from_data(e->parser, (const char *)r->value.data, (gssize)r->value.len, NULL))
    return NULL;
  JsonNode *root = json_parser_get_root(e->parser);
  return root && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
}

const char *rill__encoder_csv_header(rill__encoder *e, const rill_record *record)
{
  if (e->header || e->format != RILL_FILE_FORMAT_CSV)
    return e->header;
  const rill_bytes *h = rill_record_header(record, "csv-header");
  if (h) {
    if (h->len) {
      char *row = g_strndup((const char *)h->data, h->len);
      rill__encoder_set_csv_header(e, row);
      g_free(row);
    }
    return e->header;
  }
  JsonObject *o = parse_object(e, record);
  if (!o)
    return NULL;
  GString *row = g_string_new(NULL);
  JsonObjectIter it;
  const char *name;
  JsonNode *node;
  json_object_iter_init_ordered(&it, o);
  while (json_object_iter_next_ordered(&it, &name, &node)) {
    if (row->len)
      g_string_append_c(row, ',');
    rill_csv_append_field(row, name, -1, ',');
  }
  rill__encoder_set_csv_header(e, row->str);
  g_string_free(row, TRUE);
  return e->header;
}

/* One JSON member as CSV text: strings as they are, numbers and booleans
 * as JSON writes them, null as an empty (NULL) field, objects and arrays
 * as compact JSON. */
static void json_to_csv_field(GString *out, JsonNode *node)
{
  if (!node || JSON_NODE_HOLDS_NULL(node))
    return;
  if (JSON_NODE_HOLDS_VALUE(node)) {
    GType t = json_node_get_value_type(node);
    if (t == G_TYPE_STRING) {
      rill_csv_append_field(out, json_node_get_string(node), -1, ',');
      return;
    }
    if (t == G_TYPE_DOUBLE) {
      rill__append_double(out, json_node_get_double(node));
      return;
    }
    if (t == G_TYPE_INT64) {
      g_string_append_printf(out, "%" G_GINT64_FORMAT, json_node_get_int(node));
      return;
    }
    if (t == G_TYPE_BOOLEAN) {
      g_string_append(out, json_node_get_boolean(node) ? "true" : "false");
      return;
    }
  }
  GString *s = g_string_new(NULL);
  rill__json_append_node(s, node);
  rill_csv_append_field(out, s->str, (gssize)s->len, ',');
  g_string_free(s, TRUE);
}

static void object_to_csv(rill__encoder *e, JsonObject *o, GString *out)
{
  if (e->columns) {
    for (guint i = 0; e->columns[i]; i++) {
      if (i)
        g_string_append_c(out, ',');
      json_to_csv_field(out, json_object_get_member(o, e->columns[i]));
    }
    return;
  }
  JsonObjectIter it;
  const char *name;
  JsonNode *node;
  gboolean first = TRUE;
  json_object_iter_init_ordered(&it, o);
  while (json_object_iter_next_ordered(&it, &name, &node)) {
    if (!first)
      g_string_append_c(out, ',');
    first = FALSE;
    json_to_csv_field(out, node);
  }
}

gboolean rill__encoder_line(rill__encoder *e, GString *out, const rill_record *record, GError **error)
{
  const rill_bytes v = record->value;
  if (e->format == RILL_FILE_FORMAT_JSONL && v.data && rill_record_header(record, "csv-header")) {
    GError *err = NULL;
    if (!rill_fields_parse_record(e->csv, record, &err)) {
      g_set_error(error, RILL_FILE_ERROR, RILL_FILE_ERROR_PARSE, "a CSV record does not convert to JSON: %s",
                  err->message);
      g_error_free(err);
      return FALSE;
    }
    rill_fields_write(e->csv, RILL_FIELDS_JSON, out);
  } else if (e->format == RILL_FILE_FORMAT_CSV && v.data && !rill_record_header(record, "csv-header") &&
             json_object_value(record)) {
    JsonObject *o = parse_object(e, record);
    if (o)
      object_to_csv(e, o, out);
    else
      g_string_append_len(out, (const char *)v.data, (gssize)v.len);
  } else if (e->format == RILL_FILE_FORMAT_JSONL && v.data && memchr(v.data, '\n', v.len)) {
    GError *err = NULL;
    if (!json_parser_load_from_data(e->parser, (const char *)v.data, (gssize)v.len, &err)) {
      g_set_error(error, RILL_FILE_ERROR, RILL_FILE_ERROR_PARSE,
                  "a JSON Lines value spans several lines and is not JSON: %s", err->message);
      g_error_free(err);
      return FALSE;
    }
    rill__json_append_node(out, json_parser_get_root(e->parser));
  } else if (v.data) {
    g_string_append_len(out, (const char *)v.data, (gssize)v.len);
  }
  g_string_append_c(out, '\n');
  return TRUE;
}

gboolean rill__write_all(int fd, const void *data, gsize len, const char *what, guint64 offset, GError **error)
{
  const char *p = data;
  while (len) {
    gssize n = write(fd, p, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      g_set_error(error, RILL_FILE_ERROR, RILL_FILE_ERROR_IO, "%s: write error at byte offset %" G_GUINT64_FORMAT ": %s",
                  what, offset, n < 0 ? g_strerror(errno) : "nothing written");
      return FALSE;
    }
    p += n;
    len -= (gsize)n;
    offset += (guint64)n;
  }
  return TRUE;
}
