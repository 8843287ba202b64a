/* util.c — see util.h. */
#include "util.h"

#include <glib/gstdio.h>

static void vs_close(rill_ctx *ctx, void *state)
{
  g_free(state);
}

typedef struct {
  vector_source *src;
  guint next;
} vs_state;

static gboolean vs_open(rill_ctx *ctx, void *user_data, const guint *splits, guint n_splits, void **state,
                         GError **error)
{
  vs_state *s = g_new0(vs_state, 1);
  s->src = user_data;
  *state = s;
  return TRUE;
}

static rill_flow vs_read(rill_ctx *ctx, void *state, rill_emitter *out)
{
  vs_state *s = state;
  for (guint k = 0; k < 100 && s->next < s->src->n; k++, s->next++) {
    rill_record r = RILL_RECORD_INIT;
    r.value = rill_bytes_from_string(s->src->values[s->next]);
    rill_header h = {rill_bytes_from_string("csv-header"), rill_bytes_from_string(s->src->csv_header)};
    if (s->src->csv_header) {
      r.headers = &h;
      r.n_headers = 1;
    }
    rill_flow flow = rill_emit_record(out, &r);
    if (flow != RILL_FLOW_OK)
      return flow;
  }
  return s->next < s->src->n ? RILL_FLOW_OK : RILL_FLOW_EOS;
}

const rill_source_class vector_source_class = {
  .type_name = "vector",
  .n_splits = NULL,
  .open = vs_open,
  .read = vs_read,
  .close = vs_close,
};

static void collected_free(gpointer p)
{
  collected *c = p;
  g_free(c->value);
  g_free(c->file);
  g_free(c->csv_header);
  g_free(c);
}

collect_sink *collect_sink_new(void)
{
  collect_sink *s = g_new0(collect_sink, 1);
  g_mutex_init(&s->lock);
  s->items = g_ptr_array_new_with_free_func(collected_free);
  return s;
}

void collect_sink_free(collect_sink *sink)
{
  g_ptr_array_unref(sink->items);
  g_mutex_clear(&sink->lock);
  g_free(sink);
}

static char *header_string(const rill_record *r, const char *name)
{
  const rill_bytes *b = rill_record_header(r, name);
  return b && b->data ? g_strndup((const char *)b->data, b->len) : NULL;
}

static gint64 header_int(const rill_record *r, const char *name)
{
  char *s = header_string(r, name);
  gint64 v = s ? g_ascii_strtoll(s, NULL, 10) : -1;
  g_free(s);
  return v;
}

static gboolean cs_open(rill_ctx *ctx, void *user_data, void **state, GError **error)
{
  *state = user_data;
  return TRUE;
}

static rill_flow cs_write(rill_ctx *ctx, void *state, const rill_batch *batch)
{
  collect_sink *s = state;
  const rill_record *r = rill_batch_records(batch);
  g_mutex_lock(&s->lock);
  for (size_t i = 0; i < rill_batch_len(batch); i++) {
    collected *c = g_new0(collected, 1);
    c->value = r[i].value.data ? g_strndup((const char *)r[i].value.data, r[i].value.len) : NULL;
    c->file = header_string(&r[i], "file");
    c->line = header_int(&r[i], "line");
    c->offset = header_int(&r[i], "offset");
    c->csv_header = header_string(&r[i], "csv-header");
    g_ptr_array_add(s->items, c);
  }
  g_mutex_unlock(&s->lock);
  return RILL_FLOW_OK;
}

const rill_sink_class collect_sink_class = {
  .type_name = "collect",
  .open = cs_open,
  .write = cs_write,
};

guint collect_sink_len(collect_sink *sink)
{
  g_mutex_lock(&sink->lock);
  guint n = sink->items->len;
  g_mutex_unlock(&sink->lock);
  return n;
}

gboolean collect_sink_wait(collect_sink *sink, guint n, guint timeout_s)
{
  gint64 deadline = g_get_monotonic_time() + (gint64)timeout_s * G_USEC_PER_SEC;
  while (collect_sink_len(sink) < n) {
    if (g_get_monotonic_time() > deadline)
      return FALSE;
    g_usleep(10000);
  }
  return TRUE;
}

const collected *collect_sink_get(collect_sink *sink, guint i)
{
  g_mutex_lock(&sink->lock);
  const collected *c = i < sink->items->len ? sink->items->pdata[i] : NULL;
  g_mutex_unlock(&sink->lock);
  return c;
}

char *make_tmp_dir(void)
{
  GError *err = NULL;
  char *d = g_dir_make_tmp("rill-conn-XXXXXX", &err);
  g_assert_no_error(err);
  return d;
}

void remove_tree(const char *dir)
{
  GDir *d = g_dir_open(dir, 0, NULL);
  if (!d)
    return;
  const char *name;
  while ((name = g_dir_read_name(d)) != NULL) {
    char *p = g_build_filename(dir, name, NULL);
    if (g_file_test(p, G_FILE_TEST_IS_DIR))
      remove_tree(p);
    else
      g_unlink(p);
    g_free(p);
  }
  g_dir_close(d);
  g_rmdir(dir);
}

void write_file(const char *path, const char *data, gssize len)
{
  GError *err = NULL;
  g_file_set_contents(path, data, len, &err);
  g_assert_no_error(err);
}

void append_file(const char *path, const char *data)
{
  FILE *f = fopen(path, "ab");
  g_assert_nonnull(f);
  fputs(data, f);
  fclose(f);
}

char *read_file(const char *path)
{
  char *data = NULL;
  GError *err = NULL;
  g_file_get_contents(path, &data, NULL, &err);
  g_assert_no_error(err);
  return data;
}

static int cmp(gconstpointer a, gconstpointer b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

GPtrArray *list_dir(const char *dir)
{
  GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
  GDir *d = g_dir_open(dir, 0, NULL);
  g_assert_nonnull(d);
  const char *name;
  while ((name = g_dir_read_name(d)) != NULL)
    g_ptr_array_add(names, g_strdup(name));
  g_dir_close(d);
  g_ptr_array_sort(names, cmp);
  return names;
}
