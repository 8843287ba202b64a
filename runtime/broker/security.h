/* security.h — who a connection is and what it may do: the glue between
 * listeners (listeners.h), TLS sessions (tls.h), SASL exchanges (sasl.c),
 * the credential store (credentials.h) and the ACL authorizer (acl.h).
 *
 * Principals are Kafka's: "User:ANONYMOUS" on PLAINTEXT listeners and on SSL
 * listeners without a client certificate, "User:<subject DN>" on SSL
 * listeners with one (RFC 2253, as Kafka's default mapping), "User:<name>"
 * after SASL authentication.
 *
 * Invariants: on a SASL listener no request but ApiVersions, SaslHandshake
 * and SaslAuthenticate reaches a handler before authentication succeeded
 * (anything else closes the connection, as Kafka does); a failed
 * authentication answers, then closes the connection once the answer is
 * sent, and nothing the client pipelined after it is read.
 */
#pragma once

#include "runtime/broker/broker-private.h"
#include "runtime/broker/credentials.h"
#include "runtime/broker/tls.h"
#include "runtime/broker/acl.h"
#include "runtime/security/scram.h"

struct rill__security {
  rill__tls_ctx *tls;          /* when any listener uses TLS */
  rill__credentials *creds;    /* SCRAM credentials (data dir) */
  rill__acls *acls;            /* ACLs (data dir) */
  char **mechanisms;           /* sasl.enabled.mechanisms */
};

typedef enum {
  RILL__SASL_OFF,          /* not a SASL listener */
  RILL__SASL_HANDSHAKE,    /* waiting for SaslHandshake */
  RILL__SASL_AUTHENTICATE, /* mechanism chosen: SaslAuthenticate rounds */
  RILL__SASL_BUSY,         /* a PLAIN check runs on the pool */
  RILL__SASL_DONE,         /* authenticated */
} rill__sasl_state;

struct rill__conn_sec {
  rill__tls *tls;              /* NULL on plaintext listeners */
  rill__sasl_state sasl;
  char *mechanism;             /* chosen by SaslHandshake */
  gboolean sasl_raw;           /* SaslHandshake v0: bare tokens until authenticated */
  rill__scram_server *scram;   /* SCRAM exchange in progress */
  char *principal;             /* "User:..." */
  gboolean tls_checked;        /* principal taken from the handshake */
  gboolean close_when_sent;    /* authentication failed */
  gboolean kick_pending;       /* conn.c: a read of buffered TLS input is scheduled */
};

/* Builds what the listeners need (TLS context, credential store with its
 * bootstrap users, ACLs) once the log is open. NULL with @error. */
rill__security *rill__security_new(rill__broker *b, GError **error);
void rill__security_free(rill__security *s);

/* State for a connection accepted on @l (NULL: adopted, plaintext).
 * (transfer full) */
rill__conn_sec *rill__conn_sec_new(rill__broker *b, rill__listener *l);
void rill__conn_sec_free(rill__conn_sec *s);
/* After TLS input: takes the principal from a finished handshake. */
void rill__conn_sec_on_input(rill__broker_conn *c);
/* Logs a failed TLS session (rate-limited). */
void rill__security_event_tls_failed(rill__broker_conn *c);
/* TRUE when the connection should close now: authentication failed and
 * its answer has gone out. */
gboolean rill__conn_sec_close_due(rill__broker_conn *c);

/* h-acls.c: TRUE when the group APIs' ACLs let @req reach its handler;
 * otherwise it has been answered with GROUP_AUTHORIZATION_FAILED. */
gboolean rill__acl_gate(rill__broker_req *req);

/* The dispatch gate: TRUE when @req may reach its handler; otherwise the
 * request has been answered (ACL denial) or dropped with the connection
 * closed (before SASL authentication). */
gboolean rill__security_admit(rill__broker_req *req);
