/* files.h — the file mechanisms several parts of rill need, written once:
 * replacing a small file atomically, making directory entries durable, and
 * removing a tree. Used by the log (topic configs, producer state, committed
 * offsets, partition directories), the broker's group store and checkpoints.
 *
 * Errors are 0 or a negative errno (as libuv does), and where a function
 * takes @what it is set to the failed step ("cannot write", ...), so each
 * caller reports in its own GError domain and keeps the errno (the log maps
 * ENOSPC to RILL_LOG_ERROR_NO_SPACE).
 */
#pragma once

#include <stddef.h>

/* Creates or truncates @path, writes @len bytes of @data and fsyncs them.
 * The new name itself is durable only after rill__dir_fsync of its
 * directory. */
int rill__file_write_synced(const char *path, const void *data, size_t len, const char **what);

/* Replaces @path by @data so that a crash leaves the old or the new content,
 * never a mix, and the new content is durable on return: writes and fsyncs
 * "@path.tmp", renames it over @path, fsyncs the directory (the rename is
 * durable only once the directory is). On failure the temporary is removed
 * and @path is as it was. */
int rill__file_replace(const char *path, const void *data, size_t len, const char **what);

/* fsyncs directory @dir: the entries created, renamed or removed in it
 * become durable. */
int rill__dir_fsync(const char *dir);

/* Removes @path and, if it is a directory, everything under it (symbolic
 * links are removed, never followed). Goes on past failures and returns the
 * first; a @path that does not exist is not one. */
int rill__rm_rf(const char *path);
