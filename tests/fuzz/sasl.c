/* sasl.c — libFuzzer target for the SCRAM message parsers (server and
 * client side of runtime/security/scram.c), which read untrusted bytes from
 * a peer before it is authenticated.
 *
 * Input: byte 0 picks the side (bit 0) and the mechanism (bit 1); the rest
 * is split at '\n' into the peer's messages. Server side: client-first, then
 * client-final, against a known credential for "user". Client side: our
 * client-first goes out, the input answers as server-first and
 * server-final. Whatever the bytes, nothing may crash, and an exchange may
 * only succeed for the server when the proof was right — which random input
 * cannot produce, so success there aborts.
 */
#include <stdlib.h>
#include <string.h>

#include "runtime/security/scram.h"

static rill__scram_credential creds[2];

static gboolean lookup(const char *user, rill__scram_mech mech, rill__scram_credential *out, void *data)
{
  (void)data;
  if (strcmp(user, "user") != 0)
    return FALSE;
  *out = creds[mech];
  return TRUE;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  static gboolean init;
  if (!init) {
    /* Fixed salt: deterministic runs. */
    rill__scram_credential_make(&creds[0], RILL__SCRAM_SHA_256, "pencil", (const uint8_t *)"saltsalt", 8, 4096);
    rill__scram_credential_make(&creds[1], RILL__SCRAM_SHA_512, "pencil", (const uint8_t *)"saltsalt", 8, 4096);
    init = TRUE;
  }
  rill__scram_mech mech = (data[0] & 2) ? RILL__SCRAM_SHA_512 : RILL__SCRAM_SHA_256;
  const uint8_t *p = data + 1, *end = data + size;
  const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
  size_t len1 = nl ? (size_t)(nl - p) : (size_t)(end - p);
  const uint8_t *second = nl ? nl + 1 : end;
  size_t len2 = (size_t)(end - second);
  char *err = NULL;
  if (!(data[0] & 1)) {
    rill__scram_server *s = rill__scram_server_new(mech, lookup, NULL);
    uint8_t *out = NULL;
    size_t out_len = 0;
    gboolean done = FALSE;
    if (rill__scram_server_step(s, p, len1, &out, &out_len, &done, &err)) {
      g_free(out);
      out = NULL;
      if (rill__scram_server_step(s, second, len2, &out, &out_len, &done, &err) && done)
        abort(); /* a proof random bytes cannot produce */
      g_free(out);
    }
    g_free(err);
    rill__scram_server_free(s);
    return 0;
  }
  rill__scram_client *c = rill__scram_client_new(mech, "user", "pencil");
  g_bytes_unref(rill__scram_client_first(c));
  GBytes *final = rill__scram_client_final(c, p, len1, &err);
  g_clear_pointer(&err, g_free);
  if (final) {
    g_bytes_unref(final);
    rill__scram_client_verify(c, second, len2, &err);
    g_free(err);
  }
  rill__scram_client_free(c);
  return 0;
}
