/* kclient.c — the client core's I/O thread, connections and request
 * matching (see kclient.h for the threading and ordering invariants).
 *
 * Connection states: DOWN -> CONNECTING (non-blocking connect) -> [TLS
 * (handshake, security.protocol ssl/sasl_ssl)] -> HANDSHAKE (ApiVersions in
 * flight; falls back to the version the broker names on UNSUPPORTED_VERSION,
 * KIP-511) -> [SASL (SaslHandshake v1, SaslAuthenticate rounds; ksec.c)] ->
 * UP. Requests submitted to a node that is not UP wait in its queue; a
 * failed connect fails them; a failed authentication fails them with
 * SASL_AUTHENTICATION_FAILED (58), which is not retried.
 *
 * Locking: client->lock guards the submission queue, the broker address
 * table, the cluster map and completion flags; sockets and per-connection
 * buffers belong to the I/O thread alone. */
#include "connectors/kafka/kclient.h"
#include "connectors/kafka/ksec.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib-unix.h>
#include <rill/kafka-error.h>

#define STAGE_SIZE (256 * 1024)
#define MAX_FRAME (1 << 30)

typedef enum { CONN_DOWN, CONN_CONNECTING, CONN_TLS, CONN_HANDSHAKE, CONN_SASL, CONN_UP } conn_state;

typedef struct {
  int32_t id;          /* node id; bootstrap entries are -2, -3, ... */
  char *host;
  int port;
  int fd;              /* -1 when down */
  conn_state state;
  gint64 retry_at;     /* no connect before this (monotonic us) */
  GQueue outq;         /* rill__kreq waiting to be written */
  GQueue inflight;     /* written, awaiting response, in order */
  GByteArray *wbuf;    /* encoded bytes not yet written */
  size_t woff;
  uint8_t *stage;      /* STAGE_SIZE read buffer */
  size_t stage_len;
  uint8_t *frame;      /* the large frame being read directly, or NULL */
  size_t frame_len, frame_got;
  int16_t api_min[RILL_WIRE_MAX_API_KEY + 1], api_max[RILL_WIRE_MAX_API_KEY + 1]; /* negotiated; max -1 = unsupported */
  int16_t apiv_version; /* ApiVersions version being tried */
  rill__wire_api_versions_request apiv_body;
  rill__ktls *tls;      /* TLS session (ssl, sasl_ssl) */
  rill__ksasl *sasl;    /* SASL exchange in progress */
  rill__wire_sasl_handshake_request sasl_hs_body;
  rill__wire_sasl_authenticate_request sasl_auth_body;
  GBytes *sasl_token;   /* what sasl_auth_body points into */
} kbroker;

typedef struct {
  int32_t n_partitions;
  int16_t error;
  int32_t *leaders;    /* n_partitions entries */
} ktopic;

struct rill__kclient {
  rill_kafka_conf *conf;
  GMutex lock;
  GCond done_cond;
  GQueue submitted;    /* rill__kreq, target set */
  GHashTable *brokers; /* int32 id -> kbroker*; I/O thread owns the sockets */
  GHashTable *topics;  /* name -> ktopic* */
  int n_bootstrap;
  int32_t rr;          /* round robin for RILL__KNODE_ANY */
  int wake[2];
  gboolean stopping;
  int32_t next_corr;
  GThread *thread;
  gboolean no_auto_create; /* refresh_metadata never asks the broker to create topics (consumers) */
  rill__ktls_ctx *tls;      /* NULL: plaintext */
};

/* ---- requests ------------------------------------------------------------ */

rill__kreq *rill__kreq_new(int16_t api_key, int16_t max_version, const void *body)
{
  rill__kreq *r = g_new0(rill__kreq, 1);
  r->api_key = api_key;
  r->max_version = max_version;
  r->body = body;
  r->node_id = -1;
  rill__wire_arena_init(&r->arena);
  return r;
}

void rill__kreq_free(rill__kreq *req)
{
  if (!req)
    return;
  rill__wire_arena_clear(&req->arena);
  g_free(req->frame);
  g_free(req->error_message);
  g_free(req);
}

/* Completes @r: on the I/O thread, never under client->lock. */
static void complete(rill__kclient *c, rill__kreq *r, int16_t error, const char *message)
{
  if (error && !r->error) {
    r->error = error;
    r->error_message = g_strdup(message);
  }
  if (r->cb) {
    r->cb(r, r->cb_data);
    return;
  }
  g_mutex_lock(&c->lock);
  r->done = TRUE;
  g_cond_broadcast(&c->done_cond);
  g_mutex_unlock(&c->lock);
}

void rill__kclient_submit(rill__kclient *c, int32_t node_id, rill__kreq *req, rill__kreq_cb cb, void *cb_data)
{
  req->target = node_id;
  req->cb = cb;
  req->cb_data = cb_data;
  g_mutex_lock(&c->lock);
  g_queue_push_tail(&c->submitted, req);
  g_mutex_unlock(&c->lock);
  char b = 1;
  ssize_t n = write(c->wake[1], &b, 1);
  (void)n; /* a full pipe already means "wake up" */
}

gboolean rill__kreq_wait(rill__kclient *c, rill__kreq *req, gint64 deadline)
{
  g_mutex_lock(&c->lock);
  while (!req->done)
    if (!g_cond_wait_until(&c->done_cond, &c->lock, deadline))
      break;
  gboolean done = req->done;
  g_mutex_unlock(&c->lock);
  return done;
}

/* ---- connections --------------------------------------------------------- */

static kbroker *broker_new(int32_t id, const char *host, int port)
{
  kbroker *b = g_new0(kbroker, 1);
  b->id = id;
  b->host = g_strdup(host);
  b->port = port;
  b->fd = -1;
  b->wbuf = g_byte_array_new();
  b->stage = g_malloc(STAGE_SIZE);
  return b;
}

static void security_reset(kbroker *b)
{
  g_clear_pointer(&b->tls, rill__ktls_free);
  g_clear_pointer(&b->sasl, rill__ksasl_free);
  g_clear_pointer(&b->sasl_token, g_bytes_unref);
}

/* The connection's own requests (ApiVersions, SASL): not the caller's. */
static gboolean internal_req(kbroker *b, rill__kreq *r)
{
  return r->body == &b->apiv_body || r->body == &b->sasl_hs_body || r->body == &b->sasl_auth_body;
}

static void broker_free(kbroker *b)
{
  security_reset(b);
  if (b->fd >= 0)
    close(b->fd);
  g_byte_array_unref(b->wbuf);
  g_free(b->stage);
  g_free(b->frame);
  g_free(b->host);
  g_free(b);
}

/* Closes @b's connection and fails everything on it or queued for it. */
static void broker_fail(rill__kclient *c, kbroker *b, int16_t code, const char *why)
{
  g_autofree char *msg = g_strdup_printf("broker %d (%s:%d): %s", b->id, b->host, b->port, why);
  g_debug("kafka: %s", msg);
  security_reset(b);
  if (b->fd >= 0)
    close(b->fd);
  b->fd = -1;
  b->state = CONN_DOWN;
  b->retry_at = g_get_monotonic_time() + (gint64)c->conf->reconnect_backoff_ms * 1000;
  g_byte_array_set_size(b->wbuf, 0);
  b->woff = 0;
  b->stage_len = 0;
  g_clear_pointer(&b->frame, g_free);
  rill__kreq *r;
  gboolean first = TRUE;
  while ((r = g_queue_pop_head(&b->inflight))) {
    if (internal_req(b, r)) {
      rill__kreq_free(r);
      continue;
    }
    complete(c, r, first && code == 7 ? 7 : 13, msg);
    first = FALSE;
  }
  /* An authentication failure is final: the caller should not retry it. */
  while ((r = g_queue_pop_head(&b->outq)))
    complete(c, r, code == RILL_KAFKA_ERR_SASL_AUTHENTICATION_FAILED ? code : 13, msg);
}

/* read(2)/send(2) through TLS when the connection has it. */
static ssize_t io_read(kbroker *b, void *buf, size_t len)
{
  return b->tls ? rill__ktls_read(b->tls, buf, len) : read(b->fd, buf, len);
}

static ssize_t io_write(kbroker *b, const void *buf, size_t len)
{
  return b->tls ? rill__ktls_write(b->tls, buf, len) : send(b->fd, buf, len, MSG_NOSIGNAL);
}

static gboolean parse_hostport(const char *s, char **host, int *port)
{
  const char *colon = strrchr(s, ':');
  if (!colon || colon == s)
    return FALSE;
  char *end;
  long p = strtol(colon + 1, &end, 10);
  if (*end || p <= 0 || p > 65535)
    return FALSE;
  *host = g_strndup(s, (gsize)(colon - s));
  *port = (int)p;
  return TRUE;
}

static void send_frame(kbroker *b, rill__kreq *r, rill__wire_writer *w)
{
  g_byte_array_append(b->wbuf, w->buf, (guint)w->len);
  r->deadline = 0;
  g_queue_push_tail(&b->inflight, r);
}

static void send_api_versions(rill__kclient *c, kbroker *b)
{
  rill__wire_api_versions_request_init(&b->apiv_body);
  b->apiv_body.client_software_name = rill__wire_str_from("rill");
  b->apiv_body.client_software_version = rill__wire_str_from("0.1");
  rill__kreq *r = rill__kreq_new(RILL_WIRE_API_API_VERSIONS, b->apiv_version, &b->apiv_body);
  r->version = b->apiv_version;
  r->correlation_id = ++c->next_corr;
  r->node_id = b->id;
  rill__wire_request_header h = {RILL_WIRE_API_API_VERSIONS, r->version, r->correlation_id,
                                 rill__wire_str_from(c->conf->client_id)};
  rill__wire_writer w;
  rill__wire_writer_init(&w);
  rill__wire_error err;
  gboolean ok = rill__wire_request_encode(&w, &h, &b->apiv_body, &err);
  g_assert(ok);
  send_frame(b, r, &w);
  rill__wire_writer_clear(&w);
}

static void broker_connect(rill__kclient *c, kbroker *b)
{
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
  char port[16];
  g_snprintf(port, sizeof port, "%d", b->port);
  int rc = getaddrinfo(b->host, port, &hints, &res);
  if (rc != 0) {
    broker_fail(c, b, 13, gai_strerror(rc));
    return;
  }
  int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    freeaddrinfo(res);
    broker_fail(c, b, 13, g_strerror(errno));
    return;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  rc = connect(fd, res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  if (rc < 0 && errno != EINPROGRESS) {
    int e = errno;
    close(fd);
    broker_fail(c, b, 13, g_strerror(e));
    return;
  }
  b->fd = fd;
  b->state = CONN_CONNECTING;
  b->apiv_version = 3;
  for (int i = 0; i <= RILL_WIRE_MAX_API_KEY; i++)
    b->api_min[i] = 0, b->api_max[i] = -1;
  send_api_versions(c, b);
}

/* Encodes @r for @b at the negotiated version and queues its bytes. */
static void write_request(rill__kclient *c, kbroker *b, rill__kreq *r)
{
  const rill__wire_api_info *info = rill__wire_api_lookup(r->api_key);
  int16_t v = MIN(info->max_version, r->max_version);
  v = MIN(v, b->api_max[r->api_key]); /* info != NULL: the key is the codec's */
  if (v < b->api_min[r->api_key] || v < info->min_version) {
    complete(c, r, 35, "the broker supports no version of this API we speak");
    return;
  }
  r->version = v;
  r->node_id = b->id;
  r->correlation_id = ++c->next_corr;
  rill__wire_request_header h = {r->api_key, v, r->correlation_id, rill__wire_str_from(c->conf->client_id)};
  rill__wire_writer w;
  rill__wire_writer_init(&w);
  rill__wire_error err;
  if (!rill__wire_request_encode(&w, &h, r->body, &err)) {
    rill__wire_writer_clear(&w);
    g_autofree char *m = g_strdup_printf("cannot encode %s v%d: %s: %s", info->name, v, err.field, err.reason);
    complete(c, r, -1, m);
    return;
  }
  g_byte_array_append(b->wbuf, w.buf, (guint)w.len);
  rill__wire_writer_clear(&w);
  if (r->no_response) {
    /* Remembered so that a broker that answers anyway (librdkafka's mock
     * does) cannot desynchronise the matching; completed when written. */
    r->deadline = -1;
  }
  g_queue_push_tail(&b->inflight, r);
}

static void broker_up(rill__kclient *c, kbroker *b)
{
  b->state = CONN_UP;
  rill__kreq *q;
  while ((q = g_queue_pop_head(&b->outq)))
    write_request(c, b, q);
}

/* Queues one of the connection's own requests at @version. */
static void send_internal(rill__kclient *c, kbroker *b, int16_t api, int16_t version, const void *body)
{
  rill__kreq *r = rill__kreq_new(api, version, body);
  r->version = version;
  r->correlation_id = ++c->next_corr;
  r->node_id = b->id;
  rill__wire_request_header h = {api, version, r->correlation_id, rill__wire_str_from(c->conf->client_id)};
  rill__wire_writer w;
  rill__wire_writer_init(&w);
  rill__wire_error err;
  gboolean ok = rill__wire_request_encode(&w, &h, body, &err);
  g_assert(ok);
  send_frame(b, r, &w);
  rill__wire_writer_clear(&w);
}

static void sasl_send_token(rill__kclient *c, kbroker *b, GBytes *token)
{
  g_clear_pointer(&b->sasl_token, g_bytes_unref);
  b->sasl_token = token;
  gsize n;
  const void *p = g_bytes_get_data(token, &n);
  rill__wire_sasl_authenticate_request_init(&b->sasl_auth_body);
  b->sasl_auth_body.auth_bytes = rill__wire_bytes_from(p ? p : "", n);
  send_internal(c, b, RILL_WIRE_API_SASL_AUTHENTICATE, MIN(b->api_max[RILL_WIRE_API_SASL_AUTHENTICATE], 1),
                &b->sasl_auth_body);
}

static void sasl_start(rill__kclient *c, kbroker *b)
{
  if (b->api_max[RILL_WIRE_API_SASL_HANDSHAKE] < 1 || b->api_max[RILL_WIRE_API_SASL_AUTHENTICATE] < 0) {
    broker_fail(c, b, RILL_KAFKA_ERR_SASL_AUTHENTICATION_FAILED,
                "the broker does not offer SaslHandshake v1 and SaslAuthenticate (is the listener SASL?)");
    return;
  }
  b->state = CONN_SASL;
  rill__wire_sasl_handshake_request_init(&b->sasl_hs_body);
  b->sasl_hs_body.mechanism = rill__wire_str_from(rill__ksasl_mechanism(b->sasl));
  send_internal(c, b, RILL_WIRE_API_SASL_HANDSHAKE, 1, &b->sasl_hs_body);
}

/* A response to the connection's SaslHandshake or SaslAuthenticate. */
static void handle_sasl(rill__kclient *c, kbroker *b, rill__kreq *r, const uint8_t *frame, size_t len)
{
  rill__wire_response_body resp;
  int32_t corr;
  rill__wire_error err;
  int16_t api = r->api_key;
  rill__wire_status st = rill__wire_response_decode(frame, len, api, r->version, &r->arena, &corr, &resp, &err);
  if (st != RILL_WIRE_OK) {
    rill__kreq_free(r);
    broker_fail(c, b, 13, "undecodable SASL response");
    return;
  }
  if (api == RILL_WIRE_API_SASL_HANDSHAKE) {
    int16_t e = resp.sasl_handshake.error_code;
    rill__kreq_free(r);
    if (e) {
      g_autofree char *m = g_strdup_printf("the broker refused SASL mechanism %s (error %d)",
                                           rill__ksasl_mechanism(b->sasl), e);
      broker_fail(c, b, RILL_KAFKA_ERR_SASL_AUTHENTICATION_FAILED, m);
      return;
    }
    gboolean done;
    char *why = NULL;
    GBytes *tok = rill__ksasl_step(b->sasl, NULL, 0, &done, &why);
    sasl_send_token(c, b, tok);
    return;
  }
  const rill__wire_sasl_authenticate_response *a = &resp.sasl_authenticate;
  if (a->error_code) {
    g_autofree char *m = g_strdup_printf("SASL authentication failed: %.*s", MAX(a->error_message.len, 0),
                                         a->error_message.ptr ? a->error_message.ptr : "");
    rill__kreq_free(r);
    broker_fail(c, b, RILL_KAFKA_ERR_SASL_AUTHENTICATION_FAILED, m);
    return;
  }
  gboolean done = FALSE;
  char *why = NULL;
  GBytes *tok = rill__ksasl_step(b->sasl, a->auth_bytes.ptr, (size_t)MAX(a->auth_bytes.len, 0), &done, &why);
  rill__kreq_free(r);
  if (tok) {
    sasl_send_token(c, b, tok);
  } else if (done) {
    g_clear_pointer(&b->sasl, rill__ksasl_free);
    g_clear_pointer(&b->sasl_token, g_bytes_unref);
    broker_up(c, b);
  } else {
    broker_fail(c, b, RILL_KAFKA_ERR_SASL_AUTHENTICATION_FAILED, why ? why : "SASL failed");
    g_free(why);
  }
}

static void handle_api_versions(rill__kclient *c, kbroker *b, rill__kreq *r, const uint8_t *frame, size_t len)
{
  rill__wire_api_versions_response resp;
  int32_t corr;
  rill__wire_error err;
  rill__wire_status st =
      rill__wire_response_decode(frame, len, RILL_WIRE_API_API_VERSIONS, r->version, &r->arena, &corr, &resp, &err);
  if (st != RILL_WIRE_OK) /* KIP-511: an unsupported version is answered with a v0 body */
    st = rill__wire_response_decode(frame, len, RILL_WIRE_API_API_VERSIONS, 0, &r->arena, &corr, &resp, &err);
  if (st != RILL_WIRE_OK && len >= 6 && (frame[4] << 8 | frame[5]) == RILL_KAFKA_ERR_UNSUPPORTED_VERSION &&
      b->apiv_version > 0) {
    /* An error body we cannot read (librdkafka's mock writes a one-byte
     * array count there): fall back to v0, which every broker speaks. */
    b->apiv_version = 0;
    rill__kreq_free(r);
    send_api_versions(c, b);
    return;
  }
  if (st != RILL_WIRE_OK) {
    rill__kreq_free(r);
    broker_fail(c, b, 13, "undecodable ApiVersions response");
    return;
  }
  if (resp.error_code == RILL_KAFKA_ERR_UNSUPPORTED_VERSION && b->apiv_version > 0) {
    int16_t next = 0;
    for (int32_t i = 0; i < resp.n_api_keys; i++)
      if (resp.api_keys[i].api_key == RILL_WIRE_API_API_VERSIONS)
        next = MIN(resp.api_keys[i].max_version, b->apiv_version - 1);
    b->apiv_version = MAX(next, 0);
    rill__kreq_free(r);
    send_api_versions(c, b);
    return;
  }
  if (resp.error_code != 0) {
    rill__kreq_free(r);
    broker_fail(c, b, resp.error_code, "ApiVersions failed");
    return;
  }
  for (int32_t i = 0; i < resp.n_api_keys; i++) {
    int16_t k = resp.api_keys[i].api_key;
    if (k >= 0 && k <= RILL_WIRE_MAX_API_KEY) {
      b->api_min[k] = resp.api_keys[i].min_version;
      b->api_max[k] = resp.api_keys[i].max_version;
    }
  }
  rill__kreq_free(r);
  b->sasl = rill__ksasl_new(c->conf);
  if (b->sasl) {
    sasl_start(c, b);
    return;
  }
  broker_up(c, b);
}

/* One complete response frame (bytes after the size) for @b. Takes @frame. */
static void handle_frame(rill__kclient *c, kbroker *b, uint8_t *frame, size_t len)
{
  if (len < 4) {
    g_free(frame);
    broker_fail(c, b, 13, "short response frame");
    return;
  }
  int32_t corr = (int32_t)((uint32_t)frame[0] << 24 | (uint32_t)frame[1] << 16 | (uint32_t)frame[2] << 8 | frame[3]);
  rill__kreq *r;
  for (;;) {
    r = g_queue_peek_head(&b->inflight);
    if (!r) {
      g_free(frame);
      broker_fail(c, b, 13, "response without request");
      return;
    }
    if (r->correlation_id == corr)
      break;
    if (!r->no_response) {
      g_free(frame);
      broker_fail(c, b, 13, "response out of order (correlation id mismatch)");
      return;
    }
    g_queue_pop_head(&b->inflight); /* acks=0 request: no answer came for it */
  }
  g_queue_pop_head(&b->inflight);
  if (r->no_response) { /* answered although none was expected: already complete */
    g_free(frame);
    return;
  }
  if (r->api_key == RILL_WIRE_API_API_VERSIONS && r->body == &b->apiv_body) {
    handle_api_versions(c, b, r, frame, len);
    g_free(frame);
    return;
  }
  if (r->body == &b->sasl_hs_body || r->body == &b->sasl_auth_body) {
    handle_sasl(c, b, r, frame, len);
    g_free(frame);
    return;
  }
  r->frame = frame;
  r->frame_len = len;
  rill__wire_error err;
  int32_t corr2;
  rill__wire_status st =
      rill__wire_response_decode(frame, len, r->api_key, r->version, &r->arena, &corr2, &r->resp, &err);
  if (st != RILL_WIRE_OK) {
    g_autofree char *m =
        g_strdup_printf("undecodable %s v%d response from broker %d: %s at %zu: %s",
                        rill__wire_api_lookup(r->api_key)->name, r->version, b->id, err.field, err.offset, err.reason);
    complete(c, r, -1, m);
    return;
  }
  complete(c, r, 0, NULL);
}

static void broker_read(rill__kclient *c, kbroker *b)
{
  for (;;) {
    if (b->frame) { /* a large frame: read straight into it */
      ssize_t n = io_read(b, b->frame + b->frame_got, b->frame_len - b->frame_got);
      if (n <= 0)
        goto eof_or_err;
      b->frame_got += (size_t)n;
      if (b->frame_got == b->frame_len) {
        uint8_t *f = b->frame;
        b->frame = NULL;
        handle_frame(c, b, f, b->frame_len);
        if (b->fd < 0)
          return;
      }
      continue;
    }
    ssize_t n = io_read(b, b->stage + b->stage_len, STAGE_SIZE - b->stage_len);
    if (n <= 0)
      goto eof_or_err;
    b->stage_len += (size_t)n;
    size_t off = 0;
    while (b->stage_len - off >= 4) {
      const uint8_t *p = b->stage + off;
      uint32_t size = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
      if (size > MAX_FRAME) {
        broker_fail(c, b, 13, "response frame too large");
        return;
      }
      size_t have = b->stage_len - off - 4;
      uint8_t *f = g_malloc(MAX(size, 1));
      if (have >= size) {
        memcpy(f, p + 4, size);
        off += 4 + size;
        handle_frame(c, b, f, size);
        if (b->fd < 0)
          return;
      } else {
        memcpy(f, p + 4, have);
        b->frame = f;
        b->frame_len = size;
        b->frame_got = have;
        off = b->stage_len;
        break;
      }
    }
    memmove(b->stage, b->stage + off, b->stage_len - off);
    b->stage_len -= off;
  }
eof_or_err:
  if (errno == EAGAIN || errno == EWOULDBLOCK)
    return;
  broker_fail(c, b, 13, "connection closed by the broker");
}

static void broker_write(rill__kclient *c, kbroker *b)
{
  if (b->state == CONN_CONNECTING) {
    int err = 0;
    socklen_t l = sizeof err;
    getsockopt(b->fd, SOL_SOCKET, SO_ERROR, &err, &l);
    if (err) {
      broker_fail(c, b, 13, g_strerror(err));
      return;
    }
    b->state = CONN_HANDSHAKE;
    if (c->tls) {
      b->tls = rill__ktls_new(c->tls, b->fd, b->host);
      b->state = CONN_TLS;
    }
  }
  if (b->state == CONN_TLS) {
    char *why = NULL;
    int rc = rill__ktls_handshake(b->tls, &why);
    if (rc < 0) {
      broker_fail(c, b, 13, why);
      g_free(why);
      return;
    }
    if (rc == 0)
      return;
    b->state = CONN_HANDSHAKE;
  }
  while (b->woff < b->wbuf->len) {
    ssize_t n = io_write(b, b->wbuf->data + b->woff, b->wbuf->len - b->woff);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK)
        break;
      broker_fail(c, b, 13, g_strerror(errno));
      return;
    }
    b->woff += (size_t)n;
  }
  if (b->woff == b->wbuf->len) {
    g_byte_array_set_size(b->wbuf, 0);
    b->woff = 0;
  }
  /* Everything written so far is on the wire: start its clock, and finish
   * acks=0 requests (complete() may free them, so drop them from inflight
   * first; late answers are matched against nothing and ignored). */
  gint64 now = g_get_monotonic_time();
  if (b->wbuf->len)
    return;
  for (GList *l = b->inflight.head; l;) {
    rill__kreq *r = l->data;
    GList *next = l->next;
    if (r->deadline == 0)
      r->deadline = now + ((gint64)c->conf->request_timeout_ms + r->extra_timeout_ms) * 1000;
    else if (r->deadline == -1) {
      g_queue_delete_link(&b->inflight, l);
      complete(c, r, 0, NULL);
    }
    l = next;
  }
}

/* ---- the I/O thread ------------------------------------------------------ */

/* Bootstrap entries in bootstrap.servers order (-2, -3, ...), then brokers
 * by node id: round robin starts where the user said to start. */
static gint broker_order(gconstpointer a, gconstpointer b)
{
  int32_t x = (*(kbroker *const *)a)->id, y = (*(kbroker *const *)b)->id;
  int64_t kx = x < 0 ? -(int64_t)x - G_MAXINT32 : x, ky = y < 0 ? -(int64_t)y - G_MAXINT32 : y;
  return (kx > ky) - (kx < ky);
}

static kbroker *pick_any(rill__kclient *c)
{
  GHashTableIter it;
  gpointer k, v;
  kbroker *best = NULL;
  guint n = g_hash_table_size(c->brokers);
  /* Prefer an UP broker with metadata id, then anything not backing off. */
  g_hash_table_iter_init(&it, c->brokers);
  while (g_hash_table_iter_next(&it, &k, &v)) {
    kbroker *b = v;
    if (b->state == CONN_UP && (!best || b->inflight.length < best->inflight.length))
      best = b;
  }
  if (best)
    return best;
  GPtrArray *all = g_ptr_array_new();
  g_hash_table_iter_init(&it, c->brokers);
  while (g_hash_table_iter_next(&it, &k, &v))
    g_ptr_array_add(all, v);
  g_ptr_array_sort(all, broker_order);
  gint64 now = g_get_monotonic_time();
  for (guint i = 0; i < n && !best; i++) {
    kbroker *b = all->pdata[(guint)(c->rr + (int32_t)i) % n];
    if (b->state != CONN_DOWN || b->retry_at <= now)
      best = b;
  }
  if (!best && n)
    best = all->pdata[(guint)c->rr % n];
  c->rr++;
  g_ptr_array_free(all, TRUE);
  return best;
}

static void dispatch(rill__kclient *c, rill__kreq *r)
{
  g_mutex_lock(&c->lock);
  kbroker *b = r->target == RILL__KNODE_ANY ? pick_any(c) : g_hash_table_lookup(c->brokers, GINT_TO_POINTER(r->target));
  g_mutex_unlock(&c->lock);
  if (!b) {
    g_autofree char *m = g_strdup_printf("unknown broker %d", r->target);
    complete(c, r, 13, m);
    return;
  }
  if (b->state == CONN_UP)
    write_request(c, b, r);
  else
    g_queue_push_tail(&b->outq, r);
}

static gpointer io_thread(gpointer data)
{
  rill__kclient *c = data;
  GArray *pfds = g_array_new(FALSE, FALSE, sizeof(struct pollfd));
  GPtrArray *pb = g_ptr_array_new();
  for (;;) {
    g_mutex_lock(&c->lock);
    GQueue q = c->submitted;
    g_queue_init(&c->submitted);
    gboolean stopping = c->stopping;
    g_mutex_unlock(&c->lock);
    rill__kreq *r;
    while ((r = g_queue_pop_head(&q)))
      dispatch(c, r);

    g_array_set_size(pfds, 0);
    g_ptr_array_set_size(pb, 0);
    struct pollfd wfd = {c->wake[0], POLLIN, 0};
    g_array_append_val(pfds, wfd);
    g_ptr_array_add(pb, NULL);
    gint64 now = g_get_monotonic_time(), wake_at = now + 1000000;
    g_mutex_lock(&c->lock);
    GList *bl = g_hash_table_get_values(c->brokers);
    g_mutex_unlock(&c->lock);
    for (GList *l = bl; l; l = l->next) {
      kbroker *b = l->data;
      if (stopping) {
        if (b->fd >= 0 || b->outq.length)
          broker_fail(c, b, 13, "client closing");
        continue;
      }
      if (b->state == CONN_DOWN && b->outq.length) {
        if (b->retry_at <= now)
          broker_connect(c, b);
        else
          wake_at = MIN(wake_at, b->retry_at);
      }
      if (b->fd < 0)
        continue;
      rill__kreq *head = g_queue_peek_head(&b->inflight);
      if (head && head->deadline > 0) {
        if (head->deadline <= now) {
          broker_fail(c, b, 7, "request timed out");
          continue;
        }
        wake_at = MIN(wake_at, head->deadline);
      }
      struct pollfd p = {b->fd, POLLIN, 0};
      if (b->state == CONN_CONNECTING || (b->state != CONN_TLS && b->wbuf->len > b->woff) ||
          (b->tls && rill__ktls_want_write(b->tls)))
        p.events |= POLLOUT;
      g_array_append_val(pfds, p);
      g_ptr_array_add(pb, b);
    }
    g_list_free(bl);
    if (stopping)
      break;
    int timeout = (int)MAX(0, (wake_at - now + 999) / 1000);
    int n = poll((struct pollfd *)pfds->data, pfds->len, timeout);
    if (n < 0 && errno != EINTR)
      g_warning("kafka client: poll: %s", g_strerror(errno));
    if (n <= 0)
      continue;
    struct pollfd *fds = (struct pollfd *)pfds->data;
    if (fds[0].revents) {
      char buf[256];
      while (read(c->wake[0], buf, sizeof buf) > 0)
        ;
    }
    for (guint i = 1; i < pfds->len; i++) {
      kbroker *b = pb->pdata[i];
      if (b->fd != fds[i].fd)
        continue;
      if (fds[i].revents & (POLLOUT | POLLERR | POLLHUP) || (b->state == CONN_TLS && fds[i].revents & POLLIN))
        broker_write(c, b);
      if (b->fd >= 0 && b->state != CONN_TLS && fds[i].revents & (POLLIN | POLLERR | POLLHUP))
        broker_read(c, b);
      if (b->fd >= 0 && (b->state == CONN_HANDSHAKE || b->state == CONN_SASL) && b->wbuf->len)
        broker_write(c, b);
    }
  }
  g_array_free(pfds, TRUE);
  g_ptr_array_free(pb, TRUE);
  return NULL;
}

/* ---- lifecycle ----------------------------------------------------------- */

static void ktopic_free(ktopic *t)
{
  g_free(t->leaders);
  g_free(t);
}

rill__kclient *rill__kclient_new(const rill_kafka_conf *conf, GError **error)
{
  g_auto(GStrv) list = g_strsplit(conf->bootstrap_servers, ",", -1);
  rill__kclient *c = g_new0(rill__kclient, 1);
  c->conf = rill_kafka_conf_copy(conf);
  g_mutex_init(&c->lock);
  g_cond_init(&c->done_cond);
  c->brokers = g_hash_table_new_full(NULL, NULL, NULL, (GDestroyNotify)broker_free);
  c->topics = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)ktopic_free);
  for (char **s = list; *s; s++) {
    char *hp = g_strstrip(*s), *host;
    int port;
    if (!*hp)
      continue;
    if (!parse_hostport(hp, &host, &port)) {
      g_set_error(error, RILL_KAFKA_CLIENT_ERROR, RILL_KAFKA_CLIENT_ERROR_CONFIG, "bootstrap.servers: '%s' is not host:port", hp);
      goto fail;
    }
    int32_t id = -2 - c->n_bootstrap++;
    g_hash_table_insert(c->brokers, GINT_TO_POINTER(id), broker_new(id, host, port));
    g_free(host);
  }
  if (!c->n_bootstrap) {
    g_set_error(error, RILL_KAFKA_CLIENT_ERROR, RILL_KAFKA_CLIENT_ERROR_CONFIG, "bootstrap.servers is not set");
    goto fail;
  }
  c->tls = rill__ktls_ctx_new(conf, error);
  if (!c->tls && (conf->security_protocol == RILL__KSEC_SSL || conf->security_protocol == RILL__KSEC_SASL_SSL))
    goto fail;
  if (!g_unix_open_pipe(c->wake, FD_CLOEXEC, NULL)) {
    g_set_error(error, RILL_KAFKA_CLIENT_ERROR, RILL_KAFKA_CLIENT_ERROR_TRANSPORT, "cannot create a pipe");
    goto fail;
  }
  g_unix_set_fd_nonblocking(c->wake[0], TRUE, NULL);
  g_unix_set_fd_nonblocking(c->wake[1], TRUE, NULL);
  c->thread = g_thread_new("rill-kafka-io", io_thread, c);
  return c;
fail:
  rill__ktls_ctx_free(c->tls);
  g_hash_table_destroy(c->brokers);
  g_hash_table_destroy(c->topics);
  rill_kafka_conf_free(c->conf);
  g_mutex_clear(&c->lock);
  g_cond_clear(&c->done_cond);
  g_free(c);
  return NULL;
}

void rill__kclient_free(rill__kclient *c)
{
  if (!c)
    return;
  g_mutex_lock(&c->lock);
  c->stopping = TRUE;
  g_mutex_unlock(&c->lock);
  char b = 1;
  ssize_t n = write(c->wake[1], &b, 1);
  (void)n;
  g_thread_join(c->thread);
  /* Requests submitted after the thread saw "stopping" still complete. */
  rill__kreq *r;
  while ((r = g_queue_pop_head(&c->submitted)))
    complete(c, r, 13, "client closed");
  close(c->wake[0]);
  close(c->wake[1]);
  g_hash_table_destroy(c->brokers);
  g_hash_table_destroy(c->topics);
  rill__ktls_ctx_free(c->tls);
  rill_kafka_conf_free(c->conf);
  g_mutex_clear(&c->lock);
  g_cond_clear(&c->done_cond);
  g_free(c);
}

const rill_kafka_conf *rill__kclient_conf(const rill__kclient *c)
{
  return c->conf;
}

/* ---- synchronous calls and metadata -------------------------------------- */

gboolean rill__kerror_retriable(int16_t code)
{
  switch (code) {
  case 7:  /* REQUEST_TIMED_OUT */
  case 13: /* NETWORK_EXCEPTION */
  case 5:  /* LEADER_NOT_AVAILABLE */
  case 6:  /* NOT_LEADER_OR_FOLLOWER */
  case 3:  /* UNKNOWN_TOPIC_OR_PARTITION (metadata may lag a creation) */
  case 14: /* COORDINATOR_LOAD_IN_PROGRESS */
  case 15: /* COORDINATOR_NOT_AVAILABLE */
  case 16: /* NOT_COORDINATOR */
  case 8:  /* BROKER_NOT_AVAILABLE */
  case 9:  /* REPLICA_NOT_AVAILABLE */
  case 19: /* NOT_ENOUGH_REPLICAS */
  case 20: /* NOT_ENOUGH_REPLICAS_AFTER_APPEND */
  case 74: /* FENCED_LEADER_EPOCH */
  case 75: /* UNKNOWN_LEADER_EPOCH */
    return TRUE;
  default:
    return FALSE;
  }
}

void rill__kclient_set_error(GError **error, int16_t code, const char *what, const char *detail)
{
  int ecode = code == 13 ? RILL_KAFKA_CLIENT_ERROR_TRANSPORT : code == 7 ? RILL_KAFKA_CLIENT_ERROR_TIMEOUT
              : code == -1 ? RILL_KAFKA_CLIENT_ERROR_PROTOCOL : RILL_KAFKA_CLIENT_ERROR_BROKER;
  g_set_error(error, RILL_KAFKA_CLIENT_ERROR, ecode, "%s: %s (%d)%s%s", what, code == -1 ? "bad response" : rill_kafka_error_name(code),
              code, detail ? ": " : "", detail ? detail : "");
}

rill__kreq *rill__kclient_call(rill__kclient *c, int32_t node_id, int16_t api_key, int16_t max_version,
                               const void *body, GError **error)
{
  gint64 give_up = g_get_monotonic_time() + (gint64)c->conf->request_timeout_ms * 1000;
  /* A request to any broker that timed out on one (a broker that accepts
   * connections but never answers) gets a full timeout on each other one. */
  g_mutex_lock(&c->lock);
  guint other_brokers = node_id == RILL__KNODE_ANY ? g_hash_table_size(c->brokers) - 1 : 0;
  g_mutex_unlock(&c->lock);
  for (;;) {
    rill__kreq *r = rill__kreq_new(api_key, max_version, body);
    rill__kclient_submit(c, node_id, r, NULL, NULL);
    rill__kreq_wait(c, r, G_MAXINT64);
    if ((r->error == 7 || r->error == 13) && other_brokers > 0 && g_get_monotonic_time() >= give_up) {
      other_brokers--;
      give_up = g_get_monotonic_time() + (gint64)c->conf->request_timeout_ms * 1000;
    }
    if (r->error == 0 || r->error == -1 || r->error == 35 || !rill__kerror_retriable(r->error) ||
        g_get_monotonic_time() >= give_up) {
      if (r->error) {
        rill__kclient_set_error(error, r->error, rill__wire_api_lookup(api_key)->name, r->error_message);
        rill__kreq_free(r);
        return NULL;
      }
      return r;
    }
    rill__kreq_free(r);
    g_usleep((gulong)c->conf->retry_backoff_ms * 1000);
  }
}

rill__kreq *rill__kclient_metadata(rill__kclient *c, const char *const *topics, gboolean auto_create, GError **error)
{
  rill__wire_metadata_request req;
  rill__wire_metadata_request_init(&req);
  g_autofree rill__wire_metadata_request_topic *ts = NULL;
  if (topics) {
    guint n = g_strv_length((char **)topics);
    ts = g_new0(rill__wire_metadata_request_topic, n + 1);
    for (guint i = 0; i < n; i++)
      ts[i].name = rill__wire_str_from(topics[i]);
    req.topics = ts;
    req.n_topics = (int32_t)n;
  } else {
    req.topics = NULL;
    req.n_topics = -1;
  }
  req.allow_auto_topic_creation = auto_create; /* only from v4: older brokers may still create */
  return rill__kclient_call(c, RILL__KNODE_ANY, RILL_WIRE_API_METADATA, 8, &req, error);
}

void rill__kclient_set_auto_create(rill__kclient *c, gboolean auto_create)
{
  c->no_auto_create = !auto_create;
}

gboolean rill__kclient_refresh_metadata(rill__kclient *c, const char *const *topics, GError **error)
{
  rill__kreq *r = rill__kclient_metadata(c, topics, !c->no_auto_create, error);
  if (!r)
    return FALSE;
  const rill__wire_metadata_response *m = &r->resp.metadata;
  g_mutex_lock(&c->lock);
  for (int32_t i = 0; i < m->n_brokers; i++) {
    const rill__wire_metadata_response_broker *mb = &m->brokers[i];
    kbroker *b = g_hash_table_lookup(c->brokers, GINT_TO_POINTER(mb->node_id));
    g_autofree char *host = g_strndup(mb->host.ptr, (gsize)MAX(mb->host.len, 0));
    if (b && (!g_str_equal(b->host, host) || b->port != mb->port))
      g_warning("kafka: broker %d moved to %s:%d; keeping the old address", mb->node_id, host, mb->port);
    if (!b)
      g_hash_table_insert(c->brokers, GINT_TO_POINTER(mb->node_id), broker_new(mb->node_id, host, mb->port));
  }
  for (int32_t i = 0; i < m->n_topics; i++) {
    const rill__wire_metadata_response_topic *mt = &m->topics[i];
    ktopic *t = g_new0(ktopic, 1);
    t->error = mt->error_code;
    int32_t n = 0;
    for (int32_t j = 0; j < mt->n_partitions; j++)
      n = MAX(n, mt->partitions[j].partition_index + 1);
    t->n_partitions = mt->error_code ? -1 : n;
    t->leaders = g_new(int32_t, MAX(n, 1));
    for (int32_t j = 0; j < n; j++)
      t->leaders[j] = -1;
    for (int32_t j = 0; j < mt->n_partitions; j++)
      if (mt->partitions[j].partition_index >= 0)
        t->leaders[mt->partitions[j].partition_index] =
          mt->partitions[j].error_code == 0 || mt->partitions[j].error_code == 9 ? mt->partitions[j].leader_id : -1;
    g_hash_table_replace(c->topics, g_strndup(mt->name.ptr, (gsize)MAX(mt->name.len, 0)), t);
  }
  g_mutex_unlock(&c->lock);
  rill__kreq_free(r);
  return TRUE;
}

int32_t rill__kclient_partition_count(rill__kclient *c, const char *topic, int16_t *topic_error)
{
  g_mutex_lock(&c->lock);
  ktopic *t = g_hash_table_lookup(c->topics, topic);
  int32_t n = t ? t->n_partitions : -1;
  if (topic_error)
    *topic_error = t ? t->error : 3;
  g_mutex_unlock(&c->lock);
  return n;
}

int32_t rill__kclient_leader(rill__kclient *c, const char *topic, int32_t partition)
{
  g_mutex_lock(&c->lock);
  ktopic *t = g_hash_table_lookup(c->topics, topic);
  int32_t l = t && partition >= 0 && partition < t->n_partitions ? t->leaders[partition] : -1;
  g_mutex_unlock(&c->lock);
  return l;
}
