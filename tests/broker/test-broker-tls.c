/* test-broker-tls.c — the broker's TLS sessions (runtime/broker/tls.c)
 * against an OpenSSL client over a socketpair:
 * - memory: a connection holds almost nothing until its client sends, and
 *   a small pair (not the 161 KiB a busy connection grows to) through the
 *   handshake and small requests, i.e. until it authenticates;
 * - a large response still arrives whole and in order, across the switch
 *   to the full-size pair.
 *
 * OpenSSL's allocations are counted through CRYPTO_set_mem_functions (set
 * before OpenSSL allocates anything); only those made on this (the
 * "broker") thread count, not the client thread's. */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "runtime/broker/config.h"
#include "runtime/broker/tls.h"

/* ---- counting OpenSSL's memory ------------------------------------------- */

typedef struct {
  size_t size;
  gboolean counted;
  max_align_t pad[];
} header;

static _Thread_local gboolean counting; /* set on the broker thread */
static gint64 live;                      /* atomic: bytes the broker thread holds */

static void *count_malloc(size_t n, const char *file, int line)
{
  header *h = malloc(sizeof(header) + n);
  if (!h)
    return NULL;
  h->size = n;
  h->counted = counting;
  if (h->counted)
    __atomic_add_fetch(&live, (gint64)n, __ATOMIC_RELAXED);
  return h + 1;
}

static void count_free(void *p, const char *file, int line)
{
  if (!p)
    return;
  header *h = (header *)p - 1;
  if (h->counted)
    __atomic_sub_fetch(&live, (gint64)h->size, __ATOMIC_RELAXED);
  free(h);
}

static void *count_realloc(void *p, size_t n, const char *file, int line)
{
  if (!p)
    return count_malloc(n, file, line);
  header *h = (header *)p - 1;
  void *q = count_malloc(n, file, line);
  if (q) {
    memcpy(q, p, MIN(n, h->size));
    count_free(p, file, line);
  }
  return q;
}

static gint64 held(void)
{
  return __atomic_load_n(&live, __ATOMIC_RELAXED);
}

/* ---- a self-signed certificate and the server context ---------------------- */

static rill__tls_ctx *server_ctx(const char *dir)
{
  EVP_PKEY *key = EVP_EC_gen("P-256");
  X509 *cert = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1,
                             -1, 0);
  X509_set_issuer_name(cert, X509_get_subject_name(cert));
  g_assert_cmpint(X509_sign(cert, key, EVP_sha256()), >, 0);
  g_autofree char *cert_path = g_build_filename(dir, "broker.pem", NULL);
  g_autofree char *key_path = g_build_filename(dir, "broker.key", NULL);
  FILE *f = fopen(cert_path, "w");
  g_assert_nonnull(f);
  PEM_write_X509(f, cert);
  fclose(f);
  f = fopen(key_path, "w");
  g_assert_nonnull(f);
  PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
  fclose(f);
  X509_free(cert);
  EVP_PKEY_free(key);
  rill__broker_settings s;
  rill__broker_settings_init(&s);
  GError *error = NULL;
  g_assert_true(rill__broker_settings_set(&s, "ssl.keystore.location", cert_path, &error));
  g_assert_true(rill__broker_settings_set(&s, "ssl.key.location", key_path, &error));
  rill__tls_ctx *ctx = rill__tls_ctx_new(&s, &error);
  g_assert_no_error(error);
  rill__broker_settings_clear(&s);
  return ctx;
}

/* ---- the client: a blocking OpenSSL client on its end of the pair ----------- */

#define BIG (1024 * 1024)

typedef struct {
  int fd;
  gboolean big_ok; /* the large response arrived whole and in order */
} client;

static uint8_t pattern(size_t i)
{
  return (uint8_t)(i * 7 + i / 251);
}

static gpointer client_main(gpointer data)
{
  client *c = data;
  SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
  SSL *ssl = SSL_new(ctx);
  SSL_set_fd(ssl, c->fd);
  g_assert_cmpint(SSL_connect(ssl), ==, 1);
  g_assert_cmpint(SSL_write(ssl, "ping", 4), ==, 4);
  uint8_t *buf = g_malloc(BIG);
  size_t got = 0;
  while (got < BIG) {
    int n = SSL_read(ssl, buf + got, (int)(BIG - got));
    if (n <= 0)
      break;
    got += (size_t)n;
  }
  c->big_ok = got == BIG;
  for (size_t i = 0; c->big_ok && i < BIG; i++)
    c->big_ok = buf[i] == pattern(i);
  g_free(buf);
  SSL_shutdown(ssl);
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  return NULL;
}

static void wait_fd(int fd, short events)
{
  struct pollfd p = {.fd = fd, .events = events};
  g_assert_cmpint(poll(&p, 1, -1), ==, 1);
}

/* One connection: handshake, "ping", a large response. Sets *@idle to
 * what the session held before any byte and *@small to what it held after
 * the handshake and the small request. */
static void one_connection(rill__tls_ctx *ctx, gint64 *idle, gint64 *small)
{
  int fds[2];
  g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), ==, 0);
  g_assert_cmpint(fcntl(fds[0], F_SETFL, O_NONBLOCK), ==, 0); /* the broker's end, as in its loop */
  client c = {.fd = fds[1]};

  /* Accepted, nothing received yet: the session itself only. */
  gint64 before = held();
  rill__tls *t = rill__tls_new(ctx, FALSE);
  *idle = held() - before;

  /* Handshake and a small request (as SASL and ApiVersions would be). */
  GThread *th = g_thread_new("client", client_main, &c);
  char ping[4];
  size_t got = 0;
  while (got < sizeof ping) {
    struct iovec iov = {ping + got, sizeof ping - got};
    ssize_t n = rill__tls_recv(t, fds[0], &iov, 1);
    if (n > 0)
      got += (size_t)n;
    else {
      g_assert_cmpint(n, ==, -1);
      g_assert_cmpint(errno, ==, EAGAIN);
      wait_fd(fds[0], rill__tls_want_write(t) ? POLLOUT : POLLIN);
      g_assert_true(rill__tls_flush(t, fds[0]));
    }
  }
  g_assert_cmpmem(ping, 4, "ping", 4);
  g_assert_true(rill__tls_established(t));
  g_assert_true(rill__tls_flush(t, fds[0]));
  *small = held() - before;

  /* A large response: whole and in order. */
  uint8_t *big = g_malloc(BIG);
  for (size_t i = 0; i < BIG; i++)
    big[i] = pattern(i);
  size_t sent = 0;
  while (sent < BIG) {
    struct iovec iov = {big + sent, BIG - sent};
    ssize_t n = rill__tls_send(t, fds[0], &iov, 1);
    if (n > 0)
      sent += (size_t)n;
    else {
      g_assert_cmpint(errno, ==, EAGAIN);
      wait_fd(fds[0], POLLOUT);
    }
  }
  while (rill__tls_want_write(t)) {
    wait_fd(fds[0], POLLOUT);
    g_assert_true(rill__tls_flush(t, fds[0]));
  }
  g_thread_join(th);
  g_assert_true(c.big_ok);
  g_free(big);
  rill__tls_free(t);
  close(fds[0]);
  close(fds[1]);
}

static void test_memory_and_growth(void)
{
  g_autofree char *dir = g_dir_make_tmp("rill-tls-XXXXXX", NULL);
  counting = TRUE;
  rill__tls_ctx *ctx = server_ctx(dir);
  gint64 idle, small;
  /* The first handshake also fills OpenSSL's process-wide caches: the
   * second shows what one connection costs. */
  one_connection(ctx, &idle, &small);
  one_connection(ctx, &idle, &small);
  g_test_message("a session before any byte: %" G_GINT64_FORMAT " bytes; after the handshake and a small "
                 "request: %" G_GINT64_FORMAT " bytes", idle, small);
  g_assert_cmpint(idle, <, 16 * 1024);
  g_assert_cmpint(small, <, 64 * 1024);
  rill__tls_ctx_free(ctx);
  g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", dir);
  g_assert_cmpint(system(cmd), ==, 0);
}

int main(int argc, char **argv)
{
  /* Before anything makes OpenSSL allocate. */
  g_assert_true(CRYPTO_set_mem_functions(count_malloc, count_realloc, count_free));
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/broker/tls/memory-and-growth", test_memory_and_growth);
  return g_test_run();
}
