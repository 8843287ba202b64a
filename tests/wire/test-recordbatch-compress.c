/* test-recordbatch-compress.c — the codec layer: round trips at the size
 * limit, the decompression-bomb guard (also through the batch reader), and
 * the forms other writers produce, built here with the libraries directly:
 * xerial-framed snappy (Java clients), concatenated gzip members, lz4 frames
 * with 64 KiB blocks and content checksums, zstd frames without a content size.
 */
#include "runtime/wire/compress.h"

#include <glib.h>
#include <lz4frame.h>
#include <snappy-c.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "runtime/wire/recordbatch.h"

static GByteArray *sample(size_t n)
{
  GByteArray *a = g_byte_array_sized_new((guint)n);
  GRand *r = g_rand_new_with_seed(7);
  g_byte_array_set_size(a, (guint)n);
  for (size_t i = 0; i < n; i++) /* half text-like, half noise: compressible, not trivially */
    a->data[i] = (i / 64) % 2 ? (uint8_t)g_rand_int(r) : (uint8_t)("lorem ipsum dolor "[i % 18]);
  g_rand_free(r);
  return a;
}

static void assert_decodes(rill__codec codec, const uint8_t *z, size_t zlen, const GByteArray *want)
{
  GError *error = NULL;
  GByteArray *out = g_byte_array_new();
  g_byte_array_append(out, (const guint8 *)"prefix", 6);
  g_assert_true(rill__decompress(codec, z, zlen, want->len, out, &error));
  g_assert_no_error(error);
  g_assert_cmpmem(out->data, 6, "prefix", 6);
  g_assert_cmpmem(out->data + 6, out->len - 6, want->data, want->len);

  /* one byte under the size: refused, and what was in out is kept */
  if (want->len > 0) {
    g_byte_array_set_size(out, 6);
    g_assert_false(rill__decompress(codec, z, zlen, want->len - 1, out, &error));
    g_assert_error(error, RILL__COMPRESS_ERROR, RILL__COMPRESS_ERROR_TOO_LARGE);
    g_assert_nonnull(strstr(error->message, "limit"));
    g_clear_error(&error);
    g_assert_cmpmem(out->data, out->len, "prefix", 6);
  }
  g_byte_array_unref(out);
}

static void test_round_trip(gconstpointer data)
{
  rill__codec codec = GPOINTER_TO_INT(data);
  static const size_t sizes[] = {0, 1, 100, 65536, 65537, 3 << 20};
  for (size_t i = 0; i < G_N_ELEMENTS(sizes); i++) {
    GByteArray *in = sample(sizes[i]), *z = g_byte_array_new();
    GError *error = NULL;
    g_assert_true(rill__compress(codec, RILL__CODEC_LEVEL_DEFAULT, in->data, in->len, z, &error));
    g_assert_no_error(error);
    if (sizes[i] >= 65536 && codec != RILL__CODEC_NONE)
      g_assert_cmpuint(z->len, <, in->len);
    assert_decodes(codec, z->data, z->len, in);
    g_byte_array_unref(in);
    g_byte_array_unref(z);
  }
}

/* 64 MiB of zeros compress to a small fraction; a 1 MiB limit must stop it
 * with a clear error and leave the output as it was. */
static void test_bomb(gconstpointer data)
{
  rill__codec codec = GPOINTER_TO_INT(data);
  size_t big = 64u << 20;
  uint8_t *zeros = g_malloc0(big);
  GByteArray *z = g_byte_array_new(), *out = g_byte_array_new();
  GError *error = NULL;
  g_assert_true(rill__compress(codec, RILL__CODEC_LEVEL_DEFAULT, zeros, big, z, &error));
  g_free(zeros);
  g_assert_cmpuint(z->len, <, big / 16); /* snappy manages ~20:1 at best */
  g_assert_false(rill__decompress(codec, z->data, z->len, 1u << 20, out, &error));
  g_assert_error(error, RILL__COMPRESS_ERROR, RILL__COMPRESS_ERROR_TOO_LARGE);
  g_clear_error(&error);
  g_assert_cmpuint(out->len, ==, 0);

  /* the same bomb as a batch: the reader reports it as TOO_LARGE */
  rill__batch_writer_options o = RILL__BATCH_WRITER_OPTIONS_INIT;
  o.codec = codec;
  rill__batch_writer *w = rill__batch_writer_new(&o, &error);
  uint8_t *value = g_malloc0(8u << 20);
  rill__batch_writer_append(w, 1, NULL, -1, value, 8 << 20, NULL, 0);
  g_free(value);
  GBytes *b = rill__batch_writer_finish(w, &error);
  g_assert_no_error(error);
  rill__batch_writer_free(w);
  rill__batch_reader r;
  rill__batch_reader_init(&r);
  g_assert_false(rill__batch_reader_open(&r, g_bytes_get_data(b, NULL), g_bytes_get_size(b),
                                         RILL__BATCH_VERIFY_CRC, 1u << 20, &error));
  g_assert_error(error, RILL__BATCH_ERROR, RILL__BATCH_ERROR_TOO_LARGE);
  g_clear_error(&error);
  g_assert_true(rill__batch_reader_open(&r, g_bytes_get_data(b, NULL), g_bytes_get_size(b),
                                        RILL__BATCH_VERIFY_CRC, 16u << 20, &error));
  rill__record rec;
  g_assert_cmpint(rill__batch_reader_next(&r, &rec, &error), ==, 1);
  g_assert_cmpint(rec.value_len, ==, 8 << 20);
  rill__batch_reader_clear(&r);
  g_bytes_unref(b);
  g_byte_array_unref(z);
  g_byte_array_unref(out);
}

/* A raw snappy block whose preamble claims 4 GiB: refused before allocating. */
static void test_snappy_lying_length(void)
{
  static const uint8_t z[] = {0x80, 0x80, 0x80, 0x80, 0x0f, 0x00};
  GByteArray *out = g_byte_array_new();
  GError *error = NULL;
  g_assert_false(rill__decompress(RILL__CODEC_SNAPPY, z, sizeof z, 64u << 20, out, &error));
  g_assert_error(error, RILL__COMPRESS_ERROR, RILL__COMPRESS_ERROR_TOO_LARGE);
  g_clear_error(&error);
  g_byte_array_unref(out);
}

/* The xerial framing snappy-java's SnappyOutputStream writes: magic,
 * version 1, compatible version 1, then (length:i32 BE, raw block) chunks. */
static void test_snappy_xerial(void)
{
  GByteArray *in = sample(100000), *z = g_byte_array_new();
  static const uint8_t hdr[16] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1};
  g_byte_array_append(z, hdr, sizeof hdr);
  for (size_t off = 0; off < in->len; off += 32768) {
    size_t n = MIN((size_t)32768, in->len - off), zn = snappy_max_compressed_length(n);
    guint at = z->len;
    g_byte_array_set_size(z, at + 4 + (guint)zn);
    g_assert_cmpint(snappy_compress((const char *)in->data + off, n, (char *)z->data + at + 4, &zn), ==, SNAPPY_OK);
    z->data[at] = (uint8_t)(zn >> 24), z->data[at + 1] = (uint8_t)(zn >> 16);
    z->data[at + 2] = (uint8_t)(zn >> 8), z->data[at + 3] = (uint8_t)zn;
    g_byte_array_set_size(z, at + 4 + (guint)zn);
  }
  assert_decodes(RILL__CODEC_SNAPPY, z->data, z->len, in);

  /* a chunk length running past the input is corrupt, not an over-read */
  GError *error = NULL;
  GByteArray *out = g_byte_array_new();
  g_assert_false(rill__decompress(RILL__CODEC_SNAPPY, z->data, 16 + 4 + 10, 1u << 20, out, &error));
  g_assert_error(error, RILL__COMPRESS_ERROR, RILL__COMPRESS_ERROR_CORRUPT);
  g_assert_nonnull(strstr(error->message, "xerial"));
  g_clear_error(&error);
  g_byte_array_unref(out);
  g_byte_array_unref(in);
  g_byte_array_unref(z);
}

static void gzip_member(GByteArray *z, const uint8_t *in, size_t n)
{
  z_stream zs = {0};
  g_assert_cmpint(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), ==, Z_OK);
  guint at = z->len;
  uLong bound = deflateBound(&zs, n);
  g_byte_array_set_size(z, at + (guint)bound);
  zs.next_in = (Bytef *)in, zs.avail_in = (uInt)n;
  zs.next_out = z->data + at, zs.avail_out = (uInt)bound;
  g_assert_cmpint(deflate(&zs, Z_FINISH), ==, Z_STREAM_END);
  g_byte_array_set_size(z, at + (guint)zs.total_out);
  deflateEnd(&zs);
}

static void test_concatenated(void)
{
  GByteArray *in = sample(200000), *z = g_byte_array_new();
  size_t half = in->len / 2;

  gzip_member(z, in->data, half);
  gzip_member(z, in->data + half, in->len - half);
  assert_decodes(RILL__CODEC_GZIP, z->data, z->len, in);

  /* lz4: two frames, 64 KiB blocks with checksums, the second without a content size */
  g_byte_array_set_size(z, 0);
  for (int f = 0; f < 2; f++) {
    LZ4F_preferences_t p;
    memset(&p, 0, sizeof p);
    p.frameInfo.blockSizeID = LZ4F_max64KB;
    p.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
    p.frameInfo.blockChecksumFlag = LZ4F_blockChecksumEnabled;
    p.frameInfo.contentSize = f == 0 ? half : 0;
    const uint8_t *src = in->data + (f ? half : 0);
    size_t n = f ? in->len - half : half, bound = LZ4F_compressFrameBound(n, &p);
    guint at = z->len;
    g_byte_array_set_size(z, at + (guint)bound);
    size_t zn = LZ4F_compressFrame(z->data + at, bound, src, n, &p);
    g_assert_false(LZ4F_isError(zn));
    g_byte_array_set_size(z, at + (guint)zn);
  }
  assert_decodes(RILL__CODEC_LZ4, z->data, z->len, in);

  /* zstd: one frame with a content size, one streamed without */
  g_byte_array_set_size(z, (guint)ZSTD_compressBound(half));
  size_t zn = ZSTD_compress(z->data, z->len, in->data, half, 3);
  g_assert_false(ZSTD_isError(zn));
  g_byte_array_set_size(z, (guint)(zn + ZSTD_compressBound(in->len - half)));
  ZSTD_CCtx *cctx = ZSTD_createCCtx();
  ZSTD_inBuffer ib = {in->data + half, in->len - half, 0};
  ZSTD_outBuffer ob = {z->data + zn, z->len - zn, 0};
  /* fed in two steps, as a streaming producer does: the size is not known up front */
  ZSTD_inBuffer part = {ib.src, ib.size / 2, 0};
  g_assert_false(ZSTD_isError(ZSTD_compressStream2(cctx, &ob, &part, ZSTD_e_continue)));
  g_assert_cmpuint(part.pos, ==, part.size);
  ib.pos = part.pos;
  g_assert_cmpuint(ZSTD_compressStream2(cctx, &ob, &ib, ZSTD_e_end), ==, 0);
  ZSTD_freeCCtx(cctx);
  g_assert_cmpuint(ZSTD_getFrameContentSize(z->data + zn, ob.pos), ==, ZSTD_CONTENTSIZE_UNKNOWN);
  g_byte_array_set_size(z, (guint)(zn + ob.pos));
  assert_decodes(RILL__CODEC_ZSTD, z->data, z->len, in);

  g_byte_array_unref(in);
  g_byte_array_unref(z);
}

static void test_names(void)
{
  g_assert_cmpstr(rill__codec_name(RILL__CODEC_NONE), ==, "none");
  g_assert_cmpstr(rill__codec_name(RILL__CODEC_SNAPPY), ==, "snappy");
  g_assert_cmpstr(rill__codec_name(RILL__CODEC_ZSTD), ==, "zstd");
  g_assert_null(rill__codec_name(5));
  GError *error = NULL;
  GByteArray *out = g_byte_array_new();
  g_assert_false(rill__decompress(6, (const uint8_t *)"x", 1, 100, out, &error));
  g_assert_error(error, RILL__COMPRESS_ERROR, RILL__COMPRESS_ERROR_UNSUPPORTED);
  g_clear_error(&error);
  g_byte_array_unref(out);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  for (int c = 0; c <= RILL__CODEC_ZSTD; c++) {
    char *path = g_strdup_printf("/wire/compress/round-trip/%s", rill__codec_name(c));
    g_test_add_data_func(path, GINT_TO_POINTER(c), test_round_trip);
    g_free(path);
    if (c == RILL__CODEC_NONE)
      continue;
    path = g_strdup_printf("/wire/compress/bomb/%s", rill__codec_name(c));
    g_test_add_data_func(path, GINT_TO_POINTER(c), test_bomb);
    g_free(path);
  }
  g_test_add_func("/wire/compress/snappy-lying-length", test_snappy_lying_length);
  g_test_add_func("/wire/compress/snappy-xerial", test_snappy_xerial);
  g_test_add_func("/wire/compress/concatenated", test_concatenated);
  g_test_add_func("/wire/compress/names", test_names);
  return g_test_run();
}
