/* test-recordbatch-interop.c — decodes RecordBatches that real clients wrote:
 * librdkafka (linked in, every codec: none, gzip, snappy, lz4, zstd) and
 * kafka-python (/usr/bin/python3, none and gzip, the codecs it can import).
 *
 * A capture broker on 127.0.0.1 (ephemeral port, one thread per connection)
 * answers just enough of the protocol for a producer — ApiVersions v0 (error
 * 35 with the same body for higher versions, as KIP-511 says), Metadata v0/v1
 * naming itself as the leader of one single-partition topic, and Produce v3-v7
 * — and keeps the raw record set of each Produce request, keyed by client id.
 * The response encoding here is hand-written for the test; rill's message
 * codec is tested elsewhere.
 *
 * Expected values are what each client was told to send (key, value,
 * headers, timestamps, codec), never what our decoder says.
 */
#include <gio/gio.h>
#include <glib.h>
#include <librdkafka/rdkafka.h>
#include <string.h>

#include "runtime/wire/recordbatch.h"

#define TOPIC "rill-capture"
#define N_MSGS 40
#define BASE_TS 1600000000000

/* ---- capture broker ------------------------------------------------------------ */

typedef struct {
  GSocket *listener;
  int port;
  GMutex lock;
  GCond cond;
  GHashTable *captured; /* client id -> GPtrArray of GBytes record sets */
  GPtrArray *threads;
  GPtrArray *conns;
  gboolean stopping;
} capture;

static bool read_exact(GSocket *s, uint8_t *buf, size_t n)
{
  while (n > 0) {
    gssize got = g_socket_receive(s, (gchar *)buf, n, NULL, NULL);
    if (got <= 0)
      return false;
    buf += got, n -= (size_t)got;
  }
  return true;
}

static void send_all(GSocket *s, const GByteArray *a)
{
  size_t off = 0;
  while (off < a->len) {
    gssize n = g_socket_send(s, (const gchar *)a->data + off, a->len - off, NULL, NULL);
    if (n <= 0)
      return;
    off += (size_t)n;
  }
}

static void put16(GByteArray *a, int v) { uint8_t b[2]; rill_put_be16(b, (uint16_t)v); g_byte_array_append(a, b, 2); }
static void put32(GByteArray *a, int64_t v) { uint8_t b[4]; rill_put_be32(b, (uint32_t)v); g_byte_array_append(a, b, 4); }
static void put64(GByteArray *a, int64_t v) { uint8_t b[8]; rill_put_be64(b, (uint64_t)v); g_byte_array_append(a, b, 8); }
static void putstr(GByteArray *a, const char *s) { put16(a, (int)strlen(s)); g_byte_array_append(a, (const guint8 *)s, (guint)strlen(s)); }

/* A bounded reader over a request body; any overrun marks it bad. */
typedef struct { const uint8_t *p, *end; bool bad; } cursor;
static int64_t take(cursor *c, int n)
{
  if (c->bad || c->end - c->p < n) {
    c->bad = true;
    return 0;
  }
  int64_t v = n == 2 ? (int16_t)rill__be16(c->p) : n == 4 ? (int32_t)rill__be32(c->p) : (int64_t)rill__be64(c->p);
  c->p += n;
  return v;
}
static const uint8_t *take_bytes(cursor *c, int64_t n)
{
  if (c->bad || n < 0 || c->end - c->p < n) {
    c->bad = true;
    return NULL;
  }
  const uint8_t *p = c->p;
  c->p += n;
  return p;
}

/* librdkafka <= 2.11.0 compresses with gzip/snappy/lz4 only when the broker's
 * Produce range includes v0 (rd_kafka_msgset_writer_select_MsgVersion() asks
 * whether Produce overlaps [0, 0]) and lz4 also needs FindCoordinator v0 (its
 * feature map); zstd needs Produce v7 and Fetch v10. Hence these ranges. */
static void answer_api_versions(GByteArray *r, int version)
{
  static const int16_t apis[][3] = {{0, 0, 7}, {1, 4, 11}, {3, 0, 1}, {10, 0, 0}, {18, 0, 0}};
  put16(r, version == 0 ? 0 : 35);
  put32(r, G_N_ELEMENTS(apis));
  for (size_t i = 0; i < G_N_ELEMENTS(apis); i++)
    put16(r, apis[i][0]), put16(r, apis[i][1]), put16(r, apis[i][2]);
}

static void answer_metadata(GByteArray *r, int version, int port)
{
  put32(r, 1); /* brokers */
  put32(r, 1), putstr(r, "127.0.0.1"), put32(r, port);
  if (version >= 1)
    put16(r, -1); /* rack: null */
  if (version >= 1)
    put32(r, 1); /* controller id */
  put32(r, 1); /* topics */
  put16(r, 0), putstr(r, TOPIC);
  if (version >= 1)
    g_byte_array_append(r, (const guint8 *)"\0", 1); /* is_internal */
  put32(r, 1); /* partitions */
  put16(r, 0), put32(r, 0), put32(r, 1);
  put32(r, 1), put32(r, 1); /* replicas [1] */
  put32(r, 1), put32(r, 1); /* isr [1] */
}

/* Parses a Produce v3-v7 body, stores each partition's records, writes the
 * response; returns false for acks=0 (no response) or a malformed request. */
static bool answer_produce(capture *cap, const char *client, GByteArray *r, int version, cursor *c)
{
  int16_t tid_len = (int16_t)take(c, 2);
  if (tid_len > 0)
    take_bytes(c, tid_len);
  int16_t acks = (int16_t)take(c, 2);
  take(c, 4); /* timeout */
  int32_t n_topics = (int32_t)take(c, 4);
  put32(r, n_topics);
  for (int32_t t = 0; t < n_topics && !c->bad; t++) {
    int16_t name_len = (int16_t)take(c, 2);
    const uint8_t *name = take_bytes(c, name_len);
    int32_t n_parts = (int32_t)take(c, 4);
    put16(r, name_len);
    if (name)
      g_byte_array_append(r, name, (guint)name_len);
    put32(r, n_parts);
    for (int32_t p = 0; p < n_parts && !c->bad; p++) {
      int32_t index = (int32_t)take(c, 4);
      int32_t size = (int32_t)take(c, 4);
      const uint8_t *records = take_bytes(c, size);
      if (records) {
        g_mutex_lock(&cap->lock);
        GPtrArray *list = g_hash_table_lookup(cap->captured, client);
        if (!list) {
          list = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
          g_hash_table_insert(cap->captured, g_strdup(client), list);
        }
        g_ptr_array_add(list, g_bytes_new(records, (gsize)size));
        g_cond_broadcast(&cap->cond);
        g_mutex_unlock(&cap->lock);
      }
      put32(r, index), put16(r, 0), put64(r, 0), put64(r, -1); /* base offset 0, CreateTime */
      if (version >= 5)
        put64(r, 0); /* log start offset */
    }
  }
  put32(r, 0); /* throttle time */
  return acks != 0 && !c->bad;
}

static gpointer serve_connection(gpointer data)
{
  void **args = data;
  capture *cap = args[0];
  GSocket *s = args[1];
  g_free(args);
  for (;;) {
    uint8_t len_be[4];
    if (!read_exact(s, len_be, 4))
      break;
    uint32_t len = rill__be32(len_be);
    if (len < 10 || len > (64u << 20))
      break;
    uint8_t *req = g_malloc(len);
    if (!read_exact(s, req, len)) {
      g_free(req);
      break;
    }
    cursor c = {req, req + len, false};
    int key = (int)take(&c, 2), version = (int)take(&c, 2);
    int32_t corr = (int32_t)take(&c, 4);
    int16_t cid_len = (int16_t)take(&c, 2);
    const uint8_t *cid = cid_len > 0 ? take_bytes(&c, cid_len) : NULL;
    char *client = g_strndup(cid ? (const char *)cid : "", cid ? (gsize)cid_len : 0);
    GByteArray *r = g_byte_array_new();
    put32(r, 0); /* size, patched below */
    put32(r, corr);
    bool reply = true;
    if (key == 18) {
      answer_api_versions(r, version);
    } else if (key == 3 && version <= 1) {
      answer_metadata(r, version, cap->port);
    } else if (key == 0 && version >= 3 && version <= 7) {
      reply = answer_produce(cap, client, r, version, &c);
    } else {
      g_test_message("capture: unexpected request key %d v%d from %s", key, version, client);
      reply = false;
    }
    if (reply) {
      rill_put_be32(r->data, r->len - 4);
      send_all(s, r);
    }
    g_byte_array_unref(r);
    g_free(client);
    g_free(req);
  }
  return NULL;
}

static gpointer serve(gpointer data)
{
  capture *cap = data;
  for (;;) {
    GSocket *s = g_socket_accept(cap->listener, NULL, NULL);
    if (!s)
      break;
    g_mutex_lock(&cap->lock);
    if (cap->stopping) {
      g_mutex_unlock(&cap->lock);
      g_object_unref(s);
      break;
    }
    void **args = g_new(void *, 2);
    args[0] = cap, args[1] = s;
    g_ptr_array_add(cap->conns, s);
    g_ptr_array_add(cap->threads, g_thread_new("capture-conn", serve_connection, args));
    g_mutex_unlock(&cap->lock);
  }
  return NULL;
}

static capture *capture_start(GThread **thread)
{
  capture *cap = g_new0(capture, 1);
  GError *error = NULL;
  g_mutex_init(&cap->lock);
  g_cond_init(&cap->cond);
  cap->captured = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_ptr_array_unref);
  cap->threads = g_ptr_array_new();
  cap->conns = g_ptr_array_new_with_free_func(g_object_unref);
  cap->listener = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error(error);
  GInetAddress *lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
  GSocketAddress *addr = g_inet_socket_address_new(lo, 0);
  g_assert_true(g_socket_bind(cap->listener, addr, TRUE, &error));
  g_assert_true(g_socket_listen(cap->listener, &error));
  g_assert_no_error(error);
  g_object_unref(addr);
  g_object_unref(lo);
  GSocketAddress *bound = g_socket_get_local_address(cap->listener, &error);
  cap->port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
  g_object_unref(bound);
  *thread = g_thread_new("capture", serve, cap);
  return cap;
}

static void capture_stop(capture *cap, GThread *thread)
{
  g_mutex_lock(&cap->lock);
  cap->stopping = TRUE;
  for (guint i = 0; i < cap->conns->len; i++)
    g_socket_shutdown(cap->conns->pdata[i], TRUE, TRUE, NULL);
  g_mutex_unlock(&cap->lock);
  g_socket_shutdown(cap->listener, TRUE, TRUE, NULL); /* wakes accept() */
  g_thread_join(thread);
  for (guint i = 0; i < cap->threads->len; i++)
    g_thread_join(cap->threads->pdata[i]);
  g_object_unref(cap->listener);
  g_ptr_array_unref(cap->threads);
  g_ptr_array_unref(cap->conns);
  g_hash_table_unref(cap->captured);
  g_mutex_clear(&cap->lock);
  g_cond_clear(&cap->cond);
  g_free(cap);
}

/* Waits (bounded) for @client's record sets. Called after the client saw its
 * Produce responses, and sets are stored before responding, so all are there. */
static GPtrArray *capture_wait(capture *cap, const char *client)
{
  gint64 deadline = g_get_monotonic_time() + 30 * G_TIME_SPAN_SECOND;
  GPtrArray *list = NULL;
  g_mutex_lock(&cap->lock);
  while (!(list = g_hash_table_lookup(cap->captured, client)))
    if (!g_cond_wait_until(&cap->cond, &cap->lock, deadline))
      break;
  if (list)
    g_ptr_array_ref(list);
  g_mutex_unlock(&cap->lock);
  g_assert_nonnull(list);
  return list;
}

/* ---- what the clients are told to send ---------------------------------------- */

/* Message i: key "key-i" (null every 10th), a compressible value (null every
 * 13th), timestamp BASE_TS + i, headers ("trace", "t-i") and, on even
 * messages, ("empty", null or zero bytes). */
static char *msg_key(int i) { return i % 10 == 9 ? NULL : g_strdup_printf("key-%d", i); }
static char *msg_value(int i)
{
  return i % 13 == 12 ? NULL : g_strdup_printf("value-%d the quick brown fox jumps over the lazy dog the quick brown fox", i);
}

/* Decodes every batch in @sets and checks them against the messages above.
 * @null_header: the "empty" header's value is null (librdkafka) rather than
 * zero bytes (kafka-python, which cannot send a null header value). */
static void check_sets(GPtrArray *sets, rill__codec codec, bool null_header)
{
  rill__batch_reader r;
  GError *error = NULL;
  int i = 0, batches = 0, coded = 0;
  rill__batch_reader_init(&r);
  for (guint s = 0; s < sets->len; s++) {
    gsize len;
    const uint8_t *p = g_bytes_get_data(sets->pdata[s], &len);
    while (len > 0) {
      g_assert_true(rill__batch_reader_open(&r, p, len, RILL__BATCH_VERIFY_CRC, 64u << 20, &error));
      g_assert_no_error(error);
      /* Clients send a batch uncompressed when compressing would not
       * shrink it (librdkafka does this for tiny batches, which timing on a
       * loaded machine can produce): any other codec is wrong, and most
       * records must come in batches of the requested codec. */
      g_assert_true(r.codec == codec || r.codec == RILL__CODEC_NONE);
      coded += r.codec == codec ? r.header.records_count : 0;
      g_assert_false(r.log_append_time || r.transactional || r.control);
      g_assert_cmpint(r.header.producer_id, ==, -1);
      batches++;
      rill__record rec;
      int rc;
      while ((rc = rill__batch_reader_next(&r, &rec, &error)) > 0) {
        g_assert_cmpint(i, <, N_MSGS);
        char *key = msg_key(i), *value = msg_value(i);
        g_assert_cmpint(rec.offset_delta, ==, rec.offset - r.header.base_offset);
        g_assert_cmpint(rec.timestamp, ==, BASE_TS + i);
        if (key)
          g_assert_cmpmem(rec.key, rec.key_len, key, strlen(key));
        else
          g_assert_true(rec.key == NULL && rec.key_len == -1);
        if (value)
          g_assert_cmpmem(rec.value, rec.value_len, value, strlen(value));
        else
          g_assert_true(rec.value == NULL && rec.value_len == -1);
        g_assert_cmpint(rec.header_count, ==, i % 2 == 0 ? 2 : 1);
        rill__record_header_iter it;
        rill__record_header h;
        char *tv = g_strdup_printf("t-%d", i);
        rill__record_header_iter_init(&it, &rec);
        g_assert_true(rill__record_header_iter_next(&it, &h));
        g_assert_cmpmem(h.key, h.key_len, "trace", 5);
        g_assert_cmpmem(h.value, h.value_len, tv, strlen(tv));
        if (i % 2 == 0) {
          g_assert_true(rill__record_header_iter_next(&it, &h));
          g_assert_cmpmem(h.key, h.key_len, "empty", 5);
          g_assert_cmpint(h.value_len, ==, null_header ? -1 : 0);
          g_assert_true((h.value == NULL) == null_header);
        }
        g_free(tv);
        g_assert_false(rill__record_header_iter_next(&it, &h));
        g_free(key);
        g_free(value);
        i++;
      }
      g_assert_no_error(error);
      g_assert_cmpint(rc, ==, 0);
      p += r.batch_size, len -= r.batch_size;
    }
  }
  g_assert_cmpint(i, ==, N_MSGS);
  g_test_message("%d records in %d batches", i, batches);
  g_assert_cmpint(coded, >=, N_MSGS / 2);
  rill__batch_reader_clear(&r);
}

/* ---- librdkafka ----------------------------------------------------------------- */

static capture *cap;

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
  int *delivered = opaque;
  if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR)
    (*delivered)++;
  else
    g_test_message("delivery failed: %s", rd_kafka_err2str(m->err));
}

static void test_librdkafka(gconstpointer data)
{
  rill__codec codec = GPOINTER_TO_INT(data);
  char errstr[512], port[16], client[64];
  int delivered = 0;
  g_snprintf(port, sizeof port, "127.0.0.1:%d", cap->port);
  g_snprintf(client, sizeof client, "rill-lrk-%s", rill__codec_name(codec));
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  const char *props[][2] = {
      {"bootstrap.servers", port}, {"client.id", client}, {"compression.codec", rill__codec_name(codec)},
      {"linger.ms", "1000"},        {"acks", "all"},       {"enable.idempotence", "false"},
      {"broker.address.family", "v4"},
  };
  for (size_t k = 0; k < G_N_ELEMENTS(props); k++)
    g_assert_cmpint(rd_kafka_conf_set(conf, props[k][0], props[k][1], errstr, sizeof errstr), ==, RD_KAFKA_CONF_OK);
  rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
  rd_kafka_conf_set_opaque(conf, &delivered);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  g_assert_nonnull(rk);
  for (int i = 0; i < N_MSGS; i++) {
    char *key = msg_key(i), *value = msg_value(i), *tv = g_strdup_printf("t-%d", i);
    rd_kafka_headers_t *hdrs = rd_kafka_headers_new(2);
    rd_kafka_header_add(hdrs, "trace", -1, tv, -1);
    if (i % 2 == 0)
      rd_kafka_header_add(hdrs, "empty", -1, NULL, 0);
    rd_kafka_resp_err_t err = rd_kafka_producev(
        rk, RD_KAFKA_V_TOPIC(TOPIC), RD_KAFKA_V_PARTITION(0), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_KEY(key, key ? strlen(key) : 0), RD_KAFKA_V_VALUE(value, value ? strlen(value) : 0),
        RD_KAFKA_V_TIMESTAMP(BASE_TS + i), RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
    g_assert_cmpint(err, ==, RD_KAFKA_RESP_ERR_NO_ERROR);
    g_free(key), g_free(value), g_free(tv);
  }
  g_assert_cmpint(rd_kafka_flush(rk, 30000), ==, RD_KAFKA_RESP_ERR_NO_ERROR);
  g_assert_cmpint(delivered, ==, N_MSGS);
  rd_kafka_destroy(rk);

  GPtrArray *sets = capture_wait(cap, client);
  check_sets(sets, codec, true);
  g_ptr_array_unref(sets);
}

/* ---- kafka-python ----------------------------------------------------------------- */

static const char kafka_python_script[] =
    "import sys\n"
    "from kafka import KafkaProducer\n"
    "port, codec, client = sys.argv[1], sys.argv[2], sys.argv[3]\n"
    "p = KafkaProducer(bootstrap_servers='127.0.0.1:' + port, client_id=client,\n"
    "                  compression_type=None if codec == 'none' else codec, linger_ms=200)\n"
    "fs = []\n"
    "for i in range(int(sys.argv[4])):\n"
    "    key = None if i % 10 == 9 else ('key-%d' % i).encode()\n"
    "    value = None if i % 13 == 12 else ('value-%d the quick brown fox jumps over the lazy dog the quick brown fox' % i).encode()\n"
    "    hdrs = [('trace', ('t-%d' % i).encode())] + ([('empty', b'')] if i % 2 == 0 else [])\n"
    "    fs.append(p.send('" TOPIC "', key=key, value=value, partition=0, timestamp_ms=" G_STRINGIFY(BASE_TS) " + i, headers=hdrs))\n"
    "p.flush(30)\n"
    "for f in fs:\n"
    "    f.get(timeout=30)\n"
    "p.close(30)\n";

static void test_kafka_python(gconstpointer data)
{
  rill__codec codec = GPOINTER_TO_INT(data);
  char port[16], n[16], client[64];
  g_snprintf(port, sizeof port, "%d", cap->port);
  g_snprintf(n, sizeof n, "%d", N_MSGS);
  g_snprintf(client, sizeof client, "rill-kp-%s", rill__codec_name(codec));
  const char *argv[] = {"/usr/bin/python3", "-c", kafka_python_script, port, rill__codec_name(codec), client, n, NULL};
  GError *error = NULL;
  char *out = NULL, *err = NULL;
  int status;
  g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error));
  g_assert_no_error(error);
  if (!g_spawn_check_wait_status(status, NULL))
    g_test_message("kafka-python stderr: %s", err);
  g_assert_true(g_spawn_check_wait_status(status, &error));
  g_free(out), g_free(err);

  GPtrArray *sets = capture_wait(cap, client);
  check_sets(sets, codec, false);
  g_ptr_array_unref(sets);
}

int main(int argc, char **argv)
{
  GThread *thread;
  g_test_init(&argc, &argv, NULL);
  cap = capture_start(&thread);
  for (int c = RILL__CODEC_NONE; c <= RILL__CODEC_ZSTD; c++) {
    char *path = g_strdup_printf("/wire/recordbatch-interop/librdkafka/%s", rill__codec_name(c));
    g_test_add_data_func(path, GINT_TO_POINTER(c), test_librdkafka);
    g_free(path);
  }
  /* kafka-python here can import only gzip (no python3-snappy/lz4/zstd packages) */
  for (int c = RILL__CODEC_NONE; c <= RILL__CODEC_GZIP; c++) {
    char *path = g_strdup_printf("/wire/recordbatch-interop/kafka-python/%s", rill__codec_name(c));
    g_test_add_data_func(path, GINT_TO_POINTER(c), test_kafka_python);
    g_free(path);
  }
  int rc = g_test_run();
  capture_stop(cap, thread);
  return rc;
}
