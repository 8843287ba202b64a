/* test-archive-source.c — the archive source against archives made by the
 * system tools (tar with gzip/bzip2/xz/zstd, zip, 7z) and by libarchive's
 * writer: every format reads to exactly the lines the test wrote, several
 * archives deal over P tasks, entry mode and entry filter, lines across
 * chunk boundaries, and damaged archives fail only after delivering every
 * complete record before the damage (computed from the tar layout that GNU
 * tar reports and the bytes gzip itself can recover). */
#include "archive-harness.h"

#include <archive.h>
#include <archive_entry.h>
#include <glib/gstdio.h>

#define MTIME 1600000000

typedef struct {
  const char *name;
  GPtrArray *lines;       /* char*, without newlines */
  gboolean final_newline; /* content ends with "\n" */
} entry_spec;

typedef struct {
  char *dir;              /* temp root */
  char *src;              /* dir/src: the files archived */
  char *arch;             /* dir/arch: the archives */
  entry_spec entries[5];  /* in archiving order */
  guint n_entries;
} fixture;

static const char *const tar_members = "a.log sub sub/b.log empty.log c.txt d d/long.log";

static char *entry_content(const entry_spec *e, gsize *len)
{
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < e->lines->len; i++) {
    g_string_append(s, e->lines->pdata[i]);
    if (i + 1 < e->lines->len || e->final_newline)
      g_string_append_c(s, '\n');
  }
  *len = s->len;
  return g_string_free(s, FALSE);
}

static void add_entry(fixture *f, const char *name, gboolean final_newline)
{
  entry_spec *e = &f->entries[f->n_entries++];
  e->name = name;
  e->lines = g_ptr_array_new_with_free_func(g_free);
  e->final_newline = final_newline;
}

static void fixture_setup(fixture *f, gconstpointer data)
{
  memset(f, 0, sizeof *f);
  f->dir = make_tmpdir();
  f->src = g_build_filename(f->dir, "src", NULL);
  f->arch = g_build_filename(f->dir, "arch", NULL);
  g_mkdir(f->src, 0755);
  g_mkdir(f->arch, 0755);
  add_entry(f, "a.log", TRUE);
  for (int i = 0; i < 300; i++) {
    char *pad = g_strnfill((gsize)(i % 97), 'x');
    g_ptr_array_add(f->entries[0].lines, g_strdup_printf("a %03d %s", i, pad));
    g_free(pad);
  }
  add_entry(f, "sub/b.log", FALSE); /* last line has no newline */
  for (int i = 0; i < 200; i++)
    g_ptr_array_add(f->entries[1].lines, g_strdup_printf("b line %d\tend", i));
  add_entry(f, "empty.log", TRUE);
  add_entry(f, "c.txt", TRUE);
  g_ptr_array_add(f->entries[3].lines, g_strdup("only line"));
  add_entry(f, "d/long.log", TRUE); /* lines longer than the default 64 KiB chunk */
  g_ptr_array_add(f->entries[4].lines, g_strnfill(100000, 'L'));
  g_ptr_array_add(f->entries[4].lines, g_strdup(""));
  g_ptr_array_add(f->entries[4].lines, g_strdup("short"));
  g_ptr_array_add(f->entries[4].lines, g_strnfill(70000, 'M'));
  for (guint i = 0; i < f->n_entries; i++) {
    gsize len;
    char *c = entry_content(&f->entries[i], &len);
    write_file(f->src, f->entries[i].name, c, len, MTIME);
    g_free(c);
  }
  run_ok("touch -d @%d '%s/sub' '%s/d'", MTIME, f->src, f->src);
}

static void fixture_teardown(fixture *f, gconstpointer data)
{
  for (guint i = 0; i < f->n_entries; i++)
    g_ptr_array_unref(f->entries[i].lines);
  rm_rf(f->dir);
  g_free(f->dir);
  g_free(f->src);
  g_free(f->arch);
}

/* ---- building archives -------------------------------------------------- */

/* With the system tools. Returns the archive path (transfer full). */
static char *make_with_tool(fixture *f, const char *kind)
{
  char *out = g_strdup_printf("%s/test.%s", f->arch, kind);
  if (g_str_equal(kind, "tar"))
    run_ok("tar --no-recursion -C '%s' -cf '%s' %s", f->src, out, tar_members);
  else if (g_str_equal(kind, "tar.gz"))
    run_ok("tar --no-recursion -C '%s' -czf '%s' %s", f->src, out, tar_members);
  else if (g_str_equal(kind, "tar.bz2"))
    run_ok("tar --no-recursion -C '%s' -cjf '%s' %s", f->src, out, tar_members);
  else if (g_str_equal(kind, "tar.xz"))
    run_ok("tar --no-recursion -C '%s' -cJf '%s' %s", f->src, out, tar_members);
  else if (g_str_equal(kind, "tar.zst"))
    run_ok("tar --no-recursion --zstd -C '%s' -cf '%s' %s", f->src, out, tar_members);
  else if (g_str_equal(kind, "zip"))
    run_ok("cd '%s' && zip -q -X '%s' a.log sub/ sub/b.log empty.log c.txt d/ d/long.log", f->src, out);
  else if (g_str_equal(kind, "7z"))
    run_ok("cd '%s' && 7z a -bd -bso0 -bsp0 '%s' a.log sub/b.log empty.log c.txt d/long.log", f->src, out);
  else
    g_assert_not_reached();
  return out;
}

/* With libarchive's writer: @format/@filter are libarchive names. */
static char *make_with_libarchive(fixture *f, const char *name, const char *format, const char *filter)
{
  char *out = g_strdup_printf("%s/la.%s", f->arch, name);
  struct archive *a = archive_write_new();
  g_assert_cmpint(archive_write_set_format_by_name(a, format), ==, ARCHIVE_OK);
  if (filter)
    g_assert_cmpint(archive_write_add_filter_by_name(a, filter), ==, ARCHIVE_OK);
  g_assert_cmpint(archive_write_open_filename(a, out), ==, ARCHIVE_OK);
  for (guint i = 0; i < f->n_entries; i++) {
    gsize len;
    char *c = entry_content(&f->entries[i], &len);
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, f->entries[i].name);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, (la_int64_t)len);
    archive_entry_set_mtime(e, MTIME, 0);
    g_assert_cmpint(archive_write_header(a, e), ==, ARCHIVE_OK);
    g_assert_cmpint(archive_write_data(a, c, len), ==, (la_ssize_t)len);
    archive_entry_free(e);
    g_free(c);
  }
  g_assert_cmpint(archive_write_close(a), ==, ARCHIVE_OK);
  archive_write_free(a);
  return out;
}

/* ---- running and checking ----------------------------------------------- */

/* Runs archive source -> collector with @parallelism tasks. Returns the
 * pipeline's result; records land in @c. */
static gboolean run_archives(const char *const *paths, const rill_archive_source_options *base, guint parallelism,
                             collector *c, GError **error)
{
  rill_archive_source_options opt = base ? *base : (rill_archive_source_options){0};
  opt.paths = paths;
  GError *e = NULL;
  rill_archive_source *src = rill_archive_source_new(&opt, &e);
  g_assert_no_error(e);
  rill_pipeline *p = rill_pipeline_new("archive-test");
  rill_pipeline_set_parallelism(p, parallelism);
  rill_stage *s = rill_pipeline_add_archive_source(p, "src", src);
  rill_pipeline_add_sink(p, "out", s, &collector_class, c, NULL);
  gboolean ok = rill_pipeline_run(p, error);
  rill_pipeline_unref(p);
  return ok;
}

/* The records of @archive, in arrival order. (transfer container) */
static GPtrArray *records_of(collector *c, const char *archive)
{
  GPtrArray *out = g_ptr_array_new();
  for (guint i = 0; i < c->records->len; i++) {
    got_record *g = c->records->pdata[i];
    g_assert_nonnull(g->archive);
    if (g_str_equal(g->archive, archive))
      g_ptr_array_add(out, g);
  }
  return out;
}

/* Checks that @archive delivered exactly the first @keep[i] lines of entry
 * i (G_MAXUINT = all), each entry's lines in order with line headers 1..n
 * and the entry's mtime, and that with @tar_order the entries came in
 * archiving order. */
static void check_lines(fixture *f, collector *c, const char *archive, const guint *keep, gboolean tar_order)
{
  GPtrArray *recs = records_of(c, archive);
  guint total = 0, pos = 0;
  for (guint i = 0; i < f->n_entries; i++) {
    const entry_spec *e = &f->entries[i];
    guint want = keep ? MIN(keep[i], e->lines->len) : e->lines->len;
    total += want;
    guint seen = 0;
    for (guint k = 0; k < recs->len; k++) {
      got_record *g = recs->pdata[k];
      if (!g_str_equal(g->entry, e->name))
        continue;
      g_assert_cmpuint(seen, <, want);
      g_assert_cmpstr(g->value, ==, e->lines->pdata[seen]);
      char *num = g_strdup_printf("%u", seen + 1);
      g_assert_cmpstr(g->line, ==, num);
      g_free(num);
      g_assert_cmpstr(g->mtime, ==, G_STRINGIFY(MTIME));
      if (tar_order)
        g_assert_cmpuint(k, ==, pos + seen);
      seen++;
    }
    g_assert_cmpuint(seen, ==, want);
    pos += want;
  }
  g_assert_cmpuint(recs->len, ==, total);
  g_ptr_array_unref(recs);
}

static void read_one(fixture *f, const char *path, gboolean tar_order)
{
  collector c;
  collector_init(&c);
  const char *paths[] = {path, NULL};
  GError *error = NULL;
  gboolean ok = run_archives(paths, NULL, 1, &c, &error);
  g_assert_no_error(error);
  g_assert_true(ok);
  check_lines(f, &c, path, NULL, tar_order);
  g_assert_cmpint(c.flushes, ==, 1);
  collector_clear(&c);
}

static const char *const tool_kinds[] = {"tar", "tar.gz", "tar.bz2", "tar.xz", "tar.zst", "zip", "7z"};

static void test_formats(fixture *f, gconstpointer data)
{
  for (guint i = 0; i < G_N_ELEMENTS(tool_kinds); i++) {
    g_test_message("format %s", tool_kinds[i]);
    char *path = make_with_tool(f, tool_kinds[i]);
    read_one(f, path, !g_str_equal(tool_kinds[i], "7z"));
    g_free(path);
  }
  static const char *const la[][3] = {
    {"cpio.xz", "newc", "xz"}, {"7z", "7zip", NULL}, {"pax.lz4", "pax", "lz4"},
    {"ustar.lzma", "ustar", "lzma"}, {"iso", "iso9660", NULL}, {"zip", "zip", NULL},
  };
  for (guint i = 0; i < G_N_ELEMENTS(la); i++) {
    g_test_message("libarchive-written %s", la[i][0]);
    char *path = make_with_libarchive(f, la[i][0], la[i][1], la[i][2]);
    /* iso9660 lists entries in its own (sorted directory) order */
    read_one(f, path, !g_str_equal(la[i][1], "iso9660"));
    g_free(path);
  }
}

/* Several archives from a glob, dealt over P tasks: archive i to task i % P. */
static void check_multi(fixture *f, guint parallelism)
{
  for (guint i = 0; i < G_N_ELEMENTS(tool_kinds); i++)
    g_free(make_with_tool(f, tool_kinds[i]));
  char *pattern = g_strdup_printf("%s/test.*", f->arch);
  const char *paths[] = {pattern, NULL};
  rill_archive_source_options opt = {.paths = paths};
  GError *error = NULL;
  rill_archive_source *listing = rill_archive_source_new(&opt, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(rill_archive_source_n_archives(listing), ==, G_N_ELEMENTS(tool_kinds));

  collector c;
  collector_init(&c);
  gboolean ok = run_archives(paths, NULL, parallelism, &c, &error);
  g_assert_no_error(error);
  g_assert_true(ok);
  guint total = 0;
  for (guint i = 0; i < rill_archive_source_n_archives(listing); i++) {
    const char *a = rill_archive_source_archive(listing, i);
    check_lines(f, &c, a, NULL, !g_str_has_suffix(a, ".7z"));
    GPtrArray *recs = records_of(&c, a);
    total += recs->len;
    for (guint k = 0; k < recs->len; k++)
      g_assert_cmpuint(((got_record *)recs->pdata[k])->task, ==, i % parallelism);
    g_ptr_array_unref(recs);
  }
  g_assert_cmpuint(c.records->len, ==, total);
  collector_clear(&c);
  rill_archive_source_free(listing);
  g_free(pattern);
}

static void test_multi_p1(fixture *f, gconstpointer data)
{
  check_multi(f, 1);
}

static void test_multi_p3(fixture *f, gconstpointer data)
{
  check_multi(f, 3);
}

/* Tiny chunks: every line crosses chunk boundaries. */
static void test_small_chunks(fixture *f, gconstpointer data)
{
  char *path = make_with_tool(f, "tar.xz");
  const char *paths[] = {path, NULL};
  rill_archive_source_options opt = {.read_chunk_bytes = 7};
  collector c;
  collector_init(&c);
  GError *error = NULL;
  g_assert_true(run_archives(paths, &opt, 1, &c, &error));
  g_assert_no_error(error);
  check_lines(f, &c, path, NULL, TRUE);
  collector_clear(&c);
  g_free(path);
}

/* Whole entries as records, filtered by name. */
static void test_entry_mode(fixture *f, gconstpointer data)
{
  char *path = make_with_tool(f, "zip");
  const char *paths[] = {path, NULL};
  rill_archive_source_options opt = {.mode = RILL_ARCHIVE_RECORD_ENTRY, .entry_pattern = "*.log"};
  collector c;
  collector_init(&c);
  GError *error = NULL;
  g_assert_true(run_archives(paths, &opt, 1, &c, &error));
  g_assert_no_error(error);
  const guint want[] = {0, 1, 2, 4}; /* a.log sub/b.log empty.log d/long.log: c.txt filtered out */
  g_assert_cmpuint(c.records->len, ==, G_N_ELEMENTS(want));
  for (guint i = 0; i < G_N_ELEMENTS(want); i++) {
    got_record *g = c.records->pdata[i];
    const entry_spec *e = &f->entries[want[i]];
    gsize len;
    char *content = entry_content(e, &len);
    g_assert_cmpstr(g->entry, ==, e->name);
    g_assert_cmpstr(g->value, ==, content);
    g_assert_null(g->line);
    g_assert_cmpstr(g->mtime, ==, G_STRINGIFY(MTIME));
    g_free(content);
  }
  collector_clear(&c);
  g_free(path);
}

/* A line over max_record_bytes: the records before it, then TOO_LONG. */
static void test_too_long(fixture *f, gconstpointer data)
{
  char *path = make_with_tool(f, "tar.gz");
  const char *paths[] = {path, NULL};
  rill_archive_source_options opt = {.max_record_bytes = 1000};
  collector c;
  collector_init(&c);
  GError *error = NULL;
  g_assert_false(run_archives(paths, &opt, 1, &c, &error));
  g_assert_error(error, RILL_PIPELINE_ERROR, RILL_PIPELINE_ERROR_STAGE);
  char *want = g_strdup_printf("archive '%s': entry 'd/long.log': line 1 (at byte 0 of the entry) is longer than 1000 bytes", path);
  g_assert_nonnull(strstr(error->message, want));
  const guint keep[] = {G_MAXUINT, G_MAXUINT, G_MAXUINT, G_MAXUINT, 0};
  check_lines(f, &c, path, keep, TRUE);
  g_free(want);
  g_clear_error(&error);
  collector_clear(&c);
  g_free(path);
}

/* ---- damage --------------------------------------------------------------- */

/* Data offset of each entry of uncompressed tar @tar, from GNU tar's own
 * block numbers (`tar -tvR`: "block N: <header>"; data follows the header). */
static void tar_data_offsets(fixture *f, const char *tar, guint64 *offsets)
{
  int status;
  char *out = run_capture(&status, NULL, "tar -tvR -f '%s'", tar);
  g_assert_cmpint(status, ==, 0);
  char **lines = g_strsplit(out, "\n", -1);
  for (guint i = 0; i < f->n_entries; i++) {
    offsets[i] = G_MAXUINT64;
    for (char **l = lines; *l; l++) {
      guint64 block;
      if (g_str_has_suffix(*l, f->entries[i].name) && sscanf(*l, "block %" G_GUINT64_FORMAT ":", &block) == 1 &&
          (*l)[strlen(*l) - strlen(f->entries[i].name) - 1] == ' ')
        offsets[i] = (block + 1) * 512;
    }
    g_assert_cmpuint(offsets[i], !=, G_MAXUINT64);
  }
  g_strfreev(lines);
  g_free(out);
}

/* How many lines of each entry lie wholly in the first @good bytes of the
 * uncompressed tar; the entry cut by @good is returned in *cut. A line
 * counts once its newline is in, or when its entry ends inside @good. */
static void lines_before(fixture *f, const guint64 *offsets, guint64 good, guint *keep, guint *cut)
{
  *cut = G_MAXUINT;
  for (guint i = 0; i < f->n_entries; i++) {
    const entry_spec *e = &f->entries[i];
    gsize size;
    g_free(entry_content(e, &size));
    keep[i] = 0;
    if (*cut != G_MAXUINT)
      continue; /* after the damage: nothing */
    if (offsets[i] + size <= good) {
      keep[i] = e->lines->len;
      continue;
    }
    *cut = i;
    guint64 end = offsets[i];
    for (guint k = 0; k < e->lines->len; k++) {
      end += strlen(e->lines->pdata[k]) + 1;
      if (end > good)
        break;
      keep[i]++;
    }
  }
}

static gchar *read_all(const char *path, gsize *len)
{
  gchar *data;
  GError *error = NULL;
  g_file_get_contents(path, &data, len, &error);
  g_assert_no_error(error);
  return data;
}

static void expect_damage(fixture *f, const char *archive, const char *tar, guint64 good)
{
  guint64 offsets[G_N_ELEMENTS(f->entries)];
  guint keep[G_N_ELEMENTS(f->entries)], cut;
  tar_data_offsets(f, tar, offsets);
  lines_before(f, offsets, good, keep, &cut);
  /* The damage must fall inside a.log or sub/b.log data, mid-line. */
  g_assert_cmpuint(cut, <=, 1);
  g_assert_cmpuint(keep[cut], >, 0);
  g_assert_cmpuint(keep[cut], <, f->entries[cut].lines->len);

  collector c;
  collector_init(&c);
  const char *paths[] = {archive, NULL};
  GError *error = NULL;
  g_assert_false(run_archives(paths, NULL, 1, &c, &error));
  g_assert_error(error, RILL_PIPELINE_ERROR, RILL_PIPELINE_ERROR_STAGE);
  g_test_message("error: %s", error->message);
  char *want = g_strdup_printf("archive '%s': entry '%s': damaged or truncated after byte %" G_GUINT64_FORMAT
                               " of the entry",
                               archive, f->entries[cut].name, good - offsets[cut]);
  g_assert_nonnull(strstr(error->message, want));
  check_lines(f, &c, archive, keep, TRUE);
  g_assert_cmpint(c.flushes, ==, 1); /* the sink was flushed: delivered, not dropped */
  g_free(want);
  g_clear_error(&error);
  collector_clear(&c);
}

/* TRUE when @good ends mid-line inside a.log or sub/b.log data. */
static gboolean damage_mid_line(fixture *f, const guint64 *offsets, guint64 good)
{
  guint keep[G_N_ELEMENTS(f->entries)], cut;
  lines_before(f, offsets, good, keep, &cut);
  return cut <= 1 && keep[cut] > 0 && keep[cut] < f->entries[cut].lines->len;
}

static void test_truncated_gz(fixture *f, gconstpointer data)
{
  char *tar = make_with_tool(f, "tar");
  guint64 offsets[G_N_ELEMENTS(f->entries)];
  tar_data_offsets(f, tar, offsets);
  char *gz = g_strdup_printf("%s.gz", tar);
  run_ok("gzip -n -c '%s' > '%s'", tar, gz);
  gsize gz_len;
  g_free(read_all(gz, &gz_len));
  char *trunc = g_strdup_printf("%s/trunc.tar.gz", f->arch);
  char *prefix = g_strdup_printf("%s/prefix", f->arch);
  /* Cut the compressed file at the first 1/64th step where what gzip itself
   * recovers (the good prefix) ends mid-line in a.log or sub/b.log. */
  gsize good = 0;
  gboolean found = FALSE;
  for (guint i = 0; i < 63 && !found; i++) {
    guint k = 1 + (i + 31) % 63; /* from the middle on, then the first half */
    run_ok("head -c %" G_GSIZE_FORMAT " '%s' > '%s'", gz_len * k / 64, gz, trunc);
    int status;
    g_free(run_capture(&status, NULL, "gzip -dc '%s' > '%s' 2>/dev/null", trunc, prefix));
    g_assert_cmpint(status, !=, 0); /* gzip calls it damaged too */
    g_free(read_all(prefix, &good));
    found = damage_mid_line(f, offsets, good);
  }
  g_assert_true(found);
  expect_damage(f, trunc, tar, good);
  g_free(prefix);
  g_free(trunc);
  g_free(gz);
  g_free(tar);
}

/* Two gzip members; the second's first deflate block has the reserved
 * block type, so decompression fails right at the member boundary. */
static void test_corrupt_member(fixture *f, gconstpointer data)
{
  char *tar = make_with_tool(f, "tar");
  gsize tar_len;
  gchar *bytes = read_all(tar, &tar_len);
  guint64 offsets[G_N_ELEMENTS(f->entries)];
  tar_data_offsets(f, tar, offsets);
  guint64 split = offsets[1] + 1234; /* mid sub/b.log, mid-line */
  char *gz = g_strdup_printf("%s/member.tar.gz", f->arch);
  run_ok("head -c %" G_GUINT64_FORMAT " '%s' | gzip -n -c > '%s' && tail -c +%" G_GUINT64_FORMAT
         " '%s' | gzip -n -c > '%s.2'",
         split, tar, gz, split + 1, tar, gz);
  gsize m2_len;
  char *m2_path = g_strdup_printf("%s.2", gz);
  gchar *m2 = read_all(m2_path, &m2_len);
  g_assert_cmpuint(m2_len, >, 10);
  g_assert_cmpuint((guint8)m2[3], ==, 0); /* no optional header fields: deflate data at byte 10 */
  m2[10] = 0x07;                         /* BFINAL=1, BTYPE=11 (reserved) */
  GError *error = NULL;
  gsize m1_len;
  gchar *m1 = read_all(gz, &m1_len);
  GString *all = g_string_new_len(m1, (gssize)m1_len);
  g_string_append_len(all, m2, (gssize)m2_len);
  g_file_set_contents(gz, all->str, (gssize)all->len, &error);
  g_assert_no_error(error);
  expect_damage(f, gz, tar, split);
  g_string_free(all, TRUE);
  g_free(m1);
  g_free(m2);
  g_free(m2_path);
  g_free(gz);
  g_free(bytes);
  g_free(tar);
}

/* ---- bad paths ------------------------------------------------------------ */

static void test_bad_paths(fixture *f, gconstpointer data)
{
  GError *error = NULL;
  char *missing = g_strdup_printf("%s/nope.tar", f->arch);
  const char *p1[] = {missing, NULL};
  rill_archive_source_options opt = {.paths = p1};
  g_assert_null(rill_archive_source_new(&opt, &error));
  g_assert_error(error, RILL_ARCHIVE_ERROR, RILL_ARCHIVE_ERROR_NOT_FOUND);
  g_assert_nonnull(strstr(error->message, missing));
  g_clear_error(&error);
  char *pattern = g_strdup_printf("%s/*.none", f->arch);
  const char *p2[] = {pattern, NULL};
  opt.paths = p2;
  g_assert_null(rill_archive_source_new(&opt, &error));
  g_assert_error(error, RILL_ARCHIVE_ERROR, RILL_ARCHIVE_ERROR_NOT_FOUND);
  g_clear_error(&error);

  /* Not an archive: fails when read, naming the file. */
  char *text = g_strdup_printf("%s/a.log", f->src);
  const char *p3[] = {text, NULL};
  collector c;
  collector_init(&c);
  g_assert_false(run_archives(p3, NULL, 1, &c, &error));
  g_assert_error(error, RILL_PIPELINE_ERROR, RILL_PIPELINE_ERROR_STAGE);
  g_test_message("error: %s", error->message);
  char *want = g_strdup_printf("archive '%s': cannot open: ", text);
  g_assert_nonnull(strstr(error->message, want));
  g_assert_cmpuint(c.records->len, ==, 0);
  g_clear_error(&error);
  collector_clear(&c);
  g_free(want);
  g_free(text);
  g_free(pattern);
  g_free(missing);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD("/archive-source/formats", test_formats);
  ADD("/archive-source/multi/p1", test_multi_p1);
  ADD("/archive-source/multi/p3", test_multi_p3);
  ADD("/archive-source/small-chunks", test_small_chunks);
  ADD("/archive-source/entry-mode", test_entry_mode);
  ADD("/archive-source/too-long", test_too_long);
  ADD("/archive-source/truncated-gz", test_truncated_gz);
  ADD("/archive-source/corrupt-gzip-member", test_corrupt_member);
  ADD("/archive-source/bad-paths", test_bad_paths);
  return g_test_run();
}
