/* test-recordbatch.c — RecordBatch v2 writer and reader: exact bytes against a
 * batch laid out by hand from the Kafka spec, round trips over every codec and
 * record shape, the CRC range, truncation at every byte, malformed records,
 * refusal of MessageSet v0/v1, control batches and LogAppendTime.
 *
 * Batches under test are copied into buffers of their exact size, so an
 * over-read is caught by ASan in the sanitizer build.
 */
#include "runtime/wire/recordbatch.h"

#include <glib.h>
#include <string.h>

#include "runtime/wire/crc32c.h"

#define MAX_OUT (64u << 20)

/* ---- a deterministic record generator: the expected values ---------------- */

typedef enum { SHAPE_PLAIN, SHAPE_KEYS, SHAPE_HEADERS, SHAPE_NULLS, N_SHAPES } shape;
static const char *const shape_names[] = {"plain", "keys", "headers", "nulls"};

typedef struct {
  int64_t ts;
  char key[32];
  int32_t key_len; /* -1 null */
  char value[128];
  int32_t value_len; /* -1 null */
  rill__record_header hdr[2];
  size_t n_hdr;
  char hk[2][16], hv[2][16];
} gen_record;

static void gen(gen_record *g, shape s, int i)
{
  memset(g, 0, sizeof *g);
  g->ts = 1700000000000 + (i % 7) * 13 - (i % 3) * 5; /* not monotonic: deltas go negative */
  g->key_len = -1;
  g->value_len = g_snprintf(g->value, sizeof g->value, "value %d %.*s", i, i % 90,
                            "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnop");
  if (s == SHAPE_KEYS || s == SHAPE_HEADERS || s == SHAPE_NULLS)
    g->key_len = g_snprintf(g->key, sizeof g->key, "k%d", i % 17);
  if (s == SHAPE_NULLS && i % 3 == 0)
    g->key_len = -1;
  if (s == SHAPE_NULLS && i % 2 == 0)
    g->value_len = -1; /* tombstone */
  if (s == SHAPE_NULLS && i % 5 == 0)
    g->value_len = 0; /* empty, not null */
  if (s == SHAPE_HEADERS || s == SHAPE_NULLS) {
    g->n_hdr = (size_t)(i % 3);
    for (size_t h = 0; h < g->n_hdr; h++) {
      g->hdr[h].key = (const uint8_t *)g->hk[h];
      g->hdr[h].key_len = g_snprintf(g->hk[h], sizeof g->hk[h], "h%zu", h);
      g->hdr[h].value = (const uint8_t *)g->hv[h];
      g->hdr[h].value_len = g_snprintf(g->hv[h], sizeof g->hv[h], "v%d", i);
      if (s == SHAPE_NULLS && h == 1) {
        g->hdr[h].value = NULL;
        g->hdr[h].value_len = -1;
      }
    }
  }
}

static GBytes *build(const rill__batch_writer_options *o, shape s, int n)
{
  GError *error = NULL;
  rill__batch_writer *w = rill__batch_writer_new(o, &error);
  g_assert_no_error(error);
  for (int i = 0; i < n; i++) {
    gen_record g;
    gen(&g, s, i);
    rill__batch_writer_append(w, g.ts, g.key_len < 0 ? NULL : g.key, g.key_len,
                              g.value_len < 0 ? NULL : g.value, g.value_len, g.hdr, g.n_hdr);
  }
  g_assert_cmpint(rill__batch_writer_count(w), ==, n);
  GBytes *b = rill__batch_writer_finish(w, &error);
  g_assert_no_error(error);
  g_assert_cmpint(rill__batch_writer_count(w), ==, 0);
  rill__batch_writer_free(w);
  return b;
}

static void assert_bytes(const uint8_t *got, int32_t got_len, const void *want, int32_t want_len)
{
  g_assert_cmpint(got_len, ==, want_len);
  if (want_len < 0)
    g_assert_null(got);
  else
    g_assert_true(got_len == 0 || memcmp(got, want, (size_t)want_len) == 0);
}

/* Reads @batch and checks every record against the generator. */
static void verify(GBytes *batch, const rill__batch_writer_options *o, shape s, int n)
{
  gsize len;
  const uint8_t *data = g_bytes_get_data(batch, &len);
  rill__batch_reader r;
  GError *error = NULL;
  rill__batch_reader_init(&r);
  g_assert_true(rill__batch_reader_open(&r, data, len, RILL__BATCH_VERIFY_CRC, MAX_OUT, &error));
  g_assert_no_error(error);
  g_assert_cmpuint(r.batch_size, ==, len);
  g_assert_cmpint(r.codec, ==, o->codec);
  g_assert_cmpint(r.header.base_offset, ==, o->base_offset);
  g_assert_cmpint(r.header.producer_id, ==, o->producer_id);
  g_assert_cmpint(r.header.producer_epoch, ==, o->producer_epoch);
  g_assert_cmpint(r.header.base_sequence, ==, o->base_sequence);
  g_assert_cmpint(r.header.partition_leader_epoch, ==, o->partition_leader_epoch);
  g_assert_cmpint(r.header.records_count, ==, n);
  g_assert_cmpint(r.header.last_offset_delta, ==, n ? n - 1 : 0);
  g_assert_cmpint(r.transactional, ==, o->transactional);

  int64_t max_ts = -1; /* an empty batch says NO_TIMESTAMP */
  if (n == 0)
    g_assert_cmpint(r.header.base_timestamp, ==, -1);
  for (int i = 0; i < n; i++) {
    gen_record g;
    rill__record rec;
    gen(&g, s, i);
    max_ts = i == 0 ? g.ts : MAX(max_ts, g.ts);
    if (i == 0)
      g_assert_cmpint(r.header.base_timestamp, ==, g.ts);
    g_assert_cmpint(rill__batch_reader_next(&r, &rec, &error), ==, 1);
    g_assert_no_error(error);
    g_assert_cmpint(rec.offset, ==, o->base_offset + i);
    g_assert_cmpint(rec.offset_delta, ==, i);
    g_assert_cmpint(rec.timestamp, ==, g.ts);
    g_assert_false(rec.control);
    assert_bytes(rec.key, rec.key_len, g.key, g.key_len);
    assert_bytes(rec.value, rec.value_len, g.value, g.value_len);
    g_assert_cmpint(rec.header_count, ==, (int)g.n_hdr);
    rill__record_header_iter it;
    rill__record_header h;
    size_t nh = 0;
    rill__record_header_iter_init(&it, &rec);
    while (rill__record_header_iter_next(&it, &h)) {
      g_assert_cmpuint(nh, <, g.n_hdr);
      assert_bytes(h.key, h.key_len, g.hdr[nh].key, g.hdr[nh].key_len);
      assert_bytes(h.value, h.value_len, g.hdr[nh].value, g.hdr[nh].value_len);
      nh++;
    }
    g_assert_cmpuint(nh, ==, g.n_hdr);
  }
  g_assert_cmpint(r.header.max_timestamp, ==, max_ts);
  rill__record rec;
  g_assert_cmpint(rill__batch_reader_next(&r, &rec, &error), ==, 0);
  g_assert_no_error(error);
  rill__batch_reader_clear(&r);
}

/* ---- exact layout ----------------------------------------------------------- */

/* One record, key "k", value "val", header ("h", null), written by hand from
 * the spec: the writer must produce exactly these bytes. */
static void test_exact_bytes(void)
{
  static const uint8_t record[] = {
      0x1a,                 /* length 13, zigzag */
      0x00,                 /* attributes */
      0x00,                 /* timestampDelta 0 */
      0x00,                 /* offsetDelta 0 */
      0x02, 'k',            /* key length 1 */
      0x06, 'v', 'a', 'l',  /* value length 3 */
      0x02,                 /* 1 header */
      0x02, 'h', 0x01,      /* key "h", value null (-1 -> 1) */
  };
  uint8_t want[61 + sizeof record] = {0};
  rill_put_be64(want + 0, 42);                    /* baseOffset */
  rill_put_be32(want + 8, sizeof want - 12);      /* batchLength */
  rill_put_be32(want + 12, 0xffffffff);           /* partitionLeaderEpoch -1 */
  want[16] = 2;                                   /* magic */
  rill_put_be16(want + 21, 0x0010);               /* attributes: transactional */
  rill_put_be32(want + 23, 0);                    /* lastOffsetDelta */
  rill_put_be64(want + 27, 1000);                 /* baseTimestamp */
  rill_put_be64(want + 35, 1000);                 /* maxTimestamp */
  rill_put_be64(want + 43, 7);                    /* producerId */
  rill_put_be16(want + 51, 3);                    /* producerEpoch */
  rill_put_be32(want + 53, 5);                    /* baseSequence */
  rill_put_be32(want + 57, 1);                    /* recordsCount */
  memcpy(want + 61, record, sizeof record);
  rill_put_be32(want + 17, rill__crc32c(0, want + 21, sizeof want - 21));

  rill__batch_writer_options o = RILL__BATCH_WRITER_OPTIONS_INIT;
  o.base_offset = 42;
  o.producer_id = 7;
  o.producer_epoch = 3;
  o.base_sequence = 5;
  o.transactional = true;
  GError *error = NULL;
  rill__batch_writer *w = rill__batch_writer_new(&o, &error);
  g_assert_no_error(error);
  rill__record_header h = {(const uint8_t *)"h", 1, NULL, -1};
  rill__batch_writer_append(w, 1000, "k", 1, "val", 3, &h, 1);
  GBytes *b = rill__batch_writer_finish(w, &error);
  g_assert_no_error(error);
  gsize len;
  const uint8_t *got = g_bytes_get_data(b, &len);
  g_assert_cmpmem(got, len, want, sizeof want);
  g_bytes_unref(b);

  /* the writer is reusable: the next batch starts at offset delta 0 again */
  rill__batch_writer_set_base_offset(w, 43);
  rill__batch_writer_append(w, 2000, NULL, -1, NULL, -1, NULL, 0);
  b = rill__batch_writer_finish(w, &error);
  g_assert_no_error(error);
  got = g_bytes_get_data(b, &len);
  g_assert_cmpint((int64_t)rill__be64(got), ==, 43);
  static const uint8_t tomb[] = {0x0c, 0, 0, 0, 0x01, 0x01, 0}; /* 6 bytes, null key and value */
  g_assert_cmpmem(got + 61, len - 61, tomb, sizeof tomb);
  g_bytes_unref(b);
  rill__batch_writer_free(w);
}

/* ---- round trips ------------------------------------------------------------ */

typedef struct {
  rill__codec codec;
  shape s;
  int n;
} rt_case;

static void test_round_trip(gconstpointer data)
{
  const rt_case *c = data;
  rill__batch_writer_options o = RILL__BATCH_WRITER_OPTIONS_INIT;
  o.codec = c->codec;
  o.base_offset = 1000 + c->n;
  o.producer_id = 99;
  o.producer_epoch = 1;
  o.base_sequence = 17;
  GBytes *b = build(&o, c->s, c->n);
  verify(b, &o, c->s, c->n);
  if (c->codec != RILL__CODEC_NONE && c->n >= 100) {
    GBytes *plain;
    rill__batch_writer_options po = o;
    po.codec = RILL__CODEC_NONE;
    plain = build(&po, c->s, c->n);
    g_assert_cmpuint(g_bytes_get_size(b), <, g_bytes_get_size(plain)); /* it did compress */
    g_bytes_unref(plain);
  }
  g_bytes_unref(b);
}

static void test_levels(void)
{
  static const struct { rill__codec codec; int level; bool ok; } cases[] = {
      {RILL__CODEC_GZIP, 1, true},   {RILL__CODEC_GZIP, 9, true},   {RILL__CODEC_GZIP, 10, false},
      {RILL__CODEC_LZ4, 12, true},   {RILL__CODEC_LZ4, 13, false},  {RILL__CODEC_ZSTD, 19, true},
      {RILL__CODEC_ZSTD, 99, false}, {RILL__CODEC_SNAPPY, 1, false}, {RILL__CODEC_NONE, 3, false},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    rill__batch_writer_options o = RILL__BATCH_WRITER_OPTIONS_INIT;
    GError *error = NULL;
    o.codec = cases[i].codec;
    o.level = cases[i].level;
    rill__batch_writer *w = rill__batch_writer_new(&o, &error);
    if (!cases[i].ok) {
      g_assert_null(w);
      g_assert_error(error, RILL__COMPRESS_ERROR, RILL__COMPRESS_ERROR_BAD_LEVEL);
      g_clear_error(&error);
      continue;
    }
    g_assert_no_error(error);
    rill__batch_writer_free(w);
    GBytes *b = build(&o, SHAPE_KEYS, 200);
    verify(b, &o, SHAPE_KEYS, 200);
    g_bytes_unref(b);
  }
  rill__batch_writer_options o = RILL__BATCH_WRITER_OPTIONS_INIT;
  GError *error = NULL;
  o.codec = 5;
  g_assert_null(rill__batch_writer_new(&o, &error));
  g_assert_error(error, RILL__COMPRESS_ERROR, RILL__COMPRESS_ERROR_UNSUPPORTED);
  g_clear_error(&error);
}

/* ---- CRC ------------------------------------------------------------------- */

static void test_crc_range(void)
{
  rill__batch_writer_options o = RILL__BATCH_WRITER_OPTIONS_INIT;
  GBytes *b = build(&o, SHAPE_HEADERS, 5);
  gsize len;
  const uint8_t *orig = g_bytes_get_data(b, &len);
  for (size_t i = 0; i < len; i++) {
    uint8_t *copy = g_memdup2(orig, len);
    copy[i] ^= 0x5a;
    rill__batch_reader r;
    GError *error = NULL;
    rill__batch_reader_init(&r);
    bool ok = rill__batch_reader_open(&r, copy, len, RILL__BATCH_VERIFY_CRC, MAX_OUT, &error);
    if (i < 8 || (i >= 12 && i < 16)) {
      /* baseOffset and partitionLeaderEpoch lie outside the CRC */
      g_assert_no_error(error);
      g_assert_true(ok);
      if (i < 8)
        g_assert_cmpint(r.header.base_offset, !=, 0);
    } else if (i < 12) {
      g_assert_false(ok); /* batchLength: too long, negative, or shorter so the CRC range moved */
      g_assert_true(error->code == RILL__BATCH_ERROR_TRUNCATED || error->code == RILL__BATCH_ERROR_BAD_LENGTH ||
                    error->code == RILL__BATCH_ERROR_BAD_CRC);
    } else if (i == 16) {
      g_assert_error(error, RILL__BATCH_ERROR, RILL__BATCH_ERROR_UNSUPPORTED_MAGIC);
    } else {
      g_assert_error(error, RILL__BATCH_ERROR, RILL__BATCH_ERROR_BAD_CRC); /* [17, end) */
      g_assert_nonnull(strstr(error->message, "CRC"));
    }
    g_clear_error(&error);
    rill__batch_reader_clear(&r);
    g_free(copy);
  }
  g_bytes_unref(b);
}

/* ---- truncation and malformed input ------------------------------------------ */

/* Reads all of @data; returns the error code, or -1 when it read cleanly. */
static int read_all(const uint8_t *data, size_t len, unsigned flags, size_t max_out, char **msg)
{
  rill__batch_reader r;
  rill__record rec;
  GError *error = NULL;
  int code = -1, rc;
  rill__batch_reader_init(&r);
  if (rill__batch_reader_open(&r, data, len, flags, max_out, &error)) {
    while ((rc = rill__batch_reader_next(&r, &rec, &error)) > 0)
      ;
    g_assert_cmpint(rc == 0, ==, error == NULL);
    /* after an error the reader stays at its end */
    if (rc < 0)
      g_assert_cmpint(rill__batch_reader_next(&r, &rec, NULL), ==, 0);
  }
  if (error) {
    g_assert_true(error->domain == RILL__BATCH_ERROR);
    code = error->code;
    if (msg)
      *msg = g_strdup(error->message);
    g_error_free(error);
  }
  rill__batch_reader_clear(&r);
  return code;
}

/* Cuts the batch at every byte; also keeps the header consistent (length and
 * CRC rewritten for the cut) so the record decoder itself meets every cut. */
static void test_truncation(gconstpointer data)
{
  rill__batch_writer_options o = RILL__BATCH_WRITER_OPTIONS_INIT;
  o.codec = GPOINTER_TO_INT(data);
  GBytes *b = build(&o, SHAPE_NULLS, 6);
  gsize len;
  const uint8_t *orig = g_bytes_get_data(b, &len);
  for (size_t cut = 0; cut < len; cut++) {
    uint8_t *copy = g_memdup2(orig, cut ? cut : 1);
    int code = read_all(copy, cut, RILL__BATCH_VERIFY_CRC, MAX_OUT, NULL);
    g_assert_cmpint(code, ==, RILL__BATCH_ERROR_TRUNCATED);
    if (cut >= 61) {
      rill_put_be32(copy + 8, (uint32_t)(cut - 12));
      rill__batch_update_crc(copy, cut);
      char *msg = NULL;
      code = read_all(copy, cut, RILL__BATCH_VERIFY_CRC, MAX_OUT, &msg);
      if (o.codec == RILL__CODEC_NONE) {
        g_assert_true(code == RILL__BATCH_ERROR_BAD_RECORD || code == RILL__BATCH_ERROR_COUNT_MISMATCH);
        g_assert_true(strstr(msg, "byte") || strstr(msg, "records"));
      } else {
        g_assert_cmpint(code, ==, RILL__BATCH_ERROR_DECOMPRESS);
      }
      g_free(msg);
    }
    g_free(copy);
  }
  g_assert_cmpint(read_all(orig, len, RILL__BATCH_VERIFY_CRC, MAX_OUT, NULL), ==, -1);
  g_bytes_unref(b);
}

/* A batch around hand-written record bytes, with a consistent length and CRC. */
static GBytes *wrap_records(const uint8_t *recs, size_t n, int32_t count, int16_t attrs)
{
  uint8_t *b = g_malloc0(61 + n);
  rill_put_be32(b + 8, (uint32_t)(61 + n - 12));
  b[16] = 2;
  rill_put_be16(b + 21, (uint16_t)attrs);
  rill_put_be32(b + 57, (uint32_t)count);
  memcpy(b + 61, recs, n);
  rill__batch_update_crc(b, 61 + n);
  return g_bytes_new_take(b, 61 + n);
}

static void test_malformed(void)
{
  static const struct {
    const char *name;
    uint8_t recs[16];
    size_t n;
    int32_t count;
    int16_t attrs;
    int code;
    const char *says;
  } cases[] = {
      {"ok", {0x0c, 0, 0, 0, 1, 1, 0}, 7, 1, 0, -1, NULL},
      {"key length -2", {0x0c, 0, 0, 0, 3, 1, 0}, 7, 1, 0, RILL__BATCH_ERROR_BAD_RECORD, "key length at byte 65"},
      {"key past record", {0x0c, 0, 0, 0, 8, 1, 0}, 7, 1, 0, RILL__BATCH_ERROR_BAD_RECORD, "key runs past"},
      {"header key null", {0x10, 0, 0, 0, 1, 1, 2, 1, 1}, 9, 1, 0, RILL__BATCH_ERROR_BAD_RECORD, "header key length"},
      {"negative header count", {0x0c, 0, 0, 0, 1, 1, 1}, 7, 1, 0, RILL__BATCH_ERROR_BAD_RECORD, "header count"},
      {"record past batch", {0x20, 0, 0, 0, 1, 1, 0}, 7, 1, 0, RILL__BATCH_ERROR_BAD_RECORD, "past the batch"},
      {"negative record length", {0x01}, 1, 1, 0, RILL__BATCH_ERROR_BAD_RECORD, "negative record length"},
      {"left over in record", {0x10, 0, 0, 0, 1, 1, 0, 9, 9}, 9, 1, 0, RILL__BATCH_ERROR_BAD_RECORD, "left over"},
      {"varint too long", {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 6, 1, 0, RILL__BATCH_ERROR_BAD_RECORD, "record length at byte 61"},
      {"trailing bytes", {0x0c, 0, 0, 0, 1, 1, 0, 0}, 8, 1, 0, RILL__BATCH_ERROR_COUNT_MISMATCH, "1 bytes after"},
      {"count too high", {0x0c, 0, 0, 0, 1, 1, 0}, 7, 2, 0, RILL__BATCH_ERROR_COUNT_MISMATCH, "says 2"},
      {"count negative", {0}, 0, -1, 0, RILL__BATCH_ERROR_COUNT_MISMATCH, "negative recordsCount"},
      {"codec 5", {0x0c, 0, 0, 0, 1, 1, 0}, 7, 1, 5, RILL__BATCH_ERROR_UNSUPPORTED_CODEC, "codec 5"},
      {"gzip garbage", {1, 2, 3, 4}, 4, 1, 1, RILL__BATCH_ERROR_DECOMPRESS, "gzip"},
      {"snappy garbage", {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 6, 1, 2, RILL__BATCH_ERROR_DECOMPRESS, "snappy"},
      {"lz4 garbage", {1, 2, 3, 4}, 4, 1, 3, RILL__BATCH_ERROR_DECOMPRESS, "lz4"},
      {"zstd garbage", {1, 2, 3, 4}, 4, 1, 4, RILL__BATCH_ERROR_DECOMPRESS, "zstd"},
      {"empty batch", {0}, 0, 0, 0, -1, NULL},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    GBytes *b = wrap_records(cases[i].recs, cases[i].n, cases[i].count, cases[i].attrs);
    gsize len;
    const uint8_t *d = g_bytes_get_data(b, &len);
    char *msg = NULL;
    int code = read_all(d, len, RILL__BATCH_VERIFY_CRC, MAX_OUT, &msg);
    g_test_message("%s: %s", cases[i].name, msg ? msg : "ok");
    g_assert_cmpint(code, ==, cases[i].code);
    if (cases[i].says)
      g_assert_nonnull(strstr(msg, cases[i].says));
    g_free(msg);
    g_bytes_unref(b);
  }
}

/* MessageSet v0 and v1 entries (offset, size, crc, magic ...) are refused by name. */
static void test_legacy_magic(void)
{
  for (int magic = 0; magic <= 1; magic++) {
    uint8_t msg[12 + 4 + 1 + 1 + 8 + 4 + 4] = {0};
    size_t len = magic ? sizeof msg : sizeof msg - 8;
    rill_put_be32(msg + 8, (uint32_t)(len - 12));
    msg[16] = (uint8_t)magic;
    rill_put_be32(msg + len - 8, 0xffffffff); /* null key */
    rill_put_be32(msg + len - 4, 0xffffffff); /* null value */
    char *text = NULL;
    g_assert_cmpint(read_all(msg, len, RILL__BATCH_VERIFY_CRC, MAX_OUT, &text), ==,
                    RILL__BATCH_ERROR_UNSUPPORTED_MAGIC);
    g_assert_nonnull(strstr(text, "magic"));
    g_free(text);
  }
}

static void test_control_and_log_append_time(void)
{
  rill__batch_writer_options o = RILL__BATCH_WRITER_OPTIONS_INIT;
  o.control = true;
  o.transactional = true;
  o.producer_id = 5;
  o.producer_epoch = 0;
  GError *error = NULL;
  rill__batch_writer *w = rill__batch_writer_new(&o, &error);
  static const uint8_t commit_key[] = {0, 0, 0, 1}; /* version 0, type 1 = commit */
  static const uint8_t commit_value[] = {0, 0, 0, 0, 0, 0}; /* version 0, coordinator epoch 0 */
  rill__batch_writer_append(w, 77, commit_key, 4, commit_value, 6, NULL, 0);
  GBytes *b = rill__batch_writer_finish(w, &error);
  g_assert_no_error(error);
  rill__batch_writer_free(w);

  rill__batch_reader r;
  rill__record rec;
  int16_t version = -1, type = -1;
  rill__batch_reader_init(&r);
  g_assert_true(rill__batch_reader_open(&r, g_bytes_get_data(b, NULL), g_bytes_get_size(b),
                                        RILL__BATCH_VERIFY_CRC, MAX_OUT, &error));
  g_assert_true(r.control && r.transactional && !r.log_append_time);
  g_assert_cmphex((uint16_t)r.header.attributes, ==, 0x30);
  g_assert_cmpint(rill__batch_reader_next(&r, &rec, &error), ==, 1);
  g_assert_true(rec.control);
  g_assert_true(rill__control_record_parse(&rec, &version, &type));
  g_assert_cmpint(version, ==, 0);
  g_assert_cmpint(type, ==, 1);
  g_bytes_unref(b);

  /* LogAppendTime: every record reads as maxTimestamp, deltas as stored */
  o = RILL__BATCH_WRITER_OPTIONS_INIT;
  o.log_append_time = true;
  o.log_append_time_ms = 1234;
  w = rill__batch_writer_new(&o, &error);
  rill__batch_writer_append(w, 10, NULL, -1, "a", 1, NULL, 0);
  rill__batch_writer_append(w, 30, NULL, -1, "b", 1, NULL, 0);
  b = rill__batch_writer_finish(w, &error);
  rill__batch_writer_free(w);
  g_assert_true(rill__batch_reader_open(&r, g_bytes_get_data(b, NULL), g_bytes_get_size(b),
                                        RILL__BATCH_VERIFY_CRC, MAX_OUT, &error));
  g_assert_true(r.log_append_time);
  g_assert_cmphex((uint16_t)r.header.attributes, ==, 0x08);
  g_assert_cmpint(r.header.max_timestamp, ==, 1234);
  g_assert_cmpint(r.header.base_timestamp, ==, 10);
  g_assert_cmpint(rill__batch_reader_next(&r, &rec, &error), ==, 1);
  g_assert_false(rec.control);
  g_assert_false(rill__control_record_parse(&rec, NULL, NULL));
  g_assert_cmpint(rec.timestamp, ==, 1234);
  g_assert_cmpint(rill__batch_reader_next(&r, &rec, &error), ==, 1);
  g_assert_cmpint(rec.timestamp, ==, 1234);
  g_assert_cmpint(rec.timestamp_delta, ==, 20);
  g_assert_cmpint(rill__batch_reader_next(&r, &rec, &error), ==, 0);
  rill__batch_reader_clear(&r);
  g_bytes_unref(b);
}

int main(int argc, char **argv)
{
  static const int counts[] = {0, 1, 2, 100, 10000}; /* 0: an empty (compressed) block */
  static rt_case cases[5 * N_SHAPES * G_N_ELEMENTS(counts)];
  size_t k = 0;
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/wire/recordbatch/exact-bytes", test_exact_bytes);
  for (int c = 0; c <= RILL__CODEC_ZSTD; c++)
    for (int s = 0; s < N_SHAPES; s++)
      for (size_t n = 0; n < G_N_ELEMENTS(counts); n++) {
        cases[k] = (rt_case){(rill__codec)c, (shape)s, counts[n]};
        char *path = g_strdup_printf("/wire/recordbatch/round-trip/%s/%s/%d", rill__codec_name(c),
                                     shape_names[s], counts[n]);
        g_test_add_data_func(path, &cases[k++], test_round_trip);
        g_free(path);
      }
  g_test_add_func("/wire/recordbatch/levels", test_levels);
  g_test_add_func("/wire/recordbatch/crc-range", test_crc_range);
  for (int c = 0; c <= RILL__CODEC_ZSTD; c++) {
    char *path = g_strdup_printf("/wire/recordbatch/truncation/%s", rill__codec_name(c));
    g_test_add_data_func(path, GINT_TO_POINTER(c), test_truncation);
    g_free(path);
  }
  g_test_add_func("/wire/recordbatch/malformed", test_malformed);
  g_test_add_func("/wire/recordbatch/legacy-magic", test_legacy_magic);
  g_test_add_func("/wire/recordbatch/control-and-log-append-time", test_control_and_log_append_time);
  return g_test_run();
}
