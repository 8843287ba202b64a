/* test-expr.c — the expression language (include/rill/expr.h) on real
 * records: every function, the null rules, operators, paths, CSV rows,
 * compile errors with their columns; and docs/expressions.md's function
 * table against the code's table and the cases here, so none of the three
 * can drift from the others.
 *
 * Expected values are written by hand as JSON text (what
 * rill_expr_value_append_json prints).
 */
#include <rill/expr.h>

#include "operators/expr/expr-private.h"

#include <string.h>

/* The record most cases read. */
static const char record[] =
  "{\"status\": 503, \"method\": \"GET\", \"path\": \"/api/v1/items\", "
  "\"user\": {\"name\": \"Ann\", \"tags\": [\"a\", \"b\"]}, \"msg\": \"  Hello World  \", \"n\": null, "
  "\"ok\": true, \"price\": 76.34, \"ua\": \"caf\\u00e9\", \"ts\": \"2023-11-14T22:13:20Z\", "
  "\"clf\": \"14/Nov/2023:22:13:20 +0000\", \"csv\": \"a,b,,c\", \"esc\": \"x\\\"y\", \"code\": \"503\", "
  "\"if\": 1, \"user-agent\": \"curl\", \"dup\": 1, \"dup\": 2, \"list\": [1, [2, 3], {\"k\": \"v\"}]}";

typedef struct {
  const char *expr;
  const char *expect; /* JSON of the result */
} expr_case;

static const expr_case cases[] = {
  /* paths */
  {"status", "503"},
  {".status", "503"},
  {"user.name", "\"Ann\""},
  {"user.tags[1]", "\"b\""},
  {"user.tags.0", "\"a\""},
  {"user.tags[5]", "null"},
  {"user[\"name\"]", "\"Ann\""},
  {"list[1][0]", "2"},
  {"list[2].k", "\"v\""},
  {"missing", "null"},
  {"missing.deeper[0]", "null"},
  {"status.deeper", "null"},
  {".if", "1"},
  {".\"user-agent\"", "\"curl\""},
  {"dup", "1"},
  {"esc", "\"x\\\"y\""},
  {"ua", "\"café\""},
  {"price", "76.34"},
  {"user", "{\"name\":\"Ann\",\"tags\":[\"a\",\"b\"]}"},
  /* literals and arithmetic */
  {"42", "42"},
  {"'single' + \"double\"", "\"singledouble\""},
  {"\"tab\\there\"", "\"tab\\there\""},
  {"\"\\u00e9\"", "\"é\""},
  {"status + 1", "504"},
  {"status - 3 * 2", "497"},
  {"(status - 3) * 2", "1000"},
  {"status / 2", "251.5"},
  {"status % 10", "3"},
  {"-status", "-503"},
  {"0.1 + 0.2", "0.30000000000000004"},
  {"1 / 0", "null"},
  {"5 % 0", "null"},
  {"\"a\" + 1", "null"},
  {"code * 2", "1006"},
  {"method * 2", "null"},
  {"missing + 1", "null"},
  {"-method", "null"},
  /* comparisons and null */
  {"status >= 500 and method == \"GET\"", "true"},
  {"status == 503.0", "true"},
  {"code == 503", "true"},
  {"code >= 500", "true"},
  {"\"abc\" < \"abd\"", "true"},
  {"\"b\" > \"abc\"", "true"},
  {"true > false", "true"},
  {"method < 1", "false"},
  {"method == 1", "false"},
  {"method != 1", "true"},
  {"n == null", "true"},
  {"missing == null", "true"},
  {"missing != null", "false"},
  {"status == null", "false"},
  {"n < 1", "false"},
  {"n >= 1", "false"},
  {"missing != 1", "true"},
  {"not (missing < 5)", "true"},
  {"user.tags == split(\"a,b\", \",\")", "true"},
  {"user == user", "true"},
  /* logic */
  {"not ok", "false"},
  {"!ok", "false"},
  {"ok && false", "false"},
  {"false || n", "false"},
  {"missing or 0", "true"},
  {"\"\" and ok", "true"},
  {"if status >= 500 then \"error\" else \"ok\"", "\"error\""},
  {"if missing then 1 else if ok then 2 else 3", "2"},
  /* strings */
  {"lower(method)", "\"get\""},
  {"lower(\"ÀÉ\")", "\"àé\""},
  {"upper(ua)", "\"CAFÉ\""},
  {"upper(status)", "null"},
  {"trim(msg)", "\"Hello World\""},
  {"trim(missing)", "null"},
  {"contains(path, \"v1\")", "true"},
  {"contains(path, \"v2\")", "false"},
  {"contains(missing, \"x\")", "null"},
  {"starts_with(path, \"/api\")", "true"},
  {"starts_with(path, \"api\")", "false"},
  {"ends_with(path, \"items\")", "true"},
  {"ends_with(\"s\", \"items\")", "false"},
  {"replace(path, \"/\", \"_\")", "\"_api_v1_items\""},
  {"replace(csv, \",,\", \";\")", "\"a,b;c\""},
  {"replace(path, \"\", \"x\")", "\"/api/v1/items\""},
  {"split(csv, \",\")", "[\"a\",\"b\",\"\",\"c\"]"},
  {"split(ua, \"\")", "[\"c\",\"a\",\"f\",\"é\"]"},
  {"split(path, \"/\")[2]", "\"v1\""},
  {"split(n, \",\")", "null"},
  {"join(user.tags, \"+\")", "\"a+b\""},
  {"join(split(csv, \",\"), \"-\")", "\"a-b--c\""},
  {"join(list, \";\")", "\"1;[2,3];{\\\"k\\\":\\\"v\\\"}\""},
  {"join(method, \",\")", "null"},
  {"length(ua)", "4"},
  {"length(user.tags)", "2"},
  {"length(user)", "2"},
  {"length(n)", "null"},
  {"substring(path, 1, 3)", "\"api\""},
  {"substring(ua, -1)", "\"é\""},
  {"substring(path, 100)", "\"\""},
  {"substring(path, 5, 0)", "\"\""},
  {"substring(status, 1)", "null"},
  /* regex */
  {"match(path, \"^/api/v[0-9]+\")", "true"},
  {"match(method, \"post\")", "false"},
  {"match(status, \"5\")", "null"},
  {"capture(path, \"/api/(?<version>v[0-9]+)/(?<what>\\\\w+)\")", "{\"version\":\"v1\",\"what\":\"items\"}"},
  {"capture(path, \"/(?<seg>[a-z]+)/\").seg", "\"api\""},
  {"capture(path, \"v([0-9]+)/(x)?\")", "{\"1\":\"1\",\"2\":null}"},
  {"capture(path, \"v([0-9]+)\", 1)", "\"1\""},
  {"capture(path, \"(?<ver>v[0-9]+)\", \"ver\")", "\"v1\""},
  {"capture(path, \"(?<ver>v[0-9]+)\", \"nope\")", "null"},
  {"capture(path, \"(?<x>zzz)\")", "null"},
  /* conversions */
  {"to_number(\"42\")", "42"},
  {"to_number(\" 1.5e1 \")", "15"},
  {"to_number(\"4x\")", "null"},
  {"to_number(\"0x10\")", "null"},
  {"to_number(true)", "1"},
  {"to_number(price)", "76.34"},
  {"to_string(status)", "\"503\""},
  {"to_string(user.tags)", "\"[\\\"a\\\",\\\"b\\\"]\""},
  {"to_string(ok)", "\"true\""},
  {"to_string(n)", "null"},
  {"to_bool(\"yes\")", "true"},
  {"to_bool(\"FALSE\")", "false"},
  {"to_bool(0)", "false"},
  {"to_bool(\"maybe\")", "null"},
  {"coalesce(missing, n, \"dflt\")", "\"dflt\""},
  {"coalesce(n)", "null"},
  /* time */
  {"parse_time(ts)", "1700000000000"},
  {"parse_time(\"2023-11-14T23:13:20.250+01:00\", \"iso8601\")", "1700000000250"},
  {"parse_time(clf, \"%d/%b/%Y:%H:%M:%S %z\")", "1700000000000"},
  {"parse_time(\"2023-11-14 22:13:20\", \"%Y-%m-%d %H:%M:%S\")", "1700000000000"},
  {"parse_time(\"garbage\")", "null"},
  {"parse_time(\"2023-11-14 22:13\", \"%Y-%m-%d %H:%M:%S\")", "null"},
  {"parse_time(status)", "null"},
  {"format_time(1700000000000)", "\"2023-11-14T22:13:20Z\""},
  {"format_time(1700000000123, \"iso8601\")", "\"2023-11-14T22:13:20.123Z\""},
  {"format_time(1700000000000, \"%Y/%m/%d %H:%M %b\")", "\"2023/11/14 22:13 Nov\""},
  {"format_time(parse_time(ts) + 60000)", "\"2023-11-14T22:14:20Z\""},
  {"format_time(method)", "null"},
};

static char *eval_to_json(const char *expr_text, const char *json)
{
  GError *error = NULL;
  rill_expr *e = rill_expr_compile(expr_text, &error);
  g_assert_no_error(error);
  rill_expr_scratch *s = rill_expr_scratch_new();
  rill_expr_value v;
  g_assert_true(rill_expr_eval_json(e, json, strlen(json), s, &v, &error));
  g_assert_no_error(error);
  GString *out = g_string_new(NULL);
  rill_expr_value_append_json(&v, out);
  rill_expr_scratch_free(s);
  rill_expr_free(e);
  return g_string_free(out, FALSE);
}

/* The same through a parsed rill_fields (its top-level member index). */
static char *eval_fields_to_json(const char *expr_text, const char *json)
{
  rill_expr *e = rill_expr_compile(expr_text, NULL);
  g_assert_nonnull(e);
  rill_fields *f = rill_fields_new(RILL_FIELDS_JSON);
  g_assert_true(rill_fields_parse(f, json, strlen(json), NULL));
  rill_expr_scratch *s = rill_expr_scratch_new();
  rill_expr_value v;
  rill_expr_eval(e, f, s, &v);
  GString *out = g_string_new(NULL);
  rill_expr_value_append_json(&v, out);
  rill_expr_scratch_free(s);
  rill_fields_free(f);
  rill_expr_free(e);
  return g_string_free(out, FALSE);
}

static void test_cases(void)
{
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    char *got = eval_to_json(cases[i].expr, record);
    if (strcmp(got, cases[i].expect) != 0)
      g_error("%s: got %s, expected %s", cases[i].expr, got, cases[i].expect);
    g_free(got);
    got = eval_fields_to_json(cases[i].expr, record);
    if (strcmp(got, cases[i].expect) != 0)
      g_error("%s (rill_fields): got %s, expected %s", cases[i].expr, got, cases[i].expect);
    g_free(got);
  }
}

/* Top-level lookups past the index's size and with escaped keys find the
 * same members a scan does; malformed JSON fails at every cut. */
static void test_json_scan(void)
{
  GString *big = g_string_new("{");
  for (int i = 0; i < 40; i++)
    g_string_append_printf(big, "%s\"k%d\": %d", i ? ", " : "", i, i * 10);
  g_string_append(big, ", \"a\\u0062\": \"escaped\", \"k3\": \"second k3\"}");
  rill_fields *f = rill_fields_new(RILL_FIELDS_JSON);
  g_assert_true(rill_fields_parse(f, big->str, big->len, NULL));
  g_assert_cmpstr(rill_fields_get_string(f, "k35", NULL), ==, "350");
  g_assert_cmpstr(rill_fields_get_string(f, "k3", NULL), ==, "30");
  g_assert_cmpstr(rill_fields_get_string(f, "ab", NULL), ==, "escaped");
  g_assert_null(rill_fields_get_string(f, "k40", NULL));
  char *got = eval_fields_to_json("k39 + k1", big->str);
  g_assert_cmpstr(got, ==, "400");
  g_free(got);
  const char small[] = "{\"a\\u0062\": 1, \"c\": [1, {\"d\": \"\\ud83d\\ude00\"}]}";
  g_assert_true(rill_fields_parse(f, small, sizeof small - 1, NULL));
  g_assert_cmpstr(rill_fields_get_string(f, "ab", NULL), ==, "1");
  g_assert_cmpstr(rill_fields_get_string(f, "c.1.d", NULL), ==, "\xf0\x9f\x98\x80");
  /* Every proper prefix of an object is malformed, with a clean error. */
  for (gsize n = 0; n < big->len; n++) {
    GError *error = NULL;
    g_assert_false(rill_fields_parse(f, big->str, n, &error));
    g_assert_error(error, RILL_FIELDS_ERROR, RILL_FIELDS_ERROR_PARSE);
    g_clear_error(&error);
  }
  static const char *const bad[] = {
    "{\"a\":1,}", "[1 2]", "{\"a\" 1}", "{a:1}", "01", "1.", "-", "1e", "\"\\x\"", "\"\\u12G4\"", "\"a\nb\"",
    "tru", "nul", "[1]]", "\"\xff\"", "{\"a\":1} x", "", "  ",
  };
  for (guint i = 0; i < G_N_ELEMENTS(bad); i++)
    if (rill_fields_parse(f, bad[i], strlen(bad[i]), NULL))
      g_error("accepted malformed JSON: %s", bad[i]);
  g_string_free(big, TRUE);
  rill_fields_free(f);
}

/* One compiled expression, one scratch, many records: results do not leak
 * from one record to the next, and a reset scratch is reused. */
static void test_many_records(void)
{
  GError *error = NULL;
  rill_expr *e = rill_expr_compile("upper(name) + \":\" + to_string(n * 2)", &error);
  g_assert_no_error(error);
  rill_expr_scratch *s = rill_expr_scratch_new();
  for (int i = 0; i < 1000; i++) {
    char *json = g_strdup_printf("{\"name\":\"r%d\",\"n\":%d}", i, i);
    rill_expr_value v;
    g_assert_true(rill_expr_eval_json(e, json, strlen(json), s, &v, NULL));
    char *expect = g_strdup_printf("R%d:%d", i, i * 2);
    g_assert_cmpint(v.type, ==, RILL_EXPR_STRING);
    g_assert_cmpmem(v.text, v.len, expect, strlen(expect));
    g_free(expect);
    g_free(json);
    rill_expr_scratch_reset(s);
  }
  /* Not JSON: an error, not a result. */
  rill_expr_value v;
  g_assert_false(rill_expr_eval_json(e, "{\"name\":", 8, s, &v, &error));
  g_assert_error(error, RILL_FIELDS_ERROR, RILL_FIELDS_ERROR_PARSE);
  g_clear_error(&error);
  rill_expr_scratch_free(s);
  rill_expr_free(e);
}

/* CSV rows: columns by header name, values typed as the record prints them,
 * bytes that are not UTF-8 never reach the regex engine. */
static void test_csv(void)
{
  rill_fields *f = rill_fields_new(RILL_FIELDS_CSV);
  rill_fields_set_columns(f, (const char *const[]){"status", "method", "raw", NULL});
  const char row[] = "503,GET,ab\xff";
  g_assert_true(rill_fields_parse(f, row, sizeof row - 1, NULL));
  rill_expr_scratch *s = rill_expr_scratch_new();
  static const expr_case csv_cases[] = {
    {"status >= 500 and lower(method) == \"get\"", "true"},
    {"status + 1", "504"},
    {"status", "503"},
    {"nosuch", "null"},
    {"match(raw, \"ab\")", "null"},
    {"length(raw)", "3"},
    {"status.x", "null"},
    {".", "{\"status\":503,\"method\":\"GET\",\"raw\":\"ab\\u00ff\"}"},
  };
  for (guint i = 0; i < G_N_ELEMENTS(csv_cases); i++) {
    rill_expr *e = rill_expr_compile(csv_cases[i].expr, NULL);
    g_assert_nonnull(e);
    rill_expr_value v;
    rill_expr_eval(e, f, s, &v);
    GString *out = g_string_new(NULL);
    rill_expr_value_append_json(&v, out);
    if (strcmp(out->str, csv_cases[i].expect) != 0)
      g_error("csv %s: got %s, expected %s", csv_cases[i].expr, out->str, csv_cases[i].expect);
    g_string_free(out, TRUE);
    rill_expr_free(e);
  }
  rill_expr_scratch_free(s);
  rill_fields_free(f);
}

typedef struct {
  const char *text;
  rill_expr_error code;
  const char *where; /* the "column C: message" start */
  const char *caret; /* the caret line */
} error_case;

static void test_errors(void)
{
  static const error_case errors[] = {
    {"status >=", RILL_EXPR_ERROR_SYNTAX, "column 10: expected a value, found the end", "\n           ^"},
    {"status = 5", RILL_EXPR_ERROR_SYNTAX, "column 8: '=' alone", "\n         ^"},
    {"nosuch(1)", RILL_EXPR_ERROR_FUNCTION, "column 1: unknown function 'nosuch'", "\n  ^"},
    {"lower(a, b)", RILL_EXPR_ERROR_FUNCTION, "column 1: lower takes 1 argument, not 2", NULL},
    {"substring(a)", RILL_EXPR_ERROR_FUNCTION, "column 1: substring takes 2 to 3 arguments, not 1", NULL},
    {"match(s, pattern)", RILL_EXPR_ERROR_REGEX, "column 10: the pattern of match must be a string literal", NULL},
    {"match(s, \"(\")", RILL_EXPR_ERROR_REGEX, "column 10: bad regex", NULL},
    {"\"abc", RILL_EXPR_ERROR_SYNTAX, "column 1: unterminated string", NULL},
    {"\"\\q\"", RILL_EXPR_ERROR_SYNTAX, "column 2: unknown escape", NULL},
    {"if a then b", RILL_EXPR_ERROR_SYNTAX, "column 12: expected 'else'", NULL},
    {"a < b < c", RILL_EXPR_ERROR_SYNTAX, "column 7: comparisons do not chain", NULL},
    {"a & b", RILL_EXPR_ERROR_SYNTAX, "column 3: '&' alone", NULL},
    {"1 2", RILL_EXPR_ERROR_SYNTAX, "column 3: unexpected a number after the expression", NULL},
    {"(a", RILL_EXPR_ERROR_SYNTAX, "column 3: expected ')'", NULL},
    {"a.", RILL_EXPR_ERROR_SYNTAX, "column 3: expected a field name after '.'", NULL},
    {"12abc", RILL_EXPR_ERROR_SYNTAX, "column 3: unexpected 'a' after a number", NULL},
    {"a\n  and ?", RILL_EXPR_ERROR_SYNTAX, "line 2, column 7: unexpected character '?'", "\n        ^"},
    {"lower(\"é\") == é", RILL_EXPR_ERROR_SYNTAX, "column 15: unexpected character", NULL},
    {"", RILL_EXPR_ERROR_SYNTAX, "column 1: expected a value, found the end", NULL},
  };
  for (guint i = 0; i < G_N_ELEMENTS(errors); i++) {
    GError *error = NULL;
    g_assert_null(rill_expr_compile(errors[i].text, &error));
    g_assert_nonnull(error);
    if (error->domain != RILL_EXPR_ERROR || error->code != (int)errors[i].code ||
        !g_str_has_prefix(error->message, errors[i].where) ||
        (errors[i].caret && !strstr(error->message, errors[i].caret)))
      g_error("'%s': got code %d: %s", errors[i].text, error->code, error->message);
    g_error_free(error);
  }
  /* Deep nesting is refused before it can exhaust the stack. */
  GString *deep = g_string_new(NULL);
  for (int i = 0; i < 300; i++)
    g_string_append_c(deep, '(');
  g_string_append_c(deep, '1');
  for (int i = 0; i < 300; i++)
    g_string_append_c(deep, ')');
  GError *error = NULL;
  g_assert_null(rill_expr_compile(deep->str, &error));
  g_assert_error(error, RILL_EXPR_ERROR, RILL_EXPR_ERROR_SYNTAX);
  g_assert_nonnull(strstr(error->message, "nested too deep"));
  g_clear_error(&error);
  g_string_truncate(deep, 0);
  for (int i = 0; i < 3000; i++)
    g_string_append(deep, "1+");
  g_string_append_c(deep, '1');
  g_assert_null(rill_expr_compile(deep->str, &error));
  g_assert_error(error, RILL_EXPR_ERROR, RILL_EXPR_ERROR_SYNTAX);
  g_clear_error(&error);
  g_string_free(deep, TRUE);
}

/* ---- docs/expressions.md's table = the code's table = what is tested ---------- */

static GHashTable *doc_functions(void)
{
  char *path = g_build_filename(RILL_SOURCE_DIR, "docs", "expressions.md", NULL), *text = NULL;
  g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
  GHashTable *set = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  char *section = strstr(text, "\n## Functions\n");
  g_assert_nonnull(section);
  char **lines = g_strsplit(section, "\n", -1);
  for (guint i = 2; lines[i] && !g_str_has_prefix(lines[i], "## "); i++) {
    if (!g_str_has_prefix(lines[i], "| `"))
      continue;
    const char *name = lines[i] + 3, *paren = strchr(name, '(');
    g_assert_nonnull(paren);
    g_hash_table_add(set, g_strndup(name, (gsize)(paren - name)));
  }
  g_strfreev(lines);
  g_free(text);
  g_free(path);
  return set;
}

static void collect_calls(const rill__expr_node *n, GHashTable *names)
{
  if (n->kind == N_CALL)
    g_hash_table_add(names, g_strdup(n->fn->name));
  for (guint i = 0; i < n->n_kids; i++)
    collect_calls(n->kids[i], names);
}

static void test_docs_table(void)
{
  GHashTable *docs = doc_functions();
  GHashTable *code = g_hash_table_new(g_str_hash, g_str_equal);
  GHashTable *tested = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  guint n;
  const rill__expr_function *fns = rill__expr_functions(&n);
  for (guint i = 0; i < n; i++)
    g_hash_table_add(code, (char *)fns[i].name);
  /* The calls in each case's compiled tree. */
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    rill__expr_node *root = rill__expr_parse(cases[i].expr, NULL);
    g_assert_nonnull(root);
    collect_calls(root, tested);
    rill__expr_node_free(root);
  }
  GHashTableIter it;
  gpointer name;
  g_hash_table_iter_init(&it, docs);
  while (g_hash_table_iter_next(&it, &name, NULL)) {
    if (!g_hash_table_contains(code, name))
      g_error("docs/expressions.md lists %s, which the code does not have", (char *)name);
    if (!g_hash_table_contains(tested, name))
      g_error("docs/expressions.md lists %s, which has no test case", (char *)name);
  }
  g_hash_table_iter_init(&it, code);
  while (g_hash_table_iter_next(&it, &name, NULL))
    if (!g_hash_table_contains(docs, name))
      g_error("function %s is not in docs/expressions.md", (char *)name);
  g_hash_table_iter_init(&it, tested);
  while (g_hash_table_iter_next(&it, &name, NULL))
    if (!g_hash_table_contains(docs, name))
      g_error("the cases call %s, which docs/expressions.md does not list", (char *)name);
  g_assert_cmpuint(g_hash_table_size(docs), ==, n);
  g_hash_table_unref(docs);
  g_hash_table_unref(code);
  g_hash_table_unref(tested);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/expr/cases", test_cases);
  g_test_add_func("/expr/many-records", test_many_records);
  g_test_add_func("/expr/json-scan", test_json_scan);
  g_test_add_func("/expr/csv", test_csv);
  g_test_add_func("/expr/errors", test_errors);
  g_test_add_func("/expr/docs-table", test_docs_table);
  return g_test_run();
}
