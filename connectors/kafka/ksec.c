/* ksec.c — client TLS and SASL (ksec.h). */
#include "connectors/kafka/ksec.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "runtime/security/scram.h"

struct rill__ktls_ctx {
  SSL_CTX *ctx;
  gboolean check_host;
};

struct rill__ktls {
  SSL *ssl;
  gboolean want_write;
};

static void conf_error(GError **error, const char *what, const char *path)
{
  char buf[256] = "unknown error";
  unsigned long e = ERR_get_error();
  if (e)
    ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  g_set_error(error, RILL_KAFKA_CLIENT_ERROR, RILL_KAFKA_CLIENT_ERROR_CONFIG, "%s %s: %s", what, path, buf);
}

static int password_cb(char *buf, int size, int rwflag, void *user)
{
  (void)rwflag;
  int n = (int)strlen(user);
  if (n > size)
    return 0;
  memcpy(buf, user, (size_t)n);
  return n;
}

rill__ktls_ctx *rill__ktls_ctx_new(const rill_kafka_conf *conf, GError **error)
{
  if (conf->security_protocol != RILL__KSEC_SSL && conf->security_protocol != RILL__KSEC_SASL_SSL)
    return NULL;
  SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
  if (*conf->ssl_ca_location ? SSL_CTX_load_verify_locations(ctx, conf->ssl_ca_location, NULL) != 1
                             : SSL_CTX_set_default_verify_paths(ctx) != 1) {
    conf_error(error, "ssl.ca.location", conf->ssl_ca_location);
    goto fail;
  }
  if (*conf->ssl_key_password) {
    SSL_CTX_set_default_passwd_cb(ctx, password_cb);
    SSL_CTX_set_default_passwd_cb_userdata(ctx, conf->ssl_key_password);
  }
  if (*conf->ssl_certificate_location &&
      SSL_CTX_use_certificate_chain_file(ctx, conf->ssl_certificate_location) != 1) {
    conf_error(error, "ssl.certificate.location", conf->ssl_certificate_location);
    goto fail;
  }
  if (*conf->ssl_key_location || *conf->ssl_certificate_location) {
    const char *key = *conf->ssl_key_location ? conf->ssl_key_location : conf->ssl_certificate_location;
    if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
      conf_error(error, "ssl.key.location", key);
      goto fail;
    }
  }
  SSL_CTX_set_default_passwd_cb_userdata(ctx, NULL);
  rill__ktls_ctx *t = g_new0(rill__ktls_ctx, 1);
  t->ctx = ctx;
  t->check_host = conf->ssl_endpoint_identification == 0;
  return t;
fail:
  SSL_CTX_free(ctx);
  return NULL;
}

void rill__ktls_ctx_free(rill__ktls_ctx *ctx)
{
  if (!ctx)
    return;
  SSL_CTX_free(ctx->ctx);
  g_free(ctx);
}

rill__ktls *rill__ktls_new(rill__ktls_ctx *ctx, int fd, const char *host)
{
  rill__ktls *t = g_new0(rill__ktls, 1);
  t->ssl = SSL_new(ctx->ctx);
  SSL_set_fd(t->ssl, fd);
  SSL_set_connect_state(t->ssl);
  gboolean is_ip = g_hostname_is_ip_address(host);
  if (!is_ip)
    SSL_set_tlsext_host_name(t->ssl, host);
  if (ctx->check_host) {
    X509_VERIFY_PARAM *p = SSL_get0_param(t->ssl);
    if (is_ip)
      X509_VERIFY_PARAM_set1_ip_asc(p, host);
    else
      X509_VERIFY_PARAM_set1_host(p, host, 0);
  }
  return t;
}

void rill__ktls_free(rill__ktls *t)
{
  if (!t)
    return;
  SSL_free(t->ssl);
  g_free(t);
}

/* Maps an SSL_get_error result to errno; TRUE when it only means "wait". */
static gboolean wait_for(rill__ktls *t, int e)
{
  t->want_write = e == SSL_ERROR_WANT_WRITE;
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
    errno = EAGAIN;
    return TRUE;
  }
  return FALSE;
}

int rill__ktls_handshake(rill__ktls *t, char **why)
{
  int r = SSL_do_handshake(t->ssl);
  if (r == 1) {
    t->want_write = FALSE;
    return 1;
  }
  int e = SSL_get_error(t->ssl, r);
  if (wait_for(t, e))
    return 0;
  long v = SSL_get_verify_result(t->ssl);
  char buf[256] = "connection closed during the TLS handshake";
  unsigned long err = ERR_get_error();
  if (v != X509_V_OK)
    g_snprintf(buf, sizeof buf, "certificate verification failed: %s", X509_verify_cert_error_string(v));
  else if (err)
    ERR_error_string_n(err, buf, sizeof buf);
  ERR_clear_error();
  *why = g_strdup_printf("TLS handshake failed: %s", buf);
  return -1;
}

ssize_t rill__ktls_read(rill__ktls *t, void *buf, size_t len)
{
  int r = SSL_read(t->ssl, buf, (int)MIN(len, (size_t)G_MAXINT));
  if (r > 0)
    return r;
  int e = SSL_get_error(t->ssl, r);
  if (wait_for(t, e))
    return -1;
  ERR_clear_error();
  if (e == SSL_ERROR_ZERO_RETURN)
    return 0;
  errno = ECONNRESET;
  return e == SSL_ERROR_SYSCALL && r == 0 ? 0 : -1;
}

ssize_t rill__ktls_write(rill__ktls *t, const void *buf, size_t len)
{
  int r = SSL_write(t->ssl, buf, (int)MIN(len, (size_t)G_MAXINT));
  if (r > 0) {
    t->want_write = FALSE;
    return r;
  }
  int e = SSL_get_error(t->ssl, r);
  if (wait_for(t, e))
    return -1;
  ERR_clear_error();
  errno = EPIPE;
  return -1;
}

gboolean rill__ktls_want_write(const rill__ktls *t)
{
  return t->want_write;
}

/* ---- SASL ---- */

struct rill__ksasl {
  int mech; /* rill__ksasl_mech */
  char *user, *password;
  rill__scram_client *scram;
  int round;
};

rill__ksasl *rill__ksasl_new(const rill_kafka_conf *conf)
{
  if (conf->security_protocol != RILL__KSEC_SASL_PLAINTEXT && conf->security_protocol != RILL__KSEC_SASL_SSL)
    return NULL;
  rill__ksasl *s = g_new0(rill__ksasl, 1);
  s->mech = conf->sasl_mechanism;
  s->user = g_strdup(conf->sasl_username);
  s->password = g_strdup(conf->sasl_password);
  if (s->mech != RILL__KSASL_PLAIN)
    s->scram = rill__scram_client_new(s->mech == RILL__KSASL_SCRAM_SHA_256 ? RILL__SCRAM_SHA_256 : RILL__SCRAM_SHA_512,
                                      s->user, s->password);
  return s;
}

void rill__ksasl_free(rill__ksasl *s)
{
  if (!s)
    return;
  rill__scram_client_free(s->scram);
  g_free(s->user);
  if (s->password)
    memset(s->password, 0, strlen(s->password));
  g_free(s->password);
  g_free(s);
}

const char *rill__ksasl_mechanism(const rill__ksasl *s)
{
  static const char *const names[] = {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"};
  return names[s->mech];
}

GBytes *rill__ksasl_step(rill__ksasl *s, const uint8_t *server, size_t len, gboolean *done, char **why)
{
  *done = FALSE;
  int round = s->round++;
  if (s->mech == RILL__KSASL_PLAIN) {
    if (round == 0) {
      GByteArray *a = g_byte_array_new();
      g_byte_array_append(a, (const guint8 *)"", 1);
      g_byte_array_append(a, (const guint8 *)s->user, (guint)strlen(s->user) + 1);
      g_byte_array_append(a, (const guint8 *)s->password, (guint)strlen(s->password));
      return g_byte_array_free_to_bytes(a);
    }
    *done = TRUE;
    return NULL;
  }
  if (round == 0)
    return rill__scram_client_first(s->scram);
  if (round == 1)
    return rill__scram_client_final(s->scram, server ? server : (const uint8_t *)"", len, why);
  if (rill__scram_client_verify(s->scram, server ? server : (const uint8_t *)"", len, why))
    *done = TRUE;
  return NULL;
}
