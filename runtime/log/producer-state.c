/* producer-state.c — idempotent-producer state of one partition: per
 * producer id, its epoch and the sequence ranges of its last 5 batches, so
 * a retried batch is recognised (and answered with its original offsets)
 * and a gap in sequences is refused.
 *
 * The state is a function of the log: rill_log_append updates it under the
 * partition lock, and on open it is the snapshot plus a replay of the
 * batches after the snapshot's offset. Snapshots are written at segment roll
 * and close, atomically (atomic-file.c), to "producer-state" in the
 * partition directory:
 *
 *   OFFSET SIZE FIELD
 *   0      4    magic "RLPS"
 *   4      2    version (1)
 *   6      8    offset: the state covers batches below it
 *   14     4    producer count N
 *   18     ...  N producers:
 *                 0  8  producerId
 *                 8  2  producerEpoch
 *                 10 1  batch count B (<= 5), then B times:
 *                        0 4 firstSequence, 4 4 lastSequence,
 *                        8 8 baseOffset, 16 8 lastOffset
 *   end-4  4    CRC-32C of every byte before it
 *
 * All integers big-endian. A snapshot that fails its CRC is ignored (the
 * state is then replayed from the active segment).
 */
#include "runtime/log/log-private.h"

#include "runtime/wire/crc32c.h"

#include <string.h>

#define SNAPSHOT_NAME "producer-state"

GHashTable *rill__producers_new(void)
{
  return g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, g_free);
}

static int32_t next_seq(int32_t seq) { return seq == G_MAXINT32 ? 0 : seq + 1; }

static int32_t last_seq(const rill_batch_header *h)
{
  int64_t s = (int64_t)h->base_sequence + h->last_offset_delta;
  return (int32_t)(s > G_MAXINT32 ? s - G_MAXINT32 - 1 : s);
}

rill__producer_check rill__producers_check(GHashTable *producers, const rill_batch_header *h,
                                           rill__producer_batch *dup)
{
  rill__producer *pr = g_hash_table_lookup(producers, &h->producer_id);
  if (!pr)
    return RILL__PRODUCER_OK; /* first batch we see: any sequence starts it */
  if (h->producer_epoch < pr->epoch)
    return RILL__PRODUCER_FENCED;
  if (h->producer_epoch > pr->epoch)
    return h->base_sequence == 0 ? RILL__PRODUCER_OK : RILL__PRODUCER_OUT_OF_ORDER;
  for (int i = 0; i < pr->n; i++)
    if (pr->batches[i].first_seq == h->base_sequence && pr->batches[i].last_seq == last_seq(h)) {
      *dup = pr->batches[i];
      return RILL__PRODUCER_DUPLICATE;
    }
  if (pr->n && h->base_sequence != next_seq(pr->batches[pr->n - 1].last_seq))
    return RILL__PRODUCER_OUT_OF_ORDER;
  return RILL__PRODUCER_OK;
}

void rill__producers_update(GHashTable *producers, const rill_batch_header *h, int64_t base_offset)
{
  rill__producer *pr = g_hash_table_lookup(producers, &h->producer_id);
  if (!pr) {
    pr = g_new0(rill__producer, 1);
    pr->producer_id = h->producer_id;
    pr->epoch = h->producer_epoch;
    g_hash_table_insert(producers, &pr->producer_id, pr);
  }
  if (h->producer_epoch != pr->epoch) {
    pr->epoch = h->producer_epoch;
    pr->n = 0;
  }
  if (pr->n == RILL__PRODUCER_BATCHES) {
    memmove(pr->batches, pr->batches + 1, sizeof pr->batches[0] * (RILL__PRODUCER_BATCHES - 1));
    pr->n--;
  }
  pr->batches[pr->n++] = (rill__producer_batch){h->base_sequence, last_seq(h), base_offset,
                                                base_offset + h->last_offset_delta};
}

gboolean rill__producers_save(GHashTable *producers, const char *dir, int64_t offset, GError **error)
{
  GByteArray *b = g_byte_array_new();
  uint8_t tmp[24];
  g_byte_array_append(b, (const guint8 *)"RLPS", 4);
  rill_put_be16(tmp, 1);
  rill_put_be64(tmp + 2, (uint64_t)offset);
  rill_put_be32(tmp + 10, g_hash_table_size(producers));
  g_byte_array_append(b, tmp, 14);
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init(&it, producers);
  while (g_hash_table_iter_next(&it, NULL, &v)) {
    const rill__producer *pr = v;
    rill_put_be64(tmp, (uint64_t)pr->producer_id);
    rill_put_be16(tmp + 8, (uint16_t)pr->epoch);
    tmp[10] = (uint8_t)pr->n;
    g_byte_array_append(b, tmp, 11);
    for (int i = 0; i < pr->n; i++) {
      rill_put_be32(tmp, (uint32_t)pr->batches[i].first_seq);
      rill_put_be32(tmp + 4, (uint32_t)pr->batches[i].last_seq);
      rill_put_be64(tmp + 8, (uint64_t)pr->batches[i].base_offset);
      rill_put_be64(tmp + 16, (uint64_t)pr->batches[i].last_offset);
      g_byte_array_append(b, tmp, 24);
    }
  }
  rill_put_be32(tmp, rill__crc32c(0, b->data, b->len));
  g_byte_array_append(b, tmp, 4);
  g_autofree char *path = g_build_filename(dir, SNAPSHOT_NAME, NULL);
  gboolean ok = rill__atomic_write(path, b->data, b->len, error);
  g_byte_array_unref(b);
  return ok;
}

int64_t rill__producers_load(GHashTable *producers, const char *dir)
{
  g_autofree char *path = g_build_filename(dir, SNAPSHOT_NAME, NULL);
  g_autofree char *data = NULL;
  gsize len = 0;
  if (!g_file_get_contents(path, &data, &len, NULL) || len < 22)
    return 0;
  const uint8_t *p = (const uint8_t *)data, *end = p + len - 4;
  if (memcmp(p, "RLPS", 4) != 0 || rill__be16(p + 4) != 1 || rill__crc32c(0, p, len - 4) != rill__be32(end))
    return 0;
  int64_t offset = (int64_t)rill__be64(p + 6);
  uint32_t count = rill__be32(p + 14);
  p += 18;
  for (uint32_t i = 0; i < count; i++) {
    if (end - p < 11 || p[10] > RILL__PRODUCER_BATCHES || end - p < 11 + 24 * p[10])
      goto bad;
    rill__producer *pr = g_new0(rill__producer, 1);
    pr->producer_id = (int64_t)rill__be64(p);
    pr->epoch = (int16_t)rill__be16(p + 8);
    pr->n = p[10];
    p += 11;
    for (int j = 0; j < pr->n; j++, p += 24)
      pr->batches[j] = (rill__producer_batch){(int32_t)rill__be32(p), (int32_t)rill__be32(p + 4),
                                              (int64_t)rill__be64(p + 8), (int64_t)rill__be64(p + 16)};
    g_hash_table_replace(producers, &pr->producer_id, pr);
  }
  return offset;

bad:
  g_hash_table_remove_all(producers);
  return 0;
}
