/* test-launch.c — rill_parse_launch: launch strings that run on real files
 * and an embedded log, outputs compared with hand-written expectations;
 * bad strings rejected with the right code, a useful message and the
 * column of the offending element or parameter. */
#include <rill/rill.h>

#include "runtime/launch/launch-private.h"
#include "tests/connectors/util.h"

/* A day of requests, minute by minute (2023-11-14T22:13Z = 1699999980000).
 * Errors (status >= 500) per path per minute, by hand:
 *   22:13  /a 2   (the /b at 22:13 is a 200)
 *   22:14  /a 1, /b 1
 * One line is not JSON. */
static const char access_jsonl[] =
  "{\"time\":\"2023-11-14T22:13:05Z\",\"path\":\"/a\",\"status\":500,\"bytes\":10}\n"
  "{\"time\":\"2023-11-14T22:13:15Z\",\"path\":\"/b\",\"status\":200,\"bytes\":20}\n"
  "{\"time\":\"2023-11-14T22:13:25Z\",\"path\":\"/a\",\"status\":503,\"bytes\":30}\n"
  "not json\n"
  "{\"time\":\"2023-11-14T22:14:25Z\",\"path\":\"/a\",\"status\":502,\"bytes\":40}\n"
  "{\"time\":\"2023-11-14T22:14:35Z\",\"path\":\"/b\",\"status\":504,\"bytes\":50}\n";

typedef struct {
  char *dir;
  char *input;
} fixture;

static void setup(fixture *f, gconstpointer data)
{
  f->dir = make_tmp_dir();
  f->input = g_build_filename(f->dir, "access.jsonl", NULL);
  write_file(f->input, access_jsonl, -1);
}

static void teardown(fixture *f, gconstpointer data)
{
  remove_tree(f->dir);
  g_free(f->dir);
  g_free(f->input);
}

/* Runs @text (with {dir} replaced by the fixture dir) to its end. */
static void run_text(fixture *f, const char *text, guint parallelism)
{
  GString *t = g_string_new(text);
  g_string_replace(t, "{dir}", f->dir, 0);
  GError *error = NULL;
  rill_pipeline *p = rill_parse_launch(t->str, &error);
  g_assert_no_error(error);
  g_assert_nonnull(p);
  rill_pipeline_set_parallelism(p, parallelism);
  g_assert_true(rill_pipeline_run(p, &error));
  g_assert_no_error(error);
  rill_pipeline_unref(p);
  g_string_free(t, TRUE);
}

static int cmp_lines(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The lines of @dir/@name, sorted (order across keys is not specified). */
static char *sorted_lines(fixture *f, const char *name)
{
  char *path = g_build_filename(f->dir, name, NULL), *text = NULL;
  g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
  char **lines = g_strsplit(text, "\n", -1);
  guint n = g_strv_length(lines);
  if (n && !*lines[n - 1]) {
    g_free(lines[n - 1]);
    lines[--n] = NULL;
  }
  qsort(lines, n, sizeof(char *), cmp_lines);
  char *joined = g_strjoinv("\n", lines);
  g_strfreev(lines);
  g_free(text);
  g_free(path);
  return joined;
}

static void test_window_count(fixture *f, gconstpointer data)
{
  /* Also: comments, line breaks, quoted values, P = 2 around key-by. */
  run_text(f,
           "# errors per path per minute\n"
           "file-src path='{dir}/access.jsonl' format=lines\n"
           "  ! json-parse dead-letter=file:{dir}/bad.jsonl\n"
           "  ! filter field=status ge=500   # 5xx only\n"
           "  ! key-by field=path ! watermarks field=time out-of-order=5s\n"
           "  ! window tumbling=1m ! count ! to-json ! file-sink path=\"{dir}/out.jsonl\"\n",
           1);
  char *got = sorted_lines(f, "out.jsonl");
  g_assert_cmpstr(got, ==,
                  "{\"key\":\"/a\",\"value\":1,\"window_start\":1700000040000,\"window_end\":1700000100000,"
                  "\"timestamp\":1700000099999}\n"
                  "{\"key\":\"/a\",\"value\":2,\"window_start\":1699999980000,\"window_end\":1700000040000,"
                  "\"timestamp\":1700000039999}\n"
                  "{\"key\":\"/b\",\"value\":1,\"window_start\":1700000040000,\"window_end\":1700000100000,"
                  "\"timestamp\":1700000099999}");
  g_free(got);
  char *bad = sorted_lines(f, "bad.jsonl");
  g_assert_nonnull(strstr(bad, "\"line\":4"));
  g_assert_nonnull(strstr(bad, "\"value\":\"not json\""));
  g_free(bad);
}

static void test_fan_out_and_in(fixture *f, gconstpointer data)
{
  /* One source feeding two branches (src.), both merged into one sink (u.). */
  run_text(f,
           "file-src path={dir}/access.jsonl name=src ! json-parse dead-letter=file:{dir}/bad.jsonl "
           "  ! filter field=path eq=/a ! project fields=status,path ! u.\n"
           "src. ! json-parse name=parse2 dead-letter=file:{dir}/bad.jsonl ! filter field=path regex=^/b$ "
           "  ! project fields=path ! u.\n"
           "union name=u ! file-sink path={dir}/both.jsonl",
           1);
  char *got = sorted_lines(f, "both.jsonl");
  g_assert_cmpstr(got, ==,
                  "{\"path\":\"/b\"}\n{\"path\":\"/b\"}\n"
                  "{\"status\":500,\"path\":\"/a\"}\n{\"status\":502,\"path\":\"/a\"}\n"
                  "{\"status\":503,\"path\":\"/a\"}");
  g_free(got);
  /* Both parse stages shared one dead-letter file: the bad line twice. */
  char *bad = sorted_lines(f, "bad.jsonl");
  char **lines = g_strsplit(bad, "\n", -1);
  g_assert_cmpuint(g_strv_length(lines), ==, 2);
  g_strfreev(lines);
  g_free(bad);
}

static void test_log_round_trip(fixture *f, gconstpointer data)
{
  /* One pipeline writes a topic of the embedded log, a second reads it. */
  run_text(f,
           "file-src path={dir}/access.jsonl ! json-parse dead-letter=file:{dir}/bad.jsonl "
           "! key-by field=path ! sum field=bytes ! log-sink dir={dir}/log topic=bytes-by-path partitions=2",
           2);
  run_text(f, "log-src dir={dir}/log topic=bytes-by-path ! to-json ! file-sink path={dir}/sums.jsonl", 1);
  /* Running sums per path: /a 10,40,80 and /b 20,70 (order within a key is kept). */
  char *got = sorted_lines(f, "sums.jsonl");
  char **lines = g_strsplit(got, "\n", -1);
  g_assert_cmpuint(g_strv_length(lines), >=, 2);
  g_strfreev(lines);
  g_assert_nonnull(strstr(got, "{\"key\":\"/a\",\"value\":80,"));
  g_assert_nonnull(strstr(got, "{\"key\":\"/b\",\"value\":70,"));
  g_free(got);
}

static void test_session_and_top(fixture *f, gconstpointer data)
{
  /* Sessions with a 30 s gap: /a has 22:13:05-22:13:25 and 22:14:25; /b
   * has 22:13:15 and 22:14:35 — counts 2,1 and 1,1. */
  run_text(f,
           "file-src path={dir}/access.jsonl ! json-parse dead-letter=file:{dir}/bad.jsonl ! key-by field=path "
           "! watermarks field=time ! window gap=30s ! count ! to-json ! file-sink path={dir}/s.jsonl",
           1);
  char *got = sorted_lines(f, "s.jsonl");
  g_assert_cmpstr(got, ==,
                  "{\"key\":\"/a\",\"value\":1,\"window_start\":1700000065000,\"window_end\":1700000095000,"
                  "\"timestamp\":1700000094999}\n"
                  "{\"key\":\"/a\",\"value\":2,\"window_start\":1699999985000,\"window_end\":1700000035000,"
                  "\"timestamp\":1700000034999}\n"
                  "{\"key\":\"/b\",\"value\":1,\"window_start\":1699999995000,\"window_end\":1700000025000,"
                  "\"timestamp\":1700000024999}\n"
                  "{\"key\":\"/b\",\"value\":1,\"window_start\":1700000075000,\"window_end\":1700000105000,"
                  "\"timestamp\":1700000104999}");
  g_free(got);
}

typedef struct {
  const char *text;
  rill_launch_error code;
  const char *message; /* substring */
  int column;          /* 1-based column of the caret */
} bad_case;

static const bad_case bad_cases[] = {
  {"file-src path=x ! fliter field=a", RILL_LAUNCH_ERROR_UNKNOWN_ELEMENT, "no element named 'fliter'", 19},
  {"file-src path=x ! filter field=a eq=1 bogus=2 ! stdout-sink", RILL_LAUNCH_ERROR_UNKNOWN_PARAMETER,
   "filter has no parameter 'bogus'", 39},
  {"file-src path=x ! window tumbling=soon ! count ! stdout-sink", RILL_LAUNCH_ERROR_INVALID_VALUE,
   "'soon' is not a duration", 35},
  {"file-src path=x follow=maybe ! stdout-sink", RILL_LAUNCH_ERROR_INVALID_VALUE, "not a boolean", 24},
  /* Values are checked by the config-table engine, ranges included, and the
   * message names the element and the parameter. */
  {"file-src path=x poll=5q ! stdout-sink", RILL_LAUNCH_ERROR_INVALID_VALUE, "file-src poll: '5q' is not a duration", 22},
  {"file-src path=x ! top-n n=100 ! stdout-sink", RILL_LAUNCH_ERROR_INVALID_VALUE, "top-n n: 100 is outside [1, 64]", 27},
  {"file-src path=x ! file-sink path=y rotate-size=1T", RILL_LAUNCH_ERROR_INVALID_VALUE,
   "file-sink rotate-size: '1T' is not a size", 48},
  {"file-src path=x ! log-sink dir=d topic=t partitions=0", RILL_LAUNCH_ERROR_INVALID_VALUE,
   "log-sink partitions: 0 is outside [1, 100000]", 53},
  {"file-src path=x format=xml ! stdout-sink", RILL_LAUNCH_ERROR_INVALID_VALUE, "file-src format: 'xml' is not one of lines, jsonl, csv", 24},
  {"file-src path=x !", RILL_LAUNCH_ERROR_SYNTAX, "dangling '!'", 17},
  {"file-src path=x ! ! stdout-sink", RILL_LAUNCH_ERROR_SYNTAX, "two '!' in a row", 19},
  {"! stdout-sink", RILL_LAUNCH_ERROR_SYNTAX, "'!' with no element before it", 1},
  {"file-src path=x ! y.", RILL_LAUNCH_ERROR_UNKNOWN_REFERENCE, "'y.' refers to no element", 19},
  {"file-src path='x ! stdout-sink", RILL_LAUNCH_ERROR_SYNTAX, "unterminated quote", 15},
  {"file-src ! stdout-sink", RILL_LAUNCH_ERROR_MISSING_PARAMETER, "file-src needs path=", 1},
  {"stdout-sink ! file-sink path=x", RILL_LAUNCH_ERROR_LINK, "stdout-sink is a sink", 1},
  {"file-src path=x ! file-src path=y", RILL_LAUNCH_ERROR_LINK, "file-src is a source", 19},
  {"count", RILL_LAUNCH_ERROR_LINK, "needs an input", 1},
  {"file-src path=x ! window tumbling=1m ! stdout-sink", RILL_LAUNCH_ERROR_LINK, "cannot follow a window", 40},
  {"file-src path=x ! window tumbling=1m gap=5s ! count ! stdout-sink", RILL_LAUNCH_ERROR_MISSING_PARAMETER,
   "exactly one of tumbling=", 19},
  {"file-src path=x ! filter field=a eq=1 gt=2 ! stdout-sink", RILL_LAUNCH_ERROR_INVALID_VALUE,
   "one comparison per filter", 42},
  {"file-src path=x ! filter field=a regex=( ! stdout-sink", RILL_LAUNCH_ERROR_INVALID_VALUE, "regex", 40},
  {"file-src path=x name=a ! stdout-sink name=a", RILL_LAUNCH_ERROR_UNKNOWN_REFERENCE, "used twice", 43},
  {"file-src path=x ! json-parse dead-letter=mail:me ! stdout-sink", RILL_LAUNCH_ERROR_INVALID_VALUE,
   "not a dead-letter target", 42},
  {"x=1 file-src path=x", RILL_LAUNCH_ERROR_SYNTAX, "does not follow an element", 1},
  {"  # only a comment\n", RILL_LAUNCH_ERROR_SYNTAX, "empty pipeline", 1},
};

static void test_bad(void)
{
  for (guint i = 0; i < G_N_ELEMENTS(bad_cases); i++) {
    const bad_case *c = &bad_cases[i];
    GError *error = NULL;
    rill_pipeline *p = rill_parse_launch(c->text, &error);
    g_assert_null(p);
    g_assert_error(error, RILL_LAUNCH_ERROR, (gint)c->code);
    if (!strstr(error->message, c->message))
      g_error("case %u: '%s' lacks '%s'", i, error->message, c->message);
    char *where = g_strdup_printf("column %d:", c->column);
    if (!strstr(error->message, where))
      g_error("case %u: '%s' is not at %s", i, error->message, where);
    /* The caret line: the text line, then spaces up to the column. */
    const char *caret = strrchr(error->message, '\n');
    g_assert_nonnull(caret);
    g_assert_cmpint((int)strlen(caret + 1), ==, 2 + c->column);
    g_assert_cmpint(caret[strlen(caret) - 1], ==, '^');
    g_free(where);
    g_error_free(error);
  }
}

static void test_multiline_position(void)
{
  GError *error = NULL;
  g_assert_null(rill_parse_launch("file-src path=x\n  ! json-parse\n  ! mystery\n", &error));
  g_assert_error(error, RILL_LAUNCH_ERROR, RILL_LAUNCH_ERROR_UNKNOWN_ELEMENT);
  g_assert_nonnull(strstr(error->message, "line 3, column 5:"));
  g_assert_nonnull(strstr(error->message, "\n    ! mystery\n      ^"));
  g_error_free(error);
}

static void test_build_error_located(fixture *f, gconstpointer data)
{
  /* The archive source checks its paths when built: the error names it. */
  GError *error = NULL;
  g_assert_null(rill_parse_launch("archive-src path=/nonexistent/x.tar.gz ! stdout-sink", &error));
  g_assert_error(error, RILL_LAUNCH_ERROR, RILL_LAUNCH_ERROR_BUILD);
  g_assert_nonnull(strstr(error->message, "column 1: archive-src:"));
  g_assert_nonnull(strstr(error->message, "/nonexistent/x.tar.gz"));
  g_error_free(error);
}

static void test_table(void)
{
  rill_launch_registry *registry = rill_launch_registry_new();
  rill_elements_register_all(registry);
  guint n;
  const rill_launch_element *const *e = rill_launch_registry_elements(registry, &n);
  g_assert_cmpuint(n, >=, 20);
  for (guint i = 1; i < n; i++)
    g_assert_cmpint(strcmp(e[i - 1]->name, e[i]->name), <, 0); /* sorted: lookup is a binary search */
  for (guint i = 0; i < n; i++) {
    g_assert_true(rill_launch_registry_lookup(registry, e[i]->name) == e[i]);
    /* Every default passes its own row's check, and every offset lies in
     * the element's struct. */
    rill__conf_table t = rill__launch_element_table(e[i]);
    void *props = g_malloc0(MAX(e[i]->props_size, 1));
    rill__conf_init(&t, props);
    for (guint k = 0; k < e[i]->n_params; k++) {
      const rill__conf_prop *p = &e[i]->params[k];
      g_assert_nonnull(p->doc);
      g_assert_cmpuint(p->offset, <, e[i]->props_size);
      GError *error = NULL;
      if (p->def && !rill__conf_required(p) && !rill__conf_set(&t, props, p->name, p->def, &error))
        g_error("%s %s", e[i]->name, error->message);
    }
    rill__conf_clear(&t, props);
    g_free(props);
  }
  g_assert_null(rill_launch_registry_lookup(registry, "mystery"));
  rill_launch_registry_free(registry);
}

/* ---- a registry of the test's own elements -------------------------------
 * The launcher knows only what its registry holds: two elements declared
 * here (a file source and a file sink under other names) run a real
 * pipeline; rill's elements are unknown to this registry; the pairing rule
 * is the declared kind/feeds, not something about windows; without a
 * dead-letter hook, dead-letter= names nothing. */

typedef struct {
  char *path;
  char *dead_letter;
} own_props;

static rill_stage *build_lines(rill_launch_builder *b, const char *name, rill_stage *const *inputs, guint n_inputs,
                               GError **error)
{
  const own_props *p = rill__launch_props(b);
  GError *dl_error = NULL;
  rill__launch_dead_letter(b, p->dead_letter, &dl_error);
  if (dl_error) {
    g_propagate_error(error, dl_error);
    return NULL;
  }
  return rill_pipeline_add_file_source(b->pipeline, name,
                                       rill_file_source_new(p->path, RILL_FILE_FORMAT_LINES));
}

static rill_stage *build_out(rill_launch_builder *b, const char *name, rill_stage *const *inputs, guint n_inputs,
                             GError **error)
{
  const own_props *p = rill__launch_props(b);
  return rill_pipeline_add_file_sink(b->pipeline, name, inputs[0], rill_file_sink_new(p->path, RILL_FILE_FORMAT_LINES));
}

static rill_stage *build_through(rill_launch_builder *b, const char *name, rill_stage *const *inputs,
                                 guint n_inputs, GError **error)
{
  return inputs[0];
}

#define OWN_PATH                                                                                              \
  {"path", RILL__CONF_STRING, offsetof(own_props, path), 0, 0, RILL__CONF_REQUIRED, NULL, NULL, NULL, "file"}

static const rill_launch_element own_elements[] = {
  {"lines", RILL_LAUNCH_SOURCE, "test: lines of a file",
   RILL__LAUNCH_PARAMS(own_props, OWN_PATH, RILL__LAUNCH_DEAD_LETTER_ROW(own_props)), .build = build_lines},
  {"out", RILL_LAUNCH_SINK, "test: lines to a file", RILL__LAUNCH_PARAMS(own_props, OWN_PATH), .build = build_out},
  {"pair", RILL_LAUNCH_TRANSFORM, "test: feeds a thing", RILL__LAUNCH_NO_PARAMS, .build = build_through,
   .feeds = "thing"},
  {"thing-a", RILL_LAUNCH_TRANSFORM, "test: a thing", RILL__LAUNCH_NO_PARAMS, .build = build_through,
   .kind = "thing"},
};

static void expect_parse_error(const rill_launch_registry *r, const char *text, rill_launch_error code,
                               const char *needle)
{
  GError *error = NULL;
  g_assert_null(rill_launch_parse(r, text, &error));
  g_assert_error(error, RILL_LAUNCH_ERROR, (gint)code);
  if (!strstr(error->message, needle))
    g_error("'%s': expected '%s' in: %s", text, needle, error->message);
  g_error_free(error);
}

static void test_own_registry(fixture *f, gconstpointer data)
{
  rill_launch_registry *r = rill_launch_registry_new();
  rill__launch_registry_add(r, own_elements, G_N_ELEMENTS(own_elements));
  g_test_expect_message("rill", G_LOG_LEVEL_CRITICAL, "launch element 'out' is registered twice");
  rill__launch_registry_add(r, &own_elements[1], 1);
  g_test_assert_expected_messages();
  guint n;
  rill_launch_registry_elements(r, &n);
  g_assert_cmpuint(n, ==, G_N_ELEMENTS(own_elements));

  char *text = g_strdup_printf("lines path=%s ! out path=%s/copy.txt", f->input, f->dir);
  GError *error = NULL;
  rill_pipeline *p = rill_launch_parse(r, text, &error);
  g_assert_no_error(error);
  g_assert_true(rill_pipeline_run(p, &error));
  g_assert_no_error(error);
  rill_pipeline_unref(p);
  char *copy = g_build_filename(f->dir, "copy.txt", NULL), *got = read_file(copy);
  g_assert_cmpstr(got, ==, access_jsonl);
  g_free(got);
  g_free(copy);
  g_free(text);

  p = rill_launch_parse(r, "lines path=x ! pair ! thing-a ! out path=y", &error); /* a thing follows pair */
  g_assert_no_error(error);
  rill_pipeline_unref(p);
  expect_parse_error(r, "lines path=x ! stdout-sink", RILL_LAUNCH_ERROR_UNKNOWN_ELEMENT,
                     "no element named 'stdout-sink'");
  expect_parse_error(r, "lines path=x ! pair ! out path=y", RILL_LAUNCH_ERROR_LINK,
                     "out cannot follow a pair: put one thing (thing-a) right after the pair");
  expect_parse_error(r, "lines path=x ! pair", RILL_LAUNCH_ERROR_LINK,
                     "pair must be followed by exactly one thing (thing-a)");
  expect_parse_error(r, "lines path=x dead-letter=stderr ! out path=y", RILL_LAUNCH_ERROR_INVALID_VALUE,
                     "lines: no dead-letter targets are registered");
  rill_launch_registry_free(r);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add("/launch/window-count", fixture, NULL, setup, test_window_count, teardown);
  g_test_add("/launch/fan-out-and-in", fixture, NULL, setup, test_fan_out_and_in, teardown);
  g_test_add("/launch/log-round-trip", fixture, NULL, setup, test_log_round_trip, teardown);
  g_test_add("/launch/session", fixture, NULL, setup, test_session_and_top, teardown);
  g_test_add("/launch/build-error", fixture, NULL, setup, test_build_error_located, teardown);
  g_test_add_func("/launch/bad", test_bad);
  g_test_add_func("/launch/multiline-position", test_multiline_position);
  g_test_add_func("/launch/table", test_table);
  g_test_add("/launch/own-registry", fixture, NULL, setup, test_own_registry, teardown);
  return g_test_run();
}
