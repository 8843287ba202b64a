/* test-fields.c — the field-access API, the json-parse / csv-parse stage
 * with a rejecting callback, and dead-letter options (raw format, stderr-free
 * collection, stop at first error). */
#include "util.h"

static void test_json_fields(void)
{
  rill_fields *f = rill_fields_new(RILL_FIELDS_JSON);
  const char *doc = "{\"status\":503,\"path\":\"/api\",\"t\":1.5,\"user\":{\"name\":\"ann\",\"tags\":[\"a\",\"b\"]},"
                    "\"n\":null,\"s\":\"12\",\"ok\":true}";
  GError *err = NULL;
  g_assert_true(rill_fields_parse(f, doc, strlen(doc), &err));
  g_assert_no_error(err);
  gint64 i;
  double d;
  g_assert_true(rill_fields_get_int(f, "status", &i));
  g_assert_cmpint(i, ==, 503);
  g_assert_true(rill_fields_get_int(f, "s", &i)); /* numeric string */
  g_assert_cmpint(i, ==, 12);
  g_assert_false(rill_fields_get_int(f, "t", &i)); /* 1.5 is not an integer */
  g_assert_true(rill_fields_get_double(f, "t", &d));
  g_assert_cmpfloat(d, ==, 1.5);
  g_assert_cmpstr(rill_fields_get_string(f, "path", NULL), ==, "/api");
  g_assert_cmpstr(rill_fields_get_string(f, "user.name", NULL), ==, "ann");
  g_assert_cmpstr(rill_fields_get_string(f, "user.tags.1", NULL), ==, "b");
  g_assert_cmpstr(rill_fields_get_string(f, "user.tags", NULL), ==, "[\"a\",\"b\"]");
  g_assert_cmpstr(rill_fields_get_string(f, "status", NULL), ==, "503");
  g_assert_cmpstr(rill_fields_get_string(f, "ok", NULL), ==, "true");
  g_assert_null(rill_fields_get_string(f, "user.tags.2", NULL));
  g_assert_null(rill_fields_get_string(f, "missing", NULL));
  g_assert_null(rill_fields_get_string(f, "n", NULL));
  g_assert_true(rill_fields_has(f, "n"));
  g_assert_false(rill_fields_has(f, "missing"));

  GString *out = g_string_new(NULL);
  const char *cols[] = {"path", "status", "n", "user.name", NULL};
  rill_fields_set_columns(f, cols);
  rill_fields_write(f, RILL_FIELDS_CSV, out);
  g_assert_cmpstr(out->str, ==, "/api,503,,ann");
  g_string_free(out, TRUE);

  g_assert_false(rill_fields_parse(f, "{\"a\":", 5, &err));
  g_assert_error(err, RILL_FIELDS_ERROR, RILL_FIELDS_ERROR_PARSE);
  g_clear_error(&err);
  rill_fields_free(f);
}

static void test_csv_fields(void)
{
  rill_fields *f = rill_fields_new(RILL_FIELDS_CSV);
  const char *row = "7,\"a \"\"b\"\"\",,\"\",x";
  rill_record r = RILL_RECORD_INIT;
  r.value = rill_bytes_from_string(row);
  rill_header h = {rill_bytes_from_string("csv-header"), rill_bytes_from_string("id,name,none,empty,last,extra")};
  r.headers = &h;
  r.n_headers = 1;
  GError *err = NULL;
  g_assert_true(rill_fields_parse_record(f, &r, &err));
  g_assert_no_error(err);
  g_assert_cmpuint(rill_fields_n_columns(f), ==, 5);
  gint64 id;
  g_assert_true(rill_fields_get_int(f, "id", &id));
  g_assert_cmpint(id, ==, 7);
  g_assert_cmpstr(rill_fields_get_string(f, "name", NULL), ==, "a \"b\"");
  g_assert_null(rill_fields_get_string(f, "none", NULL));
  g_assert_cmpstr(rill_fields_get_string(f, "empty", NULL), ==, "");
  g_assert_null(rill_fields_get_string(f, "extra", NULL)); /* short row: missing */
  g_assert_false(rill_fields_has(f, "extra"));
  g_assert_cmpstr(rill_fields_get_index(f, 4, NULL), ==, "x");

  GString *out = g_string_new(NULL);
  rill_fields_write(f, RILL_FIELDS_JSON, out);
  /* Typed: 7 is a number unless a type says otherwise. */
  g_assert_cmpstr(out->str, ==, "{\"id\":7,\"name\":\"a \\\"b\\\"\",\"none\":null,\"empty\":\"\",\"last\":\"x\"}");
  g_string_truncate(out, 0);
  const char *typed_names[] = {"id", "last", NULL};
  const rill_value_type typed[] = {RILL_VALUE_STRING, RILL_VALUE_BOOL};
  rill_fields_set_types(f, typed_names, typed);
  rill_fields_append_json(f, "id", out);
  g_assert_cmpstr(out->str, ==, "\"7\"");
  g_assert_false(rill_fields_check_types(f, &err)); /* last=x is no boolean */
  g_assert_error(err, RILL_FIELDS_ERROR, RILL_FIELDS_ERROR_TYPE);
  g_assert_nonnull(strstr(err->message, "column last: 'x' is not a boolean"));
  g_clear_error(&err);
  rill_fields_set_types(f, NULL, NULL);
  g_assert_true(rill_fields_check_types(f, NULL));
  g_assert_true(rill_fields_csv_has_names(f));
  g_assert_true(rill_fields_csv_knows(f, "extra"));
  g_assert_false(rill_fields_csv_knows(f, "c1"));
  g_string_truncate(out, 0);
  rill_fields_write(f, RILL_FIELDS_CSV, out);
  g_assert_cmpstr(out->str, ==, row);
  g_string_free(out, TRUE);

  /* No header row (an empty csv-header): the columns are c1..cN. */
  rill_header empty = {rill_bytes_from_string("csv-header"), rill_bytes_make("", 0)};
  r.headers = &empty;
  r.value = rill_bytes_from_string("a,2.50,true");
  g_assert_true(rill_fields_parse_record(f, &r, NULL));
  g_assert_false(rill_fields_csv_has_names(f));
  g_assert_true(rill_fields_csv_knows(f, "c3"));
  g_assert_false(rill_fields_csv_knows(f, "name"));
  g_assert_cmpstr(rill_fields_get_string(f, "c2", NULL), ==, "2.50");
  out = g_string_new(NULL);
  rill_fields_write(f, RILL_FIELDS_JSON, out);
  g_assert_cmpstr(out->str, ==, "{\"c1\":\"a\",\"c2\":2.50,\"c3\":true}");
  g_string_free(out, TRUE);

  g_assert_false(rill_fields_parse(f, "1,\"open", 7, &err));
  g_assert_error(err, RILL_FIELDS_ERROR, RILL_FIELDS_ERROR_PARSE);
  g_clear_error(&err);
  g_assert_false(rill_fields_parse(f, "\"a\"b,c", 6, &err));
  g_assert_error(err, RILL_FIELDS_ERROR, RILL_FIELDS_ERROR_PARSE);
  g_clear_error(&err);
  rill_fields_free(f);
}

/* json-parse with a callback: 5xx kept, 2xx dropped, status "bad" rejected,
 * a malformed line rejected by the parser. */
static rill_verdict keep_errors(rill_ctx *ctx, rill_fields *fields, const rill_record *in, rill_record *out,
                                const char **reason, void *user_data)
{
  gint64 status;
  if (!rill_fields_get_int(fields, "status", &status)) {
    *reason = "status is not a number";
    return RILL_VERDICT_REJECT;
  }
  return status >= 500 ? RILL_VERDICT_KEEP : RILL_VERDICT_DROP;
}

static void test_parse_stage_dead_letters(void)
{
  char *dir = make_tmp_dir();
  char *in = g_build_filename(dir, "in.jsonl", NULL);
  write_file(in, "{\"status\":200}\n{\"status\":503}\n{\"status\":\"bad\"}\nnot json\n{\"status\":500}\n", -1);
  collect_sink *dead = collect_sink_new();
  rill_dead_letter *dl = rill_dead_letter_new(&collect_sink_class, dead, NULL);
  rill_dead_letter_set_format(dl, RILL_DEAD_LETTER_RAW);

  collect_sink *good = collect_sink_new();
  rill_pipeline *p = rill_pipeline_new("parse");
  rill_file_source *src = rill_file_source_new(in, RILL_FILE_FORMAT_JSONL);
  rill_file_source_set_validate(src, FALSE); /* let the parse stage see the bad line */
  rill_stage *s = rill_pipeline_add_file_source(p, "in", src);
  rill_stage *parse = rill_pipeline_add_parse(p, "parse", s, RILL_FIELDS_JSON, dl, keep_errors, NULL, NULL, NULL);
  rill_pipeline_add_sink(p, "good", parse, &collect_sink_class, good, NULL);
  GError *err = NULL;
  g_assert_true(rill_pipeline_run(p, &err));
  g_assert_no_error(err);
  guint n;
  rill_stage_metrics *m = rill_pipeline_get_metrics(p, &n);
  g_assert_cmpstr(m[1].type_name, ==, "json-parse");
  g_assert_cmpuint(m[1].dead_letters, ==, 2);
  g_free(m);
  rill_pipeline_unref(p);
  rill_dead_letter_unref(dl);

  g_assert_cmpuint(collect_sink_len(good), ==, 2);
  g_assert_cmpstr(collect_sink_get(good, 0)->value, ==, "{\"status\":503}");
  g_assert_cmpstr(collect_sink_get(good, 1)->value, ==, "{\"status\":500}");
  g_assert_cmpuint(collect_sink_len(dead), ==, 2);
  /* raw format: the original value, position headers kept */
  g_assert_cmpstr(collect_sink_get(dead, 0)->value, ==, "{\"status\":\"bad\"}");
  g_assert_cmpint(collect_sink_get(dead, 0)->line, ==, 3);
  g_assert_cmpstr(collect_sink_get(dead, 0)->file, ==, in);
  g_assert_cmpstr(collect_sink_get(dead, 1)->value, ==, "not json");
  g_assert_cmpint(collect_sink_get(dead, 1)->line, ==, 4);
  g_assert_cmpint(collect_sink_get(dead, 1)->offset, ==, 47);
  collect_sink_free(good);
  collect_sink_free(dead);
  g_free(in);
  remove_tree(dir);
  g_free(dir);
}

/* Reasons travel as headers; checked with a sink that reads them. */
static char *last_reason;
static rill_flow reason_write(rill_ctx *ctx, void *state, const rill_batch *batch)
{
  const rill_record *r = rill_batch_records(batch);
  for (size_t i = 0; i < rill_batch_len(batch); i++) {
    const rill_bytes *b = rill_record_header(&r[i], RILL_DEAD_LETTER_REASON_HEADER);
    g_free(last_reason);
    last_reason = b ? g_strndup((const char *)b->data, b->len) : NULL;
  }
  return RILL_FLOW_OK;
}
static const rill_sink_class reason_sink = {.type_name = "reasons", .write = reason_write};

static void test_stop_on_first_error(void)
{
  char *dir = make_tmp_dir();
  char *in = g_build_filename(dir, "in.csv", NULL);
  write_file(in, "1,a\n2,\"b\"x\n3,c\n", -1);
  rill_dead_letter *dl = rill_dead_letter_new(&reason_sink, NULL, NULL);
  rill_dead_letter_set_stop_on_error(dl, TRUE);
  collect_sink *good = collect_sink_new();
  rill_pipeline *p = rill_pipeline_new("stop");
  rill_stage *s = rill_pipeline_add_file_source(p, "in", rill_file_source_new(in, RILL_FILE_FORMAT_CSV));
  rill_stage *parse = rill_pipeline_add_parse(p, "parse", s, RILL_FIELDS_CSV, dl, NULL, NULL, NULL, NULL);
  rill_pipeline_add_sink(p, "good", parse, &collect_sink_class, good, NULL);
  GError *err = NULL;
  g_assert_false(rill_pipeline_run(p, &err));
  g_assert_error(err, RILL_PIPELINE_ERROR, RILL_PIPELINE_ERROR_STAGE);
  g_assert_nonnull(strstr(err->message, "line 2"));
  g_assert_nonnull(strstr(err->message, "byte offset 4"));
  g_assert_nonnull(strstr(err->message, "after the closing quote"));
  g_clear_error(&err);
  rill_pipeline_unref(p);
  g_assert_cmpuint(rill_dead_letter_count(dl), ==, 1);
  g_assert_nonnull(last_reason);
  g_assert_nonnull(strstr(last_reason, "after the closing quote"));
  g_clear_pointer(&last_reason, g_free);
  rill_dead_letter_unref(dl);
  g_assert_cmpuint(collect_sink_len(good), ==, 1);
  collect_sink_free(good);
  g_free(in);
  remove_tree(dir);
  g_free(dir);
}

/* Checks @path with a real JSON parser (/usr/bin/python3): every line must be
 * strict UTF-8 and valid JSON. Lines "HEX\tJSON" are escaper outputs: the
 * decoded string must equal the input bytes read as UTF-8 where valid and
 * byte for byte (as code point 0xXX) where not. Dead-letter lines (plain
 * JSON) must carry such a decoding of the original line in "value". */
static const char check_py[] =
  "import codecs, json, sys\n"
  "codecs.register_error('bytewise', lambda e: (e.object[e.start:e.start + 1].decode('latin-1'), e.start + 1))\n"
  "n = 0\n"
  "for raw in open(sys.argv[1], 'rb').read().split(b'\\n'):\n"
  "    if not raw:\n"
  "        continue\n"
  "    line = raw.decode('utf-8')\n"
  "    if '\\t' in line and not line.startswith('{'):\n"
  "        hexed, text = line.split('\\t', 1)\n"
  "        got = json.loads(text)\n"
  "        want = bytes.fromhex(hexed).decode('utf-8', 'bytewise')\n"
  "        assert got == want, (hexed, got, want)\n"
  "    else:\n"
  "        json.loads(line)\n"
  "    n += 1\n"
  "print(n)\n";

static void check_json_lines(const char *path, guint want_lines)
{
  const char *argv[] = {"/usr/bin/python3", "-c", check_py, path, NULL};
  g_autofree char *out = NULL, *err_text = NULL;
  int status = 0;
  GError *err = NULL;
  g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err_text, &status, &err));
  g_assert_no_error(err);
  if (!g_spawn_check_wait_status(status, NULL))
    g_error("python3 rejected %s:\n%s", path, err_text);
  g_assert_cmpuint(g_ascii_strtoull(out, NULL, 10), ==, want_lines);
}

static void test_json_string_invalid_utf8(void)
{
  static const struct {
    const char *bytes;
    gssize len;
  } cases[] = {
    {"plain", -1},
    {"quote \" backslash \\ slash /", -1},
    {"\n\r\t\b\f\x01\x1f\x7f", -1},
    {"nul\0inside", 10},
    {"\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", -1}, /* é € 😀: valid, kept */
    {"\x80", -1},                                   /* lone continuation byte */
    {"\xff\xfe", -1},                               /* never valid */
    {"cut \xe2\x82", -1},                           /* truncated sequence at the end */
    {"\xe2\x82 mid", -1},                           /* truncated sequence inside */
    {"\xc0\xaf", -1},                               /* overlong '/' */
    {"\xed\xa0\x80", -1},                           /* UTF-16 surrogate */
    {"\xf4\x90\x80\x80", -1},                       /* above U+10FFFF */
    {"ok \xc3\xa9 then \xe9 latin-1", -1},
  };
  char *dir = make_tmp_dir();
  char *path = g_build_filename(dir, "escaped.txt", NULL);
  GString *file = g_string_new(NULL);
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    gsize len = cases[i].len < 0 ? strlen(cases[i].bytes) : (gsize)cases[i].len;
    for (gsize j = 0; j < len; j++)
      g_string_append_printf(file, "%02x", (guint8)cases[i].bytes[j]);
    g_string_append_c(file, '\t');
    rill_json_append_string(file, cases[i].bytes, cases[i].len);
    g_string_append_c(file, '\n');
  }
  write_file(path, file->str, (gssize)file->len);
  check_json_lines(path, G_N_ELEMENTS(cases));
  g_string_free(file, TRUE);
  g_free(path);
  remove_tree(dir);
  g_free(dir);
}

/* A malformed line with bytes that are not UTF-8 goes to a JSONL dead-letter
 * file: every line there is still valid JSON. */
static void test_dead_letter_file_invalid_utf8(void)
{
  char *dir = make_tmp_dir();
  char *in = g_build_filename(dir, "in.jsonl", NULL);
  char *dl_path = g_build_filename(dir, "dead.jsonl", NULL);
  write_file(in, "{\"ok\":1}\n{\"name\":\"caf\xe9\"\n\xff\xfe{\n{\"ok\":2}\n{\"a\":\"\xc3\xa9\n", -1);
  rill_dead_letter *dl = rill_dead_letter_new(&rill_file_sink_class, rill_file_sink_new(dl_path, RILL_FILE_FORMAT_LINES),
                                              (GDestroyNotify)rill_file_sink_free);
  collect_sink *good = collect_sink_new();
  rill_pipeline *p = rill_pipeline_new("dl-utf8");
  rill_file_source *src = rill_file_source_new(in, RILL_FILE_FORMAT_JSONL);
  rill_file_source_set_dead_letter(src, dl);
  rill_pipeline_add_sink(p, "good", rill_pipeline_add_file_source(p, "in", src), &collect_sink_class, good, NULL);
  GError *err = NULL;
  g_assert_true(rill_pipeline_run(p, &err));
  g_assert_no_error(err);
  rill_pipeline_unref(p);
  g_assert_cmpuint(rill_dead_letter_count(dl), ==, 3);
  rill_dead_letter_unref(dl);
  g_assert_cmpuint(collect_sink_len(good), ==, 2);
  check_json_lines(dl_path, 3);
  collect_sink_free(good);
  g_free(dl_path);
  g_free(in);
  remove_tree(dir);
  g_free(dir);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/fields/json", test_json_fields);
  g_test_add_func("/fields/json-string/invalid-utf8", test_json_string_invalid_utf8);
  g_test_add_func("/fields/dead-letter-file/invalid-utf8", test_dead_letter_file_invalid_utf8);
  g_test_add_func("/fields/csv", test_csv_fields);
  g_test_add_func("/fields/parse-stage/dead-letters", test_parse_stage_dead_letters);
  g_test_add_func("/fields/parse-stage/stop-on-first-error", test_stop_on_first_error);
  return g_test_run();
}
