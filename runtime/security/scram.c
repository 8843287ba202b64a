/* scram.c — SCRAM-SHA-256/512 (scram.h).
 *
 * Messages (RFC 5802 §7), as Kafka's clients send them:
 *   client-first  gs2-header client-first-bare    "n,,n=alice,r=NONCE"
 *   server-first  "r=NONCE+SNONCE,s=SALT64,i=4096"
 *   client-final  "c=base64(gs2-header),r=NONCE+SNONCE,p=PROOF64"
 *   server-final  "v=SIGNATURE64"   (or "e=reason")
 * AuthMessage = client-first-bare "," server-first "," client-final-without-proof.
 * Attribute values are parsed from a NUL-terminated copy of the message;
 * base64 is checked strictly (g_base64_decode accepts garbage).
 */
#include "runtime/security/scram.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <string.h>

static const EVP_MD *md_of(rill__scram_mech m)
{
  return m == RILL__SCRAM_SHA_256 ? EVP_sha256() : EVP_sha512();
}

int rill__scram_mech_parse(const char *name)
{
  if (g_strcmp0(name, "SCRAM-SHA-256") == 0)
    return RILL__SCRAM_SHA_256;
  if (g_strcmp0(name, "SCRAM-SHA-512") == 0)
    return RILL__SCRAM_SHA_512;
  return -1;
}

const char *rill__scram_mech_name(rill__scram_mech m)
{
  return m == RILL__SCRAM_SHA_256 ? "SCRAM-SHA-256" : "SCRAM-SHA-512";
}

int8_t rill__scram_mech_kafka_id(rill__scram_mech m)
{
  return m == RILL__SCRAM_SHA_256 ? 1 : 2;
}

size_t rill__scram_key_len(rill__scram_mech m)
{
  return m == RILL__SCRAM_SHA_256 ? 32 : 64;
}

static void hmac(rill__scram_mech m, const uint8_t *key, size_t klen, const void *data, size_t len, uint8_t *out)
{
  unsigned int n = 0;
  HMAC(md_of(m), key, (int)klen, data, len, out, &n);
}

static void hash(rill__scram_mech m, const uint8_t *data, size_t len, uint8_t *out)
{
  unsigned int n = 0;
  EVP_Digest(data, len, out, &n, md_of(m), NULL);
}

/* SaltedPassword, ClientKey and ServerKey of @password. */
static void derive(rill__scram_mech m, const char *password, const uint8_t *salt, size_t salt_len, int32_t iterations,
                   uint8_t *client_key, uint8_t *server_key)
{
  size_t kl = rill__scram_key_len(m);
  uint8_t salted[RILL__SCRAM_MAX_KEY];
  PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, (int)salt_len, iterations, md_of(m), (int)kl, salted);
  hmac(m, salted, kl, "Client Key", 10, client_key);
  hmac(m, salted, kl, "Server Key", 10, server_key);
  OPENSSL_cleanse(salted, sizeof salted);
}

void rill__scram_salt_password(rill__scram_mech mech, const char *password, const uint8_t *salt, size_t salt_len,
                               int32_t iterations, uint8_t *out)
{
  PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, (int)salt_len, iterations, md_of(mech),
                    (int)rill__scram_key_len(mech), out);
}

void rill__scram_credential_make(rill__scram_credential *cred, rill__scram_mech mech, const char *password,
                                 const uint8_t *salt, size_t salt_len, int32_t iterations)
{
  memset(cred, 0, sizeof *cred);
  cred->mech = mech;
  cred->iterations = iterations;
  if (salt) {
    cred->salt_len = MIN(salt_len, sizeof cred->salt);
    memcpy(cred->salt, salt, cred->salt_len);
  } else {
    cred->salt_len = 32;
    RAND_bytes(cred->salt, (int)cred->salt_len);
  }
  uint8_t client_key[RILL__SCRAM_MAX_KEY];
  derive(mech, password, cred->salt, cred->salt_len, iterations, client_key, cred->server_key);
  hash(mech, client_key, rill__scram_key_len(mech), cred->stored_key);
  OPENSSL_cleanse(client_key, sizeof client_key);
}

gboolean rill__scram_credential_from_salted(rill__scram_credential *cred, rill__scram_mech mech, const uint8_t *salted,
                                            size_t salted_len, const uint8_t *salt, size_t salt_len, int32_t iterations)
{
  size_t kl = rill__scram_key_len(mech);
  if (salted_len != kl || salt_len == 0 || salt_len > sizeof cred->salt)
    return FALSE;
  memset(cred, 0, sizeof *cred);
  cred->mech = mech;
  cred->iterations = iterations;
  memcpy(cred->salt, salt, salt_len);
  cred->salt_len = salt_len;
  uint8_t client_key[RILL__SCRAM_MAX_KEY];
  hmac(mech, salted, kl, "Client Key", 10, client_key);
  hmac(mech, salted, kl, "Server Key", 10, cred->server_key);
  hash(mech, client_key, kl, cred->stored_key);
  OPENSSL_cleanse(client_key, sizeof client_key);
  return TRUE;
}

gboolean rill__scram_credential_check(const rill__scram_credential *cred, const char *password)
{
  rill__scram_credential c;
  rill__scram_credential_make(&c, cred->mech, password, cred->salt, cred->salt_len, cred->iterations);
  gboolean ok = CRYPTO_memcmp(c.stored_key, cred->stored_key, rill__scram_key_len(cred->mech)) == 0;
  OPENSSL_cleanse(&c, sizeof c);
  return ok;
}

/* ---- Parsing ---- */

/* Strict base64 decode of @s into @out (at most @cap bytes). -1 if bad. */
static gssize b64_decode(const char *s, uint8_t *out, size_t cap)
{
  size_t n = strlen(s);
  if (n % 4 != 0)
    return -1;
  for (size_t i = 0; i < n; i++) {
    char ch = s[i];
    gboolean pad_ok = ch == '=' && i >= n - 2 && (i == n - 1 || s[n - 1] == '=');
    if (!g_ascii_isalnum(ch) && ch != '+' && ch != '/' && !pad_ok)
      return -1;
  }
  if (n / 4 * 3 > cap + 2)
    return -1;
  gsize got = 0;
  guchar *d = g_base64_decode(s, &got);
  if (!d && n)
    return -1;
  if (got > cap) {
    g_free(d);
    return -1;
  }
  if (got)
    memcpy(out, d, got);
  g_free(d);
  return (gssize)got;
}

/* The value of attribute @name in comma-separated @msg ("a=..,b=.."), the
 * first occurrence at a field start; NULL when absent. (transfer full) */
static char *attr(const char *msg, char name)
{
  const char *p = msg;
  while (p && *p) {
    if (p[0] == name && p[1] == '=') {
      const char *end = strchr(p, ',');
      return g_strndup(p + 2, end ? (gsize)(end - p - 2) : strlen(p + 2));
    }
    p = strchr(p, ',');
    if (p)
      p++;
  }
  return NULL;
}

/* A message from the peer as a C string: FALSE if it holds a NUL byte, is
 * not UTF-8, or is absurdly long. */
static char *as_text(const uint8_t *in, size_t len)
{
  if (len > 4096 || memchr(in, '\0', len) || !g_utf8_validate((const char *)in, (gssize)len, NULL))
    return NULL;
  return g_strndup((const char *)in, len);
}

/* saslname: "=2C" → ',', "=3D" → '='; any other '=' is an error. */
static char *decode_saslname(const char *s)
{
  GString *out = g_string_new(NULL);
  for (const char *p = s; *p; p++) {
    if (*p == ',') {
      g_string_free(out, TRUE);
      return NULL;
    }
    if (*p != '=') {
      g_string_append_c(out, *p);
      continue;
    }
    if (strncmp(p, "=2C", 3) == 0)
      g_string_append_c(out, ',');
    else if (strncmp(p, "=3D", 3) == 0)
      g_string_append_c(out, '=');
    else {
      g_string_free(out, TRUE);
      return NULL;
    }
    p += 2;
  }
  return g_string_free(out, FALSE);
}

static char *encode_saslname(const char *s)
{
  GString *out = g_string_new(NULL);
  for (const char *p = s; *p; p++) {
    if (*p == ',')
      g_string_append(out, "=2C");
    else if (*p == '=')
      g_string_append(out, "=3D");
    else
      g_string_append_c(out, *p);
  }
  return g_string_free(out, FALSE);
}

static char *make_nonce(void)
{
  uint8_t raw[24];
  RAND_bytes(raw, sizeof raw);
  char *b = g_base64_encode(raw, sizeof raw);
  /* Printable, no ',': base64 qualifies. */
  return b;
}

static void set_msg(char **error_message, const char *msg)
{
  if (error_message)
    *error_message = g_strdup(msg);
}

/* ---- Server ---- */

typedef enum { SRV_FIRST, SRV_FINAL, SRV_DONE, SRV_FAILED } srv_state;

struct rill__scram_server {
  rill__scram_mech mech;
  rill__scram_lookup lookup;
  void *data;
  srv_state state;
  char *user;
  char *gs2_header;        /* "n,," incl. the trailing comma */
  char *client_first_bare;
  char *server_first;
  char *nonce;             /* client + server nonce */
  rill__scram_credential cred;
};

rill__scram_server *rill__scram_server_new(rill__scram_mech mech, rill__scram_lookup lookup, void *data)
{
  rill__scram_server *s = g_new0(rill__scram_server, 1);
  s->mech = mech;
  s->lookup = lookup;
  s->data = data;
  return s;
}

void rill__scram_server_free(rill__scram_server *s)
{
  if (!s)
    return;
  g_free(s->user);
  g_free(s->gs2_header);
  g_free(s->client_first_bare);
  g_free(s->server_first);
  g_free(s->nonce);
  OPENSSL_cleanse(&s->cred, sizeof s->cred);
  g_free(s);
}

const char *rill__scram_server_user(const rill__scram_server *s)
{
  return s->user;
}

static gboolean server_first(rill__scram_server *s, const char *msg, uint8_t **out, size_t *out_len, char **err)
{
  /* gs2-header: ("n" | "y") "," [ "a=" authzid ] "," — no channel binding. */
  if ((msg[0] != 'n' && msg[0] != 'y') || msg[1] != ',') {
    set_msg(err, "SCRAM: channel binding is not supported (expected a gs2 header n,, or y,,)");
    return FALSE;
  }
  const char *second = strchr(msg + 2, ',');
  if (!second) {
    set_msg(err, "SCRAM: malformed client-first message");
    return FALSE;
  }
  g_autofree char *authz = NULL;
  if (second != msg + 2) {
    g_autofree char *field = g_strndup(msg + 2, (gsize)(second - msg - 2));
    authz = strncmp(field, "a=", 2) == 0 ? decode_saslname(field + 2) : NULL;
    if (!authz) {
      set_msg(err, "SCRAM: malformed gs2 header");
      return FALSE;
    }
  }
  const char *bare = second + 1;
  if (strncmp(bare, "n=", 2) != 0) {
    set_msg(err, "SCRAM: client-first message must start with n=");
    return FALSE;
  }
  g_autofree char *n = attr(bare, 'n');
  g_autofree char *r = attr(bare, 'r');
  if (!n || !r || !*r) {
    set_msg(err, "SCRAM: client-first message needs n= and r=");
    return FALSE;
  }
  for (const char *p = r; *p; p++)
    if (*p < 0x21 || *p > 0x7e) {
      set_msg(err, "SCRAM: bad client nonce");
      return FALSE;
    }
  char *user = decode_saslname(n);
  if (!user || !*user) {
    g_free(user);
    set_msg(err, "SCRAM: bad user name");
    return FALSE;
  }
  s->user = user;
  /* An authzid other than the user itself is not supported (as in Kafka). */
  if (authz && strcmp(authz, user) != 0) {
    set_msg(err, "SCRAM: authorization id differs from the user name");
    return FALSE;
  }
  if (!s->lookup(user, s->mech, &s->cred, s->data)) {
    set_msg(err, "Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM");
    return FALSE;
  }
  g_autofree char *snonce = make_nonce();
  s->nonce = g_strconcat(r, snonce, NULL);
  s->gs2_header = g_strndup(msg, (gsize)(bare - msg));
  s->client_first_bare = g_strdup(bare);
  g_autofree char *salt = g_base64_encode(s->cred.salt, s->cred.salt_len);
  s->server_first = g_strdup_printf("r=%s,s=%s,i=%d", s->nonce, salt, s->cred.iterations);
  *out_len = strlen(s->server_first);
  *out = (uint8_t *)g_strdup(s->server_first);
  return TRUE;
}

static gboolean server_final(rill__scram_server *s, const char *msg, uint8_t **out, size_t *out_len, char **err)
{
  const char *proof_at = strstr(msg, ",p=");
  g_autofree char *c = attr(msg, 'c');
  g_autofree char *r = attr(msg, 'r');
  if (!proof_at || !c || !r || strncmp(msg, "c=", 2) != 0) {
    set_msg(err, "SCRAM: malformed client-final message");
    return FALSE;
  }
  g_autofree char *expect_c = g_base64_encode((const guchar *)s->gs2_header, strlen(s->gs2_header));
  if (strcmp(c, expect_c) != 0) {
    set_msg(err, "SCRAM: channel binding does not match the client-first message");
    return FALSE;
  }
  /* Kafka checks that the nonce ends with ours: librdkafka (to 2.x) sends
   * the client nonce twice ("r=" client nonce + the server's full nonce). */
  if (!g_str_has_suffix(r, s->nonce)) {
    set_msg(err, "SCRAM: nonce mismatch");
    return FALSE;
  }
  size_t kl = rill__scram_key_len(s->mech);
  uint8_t proof[RILL__SCRAM_MAX_KEY + 3];
  if (strchr(proof_at + 3, ',') || b64_decode(proof_at + 3, proof, sizeof proof) != (gssize)kl) {
    set_msg(err, "SCRAM: malformed client proof");
    return FALSE;
  }
  g_autofree char *auth_msg = g_strdup_printf("%s,%s,%.*s", s->client_first_bare, s->server_first,
                                              (int)(proof_at - msg), msg);
  uint8_t sig[RILL__SCRAM_MAX_KEY], client_key[RILL__SCRAM_MAX_KEY], stored[RILL__SCRAM_MAX_KEY];
  hmac(s->mech, s->cred.stored_key, kl, auth_msg, strlen(auth_msg), sig);
  for (size_t i = 0; i < kl; i++)
    client_key[i] = proof[i] ^ sig[i];
  hash(s->mech, client_key, kl, stored);
  if (CRYPTO_memcmp(stored, s->cred.stored_key, kl) != 0) {
    set_msg(err, "Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM");
    return FALSE;
  }
  uint8_t server_sig[RILL__SCRAM_MAX_KEY];
  hmac(s->mech, s->cred.server_key, kl, auth_msg, strlen(auth_msg), server_sig);
  g_autofree char *v = g_base64_encode(server_sig, kl);
  char *final = g_strdup_printf("v=%s", v);
  *out_len = strlen(final);
  *out = (uint8_t *)final;
  return TRUE;
}

gboolean rill__scram_server_step(rill__scram_server *s, const uint8_t *in, size_t len, uint8_t **out,
                                 size_t *out_len, gboolean *done, char **error_message)
{
  *out = NULL;
  *out_len = 0;
  *done = FALSE;
  char *msg = as_text(in, len);
  gboolean ok = FALSE;
  if (!msg)
    set_msg(error_message, "SCRAM: message is not text");
  else if (s->state == SRV_FIRST)
    ok = server_first(s, msg, out, out_len, error_message);
  else if (s->state == SRV_FINAL)
    ok = server_final(s, msg, out, out_len, error_message);
  else
    set_msg(error_message, "SCRAM: exchange already finished");
  g_free(msg);
  if (!ok) {
    s->state = SRV_FAILED;
    return FALSE;
  }
  s->state = s->state == SRV_FIRST ? SRV_FINAL : SRV_DONE;
  *done = s->state == SRV_DONE;
  return TRUE;
}

/* ---- Client ---- */

struct rill__scram_client {
  rill__scram_mech mech;
  char *user, *password;
  char *nonce;
  char *client_first_bare;
  char *auth_msg;
  uint8_t server_key[RILL__SCRAM_MAX_KEY];
};

rill__scram_client *rill__scram_client_new(rill__scram_mech mech, const char *user, const char *password)
{
  rill__scram_client *c = g_new0(rill__scram_client, 1);
  c->mech = mech;
  c->user = g_strdup(user);
  c->password = g_strdup(password);
  return c;
}

void rill__scram_client_free(rill__scram_client *c)
{
  if (!c)
    return;
  g_free(c->user);
  if (c->password)
    OPENSSL_cleanse(c->password, strlen(c->password));
  g_free(c->password);
  g_free(c->nonce);
  g_free(c->client_first_bare);
  g_free(c->auth_msg);
  g_free(c);
}

void rill__scram_client_set_nonce(rill__scram_client *c, const char *nonce)
{
  g_free(c->nonce);
  c->nonce = g_strdup(nonce);
}

GBytes *rill__scram_client_first(rill__scram_client *c)
{
  g_free(c->client_first_bare);
  if (!c->nonce)
    c->nonce = make_nonce();
  g_autofree char *name = encode_saslname(c->user);
  c->client_first_bare = g_strdup_printf("n=%s,r=%s", name, c->nonce);
  char *msg = g_strconcat("n,,", c->client_first_bare, NULL);
  return g_bytes_new_take(msg, strlen(msg));
}

GBytes *rill__scram_client_final(rill__scram_client *c, const uint8_t *in, size_t len, char **error_message)
{
  g_autofree char *msg = as_text(in, len);
  if (!msg || !c->nonce) {
    set_msg(error_message, "SCRAM: bad server-first message");
    return NULL;
  }
  g_autofree char *e = attr(msg, 'e');
  if (e) {
    if (error_message)
      *error_message = g_strdup_printf("SCRAM: server error: %s", e);
    return NULL;
  }
  g_autofree char *r = attr(msg, 'r');
  g_autofree char *s64 = attr(msg, 's');
  g_autofree char *i = attr(msg, 'i');
  uint8_t salt[128];
  gssize salt_len = s64 ? b64_decode(s64, salt, sizeof salt) : -1;
  char *end = NULL;
  long iter = i ? strtol(i, &end, 10) : 0;
  if (!r || !g_str_has_prefix(r, c->nonce) || strlen(r) == strlen(c->nonce) || salt_len <= 0 || !end || *end ||
      iter < RILL__SCRAM_MIN_ITERATIONS || iter > RILL__SCRAM_MAX_ITERATIONS * 64) {
    set_msg(error_message, "SCRAM: bad server-first message (nonce, salt or iteration count)");
    return NULL;
  }
  size_t kl = rill__scram_key_len(c->mech);
  uint8_t client_key[RILL__SCRAM_MAX_KEY], stored[RILL__SCRAM_MAX_KEY], sig[RILL__SCRAM_MAX_KEY];
  derive(c->mech, c->password, salt, (size_t)salt_len, (int32_t)iter, client_key, c->server_key);
  hash(c->mech, client_key, kl, stored);
  g_autofree char *without_proof = g_strdup_printf("c=biws,r=%s", r);
  g_free(c->auth_msg);
  c->auth_msg = g_strdup_printf("%s,%s,%s", c->client_first_bare, msg, without_proof);
  hmac(c->mech, stored, kl, c->auth_msg, strlen(c->auth_msg), sig);
  for (size_t k = 0; k < kl; k++)
    client_key[k] ^= sig[k];
  g_autofree char *p = g_base64_encode(client_key, kl);
  OPENSSL_cleanse(client_key, sizeof client_key);
  char *out = g_strdup_printf("%s,p=%s", without_proof, p);
  return g_bytes_new_take(out, strlen(out));
}

gboolean rill__scram_client_verify(rill__scram_client *c, const uint8_t *in, size_t len, char **error_message)
{
  g_autofree char *msg = as_text(in, len);
  g_autofree char *v = msg ? attr(msg, 'v') : NULL;
  size_t kl = rill__scram_key_len(c->mech);
  uint8_t got[RILL__SCRAM_MAX_KEY + 3], want[RILL__SCRAM_MAX_KEY];
  if (!v || !c->auth_msg || b64_decode(v, got, sizeof got) != (gssize)kl) {
    set_msg(error_message, "SCRAM: bad server-final message");
    return FALSE;
  }
  hmac(c->mech, c->server_key, kl, c->auth_msg, strlen(c->auth_msg), want);
  if (CRYPTO_memcmp(got, want, kl) != 0) {
    set_msg(error_message, "SCRAM: the server's signature is wrong (not the server holding our credential)");
    return FALSE;
  }
  return TRUE;
}
