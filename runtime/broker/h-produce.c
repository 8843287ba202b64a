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
 * - acks=0 sends no response at all; acks=1 and acks=all are the same on one
 *   broker, and answer after the append returns — which under durability
 *   sync is after fdatasync. Under the broker's durability sync the appends
 *   run on the worker pool (one request per connection at a time, so a
 *   producer's batches keep their order) and the I/O thread keeps serving.
 * - Transactions are not supported: a TransactionalId answers
 *   TRANSACTIONAL_ID_AUTHORIZATION_FAILED per partition.
 */
#include "runtime/broker/broker-private.h"

#define RECORDBATCH_MAGIC_OFFSET 16

typedef rill_wire_produce_response_partition_produce_response part_out;

static void fail_all(rill__broker_req *req, rill_wire_produce_response *out, int16_t code)
{
  for (int32_t t = 0; t < out->n_responses; t++)
    for (int32_t p = 0; p < out->responses[t].n_partitions; p++)
      out->responses[t].partitions[p].error_code = code;
  (void)req;
}

static void append_one(rill__broker_req *req, const char *topic, rill_wire_bytes records, part_out *o)
{
  rill_log_append_result res;
  GError *error = NULL;
  if (records.len < RECORDBATCH_MAGIC_OFFSET + 1) {
    o->error_code = RILL_KAFKA_ERR_CORRUPT_MESSAGE;
    return;
  }
  if (records.ptr[RECORDBATCH_MAGIC_OFFSET] != 2) {
    o->error_code = RILL_KAFKA_ERR_CORRUPT_MESSAGE;
    o->error_message = rill_wire_str_from("only RecordBatch v2 (magic 2) is accepted");
    return;
  }
  /* The records are a slice of this request's own frame: ours to modify. */
  if (!rill_log_append(rill__broker_log(req->broker), topic, o->index, (uint8_t *)records.ptr, (size_t)records.len,
                       &res, &error)) {
    o->error_code = rill__broker_kafka_error(error);
    o->error_message = rill_wire_str_from(rill__broker_req_strdup(req, rill_wire_str_from(error->message)));
    if (o->error_code == RILL_KAFKA_ERR_KAFKA_STORAGE_ERROR)
      rill__broker_event(req->broker, "error", "append_failed", "topic=%s partition=%d error=\"%s\"", topic, o->index,
                         error->message);
    g_error_free(error);
    return;
  }
  o->base_offset = res.base_offset;
  o->log_append_time_ms = res.log_append_time;
  o->log_start_offset = res.log_start_offset;
}

/* Runs the appends (on the I/O thread or a pool thread). */
static void produce_work(void *user_data)
{
  rill__broker_req *req = user_data;
  const rill_wire_produce_request *in = &req->body->produce;
  rill_wire_produce_response *out = req->handler_data;
  for (int32_t t = 0; t < in->n_topics; t++) {
    char *topic = rill__broker_req_strdup(req, in->topics[t].name);
    for (int32_t p = 0; p < in->topics[t].n_partitions; p++) {
      part_out *o = &out->responses[t].partitions[p];
      if (!topic)
        o->error_code = RILL_KAFKA_ERR_INVALID_TOPIC_EXCEPTION;
      else
        append_one(req, topic, in->topics[t].partitions[p].records, o);
    }
  }
}

static void produce_done(void *user_data)
{
  rill__broker_req *req = user_data;
  if (req->body->produce.acks == 0)
    rill__broker_respond_none(req);
  else
    rill__broker_respond(req, req->handler_data);
}

void rill__handle_produce(rill__broker_req *req)
{
  const rill_wire_produce_request *in = &req->body->produce;
  rill_wire_produce_response *out = rill__broker_req_new0(req, rill_wire_produce_response, 1);
  rill_wire_produce_response_init(out);
  req->handler_data = out;
  out->n_responses = MAX(in->n_topics, 0);
  out->responses = rill__broker_req_new0(req, rill_wire_produce_response_topic_produce_response, out->n_responses);
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
  } else if (rill__broker_settings_get(req->broker)->log_durability == RILL_LOG_DURABILITY_SYNC) {
    rill__broker_offload(req, produce_work, produce_done);
    return;
  } else {
    produce_work(req);
  }
  produce_done(req);
}
