/* ksec.h — security for the Kafka client core (kclient.c): TLS sessions on
 * its non-blocking sockets and the client side of SASL PLAIN and
 * SCRAM-SHA-256/512, configured with librdkafka's property names
 * (security.protocol, sasl.*, ssl.*; kconf.c).
 *
 * TLS runs OpenSSL straight on the socket (SSL_set_fd): the client has a
 * handful of connections and one poll loop, so it needs no BIO plumbing.
 * Reads and writes behave like read(2)/send(2) on a non-blocking socket:
 * -1 with errno EAGAIN when the session waits for the socket (see
 * rill__ktls_want_write for which direction).
 *
 * Invariants: the broker's certificate is verified against ssl.ca.location
 * (or the system's CAs) and, with ssl.endpoint.identification.algorithm=https
 * (the default, as in librdkafka 2), must name the host connected to; the
 * SCRAM server signature is verified before the connection counts as
 * authenticated.
 */
#pragma once

#include <glib.h>
#include <stdint.h>
#include <sys/types.h>

#include "connectors/kafka/kconf.h"

typedef struct rill__ktls_ctx rill__ktls_ctx;
typedef struct rill__ktls rill__ktls;

/* NULL (no error) for plaintext protocols; NULL with @error
 * (RILL_KAFKA_CLIENT_ERROR_CONFIG) for unreadable certificates or keys. */
rill__ktls_ctx *rill__ktls_ctx_new(const rill_kafka_conf *conf, GError **error);
void rill__ktls_ctx_free(rill__ktls_ctx *ctx);

rill__ktls *rill__ktls_new(rill__ktls_ctx *ctx, int fd, const char *host);
void rill__ktls_free(rill__ktls *t);
/* 1 done, 0 in progress (wait for the socket), -1 failed (*@why set,
 * transfer full). */
int rill__ktls_handshake(rill__ktls *t, char **why);
ssize_t rill__ktls_read(rill__ktls *t, void *buf, size_t len);
ssize_t rill__ktls_write(rill__ktls *t, const void *buf, size_t len);
/* TRUE when the last call stopped because the socket must become writable. */
gboolean rill__ktls_want_write(const rill__ktls *t);

/* ---- SASL ---- */

typedef struct rill__ksasl rill__ksasl;

/* NULL when the protocol has no SASL. */
rill__ksasl *rill__ksasl_new(const rill_kafka_conf *conf);
void rill__ksasl_free(rill__ksasl *s);
const char *rill__ksasl_mechanism(const rill__ksasl *s);
/* The next token to send: first call with @server NULL; later with the
 * server's answer. Returns NULL with *@done when authentication completed
 * (nothing more to send), NULL with *@why (transfer full) on a failure. */
GBytes *rill__ksasl_step(rill__ksasl *s, const uint8_t *server, size_t len, gboolean *done, char **why);
