/* h-misc.c — InitProducerId (SASL is in sasl.c).
 *
 * InitProducerId (idempotent producers only): a fresh id from the log's
 * persistent counter, epoch 0. With v3+'s ProducerId/ProducerEpoch (a
 * producer bumping its epoch) the same id comes back with epoch + 1, or a
 * new id when the epoch would overflow. Transactions are not supported: a
 * transactional id answers TRANSACTIONAL_ID_AUTHORIZATION_FAILED, which
 * clients report as fatal instead of retrying forever.
 */
#include "runtime/broker/broker-private.h"
#include "runtime/broker/acl.h"

void rill__handle_init_producer_id(rill__broker_req *req)
{
  const rill__wire_init_producer_id_request *in = &req->body->init_producer_id;
  rill__wire_init_producer_id_response out;
  rill__wire_init_producer_id_response_init(&out);
  if (in->transactional_id.len >= 0) {
    out.error_code = RILL_KAFKA_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
    rill__broker_respond(req, &out);
    return;
  }
  /* Idempotence: IDEMPOTENT_WRITE on the cluster or WRITE on some topic. */
  if (!rill__broker_authorize(req, RILL__RES_CLUSTER, RILL__CLUSTER_NAME, RILL__OP_IDEMPOTENT_WRITE) &&
      !rill__broker_authorize_any(req, RILL__RES_TOPIC, RILL__OP_WRITE)) {
    out.error_code = RILL_KAFKA_ERR_CLUSTER_AUTHORIZATION_FAILED;
    out.producer_id = -1;
    rill__broker_respond(req, &out);
    return;
  }
  if (in->producer_id >= 0 && in->producer_epoch >= 0 && in->producer_epoch < INT16_MAX - 1) {
    out.producer_id = in->producer_id;
    out.producer_epoch = (int16_t)(in->producer_epoch + 1);
    rill__broker_respond(req, &out);
    return;
  }
  GError *error = NULL;
  out.producer_id = rill_log_producer_id_allocate(rill__broker_log(req->broker), &error);
  if (out.producer_id < 0) {
    out.error_code = rill__broker_kafka_error(error);
    rill__broker_event_limited(req->broker, RILL__EV_PRODUCER_ID_FAILED, "error=\"%s\"", error->message);
    g_error_free(error);
    out.producer_id = -1;
  }
  out.producer_epoch = 0;
  rill__broker_respond(req, &out);
}
