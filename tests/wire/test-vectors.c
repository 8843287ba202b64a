/* test-vectors.c — decodes the requests real clients sent (captured by
 * tests/wire/capture.py from kcat/librdkafka 2.0.2, kafka-python 2.0.2 and
 * kafkajs 2.2.4) and checks them against what each client was told to send,
 * as listed in tests/wire/vectors/manifest.txt. Also checks that re-encoding
 * each decoded request reproduces the client's bytes exactly.
 */
#include "runtime/wire/batch-header.h"
#include "runtime/wire/message.h"

#include <glib.h>

typedef struct {
  char *file;
  int api, version;
  GHashTable *kv; /* the client's inputs: client_id, topic, group, messages, compression, acks */
} vector;

static GPtrArray *load_manifest(void)
{
  char *path = g_build_filename(RILL_SOURCE_DIR, "tests", "wire", "vectors", "manifest.txt", NULL);
  char *text = NULL;
  GError *error = NULL;
  g_assert_true(g_file_get_contents(path, &text, NULL, &error));
  g_assert_no_error(error);
  GPtrArray *out = g_ptr_array_new();
  char **lines = g_strsplit(text, "\n", -1);
  for (char **l = lines; *l; l++) {
    if (!**l || **l == '#')
      continue;
    char **words = g_strsplit(*l, " ", -1);
    vector *v = g_new0(vector, 1);
    v->file = g_strdup(words[0]);
    v->kv = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    for (char **w = words + 1; *w; w++) {
      char *eq = strchr(*w, '=');
      g_assert_nonnull(eq);
      g_hash_table_insert(v->kv, g_strndup(*w, (gsize)(eq - *w)), g_strdup(eq + 1));
    }
    v->api = atoi(g_hash_table_lookup(v->kv, "api"));
    v->version = atoi(g_hash_table_lookup(v->kv, "version"));
    g_strfreev(words);
    g_ptr_array_add(out, v);
  }
  g_strfreev(lines);
  g_free(text);
  g_free(path);
  return out;
}

static const char *want(const vector *v, const char *key)
{
  const char *s = g_hash_table_lookup(v->kv, key);
  if (!s)
    g_error("%s: manifest has no %s", v->file, key);
  return s;
}

static bool str_is(rill__wire_str s, const char *c)
{
  return rill__wire_str_eq(s, c);
}

static int codec_id(const char *name)
{
  static const char *names[] = {"none", "gzip", "snappy", "lz4", "zstd"};
  for (int i = 0; i < 5; i++)
    if (g_str_equal(names[i], name))
      return i;
  g_error("unknown compression %s", name);
}

/* Produce: one topic, partition 0, one RecordBatch v2 with a valid CRC-32C,
 * the client's codec and its message count. */
static void check_produce(const vector *v, const rill__wire_produce_request *p)
{
  g_assert_cmpint(p->acks, ==, atoi(want(v, "acks")));
  g_assert_cmpint(p->n_topics, ==, 1);
  g_assert_true(str_is(p->topics[0].name, want(v, "topic")));
  g_assert_cmpint(p->topics[0].n_partitions, ==, 1);
  g_assert_cmpint(p->topics[0].partitions[0].index, ==, 0);
  rill__wire_bytes rec = p->topics[0].partitions[0].records;
  g_assert_cmpint(rec.len, >, RILL_BATCH_HEADER_SIZE);
  rill_batch_header bh;
  g_assert_cmpint(rill__batch_header_parse(rec.ptr, (size_t)rec.len, true, &bh), ==, RILL_BATCH_OK);
  g_assert_cmpint(bh.batch_length + RILL_BATCH_LOG_OVERHEAD, ==, rec.len); /* exactly one batch */
  g_assert_cmpint(bh.attributes & RILL_BATCH_ATTR_CODEC_MASK, ==, codec_id(want(v, "compression")));
  g_assert_cmpint(bh.records_count, ==, atoi(want(v, "messages")));
  g_assert_cmpint(bh.last_offset_delta, ==, atoi(want(v, "messages")) - 1);
}

static void check_one(const vector *v)
{
  char *path = g_build_filename(RILL_SOURCE_DIR, "tests", "wire", "vectors", v->file, NULL);
  char *data = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(path, &data, &len, NULL));
  rill__wire_arena arena;
  rill__wire_arena_init(&arena);
  rill__wire_request *req = g_new0(rill__wire_request, 1);
  rill__wire_error err = {0};
  rill__wire_status st = rill__wire_request_decode((const uint8_t *)data, len, &arena, req, &err);
  if (st != RILL_WIRE_OK)
    g_error("%s: status %d: %s at offset %zu: %s", v->file, st, err.field, err.offset, err.reason);
  g_assert_cmpint(req->header.request_api_key, ==, v->api);
  g_assert_cmpint(req->header.request_api_version, ==, v->version);
  if (!str_is(req->header.client_id, want(v, "client_id")))
    g_error("%s: client id %.*s", v->file, (int)MAX(req->header.client_id.len, 0), req->header.client_id.ptr);

  const char *topic = g_hash_table_lookup(v->kv, "topic");
  const char *group = g_hash_table_lookup(v->kv, "group");
  const rill__wire_request_body *b = &req->body;
  switch (v->api) {
  case RILL_WIRE_API_PRODUCE: check_produce(v, &b->produce); break;
  case RILL_WIRE_API_FETCH:
    g_assert_cmpint(b->fetch.replica_id, ==, -1);
    g_assert_cmpint(b->fetch.n_topics, ==, 1);
    g_assert_true(str_is(b->fetch.topics[0].topic, topic));
    g_assert_cmpint(b->fetch.topics[0].partitions[0].partition, ==, 0);
    break;
  case RILL_WIRE_API_LIST_OFFSETS:
    g_assert_cmpint(b->list_offsets.n_topics, ==, 1);
    g_assert_true(str_is(b->list_offsets.topics[0].name, topic));
    g_assert_cmpint(b->list_offsets.topics[0].partitions[0].partition_index, ==, 0);
    break;
  case RILL_WIRE_API_METADATA: {
    /* bootstrap probes may ask for no or all topics; a named list must name ours */
    const rill__wire_metadata_request *m = &b->metadata;
    bool found = m->n_topics <= 0;
    for (int32_t i = 0; i < m->n_topics; i++)
      found |= str_is(m->topics[i].name, topic);
    g_assert_true(found);
    break;
  }
  case RILL_WIRE_API_FIND_COORDINATOR:
    g_assert_true(str_is(b->find_coordinator.key, group));
    g_assert_cmpint(b->find_coordinator.key_type, ==, 0);
    break;
  case RILL_WIRE_API_JOIN_GROUP:
    g_assert_true(str_is(b->join_group.group_id, group));
    g_assert_true(str_is(b->join_group.protocol_type, "consumer"));
    g_assert_cmpint(b->join_group.n_protocols, >=, 1);
    g_assert_cmpint(b->join_group.protocols[0].metadata.len, >, 0);
    break;
  case RILL_WIRE_API_SYNC_GROUP:
    g_assert_true(str_is(b->sync_group.group_id, group));
    g_assert_cmpint(b->sync_group.generation_id, ==, 1); /* what the capture's JoinGroup answered */
    g_assert_cmpint(b->sync_group.n_assignments, ==, 1); /* the only member leads */
    break;
  case RILL_WIRE_API_HEARTBEAT:
    g_assert_true(str_is(b->heartbeat.group_id, group));
    g_assert_cmpint(b->heartbeat.generation_id, ==, 1);
    break;
  case RILL_WIRE_API_LEAVE_GROUP:
    g_assert_true(str_is(b->leave_group.group_id, group));
    if (v->version >= 3)
      g_assert_cmpint(b->leave_group.n_members, ==, 1);
    else
      g_assert_cmpint(b->leave_group.member_id.len, >, 0);
    break;
  case RILL_WIRE_API_OFFSET_COMMIT:
    g_assert_true(str_is(b->offset_commit.group_id, group));
    g_assert_cmpint(b->offset_commit.n_topics, ==, 1);
    g_assert_true(str_is(b->offset_commit.topics[0].name, topic));
    g_assert_cmpint(b->offset_commit.topics[0].partitions[0].committed_offset, ==, atoi(want(v, "messages")));
    break;
  case RILL_WIRE_API_OFFSET_FETCH:
    g_assert_true(str_is(b->offset_fetch.group_id, group));
    g_assert_cmpint(b->offset_fetch.n_topics, ==, 1);
    g_assert_true(str_is(b->offset_fetch.topics[0].name, topic));
    break;
  case RILL_WIRE_API_API_VERSIONS:
    if (v->version >= 3) /* librdkafka names itself */
      g_assert_true(str_is(b->api_versions.client_software_name, "librdkafka"));
    break;
  case RILL_WIRE_API_INIT_PRODUCER_ID:
    g_assert_cmpint(b->init_producer_id.transactional_id.len, ==, -1);
    g_assert_cmpint(b->init_producer_id.producer_id, ==, -1);
    break;
  default:
    g_error("%s: no check for API %d", v->file, v->api);
  }

  /* re-encoding the decoded request reproduces the client's bytes */
  rill__wire_writer w;
  rill__wire_writer_init(&w);
  g_assert_true(rill__wire_request_encode(&w, &req->header, &req->body, &err));
  g_assert_cmpmem(w.buf + 4, w.len - 4, data, len);

  rill__wire_writer_clear(&w);
  rill__wire_arena_clear(&arena);
  g_free(req);
  g_free(data);
  g_free(path);
}

static void test_all(void)
{
  GPtrArray *vectors = load_manifest();
  GHashTable *clients = g_hash_table_new(g_str_hash, g_str_equal);
  for (guint i = 0; i < vectors->len; i++) {
    vector *v = vectors->pdata[i];
    g_test_message("%s", v->file);
    check_one(v);
    if (v->api == RILL_WIRE_API_PRODUCE)
      g_hash_table_add(clients, v->file);
  }
  /* each client's produce vectors are there: 5 + idempotent, 2, 2 */
  g_assert_cmpuint(g_hash_table_size(clients), ==, 10);
  g_assert_cmpuint(vectors->len, >=, 70);
  for (guint i = 0; i < vectors->len; i++) {
    vector *v = vectors->pdata[i];
    g_free(v->file);
    g_hash_table_unref(v->kv);
    g_free(v);
  }
  g_hash_table_unref(clients);
  g_ptr_array_unref(vectors);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/wire/vectors/real-clients", test_all);
  return g_test_run();
}
