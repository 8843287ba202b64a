/* dispatch.c — decode one request frame and route it by API key.
 *
 * The table below is the broker's whole API surface: [ApiKey] = {min, max,
 * first flexible version, handler}. ApiVersions advertises exactly these
 * ranges, and a request outside them is answered, never dropped:
 * - ApiVersions at a version we do not serve: error 35 with a v0 body
 *   listing our ranges (KIP-511), header v0;
 * - any other unknown API or version: a minimal answer — the response
 *   header and an int16 UNSUPPORTED_VERSION (35) — since no body layout of
 *   that version is known; the connection stays open.
 * - bytes that do not decode (RILL_WIRE_MALFORMED): the stream cannot be
 *   resynchronised, so that one connection is closed (as Kafka does).
 *
 * Advertised ranges follow docs/protocol.md and the phase-2 Kafka facts:
 * Produce 0-7 and Fetch 0-11 are advertised from v0 because librdkafka only
 * compresses when the ranges overlap v0; actual v0-v2 Produce and v0-v3
 * Fetch requests get UNSUPPORTED_VERSION per partition (h-produce.c,
 * h-fetch.c). Group APIs start at v0 (librdkafka's feature map).
 */
#include "runtime/broker/broker-private.h"
#include "runtime/broker/security.h"

#include <string.h>

const rill__api_entry rill__broker_apis[RILL_WIRE_MAX_API_KEY + 1] = {
  [RILL_WIRE_API_PRODUCE] = {0, 7, 9, rill__handle_produce},
  [RILL_WIRE_API_FETCH] = {0, 11, 12, rill__handle_fetch},
  [RILL_WIRE_API_LIST_OFFSETS] = {0, 5, 6, rill__handle_list_offsets},
  [RILL_WIRE_API_METADATA] = {0, 8, 9, rill__handle_metadata},
  [RILL_WIRE_API_OFFSET_COMMIT] = {0, 7, 8, rill__group_handle_offset_commit},
  [RILL_WIRE_API_OFFSET_FETCH] = {0, 7, 6, rill__group_handle_offset_fetch},
  [RILL_WIRE_API_FIND_COORDINATOR] = {0, 2, 3, rill__group_handle_find_coordinator},
  [RILL_WIRE_API_JOIN_GROUP] = {0, 5, 6, rill__group_handle_join_group},
  [RILL_WIRE_API_HEARTBEAT] = {0, 3, 4, rill__group_handle_heartbeat},
  [RILL_WIRE_API_LEAVE_GROUP] = {0, 3, 4, rill__group_handle_leave_group},
  [RILL_WIRE_API_SYNC_GROUP] = {0, 3, 4, rill__group_handle_sync_group},
  [RILL_WIRE_API_DESCRIBE_GROUPS] = {0, 4, 5, rill__group_handle_describe_groups},
  [RILL_WIRE_API_LIST_GROUPS] = {0, 4, 3, rill__group_handle_list_groups},
  [RILL_WIRE_API_SASL_HANDSHAKE] = {0, 1, -1, rill__handle_sasl_handshake},
  [RILL_WIRE_API_API_VERSIONS] = {0, 3, 3, rill__handle_api_versions},
  [RILL_WIRE_API_CREATE_TOPICS] = {0, 4, 5, rill__handle_create_topics},
  [RILL_WIRE_API_DELETE_TOPICS] = {0, 3, 4, rill__handle_delete_topics},
  [RILL_WIRE_API_INIT_PRODUCER_ID] = {0, 4, 2, rill__handle_init_producer_id},
  [RILL_WIRE_API_DESCRIBE_ACLS] = {0, 3, 2, rill__handle_describe_acls},
  [RILL_WIRE_API_CREATE_ACLS] = {0, 3, 2, rill__handle_create_acls},
  [RILL_WIRE_API_DELETE_ACLS] = {0, 3, 2, rill__handle_delete_acls},
  [RILL_WIRE_API_DESCRIBE_CONFIGS] = {0, 2, 4, rill__handle_describe_configs},
  [RILL_WIRE_API_ALTER_CONFIGS] = {0, 1, 2, rill__handle_alter_configs},
  [RILL_WIRE_API_SASL_AUTHENTICATE] = {0, 1, 2, rill__handle_sasl_authenticate},
  [RILL_WIRE_API_CREATE_PARTITIONS] = {0, 1, 2, rill__handle_create_partitions},
  [RILL_WIRE_API_DELETE_GROUPS] = {0, 1, 2, rill__group_handle_delete_groups},
  [RILL_WIRE_API_INCREMENTAL_ALTER_CONFIGS] = {0, 1, 1, rill__handle_incremental_alter_configs},
  [RILL_WIRE_API_DESCRIBE_USER_SCRAM_CREDENTIALS] = {0, 0, 0, rill__handle_describe_user_scram_credentials},
  [RILL_WIRE_API_ALTER_USER_SCRAM_CREDENTIALS] = {0, 0, 0, rill__handle_alter_user_scram_credentials},
};

static void fill_api_versions(rill__broker_req *req, rill__wire_api_versions_response *out)
{
  int n = 0;
  for (int k = 0; k <= RILL_WIRE_MAX_API_KEY; k++)
    n += rill__broker_apis[k].handler != NULL;
  out->api_keys = rill__broker_req_new0(req, rill__wire_api_versions_response_api_version, n);
  out->n_api_keys = n;
  int i = 0;
  for (int k = 0; k <= RILL_WIRE_MAX_API_KEY; k++) {
    if (!rill__broker_apis[k].handler)
      continue;
    out->api_keys[i].api_key = (int16_t)k;
    out->api_keys[i].min_version = rill__broker_apis[k].min;
    out->api_keys[i].max_version = rill__broker_apis[k].max;
    i++;
  }
}

void rill__handle_api_versions(rill__broker_req *req)
{
  rill__wire_api_versions_response out;
  rill__wire_api_versions_response_init(&out);
  fill_api_versions(req, &out);
  rill__broker_respond(req, &out);
}

void rill__broker_respond_raw(rill__broker_req *req, const uint8_t *body, size_t len)
{
  uint8_t *mem = g_malloc(4 + len);
  mem[0] = (uint8_t)(len >> 24);
  mem[1] = (uint8_t)(len >> 16);
  mem[2] = (uint8_t)(len >> 8);
  mem[3] = (uint8_t)len;
  memcpy(mem + 4, body, len);
  GArray *chunks = g_array_sized_new(FALSE, FALSE, sizeof(rill__chunk), 1);
  rill__chunk ch = {.p = mem, .fd = -1, .len = 4 + len};
  g_array_append_val(chunks, ch);
  rill__broker_respond_chunks(req, mem, chunks, NULL);
}

static void respond_unsupported(rill__broker_req *req)
{
  int16_t key = req->header.request_api_key, version = req->header.request_api_version;
  rill__broker_event_limited(req->broker, RILL__EV_UNSUPPORTED_REQUEST, "api=%d version=%d client=%.*s", key,
                             version, MAX(req->header.client_id.len, 0),
                             req->header.client_id.ptr ? req->header.client_id.ptr : "");
  if (key == RILL_WIRE_API_API_VERSIONS) {
    rill__wire_api_versions_response out;
    rill__wire_api_versions_response_init(&out);
    out.error_code = RILL_KAFKA_ERR_UNSUPPORTED_VERSION;
    fill_api_versions(req, &out);
    rill__wire_writer w;
    rill__wire_error err = {0};
    rill__wire_writer_init(&w);
    gboolean ok = rill__wire_response_encode(&w, key, 0, req->header.correlation_id, &out, &err);
    g_assert(ok); /* a v0 ApiVersions body always encodes */
    rill__broker_respond_raw(req, w.buf + 4, w.len - 4);
    rill__wire_writer_clear(&w);
    return;
  }
  uint32_t corr = (uint32_t)req->header.correlation_id;
  uint8_t body[6] = {(uint8_t)(corr >> 24), (uint8_t)(corr >> 16), (uint8_t)(corr >> 8), (uint8_t)corr,
                     0, RILL_KAFKA_ERR_UNSUPPORTED_VERSION};
  rill__broker_respond_raw(req, body, sizeof body);
}

#ifdef RILL_FUZZ_BUSY_LIMIT_MS
#include <time.h>

static int64_t thread_cpu_us(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Fuzz builds: a request whose handler keeps the I/O thread computing
 * longer than the limit is a finding (every other connection waits
 * meanwhile). CPU time of this thread, so a loaded machine's preemption
 * does not count. */
static void handle(const rill__api_entry *e, rill__broker_req *req)
{
  int64_t t0 = thread_cpu_us();
  e->handler(req);
  if (thread_cpu_us() - t0 > RILL_FUZZ_BUSY_LIMIT_MS * 1000)
    __builtin_trap();
}
#else
static void handle(const rill__api_entry *e, rill__broker_req *req) { e->handler(req); }
#endif

void rill__broker_dispatch(rill__broker_conn *c, uint8_t *frame, size_t len)
{
  rill__broker *b = c->broker;
  rill__req_priv *r = g_new0(rill__req_priv, 1);
  rill__wire_error err = {0};
  r->frame = frame;
  r->frame_len = len;
  r->start_us = g_get_monotonic_time();
  rill__wire_arena_init(&r->arena);
  if (c->sec && c->sec->sasl_raw) {
    /* After SaslHandshake v0 frames are bare SASL tokens (sasl.c). */
    r->pub.broker = b;
    r->pub.conn = c;
    r->pub.header.request_api_key = RILL_WIRE_API_SASL_AUTHENTICATE;
    r->pub.arena = &r->arena;
    r->slot = g_new0(rill__slot, 1);
    g_queue_push_tail(&c->slots, r->slot);
    c->refs++;
    rill__sasl_raw_token(&r->pub, frame, len);
    return;
  }
  rill__wire_status st = rill__wire_request_decode(frame, len, &r->arena, &r->request, &err);
  if (st == RILL_WIRE_MALFORMED) {
    rill__broker_event_limited(b, RILL__EV_MALFORMED_REQUEST, "peer=%s field=%s offset=%zu reason=\"%s\"", c->host,
                               err.field ? err.field : "?", err.offset, err.reason ? err.reason : "?");
    rill__wire_arena_clear(&r->arena);
    rill__broker_frame_free(b, frame, len);
    g_free(r);
    rill__broker_conn_close(c, "malformed_request");
    return;
  }
  r->pub.broker = b;
  r->pub.conn = c;
  r->pub.header = r->request.header;
  r->pub.body = &r->request.body;
  r->pub.arena = &r->arena;
  r->slot = g_new0(rill__slot, 1);
  g_queue_push_tail(&c->slots, r->slot);
  c->refs++;

  int16_t key = r->pub.header.request_api_key, version = r->pub.header.request_api_version;
  const rill__api_entry *e = key >= 0 && key <= RILL_WIRE_MAX_API_KEY ? &rill__broker_apis[key] : NULL;
  if (st != RILL_WIRE_OK || !e || !e->handler || version < e->min || version > e->max) {
    respond_unsupported(&r->pub);
    return;
  }
  if (!rill__security_admit(&r->pub))
    return;
  handle(e, &r->pub);
}
