/* log-sink.c — a pipeline sink appending records to a topic of an
 * in-process rill_log. Each write() turns the input batch into one
 * RecordBatch per partition touched (split at about 512 KB) and appends it
 * before returning, so flush() has nothing left to do: what write()
 * accepted is in the log (as durable as the topic's rill.durability says).
 * No checkpoint snapshot: after a restart from a checkpoint, records
 * appended since it are appended again (at least once; the log has no
 * transactions). Partitions are picked as the Kafka sink's default does
 * (runtime/wire/partitioner.h, murmur2_random), so a key lands on the same
 * partition whichever sink wrote it. */
#include <rill/log-connector.h>
#include <rill/sink.h>

#include "runtime/wire/murmur2.h"
#include "runtime/wire/partitioner.h"
#include "runtime/wire/recordbatch.h"

#define SPLIT_BYTES (512 * 1024)

typedef struct {
  rill_log *log;
  char *topic;
  int codec;
} sink_conf;

typedef struct {
  sink_conf *conf;
  int32_t n_partitions;
  rill__batch_writer **writers; /* one per partition */
  guint sticky;                 /* partition for null keys, moved after each write */
} sink_state;

static void conf_free(sink_conf *c)
{
  g_free(c->topic);
  g_free(c);
}

static gboolean sink_open(rill_ctx *ctx, void *user_data, void **state, GError **error)
{
  sink_conf *c = user_data;
  int32_t n;
  if (!rill_log_topic_describe(c->log, c->topic, &n, NULL, error))
    return FALSE;
  rill__batch_writer_options o = RILL__BATCH_WRITER_OPTIONS_INIT;
  o.codec = (rill__codec)c->codec;
  sink_state *s = g_new0(sink_state, 1);
  s->conf = c;
  s->n_partitions = n;
  s->writers = g_new0(rill__batch_writer *, n);
  s->sticky = rill_ctx_task_index(ctx);
  for (int32_t i = 0; i < n; i++)
    if (!(s->writers[i] = rill__batch_writer_new(&o, error)))
      goto fail;
  *state = s;
  return TRUE;
fail:
  for (int32_t i = 0; i < n; i++)
    rill__batch_writer_free(s->writers[i]);
  g_free(s->writers);
  g_free(s);
  return FALSE;
}

static gboolean append_partition(sink_state *s, int32_t p, GError **error)
{
  if (rill__batch_writer_count(s->writers[p]) == 0)
    return TRUE;
  GBytes *b = rill__batch_writer_finish(s->writers[p], error);
  if (!b)
    return FALSE;
  gsize len;
  uint8_t *data = g_bytes_unref_to_data(b, &len);
  rill_log_append_result r;
  gboolean ok = rill_log_append(s->conf->log, s->conf->topic, p, data, len, &r, error);
  g_free(data);
  return ok;
}

static rill_flow sink_write(rill_ctx *ctx, void *state, const rill_batch *batch)
{
  sink_state *s = state;
  const rill_record *recs = rill_batch_records(batch);
  size_t n = rill_batch_len(batch);
  int64_t now = g_get_real_time() / 1000;
  GError *error = NULL;
  int32_t sticky = (int32_t)(s->sticky++ % (guint)s->n_partitions);
  g_autoptr(GArray) hdrs = g_array_new(FALSE, FALSE, sizeof(rill__record_header));
  for (size_t i = 0; i < n; i++) {
    const rill_record *r = &recs[i];
    int32_t p = rill__partition_for(RILL__PARTITIONER_MURMUR2_RANDOM, r->key.data, r->key.len, s->n_partitions);
    if (p < 0)
      p = sticky;
    g_array_set_size(hdrs, 0);
    for (uint32_t h = 0; h < r->n_headers; h++) {
      rill__record_header rh = {r->headers[h].key.data, (int32_t)r->headers[h].key.len,
                                r->headers[h].value.data,
                                r->headers[h].value.data ? (int32_t)r->headers[h].value.len : -1};
      g_array_append_val(hdrs, rh);
    }
    rill__batch_writer_append(s->writers[p], r->timestamp == RILL_TIMESTAMP_NONE ? now : r->timestamp,
                              r->key.data, r->key.data ? (int32_t)r->key.len : -1, r->value.data,
                              r->value.data ? (int32_t)r->value.len : -1, (const rill__record_header *)hdrs->data,
                              hdrs->len);
    if (rill__batch_writer_size(s->writers[p]) >= SPLIT_BYTES && !append_partition(s, p, &error))
      goto fail;
  }
  for (int32_t p = 0; p < s->n_partitions; p++)
    if (!append_partition(s, p, &error))
      goto fail;
  return RILL_FLOW_OK;
fail:
  rill_ctx_set_error(ctx, error);
  return RILL_FLOW_ERROR;
}

static void sink_close(rill_ctx *ctx, void *state)
{
  sink_state *s = state;
  for (int32_t i = 0; i < s->n_partitions; i++)
    rill__batch_writer_free(s->writers[i]);
  g_free(s->writers);
  g_free(s);
}

static const rill_sink_class log_sink_class = {
  .type_name = "log-sink",
  .open = sink_open,
  .write = sink_write,
  .close = sink_close,
};

rill_stage *rill_pipeline_add_log_sink(rill_pipeline *pipeline, const char *name, rill_stage *input,
                                       const rill_log_sink_options *options, GError **error)
{
  g_return_val_if_fail(pipeline != NULL && options != NULL && options->log != NULL && options->topic != NULL, NULL);
  if (!rill_log_topic_describe(options->log, options->topic, NULL, NULL, error))
    return NULL;
  sink_conf *c = g_new0(sink_conf, 1);
  c->log = options->log;
  c->topic = g_strdup(options->topic);
  c->codec = options->codec;
  return rill_pipeline_add_sink(pipeline, name, input, &log_sink_class, c, (GDestroyNotify)conf_free);
}

int32_t rill_log_murmur2(const void *key, size_t len)
{
  return rill__murmur2(key, len);
}
