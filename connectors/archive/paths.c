/* paths.c — turning the source's path list into archive files: glob(3)
 * for patterns (sorted, so split numbering is stable run to run), a
 * regular-file check for plain paths. */
#include "connectors/archive/archive-private.h"

#include <glob.h>

static gboolean is_pattern(const char *path)
{
  return strpbrk(path, "*?[") != NULL;
}

char **rill__archive_expand_paths(const char *const *paths, GError **error)
{
  GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; paths[i]; i++) {
    const char *p = paths[i];
    if (!is_pattern(p)) {
      if (!g_file_test(p, G_FILE_TEST_IS_REGULAR)) {
        g_set_error(error, RILL_ARCHIVE_ERROR, RILL_ARCHIVE_ERROR_NOT_FOUND, "archive '%s': no such file", p);
        goto fail;
      }
      g_ptr_array_add(out, g_strdup(p));
      continue;
    }
    glob_t g;
    int rc = glob(p, 0, NULL, &g);
    guint added = 0;
    if (rc == 0)
      for (size_t k = 0; k < g.gl_pathc; k++)
        if (g_file_test(g.gl_pathv[k], G_FILE_TEST_IS_REGULAR)) {
          g_ptr_array_add(out, g_strdup(g.gl_pathv[k]));
          added++;
        }
    globfree(&g);
    if (added == 0) {
      g_set_error(error, RILL_ARCHIVE_ERROR, RILL_ARCHIVE_ERROR_NOT_FOUND, "pattern '%s' matched no file", p);
      goto fail;
    }
  }
  if (out->len == 0) {
    g_set_error_literal(error, RILL_ARCHIVE_ERROR, RILL_ARCHIVE_ERROR_INVALID, "no archive paths given");
    goto fail;
  }
  g_ptr_array_add(out, NULL);
  return (char **)g_ptr_array_free(out, FALSE);

fail:
  g_ptr_array_unref(out);
  return NULL;
}
