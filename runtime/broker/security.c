/* security.c — connection identities and the SASL gate (security.h). */
#include "runtime/broker/security.h"

#include <string.h>

#include "runtime/broker/acl.h"
#include "runtime/log/log-private.h"

#define ANONYMOUS "User:ANONYMOUS"

rill__security *rill__security_new(rill__broker *b, GError **error)
{
  const rill__broker_settings *st = &b->settings;
  rill__security *s = g_new0(rill__security, 1);
  g_autofree char *dir = g_build_filename(b->log->dir, ".security", NULL);
  gboolean any_tls = FALSE;
  for (guint i = 0; i < b->listeners->len; i++)
    any_tls |= RILL__SEC_IS_TLS(((rill__listener *)b->listeners->pdata[i])->protocol);
  if (any_tls && !(s->tls = rill__tls_ctx_new(st, error)))
    goto fail;
  s->mechanisms = g_strsplit(st->sasl_enabled_mechanisms, ",", -1);
  for (guint i = 0; s->mechanisms[i]; i++) {
    g_strstrip(s->mechanisms[i]);
    if (strcmp(s->mechanisms[i], "PLAIN") != 0 && rill__scram_mech_parse(s->mechanisms[i]) < 0) {
      g_set_error(error, RILL_BROKER_ERROR, RILL_BROKER_ERROR_CONFIG,
                  "sasl.enabled.mechanisms: '%s' is not supported (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)",
                  s->mechanisms[i]);
      goto fail;
    }
  }
  if (!(s->creds = rill__credentials_open(dir, error)))
    goto fail;
  if (*st->sasl_users_file) {
    int added = rill__credentials_bootstrap(s->creds, st->sasl_users_file, error);
    if (added < 0)
      goto fail;
    if (added)
      rill__broker_event(b, "info", "sasl_users_added", "count=%d file=%s", added, st->sasl_users_file);
  }
  gboolean allow = st->allow_everyone_if_no_acl_found == 1 ||
                   (st->allow_everyone_if_no_acl_found == 0 && !rill__listeners_any_secure(b->listeners));
  if (!(s->acls = rill__acls_open(dir, st->super_users, allow, error)))
    goto fail;
  return s;
fail:
  rill__security_free(s);
  return NULL;
}

void rill__security_free(rill__security *s)
{
  if (!s)
    return;
  rill__tls_ctx_free(s->tls);
  rill__credentials_free(s->creds);
  rill__acls_free(s->acls);
  g_strfreev(s->mechanisms);
  g_free(s);
}

rill__conn_sec *rill__conn_sec_new(rill__broker *b, rill__listener *l)
{
  if (!l || l->protocol == RILL__SEC_PLAINTEXT)
    return NULL;
  rill__conn_sec *s = g_new0(rill__conn_sec, 1);
  if (RILL__SEC_IS_TLS(l->protocol))
    s->tls = rill__tls_new(b->security->tls, l->protocol == RILL__SEC_SSL);
  s->sasl = RILL__SEC_IS_SASL(l->protocol) ? RILL__SASL_HANDSHAKE : RILL__SASL_OFF;
  if (!s->tls && s->sasl == RILL__SASL_OFF)
    s->principal = g_strdup(ANONYMOUS);
  return s;
}

void rill__conn_sec_free(rill__conn_sec *s)
{
  if (!s)
    return;
  rill__tls_free(s->tls);
  rill__scram_server_free(s->scram);
  g_free(s->mechanism);
  g_free(s->principal);
  g_free(s);
}

void rill__conn_sec_on_input(rill__broker_conn *c)
{
  rill__conn_sec *s = c->sec;
  if (s->tls_checked || !rill__tls_established(s->tls))
    return;
  s->tls_checked = TRUE;
  if (s->sasl != RILL__SASL_OFF)
    return; /* SASL_SSL: the principal comes from SASL */
  char *dn = rill__tls_peer_dn(s->tls);
  g_free(s->principal);
  s->principal = dn ? g_strdup_printf("User:%s", dn) : g_strdup(ANONYMOUS);
  g_free(dn);
  rill__broker_event(c->broker, "info", "authenticated", "peer=%s listener=%s mechanism=TLS principal=\"%s\"", c->host,
                     c->listener ? c->listener->name : "-", s->principal);
}

void rill__security_event_tls_failed(rill__broker_conn *c)
{
  rill__broker_event_limited(c->broker, RILL__EV_AUTH_FAILED, "peer=%s listener=%s mechanism=TLS reason=\"%s\"",
                             c->host, c->listener ? c->listener->name : "-", rill__tls_error(c->sec->tls));
}

gboolean rill__conn_sec_close_due(rill__broker_conn *c)
{
  return c->sec->close_when_sent && c->slots.length == 0 && !(c->sec->tls && rill__tls_want_write(c->sec->tls));
}

const char *rill__broker_req_principal(const rill__broker_req *req)
{
  rill__conn_sec *s = req->conn->sec;
  return s && s->principal ? s->principal : ANONYMOUS;
}

gboolean rill__broker_authorize(rill__broker_req *req, int8_t resource_type, const char *name, int8_t op)
{
  if (!req->conn->listener)
    return TRUE; /* adopted in-process connections are trusted */
  return rill__acls_authorize(req->broker->security->acls, rill__broker_req_principal(req), req->conn->host,
                              resource_type, name, op);
}

gboolean rill__broker_authorize_any(rill__broker_req *req, int8_t resource_type, int8_t op)
{
  return !req->conn->listener ||
         rill__acls_any_allowed(req->broker->security->acls, rill__broker_req_principal(req), resource_type, op);
}

gboolean rill__security_admit(rill__broker_req *req)
{
  rill__conn_sec *s = req->conn->sec;
  if (!s || s->sasl == RILL__SASL_OFF || s->sasl == RILL__SASL_DONE)
    return rill__acl_gate(req);
  int16_t key = req->header.request_api_key;
  if (key == RILL_WIRE_API_API_VERSIONS || key == RILL_WIRE_API_SASL_HANDSHAKE ||
      (key == RILL_WIRE_API_SASL_AUTHENTICATE && s->sasl == RILL__SASL_AUTHENTICATE))
    return TRUE;
  rill__broker_conn *c = req->conn;
  rill__broker_event_limited(req->broker, RILL__EV_AUTH_FAILED,
                             "peer=%s listener=%s reason=\"request api=%d before SASL authentication\"", c->host,
                             c->listener ? c->listener->name : "-", key);
  c->refs++;
  rill__broker_respond_none(req);
  rill__broker_conn_close(c, "unauthenticated_request");
  rill__broker_conn_unref(c);
  return FALSE;
}
