/* sasl.c — SaslHandshake and SaslAuthenticate (KIP-43, KIP-152) with PLAIN
 * and SCRAM-SHA-256/512 (KIP-84).
 *
 * Per connection on a SASL listener (security.h): HANDSHAKE → (SaslHandshake
 * v1 names an enabled mechanism) AUTHENTICATE → (SaslAuthenticate rounds)
 * DONE. After SaslHandshake v0 (before KIP-152; kafka-python 2.0 uses it)
 * the tokens travel bare, size-prefixed, without Kafka headers, and a
 * failure just closes the connection (there is no error field). PLAIN checks the
 * password against the stored SCRAM credentials (PBKDF2: run on the pool,
 * not the I/O thread). Failures answer SASL_AUTHENTICATION_FAILED (or
 * UNSUPPORTED_SASL_MECHANISM / ILLEGAL_SASL_STATE) and close the connection
 * once the answer is out, as Kafka does. Reauthentication (KIP-368) is not
 * supported: SessionLifetimeMs is 0, a second exchange is ILLEGAL_SASL_STATE.
 * On a listener without SASL, SaslHandshake answers
 * UNSUPPORTED_SASL_MECHANISM with no mechanisms.
 */
#include <string.h>

#include "runtime/broker/security.h"

static const char *const generic_failure = "Authentication failed: Invalid username or password";

static void fail_after_answer(rill__broker_req *req)
{
  rill__conn_sec *s = req->conn->sec;
  if (!s)
    return;
  s->close_when_sent = TRUE;
  rill__broker_conn_pause_reading(req->conn);
}

static void log_failure(rill__broker_req *req, const char *mechanism, const char *user, const char *reason)
{
  rill__broker_conn *c = req->conn;
  rill__broker_event_limited(req->broker, RILL__EV_AUTH_FAILED, "peer=%s listener=%s mechanism=%s user=\"%s\" reason=\"%s\"",
                             c->host, c->listener ? c->listener->name : "-", mechanism ? mechanism : "-",
                             user ? user : "", reason);
}

void rill__handle_sasl_handshake(rill__broker_req *req)
{
  rill__conn_sec *s = req->conn->sec;
  rill__wire_sasl_handshake_response out;
  rill__wire_sasl_handshake_response_init(&out);
  if (!s || s->sasl == RILL__SASL_OFF) {
    out.error_code = RILL_KAFKA_ERR_UNSUPPORTED_SASL_MECHANISM;
    rill__broker_respond(req, &out);
    return;
  }
  char **mechs = req->broker->security->mechanisms;
  out.n_mechanisms = (int32_t)g_strv_length(mechs);
  out.mechanisms = rill__broker_req_new0(req, rill__wire_str, out.n_mechanisms);
  for (int32_t i = 0; i < out.n_mechanisms; i++)
    out.mechanisms[i] = rill__wire_str_from(mechs[i]);
  char *want = rill__broker_req_strdup(req, req->body->sasl_handshake.mechanism);
  if (s->sasl != RILL__SASL_HANDSHAKE) {
    out.error_code = RILL_KAFKA_ERR_ILLEGAL_SASL_STATE;
    log_failure(req, want, NULL, "SaslHandshake after the mechanism was chosen (reauthentication is not supported)");
  } else if (!want || !g_strv_contains((const char *const *)mechs, want)) {
    out.error_code = RILL_KAFKA_ERR_UNSUPPORTED_SASL_MECHANISM;
    log_failure(req, want, NULL, "mechanism not enabled");
  } else {
    s->mechanism = g_strdup(want);
    s->sasl = RILL__SASL_AUTHENTICATE;
    s->sasl_raw = req->header.request_api_version == 0;
  }
  if (out.error_code)
    fail_after_answer(req);
  rill__broker_respond(req, &out);
}

static gboolean lookup(const char *user, rill__scram_mech mech, rill__scram_credential *out, void *data)
{
  return rill__credentials_lookup(data, user, mech, out);
}

static void authenticated(rill__broker_req *req, const char *user)
{
  rill__conn_sec *s = req->conn->sec;
  s->sasl = RILL__SASL_DONE;
  g_free(s->principal);
  s->principal = g_strdup_printf("User:%s", user);
  rill__broker_event(req->broker, "info", "authenticated", "peer=%s listener=%s mechanism=%s principal=\"%s\"",
                     req->conn->host, req->conn->listener ? req->conn->listener->name : "-", s->mechanism,
                     s->principal);
}

static void respond_auth(rill__broker_req *req, int16_t error, const char *message, const uint8_t *bytes,
                         size_t len)
{
  rill__conn_sec *s = req->conn->sec;
  if (s && s->sasl_raw) {
    if (error) {
      rill__broker_conn *c = req->conn;
      c->refs++;
      rill__broker_respond_none(req);
      rill__broker_conn_close(c, "authentication_failed");
      rill__broker_conn_unref(c);
      return;
    }
    if (s->sasl == RILL__SASL_DONE)
      s->sasl_raw = FALSE; /* Kafka requests from here on */
    rill__broker_respond_raw(req, bytes ? bytes : (const uint8_t *)"", len);
    return;
  }
  rill__wire_sasl_authenticate_response out;
  rill__wire_sasl_authenticate_response_init(&out);
  out.error_code = error;
  out.error_message = message ? rill__wire_str_from(message) : RILL_WIRE_STR_NULL;
  uint8_t *copy = rill__broker_req_alloc(req, len);
  if (len)
    memcpy(copy, bytes, len);
  out.auth_bytes = rill__wire_bytes_from(copy, len);
  out.session_lifetime_ms = 0;
  if (error)
    fail_after_answer(req);
  rill__broker_respond(req, &out);
}

/* ---- PLAIN: "authzid NUL user NUL password", checked on the pool ---- */

typedef struct {
  rill__scram_credential cred[2];
  gboolean have[2];
  char *user, *password;
  gboolean ok;
} plain_check;

static void plain_work(void *data)
{
  rill__broker_req *req = data;
  plain_check *p = req->handler_data;
  for (int m = 1; m >= 0 && !p->ok; m--)
    if (p->have[m])
      p->ok = rill__scram_credential_check(&p->cred[m], p->password);
}

static void plain_done(void *data)
{
  rill__broker_req *req = data;
  plain_check *p = req->handler_data;
  memset(p->password, 0, strlen(p->password));
  if (req->conn->dead) {
    rill__broker_respond_none(req);
    return;
  }
  if (!p->ok) {
    req->conn->sec->sasl = RILL__SASL_AUTHENTICATE;
    log_failure(req, "PLAIN", p->user, "wrong password or unknown user");
    respond_auth(req, RILL_KAFKA_ERR_SASL_AUTHENTICATION_FAILED, generic_failure, NULL, 0);
    return;
  }
  authenticated(req, p->user);
  respond_auth(req, RILL_KAFKA_ERR_NONE, NULL, NULL, 0);
}

static void plain_start(rill__broker_req *req, const uint8_t *in, size_t len)
{
  const uint8_t *nul1 = len ? memchr(in, '\0', len) : NULL;
  const uint8_t *nul2 = nul1 ? memchr(nul1 + 1, '\0', len - (size_t)(nul1 + 1 - in)) : NULL;
  if (!nul2 || nul2 == nul1 + 1 || nul2 + 1 == in + len) {
    log_failure(req, "PLAIN", NULL, "malformed PLAIN message");
    respond_auth(req, RILL_KAFKA_ERR_SASL_AUTHENTICATION_FAILED, "Invalid SASL/PLAIN message", NULL, 0);
    return;
  }
  plain_check *p = rill__broker_req_new0(req, plain_check, 1);
  p->user = rill__broker_req_strdup(req, (rill__wire_str){(const char *)nul1 + 1, (int32_t)(nul2 - nul1 - 1)});
  p->password = rill__broker_req_strdup(req, (rill__wire_str){(const char *)nul2 + 1, (int32_t)(in + len - nul2 - 1)});
  /* An authorization id other than the user is not supported (Kafka). */
  if (nul1 != in && ((size_t)(nul1 - in) != strlen(p->user) || memcmp(in, p->user, strlen(p->user)) != 0)) {
    log_failure(req, "PLAIN", p->user, "authorization id differs from the user");
    respond_auth(req, RILL_KAFKA_ERR_SASL_AUTHENTICATION_FAILED, "Authorization id does not match user name", NULL,
                 0);
    return;
  }
  rill__credentials *creds = req->broker->security->creds;
  for (int m = 0; m < 2; m++)
    p->have[m] = rill__credentials_lookup(creds, p->user, (rill__scram_mech)m, &p->cred[m]);
  req->handler_data = p;
  req->conn->sec->sasl = RILL__SASL_BUSY;
  rill__broker_offload(req, plain_work, plain_done);
}

static void step(rill__broker_req *req, const uint8_t *p, size_t len);

void rill__sasl_raw_token(rill__broker_req *req, const uint8_t *token, size_t len)
{
  if (req->conn->sec->sasl != RILL__SASL_AUTHENTICATE) {
    log_failure(req, req->conn->sec->mechanism, NULL, "SASL token out of order");
    respond_auth(req, RILL_KAFKA_ERR_ILLEGAL_SASL_STATE, NULL, NULL, 0);
    return;
  }
  step(req, token, len);
}

void rill__handle_sasl_authenticate(rill__broker_req *req)
{
  rill__conn_sec *s = req->conn->sec;
  if (!s || s->sasl != RILL__SASL_AUTHENTICATE) {
    if (s)
      log_failure(req, s->mechanism, NULL, "SaslAuthenticate out of order");
    respond_auth(req, RILL_KAFKA_ERR_ILLEGAL_SASL_STATE,
                 s ? "Unexpected SaslAuthenticate (reauthentication is not supported)"
                   : "SASL is not enabled on this listener",
                 NULL, 0);
    return;
  }
  rill__wire_bytes in = req->body->sasl_authenticate.auth_bytes;
  step(req, in.len > 0 ? in.ptr : (const uint8_t *)"", in.len > 0 ? (size_t)in.len : 0);
}

/* One round of the chosen mechanism. */
static void step(rill__broker_req *req, const uint8_t *p, size_t len)
{
  rill__conn_sec *s = req->conn->sec;
  if (strcmp(s->mechanism, "PLAIN") == 0) {
    plain_start(req, p, len);
    return;
  }
  int mech = rill__scram_mech_parse(s->mechanism);
  if (!s->scram)
    s->scram = rill__scram_server_new((rill__scram_mech)mech, lookup, req->broker->security->creds);
  uint8_t *outb = NULL;
  size_t out_len = 0;
  gboolean done = FALSE;
  char *msg = NULL;
  if (!rill__scram_server_step(s->scram, p, len, &outb, &out_len, &done, &msg)) {
    const char *user = rill__scram_server_user(s->scram);
    log_failure(req, s->mechanism, user, msg);
    /* Unknown users and wrong passwords read the same to the client. */
    respond_auth(req, RILL_KAFKA_ERR_SASL_AUTHENTICATION_FAILED,
                 g_str_has_prefix(msg, "Authentication failed") ? msg : "Authentication failed: malformed SCRAM message",
                 NULL, 0);
    g_free(msg);
    return;
  }
  if (done) {
    authenticated(req, rill__scram_server_user(s->scram));
    g_clear_pointer(&s->scram, rill__scram_server_free);
  }
  respond_auth(req, RILL_KAFKA_ERR_NONE, NULL, outb, out_len);
  g_free(outb);
}
