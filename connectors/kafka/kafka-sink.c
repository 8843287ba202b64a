/* kafka-sink.c — the pipeline sink over the producer: one producer (own
 * connections, own sender thread) per sink task. write() only queues
 * (blocking when the buffer is full); flush() — end of stream and every
 * checkpoint barrier — waits until the broker acknowledged everything;
 * close() after a failure drops what was not acknowledged (the pipeline
 * already reports the error).
 *
 * Delivery failures fail the pipeline, or, with a dead-letter output, the
 * records of every batch the broker refused for good go there (decoded back
 * from the refused RecordBatch, with the broker's error as the reason) on
 * the sink task's thread, at the next write() or flush(); only then are
 * their input batches released, so an upstream Kafka source commits them
 * as processed. */
#include <rill/dead-letter.h>
#include <rill/kafka.h>
#include <rill/sink.h>

#include "connectors/kafka/producer.h"
#include "runtime/wire/recordbatch.h"

typedef struct {
  rill_kafka_conf *conf;
  char *topic;
  rill_dead_letter *dead_letter; /* NULL: failures fail the pipeline */
} sink_conf;

typedef struct {
  sink_conf *conf;
  rill__kproducer *p;
} sink_state;

static void sink_conf_free(sink_conf *c)
{
  rill_kafka_conf_free(c->conf);
  g_free(c->topic);
  if (c->dead_letter)
    rill_dead_letter_unref(c->dead_letter);
  g_free(c);
}

static gboolean sink_open(rill_ctx *ctx, void *user_data, void **state, GError **error)
{
  sink_conf *c = user_data;
  rill__kproducer *p = rill__kproducer_new(c->conf, c->topic, (guint)g_random_int() ^ rill_ctx_task_index(ctx), error);
  if (!p)
    return FALSE;
  sink_state *s = g_new0(sink_state, 1);
  s->conf = c;
  s->p = p;
  if (c->dead_letter) {
    rill__kproducer_keep_failed(p, TRUE);
    rill_dead_letter_acquire(c->dead_letter, ctx);
  }
  *state = s;
  return TRUE;
}

/* Sends the records of the refused batches to the dead-letter output. */
static rill_flow drain_failed(sink_state *s, rill_ctx *ctx)
{
  if (!s->conf->dead_letter)
    return RILL_FLOW_OK;
  g_autoptr(GPtrArray) failed = rill__kproducer_take_failed(s->p);
  rill_flow flow = RILL_FLOW_OK;
  rill__batch_reader reader;
  rill__batch_reader_init(&reader);
  g_autoptr(GArray) hdrs = g_array_new(FALSE, FALSE, sizeof(rill_header));
  for (guint i = 0; failed && i < failed->len && flow == RILL_FLOW_OK; i++) {
    const rill__kfailed *f = failed->pdata[i];
    gsize len;
    const uint8_t *d = g_bytes_get_data(f->data, &len);
    GError *e = NULL;
    if (!rill__batch_reader_open(&reader, d, len, 0, 256u << 20, &e)) {
      rill_ctx_set_error(ctx, e); /* our own encoding: cannot happen */
      flow = RILL_FLOW_ERROR;
      break;
    }
    rill__record r;
    int rc;
    while (flow == RILL_FLOW_OK && (rc = rill__batch_reader_next(&reader, &r, &e)) > 0) {
      rill_record out;
      rill__record_view(&r, hdrs, &out);
      out.offset = -1; /* never appended */
      flow = rill_dead_letter_send(s->conf->dead_letter, ctx, &out, f->reason, NULL, -1, -1);
    }
    if (flow == RILL_FLOW_OK && rc < 0) {
      rill_ctx_set_error(ctx, e);
      flow = RILL_FLOW_ERROR;
    }
  }
  rill__batch_reader_clear(&reader);
  return flow;
}

static rill_flow finish_flow(rill_ctx *ctx, rill_flow flow, GError *error)
{
  if (error)
    rill_ctx_set_error(ctx, error);
  return flow;
}

static rill_flow sink_write(rill_ctx *ctx, void *state, const rill_batch *batch)
{
  GError *error = NULL;
  sink_state *s = state;
  rill_flow flow = rill__kproducer_write(s->p, ctx, batch, &error);
  flow = finish_flow(ctx, flow, error);
  return flow == RILL_FLOW_OK ? drain_failed(s, ctx) : flow;
}

static rill_flow sink_flush(rill_ctx *ctx, void *state)
{
  GError *error = NULL;
  sink_state *s = state;
  rill_flow flow = rill__kproducer_flush(s->p, ctx, &error);
  flow = finish_flow(ctx, flow, error);
  if (flow == RILL_FLOW_OK)
    flow = drain_failed(s, ctx);
  if (flow == RILL_FLOW_OK && s->conf->dead_letter)
    flow = rill_dead_letter_flush(s->conf->dead_letter, ctx);
  return flow;
}

static void sink_close(rill_ctx *ctx, void *state)
{
  sink_state *s = state;
  rill__kproducer_free(s->p);
  if (s->conf->dead_letter)
    rill_dead_letter_release(s->conf->dead_letter, ctx);
  g_free(s);
}

static const rill_sink_class kafka_sink_class = {
  .type_name = "kafka-sink",
  .open = sink_open,
  .write = sink_write,
  .flush = sink_flush,
  .close = sink_close,
};

rill_stage *rill_pipeline_add_kafka_sink(rill_pipeline *pipeline, const char *name, rill_stage *input,
                                         const rill_kafka_sink_options *options, GError **error)
{
  g_return_val_if_fail(pipeline != NULL && options != NULL && options->topic != NULL && options->conf != NULL, NULL);
  if (!*options->conf->bootstrap_servers) {
    g_set_error(error, RILL_KAFKA_CLIENT_ERROR, RILL_KAFKA_CLIENT_ERROR_CONFIG, "bootstrap.servers is not set");
    return NULL;
  }
  if (options->conf->idempotence && options->conf->acks != -1) {
    g_set_error(error, RILL_KAFKA_CLIENT_ERROR, RILL_KAFKA_CLIENT_ERROR_CONFIG,
                "enable.idempotence=true requires acks=all");
    return NULL;
  }
  sink_conf *c = g_new0(sink_conf, 1);
  c->conf = rill_kafka_conf_copy(options->conf);
  c->topic = g_strdup(options->topic);
  c->dead_letter = options->dead_letter ? rill_dead_letter_ref(options->dead_letter) : NULL;
  return rill_pipeline_add_sink(pipeline, name, input, &kafka_sink_class, c, (GDestroyNotify)sink_conf_free);
}
