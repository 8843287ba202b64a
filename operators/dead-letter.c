/* dead-letter.c — the shared dead-letter output (see rill/dead-letter.h).
 *
 * Invariants: every field below `lock` is touched only under it; the
 * wrapped sink is open exactly when `opened` (from the first send to the
 * last unref), and is only called with the lock held, so it sees one caller
 * at a time whatever the sending tasks; `users` counts stage tasks between
 * acquire and release.
 */
#include <rill/dead-letter.h>

#include <rill/fields.h>
#include <rill/pipeline.h>

struct rill_dead_letter {
  gint ref;                      /* atomic */
  const rill_sink_class *klass;
  void *user_data;
  GDestroyNotify destroy;
  rill_dead_letter_format format;
  gboolean stop_on_error;
  guint64 count;                 /* atomic */
  GMutex lock;
  guint users;
  gboolean opened;
  void *state;                   /* the sink's */
  rill_batch_builder *builder;
};

rill_dead_letter *rill_dead_letter_new(const rill_sink_class *klass, void *user_data, GDestroyNotify destroy)
{
  g_return_val_if_fail(klass != NULL && klass->write != NULL, NULL);
  rill_dead_letter *d = g_new0(rill_dead_letter, 1);
  d->ref = 1;
  d->klass = klass;
  d->user_data = user_data;
  d->destroy = destroy;
  g_mutex_init(&d->lock);
  d->builder = rill_batch_builder_new(1);
  return d;
}

rill_dead_letter *rill_dead_letter_ref(rill_dead_letter *dead_letter)
{
  g_return_val_if_fail(dead_letter != NULL, NULL);
  g_atomic_int_inc(&dead_letter->ref);
  return dead_letter;
}

void rill_dead_letter_unref(rill_dead_letter *dead_letter)
{
  if (!dead_letter || !g_atomic_int_dec_and_test(&dead_letter->ref))
    return;
  g_assert(dead_letter->users == 0);
  /* No stage is running any more: the only moment without a context. */
  if (dead_letter->opened && dead_letter->klass->close)
    dead_letter->klass->close(NULL, dead_letter->state);
  if (dead_letter->destroy)
    dead_letter->destroy(dead_letter->user_data);
  rill_batch_builder_free(dead_letter->builder);
  g_mutex_clear(&dead_letter->lock);
  g_free(dead_letter);
}

void rill_dead_letter_set_format(rill_dead_letter *dead_letter, rill_dead_letter_format format)
{
  g_return_if_fail(dead_letter != NULL);
  dead_letter->format = format;
}

void rill_dead_letter_set_stop_on_error(rill_dead_letter *dead_letter, gboolean stop)
{
  g_return_if_fail(dead_letter != NULL);
  dead_letter->stop_on_error = stop;
}

guint64 rill_dead_letter_count(rill_dead_letter *dead_letter)
{
  g_return_val_if_fail(dead_letter != NULL, 0);
  return __atomic_load_n(&dead_letter->count, __ATOMIC_RELAXED);
}

void rill_dead_letter_acquire(rill_dead_letter *dead_letter, rill_ctx *ctx)
{
  g_return_if_fail(dead_letter != NULL && ctx != NULL);
  g_mutex_lock(&dead_letter->lock);
  dead_letter->users++;
  g_mutex_unlock(&dead_letter->lock);
}

static rill_flow flush_locked(rill_dead_letter *d, rill_ctx *ctx)
{
  if (!d->opened || !d->klass->flush)
    return RILL_FLOW_OK;
  return d->klass->flush(ctx, d->state);
}

rill_flow rill_dead_letter_flush(rill_dead_letter *dead_letter, rill_ctx *ctx)
{
  g_return_val_if_fail(dead_letter != NULL && ctx != NULL, RILL_FLOW_ERROR);
  g_mutex_lock(&dead_letter->lock);
  rill_flow flow = flush_locked(dead_letter, ctx);
  g_mutex_unlock(&dead_letter->lock);
  return flow;
}

void rill_dead_letter_release(rill_dead_letter *dead_letter, rill_ctx *ctx)
{
  g_return_if_fail(dead_letter != NULL && ctx != NULL);
  rill_dead_letter *d = dead_letter;
  g_mutex_lock(&d->lock);
  g_assert(d->users > 0);
  /* Flush, but keep the sink open: another stage task of the same run may
   * not have opened yet (tasks start independently), and reopening could
   * start the output over. It is closed when the last reference goes. */
  if (--d->users == 0)
    flush_locked(d, ctx);
  g_mutex_unlock(&d->lock);
}

/* ---- the dead-letter record --------------------------------------------- */

static void append_json_bytes(GString *out, const char *name, rill_bytes b)
{
  g_string_append_printf(out, ",\"%s\":", name);
  if (b.data)
    rill_json_append_string(out, (const char *)b.data, (gssize)b.len);
  else
    g_string_append(out, "null");
}

/* The header value of @name in @record as text, or @fallback. */
static rill_bytes position(const rill_record *record, const char *name, rill_bytes fallback)
{
  const rill_bytes *v = rill_record_header(record, name);
  return v ? *v : fallback;
}

static void describe(GString *out, const rill_record *rec, const char *reason, const char *stage, rill_bytes file,
                     rill_bytes line, rill_bytes offset)
{
  g_string_append(out, "{\"reason\":");
  rill_json_append_string(out, reason, -1);
  g_string_append(out, ",\"stage\":");
  rill_json_append_string(out, stage, -1);
  if (file.data)
    append_json_bytes(out, "file", file);
  /* line and offset are decimal text: numbers in JSON */
  if (line.data)
    g_string_append_printf(out, ",\"line\":%.*s", (int)line.len, line.data);
  if (offset.data)
    g_string_append_printf(out, ",\"offset\":%.*s", (int)offset.len, offset.data);
  if (rec->key.data)
    append_json_bytes(out, "key", rec->key);
  append_json_bytes(out, "value", rec->value);
  g_string_append_c(out, '}');
}

static gboolean all_digits(rill_bytes b)
{
  if (!b.data || b.len == 0)
    return FALSE;
  for (size_t i = 0; i < b.len; i++)
    if (!g_ascii_isdigit(b.data[i]))
      return FALSE;
  return TRUE;
}

rill_flow rill_dead_letter_send(rill_dead_letter *dead_letter, rill_ctx *ctx, const rill_record *record,
                                const char *reason, const char *file, gint64 line, gint64 offset)
{
  g_return_val_if_fail(dead_letter != NULL && ctx != NULL && record != NULL, RILL_FLOW_ERROR);
  rill_dead_letter *d = dead_letter;
  if (!reason)
    reason = "rejected";
  const char *stage = rill_ctx_stage_name(ctx);
  char line_s[24], offset_s[24];
  g_snprintf(line_s, sizeof line_s, "%" G_GINT64_FORMAT, line);
  g_snprintf(offset_s, sizeof offset_s, "%" G_GINT64_FORMAT, offset);
  rill_bytes none = {NULL, 0};
  rill_bytes file_b = position(record, "file", file ? rill_bytes_from_string(file) : none);
  rill_bytes line_b = position(record, "line", line >= 0 ? rill_bytes_from_string(line_s) : none);
  rill_bytes offset_b = position(record, "offset", offset >= 0 ? rill_bytes_from_string(offset_s) : none);
  if (!all_digits(line_b))
    line_b = none;
  if (!all_digits(offset_b))
    offset_b = none;

  /* Headers: the original ones, the missing position ones, then ours. */
  guint n = 0;
  rill_header *headers = g_new(rill_header, record->n_headers + 5);
  for (guint i = 0; i < record->n_headers; i++) {
    /* A JSON description is no CSV record any more: sinks would convert it. */
    const rill_bytes *k = &record->headers[i].key;
    if (d->format == RILL_DEAD_LETTER_JSON && k->len == 10 && memcmp(k->data, "csv-header", 10) == 0)
      continue;
    headers[n++] = record->headers[i];
  }
  if (file && !rill_record_header(record, "file"))
    headers[n++] = (rill_header){rill_bytes_from_string("file"), file_b};
  if (line >= 0 && !rill_record_header(record, "line"))
    headers[n++] = (rill_header){rill_bytes_from_string("line"), line_b};
  if (offset >= 0 && !rill_record_header(record, "offset"))
    headers[n++] = (rill_header){rill_bytes_from_string("offset"), offset_b};
  headers[n++] = (rill_header){rill_bytes_from_string(RILL_DEAD_LETTER_REASON_HEADER),
                               rill_bytes_from_string(reason)};
  headers[n++] = (rill_header){rill_bytes_from_string(RILL_DEAD_LETTER_STAGE_HEADER), rill_bytes_from_string(stage)};

  GString *text = NULL;
  rill_record dl = *record;
  dl.headers = headers;
  dl.n_headers = n;
  if (d->format == RILL_DEAD_LETTER_JSON) {
    text = g_string_new(NULL);
    describe(text, record, reason, stage, file_b, line_b, offset_b);
    dl.value = rill_bytes_make(text->str, text->len);
  }

  rill_ctx_add_dead_letters(ctx, 1);
  __atomic_add_fetch(&d->count, 1, __ATOMIC_RELAXED);
  rill_flow flow = RILL_FLOW_OK;
  g_mutex_lock(&d->lock);
  GError *err = NULL;
  if (!d->opened) {
    if (d->klass->open && !d->klass->open(ctx, d->user_data, &d->state, &err)) {
      g_prefix_error(&err, "dead-letter output: ");
      rill_ctx_set_error(ctx, err);
      flow = RILL_FLOW_ERROR;
    } else {
      d->opened = TRUE;
    }
  }
  if (flow == RILL_FLOW_OK) {
    rill_batch_builder_append(d->builder, &dl);
    rill_batch *batch = rill_batch_builder_finish(d->builder);
    flow = d->klass->write(ctx, d->state, batch);
    rill_batch_unref(batch);
  }
  g_mutex_unlock(&d->lock);
  if (text)
    g_string_free(text, TRUE);
  g_free(headers);

  if (flow == RILL_FLOW_OK && d->stop_on_error) {
    rill_ctx_set_error(ctx, g_error_new(RILL_PIPELINE_ERROR, RILL_PIPELINE_ERROR_STAGE,
                                        "stopping at the first bad record (%.*s%s%.*s%s%.*s): %s", (int)file_b.len,
                                        file_b.data ? (const char *)file_b.data : "", line_b.data ? ", line " : "",
                                        (int)line_b.len, line_b.data ? (const char *)line_b.data : "",
                                        offset_b.data ? ", byte offset " : "", (int)offset_b.len,
                                        offset_b.data ? (const char *)offset_b.data : "", reason));
    flow = RILL_FLOW_ERROR;
  }
  return flow;
}
