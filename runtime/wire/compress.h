/* compress.h — the four Kafka record compressions, through the system libraries.
 *
 * A RecordBatch v2 with codec != 0 stores all its records as one compressed
 * block after the 61-byte header. This module turns such a block into plain
 * record bytes and back; it knows nothing of batches.
 *
 *   codec  library        what we write              what we read
 *   1 gzip    zlib        one gzip member (RFC 1952)  gzip members, concatenated
 *   2 snappy  libsnappy   a raw snappy block          raw, and the xerial framing
 *                         (as librdkafka does)        Java clients write:
 *                                                     "\x82SNAPPY\0" ver:i32 compat:i32
 *                                                     then { len:i32 raw-block }*
 *   3 lz4     liblz4      one LZ4 frame (lz4frame.h)  LZ4 frames, concatenated
 *   4 zstd    libzstd     one zstd frame              zstd frames, streaming (works
 *                                                     without a content size)
 *
 * Invariants: decompression never produces more than the caller's @max_out
 * bytes — a "decompression bomb" stops with RILL__COMPRESS_ERROR_TOO_LARGE
 * before the memory is allocated, whatever the block claims. Corrupt input
 * gives RILL__COMPRESS_ERROR_CORRUPT with the library's own message. Output
 * is appended to the caller's GByteArray; on error the array is restored to
 * its length at entry, so nothing already accepted is lost.
 */
#pragma once

#include <glib.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Kafka's codec ids (RecordBatch attributes bits 0-2). */
typedef enum {
  RILL__CODEC_NONE = 0,
  RILL__CODEC_GZIP = 1,
  RILL__CODEC_SNAPPY = 2,
  RILL__CODEC_LZ4 = 3,
  RILL__CODEC_ZSTD = 4,
} rill__codec;

/* Pass as @level for the library's default (gzip 6, lz4 0 = fast, zstd 3).
 * Valid explicit levels: gzip 0..9, lz4 0..12, zstd -7..22 (ZSTD_minCLevel()
 * may allow lower); snappy has no levels and accepts only the default. */
#define RILL__CODEC_LEVEL_DEFAULT INT_MIN

#define RILL__COMPRESS_ERROR (rill__compress_error_quark())
GQuark rill__compress_error_quark(void);

typedef enum {
  RILL__COMPRESS_ERROR_UNSUPPORTED, /* codec id not 0..4 (Kafka: UNSUPPORTED_COMPRESSION_TYPE 76) */
  RILL__COMPRESS_ERROR_BAD_LEVEL,   /* level outside the codec's range */
  RILL__COMPRESS_ERROR_CORRUPT,     /* the library rejected the input (Kafka: CORRUPT_MESSAGE 2) */
  RILL__COMPRESS_ERROR_TOO_LARGE,   /* output would exceed max_out (decompression bomb) */
  RILL__COMPRESS_ERROR_FAILED,      /* the library failed for another reason (out of memory) */
} rill__compress_error;

/* The codec's name as Kafka spells it ("none", "gzip", ...), or NULL. (transfer none) */
const char *rill__codec_name(int codec);

/* Checks that @level is valid for @codec (RILL__CODEC_LEVEL_DEFAULT always is). */
bool rill__codec_check_level(rill__codec codec, int level, GError **error);

/* Appends the compressed form of @in (@len bytes) to @out. (transfer none) for
 * all arguments. RILL__CODEC_NONE copies. */
bool rill__compress(rill__codec codec, int level, const uint8_t *in, size_t len, GByteArray *out,
                    GError **error);

/* Appends the decompressed form of @in to @out, refusing to produce more than
 * @max_out bytes. (transfer none) for all arguments. */
bool rill__decompress(rill__codec codec, const uint8_t *in, size_t len, size_t max_out,
                      GByteArray *out, GError **error);
