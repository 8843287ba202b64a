/* expr.c — libFuzzer target for the expression language and the JSON
 * scanner under it.
 *
 * Input: an expression text, a NUL byte, then a record (JSON). The
 * expression is compiled (errors are fine); when it compiles it is
 * evaluated on the record read as JSON (when that validates) and as a CSV
 * row, and on a fixed record. Invariants checked: what the scanner
 * accepted, written back compactly, validates again; every result written
 * as JSON validates; nothing reads outside its buffers (ASan).
 */
#include <rill/expr.h>

#include <stdlib.h>
#include <string.h>

#include "operators/json-scan.h"

static void check_json(const GString *s)
{
  gsize at;
  const char *what;
  if (!rill__json_validate(s->str, s->len, &at, &what))
    abort();
}

static void check_value(const rill_expr_value *v)
{
  GString *s = g_string_new(NULL);
  rill_expr_value_append_json(v, s);
  check_json(s);
  g_string_truncate(s, 0);
  rill_expr_value_append_text(v, s);
  g_string_free(s, TRUE);
}

/* Walks every member and element, decoding every string. */
static void walk(const rill__json_span *v, rill__scratch *arena, int depth)
{
  rill__json_iter it;
  rill__json_span k, e;
  gsize len;
  if (v->type == RILL__JSON_STRING)
    rill__json_string(v, arena, TRUE, &len);
  if (depth > 64)
    return;
  rill__json_iter_init(&it, v);
  if (v->type == RILL__JSON_OBJECT)
    while (rill__json_iter_member(&it, &k, &e)) {
      rill__json_string(&k, arena, FALSE, &len);
      walk(&e, arena, depth + 1);
    }
  else if (v->type == RILL__JSON_ARRAY)
    while (rill__json_iter_element(&it, &e))
      walk(&e, arena, depth + 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *nul = memchr(data, '\0', size);
  gsize text_len = nul ? (gsize)(nul - (const char *)data) : size;
  char *text = g_strndup((const char *)data, text_len);
  const char *json = nul ? nul + 1 : "";
  gsize json_len = nul ? size - text_len - 1 : 0;

  /* The scanner alone. */
  gsize at;
  const char *what;
  gboolean valid = rill__json_validate(json, json_len, &at, &what);
  if (valid) {
    rill__scratch *arena = rill__scratch_new();
    rill__json_span root;
    rill__json_value(json, json + json_len, &root);
    walk(&root, arena, 0);
    GString *compact = g_string_new(NULL);
    rill__json_append_compact(compact, &root);
    check_json(compact);
    g_string_free(compact, TRUE);
    rill__scratch_free(arena);
  }

  rill_expr *e = rill_expr_compile(text, NULL);
  if (e) {
    rill_expr_scratch *s = rill_expr_scratch_new();
    rill_expr_value v;
    if (rill_expr_eval_json(e, json, json_len, s, &v, NULL) != valid)
      abort();
    if (valid)
      check_value(&v);
    rill_expr_scratch_reset(s);
    static const char fixed[] = "{\"a\":1,\"s\":\"x,y\\u00e9\",\"o\":{\"b\":[1,\"2\",null,true]},\"t\":\"2023-11-14T22:13:20Z\"}";
    if (!rill_expr_eval_json(e, fixed, sizeof fixed - 1, s, &v, NULL))
      abort();
    check_value(&v);
    rill_expr_scratch_reset(s);
    rill_fields *f = rill_fields_new(RILL_FIELDS_CSV);
    rill_fields_set_columns(f, (const char *const[]){"a", "s", "o", NULL});
    if (rill_fields_parse(f, json, json_len, NULL)) {
      rill_expr_eval(e, f, s, &v);
      check_value(&v);
    }
    rill_fields_free(f);
    rill_expr_scratch_free(s);
    rill_expr_free(e);
  }
  g_free(text);
  return 0;
}
