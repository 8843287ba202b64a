/* test-files.c — runtime/files.c on real files in a temporary directory:
 * atomic replace (content, no temporary left behind, the old file intact
 * when the replace fails), directory fsync errors, and recursive removal
 * (nested directories, symbolic links removed and never followed). */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "runtime/files.h"

static char *tmpdir(void)
{
  GError *e = NULL;
  char *d = g_dir_make_tmp("rill-files-XXXXXX", &e);
  g_assert_no_error(e);
  return d;
}

static void assert_content(const char *path, const char *want)
{
  g_autofree char *got = NULL;
  g_assert_true(g_file_get_contents(path, &got, NULL, NULL));
  g_assert_cmpstr(got, ==, want);
}

static void test_replace(void)
{
  g_autofree char *dir = tmpdir();
  g_autofree char *path = g_build_filename(dir, "state", NULL);
  g_autofree char *tmp = g_strconcat(path, ".tmp", NULL);
  const char *what = NULL;
  g_assert_cmpint(rill__file_replace(path, "first", 5, &what), ==, 0);
  assert_content(path, "first");
  g_assert_cmpint(rill__file_replace(path, "second, longer", 14, &what), ==, 0);
  assert_content(path, "second, longer");
  g_assert_cmpint(rill__file_replace(path, "", 0, &what), ==, 0);
  assert_content(path, "");
  g_assert_false(g_file_test(tmp, G_FILE_TEST_EXISTS));

  /* A directory in the way: the rename fails, nothing is left behind. */
  g_autofree char *blocked = g_build_filename(dir, "blocked", NULL);
  g_assert_cmpint(g_mkdir(blocked, 0755), ==, 0);
  g_autofree char *inside = g_build_filename(blocked, "keep", NULL);
  g_assert_true(g_file_set_contents(inside, "kept", -1, NULL));
  g_assert_cmpint(rill__file_replace(blocked, "x", 1, &what), ==, -EISDIR);
  g_assert_cmpstr(what, ==, "cannot rename over");
  g_autofree char *blocked_tmp = g_strconcat(blocked, ".tmp", NULL);
  g_assert_false(g_file_test(blocked_tmp, G_FILE_TEST_EXISTS));
  assert_content(inside, "kept");

  /* No such directory: nothing is created. */
  g_autofree char *orphan = g_build_filename(dir, "missing", "state", NULL);
  g_assert_cmpint(rill__file_replace(orphan, "x", 1, &what), ==, -ENOENT);
  g_assert_cmpstr(what, ==, "cannot create");

  g_assert_cmpint(rill__rm_rf(dir), ==, 0);
  g_assert_false(g_file_test(dir, G_FILE_TEST_EXISTS));
}

static void test_write_synced(void)
{
  g_autofree char *dir = tmpdir();
  g_autofree char *path = g_build_filename(dir, "blob", NULL);
  GString *big = g_string_new(NULL);
  for (int i = 0; i < 100000; i++)
    g_string_append_printf(big, "%d,", i);
  const char *what = NULL;
  g_assert_cmpint(rill__file_write_synced(path, big->str, big->len, &what), ==, 0);
  assert_content(path, big->str);
  /* Truncates what was there. */
  g_assert_cmpint(rill__file_write_synced(path, "short", 5, NULL), ==, 0);
  assert_content(path, "short");
  g_string_free(big, TRUE);
  g_assert_cmpint(rill__rm_rf(dir), ==, 0);
}

static void test_dir_fsync(void)
{
  g_autofree char *dir = tmpdir();
  g_assert_cmpint(rill__dir_fsync(dir), ==, 0);
  g_autofree char *file = g_build_filename(dir, "f", NULL);
  g_assert_true(g_file_set_contents(file, "x", -1, NULL));
  g_assert_cmpint(rill__dir_fsync(file), ==, -ENOTDIR);
  g_autofree char *missing = g_build_filename(dir, "missing", NULL);
  g_assert_cmpint(rill__dir_fsync(missing), ==, -ENOENT);
  g_assert_cmpint(rill__rm_rf(dir), ==, 0);
}

static void test_rm_rf(void)
{
  g_autofree char *dir = tmpdir();
  g_autofree char *outside = tmpdir();
  g_autofree char *precious = g_build_filename(outside, "precious", NULL);
  g_assert_true(g_file_set_contents(precious, "keep me", -1, NULL));

  g_autofree char *root = g_build_filename(dir, "root", NULL);
  g_autofree char *deep = g_build_filename(root, "a", "b", "c", NULL);
  g_assert_cmpint(g_mkdir_with_parents(deep, 0755), ==, 0);
  g_autofree char *empty = g_build_filename(root, "empty", NULL);
  g_assert_cmpint(g_mkdir(empty, 0755), ==, 0);
  const char *files[] = {"f1", "a/f2", "a/b/f3", "a/b/c/f4"};
  for (guint i = 0; i < G_N_ELEMENTS(files); i++) {
    g_autofree char *f = g_build_filename(root, files[i], NULL);
    g_assert_true(g_file_set_contents(f, files[i], -1, NULL));
  }
  g_autofree char *link = g_build_filename(root, "a", "to-outside", NULL);
  g_assert_cmpint(symlink(outside, link), ==, 0);

  g_assert_cmpint(rill__rm_rf(root), ==, 0);
  g_assert_false(g_file_test(root, G_FILE_TEST_EXISTS));
  assert_content(precious, "keep me");

  /* Gone already: not an error. A plain file: removed. */
  g_assert_cmpint(rill__rm_rf(root), ==, 0);
  g_autofree char *plain = g_build_filename(dir, "plain", NULL);
  g_assert_true(g_file_set_contents(plain, "x", -1, NULL));
  g_assert_cmpint(rill__rm_rf(plain), ==, 0);
  g_assert_false(g_file_test(plain, G_FILE_TEST_EXISTS));

  g_assert_cmpint(rill__rm_rf(dir), ==, 0);
  g_assert_cmpint(rill__rm_rf(outside), ==, 0);
  g_assert_false(g_file_test(outside, G_FILE_TEST_EXISTS));
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/files/replace", test_replace);
  g_test_add_func("/files/write-synced", test_write_synced);
  g_test_add_func("/files/dir-fsync", test_dir_fsync);
  g_test_add_func("/files/rm-rf", test_rm_rf);
  return g_test_run();
}
