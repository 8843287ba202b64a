/* files.c — atomic replace, directory fsync and recursive removal (see
 * files.h). Every function returns 0 or -errno of the first failure and
 * leaves errno alone for the caller to ignore. */
#include "runtime/files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int set_what(const char **what, const char *step, int err)
{
  if (what)
    *what = step;
  return -err;
}

int rill__file_write_synced(const char *path, const void *data, size_t len, const char **what)
{
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return set_what(what, "cannot create", errno);
  for (size_t done = 0; done < len;) {
    ssize_t n = write(fd, (const uint8_t *)data + done, len - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int err = errno;
      close(fd);
      return set_what(what, "cannot write", err);
    }
    done += (size_t)n;
  }
  if (fsync(fd) != 0) {
    int err = errno;
    close(fd);
    return set_what(what, "cannot fsync", err);
  }
  close(fd);
  return 0;
}

int rill__dir_fsync(const char *dir)
{
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  int rc = fsync(fd);
  int err = errno;
  close(fd);
  return rc == 0 ? 0 : -err;
}

int rill__file_replace(const char *path, const void *data, size_t len, const char **what)
{
  g_autofree char *tmp = g_strconcat(path, ".tmp", NULL);
  int rc = rill__file_write_synced(tmp, data, len, what);
  if (rc == 0 && rename(tmp, path) != 0)
    rc = set_what(what, "cannot rename over", errno);
  if (rc != 0) {
    unlink(tmp);
    return rc;
  }
  g_autofree char *dir = g_path_get_dirname(path);
  rc = rill__dir_fsync(dir);
  return rc == 0 ? 0 : set_what(what, "cannot fsync the directory of", -rc);
}

int rill__rm_rf(const char *path)
{
  if (unlink(path) == 0 || errno == ENOENT)
    return 0;
  if (errno != EISDIR)
    return -errno;
  int first = 0;
  DIR *d = opendir(path);
  if (!d)
    first = -errno;
  struct dirent *e;
  while (d && (e = readdir(d))) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    g_autofree char *child = g_build_filename(path, e->d_name, NULL);
    int rc = rill__rm_rf(child);
    if (rc && !first)
      first = rc;
  }
  if (d)
    closedir(d);
  if (rmdir(path) != 0 && errno != ENOENT && !first)
    first = -errno;
  return first;
}
