/* kafka-sink.c — the pipeline sink over the producer: one producer (own
 * connections, own sender thread) per sink task. write() only queues
 * (blocking when the buffer is full); flush() — end of stream and every
 * checkpoint barrier — waits until the broker acknowledged everything;
 * close() after a failure drops what was not acknowledged (the pipeline
 * already reports the error). */
#include <rill/kafka.h>
#include <rill/sink.h>

#include "connectors/kafka/producer.h"

typedef struct {
  rill_kafka_conf *conf;
  char *topic;
} sink_conf;

static void sink_conf_free(sink_conf *c)
{
  rill_kafka_conf_free(c->conf);
  g_free(c->topic);
  g_free(c);
}

static gboolean sink_open(rill_ctx *ctx, void *user_data, void **state, GError **error)
{
  sink_conf *c = user_data;
  rill__kproducer *p = rill__kproducer_new(c->conf, c->topic, (guint)g_random_int() ^ rill_ctx_task_index(ctx), error);
  *state = p;
  return p != NULL;
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
  rill_flow flow = rill__kproducer_write(state, ctx, batch, &error);
  return finish_flow(ctx, flow, error);
}

static rill_flow sink_flush(rill_ctx *ctx, void *state)
{
  GError *error = NULL;
  rill_flow flow = rill__kproducer_flush(state, ctx, &error);
  return finish_flow(ctx, flow, error);
}

static void sink_close(rill_ctx *ctx, void *state)
{
  rill__kproducer_free(state);
}

static const rill_sink_class kafka_sink_class = {
  .type_name = "kafka-sink",
  .open = sink_open,
  .write = sink_write,
  .flush = sink_flush,
  .close = sink_close,
};

rill_stage *rill_kafka_sink_add(rill_pipeline *pipeline, const char *name, rill_stage *input,
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
  return rill_pipeline_add_sink(pipeline, name, input, &kafka_sink_class, c, (GDestroyNotify)sink_conf_free);
}
