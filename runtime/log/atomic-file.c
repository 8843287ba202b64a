/* atomic-file.c — the log's GError face of runtime/files.c (atomic replace
 * of small metadata files, directory fsync): failures become RILL_LOG_ERROR,
 * NO_SPACE when the disk or quota is full, IO otherwise. */
#include "runtime/log/log-private.h"

#include <errno.h>
#include <string.h>

#include "runtime/files.h"

void rill__set_io_error(GError **error, int err, const char *what, const char *path)
{
  int code = (err == ENOSPC || err == EDQUOT || err == EFBIG) ? RILL_LOG_ERROR_NO_SPACE
                                                              : RILL_LOG_ERROR_IO;
  g_set_error(error, RILL_LOG_ERROR, code, "%s %s: %s", what, path, g_strerror(err));
}

gint rill__strv_cmp(gconstpointer a, gconstpointer b, gpointer unused)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

gboolean rill__fsync_dir(const char *dir, GError **error)
{
  int rc = rill__dir_fsync(dir);
  if (rc != 0)
    rill__set_io_error(error, -rc, "cannot fsync directory", dir);
  return rc == 0;
}

gboolean rill__atomic_write(const char *path, const void *data, size_t len, GError **error)
{
  const char *what = NULL;
  int rc = rill__file_replace(path, data, len, &what);
  if (rc != 0)
    rill__set_io_error(error, -rc, what, path);
  return rc == 0;
}
