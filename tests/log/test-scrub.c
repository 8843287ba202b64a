/* test-scrub.c — damage in sealed segments on real files: a byte flipped in
 * a record value and one in a baseOffset (outside the CRC) are found by
 * rill_log_verify_dir, by the rill-log tool (a process) and, for the value
 * flip, by the log's background scrubber, each reported once with the
 * offsets the test itself appended there; reads stop before the damaged
 * batch and a read of it fails with CORRUPT_BATCH. A clean log reports
 * nothing. */
#include <rill/log.h>

#include "tests/log/test-batch.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define N_BATCHES 80

/* What the test appended to t-0, in order. */
typedef struct {
  int64_t base, last, size;
  int64_t segment, position; /* found from the segment files' names and the sizes appended */
} appended;

typedef struct {
  GMutex lock;
  GArray *found; /* rill_log_damage, strings dropped */
  GPtrArray *reasons;
} damages;

static void on_damage(const rill_log_damage *d, void *user_data)
{
  damages *ds = user_data;
  g_mutex_lock(&ds->lock);
  g_assert_cmpstr(d->topic, ==, "t");
  g_assert_cmpint(d->partition, ==, 0);
  g_array_append_val(ds->found, *d);
  g_ptr_array_add(ds->reasons, g_strdup(d->reason));
  g_mutex_unlock(&ds->lock);
}

static void damages_init(damages *ds)
{
  g_mutex_init(&ds->lock);
  ds->found = g_array_new(FALSE, FALSE, sizeof(rill_log_damage));
  ds->reasons = g_ptr_array_new_with_free_func(g_free);
}

static void damages_clear(damages *ds)
{
  g_array_unref(ds->found);
  g_ptr_array_unref(ds->reasons);
  g_mutex_clear(&ds->lock);
}

static rill_log *open_log(const char *dir, damages *ds)
{
  rill_log_options o;
  rill_log_options_init(&o);
  o.scrub_bytes_per_sec = 1 << 30;
  o.scrub_damage_func = on_damage;
  o.scrub_damage_user_data = ds;
  GError *e = NULL;
  rill_log *log = rill_log_open(dir, &o, &e);
  g_assert_no_error(e);
  return log;
}

/* Fills t-0 (4 KiB segments) and t-1 and closes the log; @a gets t-0's
 * batches with their segment and position. */
static void fill(const char *dir, appended *a)
{
  damages none;
  damages_init(&none);
  rill_log *log = open_log(dir, &none);
  const char *cfg[] = {"segment.bytes", "4096", NULL};
  GError *e = NULL;
  int n = 0;
  g_assert_true(rill_log_topic_create(log, "t", 2, cfg, &e));
  g_assert_no_error(e);
  for (int i = 0; i < N_BATCHES; i++) {
    size_t len;
    uint8_t *b = test_batch(1 + i % 4, 60, 1000 + i, (uint32_t)i, &len);
    rill_log_append_result r;
    g_assert_true(rill_log_append(log, "t", i % 7 == 0 ? 1 : 0, b, len, &r, &e));
    g_assert_no_error(e);
    if (i % 7 != 0)
      a[n++] = (appended){r.base_offset, r.last_offset, (int64_t)len, -1, -1};
    g_free(b);
  }
  rill_log_close(log);
  g_assert_cmpuint(none.found->len, ==, 0);
  damages_clear(&none);
  /* Segments by their file names; batches fill them in order. */
  g_autofree char *pdir = g_build_filename(dir, "t-0", NULL);
  g_autoptr(GArray) bases = g_array_new(FALSE, FALSE, sizeof(int64_t));
  GDir *d = g_dir_open(pdir, 0, NULL);
  const char *name;
  while ((name = g_dir_read_name(d)))
    if (g_str_has_suffix(name, ".log")) {
      int64_t base = g_ascii_strtoll(name, NULL, 10);
      g_array_append_val(bases, base);
    }
  g_dir_close(d);
  g_assert_cmpuint(bases->len, >=, 4);
  int64_t pos = 0, seg = -1;
  for (int i = 0; a[i].size; i++) {
    int64_t in = -1;
    for (guint j = 0; j < bases->len; j++)
      if (g_array_index(bases, int64_t, j) <= a[i].base && g_array_index(bases, int64_t, j) > in)
        in = g_array_index(bases, int64_t, j);
    if (in != seg)
      seg = in, pos = 0;
    a[i].segment = seg;
    a[i].position = pos;
    pos += a[i].size;
  }
}

/* Index of the first batch of the second segment, and of the third. */
static int first_of_segment(const appended *a, int nth)
{
  int seen = 0;
  for (int i = 1; a[i].size; i++)
    if (a[i].segment != a[i - 1].segment && ++seen == nth)
      return i;
  g_assert_not_reached();
}

static void flip(const char *dir, int64_t segment, int64_t position)
{
  g_autofree char *path = g_strdup_printf("%s/t-0/%020" G_GINT64_FORMAT ".log", dir, segment);
  int fd = open(path, O_RDWR);
  g_assert_cmpint(fd, >=, 0);
  uint8_t c;
  g_assert_cmpint(pread(fd, &c, 1, position), ==, 1);
  c ^= 0x10;
  g_assert_cmpint(pwrite(fd, &c, 1, position), ==, 1);
  close(fd);
}

static void wait_passes(rill_log *log, guint64 n, rill_log_scrub_stats *st)
{
  for (int i = 0; i < 6000; i++) {
    rill_log_scrub_stats_get(log, st);
    if (st->passes >= n)
      return;
    g_usleep(10000);
  }
  g_assert_not_reached();
}

static void assert_damage(const damages *ds, guint i, const appended *b, const char *reason)
{
  const rill_log_damage *d = &g_array_index(ds->found, rill_log_damage, i);
  g_assert_cmpint(d->segment_base, ==, b->segment);
  g_assert_cmpint(d->position, ==, b->position);
  g_assert_cmpint(d->first_offset, ==, b->base);
  g_assert_cmpint(d->last_offset, ==, b->last);
  g_assert_cmpstr(g_ptr_array_index(ds->reasons, i), ==, reason);
}

static int run_tool(const char *dir, char **out)
{
  g_autofree char *tool = g_build_filename(RILL_BINARY_DIR, "tools", "rill-log", NULL);
  const char *argv[] = {tool, "verify", dir, NULL};
  int status;
  GError *e = NULL;
  g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, out, NULL, &status, &e));
  g_assert_no_error(e);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_damage(void)
{
  g_autofree char *dir = test_tmpdir();
  appended a[N_BATCHES + 1] = {0};
  fill(dir, a);
  int v = first_of_segment(a, 1) + 1; /* a batch inside the second segment */
  int c = first_of_segment(a, 2) + 1; /* and one inside the third */
  flip(dir, a[v].segment, a[v].position + a[v].size - 5); /* a value byte */

  /* The scrubber finds it once, however many passes. */
  damages ds;
  damages_init(&ds);
  rill_log *log = open_log(dir, &ds);
  rill_log_scrub_stats st;
  wait_passes(log, 1, &st);
  g_assert_cmpuint(ds.found->len, ==, 1);
  assert_damage(&ds, 0, &a[v], "CRC-32C mismatch");
  g_assert_cmpuint(st.damaged_batches, ==, 1);
  g_assert_cmpuint(st.io_errors, ==, 0);
  rill_log_scrub_kick(log);
  wait_passes(log, 2, &st);
  g_assert_cmpuint(ds.found->len, ==, 1);
  g_assert_cmpuint(st.damaged_batches, ==, 1);

  /* Reads: up to the damaged batch, never into it. */
  GError *e = NULL;
  rill_log_fetch *f = rill_log_read(log, "t", 0, a[v].base, 1 << 20, &e);
  g_assert_error(e, RILL_LOG_ERROR, RILL_LOG_ERROR_CORRUPT_BATCH);
  g_assert_null(f);
  g_clear_error(&e);
  f = rill_log_read(log, "t", 0, a[v - 1].base, 1 << 20, &e);
  g_assert_no_error(e);
  g_assert_cmpuint(rill_log_fetch_size(f), ==, (size_t)a[v - 1].size);
  rill_log_fetch_free(f);
  f = rill_log_read(log, "t", 0, a[v + 1].base, 1 << 20, &e);
  g_assert_no_error(e);
  g_assert_cmpuint(rill_log_fetch_size(f), >, 0);
  rill_log_fetch_free(f);
  rill_log_close(log);

  /* Offline: baseOffset is outside the CRC; continuity catches it. */
  flip(dir, a[c].segment, a[c].position + 7);
  damages off;
  damages_init(&off);
  rill_log_scrub_stats vs;
  g_assert_true(rill_log_verify_dir(dir, on_damage, &off, &vs, &e));
  g_assert_no_error(e);
  g_assert_cmpuint(off.found->len, ==, 2);
  assert_damage(&off, 0, &a[v], "CRC-32C mismatch");
  assert_damage(&off, 1, &a[c], "baseOffset does not follow the previous batch");
  g_assert_cmpuint(vs.batches, ==, N_BATCHES);
  g_assert_cmpuint(vs.damaged_batches, ==, 2);

  g_autofree char *out = NULL;
  g_assert_cmpint(run_tool(dir, &out), ==, 3);
  g_autofree char *l1 = g_strdup_printf("damaged topic=t partition=0 segment=%020" G_GINT64_FORMAT
                                        ".log position=%" G_GINT64_FORMAT " offsets=%" G_GINT64_FORMAT
                                        "..%" G_GINT64_FORMAT " reason=\"CRC-32C mismatch\"\n",
                                        a[v].segment, a[v].position, a[v].base, a[v].last);
  g_assert_nonnull(strstr(out, l1));
  g_autofree char *l2 = g_strdup_printf("offsets=%" G_GINT64_FORMAT "..%" G_GINT64_FORMAT
                                        " reason=\"baseOffset does not follow the previous batch\"\n",
                                        a[c].base, a[c].last);
  g_assert_nonnull(strstr(out, l2));
  g_assert_nonnull(strstr(out, "2 damaged"));

  damages_clear(&ds);
  damages_clear(&off);
  test_rm_rf(dir);
}

static void test_clean(void)
{
  g_autofree char *dir = test_tmpdir();
  appended a[N_BATCHES + 1] = {0};
  fill(dir, a);
  damages ds;
  damages_init(&ds);
  rill_log *log = open_log(dir, &ds);
  rill_log_scrub_stats st;
  wait_passes(log, 1, &st);
  rill_log_close(log);
  g_assert_cmpuint(ds.found->len, ==, 0);
  g_assert_cmpuint(st.damaged_batches, ==, 0);
  g_assert_cmpuint(st.batches, >, 0); /* sealed segments of t-0 */
  GError *e = NULL;
  rill_log_scrub_stats vs;
  g_assert_true(rill_log_verify_dir(dir, on_damage, &ds, &vs, &e));
  g_assert_no_error(e);
  g_assert_cmpuint(ds.found->len, ==, 0);
  g_assert_cmpuint(vs.batches, ==, N_BATCHES);
  g_autofree char *out = NULL;
  g_assert_cmpint(run_tool(dir, &out), ==, 0);
  g_assert_nonnull(strstr(out, " 0 damaged"));
  g_assert_null(strstr(out, "damaged topic="));
  damages_clear(&ds);
  test_rm_rf(dir);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/log/scrub/damage", test_damage);
  g_test_add_func("/log/scrub/clean", test_clean);
  return g_test_run();
}
