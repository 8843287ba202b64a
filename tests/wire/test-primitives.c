/* test-primitives.c — the reader/writer primitives, headers and the error
 * table against byte sequences written out by hand from the Kafka protocol
 * guide (not produced by the code under test). */
#include "runtime/wire/message.h"

#include <glib.h>
#include <rill/kafka-error.h>

static void test_fixed_width(void)
{
  static const uint8_t in[] = {0xff, 0x80, 0x01, 0x12, 0x34, 0x56, 0x78, 0xff, 0xff, 0xff, 0xff,
                               0xff, 0xff, 0xff, 0xfe, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0x02};
  rill__wire_reader r;
  rill__wire_reader_init(&r, in, sizeof in);
  int8_t i8;
  int16_t i16;
  int32_t i32;
  int64_t i64;
  double d;
  bool b;
  g_assert_true(rill__wire_read_i8(&r, "a", &i8));
  g_assert_cmpint(i8, ==, -1);
  g_assert_true(rill__wire_read_i16(&r, "b", &i16));
  g_assert_cmpint(i16, ==, -32767);
  g_assert_true(rill__wire_read_i32(&r, "c", &i32));
  g_assert_cmpint(i32, ==, 0x12345678);
  g_assert_true(rill__wire_read_i64(&r, "d", &i64));
  g_assert_cmpint(i64, ==, -2);
  g_assert_true(rill__wire_read_f64(&r, "e", &d));
  g_assert_cmpfloat(d, ==, 1.0);
  g_assert_true(rill__wire_read_bool(&r, "f", &b));
  g_assert_true(b);
  g_assert_cmpuint(rill__wire_reader_remaining(&r), ==, 0);
  g_assert_false(rill__wire_read_i16(&r, "past-end", &i16));
  g_assert_cmpstr(r.err.field, ==, "past-end");
  g_assert_cmpuint(r.err.offset, ==, sizeof in);
  /* the first failure sticks */
  g_assert_false(rill__wire_read_i8(&r, "later", &i8));
  g_assert_cmpstr(r.err.field, ==, "past-end");

  rill__wire_writer w;
  rill__wire_writer_init(&w);
  rill__wire_write_i8(&w, -1);
  rill__wire_write_i16(&w, -32767);
  rill__wire_write_i32(&w, 0x12345678);
  rill__wire_write_i64(&w, -2);
  rill__wire_write_f64(&w, 1.0);
  rill__wire_write_bool(&w, true);
  g_assert_cmpuint(w.len, ==, sizeof in);
  g_assert_cmpmem(w.buf, w.len - 1, in, sizeof in - 1);
  g_assert_cmpuint(w.buf[w.len - 1], ==, 1); /* true is written as 1 */
  rill__wire_writer_clear(&w);
}

static void test_varints(void)
{
  /* 300 = 0xac 0x02 (protobuf docs); zigzag(-1) = 1, zigzag(-64) = 127 */
  static const uint8_t in[] = {0xac, 0x02, 0x01, 0x7f, 0x80, 0x01};
  rill__wire_reader r;
  rill__wire_reader_init(&r, in, sizeof in);
  uint32_t u;
  int32_t s;
  int64_t l;
  g_assert_true(rill__wire_read_uvarint(&r, "u", &u));
  g_assert_cmpuint(u, ==, 300);
  g_assert_true(rill__wire_read_varint(&r, "s", &s));
  g_assert_cmpint(s, ==, -1);
  g_assert_true(rill__wire_read_varlong(&r, "l", &l));
  g_assert_cmpint(l, ==, -64);
  g_assert_true(rill__wire_read_varint(&r, "s2", &s));
  g_assert_cmpint(s, ==, 64);

  static const uint8_t cut[] = {0x80, 0x80};
  rill__wire_reader_init(&r, cut, sizeof cut);
  g_assert_false(rill__wire_read_uvarint(&r, "cut", &u));
  g_assert_cmpstr(r.err.field, ==, "cut");
  g_assert_cmpuint(r.err.offset, ==, 0);

  rill__wire_writer w;
  rill__wire_writer_init(&w);
  rill__wire_write_uvarint(&w, 300);
  rill__wire_write_varint(&w, -1);
  rill__wire_write_varlong(&w, -64);
  rill__wire_write_varint(&w, 64);
  g_assert_cmpmem(w.buf, w.len, in, sizeof in);
  rill__wire_writer_clear(&w);
}

static void test_strings(void)
{
  /* classic "ab", classic null, compact "ab", compact null, compact "" */
  static const uint8_t in[] = {0x00, 0x02, 'a', 'b', 0xff, 0xff, 0x03, 'a', 'b', 0x00, 0x01};
  rill__wire_reader r;
  rill__wire_reader_init(&r, in, sizeof in);
  rill__wire_str s;
  g_assert_true(rill__wire_read_string(&r, "s1", false, false, &s));
  g_assert_true(rill__wire_str_eq(s, "ab"));
  g_assert_true(s.ptr == (const char *)in + 2); /* a slice, not a copy */
  g_assert_true(rill__wire_read_string(&r, "s2", false, true, &s));
  g_assert_cmpint(s.len, ==, -1);
  g_assert_true(rill__wire_read_string(&r, "s3", true, false, &s));
  g_assert_true(rill__wire_str_eq(s, "ab"));
  g_assert_true(rill__wire_read_string(&r, "s4", true, true, &s));
  g_assert_cmpint(s.len, ==, -1);
  g_assert_true(rill__wire_read_string(&r, "s5", true, false, &s));
  g_assert_cmpint(s.len, ==, 0);

  /* null where the version does not allow it */
  rill__wire_reader_init(&r, in + 4, 2);
  g_assert_false(rill__wire_read_string(&r, "NotNull", false, false, &s));
  g_assert_cmpstr(r.err.reason, ==, "null in non-nullable field");

  /* length past the end */
  static const uint8_t longer[] = {0x00, 0x05, 'a'};
  rill__wire_reader_init(&r, longer, sizeof longer);
  g_assert_false(rill__wire_read_string(&r, "Long", false, false, &s));
  g_assert_cmpstr(r.err.field, ==, "Long");
  g_assert_cmpstr(r.err.reason, ==, "truncated");

  /* array count larger than the bytes could hold */
  static const uint8_t arr[] = {0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 1};
  int32_t n;
  rill__wire_reader_init(&r, arr, sizeof arr);
  g_assert_false(rill__wire_read_array_len(&r, "Arr", false, false, 4, &n));

  rill__wire_writer w;
  rill__wire_writer_init(&w);
  rill__wire_write_string(&w, "s1", false, false, rill__wire_str_from("ab"));
  rill__wire_write_string(&w, "s2", false, true, RILL_WIRE_STR_NULL);
  rill__wire_write_string(&w, "s3", true, false, rill__wire_str_from("ab"));
  rill__wire_write_string(&w, "s4", true, true, RILL_WIRE_STR_NULL);
  rill__wire_write_string(&w, "s5", true, false, rill__wire_str_from(""));
  g_assert_cmpmem(w.buf, w.len, in, sizeof in);
  g_assert_false(rill__wire_write_string(&w, "NotNull", true, false, RILL_WIRE_STR_NULL));
  g_assert_cmpstr(w.err.field, ==, "NotNull");
  rill__wire_writer_clear(&w);
}

static void test_header_rules(void)
{
  g_assert_cmpint(rill__wire_request_header_version(RILL_WIRE_API_API_VERSIONS, 3), ==, 2);
  g_assert_cmpint(rill__wire_response_header_version(RILL_WIRE_API_API_VERSIONS, 3), ==, 0);
  g_assert_cmpint(rill__wire_request_header_version(RILL_WIRE_API_METADATA, 8), ==, 1);
  g_assert_cmpint(rill__wire_request_header_version(RILL_WIRE_API_METADATA, 9), ==, 2);
  g_assert_cmpint(rill__wire_response_header_version(RILL_WIRE_API_METADATA, 9), ==, 1);
  g_assert_cmpint(rill__wire_response_header_version(RILL_WIRE_API_OFFSET_FETCH, 5), ==, 0);
  g_assert_cmpint(rill__wire_response_header_version(RILL_WIRE_API_OFFSET_FETCH, 6), ==, 1);
  g_assert_false(rill__wire_is_flexible(RILL_WIRE_API_SASL_HANDSHAKE, 1));
  g_assert_true(rill__wire_is_flexible(RILL_WIRE_API_PRODUCE, 9));
  g_assert_false(rill__wire_is_flexible(RILL_WIRE_API_PRODUCE, 8));

  const rill__wire_api_info *fetch = rill__wire_api_lookup(1);
  g_assert_nonnull(fetch);
  g_assert_cmpstr(fetch->name, ==, "Fetch");
  g_assert_cmpint(fetch->first_flexible, ==, 12);
  g_assert_null(rill__wire_api_lookup(4)); /* LeaderAndIsr: not ours */
}

/* ApiVersions v3 request as librdkafka frames it: header v2 (ClientId stays
 * an int16 string, then an empty tag section), compact body strings. */
static void test_apiversions_v3_request_bytes(void)
{
  static const uint8_t expect[] = {
      0, 0, 0, 23,             /* size */
      0, 18, 0, 3, 0, 0, 0, 5, /* key 18, v3, correlation 5 */
      0, 2, 'c', 'i', 0,       /* ClientId "ci", no tags */
      3, 'r', 'k', 6, '2', '.', '0', '.', '2', 0 /* compact: length + 1; no tags */
  };
  rill__wire_api_versions_request body;
  rill__wire_api_versions_request_init(&body);
  body.client_software_name = rill__wire_str_from("rk");
  body.client_software_version = rill__wire_str_from("2.0.2");
  rill__wire_request_header h = {18, 3, 5, rill__wire_str_from("ci")};
  rill__wire_writer w;
  rill__wire_writer_init(&w);
  g_assert_true(rill__wire_request_encode(&w, &h, &body, NULL));
  g_assert_cmpmem(w.buf, w.len, expect, sizeof expect);

  rill__wire_arena arena;
  rill__wire_arena_init(&arena);
  rill__wire_request req;
  rill__wire_error err;
  g_assert_cmpint(rill__wire_request_decode(expect + 4, sizeof expect - 4, &arena, &req, &err), ==, RILL_WIRE_OK);
  g_assert_true(rill__wire_str_eq(req.body.api_versions.client_software_version, "2.0.2"));
  rill__wire_writer_clear(&w);
  rill__wire_arena_clear(&arena);
}

/* ApiVersions v3 response: header v0 (no tags) though the body is flexible;
 * a known tagged field (FinalizedFeaturesEpoch, tag 1) is written only when
 * set, and unknown tags are skipped on decode. */
static void test_apiversions_v3_response_bytes(void)
{
  static const uint8_t expect[] = {
      0, 0, 0, 0, 0, 0, 0, 9,      /* size (patched below), correlation 9 */
      0, 0,                        /* ErrorCode */
      2, 0, 18, 0, 0, 0, 3, 0,     /* ApiKeys: 1 entry {18, 0, 3}, no tags */
      0, 0, 0, 0,                  /* ThrottleTimeMs */
      1, 1, 8, 0, 0, 0, 0, 0, 0, 0, 42 /* 1 tag: #1 size 8 = 42 */
  };
  uint8_t frame[sizeof expect];
  memcpy(frame, expect, sizeof frame);
  frame[3] = sizeof frame - 4;
  rill__wire_api_versions_response_api_version key = {18, 0, 3};
  rill__wire_api_versions_response resp;
  rill__wire_api_versions_response_init(&resp);
  g_assert_cmpint(resp.finalized_features_epoch, ==, -1);
  resp.api_keys = &key;
  resp.n_api_keys = 1;
  resp.finalized_features_epoch = 42;
  rill__wire_writer w;
  rill__wire_writer_init(&w);
  g_assert_true(rill__wire_response_encode(&w, 18, 3, 9, &resp, NULL));
  g_assert_cmpmem(w.buf, w.len, frame, sizeof frame);

  /* the same with an extra unknown tag 7 (2 bytes) before the known one */
  static const uint8_t unknown[] = {0, 0, 0, 9, 0, 0, 2, 0, 18, 0, 0, 0, 3, 0, 0, 0, 0, 0,
                                    2, 1, 8, 0, 0, 0, 0, 0, 0, 0, 42, 7, 2, 0xaa, 0xbb};
  rill__wire_arena arena;
  rill__wire_arena_init(&arena);
  int32_t corr;
  rill__wire_api_versions_response back;
  rill__wire_error err;
  g_assert_cmpint(rill__wire_response_decode(unknown, sizeof unknown, 18, 3, &arena, &corr, &back, &err), ==,
                  RILL_WIRE_OK);
  g_assert_cmpint(corr, ==, 9);
  g_assert_cmpint(back.n_api_keys, ==, 1);
  g_assert_cmpint(back.api_keys[0].max_version, ==, 3);
  g_assert_cmpint(back.finalized_features_epoch, ==, 42);
  g_assert_false(back.zk_migration_ready);

  /* a tag claiming more bytes than remain */
  uint8_t bad[sizeof unknown];
  memcpy(bad, unknown, sizeof bad);
  bad[sizeof bad - 3] = 9;
  g_assert_cmpint(rill__wire_response_decode(bad, sizeof bad, 18, 3, &arena, &corr, &back, &err), ==,
                  RILL_WIRE_MALFORMED);
  g_assert_cmpstr(err.field, ==, "TaggedFields.Data");
  g_assert_cmpuint(err.offset, ==, sizeof bad - 2);
  GError *gerr = NULL;
  rill__wire_set_gerror(&gerr, RILL_WIRE_MALFORMED, &err);
  g_assert_error(gerr, RILL_WIRE_ERROR, RILL_WIRE_ERROR_MALFORMED);
  g_assert_nonnull(strstr(gerr->message, "TaggedFields.Data at offset 31"));
  g_error_free(gerr);
  rill__wire_writer_clear(&w);
  rill__wire_arena_clear(&arena);
}

/* Metadata v0 request: a bare int32-counted array of int16 strings. */
static void test_metadata_v0_bytes(void)
{
  static const uint8_t body[] = {0, 0, 0, 2, 0, 1, 'a', 0, 2, 'b', 'c'};
  rill__wire_reader r;
  rill__wire_reader_init(&r, body, sizeof body);
  rill__wire_arena arena;
  rill__wire_arena_init(&arena);
  rill__wire_metadata_request m;
  g_assert_true(rill__wire_metadata_request_decode(&r, 0, &arena, &m));
  g_assert_cmpint(m.n_topics, ==, 2);
  g_assert_true(rill__wire_str_eq(m.topics[1].name, "bc"));
  g_assert_true(m.allow_auto_topic_creation); /* v4+ field: default true */
  /* a null topic array is only legal from v1 */
  static const uint8_t null_topics[] = {0xff, 0xff, 0xff, 0xff};
  rill__wire_reader_init(&r, null_topics, sizeof null_topics);
  g_assert_false(rill__wire_metadata_request_decode(&r, 0, &arena, &m));
  g_assert_cmpstr(r.err.field, ==, "MetadataRequest.Topics");
  rill__wire_reader_init(&r, null_topics, sizeof null_topics);
  g_assert_true(rill__wire_metadata_request_decode(&r, 1, &arena, &m));
  g_assert_cmpint(m.n_topics, ==, -1);
  rill__wire_arena_clear(&arena);
}

static void test_arena_limit(void)
{
  rill__wire_arena arena;
  rill__wire_arena_init(&arena);
  arena.limit = 100;
  g_assert_nonnull(rill__wire_arena_alloc(&arena, 64));
  g_assert_null(rill__wire_arena_alloc(&arena, 64));
  rill__wire_arena_clear(&arena);
  g_assert_nonnull(rill__wire_arena_alloc(&arena, 64));
  rill__wire_arena_clear(&arena);
}

static void test_error_table(void)
{
  g_assert_cmpstr(rill_kafka_error_name(3), ==, "UNKNOWN_TOPIC_OR_PARTITION");
  g_assert_cmpstr(rill_kafka_error_name(-1), ==, "UNKNOWN_SERVER_ERROR");
  g_assert_cmpstr(rill_kafka_error_name(35), ==, "UNSUPPORTED_VERSION");
  g_assert_cmpint(RILL_KAFKA_ERR_REBALANCE_IN_PROGRESS, ==, 27);
  g_assert_cmpint(RILL_KAFKA_ERR_INVALID_RECORD, ==, 87);
  g_assert_true(rill_kafka_error_retriable(15));  /* COORDINATOR_NOT_AVAILABLE */
  g_assert_true(rill_kafka_error_retriable(6));   /* NOT_LEADER_OR_FOLLOWER */
  g_assert_false(rill_kafka_error_retriable(45)); /* OUT_OF_ORDER_SEQUENCE_NUMBER */
  g_assert_false(rill_kafka_error_retriable(0));
  g_assert_null(rill_kafka_error_name(30000));
  g_assert_false(rill_kafka_error_retriable(-2));
  g_assert_nonnull(rill_kafka_error_message(46));
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/wire/primitives/fixed-width", test_fixed_width);
  g_test_add_func("/wire/primitives/varints", test_varints);
  g_test_add_func("/wire/primitives/strings", test_strings);
  g_test_add_func("/wire/primitives/arena-limit", test_arena_limit);
  g_test_add_func("/wire/headers/rules", test_header_rules);
  g_test_add_func("/wire/headers/apiversions-v3-request", test_apiversions_v3_request_bytes);
  g_test_add_func("/wire/headers/apiversions-v3-response", test_apiversions_v3_response_bytes);
  g_test_add_func("/wire/messages/metadata-v0", test_metadata_v0_bytes);
  g_test_add_func("/wire/errors/table", test_error_table);
  return g_test_run();
}
