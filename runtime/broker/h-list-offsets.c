/* h-list-offsets.c — ListOffsets: earliest (-2), latest (-1) or the first
 * record whose timestamp is >= the asked timestamp (as Kafka: the log finds
 * the first batch whose max timestamp is >= it, then this scans that batch's
 * records for the first one, so clients seeking by time (kcat -o s@,
 * offsets_for_times) see no records older than they asked for).
 *
 * v0 answers in OldStyleOffsets (one offset); v1+ in Timestamp/Offset. A
 * timestamp later than every batch answers offset -1 / timestamp -1, as
 * Kafka does. Latest is the high watermark (= last stable offset: rill has
 * no transactions, so isolation levels coincide).
 */
#include "runtime/broker/broker-private.h"
#include "runtime/broker/acl.h"
#include "runtime/wire/recordbatch.h"

/* Narrows (@offset, @ts), the base offset and max timestamp of the first
 * batch reaching @target, to the batch's first record at or after @target.
 * On any read/parse failure the batch-level answer stands (still a valid
 * offset to start reading at). */
static void first_record_at(rill_log *log, const char *topic, int32_t partition, int64_t target, int64_t *offset,
                            int64_t *ts)
{
  rill_log_fetch *fetch = rill_log_read(log, topic, partition, *offset, 1, NULL); /* the first batch, whole */
  GBytes *bytes = fetch ? rill_log_fetch_bytes(fetch, NULL) : NULL;
  rill__batch_reader r;
  rill__batch_reader_init(&r);
  size_t len = 0;
  const uint8_t *data = bytes ? g_bytes_get_data(bytes, &len) : NULL;
  if (data && rill__batch_reader_open(&r, data, len, 0, (size_t)G_MAXINT32, NULL)) {
    rill__record rec;
    while (rill__batch_reader_next(&r, &rec, NULL) == 1)
      if (rec.offset >= *offset && rec.timestamp >= target) {
        *offset = rec.offset;
        *ts = rec.timestamp;
        break;
      }
  }
  rill__batch_reader_clear(&r);
  g_clear_pointer(&bytes, g_bytes_unref);
  g_clear_pointer(&fetch, rill_log_fetch_free);
}

void rill__handle_list_offsets(rill__broker_req *req)
{
  const rill__wire_list_offsets_request *in = &req->body->list_offsets;
  rill_log *log = rill__broker_log(req->broker);
  rill__wire_list_offsets_response out;
  rill__wire_list_offsets_response_init(&out);
  out.n_topics = MAX(in->n_topics, 0);
  out.topics = rill__broker_req_new0(req, rill__wire_list_offsets_response_topic_response, out.n_topics);
  for (int32_t t = 0; t < out.n_topics; t++) {
    const rill__wire_list_offsets_request_topic *it = &in->topics[t];
    rill__wire_list_offsets_response_topic_response *ot = &out.topics[t];
    char *topic = rill__broker_req_topic(req, it->name);
    ot->name = it->name;
    ot->n_partitions = MAX(it->n_partitions, 0);
    ot->partitions = rill__broker_req_new0(req, rill__wire_list_offsets_response_partition_response, ot->n_partitions);
    for (int32_t p = 0; p < ot->n_partitions; p++) {
      const rill__wire_list_offsets_request_partition *ip = &it->partitions[p];
      rill__wire_list_offsets_response_partition_response *op = &ot->partitions[p];
      int64_t offset = -1, ts = -1;
      GError *error = NULL;
      op->partition_index = ip->partition_index;
      op->leader_epoch = 0;
      if (topic && !rill__broker_authorize(req, RILL__RES_TOPIC, topic, RILL__OP_DESCRIBE)) {
        op->error_code = RILL_KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED;
        offset = ts = -1;
      } else if (ip->timestamp < RILL_LOG_TIMESTAMP_EARLIEST) {
        op->error_code = RILL_KAFKA_ERR_UNSUPPORTED_VERSION;
      } else if (!topic || !rill_log_offset_for_timestamp(log, topic, ip->partition_index, ip->timestamp, &offset,
                                                          &ts, &error)) {
        op->error_code = topic ? rill__broker_kafka_error(error) : RILL_KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        g_clear_error(&error);
        offset = ts = -1;
      } else if (ip->timestamp >= 0 && offset >= 0) {
        first_record_at(log, topic, ip->partition_index, ip->timestamp, &offset, &ts);
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
