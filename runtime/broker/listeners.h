/* listeners.h — the broker's listeners as Kafka names them.
 *
 *   listeners=PLAINTEXT://127.0.0.1:9092,SASL_SSL://0.0.0.0:9093
 *   listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL
 *   advertised.listeners=PLAINTEXT://localhost:9092,SASL_SSL://broker.example:9093
 *
 * Each listener has a name (unique), a security protocol (from the map; the
 * four standard names map to themselves), a bound socket and the host/port
 * Metadata and FindCoordinator advertise to clients that connected through
 * it. A bare "host:port" is one PLAINTEXT listener (rill's older syntax).
 *
 * Invariants: listener structs live from rill__listeners_parse until the
 * broker is freed (connections point at theirs); the socket (fd) closes at
 * drain, the struct stays. The first member is the epoll source kind.
 */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "runtime/broker/config.h"

typedef enum {
  RILL__SEC_PLAINTEXT,
  RILL__SEC_SSL,
  RILL__SEC_SASL_PLAINTEXT,
  RILL__SEC_SASL_SSL,
} rill__security_protocol;

#define RILL__SEC_IS_TLS(p) ((p) == RILL__SEC_SSL || (p) == RILL__SEC_SASL_SSL)
#define RILL__SEC_IS_SASL(p) ((p) == RILL__SEC_SASL_PLAINTEXT || (p) == RILL__SEC_SASL_SSL)

typedef struct rill__listener {
  int kind;                         /* RILL__SRC_LISTEN (broker-private.h): must be first */
  int fd;                           /* -1: not bound, or closed at drain */
  char *name;                       /* "PLAINTEXT", "SASL_SSL", "INTERNAL", ... */
  rill__security_protocol protocol;
  char *bind_host;                  /* as configured ("" = any address) */
  int bind_port;
  char host[64];                    /* bound address as text */
  uint16_t port;                    /* bound port */
  char *adv_host;                   /* advertised (never a wildcard address) */
  int32_t adv_port;
} rill__listener;

/* The protocol named @name ("SASL_SSL"), or -1. */
int rill__security_protocol_parse(const char *name);
const char *rill__security_protocol_name(rill__security_protocol p);

/* Parses listeners, listener.security.protocol.map and advertised.listeners
 * into listener structs, not bound yet. (transfer full: a GPtrArray that
 * frees its listeners; empty when listeners is "") NULL with
 * RILL_BROKER_ERROR_LISTEN on a malformed or inconsistent setting. */
GPtrArray *rill__listeners_parse(const rill__broker_settings *s, GError **error);
/* Binds and listens (non-blocking); fills host/port and the advertised
 * address where it was left to the bound one. */
gboolean rill__listener_bind(rill__listener *l, GError **error);
/* Closes the socket (idempotent). */
void rill__listener_close(rill__listener *l);
/* TRUE when any listener uses TLS / SASL. */
gboolean rill__listeners_any_secure(const GPtrArray *listeners);
