/* generate.c — the access-log generator (see generate.h). A xorshift PRNG
 * seeded per file makes every file reproducible on its own; timestamps
 * advance by a fixed step per line with up to ±2 s of jitter, which the
 * pipeline's 5 s out-of-orderness bound absorbs. */
#include "generate.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>

#define START_S 1699920000 /* 2023-11-14T00:00:00Z */
#define STEP_MS 50         /* 20 lines per second per file */

static const char *const paths[] = {
  "/", "/index.html", "/login", "/logout", "/search", "/cart", "/checkout", "/api/users", "/api/orders",
  "/api/items", "/api/items/42", "/api/payments", "/static/app.js", "/static/site.css", "/images/logo.png",
  "/health", "/admin", "/api/reports", "/feed.xml", "/favicon.ico"};
static const char *const methods[] = {"GET", "GET", "GET", "POST", "PUT", "DELETE"};
static const int statuses[] = {200, 200, 200, 200, 200, 200, 200, 201, 204, 301, 304, 400, 401, 403, 404};
static const int errors[] = {500, 502, 503, 504};
static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

static guint32 next(guint32 *s)
{
  *s ^= *s << 13;
  *s ^= *s >> 17;
  *s ^= *s << 5;
  return *s;
}

/* Appends line @i of file @file to @out. */
static void make_line(GString *out, const access_log_spec *spec, guint file, guint64 i, guint32 *rng)
{
  guint32 r = next(rng);
  gint64 ms = (gint64)START_S * 1000 + (gint64)(file * spec->lines_per_file + i) * STEP_MS +
              (gint64)(next(rng) % 4001) - 2000;
  if (ms < (gint64)START_S * 1000)
    ms = (gint64)START_S * 1000;
  GDateTime *t = g_date_time_new_from_unix_utc(ms / 1000);
  int status = r % 100 < 6 ? errors[next(rng) % G_N_ELEMENTS(errors)] : statuses[next(rng) % G_N_ELEMENTS(statuses)];
  gsize start = out->len;
  g_string_append_printf(out, "10.0.%u.%u - - [%02d/%s/%04d:%02d:%02d:%02d +0000] \"%s %s HTTP/1.1\" %d %u",
                         next(rng) % 256, next(rng) % 256, g_date_time_get_day_of_month(t),
                         months[g_date_time_get_month(t) - 1], g_date_time_get_year(t), g_date_time_get_hour(t),
                         g_date_time_get_minute(t), g_date_time_get_second(t), methods[next(rng) % G_N_ELEMENTS(methods)],
                         paths[next(rng) % G_N_ELEMENTS(paths)], status, next(rng) % 50000);
  g_date_time_unref(t);
  switch (r % 200) { /* 3 in 200 malformed, three ways */
  case 17:
    g_string_truncate(out, start);
    g_string_append(out, "GET /health -- garbled entry from a misconfigured proxy");
    break;
  case 18:
    g_string_truncate(out, start + (out->len - start) / 2); /* truncated mid-line */
    break;
  case 19: {
    char *q = strstr(out->str + start, "\" ");
    if (q)
      q[3] = 'x'; /* status "5x3" */
    break;
  }
  default:
    break;
  }
  g_string_append_c(out, '\n');
}

/* Calls @write for each chunk of file @file's bytes. */
static gboolean each_chunk(const access_log_spec *spec, guint file, gboolean (*write)(const char *, gsize, void *),
                           void *data)
{
  guint32 rng = spec->seed * 2654435761u + file + 1;
  GString *buf = g_string_sized_new(1 << 20);
  gboolean ok = TRUE;
  for (guint64 i = 0; ok && i < spec->lines_per_file; i++) {
    make_line(buf, spec, file, i, &rng);
    if (buf->len >= (1 << 20) - 256 || i + 1 == spec->lines_per_file) {
      ok = write(buf->str, buf->len, data);
      g_string_truncate(buf, 0);
    }
  }
  g_string_free(buf, TRUE);
  return ok;
}

static gboolean to_stdio(const char *data, gsize len, void *f)
{
  return fwrite(data, 1, len, f) == len;
}

static gboolean to_archive(const char *data, gsize len, void *a)
{
  return archive_write_data(a, data, len) == (la_ssize_t)len;
}

gboolean access_log_write_plain(const char *dir, const access_log_spec *spec, GError **error)
{
  if (g_mkdir_with_parents(dir, 0755) != 0) {
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "cannot create %s: %s", dir, g_strerror(errno));
    return FALSE;
  }
  for (guint f = 0; f < spec->files; f++) {
    char name[32];
    g_snprintf(name, sizeof name, "access-%03u.log", f);
    char *path = g_build_filename(dir, name, NULL);
    FILE *out = fopen(path, "w");
    gboolean ok = out && each_chunk(spec, f, to_stdio, out);
    if (out && fclose(out) != 0)
      ok = FALSE;
    if (!ok)
      g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "cannot write %s: %s", path, g_strerror(errno));
    g_free(path);
    if (!ok)
      return FALSE;
  }
  return TRUE;
}

/* Entry sizes must be known before the data in a tar: sum one dry run. */
static gboolean count_bytes(const char *data, gsize len, void *total)
{
  *(guint64 *)total += len;
  return TRUE;
}

gboolean access_log_write_tar_gz(const char *path, const access_log_spec *spec, GError **error)
{
  struct archive *a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  archive_write_add_filter_gzip(a);
  gboolean ok = archive_write_open_filename(a, path) == ARCHIVE_OK;
  for (guint f = 0; ok && f < spec->files; f++) {
    guint64 size = 0;
    each_chunk(spec, f, count_bytes, &size);
    char name[32];
    g_snprintf(name, sizeof name, "logs/access-%03u.log", f);
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, name);
    archive_entry_set_size(e, (la_int64_t)size);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_mtime(e, START_S, 0);
    ok = archive_write_header(a, e) == ARCHIVE_OK && each_chunk(spec, f, to_archive, a);
    archive_entry_free(e);
  }
  if (ok)
    ok = archive_write_close(a) == ARCHIVE_OK;
  if (!ok)
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "cannot write %s: %s", path, archive_error_string(a));
  archive_write_free(a);
  return ok;
}
