/* test-expr-run.c — rill-run's expression elements end to end, as users
 * run them: filter expr=, map (set./rename./delete=) and key-by expr= over
 * real files, JSON and CSV, with hand-written expected output; bad
 * expressions and map parameters refused with exit 2 and a caret; records
 * that do not parse going to the dead-letter file.
 */
#include <rill/rill.h>

#include <sys/wait.h>

#include "tests/connectors/util.h"

/* Runs rill-run -q @text; returns the exit status, stdout and stderr. */
static int run(const char *text, char **out, char **err)
{
  char *bin = g_build_filename(RILL_BINARY_DIR, "tools", "rill-run", NULL);
  const char *argv[] = {bin, "-q", text, NULL};
  int status = -1;
  GError *error = NULL;
  g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, out, err, &status, &error));
  g_assert_no_error(error);
  g_free(bin);
  g_assert_true(WIFEXITED(status));
  return WEXITSTATUS(status);
}

typedef struct {
  char *dir;
  char *in;
} fixture;

static const char events[] =
  "{\"status\":503,\"method\":\"GET\",\"path\":\"/a\",\"user\":{\"name\":\"Ann\"},\"bytes\":100,\"price\":76.34}\n"
  "{\"status\":200,\"method\":\"POST\",\"path\":\"/b\",\"user\":{\"name\":\"Bob\"},\"bytes\":7,\"price\":1.5}\n"
  "{\"status\":500,\"method\":\"post\",\"path\":\"/health\",\"bytes\":0}\n"
  "{\"method\":\"GET\",\"path\":\"/c\"}\n";

static void setup(fixture *f, gconstpointer data)
{
  f->dir = make_tmp_dir();
  f->in = g_build_filename(f->dir, "in.jsonl", NULL);
  write_file(f->in, events, -1);
}

static void teardown(fixture *f, gconstpointer data)
{
  remove_tree(f->dir);
  g_free(f->dir);
  g_free(f->in);
}

static void expect_run(const char *text, const char *expect)
{
  char *out = NULL, *err = NULL;
  int rc = run(text, &out, &err);
  if (rc != 0 || g_strcmp0(out, expect) != 0)
    g_error("%s\nexit %d\nstdout:\n%s\nexpected:\n%s\nstderr:\n%s", text, rc, out, expect, err);
  g_free(out);
  g_free(err);
}

static void test_filter(fixture *f, gconstpointer data)
{
  char *text = g_strdup_printf("file-src path=%s ! filter expr='status >= 500 and not starts_with(path, \"/health\")'"
                               " ! stdout-sink", f->in);
  expect_run(text, "{\"status\":503,\"method\":\"GET\",\"path\":\"/a\",\"user\":{\"name\":\"Ann\"},\"bytes\":100,"
                   "\"price\":76.34}\n");
  g_free(text);
  /* A missing field is null: the record without status is kept by == null. */
  text = g_strdup_printf("file-src path=%s ! filter expr='status == null or lower(method) == \"post\"' ! stdout-sink",
                         f->in);
  expect_run(text, "{\"status\":200,\"method\":\"POST\",\"path\":\"/b\",\"user\":{\"name\":\"Bob\"},\"bytes\":7,"
                   "\"price\":1.5}\n"
                   "{\"status\":500,\"method\":\"post\",\"path\":\"/health\",\"bytes\":0}\n"
                   "{\"method\":\"GET\",\"path\":\"/c\"}\n");
  g_free(text);
}

static void test_map(fixture *f, gconstpointer data)
{
  char *text = g_strdup_printf("file-src path=%s ! filter expr='user != null' ! map set.kbits='bytes * 8' "
                               "set.who='upper(user.name)' set.status='status + 0.5' rename.path=route delete=user,price "
                               "! stdout-sink", f->in);
  expect_run(text, "{\"status\":503.5,\"method\":\"GET\",\"route\":\"/a\",\"bytes\":100,\"kbits\":800,\"who\":\"ANN\"}\n"
                   "{\"status\":200.5,\"method\":\"POST\",\"route\":\"/b\",\"bytes\":7,\"kbits\":56,\"who\":\"BOB\"}\n");
  g_free(text);
}

static gint cmp_lines(gconstpointer a, gconstpointer b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_key_by(fixture *f, gconstpointer data)
{
  char *text = g_strdup_printf("file-src path=%s ! key-by expr='if status >= 500 then \"error\" else status' "
                               "! map delete=user,price,bytes,method ! to-json ! stdout-sink", f->in);
  char *out = NULL, *err = NULL;
  g_assert_cmpint(run(text, &out, &err), ==, 0);
  /* One line per record, keyed; order across keys is not fixed. */
  char **lines = g_strsplit(out, "\n", -1);
  GPtrArray *sorted = g_ptr_array_new();
  for (guint i = 0; lines[i] && *lines[i]; i++)
    g_ptr_array_add(sorted, lines[i]);
  g_ptr_array_sort(sorted, cmp_lines);
  g_assert_cmpuint(sorted->len, ==, 4);
  g_assert_cmpstr(sorted->pdata[0], ==, "{\"key\":\"200\",\"value\":\"{\\\"status\\\":200,\\\"path\\\":\\\"/b\\\"}\"}");
  g_assert_cmpstr(sorted->pdata[1], ==, "{\"key\":\"error\",\"value\":\"{\\\"status\\\":500,\\\"path\\\":\\\"/health\\\"}\"}");
  g_assert_cmpstr(sorted->pdata[2], ==, "{\"key\":\"error\",\"value\":\"{\\\"status\\\":503,\\\"path\\\":\\\"/a\\\"}\"}");
  g_assert_cmpstr(sorted->pdata[3], ==, "{\"key\":null,\"value\":\"{\\\"path\\\":\\\"/c\\\"}\"}");
  g_ptr_array_unref(sorted);
  g_strfreev(lines);
  g_free(out);
  g_free(err);
  g_free(text);
}

static void test_csv(fixture *f, gconstpointer data)
{
  char *csv = g_build_filename(f->dir, "in.csv", NULL);
  write_file(csv, "status,method,path\n503,GET,/a\n200,POST,/b\n", -1);
  char *text = g_strdup_printf("file-src path=%s format=csv csv-header=true ! filter format=csv expr='status >= 500' "
                               "! map format=csv set.m='lower(method)' delete=method ! stdout-sink", csv);
  expect_run(text, "{\"status\":503,\"path\":\"/a\",\"m\":\"get\"}\n");
  g_free(text);
  g_free(csv);
}

static void test_errors(fixture *f, gconstpointer data)
{
  static const struct {
    const char *text;
    const char *message;
  } bad[] = {
    {"stdin-src ! filter expr='status >' ! stdout-sink", "filter: expr: column 9: expected a value"},
    {"stdin-src ! filter expr='nosuch(a)' ! stdout-sink", "unknown function 'nosuch'"},
    {"stdin-src ! filter ! stdout-sink", "needs expr= or a comparison"},
    {"stdin-src ! filter expr='a' field=a eq=1 ! stdout-sink", "not both"},
    {"stdin-src ! map set.a.b='1' ! stdout-sink", "top-level names"},
    {"stdin-src ! map foo='1' ! stdout-sink", "map takes set.NAME=EXPR"},
    {"stdin-src ! map set.a='1' rename.b=a ! stdout-sink", "'a' is set or renamed twice"},
    {"stdin-src ! map ! stdout-sink", "nothing to do"},
    {"stdin-src ! map set.x='match(a, \"(\")' ! stdout-sink", "bad regex"},
    {"stdin-src ! key-by expr='a +' ! stdout-sink", "key-by: expr: column 4"},
  };
  for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
    char *out = NULL, *err = NULL;
    int rc = run(bad[i].text, &out, &err);
    if (rc != 2 || !strstr(err, bad[i].message) || !strstr(err, "^"))
      g_error("%s: exit %d, stderr:\n%s", bad[i].text, rc, err);
    g_free(out);
    g_free(err);
  }
}

/* A record that is not JSON goes to the dead-letter file; the rest pass. */
static void test_dead_letter(fixture *f, gconstpointer data)
{
  append_file(f->in, "{broken\n");
  char *dl = g_build_filename(f->dir, "bad.jsonl", NULL);
  char *text = g_strdup_printf("file-src path=%s ! filter expr='bytes > 50' dead-letter=file:%s ! stdout-sink", f->in,
                               dl);
  expect_run(text, "{\"status\":503,\"method\":\"GET\",\"path\":\"/a\",\"user\":{\"name\":\"Ann\"},\"bytes\":100,"
                   "\"price\":76.34}\n");
  char *dead = read_file(dl);
  g_assert_nonnull(strstr(dead, "malformed JSON"));
  char **dead_lines = g_strsplit(dead, "\n", -1);
  g_assert_cmpuint(g_strv_length(dead_lines), ==, 2); /* one line and the end */
  g_strfreev(dead_lines);
  g_free(dead);
  g_free(text);
  g_free(dl);
}

static void test_describe(fixture *f, gconstpointer data)
{
  char *bin = g_build_filename(RILL_BINARY_DIR, "tools", "rill-run", NULL);
  const char *elements[] = {"filter", "map", "key-by"};
  const char *rows[] = {"expr", "set.NAME=EXPR", "expr"};
  for (guint i = 0; i < G_N_ELEMENTS(elements); i++) {
    const char *argv[] = {bin, "--describe", elements[i], NULL};
    char *out = NULL;
    int status;
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL, &status, NULL));
    g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    g_assert_nonnull(strstr(out, rows[i]));
    g_free(out);
  }
  g_free(bin);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, fixture, NULL, setup, fn, teardown)
  ADD("/expr-run/filter", test_filter);
  ADD("/expr-run/map", test_map);
  ADD("/expr-run/key-by", test_key_by);
  ADD("/expr-run/csv", test_csv);
  ADD("/expr-run/errors", test_errors);
  ADD("/expr-run/dead-letter", test_dead_letter);
  ADD("/expr-run/describe", test_describe);
  return g_test_run();
}
