/* token.c — the gateway's signed tokens: "USER.EXPIRY.MAC", MAC the
 * lowercase hex HMAC-SHA256 (GHmac) of "USER.EXPIRY" under the secret.
 *
 * Invariants: a token verifies only if its MAC matches in full (compared in
 * constant time, so timing does not leak how much of a forged MAC was
 * right) and its expiry is in the future; user names are restricted to
 * [A-Za-z0-9_-]{1,64} so they need no escaping in frames or headers.
 */
#include <rill/gateway.h>

#include <string.h>

G_DEFINE_QUARK(rill-gateway-error-quark, rill_gateway_error)

static gboolean user_valid(const char *user, gsize len)
{
  if (len == 0 || len > 64)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum(user[i]) && user[i] != '_' && user[i] != '-')
      return FALSE;
  return TRUE;
}

static char *mac_hex(const guint8 *secret, gsize secret_len, const char *msg, gsize len)
{
  GHmac *h = g_hmac_new(G_CHECKSUM_SHA256, secret, secret_len);
  g_hmac_update(h, (const guchar *)msg, (gssize)len);
  char *hex = g_strdup(g_hmac_get_string(h));
  g_hmac_unref(h);
  return hex;
}

char *rill_gateway_token_mint(const guint8 *secret, gsize secret_len, const char *user, int64_t expiry_s,
                              GError **error)
{
  g_return_val_if_fail(secret != NULL && user != NULL, NULL);
  if (!user_valid(user, strlen(user))) {
    g_set_error(error, RILL_GATEWAY_ERROR, RILL_GATEWAY_ERROR_CONFIG,
                "invalid user name '%s': 1..64 of A-Z a-z 0-9 _ -", user);
    return NULL;
  }
  char *msg = g_strdup_printf("%s.%" G_GINT64_FORMAT, user, expiry_s);
  char *mac = mac_hex(secret, secret_len, msg, strlen(msg));
  char *token = g_strconcat(msg, ".", mac, NULL);
  g_free(msg);
  g_free(mac);
  return token;
}

char *rill_gateway_token_verify(const guint8 *secret, gsize secret_len, const char *token, int64_t now_s,
                                GError **error)
{
  g_return_val_if_fail(secret != NULL, NULL);
  if (!token)
    goto bad;
  const char *dot1 = strchr(token, '.');
  const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
  if (!dot2 || !user_valid(token, (gsize)(dot1 - token)) || dot2 == dot1 + 1 || dot2 - dot1 > 20)
    goto bad;
  int64_t expiry = 0;
  for (const char *p = dot1 + 1; p < dot2; p++) {
    if (!g_ascii_isdigit(*p))
      goto bad;
    expiry = expiry * 10 + (*p - '0');
  }
  char *want = mac_hex(secret, secret_len, token, (gsize)(dot2 - token));
  const char *got = dot2 + 1;
  gsize n = strlen(want);
  unsigned diff = strlen(got) != n; /* the length is no secret */
  if (!diff)
    for (gsize i = 0; i < n; i++)
      diff |= (unsigned)(want[i] ^ got[i]);
  g_free(want);
  if (diff)
    goto bad;
  if (expiry <= now_s) {
    g_set_error(error, RILL_GATEWAY_ERROR, RILL_GATEWAY_ERROR_EXPIRED, "token expired at %" G_GINT64_FORMAT,
                expiry);
    return NULL;
  }
  return g_strndup(token, (gsize)(dot1 - token));
bad:
  g_set_error_literal(error, RILL_GATEWAY_ERROR, RILL_GATEWAY_ERROR_TOKEN, "malformed or forged token");
  return NULL;
}
