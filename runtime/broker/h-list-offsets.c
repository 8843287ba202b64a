/* h-list-offsets.c — ListOffsets: earliest (-2), latest (-1) or the first
 * offset whose batch's max timestamp is >= the asked timestamp.
 *
 * v0 answers in OldStyleOffsets (one offset); v1+ in Timestamp/Offset. A
 * timestamp later than every batch answers offset -1 / timestamp -1, as
 * Kafka does. Latest is the high watermark (= last stable offset: rill has
 * no transactions, so isolation levels coincide).
 */
#include "runtime/broker/broker-private.h"

void rill__handle_list_offsets(rill__broker_req *req)
{
  const rill_wire_list_offsets_request *in = &req->body->list_offsets;
  rill_log *log = rill__broker_log(req->broker);
  rill_wire_list_offsets_response out;
  rill_wire_list_offsets_response_init(&out);
  out.n_topics = MAX(in->n_topics, 0);
  out.topics = rill__broker_req_new0(req, rill_wire_list_offsets_response_list_offsets_topic_response, out.n_topics);
  for (int32_t t = 0; t < out.n_topics; t++) {
    const rill_wire_list_offsets_request_list_offsets_topic *it = &in->topics[t];
    rill_wire_list_offsets_response_list_offsets_topic_response *ot = &out.topics[t];
    char *topic = rill__broker_req_strdup(req, it->name);
    ot->name = it->name;
    ot->n_partitions = MAX(it->n_partitions, 0);
    ot->partitions =
        rill__broker_req_new0(req, rill_wire_list_offsets_response_list_offsets_partition_response, ot->n_partitions);
    for (int32_t p = 0; p < ot->n_partitions; p++) {
      const rill_wire_list_offsets_request_list_offsets_partition *ip = &it->partitions[p];
      rill_wire_list_offsets_response_list_offsets_partition_response *op = &ot->partitions[p];
      int64_t offset = -1, ts = -1;
      GError *error = NULL;
      op->partition_index = ip->partition_index;
      op->leader_epoch = 0;
      if (ip->timestamp < RILL_LOG_TIMESTAMP_EARLIEST) {
        op->error_code = RILL_KAFKA_ERR_UNSUPPORTED_VERSION;
      } else if (!topic || !rill_log_offset_for_timestamp(log, topic, ip->partition_index, ip->timestamp, &offset,
                                                          &ts, &error)) {
        op->error_code = topic ? rill__broker_kafka_error(error) : RILL_KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        g_clear_error(&error);
        offset = ts = -1;
      }
      op->offset = offset;
      op->timestamp = ts;
      if (req->header.request_api_version == 0 && op->error_code == 0 && offset >= 0) {
        op->old_style_offsets = rill__broker_req_new0(req, int64_t, 1);
        op->old_style_offsets[0] = offset;
        op->n_old_style_offsets = 1;
      }
    }
  }
  rill__broker_respond(req, &out);
}
