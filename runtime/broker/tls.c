/* tls.c — broker-side TLS sessions over BIO pairs (tls.h).
 *
 * Buffers: the pair's outgoing side holds ciphertext (what one round of
 * encryption may produce before the socket takes it), the incoming side
 * what was received and not yet decrypted. A connection has no pair until
 * its client sends the first byte, then a small one (a record each way)
 * that serves the handshake, SASL and small requests; it grows to the full
 * OUT_BUF/IN_BUF once traffic asks for more (a response larger than the
 * small side, a read that filled it) and the pair is empty, which is the
 * only time it can be swapped (OpenSSL keeps no state in the BIOs). So a
 * connection that has not authenticated, or never moves much, holds no
 * more than the small pair. File data (Fetch) is read with pread() into a
 * FILE_CHUNK buffer sized to what the outgoing side can take, then
 * encrypted: a large chunk keeps the per-call overhead small so the fetch
 * path stays close to the cipher's speed.
 */
#include "runtime/broker/tls.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rill/broker.h>

/* Ciphertext per TLS record beyond its plaintext (header, tag, padding). */
#define RECORD_OVERHEAD 64
#define RECORD_MAX 16384
/* The grown pair: 128 KiB out (8 full records), 33 KiB in (2 records), so
 * 10000 busy connections stay under 1.6 GB. */
#define OUT_BUF (128 * 1024)
#define IN_BUF (32 * 1024 + 1024)
/* The first pair: one full record each way. */
#define SMALL_BUF (RECORD_MAX + 1024)
#define FILE_CHUNK (256 * 1024)

struct rill__tls_ctx {
  SSL_CTX *ctx;
};

struct rill__tls {
  SSL *ssl;
  BIO *net;          /* our side of the pair: ciphertext in and out; NULL before the first byte */
  gboolean grown;    /* the pair has its full size */
  gboolean in_full;  /* the last read filled the incoming side: grow when possible */
  uint8_t *file_buf; /* FILE_CHUNK bytes, while a file is being sent */
  char error[256];
  gboolean eof;      /* the socket reported end of stream */
};

static void set_ssl_error(GError **error, const char *what, const char *path)
{
  char buf[256] = "unknown error";
  unsigned long e = ERR_get_error();
  if (e)
    ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  g_set_error(error, RILL_BROKER_ERROR, RILL_BROKER_ERROR_CONFIG, "%s %s: %s", what, path, buf);
}

static int password_cb(char *buf, int size, int rwflag, void *user)
{
  (void)rwflag;
  const char *pw = user;
  int n = (int)strlen(pw);
  if (n > size)
    return 0;
  memcpy(buf, pw, (size_t)n);
  return n;
}

rill__tls_ctx *rill__tls_ctx_new(const rill__broker_settings *s, GError **error)
{
  if (!*s->ssl_keystore_location) {
    g_set_error(error, RILL_BROKER_ERROR, RILL_BROKER_ERROR_CONFIG,
                "an SSL or SASL_SSL listener needs ssl.keystore.location (a PEM certificate chain)");
    return NULL;
  }
  SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx) {
    set_ssl_error(error, "TLS context", "");
    return NULL;
  }
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_num_tickets(ctx, 0); /* no resumption: nothing to send after the handshake */
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  if (*s->ssl_key_password) {
    SSL_CTX_set_default_passwd_cb(ctx, password_cb);
    SSL_CTX_set_default_passwd_cb_userdata(ctx, s->ssl_key_password);
  }
  const char *key = *s->ssl_key_location ? s->ssl_key_location : s->ssl_keystore_location;
  if (SSL_CTX_use_certificate_chain_file(ctx, s->ssl_keystore_location) != 1) {
    set_ssl_error(error, "ssl.keystore.location", s->ssl_keystore_location);
    goto fail;
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
    set_ssl_error(error, "ssl.key.location", key);
    goto fail;
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    set_ssl_error(error, "private key does not match the certificate in", s->ssl_keystore_location);
    goto fail;
  }
  /* The callback data (the password) lives in the settings only: it is not
   * needed after loading. */
  SSL_CTX_set_default_passwd_cb_userdata(ctx, NULL);
  if (*s->ssl_truststore_location) {
    if (SSL_CTX_load_verify_locations(ctx, s->ssl_truststore_location, NULL) != 1) {
      set_ssl_error(error, "ssl.truststore.location", s->ssl_truststore_location);
      goto fail;
    }
    STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(s->ssl_truststore_location);
    if (names)
      SSL_CTX_set_client_CA_list(ctx, names);
  } else if (s->ssl_client_auth != RILL__CLIENT_AUTH_NONE) {
    g_set_error(error, RILL_BROKER_ERROR, RILL_BROKER_ERROR_CONFIG,
                "ssl.client.auth=%s needs ssl.truststore.location (the CAs client certificates are checked against)",
                s->ssl_client_auth == RILL__CLIENT_AUTH_REQUIRED ? "required" : "requested");
    goto fail;
  }
  int mode = SSL_VERIFY_NONE;
  if (s->ssl_client_auth == RILL__CLIENT_AUTH_REQUESTED)
    mode = SSL_VERIFY_PEER;
  else if (s->ssl_client_auth == RILL__CLIENT_AUTH_REQUIRED)
    mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  SSL_CTX_set_verify(ctx, mode, NULL);
  rill__tls_ctx *t = g_new0(rill__tls_ctx, 1);
  t->ctx = ctx;
  return t;
fail:
  SSL_CTX_free(ctx);
  return NULL;
}

void rill__tls_ctx_free(rill__tls_ctx *ctx)
{
  if (!ctx)
    return;
  SSL_CTX_free(ctx->ctx);
  g_free(ctx);
}

rill__tls *rill__tls_new(rill__tls_ctx *ctx, gboolean client_auth)
{
  rill__tls *t = g_new0(rill__tls, 1);
  t->ssl = SSL_new(ctx->ctx);
  if (!client_auth)
    SSL_set_verify(t->ssl, SSL_VERIFY_NONE, NULL);
  SSL_set_accept_state(t->ssl);
  return t;
}

/* Gives the session a pair of @out/@in bytes (OpenSSL allocates both
 * buffers when it pairs them). The old pair, if any, must be empty. */
static void set_pair(rill__tls *t, size_t out, size_t in)
{
  BIO *inner = NULL, *old = t->net;
  /* inner's buffer holds what SSL writes (outgoing), net's what we write. */
  BIO_new_bio_pair(&inner, out, &t->net, in);
  SSL_set_bio(t->ssl, inner, inner); /* frees the old inner */
  BIO_free(old);
}

/* The small pair before any I/O. */
static void need_pair(rill__tls *t)
{
  if (!t->net)
    set_pair(t, SMALL_BUF, SMALL_BUF);
}

/* The full pair when traffic asked for it (@want plaintext bytes to send
 * at once, or a read that filled the incoming side) and nothing is in
 * flight in either direction. */
static void maybe_grow(rill__tls *t, size_t want)
{
  if (t->grown || (want <= SMALL_BUF - RECORD_OVERHEAD && !t->in_full))
    return;
  if (BIO_ctrl_pending(t->net) || BIO_ctrl_wpending(t->net))
    return; /* ciphertext in flight: try again when the pair is empty */
  set_pair(t, OUT_BUF, IN_BUF);
  t->grown = TRUE;
}

void rill__tls_free(rill__tls *t)
{
  if (!t)
    return;
  SSL_free(t->ssl); /* frees inner */
  BIO_free(t->net);
  g_free(t->file_buf);
  g_free(t);
}

gboolean rill__tls_want_write(const rill__tls *t)
{
  return t->net && BIO_ctrl_pending(t->net) > 0;
}

gboolean rill__tls_has_input(const rill__tls *t)
{
  return SSL_pending(t->ssl) > 0 || (t->net && BIO_ctrl_wpending(t->net) > 0);
}

gboolean rill__tls_established(const rill__tls *t)
{
  return SSL_is_init_finished(t->ssl);
}

const char *rill__tls_error(const rill__tls *t)
{
  return t->error;
}

gboolean rill__tls_flush(rill__tls *t, int fd)
{
  if (!t->net)
    return TRUE;
  for (;;) {
    char *p;
    int n = BIO_nread0(t->net, &p);
    if (n <= 0)
      return TRUE;
    ssize_t w = send(fd, p, (size_t)n, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      return errno == EAGAIN || errno == EWOULDBLOCK;
    }
    BIO_nread(t->net, &p, (int)w);
    if (w < n)
      return TRUE;
  }
}

/* Moves ciphertext from the socket into the session: >0 bytes, 0 EOF,
 * -1 errno. */
static ssize_t pull(rill__tls *t, int fd)
{
  maybe_grow(t, 0);
  char *p;
  int room = BIO_nwrite0(t->net, &p);
  if (room <= 0) {
    errno = EAGAIN; /* the session has a full buffer it has not read yet */
    return -1;
  }
  ssize_t n;
  do
    n = recv(fd, p, (size_t)room, 0);
  while (n < 0 && errno == EINTR);
  if (n > 0) {
    BIO_nwrite(t->net, &p, (int)n);
    t->in_full = n == room;
  } else if (n == 0)
    t->eof = TRUE;
  return n;
}

static void note_error(rill__tls *t)
{
  unsigned long e = ERR_get_error();
  if (e)
    ERR_error_string_n(e, t->error, sizeof t->error);
  else
    g_strlcpy(t->error, "protocol error", sizeof t->error);
  ERR_clear_error();
  errno = EPROTO;
}

ssize_t rill__tls_recv(rill__tls *t, int fd, struct iovec *iov, int niov)
{
  need_pair(t);
  ssize_t total = 0;
  int i = 0;
  size_t off = 0;
  while (i < niov) {
    if (off == iov[i].iov_len) {
      i++;
      off = 0;
      continue;
    }
    size_t want = MIN(iov[i].iov_len - off, (size_t)G_MAXINT);
    int r = SSL_read(t->ssl, (uint8_t *)iov[i].iov_base + off, (int)want);
    if (r > 0) {
      total += r;
      off += (size_t)r;
      continue;
    }
    int e = SSL_get_error(t->ssl, r);
    if (e == SSL_ERROR_WANT_READ) {
      if (!rill__tls_flush(t, fd)) /* handshake messages */
        return total ? total : -1;
      if (t->eof)
        return total;
      ssize_t n = pull(t, fd);
      if (n > 0)
        continue;
      if (n == 0)
        return total;
      return total ? total : -1;
    }
    if (e == SSL_ERROR_WANT_WRITE) {
      /* The outgoing buffer is full of handshake bytes: send first. */
      if (!rill__tls_flush(t, fd))
        return total ? total : -1;
      if (rill__tls_want_write(t)) {
        errno = EAGAIN;
        return total ? total : -1;
      }
      continue;
    }
    if (e == SSL_ERROR_ZERO_RETURN)
      return total;
    note_error(t);
    rill__tls_flush(t, fd); /* the alert, best effort */
    return total ? total : -1;
  }
  rill__tls_flush(t, fd);
  return total;
}

/* Encrypts @len bytes at @p; returns bytes consumed (maybe 0: buffer full),
 * or -1 with errno on a TLS failure. */
static ssize_t encrypt(rill__tls *t, int fd, const uint8_t *p, size_t len)
{
  size_t done = 0;
  while (done < len) {
    int r = SSL_write(t->ssl, p + done, (int)MIN(len - done, (size_t)G_MAXINT));
    if (r > 0) {
      done += (size_t)r;
      continue;
    }
    int e = SSL_get_error(t->ssl, r);
    if (e == SSL_ERROR_WANT_WRITE) {
      if (!rill__tls_flush(t, fd))
        return -1;
      if (rill__tls_want_write(t) && BIO_ctrl_get_write_guarantee(SSL_get_wbio(t->ssl)) < RECORD_MAX)
        break; /* the socket is full too */
      continue;
    }
    if (e == SSL_ERROR_WANT_READ) {
      /* Still handshaking: output waits until the client has finished. */
      break;
    }
    note_error(t);
    return -1;
  }
  return (ssize_t)done;
}

ssize_t rill__tls_send(rill__tls *t, int fd, const struct iovec *iov, int niov)
{
  need_pair(t);
  if (!rill__tls_flush(t, fd))
    return -1;
  size_t want = 0;
  for (int i = 0; i < niov; i++)
    want += iov[i].iov_len;
  maybe_grow(t, want);
  ssize_t total = 0;
  for (int i = 0; i < niov; i++) {
    ssize_t n = encrypt(t, fd, iov[i].iov_base, iov[i].iov_len);
    if (n < 0)
      return total ? total : -1;
    total += n;
    if ((size_t)n < iov[i].iov_len)
      break;
  }
  if (!rill__tls_flush(t, fd) && !total)
    return -1;
  if (total == 0) {
    errno = EAGAIN;
    return -1;
  }
  return total;
}

ssize_t rill__tls_send_file(rill__tls *t, int fd, int file_fd, int64_t pos, size_t len)
{
  need_pair(t);
  if (!rill__tls_flush(t, fd))
    return -1;
  maybe_grow(t, len);
  size_t room = BIO_ctrl_get_write_guarantee(SSL_get_wbio(t->ssl));
  /* Plaintext that surely fits as ciphertext: whole records less overhead. */
  size_t fits = room > RECORD_OVERHEAD ? room - (room / RECORD_MAX + 1) * RECORD_OVERHEAD : 0;
  size_t want = MIN(MIN(len, (size_t)FILE_CHUNK), fits);
  if (want == 0) {
    errno = EAGAIN;
    return -1;
  }
  if (!t->file_buf)
    t->file_buf = g_malloc(FILE_CHUNK);
  ssize_t got;
  do
    got = pread(file_fd, t->file_buf, want, (off_t)pos);
  while (got < 0 && errno == EINTR);
  if (got <= 0)
    return got < 0 ? -1 : 0;
  ssize_t n = encrypt(t, fd, t->file_buf, (size_t)got);
  if (n < 0)
    return -1;
  rill__tls_flush(t, fd);
  if (n == 0) {
    errno = EAGAIN;
    return -1;
  }
  return n;
}

void rill__tls_trim(rill__tls *t)
{
  g_clear_pointer(&t->file_buf, g_free);
}

char *rill__tls_peer_dn(const rill__tls *t)
{
  X509 *cert = SSL_get1_peer_certificate(t->ssl);
  if (!cert)
    return NULL;
  BIO *mem = BIO_new(BIO_s_mem());
  X509_NAME_print_ex(mem, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
  char *p = NULL;
  long n = BIO_get_mem_data(mem, &p);
  char *dn = g_strndup(p, (gsize)n);
  BIO_free(mem);
  X509_free(cert);
  return dn;
}
