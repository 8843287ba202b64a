/* test-regex-parse.c — rill_regex_parser (include/rill/regex-parse.h) and
 * typed values (include/rill/typed.h) through the public C API: grok
 * names and their fields, types inferred and given, every error code, and
 * the regex-parse stage on real records with a dead-letter file. Expected
 * values are written by hand. */
#include <rill/rill.h>
#include <rill/regex-parse.h>

#include "operators/grok.h"
#include "tests/connectors/util.h"

/* Parses @line with @p; returns the JSON (g_free) or NULL with @error. */
static char *parse(rill_regex_parser *p, const char *line, GError **error)
{
  GString *out = g_string_new("prefix:");
  if (!rill_regex_parser_parse(p, line, strlen(line), out, error)) {
    g_assert_cmpstr(out->str, ==, "prefix:"); /* unchanged on failure */
    g_string_free(out, TRUE);
    return NULL;
  }
  char *json = g_strdup(out->str + 7);
  g_string_free(out, TRUE);
  return json;
}

static void check(rill_regex_parser *p, const char *line, const char *want)
{
  GError *error = NULL;
  char *got = parse(p, line, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(got, ==, want);
  g_free(got);
}

static void check_error(rill_regex_parser *p, const char *line, int code, const char *part)
{
  GError *error = NULL;
  g_assert_null(parse(p, line, &error));
  g_assert_error(error, RILL_REGEX_PARSE_ERROR, code);
  if (!strstr(error->message, part))
    g_error("'%s' not in '%s'", part, error->message);
  g_error_free(error);
}

static void test_common_log(void)
{
  GError *error = NULL;
  rill_regex_parser *p = rill_regex_parser_new("^%{COMMONAPACHELOG}$", &error);
  g_assert_no_error(error);
  const char *const want_fields[] = {"clientip", "ident", "auth", "timestamp", "verb", "request", "httpversion",
                                     "rawrequest", "response", "bytes", NULL};
  const char *const *fields = rill_regex_parser_fields(p);
  for (guint i = 0; want_fields[i]; i++)
    g_assert_cmpstr(fields[i], ==, want_fields[i]);
  g_assert_null(fields[G_N_ELEMENTS(want_fields) - 1]);
  check(p, "10.0.1.2 - frank [14/Nov/2023:22:13:20 +0000] \"GET /cart?x=1 HTTP/1.1\" 503 1234",
        "{\"clientip\":\"10.0.1.2\",\"ident\":\"-\",\"auth\":\"frank\",\"timestamp\":\"14/Nov/2023:22:13:20 +0000\","
        "\"verb\":\"GET\",\"request\":\"/cart?x=1\",\"httpversion\":1.1,\"rawrequest\":null,\"response\":503,"
        "\"bytes\":1234}");
  /* bytes "-" is no group match: null. A host name instead of an IP. */
  check(p, "web-1.example.org - - [01/Jan/2024:00:00:00 -0130] \"POST /a HTTP/1.0\" 200 -",
        "{\"clientip\":\"web-1.example.org\",\"ident\":\"-\",\"auth\":\"-\",\"timestamp\":\"01/Jan/2024:00:00:00 "
        "-0130\",\"verb\":\"POST\",\"request\":\"/a\",\"httpversion\":1.0,\"rawrequest\":null,\"response\":200,"
        "\"bytes\":null}");
  /* Types: the time as ms since the epoch (00:00 at -0130 is 01:30 UTC), the status a string. */
  g_assert_true(rill_regex_parser_set_type(p, "timestamp", RILL_VALUE_TIMESTAMP, &error));
  g_assert_true(rill_regex_parser_set_type(p, "response", RILL_VALUE_STRING, &error));
  g_assert_true(rill_regex_parser_set_type(p, "httpversion", RILL_VALUE_STRING, &error));
  check(p, "1.2.3.4 - - [01/Jan/2024:00:00:00 -0130] \"GET / HTTP/1.1\" 404 0",
        "{\"clientip\":\"1.2.3.4\",\"ident\":\"-\",\"auth\":\"-\",\"timestamp\":1704072600000,\"verb\":\"GET\","
        "\"request\":\"/\",\"httpversion\":\"1.1\",\"rawrequest\":null,\"response\":\"404\",\"bytes\":0}");
  g_assert_false(rill_regex_parser_set_type(p, "status", RILL_VALUE_INT, &error));
  g_assert_error(error, RILL_REGEX_PARSE_ERROR, RILL_REGEX_PARSE_ERROR_FIELD);
  g_assert_nonnull(strstr(error->message, "no field 'status'"));
  g_clear_error(&error);

  check_error(p, "10.0.1.2 - - [14/Nov/2023:22:13:20 +0000] \"GET /x HTTP/1.1\" 5x3 12", RILL_REGEX_PARSE_ERROR_NO_MATCH,
              "does not match");
  check_error(p, "10.0.1.2 - - [14/Nov/2023:22:13", RILL_REGEX_PARSE_ERROR_NO_MATCH, "does not match");
  check_error(p, "10.0.1.2 - \xff [14/Nov/2023:22:13:20 +0000] \"GET / HTTP/1.1\" 200 1",
              RILL_REGEX_PARSE_ERROR_ENCODING, "not valid UTF-8 at byte 11");
  /* A copy keeps the types and works on its own. */
  rill_regex_parser *c = rill_regex_parser_copy(p);
  rill_regex_parser_free(p);
  check(c, "1.2.3.4 - - [01/Jan/2024:00:00:00 +0000] \"GET / HTTP/1.1\" 200 5",
        "{\"clientip\":\"1.2.3.4\",\"ident\":\"-\",\"auth\":\"-\",\"timestamp\":1704067200000,\"verb\":\"GET\","
        "\"request\":\"/\",\"httpversion\":\"1.1\",\"rawrequest\":null,\"response\":\"200\",\"bytes\":5}");
  rill_regex_parser_free(c);
}

static void test_combined_and_syslog(void)
{
  GError *error = NULL;
  rill_regex_parser *p = rill_regex_parser_new("^%{COMBINEDAPACHELOG}$", &error);
  g_assert_no_error(error);
  check(p, "::1 - - [14/Nov/2023:22:13:20 +0000] \"GET / HTTP/2.0\" 301 0 \"-\" \"curl/8.0 (x)\"",
        "{\"clientip\":\"::1\",\"ident\":\"-\",\"auth\":\"-\",\"timestamp\":\"14/Nov/2023:22:13:20 +0000\","
        "\"verb\":\"GET\",\"request\":\"/\",\"httpversion\":2.0,\"rawrequest\":null,\"response\":301,\"bytes\":0,"
        "\"referrer\":\"\\\"-\\\"\",\"agent\":\"\\\"curl/8.0 (x)\\\"\"}");
  rill_regex_parser_free(p);

  p = rill_regex_parser_new("^%{SYSLOGLINE}$", &error);
  g_assert_no_error(error);
  check(p, "Nov 14 22:13:20 web01 sshd[4242]: Accepted publickey for ann",
        "{\"timestamp\":\"Nov 14 22:13:20\",\"logsource\":\"web01\",\"program\":\"sshd\",\"pid\":4242,"
        "\"message\":\"Accepted publickey for ann\"}");
  check(p, "Dec  1 01:02:03 10.1.1.1 cron: (root) CMD ok",
        "{\"timestamp\":\"Dec  1 01:02:03\",\"logsource\":\"10.1.1.1\",\"program\":\"cron\",\"pid\":null,"
        "\"message\":\"(root) CMD ok\"}");
  rill_regex_parser_free(p);
}

static void test_building_blocks(void)
{
  GError *error = NULL;
  /* Named groups and grok captures mixed; types in the pattern. */
  rill_regex_parser *p = rill_regex_parser_new(
    "^%{IP:ip} %{WORD:word} %{NUMBER:n:float} %{INT:i:int} (?<flag>\\w+) %{TIMESTAMP_ISO8601:t:timestamp} "
    "%{UUID:id} %{LOGLEVEL:level} %{QS:q}$",
    &error);
  g_assert_no_error(error);
  check(p, "192.168.0.1 hello 3.25 -7 yes 2023-11-14T22:13:20.5Z 123e4567-e89b-12d3-a456-426614174000 WARN \"a b\"",
        "{\"ip\":\"192.168.0.1\",\"word\":\"hello\",\"n\":3.25,\"i\":-7,\"flag\":\"yes\",\"t\":1700000000500,"
        "\"id\":\"123e4567-e89b-12d3-a456-426614174000\",\"level\":\"WARN\",\"q\":\"\\\"a b\\\"\"}");
  g_assert_true(rill_regex_parser_set_type(p, "flag", RILL_VALUE_BOOL, &error));
  check_error(p, "1.1.1.1 w 1 2 maybe 2023-11-14T22:13:20Z 123e4567-e89b-12d3-a456-426614174000 INFO \"\"",
              RILL_REGEX_PARSE_ERROR_TYPE, "field flag: 'maybe' is not a boolean");
  check_error(p, "999.1.1.1 w 1 2 yes 2023-11-14T22:13:20Z 123e4567-e89b-12d3-a456-426614174000 INFO \"\"",
              RILL_REGEX_PARSE_ERROR_NO_MATCH, "does not match");
  rill_regex_parser_free(p);

  /* HTTPDATE typed as a timestamp. */
  p = rill_regex_parser_new("\\[%{HTTPDATE:when:timestamp}\\]", &error);
  g_assert_no_error(error);
  check(p, "x [14/Nov/2023:22:13:20 +0100] y", "{\"when\":1699996400000}");
  rill_regex_parser_free(p);

  /* Pattern errors. */
  const struct {
    const char *pattern, *part;
  } bad[] = {
    {"%{NOPE:x}", "unknown pattern name %{NOPE:x}"},
    {"%{IP:x", "unterminated %{"},
    {"%{IP:x:integer64}", "unknown type 'integer64' for field x"},
    {"%{IP}", "no named group"},
    {"(?<a>[a-", "offset"},
  };
  for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_assert_null(rill_regex_parser_new(bad[i].pattern, &error));
    g_assert_error(error, RILL_REGEX_PARSE_ERROR, RILL_REGEX_PARSE_ERROR_PATTERN);
    if (!strstr(error->message, bad[i].part))
      g_error("%s: '%s' not in '%s'", bad[i].pattern, bad[i].part, error->message);
    g_clear_error(&error);
  }
}

static void test_typed_values(void)
{
  const struct {
    const char *text;
    rill_value_type type;
    const char *want; /* NULL: a type error */
  } cases[] = {
    {"42", RILL_VALUE_AUTO, "42"},          {"-0.5", RILL_VALUE_AUTO, "-0.5"},
    {"1e3", RILL_VALUE_AUTO, "1e3"},        {"007", RILL_VALUE_AUTO, "\"007\""},
    {"+1", RILL_VALUE_AUTO, "\"+1\""},      {"1.", RILL_VALUE_AUTO, "\"1.\""},
    {"NaN", RILL_VALUE_AUTO, "\"NaN\""},    {"true", RILL_VALUE_AUTO, "true"},
    {"True", RILL_VALUE_AUTO, "\"True\""},  {"", RILL_VALUE_AUTO, "\"\""},
    {"99999999999999999999", RILL_VALUE_AUTO, "\"99999999999999999999\""},
    {"+007", RILL_VALUE_INT, "7"},          {"1.5", RILL_VALUE_INT, NULL},
    {".5", RILL_VALUE_FLOAT, "0.5"},        {"76.34", RILL_VALUE_FLOAT, "76.34"},
    {"inf", RILL_VALUE_FLOAT, NULL},        {"x", RILL_VALUE_FLOAT, NULL},
    {"YES", RILL_VALUE_BOOL, "true"},       {"0", RILL_VALUE_BOOL, "false"},
    {"2", RILL_VALUE_BOOL, NULL},           {"12", RILL_VALUE_STRING, "\"12\""},
    {"1700000000000", RILL_VALUE_TIMESTAMP, "1700000000000"},
    {"2023-11-14T22:13:20Z", RILL_VALUE_TIMESTAMP, "1700000000000"},
    {"2023-11-14T22:13:20", RILL_VALUE_TIMESTAMP, "1700000000000"},
    {"14/Nov/2023:22:13:20 +0000", RILL_VALUE_TIMESTAMP, "1700000000000"},
    {"yesterday", RILL_VALUE_TIMESTAMP, NULL},
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    GString *out = g_string_new(NULL);
    GError *error = NULL;
    gboolean ok = rill_value_append_json(out, cases[i].text, strlen(cases[i].text), cases[i].type, &error);
    if (cases[i].want) {
      g_assert_no_error(error);
      if (strcmp(out->str, cases[i].want) != 0)
        g_error("'%s' as %s: got %s, want %s", cases[i].text, rill_value_type_name(cases[i].type), out->str,
                cases[i].want);
    } else {
      g_assert_false(ok);
      g_assert_error(error, RILL_VALUE_ERROR, RILL_VALUE_ERROR_TYPE);
      g_assert_cmpstr(out->str, ==, "");
      g_error_free(error);
    }
    g_string_free(out, TRUE);
  }
  GString *out = g_string_new(NULL);
  g_assert_true(rill_value_append_json(out, NULL, 0, RILL_VALUE_INT, NULL));
  g_assert_cmpstr(out->str, ==, "null");
  g_string_free(out, TRUE);
  rill_value_type t;
  g_assert_true(rill_value_type_from_name("boolean", &t) && t == RILL_VALUE_BOOL);
  g_assert_false(rill_value_type_from_name("number", &t));
}

/* The stage: three lines in, two parsed out in order, the third to the
 * dead-letter file with its reason. */
static void test_stage(void)
{
  char *dir = make_tmp_dir();
  char *in = g_build_filename(dir, "in.log", NULL), *dl_path = g_build_filename(dir, "bad.jsonl", NULL);
  write_file(in, "a=1\nnope\nb=2.5\n", -1);
  GError *error = NULL;
  rill_pipeline *pl = rill_pipeline_new("t");
  rill_stage *src = rill_pipeline_add_file_source(pl, "src", rill_file_source_new(in, RILL_FILE_FORMAT_LINES));
  rill_regex_parser *parser = rill_regex_parser_new("^(?<k>\\w+)=%{NUMBER:v}$", &error);
  g_assert_no_error(error);
  rill_dead_letter *dl = rill_dead_letter_new(&rill_file_sink_class, rill_file_sink_new(dl_path, RILL_FILE_FORMAT_LINES),
                                              (GDestroyNotify)rill_file_sink_free);
  rill_stage *parse = rill_pipeline_add_regex_parse(pl, "parse", src, parser, dl, RILL_REGEX_PARSE_FAIL);
  rill_dead_letter_unref(dl);
  collect_sink *sink = collect_sink_new();
  rill_pipeline_add_sink(pl, "out", parse, &collect_sink_class, sink, NULL);
  g_assert_true(rill_pipeline_run(pl, &error));
  g_assert_no_error(error);
  g_assert_cmpuint(collect_sink_len(sink), ==, 2);
  g_assert_cmpstr(collect_sink_get(sink, 0)->value, ==, "{\"k\":\"a\",\"v\":1}");
  g_assert_cmpstr(collect_sink_get(sink, 1)->value, ==, "{\"k\":\"b\",\"v\":2.5}");
  rill_pipeline_unref(pl); /* closes the dead-letter file */
  char *bad = NULL;
  g_assert_true(g_file_get_contents(dl_path, &bad, NULL, NULL));
  g_assert_nonnull(strstr(bad, "\"reason\":\"the line does not match the pattern\""));
  g_assert_nonnull(strstr(bad, "\"value\":\"nope\""));
  g_free(bad);
  collect_sink_free(sink);
  remove_tree(dir);
  g_free(in);
  g_free(dl_path);
  g_free(dir);
}

/* Every built-in name compiles on its own, and docs/rill-run.md lists
 * exactly the table's names, in its order. */
static void test_names_documented(void)
{
  char *doc = NULL, *path = g_build_filename(RILL_SOURCE_DIR, "docs", "rill-run.md", NULL);
  g_assert_true(g_file_get_contents(path, &doc, NULL, NULL));
  const char *begin = strstr(doc, "<!-- BEGIN grok names -->\n"), *end = strstr(doc, "<!-- END grok names -->");
  g_assert_nonnull(begin);
  g_assert_nonnull(end);
  begin += strlen("<!-- BEGIN grok names -->\n");
  GString *want = g_string_new(NULL);
  for (guint i = 0; rill__grok_name(i); i++) {
    g_string_append_printf(want, "%s`%s`", i ? ", " : "", rill__grok_name(i));
    char *pattern = g_strdup_printf("%%{%s:x}", rill__grok_name(i));
    GError *error = NULL;
    rill_regex_parser *p = rill_regex_parser_new(pattern, &error);
    g_assert_no_error(error);
    rill_regex_parser_free(p);
    g_free(pattern);
  }
  g_string_append_c(want, '\n');
  char *listed = g_strndup(begin, (gsize)(end - begin));
  if (strcmp(listed, want->str) != 0)
    g_error("docs/rill-run.md lists the grok names as\n%s\nbut the table has\n%s", listed, want->str);
  g_free(listed);
  g_string_free(want, TRUE);
  g_free(doc);
  g_free(path);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/regex-parse/common-log", test_common_log);
  g_test_add_func("/regex-parse/combined-and-syslog", test_combined_and_syslog);
  g_test_add_func("/regex-parse/building-blocks", test_building_blocks);
  g_test_add_func("/regex-parse/typed-values", test_typed_values);
  g_test_add_func("/regex-parse/stage", test_stage);
  g_test_add_func("/regex-parse/names-documented", test_names_documented);
  return g_test_run();
}
