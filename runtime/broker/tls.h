/* tls.h — TLS for broker connections, driven from the epoll loop.
 *
 * OpenSSL never touches the socket: each session sits on a BIO pair (two
 * memory buffers). Ciphertext is received straight into the network side's
 * buffer (BIO_nwrite0) and sent straight out of it (BIO_nread0), so bytes
 * are copied only by the cipher itself. No thread per connection, no
 * blocking call: every function here returns at once, and a caller that
 * gets EAGAIN waits for the socket as for plaintext.
 *
 * Invariants: rill__tls_want_write() is TRUE while ciphertext waits for the
 * socket (the connection must then watch EPOLLOUT); rill__tls_has_input()
 * is TRUE while received bytes wait inside the session (the socket may be
 * empty, so the connection must read again without waiting for EPOLLIN).
 * Plaintext handed to rill__tls_send* is consumed (encrypted into the
 * session's buffer) even when the socket is full.
 */
#pragma once

#include <glib.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "runtime/broker/config.h"

typedef struct rill__tls_ctx rill__tls_ctx;
typedef struct rill__tls rill__tls;

/* The server context from ssl.keystore.location, ssl.key.location,
 * ssl.key.password, ssl.truststore.location and ssl.client.auth. NULL with
 * RILL_BROKER_ERROR_CONFIG naming the file and OpenSSL's reason. */
rill__tls_ctx *rill__tls_ctx_new(const rill__broker_settings *s, GError **error);
void rill__tls_ctx_free(rill__tls_ctx *ctx);

/* A server session for one accepted connection; @client_auth FALSE asks
 * for no client certificate whatever ssl.client.auth says (SASL_SSL
 * listeners, as in Kafka). (transfer full) */
rill__tls *rill__tls_new(rill__tls_ctx *ctx, gboolean client_auth);
void rill__tls_free(rill__tls *t);

/* Like recvmsg: plaintext into @iov; 0 at the end of the stream (close_notify
 * or EOF); -1 with errno EAGAIN (nothing yet), EPROTO (TLS failure: see
 * rill__tls_error) or the socket's error. Drives the handshake. */
ssize_t rill__tls_recv(rill__tls *t, int fd, struct iovec *iov, int niov);
/* Encrypts what fits of @iov and sends what the socket takes. Returns the
 * plaintext bytes consumed, or -1 with errno (EAGAIN: nothing fit). */
ssize_t rill__tls_send(rill__tls *t, int fd, const struct iovec *iov, int niov);
/* Encrypts up to @len bytes of @file_fd from @pos (read with pread in large
 * chunks: sendfile cannot encrypt). Returns bytes consumed, 0 when the file
 * ends before @len, -1 with errno. */
ssize_t rill__tls_send_file(rill__tls *t, int fd, int file_fd, int64_t pos, size_t len);
/* Sends pending ciphertext. FALSE on a socket error (errno set). */
gboolean rill__tls_flush(rill__tls *t, int fd);
gboolean rill__tls_want_write(const rill__tls *t);
gboolean rill__tls_has_input(const rill__tls *t);
/* TRUE once the handshake has completed. */
gboolean rill__tls_established(const rill__tls *t);
/* The client certificate's subject as an RFC 2253 DN ("CN=alice,O=example"),
 * or NULL when the client sent none. (transfer full) */
char *rill__tls_peer_dn(const rill__tls *t);
/* Why the last EPROTO happened (OpenSSL's reason). (transfer none) */
const char *rill__tls_error(const rill__tls *t);
/* Drops the file-read buffer while nothing is being sent (idle memory). */
void rill__tls_trim(rill__tls *t);
