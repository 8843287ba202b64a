/* h-produce.c — Produce: append each partition's RecordBatch v2 bytes.
 *
 * - Produce v0–v2 (MessageSet v0/v1) is advertised only so librdkafka
 *   compresses (docs/protocol.md); such requests answer UNSUPPORTED_VERSION
 *   per partition. A record set whose magic is not 2 answers CORRUPT_MESSAGE.
 * - The batch bytes are appended in place from the request frame (the log
 *   re-stamps base offsets there), never re-encoded or recompressed.
 * - Idempotent retries the log recognises (rill_log_append_result.duplicate)
 *   answer success with the original batch's offsets, as Kafka 2.x+ does;
 *   sequence gaps answer OUT_OF_ORDER_SEQUENCE_NUMBER, stale epochs
 *   INVALID_PRODUCER_EPOCH.
 * - Appends run on the I/O thread, in request order, with
 *   rill_log_append_nowait: it never waits for fdatasync, so one connection's
 *   appends keep their order and the loop never blocks on the disk.
 * - acks=0 sends no response at all; acks=1 and acks=all are the same on one
 *   broker. Under durability sync a partition's append is pending until the
 *   log's sync thread has fdatasynced it (group commit across every
 *   connection); its callback posts to the loop, and the request answers
 *   once its last pending partition is durable — or fails that partition
 *   with KAFKA_STORAGE_ERROR if the fdatasync failed. Answers still leave in
 *   request order per connection (conn.c's slots).
 * - Transactions are not supported: a TransactionalId answers
 *   TRANSACTIONAL_ID_AUTHORIZATION_FAILED per partition.
 */
#include "runtime/broker/broker-private.h"
#include "runtime/broker/acl.h"

#include "runtime/wire/batch-header.h"

typedef rill__wire_produce_response_partition_produce_response part_out;

typedef struct {
  rill__wire_produce_response out;
  int pending; /* partitions waiting for fdatasync */
} produce_state;

/* One partition waiting for fdatasync: made on the loop, filled on the sync
 * thread, consumed back on the loop. */
typedef struct {
  rill__broker_req *req;
  const char *topic; /* request memory */
  part_out *o;
  int16_t error_code;
  char *error_message; /* owned */
} durable_wait;

static void produce_done(rill__broker_req *req);

static void on_durable_loop(void *user_data)
{
  durable_wait *w = user_data;
  rill__broker_req *req = w->req;
  produce_state *st = req->handler_data;
  if (w->error_code) {
    w->o->error_code = w->error_code;
    w->o->base_offset = -1;
    /* Storage errors name server paths: logged here, not sent. */
    w->o->error_message =
        w->error_code == RILL_KAFKA_ERR_KAFKA_STORAGE_ERROR
            ? rill__wire_str_from(RILL__BROKER_STORAGE_ERROR_TEXT)
            : rill__wire_str_from(rill__broker_req_strdup(req, rill__wire_str_from(w->error_message)));
    rill__broker_event_limited(req->broker, RILL__EV_APPEND_FAILED, "topic=%s partition=%d error=\"%s\"", w->topic,
                               w->o->index, w->error_message);
  }
  g_free(w->error_message);
  g_free(w);
  req->broker->n_offloaded--;
  if (--st->pending == 0)
    produce_done(req);
}

/* The log's sync thread (or whichever thread synced the partition). */
static void on_durable(const GError *error, void *user_data)
{
  durable_wait *w = user_data;
  if (error) {
    w->error_code = rill__broker_kafka_error(error);
    w->error_message = g_strdup(error->message);
  }
  rill__broker_post(w->req->broker, on_durable_loop, w);
}

static void fail_all(rill__broker_req *req, rill__wire_produce_response *out, int16_t code)
{
  for (int32_t t = 0; t < out->n_responses; t++)
    for (int32_t p = 0; p < out->responses[t].n_partitions; p++)
      out->responses[t].partitions[p].error_code = code;
  (void)req;
}

static void append_one(rill__broker_req *req, const char *topic, rill__wire_bytes records, part_out *o)
{
  rill_log_append_result res;
  GError *error = NULL;
  if (records.len < RILL_BATCH_OFF_MAGIC + 1) {
    o->error_code = RILL_KAFKA_ERR_CORRUPT_MESSAGE;
    return;
  }
  if (records.ptr[RILL_BATCH_OFF_MAGIC] != 2) {
    o->error_code = RILL_KAFKA_ERR_CORRUPT_MESSAGE;
    o->error_message = rill__wire_str_from("only RecordBatch v2 (magic 2) is accepted");
    return;
  }
  /* The records are a slice of this request's own frame: ours to modify. */
  durable_wait *w = g_new0(durable_wait, 1);
  w->req = req;
  w->topic = topic;
  w->o = o;
  gboolean pending = FALSE;
  if (!rill_log_append_nowait(rill__broker_log(req->broker), topic, o->index, (uint8_t *)records.ptr,
                              (size_t)records.len, &res, on_durable, w, &pending, &error)) {
    g_free(w);
    o->error_code = rill__broker_kafka_error(error);
    if (o->error_code == RILL_KAFKA_ERR_KAFKA_STORAGE_ERROR) {
      o->error_message = rill__wire_str_from(RILL__BROKER_STORAGE_ERROR_TEXT);
      rill__broker_event_limited(req->broker, RILL__EV_APPEND_FAILED, "topic=%s partition=%d error=\"%s\"", topic,
                                 o->index, error->message);
    } else {
      o->error_message = rill__wire_str_from(rill__broker_req_strdup(req, rill__wire_str_from(error->message)));
    }
    g_error_free(error);
    return;
  }
  if (!res.duplicate)
    rill__broker_stats_produced(req->broker->stats, topic, o->index, (guint64)(res.last_offset - res.base_offset + 1),
                                (guint64)records.len);
  o->base_offset = res.base_offset;
  o->log_append_time_ms = res.log_append_time;
  o->log_start_offset = res.log_start_offset;
  if (pending) {
    produce_state *st = req->handler_data;
    st->pending++;
    req->broker->n_offloaded++; /* stop waits for it */
  } else {
    g_free(w);
  }
}

static void produce_work(rill__broker_req *req)
{
  const rill__wire_produce_request *in = &req->body->produce;
  rill__wire_produce_response *out = &((produce_state *)req->handler_data)->out;
  for (int32_t t = 0; t < in->n_topics; t++) {
    char *topic = rill__broker_req_topic(req, in->topics[t].name);
    for (int32_t p = 0; p < in->topics[t].n_partitions; p++) {
      part_out *o = &out->responses[t].partitions[p];
      if (!topic)
        o->error_code = RILL_KAFKA_ERR_INVALID_TOPIC_EXCEPTION;
      else if (!rill__broker_authorize(req, RILL__RES_TOPIC, topic, RILL__OP_WRITE))
        o->error_code = RILL_KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED;
      else
        append_one(req, topic, in->topics[t].partitions[p].records, o);
    }
  }
}

static void produce_done(rill__broker_req *req)
{
  if (req->body->produce.acks == 0)
    rill__broker_respond_none(req);
  else
    rill__broker_respond(req, &((produce_state *)req->handler_data)->out);
}

void rill__handle_produce(rill__broker_req *req)
{
  const rill__wire_produce_request *in = &req->body->produce;
  produce_state *st = rill__broker_req_new0(req, produce_state, 1);
  rill__wire_produce_response *out = &st->out;
  rill__wire_produce_response_init(out);
  req->handler_data = st;
  out->n_responses = MAX(in->n_topics, 0);
  out->responses = rill__broker_req_new0(req, rill__wire_produce_response_topic_produce_response, out->n_responses);
  for (int32_t t = 0; t < out->n_responses; t++) {
    int32_t np = MAX(in->topics[t].n_partitions, 0);
    out->responses[t].name = in->topics[t].name;
    out->responses[t].n_partitions = np;
    out->responses[t].partitions = rill__broker_req_new0(req, part_out, np);
    for (int32_t p = 0; p < np; p++) {
      part_out *o = &out->responses[t].partitions[p];
      o->index = in->topics[t].partitions[p].index;
      o->base_offset = -1;
      o->log_append_time_ms = -1;
      o->log_start_offset = -1;
      o->error_message = RILL_WIRE_STR_NULL;
    }
  }
  if (req->header.request_api_version < 3) {
    fail_all(req, out, RILL_KAFKA_ERR_UNSUPPORTED_VERSION);
  } else if (in->acks != 0 && in->acks != 1 && in->acks != -1) {
    fail_all(req, out, RILL_KAFKA_ERR_INVALID_REQUIRED_ACKS);
  } else if (in->transactional_id.len >= 0) {
    fail_all(req, out, RILL_KAFKA_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  } else {
    st->pending++; /* held while appending: a callback cannot answer early */
    produce_work(req);
    if (--st->pending > 0)
      return; /* answered by the last on_durable_loop */
  }
  produce_done(req);
}
