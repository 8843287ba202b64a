/* test-rill-run-text.c — rill-run's plain-text and format features as a
 * user runs them (the real binary, real files, stdin through a shell
 * redirect): the line filter, regex-parse with grok names, CSV with and
 * without a header, typed columns, sinks converting JSON <-> CSV, numbers
 * printed shortest round-trip and decimal aggregates. Every expected
 * output is written by hand. */
#include <rill/rill.h>

#include <sys/wait.h>

#include "tests/connectors/util.h"

static char *dir;

/* Runs `rill-run -q PIPELINE` (stdin from @input_file when not NULL);
 * returns the exit status with stdout and stderr (g_free). */
static int run(const char *pipeline, const char *input_file, char **out, char **err)
{
  char *bin = g_build_filename(RILL_BINARY_DIR, "tools", "rill-run", NULL);
  const char *argv[] = {"/bin/sh", "-c", "cd \"$3\" && exec \"$0\" -q \"$1\" < \"$2\"", bin, pipeline,
                        input_file ? input_file : "/dev/null", dir, NULL};
  int status = -1;
  GError *error = NULL;
  g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, out, err, &status, &error));
  g_assert_no_error(error);
  g_free(bin);
  g_assert_true(WIFEXITED(status));
  return WEXITSTATUS(status);
}

/* rill-run must exit 0 and print exactly @want. */
static void expect_out(const char *pipeline, const char *input_file, const char *want)
{
  char *out = NULL, *err = NULL;
  int rc = run(pipeline, input_file, &out, &err);
  if (rc != 0 || strcmp(out, want) != 0)
    g_error("%s\nexit %d, stdout:\n%s\nwanted:\n%s\nstderr:\n%s", pipeline, rc, out, want, err);
  g_free(out);
  g_free(err);
}

/* rill-run must exit @code with @part in its stderr. */
static void expect_fail(const char *pipeline, const char *input_file, int code, const char *part)
{
  char *out = NULL, *err = NULL;
  int rc = run(pipeline, input_file, &out, &err);
  if (rc != code || !strstr(err, part))
    g_error("%s\nexit %d (wanted %d), stderr:\n%s\nwanted in it: %s", pipeline, rc, code, err, part);
  g_free(out);
  g_free(err);
}

static char *file_text(const char *name)
{
  char *path = g_build_filename(dir, name, NULL), *text = NULL;
  g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
  g_free(path);
  return text;
}

static void put(const char *name, const char *text)
{
  char *path = g_build_filename(dir, name, NULL);
  write_file(path, text, -1);
  g_free(path);
}

#define LINE1 "10.0.1.2 - - [14/Nov/2023:22:13:20 +0000] \"GET /cart HTTP/1.1\" 503 1234\n"
#define LINE2 "10.0.1.3 - ann [14/Nov/2023:22:13:21 +0000] \"POST /api HTTP/1.0\" 200 -\n"
#define LINE3 "garbage line\n"
#define LINE4 "bad \xff byte \" 503 \n"

static void test_line_filter(void)
{
  put("access.log", LINE1 LINE2 LINE3 LINE4);
  /* The example: a regex over whole lines (no field=). */
  expect_out("file-src path=access.log ! filter regex='\" 5[0-9][0-9] ' ! stdout-sink", NULL, LINE1);
  expect_out("file-src path=access.log ! filter contains=garbage ! stdout-sink", NULL, LINE3);
  /* invert: a line that is not UTF-8 never matches regex=, so it is kept here. */
  expect_out("file-src path=access.log ! filter regex='^10\\.' invert=true ! stdout-sink", NULL, LINE3 LINE4);
  expect_out("stdin-src ! filter contains=ann invert=true ! stdout-sink", "access.log", LINE1 LINE3 LINE4);
  /* invert on a field filter. */
  put("n.jsonl", "{\"n\":1}\n{\"n\":7}\n");
  expect_out("file-src path=n.jsonl ! filter field=n gt=2 invert=true ! stdout-sink", NULL, "{\"n\":1}\n");
  expect_fail("file-src path=access.log ! filter ge=500 ! stdout-sink", NULL, 2,
              "filter: ge= compares a field: give field= too");
  expect_fail("file-src path=access.log ! filter regex='([' ! stdout-sink", NULL, 2, "missing terminating ]");
}

static void test_regex_parse(void)
{
  put("access.log", LINE1 LINE2 LINE3 LINE4);
  expect_out("file-src path=access.log ! regex-parse pattern='^%{COMMONAPACHELOG}$' types.timestamp=timestamp "
             "dead-letter=file:bad.jsonl ! stdout-sink",
             NULL,
             "{\"clientip\":\"10.0.1.2\",\"ident\":\"-\",\"auth\":\"-\",\"timestamp\":1700000000000,\"verb\":\"GET\","
             "\"request\":\"/cart\",\"httpversion\":1.1,\"rawrequest\":null,\"response\":503,\"bytes\":1234}\n"
             "{\"clientip\":\"10.0.1.3\",\"ident\":\"-\",\"auth\":\"ann\",\"timestamp\":1700000001000,\"verb\":\"POST\","
             "\"request\":\"/api\",\"httpversion\":1.0,\"rawrequest\":null,\"response\":200,\"bytes\":null}\n");
  char *bad = file_text("bad.jsonl");
  char **lines = g_strsplit(bad, "\n", -1);
  g_assert_cmpuint(g_strv_length(lines), ==, 3); /* two and the empty tail */
  g_assert_nonnull(strstr(lines[0], "\"reason\":\"the line does not match the pattern\""));
  g_assert_nonnull(strstr(lines[0], "\"line\":3"));
  g_assert_nonnull(strstr(lines[1], "\"reason\":\"not valid UTF-8 at byte 4\""));
  g_strfreev(lines);
  g_free(bad);
  /* Parsed fields feed the field elements. */
  expect_out("file-src path=access.log ! regex-parse pattern='^%{COMMONAPACHELOG}$' dead-letter=file:bad.jsonl "
             "! filter field=response ge=500 ! project fields=request,bytes ! stdout-sink",
             NULL, "{\"request\":\"/cart\",\"bytes\":1234}\n");
  /* Without dead-letter=, the first unparsed line fails the run, naming it. */
  expect_fail("file-src path=access.log ! regex-parse pattern='^%{COMMONAPACHELOG}$' ! stdout-sink", NULL, 1,
              "access.log:3: the line does not match the pattern");
  /* malformed=skip: the two bad lines are dropped, counted and reported once. */
  char *out = NULL, *err = NULL;
  g_assert_cmpint(run("file-src path=access.log ! regex-parse pattern='^%{COMMONAPACHELOG}$' malformed=skip "
                      "! project fields=response ! stdout-sink",
                      NULL, &out, &err),
                  ==, 0);
  g_assert_cmpstr(out, ==, "{\"response\":503}\n{\"response\":200}\n");
  g_assert_nonnull(strstr(err, "regex-parse: skipped 2 lines that did not parse (first: access.log:3: the line does not "
                                "match the pattern)"));
  g_free(out);
  g_free(err);
  /* Plain named groups, syslog. */
  put("sys.log", "Nov 14 22:13:20 web01 sshd[42]: Accepted key\n");
  expect_out("stdin-src ! regex-parse pattern='^%{SYSLOGLINE}$' ! stdout-sink", "sys.log",
             "{\"timestamp\":\"Nov 14 22:13:20\",\"logsource\":\"web01\",\"program\":\"sshd\",\"pid\":42,"
             "\"message\":\"Accepted key\"}\n");
  put("kv.txt", "user=ann age=41 admin=yes\n");
  expect_out("stdin-src ! regex-parse pattern='user=(?<user>\\w+) age=(?<age>\\d+) admin=(?<admin>\\w+)' "
             "types.age=string types.admin=bool ! stdout-sink",
             "kv.txt", "{\"user\":\"ann\",\"age\":\"41\",\"admin\":true}\n");
  /* Configuration errors: exit 2 at the spot. */
  expect_fail("stdin-src ! regex-parse pattern='%{NOPE:x}' ! stdout-sink", NULL, 2, "unknown pattern name %{NOPE:x}");
  expect_fail("stdin-src ! regex-parse pattern='(?<a>x)' types.b=int ! stdout-sink", NULL, 2,
              "the pattern has no field 'b' (its fields: a)");
  expect_fail("stdin-src ! regex-parse pattern='(?<a>x)' types.a=number ! stdout-sink", NULL, 2,
              "'number' is not a type");
  expect_fail("stdin-src ! regex-parse pattern='(?<a>x)' typo=1 ! stdout-sink", NULL, 2,
              "regex-parse has no parameter 'typo'");
}

static void test_csv(void)
{
  put("h.csv", "name,price,ok\napple,76.34,true\npear,1.5,false\n");
  put("nh.csv", "apple,76.34,true\npear,1.5,false\n");
  /* Header row: typed values. */
  expect_out("file-src path=h.csv format=csv csv-header=true ! project fields=name,price,ok format=csv ! stdout-sink",
             NULL, "{\"name\":\"apple\",\"price\":76.34,\"ok\":true}\n{\"name\":\"pear\",\"price\":1.5,\"ok\":false}\n");
  /* The same from stdin. */
  expect_out("stdin-src format=csv csv-header=true ! filter field=price gt=2 format=csv ! stdout-sink", "h.csv",
             "apple,76.34,true\n");
  /* No header: columns= names them, or c1..cN. */
  expect_out("file-src path=nh.csv format=csv columns=fruit,cost,fresh ! filter field=cost lt=2 format=csv "
             "! project fields=fruit,cost format=csv ! stdout-sink",
             NULL, "{\"fruit\":\"pear\",\"cost\":1.5}\n");
  expect_out("stdin-src format=csv ! project fields=c1,c3 format=csv ! stdout-sink", "nh.csv",
             "{\"c1\":\"apple\",\"c3\":true}\n{\"c1\":\"pear\",\"c3\":false}\n");
  expect_fail("file-src path=nh.csv columns=a,b ! stdout-sink", NULL, 2, "columns= names CSV columns: add format=csv");
  /* columns= replaces a header row. */
  expect_out("file-src path=h.csv format=csv csv-header=true columns=a,b,c ! project fields=a format=csv "
             "! stdout-sink",
             NULL, "{\"a\":\"apple\"}\n{\"a\":\"pear\"}\n");
  /* A name where there is no header: a clear error, not nulls with exit 0. */
  expect_fail("stdin-src format=csv ! filter field=price gt=2 format=csv ! stdout-sink", "nh.csv", 1,
              "field=price names a CSV column but the input has no header row: give the source csv-header=true or "
              "columns=");
  expect_fail("file-src path=h.csv format=csv csv-header=true ! project fields=name,prize format=csv ! stdout-sink",
              NULL, 1, "the CSV has no column 'prize'");
  /* csv-parse: a schema (types.COLUMN) and typed JSON objects. */
  put("t.csv", "id,zip,price\n7,01234,3.5\n8,99999,abc\n");
  expect_out("file-src path=t.csv format=csv csv-header=true ! csv-parse output=json types.zip=string "
             "types.id=string ! stdout-sink",
             NULL, "{\"id\":\"7\",\"zip\":\"01234\",\"price\":3.5}\n{\"id\":\"8\",\"zip\":\"99999\",\"price\":\"abc\"}\n");
  expect_out("file-src path=t.csv format=csv csv-header=true ! csv-parse output=json types.price=float "
             "dead-letter=file:bad.jsonl ! filter field=price gt=1 ! stdout-sink",
             NULL, "{\"id\":7,\"zip\":\"01234\",\"price\":3.5}\n");
  char *bad = file_text("bad.jsonl");
  g_assert_nonnull(strstr(bad, "\"reason\":\"column price: 'abc' is not a number\""));
  g_free(bad);
}

static void test_sinks_convert(void)
{
  put("h.csv", "name,price,ok\napple,76.34,true\n\"b, c\",,false\n");
  put("nh.csv", "apple,76.34,true\n");
  put("j.jsonl", "{\"a\":1,\"b\":\"x,y\",\"c\":1.25}\n{\"b\":\"q\",\"a\":2.5,\"d\":{\"e\":[0.1]}}\n");
  expect_out("file-src path=h.csv format=csv csv-header=true ! stdout-sink format=jsonl", NULL,
             "{\"name\":\"apple\",\"price\":76.34,\"ok\":true}\n{\"name\":\"b, c\",\"price\":null,\"ok\":false}\n");
  expect_out("stdin-src format=csv ! stdout-sink format=jsonl", "nh.csv", "{\"c1\":\"apple\",\"c2\":76.34,\"c3\":true}\n");
  /* JSON to CSV: the first record's members are the header; later records by name. */
  expect_out("file-src path=j.jsonl ! stdout-sink format=csv", NULL, "a,b,c\n1,\"x,y\",1.25\n2.5,q,\n");
  expect_out("file-src path=h.csv format=csv csv-header=true ! stdout-sink format=csv", NULL,
             "name,price,ok\napple,76.34,true\n\"b, c\",,false\n");
  char *out = NULL, *err = NULL;
  g_assert_cmpint(run("file-src path=j.jsonl ! file-sink path=j.csv format=csv", NULL, &out, &err), ==, 0);
  g_free(out);
  g_free(err);
  char *text = file_text("j.csv");
  g_assert_cmpstr(text, ==, "a,b,c\n1,\"x,y\",1.25\n2.5,q,\n");
  g_free(text);
  g_assert_cmpint(run("file-src path=j.jsonl ! file-sink path=j2.csv format=csv csv-header=d,a", NULL, &out, &err), ==,
                  0);
  g_free(out);
  g_free(err);
  text = file_text("j2.csv");
  g_assert_cmpstr(text, ==, "d,a\n,1\n\"{\"\"e\"\":[0.1]}\",2.5\n");
  g_free(text);
  g_assert_cmpint(run("file-src path=h.csv format=csv csv-header=true ! file-sink path=h.jsonl format=jsonl", NULL,
                      &out, &err),
                  ==, 0);
  g_free(out);
  g_free(err);
  text = file_text("h.jsonl");
  g_assert_cmpstr(text, ==,
                  "{\"name\":\"apple\",\"price\":76.34,\"ok\":true}\n{\"name\":\"b, c\",\"price\":null,\"ok\":false}\n");
  g_free(text);
}

static void test_numbers(void)
{
  put("p.jsonl", "{\"k\":\"a\",\"price\":76.34}\n{\"k\":\"a\",\"price\":1.5}\n{\"k\":\"b\",\"price\":2}\n"
                 "{\"k\":\"b\",\"price\":3}\n{\"k\":\"b\"}\n");
  expect_out("file-src path=p.jsonl ! project fields=price ! stdout-sink", NULL,
             "{\"price\":76.34}\n{\"price\":1.5}\n{\"price\":2}\n{\"price\":3}\n{\"price\":null}\n");
  /* Running aggregates: the last update per key is the result. */
  const struct {
    const char *agg, *a, *b;
  } cases[] = {{"sum", "77.84", "5"}, {"min", "1.5", "2"}, {"max", "76.34", "3"}, {"avg", "38.92", "2.5"}};
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    char *p = g_strdup_printf("file-src path=p.jsonl ! set-key field=k ! %s field=price ! to-json ! stdout-sink",
                              cases[i].agg);
    char *want = g_strdup_printf("{\"key\":\"a\",\"value\":%s}\n{\"key\":\"b\",\"value\":%s}\n", cases[i].a,
                                 cases[i].b);
    char *out = NULL, *err = NULL;
    g_assert_cmpint(run(p, NULL, &out, &err), ==, 0);
    /* One update per key per batch; the file is one batch. */
    if (strcmp(out, want) != 0)
      g_error("%s: got\n%s\nwant\n%s", cases[i].agg, out, want);
    g_free(out);
    g_free(err);
    g_free(p);
    g_free(want);
  }
  /* The event-time field: field and value named. */
  put("t.jsonl", "{\"t\":\"2023-11-14T22:13:20Z\"}\n{\"t\":\"14/Nov/2023:22:13:21 +0000\"}\n{\"t\":\"soon\"}\n");
  expect_fail("file-src path=t.jsonl ! watermarks field=t ! stdout-sink", NULL, 1,
              "t.jsonl:3: field 't' is not a timestamp (ISO 8601, common log format or an integer): 'soon'");
  put("bad.jsonl", "{\"price\":1}\n{\"price\":\"cheap\"}\n");
  expect_fail("file-src path=bad.jsonl ! sum field=price ! stdout-sink", NULL, 1,
              "sum field=price: 'cheap' is not a number");
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  dir = make_tmp_dir();
  g_test_add_func("/rill-run-text/line-filter", test_line_filter);
  g_test_add_func("/rill-run-text/regex-parse", test_regex_parse);
  g_test_add_func("/rill-run-text/csv", test_csv);
  g_test_add_func("/rill-run-text/sinks-convert", test_sinks_convert);
  g_test_add_func("/rill-run-text/numbers", test_numbers);
  int rc = g_test_run();
  remove_tree(dir);
  g_free(dir);
  return rc;
}
