/* test-archive-sink.c — the archive sink writes tar.gz, tar.zst and zip
 * archives that the system tools list and extract to exactly the records
 * written (entries and archives rotated, no temp file left), and that the
 * archive source reads back; bad patterns are refused. */
#include "archive-harness.h"

#include <glib/gstdio.h>

#define N_RECORDS 20000
#define PER_ENTRY 1000

/* Emits record_text(i) for i in [0, N_RECORDS), 64 per read. */
typedef struct {
  guint next;
} counter;

static gboolean counter_open(rill_ctx *ctx, void *user_data, const guint *splits, guint n, void **state,
                             GError **error)
{
  *state = g_new0(counter, 1);
  return TRUE;
}

/* Hashes make the records hard to compress, so archives rotate on size
 * even though compressors flush their output late. */
static char *record_text(guint i)
{
  char *hash = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)&i, sizeof i);
  char *text = g_strdup_printf("rec %05u %.*s", i, (int)(i % 65), hash);
  g_free(hash);
  return text;
}

static rill_flow counter_read(rill_ctx *ctx, void *state, rill_emitter *out)
{
  counter *c = state;
  if (c->next >= N_RECORDS)
    return RILL_FLOW_EOS;
  for (guint k = 0; k < 64 && c->next < N_RECORDS; k++, c->next++) {
    char *v = record_text(c->next);
    rill_record r = RILL_RECORD_INIT;
    r.value = rill_bytes_from_string(v);
    rill_flow flow = rill_emit_record(out, &r);
    g_free(v);
    if (flow != RILL_FLOW_OK)
      return flow;
  }
  return RILL_FLOW_OK;
}

static void counter_close(rill_ctx *ctx, void *state)
{
  g_free(state);
}

static guint one_split(void *user_data, guint parallelism)
{
  return 1;
}

static const rill_source_class counter_class = {
  .type_name = "counter", .n_splits = one_split, .open = counter_open, .read = counter_read, .close = counter_close,
};

static gboolean write_archives(const char *pattern, guint parallelism, GError **error)
{
  rill_archive_sink_options opt = {.path_pattern = pattern, .entry_max_records = PER_ENTRY,
                                   .archive_max_bytes = 100000};
  GError *e = NULL;
  rill_archive_sink *sink = rill_archive_sink_new(&opt, &e);
  g_assert_no_error(e);
  rill_pipeline *p = rill_pipeline_new("sink-test");
  rill_pipeline_set_parallelism(p, parallelism);
  rill_stage *s = rill_pipeline_add_source(p, "gen", &counter_class, NULL, NULL);
  rill_pipeline_add_archive_sink(p, "out", s, sink);
  gboolean ok = rill_pipeline_run(p, error);
  rill_pipeline_unref(p);
  return ok;
}

static void check_round_trip(const char *ext, const char *list_cmd, const char *extract_cmd)
{
  char *dir = make_tmpdir();
  char *pattern = g_strdup_printf("%s/out-{task}-{seq}.%s", dir, ext);
  GError *error = NULL;
  g_assert_true(write_archives(pattern, 1, &error));
  g_assert_no_error(error);

  /* Archives out-0-0 .. out-0-(k-1), nothing else (no .tmp). */
  GDir *d = g_dir_open(dir, 0, &error);
  g_assert_no_error(error);
  guint n_files = 0;
  while (g_dir_read_name(d))
    n_files++;
  g_dir_close(d);
  guint n_archives = 0;
  for (;; n_archives++) {
    char *a = g_strdup_printf("%s/out-0-%u.%s", dir, n_archives, ext);
    gboolean exists = g_file_test(a, G_FILE_TEST_IS_REGULAR);
    g_free(a);
    if (!exists)
      break;
  }
  g_assert_cmpuint(n_archives, >=, 2); /* archive_max_bytes rotated */
  g_assert_cmpuint(n_files, ==, n_archives);

  /* The system tools list part-0.txt.. in each archive and extract, in
   * archive order, exactly the records written, one per line. */
  GString *extracted = g_string_new(NULL);
  guint n_entries = 0;
  const char **paths = g_new0(const char *, n_archives + 1);
  for (guint i = 0; i < n_archives; i++) {
    char *a = g_strdup_printf("%s/out-0-%u.%s", dir, i, ext);
    int status;
    char *listing = run_capture(&status, NULL, "%s '%s'", list_cmd, a);
    g_assert_cmpint(status, ==, 0);
    char **names = g_strsplit(g_strstrip(listing), "\n", -1);
    g_assert_cmpuint(g_strv_length(names), >=, 1);
    for (guint k = 0; names[k]; k++) {
      char *want = g_strdup_printf("part-%u.txt", k);
      g_assert_cmpstr(names[k], ==, want);
      g_free(want);
      n_entries++;
    }
    g_strfreev(names);
    g_free(listing);
    char *content = run_capture(&status, NULL, "%s '%s'", extract_cmd, a);
    g_assert_cmpint(status, ==, 0);
    g_string_append(extracted, content);
    g_free(content);
    paths[i] = a;
  }
  g_assert_cmpuint(n_entries, ==, (N_RECORDS + PER_ENTRY - 1) / PER_ENTRY);
  GString *want = g_string_new(NULL);
  for (guint i = 0; i < N_RECORDS; i++) {
    char *v = record_text(i);
    g_string_append_printf(want, "%s\n", v);
    g_free(v);
  }
  g_assert_cmpstr(extracted->str, ==, want->str);

  /* And the archive source reads them back, in order. */
  rill_archive_source_options so = {.paths = paths};
  rill_archive_source *src = rill_archive_source_new(&so, &error);
  g_assert_no_error(error);
  collector c;
  collector_init(&c);
  rill_pipeline *p = rill_pipeline_new("read-back");
  rill_stage *s = rill_pipeline_add_archive_source(p, "src", src);
  rill_pipeline_add_sink(p, "out", s, &collector_class, &c, NULL);
  g_assert_true(rill_pipeline_run(p, &error));
  g_assert_no_error(error);
  rill_pipeline_unref(p);
  g_assert_cmpuint(c.records->len, ==, N_RECORDS);
  for (guint i = 0; i < N_RECORDS; i++) {
    got_record *g = c.records->pdata[i];
    char *v = record_text(i);
    g_assert_cmpstr(g->value, ==, v);
    g_free(v);
  }
  collector_clear(&c);

  for (guint i = 0; i < n_archives; i++)
    g_free((char *)paths[i]);
  g_free(paths);
  g_string_free(want, TRUE);
  g_string_free(extracted, TRUE);
  rm_rf(dir);
  g_free(pattern);
  g_free(dir);
}

static void test_tar_gz(void)
{
  check_round_trip("tar.gz", "tar -tzf", "tar -xzOf");
}

static void test_tar_zst(void)
{
  check_round_trip("tar.zst", "tar --zstd -tf", "tar --zstd -xOf");
}

static void test_zip(void)
{
  check_round_trip("zip", "unzip -Z1", "unzip -p");
}

static void test_bad_patterns(void)
{
  GError *error = NULL;
  rill_archive_sink_options opt = {.path_pattern = "/tmp/x.tar.gz"};
  g_assert_null(rill_archive_sink_new(&opt, &error));
  g_assert_error(error, RILL_ARCHIVE_ERROR, RILL_ARCHIVE_ERROR_INVALID);
  g_clear_error(&error);
  opt.path_pattern = "/tmp/x-{seq}.rar";
  g_assert_null(rill_archive_sink_new(&opt, &error));
  g_assert_error(error, RILL_ARCHIVE_ERROR, RILL_ARCHIVE_ERROR_INVALID);
  g_clear_error(&error);

  /* Two tasks, no {task}: refused when the sink opens. */
  char *dir = make_tmpdir();
  char *pattern = g_strdup_printf("%s/out-{seq}.zip", dir);
  g_assert_false(write_archives(pattern, 2, &error));
  g_assert_error(error, RILL_PIPELINE_ERROR, RILL_PIPELINE_ERROR_STAGE);
  g_assert_nonnull(strstr(error->message, "needs {task}"));
  g_clear_error(&error);
  rm_rf(dir);
  g_free(pattern);
  g_free(dir);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/archive-sink/tar.gz", test_tar_gz);
  g_test_add_func("/archive-sink/tar.zst", test_tar_zst);
  g_test_add_func("/archive-sink/zip", test_zip);
  g_test_add_func("/archive-sink/bad-patterns", test_bad_patterns);
  return g_test_run();
}
