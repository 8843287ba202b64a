/* test-file.c — the file source and sink on real files: round trips per
 * format, globs and directories over P tasks, follow mode with appends,
 * rotation and truncation, sink rotation, and bad input. */
#include "util.h"

#include "connectors/file/source-private.h"
#include "tests/harness/rill-harness.h"

#include <glib/gstdio.h>

/* Runs vector(values) -> file sink (@sink, transfer full). */
static void write_with_sink(rill_file_sink *sink, char **values, const char *csv_header, guint parallelism)
{
  vector_source vs = {values, g_strv_length(values), csv_header};
  rill_pipeline *p = rill_pipeline_new("write");
  rill_pipeline_set_parallelism(p, parallelism);
  rill_stage *src = rill_pipeline_add_source(p, "vector", &vector_source_class, &vs, NULL);
  rill_pipeline_add_file_sink(p, "sink", src, sink);
  GError *err = NULL;
  g_assert_true(rill_pipeline_run(p, &err));
  g_assert_no_error(err);
  rill_pipeline_unref(p);
}

/* Runs file source (@source, transfer full) -> collect; returns the sink. */
static collect_sink *read_with_source(rill_file_source *source, guint parallelism, GError **error)
{
  collect_sink *c = collect_sink_new();
  rill_pipeline *p = rill_pipeline_new("read");
  rill_pipeline_set_parallelism(p, parallelism);
  rill_stage *src = rill_pipeline_add_file_source(p, "files", source);
  rill_pipeline_add_sink(p, "collect", src, &collect_sink_class, c, NULL);
  rill_pipeline_run(p, error);
  rill_pipeline_unref(p);
  return c;
}

static void assert_values(collect_sink *c, char **expected)
{
  g_assert_cmpuint(collect_sink_len(c), ==, g_strv_length(expected));
  for (guint i = 0; expected[i]; i++)
    g_assert_cmpstr(collect_sink_get(c, i)->value, ==, expected[i]);
}

static void test_lines_round_trip(void)
{
  char *dir = make_tmp_dir();
  char *path = g_build_filename(dir, "out.txt", NULL);
  char *values[] = {"first", "", "  spaces  ", "tab\there", "ünïcödé", "last", NULL};
  write_with_sink(rill_file_sink_new(path, RILL_FILE_FORMAT_LINES), values, NULL, 1);
  char *text = read_file(path);
  g_assert_cmpstr(text, ==, "first\n\n  spaces  \ntab\there\nünïcödé\nlast\n");
  g_free(text);

  GError *err = NULL;
  collect_sink *c = read_with_source(rill_file_source_new(path, RILL_FILE_FORMAT_LINES), 1, &err);
  g_assert_no_error(err);
  assert_values(c, values);
  /* positions: line numbers and byte offsets of each line start */
  g_assert_cmpint(collect_sink_get(c, 0)->line, ==, 1);
  g_assert_cmpint(collect_sink_get(c, 0)->offset, ==, 0);
  g_assert_cmpint(collect_sink_get(c, 2)->line, ==, 3);
  g_assert_cmpint(collect_sink_get(c, 2)->offset, ==, 7);
  g_assert_cmpstr(collect_sink_get(c, 5)->file, ==, path);
  collect_sink_free(c);
  g_free(path);
  remove_tree(dir);
  g_free(dir);
}

static void test_final_line_without_newline(void)
{
  char *dir = make_tmp_dir();
  char *path = g_build_filename(dir, "in.txt", NULL);
  write_file(path, "a\nbb\nccc", -1);
  GError *err = NULL;
  collect_sink *c = read_with_source(rill_file_source_new(path, RILL_FILE_FORMAT_LINES), 1, &err);
  g_assert_no_error(err);
  char *expected[] = {"a", "bb", "ccc", NULL};
  assert_values(c, expected);
  g_assert_cmpint(collect_sink_get(c, 2)->offset, ==, 5);
  collect_sink_free(c);
  g_free(path);
  remove_tree(dir);
  g_free(dir);
}

/* Lines longer than the chunk, and many lines over many chunks. */
static void test_small_chunks(void)
{
  char *dir = make_tmp_dir();
  char *path = g_build_filename(dir, "in.txt", NULL);
  GString *text = g_string_new(NULL);
  GPtrArray *expected = g_ptr_array_new_with_free_func(g_free);
  char *long_tail = g_strnfill(10000, 'x');
  for (guint i = 0; i < 3000; i++) {
    char *line = g_strdup_printf("line-%u-%s", i, i % 500 == 7 ? long_tail : "");
    g_string_append_printf(text, "%s\n", line);
    g_ptr_array_add(expected, line);
  }
  g_ptr_array_add(expected, NULL);
  write_file(path, text->str, (gssize)text->len);
  rill_file_source *s = rill_file_source_new(path, RILL_FILE_FORMAT_LINES);
  rill_file_source_set_chunk_size(s, 4096);
  GError *err = NULL;
  collect_sink *c = read_with_source(s, 1, &err);
  g_assert_no_error(err);
  assert_values(c, (char **)expected->pdata);
  g_free(long_tail);
  collect_sink_free(c);
  g_ptr_array_unref(expected);
  g_string_free(text, TRUE);
  g_free(path);
  remove_tree(dir);
  g_free(dir);
}

/* CSV: quotes, doubled quotes, separators, embedded CR/LF, NULL vs empty. */
static void test_csv_round_trip(void)
{
  static const char *rows[][4] = {
    {"plain", "42", "x", NULL},
    {"with,comma", "say \"hi\"", "multi\nline\nvalue", NULL},
    {"", NULL, " padded ", NULL},     /* empty string, NULL, spaces kept */
    {"crlf\r\ninside", "\"", "", NULL},
    {NULL, NULL, NULL, NULL},          /* all NULL: ",," */
  };
  const guint n_rows = G_N_ELEMENTS(rows), n_cols = 3;
  char *values[G_N_ELEMENTS(rows) + 1];
  for (guint r = 0; r < n_rows; r++) {
    GString *row = g_string_new(NULL);
    rill_csv_append_row(row, rows[r], NULL, n_cols, ',');
    values[r] = g_string_free(row, FALSE);
  }
  values[n_rows] = NULL;
  g_assert_cmpstr(values[1], ==, "\"with,comma\",\"say \"\"hi\"\"\",\"multi\nline\nvalue\"");
  g_assert_cmpstr(values[2], ==, "\"\",,\" padded \"");

  char *dir = make_tmp_dir();
  char *path = g_build_filename(dir, "out.csv", NULL);
  rill_file_sink *sink = rill_file_sink_new(path, RILL_FILE_FORMAT_CSV);
  rill_file_sink_set_csv_header(sink, "name,count,note");
  write_with_sink(sink, values, NULL, 1);

  rill_file_source *src = rill_file_source_new(path, RILL_FILE_FORMAT_CSV);
  rill_file_source_set_csv_header(src, TRUE);
  GError *err = NULL;
  collect_sink *c = read_with_source(src, 1, &err);
  g_assert_no_error(err);
  g_assert_cmpuint(collect_sink_len(c), ==, n_rows);
  rill_fields *f = rill_fields_new(RILL_FIELDS_CSV);
  const char *names[] = {"name", "count", "note", NULL};
  for (guint r = 0; r < n_rows; r++) {
    const collected *got = collect_sink_get(c, r);
    g_assert_cmpstr(got->value, ==, values[r]);
    g_assert_cmpstr(got->csv_header, ==, "name,count,note");
    g_assert_true(rill_fields_parse(f, got->value, strlen(got->value), &err));
    g_assert_no_error(err);
    g_assert_cmpuint(rill_fields_n_columns(f), ==, n_cols);
    rill_fields_set_columns(f, names);
    for (guint k = 0; k < n_cols; k++) {
      g_assert_cmpstr(rill_fields_get_index(f, k, NULL), ==, rows[r][k]);
      g_assert_cmpstr(rill_fields_get_string(f, names[k], NULL), ==, rows[r][k]);
    }
  }
  /* Records start on the right lines although some span several. */
  g_assert_cmpint(collect_sink_get(c, 0)->line, ==, 2);
  g_assert_cmpint(collect_sink_get(c, 1)->line, ==, 3);
  g_assert_cmpint(collect_sink_get(c, 2)->line, ==, 6);
  rill_fields_free(f);
  collect_sink_free(c);
  for (guint r = 0; r < n_rows; r++)
    g_free(values[r]);
  g_free(path);
  remove_tree(dir);
  g_free(dir);
}

static void test_csv_crlf_file(void)
{
  char *dir = make_tmp_dir();
  char *path = g_build_filename(dir, "in.csv", NULL);
  write_file(path, "a,b\r\n1,\"x\r\ny\"\r\n\r\n2,3", -1);
  rill_file_source *src = rill_file_source_new(path, RILL_FILE_FORMAT_CSV);
  rill_file_source_set_csv_header(src, TRUE);
  GError *err = NULL;
  collect_sink *c = read_with_source(src, 1, &err);
  g_assert_no_error(err);
  char *expected[] = {"1,\"x\r\ny\"", "2,3", NULL};
  assert_values(c, expected);
  g_assert_cmpstr(collect_sink_get(c, 0)->csv_header, ==, "a,b");
  collect_sink_free(c);
  g_free(path);
  remove_tree(dir);
  g_free(dir);
}

static void test_jsonl_round_trip(void)
{
  char *dir = make_tmp_dir();
  char *path = g_build_filename(dir, "out.jsonl", NULL);
  char *values[] = {"{\"a\":1,\"s\":\"line\\nbreak \\\"q\\\"\"}", "[1,2,null]", "\"just a string\"",
                    "{\"nested\":\n  {\"x\": true}\n}", "{\"u\":\"ünï\"}", NULL};
  write_with_sink(rill_file_sink_new(path, RILL_FILE_FORMAT_JSONL), values, NULL, 1);
  GError *err = NULL;
  collect_sink *c = read_with_source(rill_file_source_new(path, RILL_FILE_FORMAT_JSONL), 1, &err);
  g_assert_no_error(err);
  /* the value with raw line breaks was re-serialised on one line */
  char *expected[] = {values[0], values[1], values[2], "{\"nested\":{\"x\":true}}", values[4], NULL};
  assert_values(c, expected);
  collect_sink_free(c);
  g_free(path);
  remove_tree(dir);
  g_free(dir);
}

/* 7 files of different lengths, read through a glob and a directory with
 * P = 1 and P = 3: every (file, line) exactly once with the right value. */
static void check_many_files(const char *pattern, const char *dir, guint parallelism)
{
  GError *err = NULL;
  collect_sink *c = read_with_source(rill_file_source_new(pattern, RILL_FILE_FORMAT_LINES), parallelism, &err);
  g_assert_no_error(err);
  guint total = 0;
  for (guint f = 0; f < 7; f++)
    total += 100 * (f + 1);
  g_assert_cmpuint(collect_sink_len(c), ==, total);
  GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < total; i++) {
    const collected *r = collect_sink_get(c, i);
    char *base = g_path_get_basename(r->file);
    char *expect = g_strdup_printf("%s:%" G_GINT64_FORMAT, base, r->line);
    g_assert_cmpstr(r->value, ==, expect);
    g_assert_true(g_hash_table_add(seen, expect));
    g_free(base);
  }
  g_assert_cmpuint(g_hash_table_size(seen), ==, total);
  g_hash_table_unref(seen);
  collect_sink_free(c);
}

static void test_glob_and_directory(void)
{
  char *dir = make_tmp_dir();
  for (guint f = 0; f < 7; f++) {
    char *name = g_strdup_printf("part%u.log", f);
    char *path = g_build_filename(dir, name, NULL);
    GString *text = g_string_new(NULL);
    for (guint l = 1; l <= 100 * (f + 1); l++)
      g_string_append_printf(text, "%s:%u\n", name, l);
    write_file(path, text->str, (gssize)text->len);
    g_string_free(text, TRUE);
    g_free(path);
    g_free(name);
  }
  char *other = g_build_filename(dir, ".hidden", NULL); /* skipped by directory listing */
  write_file(other, "not me\n", -1);
  char *pattern = g_build_filename(dir, "part*.log", NULL);
  for (guint p = 1; p <= 3; p += 2) {
    check_many_files(pattern, dir, p);
    check_many_files(dir, dir, p);
  }
  GError *err = NULL;
  char *none = g_build_filename(dir, "nothing*.log", NULL);
  collect_sink *c = read_with_source(rill_file_source_new(none, RILL_FILE_FORMAT_LINES), 1, &err);
  g_assert_error(err, RILL_PIPELINE_ERROR, RILL_PIPELINE_ERROR_STAGE);
  g_assert_nonnull(strstr(err->message, "no file matches"));
  g_clear_error(&err);
  collect_sink_free(c);
  g_free(none);
  g_free(other);
  g_free(pattern);
  remove_tree(dir);
  g_free(dir);
}

/* Size rotation: finalized files only, concatenation == input. */
static void test_sink_rotation(void)
{
  char *dir = make_tmp_dir();
  char *path = g_build_filename(dir, "events.jsonl", NULL);
  const guint n = 5000;
  char **values = g_new0(char *, n + 1);
  GString *all = g_string_new(NULL);
  for (guint i = 0; i < n; i++) {
    values[i] = g_strdup_printf("{\"i\":%u,\"pad\":\"%s\"}", i, i % 3 ? "x" : "xxxxxxxxxxxx");
    g_string_append_printf(all, "%s\n", values[i]);
  }
  rill_file_sink *sink = rill_file_sink_new(path, RILL_FILE_FORMAT_JSONL);
  rill_file_sink_set_rotate_bytes(sink, 10000);
  write_with_sink(sink, values, NULL, 1);

  GPtrArray *names = list_dir(dir);
  g_assert_cmpuint(names->len, >, 5);
  GString *concat = g_string_new(NULL);
  for (guint i = 0; i < names->len; i++) {
    const char *name = names->pdata[i];
    char *expect = g_strdup_printf("events-0-%06u.jsonl", i);
    g_assert_cmpstr(name, ==, expect); /* no temporaries, numbered in order */
    g_free(expect);
    char *p = g_build_filename(dir, name, NULL);
    char *text = read_file(p);
    g_assert_cmpuint(strlen(text), <, 10000 + 64);
    g_string_append(concat, text);
    g_free(text);
    g_free(p);
  }
  g_assert_cmpstr(concat->str, ==, all->str);

  /* A second run continues the numbering rather than overwriting. */
  guint before = names->len;
  rill_file_sink *again = rill_file_sink_new(path, RILL_FILE_FORMAT_JSONL);
  rill_file_sink_set_rotate_bytes(again, 10000);
  write_with_sink(again, values, NULL, 1);
  GPtrArray *after = list_dir(dir);
  g_assert_cmpuint(after->len, ==, 2 * before);
  g_ptr_array_unref(after);

  g_ptr_array_unref(names);
  g_string_free(concat, TRUE);
  g_string_free(all, TRUE);
  g_strfreev(values);
  g_free(path);
  remove_tree(dir);
  g_free(dir);
}

/* P = 2 sinks write one file per task; together they hold every record. */
static void test_sink_parallel_names(void)
{
  char *dir = make_tmp_dir();
  char *path = g_build_filename(dir, "out.txt", NULL);
  char *values[] = {"a", "b", "c", NULL};
  write_with_sink(rill_file_sink_new(path, RILL_FILE_FORMAT_LINES), values, NULL, 2);
  GPtrArray *names = list_dir(dir);
  /* The vector source has a split per task: each task writes a b c into its own file. */
  g_assert_cmpuint(names->len, ==, 2);
  for (guint t = 0; t < 2; t++) {
    char *expect = g_strdup_printf("out-%u-000000.txt", t);
    g_assert_cmpstr(names->pdata[t], ==, expect);
    g_free(expect);
    char *p = g_build_filename(dir, names->pdata[t], NULL);
    char *text = read_file(p);
    g_assert_cmpstr(text, ==, "a\nb\nc\n");
    g_free(text);
    g_free(p);
  }
  g_ptr_array_unref(names);
  g_free(path);
  remove_tree(dir);
  g_free(dir);
}

/* ---- follow mode -------------------------------------------------------- */

/* The source polls on a test clock instead of sleeping: each step is one
 * more pass over the file, and returns once the source found nothing new,
 * so everything written before a step has been read when it returns. */
static void test_follow(void)
{
  char *dir = make_tmp_dir();
  char *path = g_build_filename(dir, "app.log", NULL);
  char *rotated = g_build_filename(dir, "app.log.1", NULL);
  write_file(path, "one\ntwo\n", -1);

  rill_file_source *src = rill_file_source_new(path, RILL_FILE_FORMAT_LINES);
  rill_file_source_set_follow(src, TRUE, 20);
  rill_test_clock clock;
  rill_test_clock_init(&clock);
  rill__file_source_set_idle_hook(src, rill_test_clock_wait, &clock);
  collect_sink *c = collect_sink_new();
  rill_pipeline *p = rill_pipeline_new("follow");
  rill_stage *s = rill_pipeline_add_file_source(p, "tail", src);
  rill_pipeline_add_sink(p, "collect", s, &collect_sink_class, c, NULL);
  GError *err = NULL;
  g_assert_true(rill_pipeline_start(p, &err));
  g_assert_no_error(err);

  g_assert_true(collect_sink_wait(c, 2, 30));
  append_file(path, "three\nfo");     /* a partial line waits for its end */
  rill_test_clock_step(&clock);
  g_assert_true(collect_sink_wait(c, 3, 30));
  append_file(path, "ur\nfive\n");
  rill_test_clock_step(&clock);
  g_assert_true(collect_sink_wait(c, 5, 30));

  /* rotation: the old file gets a last line, is renamed, a new one starts */
  append_file(path, "six");
  g_assert_cmpint(g_rename(path, rotated), ==, 0);
  append_file(rotated, " (end of old)\n");
  write_file(path, "seven\neight\n", -1);
  rill_test_clock_step(&clock);
  g_assert_true(collect_sink_wait(c, 8, 30));

  /* truncation in place: read again from the start */
  write_file(path, "", 0);
  g_assert_true(collect_sink_wait(c, 8, 0));
  rill_test_clock_step(&clock); /* the source notices the file shrank before it grows again */
  append_file(path, "nine\n");
  rill_test_clock_step(&clock);
  g_assert_true(collect_sink_wait(c, 9, 30));

  rill_test_clock_release(&clock);
  rill_pipeline_stop(p, TRUE);
  g_assert_true(rill_pipeline_wait(p, &err));
  g_assert_no_error(err);
  char *expected[] = {"one", "two", "three", "four", "five", "six (end of old)", "seven", "eight", "nine", NULL};
  assert_values(c, expected);
  g_assert_cmpint(collect_sink_get(c, 6)->line, ==, 1); /* new file numbered from 1 */
  g_assert_cmpint(collect_sink_get(c, 8)->offset, ==, 0);
  rill_pipeline_unref(p);
  rill_test_clock_clear(&clock);
  collect_sink_free(c);
  g_free(rotated);
  g_free(path);
  remove_tree(dir);
  g_free(dir);
}

/* ---- bad input ---------------------------------------------------------- */

/* No dead-letter output: the pipeline fails naming the file and offset,
 * after every complete record before the bad one was delivered. */
static void test_truncated_csv_fails_after_good_records(void)
{
  char *dir = make_tmp_dir();
  char *path = g_build_filename(dir, "cut.csv", NULL);
  write_file(path, "1,a\n2,b\n3,\"never closed\n", -1);
  GError *err = NULL;
  collect_sink *c = read_with_source(rill_file_source_new(path, RILL_FILE_FORMAT_CSV), 1, &err);
  g_assert_error(err, RILL_PIPELINE_ERROR, RILL_PIPELINE_ERROR_STAGE);
  g_assert_nonnull(strstr(err->message, path));
  g_assert_nonnull(strstr(err->message, "byte offset 8"));
  g_assert_nonnull(strstr(err->message, "line 3"));
  g_clear_error(&err);
  char *expected[] = {"1,a", "2,b", NULL};
  assert_values(c, expected);
  collect_sink_free(c);

  char *missing = g_build_filename(dir, "missing.txt", NULL);
  c = read_with_source(rill_file_source_new(missing, RILL_FILE_FORMAT_LINES), 1, &err);
  g_assert_error(err, RILL_PIPELINE_ERROR, RILL_PIPELINE_ERROR_STAGE);
  g_assert_nonnull(strstr(err->message, missing));
  g_clear_error(&err);
  collect_sink_free(c);
  g_free(missing);
  g_free(path);
  remove_tree(dir);
  g_free(dir);
}

/* With a dead-letter file: the truncated CSV record and a malformed JSON
 * line go there with reason and position; every good record gets through. */
static void test_dead_letters_from_source(void)
{
  char *dir = make_tmp_dir();
  char *csv = g_build_filename(dir, "cut.csv", NULL);
  char *jsonl = g_build_filename(dir, "in.jsonl", NULL);
  char *dl_path = g_build_filename(dir, "dead.jsonl", NULL);
  write_file(csv, "1,a\n2,b\n3,\"never closed\n", -1);
  write_file(jsonl, "{\"ok\":1}\n{\"broken\":\n{\"ok\":2}\n", -1);

  rill_dead_letter *dl = rill_dead_letter_new(&rill_file_sink_class,
                                              rill_file_sink_new(dl_path, RILL_FILE_FORMAT_LINES),
                                              (GDestroyNotify)rill_file_sink_free);
  collect_sink *c = collect_sink_new();
  rill_pipeline *p = rill_pipeline_new("dl");
  rill_file_source *s1 = rill_file_source_new(csv, RILL_FILE_FORMAT_CSV);
  rill_file_source_set_dead_letter(s1, dl);
  rill_file_source *s2 = rill_file_source_new(jsonl, RILL_FILE_FORMAT_JSONL);
  rill_file_source_set_dead_letter(s2, dl);
  rill_stage *in[2] = {rill_pipeline_add_file_source(p, "csv", s1), rill_pipeline_add_file_source(p, "jsonl", s2)};
  rill_stage *u = rill_pipeline_add_union(p, "both", in, 2);
  rill_pipeline_add_sink(p, "collect", u, &collect_sink_class, c, NULL);
  GError *err = NULL;
  g_assert_true(rill_pipeline_run(p, &err));
  g_assert_no_error(err);
  guint n;
  rill_stage_metrics *m = rill_pipeline_get_metrics(p, &n);
  g_assert_cmpuint(m[0].dead_letters, ==, 1);
  g_assert_cmpuint(m[1].dead_letters, ==, 1);
  g_free(m);
  rill_pipeline_unref(p);
  g_assert_cmpuint(rill_dead_letter_count(dl), ==, 2);
  rill_dead_letter_unref(dl);

  g_assert_cmpuint(collect_sink_len(c), ==, 4); /* 1,a  2,b  {"ok":1}  {"ok":2} */
  char *text = read_file(dl_path);
  char **lines = g_strsplit(text, "\n", -1);
  g_assert_cmpuint(g_strv_length(lines), ==, 3); /* two lines + "" after the last \n */
  rill_fields *f = rill_fields_new(RILL_FIELDS_JSON);
  gboolean saw_csv = FALSE, saw_json = FALSE;
  for (guint i = 0; i < 2; i++) {
    g_assert_true(rill_fields_parse(f, lines[i], strlen(lines[i]), &err));
    g_assert_no_error(err);
    const char *file = rill_fields_get_string(f, "file", NULL);
    gint64 line, offset;
    g_assert_true(rill_fields_get_int(f, "line", &line));
    g_assert_true(rill_fields_get_int(f, "offset", &offset));
    const char *reason = rill_fields_get_string(f, "reason", NULL);
    if (g_strcmp0(file, csv) == 0) {
      saw_csv = TRUE;
      g_assert_cmpint(line, ==, 3);
      g_assert_cmpint(offset, ==, 8);
      g_assert_nonnull(strstr(reason, "truncated"));
      g_assert_cmpstr(rill_fields_get_string(f, "value", NULL), ==, "3,\"never closed\n");
      g_assert_cmpstr(rill_fields_get_string(f, "stage", NULL), ==, "csv");
    } else {
      g_assert_cmpstr(file, ==, jsonl);
      saw_json = TRUE;
      g_assert_cmpint(line, ==, 2);
      g_assert_cmpint(offset, ==, 9);
      g_assert_nonnull(strstr(reason, "malformed JSON"));
      g_assert_cmpstr(rill_fields_get_string(f, "value", NULL), ==, "{\"broken\":");
    }
  }
  g_assert_true(saw_csv && saw_json);
  rill_fields_free(f);
  g_strfreev(lines);
  g_free(text);
  collect_sink_free(c);
  g_free(csv);
  g_free(jsonl);
  g_free(dl_path);
  remove_tree(dir);
  g_free(dir);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/file/lines/round-trip", test_lines_round_trip);
  g_test_add_func("/file/lines/final-line-without-newline", test_final_line_without_newline);
  g_test_add_func("/file/lines/small-chunks", test_small_chunks);
  g_test_add_func("/file/csv/round-trip", test_csv_round_trip);
  g_test_add_func("/file/csv/crlf", test_csv_crlf_file);
  g_test_add_func("/file/jsonl/round-trip", test_jsonl_round_trip);
  g_test_add_func("/file/source/glob-and-directory", test_glob_and_directory);
  g_test_add_func("/file/sink/rotation-by-size", test_sink_rotation);
  g_test_add_func("/file/sink/parallel-names", test_sink_parallel_names);
  g_test_add_func("/file/source/follow", test_follow);
  g_test_add_func("/file/errors/truncated-fails-after-good-records", test_truncated_csv_fails_after_good_records);
  g_test_add_func("/file/errors/dead-letters", test_dead_letters_from_source);
  return g_test_run();
}
