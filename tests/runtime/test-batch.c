/* test-batch.c — buffers, batches and the builder: bytes copied or
 * referenced as promised, markers, slicing, in-place retain, copy-on-write. */
#include <rill/rill.h>

#include "runtime/batch-private.h"

static void test_builder_copies(void)
{
  rill_batch_builder *bb = rill_batch_builder_new(4);
  char key[8] = "k0", val[16] = "value-0";
  for (int i = 0; i < 4; i++) {
    key[1] = (char)('0' + i);
    val[6] = (char)('0' + i);
    rill_batch_builder_append_kv(bb, key, 2, val, 7, 1000 + i);
  }
  /* Overwrite the caller's bytes: the batch must hold its own copies. */
  memset(key, 'x', sizeof key);
  memset(val, 'x', sizeof val);
  g_assert_true(rill_batch_builder_is_full(bb));
  rill_batch *b = rill_batch_builder_finish(bb);
  g_assert_nonnull(b);
  g_assert_true(rill_batch_builder_is_empty(bb));
  g_assert_cmpuint(rill_batch_len(b), ==, 4);
  g_assert_cmpuint(rill_batch_payload_bytes(b), ==, 4 * 9);
  const rill_record *r = rill_batch_records(b);
  g_assert_cmpmem(r[2].key.data, r[2].key.len, "k2", 2);
  g_assert_cmpmem(r[3].value.data, r[3].value.len, "value-3", 7);
  g_assert_cmpint(r[1].timestamp, ==, 1001);
  g_assert_cmpint(r[1].partition, ==, -1);
  g_assert_false(rill_batch_has_watermark(b));
  g_assert_cmpuint(rill_batch_barrier(b), ==, 0);
  rill_batch_unref(b);
  g_assert_null(rill_batch_builder_finish(bb));
  rill_batch_builder_free(bb);
}

static void test_null_and_headers(void)
{
  rill_batch_builder *bb = rill_batch_builder_new(0);
  rill_header hs[2] = {{rill_bytes_from_string("a"), rill_bytes_from_string("1")},
                       {rill_bytes_from_string("bb"), {NULL, 0}}};
  char topic[] = "orders";
  rill_record in = RILL_RECORD_INIT;
  in.value = rill_bytes_make("", 0); /* present but empty */
  in.headers = hs;
  in.n_headers = 2;
  in.topic = topic;
  in.partition = 3;
  in.offset = 42;
  rill_batch_builder_append(bb, &in);
  rill_batch_builder_append(bb, &in);
  topic[0] = 'X';
  rill_batch *b = rill_batch_builder_finish(bb);
  const rill_record *r = rill_batch_records(b);
  g_assert_null(r[0].key.data);
  g_assert_nonnull(r[0].value.data);
  g_assert_cmpuint(r[0].value.len, ==, 0);
  g_assert_cmpstr(r[1].topic, ==, "orders");
  g_assert_cmpint(r[1].partition, ==, 3);
  g_assert_cmpint(r[1].offset, ==, 42);
  const rill_bytes *h = rill_record_header(&r[1], "a");
  g_assert_nonnull(h);
  g_assert_cmpmem(h->data, h->len, "1", 1);
  h = rill_record_header(&r[1], "bb");
  g_assert_nonnull(h);
  g_assert_null(h->data);
  g_assert_null(rill_record_header(&r[1], "c"));
  g_assert_false(rill_bytes_equal(r[0].key, r[0].value));
  g_assert_cmpuint(rill_record_payload_size(&r[0]), ==, 4);
  rill_batch_unref(b);
  rill_batch_builder_free(bb);
}

static int released;
static void release_owner(void *p) { released += GPOINTER_TO_INT(p); }

static void test_reference_without_copy(void)
{
  static const char data[] = "KEYVALUE";
  rill_buffer *wrapped = rill_buffer_new_wrapped(data, 8, GINT_TO_POINTER(1), release_owner);
  rill_batch_builder *bb = rill_batch_builder_new(0);
  rill_batch_builder_reference_buffer(bb, wrapped);
  rill_buffer_unref(wrapped);
  rill_record r = RILL_RECORD_INIT;
  r.key = rill_bytes_make(data, 3);
  r.value = rill_bytes_make(data + 3, 5);
  rill_batch_builder_append_raw(bb, &r);
  rill_batch *src = rill_batch_builder_finish(bb);

  /* Forward the record into a second batch without copying its bytes. */
  rill_batch_builder_append_ref(bb, &rill_batch_records(src)[0], src);
  rill_batch_builder_append_ref(bb, &rill_batch_records(src)[0], src);
  rill_batch *fwd = rill_batch_builder_finish(bb);
  rill_batch_unref(src);
  g_assert_cmpint(released, ==, 0);
  g_assert_true(rill_batch_records(fwd)[1].value.data == (const uint8_t *)data + 3);
  g_assert_cmpuint(fwd->n_buffers, ==, 1);

  rill_batch *s = rill_batch_slice(fwd, 1, 1);
  rill_batch_unref(fwd);
  g_assert_cmpint(released, ==, 0);
  g_assert_cmpuint(rill_batch_len(s), ==, 1);
  g_assert_cmpuint(rill_batch_payload_bytes(s), ==, 8);
  rill_batch_unref(s);
  g_assert_cmpint(released, ==, 1);
  rill_batch_builder_free(bb);
}

static gboolean keep_even(const rill_record *r, void *ud)
{
  return r->timestamp % 2 == 0;
}

static void test_retain_and_cow(void)
{
  rill_batch_builder *bb = rill_batch_builder_new(0);
  for (int i = 0; i < 10; i++)
    rill_batch_builder_append_kv(bb, "k", 1, "vv", 2, i);
  rill_batch_builder_set_watermark(bb, 77);
  rill_batch_builder_set_barrier(bb, 5);
  rill_batch *b = rill_batch_builder_finish(bb);
  rill_batch *shared = rill_batch_ref(b);
  g_assert_false(rill_batch_is_writable(b));
  b = rill_batch_make_writable(b);
  g_assert_true(b != shared);
  g_assert_true(rill_batch_is_writable(b));
  g_assert_cmpuint(rill_batch_retain(b, keep_even, NULL), ==, 5);
  g_assert_cmpuint(rill_batch_payload_bytes(b), ==, 15);
  for (size_t i = 0; i < 5; i++)
    g_assert_cmpint(rill_batch_records(b)[i].timestamp, ==, (int64_t)(2 * i));
  /* The other holder still sees all ten records. */
  g_assert_cmpuint(rill_batch_len(shared), ==, 10);
  g_assert_cmpint(rill_batch_watermark(b), ==, 77);
  g_assert_cmpuint(rill_batch_barrier(b), ==, 5);
  rill_batch_unref(shared);
  rill_batch_unref(b);

  rill_batch *m = rill_batch_new_marker(TRUE, 9, 0);
  g_assert_cmpuint(rill_batch_len(m), ==, 0);
  g_assert_true(rill_batch_has_watermark(m));
  rill_batch_unref(m);
  rill_batch_builder_free(bb);
}

static void test_large_and_many(void)
{
  /* Values bigger than an arena chunk and enough records to span chunks. */
  rill_batch_builder *bb = rill_batch_builder_new(100000);
  guint8 *big = g_malloc(200000);
  for (int i = 0; i < 200000; i++)
    big[i] = (guint8)i;
  rill_batch_builder_append_kv(bb, NULL, 0, big, 200000, 0);
  for (int i = 0; i < 5000; i++)
    rill_batch_builder_append_kv(bb, &i, sizeof i, big, 100, i);
  rill_batch *b = rill_batch_builder_finish(bb);
  const rill_record *r = rill_batch_records(b);
  g_assert_cmpmem(r[0].value.data, r[0].value.len, big, 200000);
  for (int i = 0; i < 5000; i++) {
    int k;
    memcpy(&k, r[i + 1].key.data, sizeof k);
    g_assert_cmpint(k, ==, i);
    g_assert_cmpmem(r[i + 1].value.data, 100, big, 100);
  }
  rill_batch_unref(b);
  g_free(big);
  rill_batch_builder_free(bb);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/batch/builder-copies", test_builder_copies);
  g_test_add_func("/batch/null-and-headers", test_null_and_headers);
  g_test_add_func("/batch/reference-without-copy", test_reference_without_copy);
  g_test_add_func("/batch/retain-and-cow", test_retain_and_cow);
  g_test_add_func("/batch/large-and-many", test_large_and_many);
  return g_test_run();
}
