/* atomic-file.c — replacing small metadata files so that a crash leaves
 * either the old or the new content, never a mix: write a temporary file
 * beside it, fsync it, rename it over the target, fsync the directory (the
 * rename is durable only once the directory entry is). */
#include "runtime/log/log-private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    rill__set_io_error(error, errno, "cannot open directory", dir);
    return FALSE;
  }
  int rc = fsync(fd);
  int err = errno;
  close(fd);
  if (rc != 0) {
    rill__set_io_error(error, err, "cannot fsync directory", dir);
    return FALSE;
  }
  return TRUE;
}

gboolean rill__atomic_write(const char *path, const void *data, size_t len, GError **error)
{
  g_autofree char *tmp = g_strconcat(path, ".tmp", NULL);
  g_autofree char *dir = g_path_get_dirname(path);
  const char *what = "cannot create";
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    goto fail;
  what = "cannot write";
  for (size_t done = 0; done < len;) {
    ssize_t n = write(fd, (const uint8_t *)data + done, len - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      goto fail_fd;
    done += (size_t)n;
  }
  what = "cannot fsync";
  if (fsync(fd) != 0)
    goto fail_fd;
  close(fd);
  what = "cannot rename over";
  if (rename(tmp, path) != 0)
    goto fail_unlink;
  return rill__fsync_dir(dir, error);

fail_fd: {
  int err = errno;
  close(fd);
  errno = err;
}
fail_unlink: {
  int err = errno;
  unlink(tmp);
  errno = err;
}
fail:
  rill__set_io_error(error, errno, what, path);
  return FALSE;
}
