/* compress.c — gzip, snappy, lz4 and zstd for RecordBatch v2 record blocks
 * (formats and invariants in compress.h).
 *
 * Streaming decoders write straight into the caller's GByteArray, grown by
 * doubling but never beyond max_out + 1 bytes past the entry length: the one
 * extra byte is how an over-long output is detected without trusting any
 * size the input claims.
 */
#include "runtime/wire/compress.h"

#include <lz4frame.h>
#include <lz4hc.h>
#include <snappy-c.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "runtime/wire/batch-header.h"

G_DEFINE_QUARK(rill-compress-error-quark, rill__compress_error)

static const char *const codec_names[] = {"none", "gzip", "snappy", "lz4", "zstd"};

const char *rill__codec_name(int codec)
{
  if (codec < 0 || codec > RILL__CODEC_ZSTD)
    return NULL;
  return codec_names[codec];
}

bool rill__codec_check_level(rill__codec codec, int level, GError **error)
{
  int lo = 0, hi = 0;
  if (level == RILL__CODEC_LEVEL_DEFAULT)
    return true;
  switch (codec) {
  case RILL__CODEC_NONE:
  case RILL__CODEC_SNAPPY: lo = 1, hi = 0; break; /* no levels */
  case RILL__CODEC_GZIP: lo = 0, hi = 9; break;
  case RILL__CODEC_LZ4: lo = 0, hi = LZ4HC_CLEVEL_MAX; break;
  case RILL__CODEC_ZSTD: lo = ZSTD_minCLevel(), hi = ZSTD_maxCLevel(); break;
  default:
    g_set_error(error, RILL__COMPRESS_ERROR, RILL__COMPRESS_ERROR_UNSUPPORTED,
                "unsupported compression codec %d", (int)codec);
    return false;
  }
  if (level < lo || level > hi) {
    if (lo > hi)
      g_set_error(error, RILL__COMPRESS_ERROR, RILL__COMPRESS_ERROR_BAD_LEVEL,
                  "compression %s has no levels (got %d)", rill__codec_name(codec), level);
    else
      g_set_error(error, RILL__COMPRESS_ERROR, RILL__COMPRESS_ERROR_BAD_LEVEL,
                  "compression level %d out of range %d..%d for %s", level, lo, hi,
                  rill__codec_name(codec));
    return false;
  }
  return true;
}

/* ---- output buffer handling ------------------------------------------------ */

/* Where a streaming decoder writes: bytes [start, used) of out are output so
 * far; out->len is the capacity handed to the library. */
typedef struct {
  GByteArray *out;
  guint start;
  size_t used;
  size_t limit; /* max_out + 1 */
} sink;

static void sink_init(sink *s, GByteArray *out, size_t max_out)
{
  s->out = out;
  s->start = out->len;
  s->used = out->len;
  s->limit = max_out < SIZE_MAX ? max_out + 1 : max_out;
}

/* Makes room past `used` (doubling, capped at start + limit); returns the free
 * byte count, 0 when the cap is reached. */
static size_t sink_room(sink *s, size_t hint)
{
  size_t produced = s->used - s->start;
  if (s->out->len > s->used)
    return s->out->len - s->used;
  if (produced >= s->limit)
    return 0;
  size_t want = MAX(MAX(produced, hint), (size_t)4096);
  want = MIN(want, s->limit - produced);
  want = MIN(want, (size_t)G_MAXUINT - s->used);
  if (want == 0)
    return 0;
  g_byte_array_set_size(s->out, (guint)(s->used + want));
  return want;
}

static bool sink_finish(sink *s, bool ok, size_t max_out, const char *codec, GError **error)
{
  if (ok && s->used - s->start > max_out) {
    g_set_error(error, RILL__COMPRESS_ERROR, RILL__COMPRESS_ERROR_TOO_LARGE,
                "%s: decompressed size exceeds the limit of %zu bytes", codec, max_out);
    ok = false;
  }
  g_byte_array_set_size(s->out, ok ? (guint)s->used : s->start);
  return ok;
}

static bool corrupt(GError **error, const char *codec, const char *what, size_t at)
{
  g_set_error(error, RILL__COMPRESS_ERROR, RILL__COMPRESS_ERROR_CORRUPT,
              "%s: %s (at compressed byte %zu)", codec, what, at);
  return false;
}

/* ---- gzip ------------------------------------------------------------------ */

static bool gzip_compress(int level, const uint8_t *in, size_t len, GByteArray *out, GError **error)
{
  z_stream zs = {0};
  if (level == RILL__CODEC_LEVEL_DEFAULT)
    level = Z_DEFAULT_COMPRESSION;
  if (len > UINT_MAX || deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    g_set_error(error, RILL__COMPRESS_ERROR, RILL__COMPRESS_ERROR_FAILED, "gzip: cannot start deflate");
    return false;
  }
  guint start = out->len;
  uLong bound = deflateBound(&zs, (uLong)len);
  g_byte_array_set_size(out, (guint)(start + bound));
  zs.next_in = (Bytef *)in;
  zs.avail_in = (uInt)len;
  zs.next_out = out->data + start;
  zs.avail_out = (uInt)bound;
  int ret = deflate(&zs, Z_FINISH);
  g_byte_array_set_size(out, ret == Z_STREAM_END ? (guint)(start + zs.total_out) : start);
  deflateEnd(&zs);
  if (ret != Z_STREAM_END) {
    g_set_error(error, RILL__COMPRESS_ERROR, RILL__COMPRESS_ERROR_FAILED, "gzip: deflate failed (%d)", ret);
    return false;
  }
  return true;
}

static bool gzip_decompress(const uint8_t *in, size_t len, size_t max_out, GByteArray *out,
                            GError **error)
{
  z_stream zs = {0};
  sink s;
  bool ok = false;
  if (len > UINT_MAX)
    return corrupt(error, "gzip", "input too large", 0);
  if (inflateInit2(&zs, 15 + 32) != Z_OK) { /* +32: gzip or zlib header */
    g_set_error(error, RILL__COMPRESS_ERROR, RILL__COMPRESS_ERROR_FAILED, "gzip: cannot start inflate");
    return false;
  }
  sink_init(&s, out, max_out);
  zs.next_in = (Bytef *)in;
  zs.avail_in = (uInt)len;
  for (;;) {
    size_t room = sink_room(&s, len * 4);
    if (room == 0)
      break; /* over the limit: reported by sink_finish */
    zs.next_out = out->data + s.used;
    zs.avail_out = (uInt)MIN(room, (size_t)UINT_MAX);
    uInt before = zs.avail_out;
    int ret = inflate(&zs, Z_NO_FLUSH);
    s.used += before - zs.avail_out;
    if (ret == Z_STREAM_END) {
      if (zs.avail_in == 0) {
        ok = true;
        break;
      }
      inflateReset(&zs); /* another gzip member follows, as GZIPInputStream reads */
      continue;
    }
    if (ret == Z_BUF_ERROR && zs.avail_out > 0) {
      corrupt(error, "gzip", "truncated stream", len - zs.avail_in);
      goto out;
    }
    if (ret != Z_OK && ret != Z_BUF_ERROR) {
      corrupt(error, "gzip", zs.msg ? zs.msg : "invalid data", len - zs.avail_in);
      goto out;
    }
  }
  ok = sink_finish(&s, true, max_out, "gzip", error);
  inflateEnd(&zs);
  return ok;
out:
  inflateEnd(&zs);
  return sink_finish(&s, false, max_out, "gzip", error);
}

/* ---- snappy ---------------------------------------------------------------- */

static const uint8_t xerial_magic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
#define XERIAL_HEADER_SIZE 16 /* magic + version i32 + compatible version i32 */

static bool snappy_compress_raw(const uint8_t *in, size_t len, GByteArray *out, GError **error)
{
  guint start = out->len;
  size_t n = snappy_max_compressed_length(len);
  if (n > G_MAXUINT - start) {
    g_set_error(error, RILL__COMPRESS_ERROR, RILL__COMPRESS_ERROR_FAILED, "snappy: input too large");
    return false;
  }
  g_byte_array_set_size(out, (guint)(start + n));
  if (snappy_compress((const char *)in, len, (char *)out->data + start, &n) != SNAPPY_OK) {
    g_byte_array_set_size(out, start);
    g_set_error(error, RILL__COMPRESS_ERROR, RILL__COMPRESS_ERROR_FAILED, "snappy: compression failed");
    return false;
  }
  g_byte_array_set_size(out, (guint)(start + n));
  return true;
}

/* One raw snappy block appended to the sink; @at is its offset in the input, for errors. */
static bool snappy_block(sink *s, const uint8_t *in, size_t len, size_t at, GError **error)
{
  size_t n;
  if (snappy_uncompressed_length((const char *)in, len, &n) != SNAPPY_OK)
    return corrupt(error, "snappy", "invalid block length", at);
  if (n >= s->limit - (s->used - s->start)) {
    s->used = s->start + s->limit; /* reported as too large by sink_finish */
    return true;
  }
  char empty; /* an empty block still gets validated, with somewhere to point */
  g_byte_array_set_size(s->out, (guint)(s->used + n));
  char *dst = n ? (char *)s->out->data + s->used : &empty;
  if (snappy_uncompress((const char *)in, len, dst, &n) != SNAPPY_OK)
    return corrupt(error, "snappy", "invalid compressed block", at);
  s->used += n;
  return true;
}

static bool snappy_decompress(const uint8_t *in, size_t len, size_t max_out, GByteArray *out,
                              GError **error)
{
  sink s;
  bool ok = true;
  sink_init(&s, out, max_out);
  if (len < sizeof xerial_magic || memcmp(in, xerial_magic, sizeof xerial_magic) != 0) {
    ok = snappy_block(&s, in, len, 0, error);
    return sink_finish(&s, ok, max_out, "snappy", error);
  }
  if (len < XERIAL_HEADER_SIZE) {
    ok = corrupt(error, "snappy", "truncated xerial header", 0);
    return sink_finish(&s, ok, max_out, "snappy", error);
  }
  size_t pos = XERIAL_HEADER_SIZE;
  while (ok && pos < len && s.used - s.start <= max_out) {
    if (len - pos < 4) {
      ok = corrupt(error, "snappy", "truncated xerial chunk length", pos);
      break;
    }
    uint32_t chunk = rill__be32(in + pos);
    if (chunk > len - pos - 4) {
      ok = corrupt(error, "snappy", "xerial chunk longer than the input", pos);
      break;
    }
    ok = snappy_block(&s, in + pos + 4, chunk, pos + 4, error);
    pos += 4 + (size_t)chunk;
  }
  return sink_finish(&s, ok, max_out, "snappy", error);
}

/* ---- lz4 ------------------------------------------------------------------- */

static bool lz4_compress(int level, const uint8_t *in, size_t len, GByteArray *out, GError **error)
{
  LZ4F_preferences_t prefs;
  memset(&prefs, 0, sizeof prefs);
  prefs.compressionLevel = level == RILL__CODEC_LEVEL_DEFAULT ? 0 : level;
  prefs.frameInfo.contentSize = len;
  guint start = out->len;
  size_t bound = LZ4F_compressFrameBound(len, &prefs);
  if (bound > G_MAXUINT - start) {
    g_set_error(error, RILL__COMPRESS_ERROR, RILL__COMPRESS_ERROR_FAILED, "lz4: input too large");
    return false;
  }
  g_byte_array_set_size(out, (guint)(start + bound));
  size_t n = LZ4F_compressFrame(out->data + start, bound, in, len, &prefs);
  if (LZ4F_isError(n)) {
    g_byte_array_set_size(out, start);
    g_set_error(error, RILL__COMPRESS_ERROR, RILL__COMPRESS_ERROR_FAILED, "lz4: %s", LZ4F_getErrorName(n));
    return false;
  }
  g_byte_array_set_size(out, (guint)(start + n));
  return true;
}

static bool lz4_decompress(const uint8_t *in, size_t len, size_t max_out, GByteArray *out,
                           GError **error)
{
  LZ4F_dctx *dctx = NULL;
  sink s;
  bool ok = false;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&dctx, LZ4F_VERSION))) {
    g_set_error(error, RILL__COMPRESS_ERROR, RILL__COMPRESS_ERROR_FAILED, "lz4: cannot start decoder");
    return false;
  }
  sink_init(&s, out, max_out);
  size_t pos = 0, hint = 1;
  bool out_full = false; /* the decoder may hold output back until given room */
  while (pos < len || hint != 0) {
    size_t room = sink_room(&s, len * 4);
    if (room == 0) {
      ok = true; /* over the limit: reported by sink_finish */
      goto out;
    }
    if (pos == len && !out_full) {
      corrupt(error, "lz4", "truncated frame", pos);
      goto out;
    }
    size_t src = len - pos, dst = room;
    hint = LZ4F_decompress(dctx, out->data + s.used, &dst, in + pos, &src, NULL);
    if (LZ4F_isError(hint)) {
      corrupt(error, "lz4", LZ4F_getErrorName(hint), pos);
      goto out;
    }
    pos += src;
    s.used += dst;
    out_full = dst == room;
  }
  ok = true;
out:
  LZ4F_freeDecompressionContext(dctx);
  return sink_finish(&s, ok, max_out, "lz4", error);
}

/* ---- zstd ------------------------------------------------------------------ */

static bool zstd_compress(int level, const uint8_t *in, size_t len, GByteArray *out, GError **error)
{
  guint start = out->len;
  size_t bound = ZSTD_compressBound(len);
  if (bound > G_MAXUINT - start) {
    g_set_error(error, RILL__COMPRESS_ERROR, RILL__COMPRESS_ERROR_FAILED, "zstd: input too large");
    return false;
  }
  g_byte_array_set_size(out, (guint)(start + bound));
  size_t n = ZSTD_compress(out->data + start, bound, in, len,
                           level == RILL__CODEC_LEVEL_DEFAULT ? ZSTD_CLEVEL_DEFAULT : level);
  if (ZSTD_isError(n)) {
    g_byte_array_set_size(out, start);
    g_set_error(error, RILL__COMPRESS_ERROR, RILL__COMPRESS_ERROR_FAILED, "zstd: %s", ZSTD_getErrorName(n));
    return false;
  }
  g_byte_array_set_size(out, (guint)(start + n));
  return true;
}

static bool zstd_decompress(const uint8_t *in, size_t len, size_t max_out, GByteArray *out,
                            GError **error)
{
  ZSTD_DCtx *dctx = ZSTD_createDCtx();
  sink s;
  bool ok = false;
  if (!dctx) {
    g_set_error(error, RILL__COMPRESS_ERROR, RILL__COMPRESS_ERROR_FAILED, "zstd: cannot start decoder");
    return false;
  }
  sink_init(&s, out, max_out);
  ZSTD_inBuffer ib = {in, len, 0};
  size_t hint = 1;
  bool out_full = false; /* the decoder may hold output back until given room */
  while (ib.pos < ib.size || hint != 0) {
    size_t room = sink_room(&s, len * 4);
    if (room == 0) {
      ok = true; /* over the limit: reported by sink_finish */
      goto out;
    }
    if (ib.pos == ib.size && !out_full) {
      corrupt(error, "zstd", "truncated frame", ib.pos);
      goto out;
    }
    ZSTD_outBuffer ob = {out->data + s.used, room, 0};
    hint = ZSTD_decompressStream(dctx, &ob, &ib);
    if (ZSTD_isError(hint)) {
      corrupt(error, "zstd", ZSTD_getErrorName(hint), ib.pos);
      goto out;
    }
    s.used += ob.pos;
    out_full = ob.pos == ob.size;
  }
  ok = true;
out:
  ZSTD_freeDCtx(dctx);
  return sink_finish(&s, ok, max_out, "zstd", error);
}

/* ---- dispatch -------------------------------------------------------------- */

bool rill__compress(rill__codec codec, int level, const uint8_t *in, size_t len, GByteArray *out,
                    GError **error)
{
  g_return_val_if_fail(in != NULL || len == 0, false);
  g_return_val_if_fail(out != NULL, false);
  if (!rill__codec_check_level(codec, level, error))
    return false;
  switch (codec) {
  case RILL__CODEC_NONE:
    g_byte_array_append(out, in, (guint)len);
    return true;
  case RILL__CODEC_GZIP: return gzip_compress(level, in, len, out, error);
  case RILL__CODEC_SNAPPY: return snappy_compress_raw(in, len, out, error);
  case RILL__CODEC_LZ4: return lz4_compress(level, in, len, out, error);
  case RILL__CODEC_ZSTD: return zstd_compress(level, in, len, out, error);
  }
  return false; /* unreachable: check_level rejected the codec */
}

bool rill__decompress(rill__codec codec, const uint8_t *in, size_t len, size_t max_out,
                      GByteArray *out, GError **error)
{
  g_return_val_if_fail(in != NULL || len == 0, false);
  g_return_val_if_fail(out != NULL, false);
  static const uint8_t empty[1];
  if (!in)
    in = empty;
  switch (codec) {
  case RILL__CODEC_NONE:
    if (len > max_out) {
      g_set_error(error, RILL__COMPRESS_ERROR, RILL__COMPRESS_ERROR_TOO_LARGE,
                  "none: size exceeds the limit of %zu bytes", max_out);
      return false;
    }
    g_byte_array_append(out, in, (guint)len);
    return true;
  case RILL__CODEC_GZIP: return gzip_decompress(in, len, max_out, out, error);
  case RILL__CODEC_SNAPPY: return snappy_decompress(in, len, max_out, out, error);
  case RILL__CODEC_LZ4: return lz4_decompress(in, len, max_out, out, error);
  case RILL__CODEC_ZSTD: return zstd_decompress(in, len, max_out, out, error);
  }
  g_set_error(error, RILL__COMPRESS_ERROR, RILL__COMPRESS_ERROR_UNSUPPORTED,
              "unsupported compression codec %d", (int)codec);
  return false;
}
