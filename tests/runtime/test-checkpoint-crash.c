/* test-checkpoint-crash.c — checkpoint + SIGKILL + restart equals an
 * uninterrupted run.
 *
 * The test binary is also the pipeline under test: run with --child it runs
 * file source -> throttle -> watermarks -> key_by -> tumbling 1 s count ->
 * format -> file sink, checkpointing every 50 ms. The parent generates
 * out-of-order events (within the watermark bound, so none is late and the
 * result does not depend on batch boundaries), runs the child once
 * uninterrupted, then again with SIGKILLs: each after the checkpoint
 * directory shows a newer complete checkpoint, restarting with the same
 * directory until the child completes. The final output files must hold
 * exactly the uninterrupted run's lines (as a multiset; and both must match
 * the counts computed here), with no temporary file left behind.
 */
#include <rill/rill.h>

#include <glib/gstdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define N_KEYS 10
#define WINDOW_MS 1000

/* ---- the child ---------------------------------------------------------- */

static int64_t event_ts(const rill_record *r, void *user_data)
{
  const char *p = memchr(r->value.data, ',', r->value.len);
  return p ? g_ascii_strtoll(p + 1, NULL, 10) : RILL_TIMESTAMP_NONE;
}

static rill_bytes event_key(const rill_record *r, uint8_t *scratch, size_t scratch_len, void *user_data)
{
  const uint8_t *p = memchr(r->value.data, ',', r->value.len);
  return rill_bytes_make(r->value.data, p ? (size_t)(p - r->value.data) : r->value.len);
}

typedef struct {
  guint every;
  guint n;
} throttle;

/* Slows the run down so the parent has time to kill it mid-way. */
static rill_verdict slow(rill_ctx *ctx, const rill_record *in, void *user_data)
{
  throttle *t = user_data;
  if (t->every && ++t->n % t->every == 0)
    g_usleep(1000);
  return RILL_VERDICT_KEEP;
}

static rill_flow format(rill_ctx *ctx, const rill_record *in, rill_record *out, void *user_data)
{
  int64_t start = 0;
  rill_window_result_bounds(in, &start, NULL);
  char *s = g_strdup_printf("%.*s|%" G_GINT64_FORMAT "|%.*s", (int)in->key.len, (const char *)in->key.data, start,
                            (int)in->value.len, (const char *)in->value.data);
  size_t len = strlen(s);
  void *mem = rill_ctx_alloc(ctx, len);
  memcpy(mem, s, len);
  g_free(s);
  out->value = rill_bytes_make(mem, len);
  return RILL_FLOW_OK;
}

static int child_main(int argc, char **argv)
{
  /* --child INDIR OUT CKPT P THROTTLE */
  if (argc != 7)
    return 2;
  guint p = (guint)atoi(argv[5]);
  guint every = (guint)atoi(argv[6]);
  rill_pipeline *pl = rill_pipeline_new("crash");
  rill_pipeline_set_parallelism(pl, p);
  GError *error = NULL;
  if (!rill_pipeline_enable_checkpoints(pl, argv[4], 50, 2, &error)) {
    g_printerr("child: %s\n", error->message);
    return 1;
  }
  rill_file_source *fs = rill_file_source_new(argv[2], RILL_FILE_FORMAT_LINES);
  rill_file_source_set_chunk_size(fs, 4096);
  rill_file_source_set_position_headers(fs, FALSE);
  rill_stage *src = rill_pipeline_add_file_source(pl, "src", fs);
  throttle *th = g_new0(throttle, 1);
  th->every = every;
  rill_stage *s = rill_pipeline_add_filter(pl, "slow", src, slow, th, g_free);
  rill_watermark_options wo = {.max_out_of_orderness_ms = 1000, .timestamp_fn = event_ts};
  s = rill_pipeline_add_watermarks(pl, "wm", s, &wo);
  s = rill_pipeline_add_key_by(pl, "by-key", s, event_key, NULL, NULL);
  rill_window_spec spec = rill_window_tumbling(WINDOW_MS);
  s = rill_pipeline_add_window(pl, "count", s, &spec, rill_aggregate_count());
  s = rill_pipeline_add_map(pl, "fmt", s, format, NULL, NULL);
  rill_file_sink *sink = rill_file_sink_new(argv[3], RILL_FILE_FORMAT_LINES);
  rill_pipeline_add_file_sink(pl, "out", s, sink);
  gboolean ok = rill_pipeline_run(pl, &error);
  g_printerr("child: restored %" G_GUINT64_FORMAT ", last checkpoint %" G_GUINT64_FORMAT "\n",
             rill_pipeline_get_restored_checkpoint(pl), rill_pipeline_get_last_checkpoint(pl));
  if (!ok)
    g_printerr("child: %s\n", error->message);
  rill_pipeline_unref(pl);
  return ok ? 0 : 1;
}

/* ---- the parent --------------------------------------------------------- */

typedef struct {
  char *dir;
  char *in;       /* input dir */
  GHashTable *expected; /* "key|start|count" -> GUINT count of lines */
  guint p;
} fixture;

/* Writes @n events over @p files into @f->in and fills @f->expected. */
static void generate(fixture *f, guint n, guint p, guint32 seed)
{
  GRand *rand = g_rand_new_with_seed(seed);
  GString **files = g_new0(GString *, p);
  for (guint i = 0; i < p; i++)
    files[i] = g_string_new(NULL);
  GHashTable *counts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < n; i++) {
    guint key = (guint)g_rand_int_range(rand, 0, N_KEYS);
    /* Out of order by up to 400 ms, never later than the 1000 ms bound. */
    gint64 ts = 1700000000000 + (gint64)i * 5 + g_rand_int_range(rand, 0, 400);
    g_string_append_printf(files[i % p], "k%u,%" G_GINT64_FORMAT "\n", key, ts);
    char *wk = g_strdup_printf("k%u|%" G_GINT64_FORMAT, key, ts - ts % WINDOW_MS);
    guint c = GPOINTER_TO_UINT(g_hash_table_lookup(counts, wk));
    g_hash_table_replace(counts, wk, GUINT_TO_POINTER(c + 1));
  }
  for (guint i = 0; i < p; i++) {
    char *name = g_strdup_printf("%s/part-%u.txt", f->in, i);
    g_assert_true(g_file_set_contents(name, files[i]->str, (gssize)files[i]->len, NULL));
    g_free(name);
    g_string_free(files[i], TRUE);
  }
  g_free(files);
  f->expected = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init(&it, counts);
  while (g_hash_table_iter_next(&it, &k, &v))
    g_hash_table_insert(f->expected, g_strdup_printf("%s|%u", (char *)k, GPOINTER_TO_UINT(v)), GUINT_TO_POINTER(1));
  g_hash_table_unref(counts);
  g_rand_free(rand);
}

static GPid spawn(const char *in, const char *out, const char *ckpt, guint p, guint throttle_every)
{
  char *self = g_file_read_link("/proc/self/exe", NULL);
  char ps[16], ts[16];
  g_snprintf(ps, sizeof ps, "%u", p);
  g_snprintf(ts, sizeof ts, "%u", throttle_every);
  char *argv[] = {self, "--child", (char *)in, (char *)out, (char *)ckpt, ps, ts, NULL};
  GPid pid;
  GError *error = NULL;
  g_assert_true(g_spawn_async(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid, &error));
  g_assert_no_error(error);
  g_free(self);
  return pid;
}

static int reap(GPid pid)
{
  int status;
  while (waitpid(pid, &status, 0) < 0)
    g_assert_cmpint(errno, ==, EINTR);
  return status;
}

/* Every line of every finished file in @dir, counted; asserts no temporary is left. */
static GHashTable *read_output(const char *dir)
{
  GHashTable *lines = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  GDir *d = g_dir_open(dir, 0, NULL);
  g_assert_nonnull(d);
  const char *name;
  while ((name = g_dir_read_name(d)) != NULL) {
    g_assert_false(g_str_has_suffix(name, ".tmp"));
    char *path = g_build_filename(dir, name, NULL), *text;
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    char **ls = g_strsplit(text, "\n", -1);
    for (char **l = ls; *l; l++) {
      if (!**l)
        continue;
      guint c = GPOINTER_TO_UINT(g_hash_table_lookup(lines, *l));
      g_hash_table_replace(lines, g_strdup(*l), GUINT_TO_POINTER(c + 1));
    }
    g_strfreev(ls);
    g_free(text);
    g_free(path);
  }
  g_dir_close(d);
  return lines;
}

static void assert_same(GHashTable *got, GHashTable *want, const char *what)
{
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init(&it, want);
  while (g_hash_table_iter_next(&it, &k, &v)) {
    guint c = GPOINTER_TO_UINT(g_hash_table_lookup(got, k));
    if (c != GPOINTER_TO_UINT(v))
      g_error("%s: line '%s' appears %u times, expected %u", what, (char *)k, c, GPOINTER_TO_UINT(v));
  }
  g_hash_table_iter_init(&it, got);
  while (g_hash_table_iter_next(&it, &k, &v))
    if (!g_hash_table_contains(want, k))
      g_error("%s: unexpected line '%s' (x%u)", what, (char *)k, GPOINTER_TO_UINT(v));
}

static void run_crash(guint p, guint32 seed)
{
  fixture f = {0};
  f.dir = g_dir_make_tmp("rill-ckpt-crash-XXXXXX", NULL);
  f.in = g_build_filename(f.dir, "in", NULL);
  g_mkdir(f.in, 0755);
  guint n = 40000;
  generate(&f, n, p, seed);
  guint throttle_every = 24;

  /* The uninterrupted run. */
  char *ref_out_dir = g_build_filename(f.dir, "ref", NULL), *ref_ck = g_build_filename(f.dir, "ref-ck", NULL);
  g_mkdir(ref_out_dir, 0755);
  char *ref_out = g_build_filename(ref_out_dir, "out.txt", NULL);
  int st = reap(spawn(f.in, ref_out, ref_ck, p, 0));
  g_assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  GHashTable *ref = read_output(ref_out_dir);
  assert_same(ref, f.expected, "uninterrupted run");

  /* Killed and restarted until it completes. */
  char *out_dir = g_build_filename(f.dir, "out", NULL), *ck = g_build_filename(f.dir, "ck", NULL);
  g_mkdir(out_dir, 0755);
  char *out = g_build_filename(out_dir, "out.txt", NULL);
  GRand *rand = g_rand_new_with_seed(seed ^ 0x5eed);
  guint kills = 0, runs = 0;
  for (;;) {
    runs++;
    guint64 before = rill_checkpoint_latest(ck);
    GPid pid = spawn(f.in, out, ck, p, kills < 3 ? throttle_every : 0);
    gboolean exited = FALSE;
    if (kills < 3) {
      /* Wait for 1-4 checkpoints newer than the one restored, then a little more. */
      guint64 want = before + (guint64)g_rand_int_range(rand, 1, 5);
      while (!exited && rill_checkpoint_latest(ck) < want) {
        g_usleep(2000);
        exited = waitpid(pid, &st, WNOHANG) == pid;
      }
      if (!exited) {
        g_usleep((gulong)g_rand_int_range(rand, 0, 60) * 1000);
        kill(pid, SIGKILL);
      }
    }
    if (!exited)
      st = reap(pid);
    g_spawn_close_pid(pid);
    if (WIFSIGNALED(st)) {
      g_assert_cmpint(WTERMSIG(st), ==, SIGKILL);
      kills++;
      continue;
    }
    g_assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    break;
  }
  g_test_message("P=%u: %u kills, %u runs", p, kills, runs);
  /* The throttled run lasts about a second; the first kill comes right after
   * the first 50 ms checkpoint, so the restore path has been exercised. */
  g_assert_cmpuint(kills, >=, 1);
  GHashTable *got = read_output(out_dir);
  assert_same(got, ref, "restarted run vs uninterrupted run");

  g_hash_table_unref(got);
  g_hash_table_unref(ref);
  g_hash_table_unref(f.expected);
  g_rand_free(rand);
  char *cmd = g_strdup_printf("rm -rf '%s'", f.dir);
  g_assert_cmpint(system(cmd), ==, 0);
  g_free(cmd);
  g_free(out);
  g_free(ck);
  g_free(out_dir);
  g_free(ref_out);
  g_free(ref_ck);
  g_free(ref_out_dir);
  g_free(f.in);
  g_free(f.dir);
}

static void test_crash_p1(void)
{
  run_crash(1, 42);
}

static void test_crash_p2(void)
{
  run_crash(2, 7);
}

int main(int argc, char **argv)
{
  if (argc > 1 && !strcmp(argv[1], "--child"))
    return child_main(argc, argv);
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/checkpoint/crash-restart/p1", test_crash_p1);
  g_test_add_func("/checkpoint/crash-restart/p2", test_crash_p2);
  return g_test_run();
}
