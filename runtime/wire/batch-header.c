/* batch-header.c — parsing and in-place re-stamping of RecordBatch v2 headers
 * (layout table in batch-header.h). */
#include "runtime/wire/batch-header.h"

#include "runtime/wire/crc32c.h"

rill__batch_status rill__batch_header_parse(const uint8_t *p, size_t len, bool check_crc, rill_batch_header *out)
{
  if (len < RILL_BATCH_LOG_OVERHEAD + 5) /* through magic */
    return RILL_BATCH_TRUNCATED;
  int32_t blen = (int32_t)rill__be32(p + 8);
  if (blen < RILL_BATCH_HEADER_SIZE - RILL_BATCH_LOG_OVERHEAD)
    return RILL_BATCH_BAD_LENGTH;
  if ((int8_t)p[16] != 2)
    return RILL_BATCH_BAD_MAGIC;
  if ((uint64_t)blen + RILL_BATCH_LOG_OVERHEAD > len)
    return RILL_BATCH_TRUNCATED;
  out->base_offset = (int64_t)rill__be64(p);
  out->batch_length = blen;
  out->partition_leader_epoch = (int32_t)rill__be32(p + 12);
  out->magic = (int8_t)p[16];
  out->crc = rill__be32(p + 17);
  out->attributes = (int16_t)rill__be16(p + 21);
  out->last_offset_delta = (int32_t)rill__be32(p + 23);
  out->base_timestamp = (int64_t)rill__be64(p + 27);
  out->max_timestamp = (int64_t)rill__be64(p + 35);
  out->producer_id = (int64_t)rill__be64(p + 43);
  out->producer_epoch = (int16_t)rill__be16(p + 51);
  out->base_sequence = (int32_t)rill__be32(p + 53);
  out->records_count = (int32_t)rill__be32(p + 57);
  if (check_crc) {
    size_t total = (size_t)blen + RILL_BATCH_LOG_OVERHEAD;
    if (rill__crc32c(0, p + RILL_BATCH_CRC_START, total - RILL_BATCH_CRC_START) != out->crc)
      return RILL_BATCH_BAD_CRC;
  }
  return RILL_BATCH_OK;
}

void rill__batch_update_crc(uint8_t *p, size_t total_size)
{
  rill_put_be32(p + RILL_BATCH_OFF_CRC, rill__crc32c(0, p + RILL_BATCH_CRC_START, total_size - RILL_BATCH_CRC_START));
}

const char *rill__batch_status_str(rill__batch_status status)
{
  switch (status) {
  case RILL_BATCH_OK: return "ok";
  case RILL_BATCH_TRUNCATED: return "truncated batch";
  case RILL_BATCH_BAD_LENGTH: return "invalid batch length";
  case RILL_BATCH_BAD_MAGIC: return "unsupported magic (only RecordBatch v2 is accepted)";
  case RILL_BATCH_BAD_CRC: return "CRC-32C mismatch";
  }
  return "unknown";
}
