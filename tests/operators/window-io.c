/* window-io.c — see window-io.h. */
#include "window-io.h"

#include <string.h>

void script_record(script *s, guint split, const char *key, int64_t value, int64_t ts, int32_t partition)
{
  char val[24];
  g_snprintf(val, sizeof val, "%" G_GINT64_FORMAT, value);
  rill_script_record(s, split, key && key[0] ? key : NULL, val, ts, partition);
}

/* ---- collector ---------------------------------------------------------- */

static char *dup_bytes(rill_bytes b)
{
  return b.data ? g_strndup((const char *)b.data, b.len) : NULL;
}

static void out_rec_free(gpointer p)
{
  out_rec *o = p;
  g_free(o->key);
  g_free(o->value);
  g_free(o->rank);
  g_free(o);
}

void collector_init(collector *c)
{
  g_mutex_init(&c->lock);
  c->recs = g_ptr_array_new_with_free_func(out_rec_free);
}

void collector_clear(collector *c)
{
  g_ptr_array_unref(c->recs);
  g_mutex_clear(&c->lock);
}

static out_rec *out_rec_new(const rill_record *r)
{
  out_rec *o = g_new0(out_rec, 1);
  o->key = dup_bytes(r->key);
  o->value = dup_bytes(r->value);
  o->ts = r->timestamp;
  o->start = o->end = INT64_MIN;
  rill_window_result_bounds(r, &o->start, &o->end);
  const rill_bytes *u = rill_record_header(r, RILL_WINDOW_HEADER_UPDATE);
  const rill_bytes *au = rill_record_header(r, RILL_AGGREGATE_HEADER_UPDATE);
  o->update = u != NULL || (au && !(au->len == 1 && au->data[0] == '1'));
  const rill_bytes *rank = rill_record_header(r, RILL_TOPN_HEADER_RANK);
  o->rank = rank ? dup_bytes(*rank) : NULL;
  return o;
}

static rill_flow col_write(rill_ctx *ctx, void *state, const rill_batch *batch)
{
  collector *c = state;
  const rill_record *r = rill_batch_records(batch);
  g_mutex_lock(&c->lock);
  for (size_t i = 0; i < rill_batch_len(batch); i++)
    g_ptr_array_add(c->recs, out_rec_new(&r[i]));
  g_mutex_unlock(&c->lock);
  return RILL_FLOW_OK;
}

static gboolean col_open(rill_ctx *ctx, void *user_data, void **state, GError **error)
{
  *state = user_data;
  return TRUE;
}

const rill_sink_class collector_class = {
  .type_name = "collector",
  .open = col_open,
  .write = col_write,
};

GHashTable *collector_final(collector *c)
{
  GHashTable *h = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  for (guint i = 0; i < c->recs->len; i++) {
    out_rec *o = c->recs->pdata[i];
    char *k = g_strdup_printf("%s|%" G_GINT64_FORMAT "|%" G_GINT64_FORMAT, o->key ? o->key : "", o->start, o->end);
    g_hash_table_replace(h, k, g_strdup(o->value ? o->value : "<absent>"));
  }
  return h;
}

/* ---- single-operator harness ---------------------------------------------- */

void push_value(rill_harness *h, const char *key, int64_t value, int64_t ts)
{
  char val[24];
  g_snprintf(val, sizeof val, "%" G_GINT64_FORMAT, value);
  g_assert_cmpint(rill_harness_push_kv(h, 0, key && key[0] ? key : NULL, val, ts), ==, RILL_FLOW_OK);
}

void expect_out(rill_harness *h, const char *want)
{
  GString *got = g_string_new(NULL);
  rill_harness_event ev;
  while (rill_harness_pull(h, &ev)) {
    if (got->len)
      g_string_append_c(got, ' ');
    if (ev.kind == RILL_HARNESS_WATERMARK) {
      if (ev.watermark == RILL_WATERMARK_IDLE)
        g_string_append(got, "wm=idle");
      else
        g_string_append_printf(got, "wm=%" G_GINT64_FORMAT, ev.watermark);
      continue;
    }
    if (ev.kind == RILL_HARNESS_BARRIER) {
      g_string_append_printf(got, "b=%" G_GUINT64_FORMAT, ev.barrier);
      continue;
    }
    out_rec *o = out_rec_new(ev.record);
    g_string_append_printf(got, "%s=%s", o->key ? o->key : "", o->value ? o->value : "<absent>");
    if (o->start != INT64_MIN)
      g_string_append_printf(got, "[%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT ")", o->start, o->end);
    else
      g_string_append_printf(got, "@%" G_GINT64_FORMAT, o->ts);
    if (o->update)
      g_string_append_c(got, '*');
    if (o->rank)
      g_string_append_printf(got, "#%s", o->rank);
    out_rec_free(o);
  }
  g_assert_cmpstr(got->str, ==, want);
  g_string_free(got, TRUE);
}
