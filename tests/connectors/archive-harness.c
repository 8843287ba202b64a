/* archive-harness.c — see archive-harness.h. */
#include "archive-harness.h"

#include <glib/gstdio.h>
#include <stdarg.h>
#include <utime.h>

static char *dup_header(const rill_record *r, const char *name)
{
  const rill_bytes *b = rill_record_header(r, name);
  return b && b->data ? g_strndup((const char *)b->data, b->len) : NULL;
}

static rill_flow collector_write(rill_ctx *ctx, void *state, const rill_batch *batch)
{
  collector *c = state;
  const rill_record *recs = rill_batch_records(batch);
  g_mutex_lock(&c->lock);
  for (size_t i = 0; i < rill_batch_len(batch); i++) {
    got_record *g = g_new0(got_record, 1);
    g_assert_nonnull(recs[i].value.data);
    g->value = g_strndup((const char *)recs[i].value.data, recs[i].value.len);
    g->archive = dup_header(&recs[i], RILL_ARCHIVE_HEADER_ARCHIVE);
    g->entry = dup_header(&recs[i], RILL_ARCHIVE_HEADER_ENTRY);
    g->mtime = dup_header(&recs[i], RILL_ARCHIVE_HEADER_MTIME);
    g->line = dup_header(&recs[i], RILL_ARCHIVE_HEADER_LINE);
    g->task = rill_ctx_task_index(ctx);
    g_ptr_array_add(c->records, g);
  }
  g_mutex_unlock(&c->lock);
  return RILL_FLOW_OK;
}

static gboolean collector_open(rill_ctx *ctx, void *user_data, void **state, GError **error)
{
  *state = user_data;
  return TRUE;
}

static rill_flow collector_flush(rill_ctx *ctx, void *state)
{
  collector *c = state;
  g_atomic_int_inc(&c->flushes);
  return RILL_FLOW_OK;
}

const rill_sink_class collector_class = {
  .type_name = "collector",
  .open = collector_open,
  .write = collector_write,
  .flush = collector_flush,
};

static void got_free(gpointer p)
{
  got_record *g = p;
  g_free(g->value);
  g_free(g->archive);
  g_free(g->entry);
  g_free(g->mtime);
  g_free(g->line);
  g_free(g);
}

void collector_init(collector *c)
{
  g_mutex_init(&c->lock);
  c->records = g_ptr_array_new_with_free_func(got_free);
  c->flushes = 0;
}

void collector_clear(collector *c)
{
  g_ptr_array_unref(c->records);
  g_mutex_clear(&c->lock);
}

static char *G_GNUC_PRINTF(3, 0) vrun(int *status, gsize *len, const char *format, va_list ap)
{
  char *cmd = g_strdup_vprintf(format, ap);
  const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
  char *out = NULL, *err = NULL;
  GError *error = NULL;
  gboolean ok = g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, status, &error);
  g_assert_no_error(error);
  g_assert_true(ok);
  if (len)
    *len = strlen(out); /* callers that need binary output use files */
  if (*status != 0)
    g_test_message("command '%s' exited %d: %s", cmd, *status, err);
  g_free(err);
  g_free(cmd);
  return out;
}

void run_ok(const char *format, ...)
{
  va_list ap;
  va_start(ap, format);
  int status;
  char *out = vrun(&status, NULL, format, ap);
  va_end(ap);
  g_assert_cmpint(status, ==, 0);
  g_free(out);
}

char *run_capture(int *status, gsize *len, const char *format, ...)
{
  va_list ap;
  va_start(ap, format);
  char *out = vrun(status, len, format, ap);
  va_end(ap);
  return out;
}

char *make_tmpdir(void)
{
  GError *error = NULL;
  char *dir = g_dir_make_tmp("rill-archive-XXXXXX", &error);
  g_assert_no_error(error);
  return dir;
}

void rm_rf(const char *dir)
{
  run_ok("rm -rf '%s'", dir);
}

void write_file(const char *dir, const char *name, const char *data, gsize len, gint64 mtime)
{
  char *path = g_build_filename(dir, name, NULL);
  char *parent = g_path_get_dirname(path);
  g_assert_cmpint(g_mkdir_with_parents(parent, 0755), ==, 0);
  GError *error = NULL;
  g_file_set_contents(path, data, (gssize)len, &error);
  g_assert_no_error(error);
  struct utimbuf t = {.actime = (time_t)mtime, .modtime = (time_t)mtime};
  g_assert_cmpint(utime(path, &t), ==, 0);
  g_free(parent);
  g_free(path);
}
