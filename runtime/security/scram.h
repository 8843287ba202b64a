/* scram.h — SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677) as Kafka
 * uses them (KIP-84): the key derivation, the stored credential, and both
 * ends of the exchange as small state machines over byte messages, so the
 * broker (runtime/broker/sasl.c) and the Kafka client
 * (connectors/kafka/ksasl.c) share one implementation and the fuzzer can
 * drive the parsers directly.
 *
 * Invariants: every message from the peer is untrusted — parsing checks
 * every attribute and length and fails with a message, never reads past the
 * input; keys are compared in constant time; a failed step leaves the
 * exchange failed (every later step fails too).
 */
#pragma once

#include <glib.h>
#include <stdint.h>

#define RILL__SCRAM_MIN_ITERATIONS 4096
#define RILL__SCRAM_MAX_ITERATIONS 16384 /* Kafka's bound */
#define RILL__SCRAM_MAX_KEY 64

typedef enum { RILL__SCRAM_SHA_256, RILL__SCRAM_SHA_512 } rill__scram_mech;

/* "SCRAM-SHA-256" → RILL__SCRAM_SHA_256; -1 for anything else. */
int rill__scram_mech_parse(const char *name);
const char *rill__scram_mech_name(rill__scram_mech m);
/* Kafka's numeric ScramMechanism (KIP-554): 1 SHA-256, 2 SHA-512. */
int8_t rill__scram_mech_kafka_id(rill__scram_mech m);
size_t rill__scram_key_len(rill__scram_mech m);

/* What the server stores per user and mechanism: never the password. */
typedef struct {
  rill__scram_mech mech;
  int32_t iterations;
  uint8_t salt[64];
  size_t salt_len;
  uint8_t stored_key[RILL__SCRAM_MAX_KEY]; /* H(ClientKey) */
  uint8_t server_key[RILL__SCRAM_MAX_KEY]; /* HMAC(SaltedPassword, "Server Key") */
} rill__scram_credential;

/* Derives a credential for @password with @salt (NULL: 32 random bytes).
 * @salt_len at most 64. */
void rill__scram_credential_make(rill__scram_credential *cred, rill__scram_mech mech, const char *password,
                                 const uint8_t *salt, size_t salt_len, int32_t iterations);
/* SaltedPassword = PBKDF2(@password, @salt, @iterations) into @out
 * (rill__scram_key_len bytes): what AlterUserScramCredentials sends. */
void rill__scram_salt_password(rill__scram_mech mech, const char *password, const uint8_t *salt, size_t salt_len,
                               int32_t iterations, uint8_t *out);
/* A credential from a SaltedPassword computed elsewhere (KIP-554's
 * AlterUserScramCredentials carries it, never the password). FALSE when
 * @salted is not the mechanism's key length or @salt is empty/too long. */
gboolean rill__scram_credential_from_salted(rill__scram_credential *cred, rill__scram_mech mech, const uint8_t *salted,
                                            size_t salted_len, const uint8_t *salt, size_t salt_len, int32_t iterations);
/* TRUE when @password matches @cred (SASL/PLAIN checks passwords this way). */
gboolean rill__scram_credential_check(const rill__scram_credential *cred, const char *password);

/* ---- Server side ---- */

typedef struct rill__scram_server rill__scram_server;
/* Looks up @user's credential for the exchange's mechanism: TRUE and *@out
 * filled, or FALSE for an unknown user. */
typedef gboolean (*rill__scram_lookup)(const char *user, rill__scram_mech mech, rill__scram_credential *out,
                                       void *data);

rill__scram_server *rill__scram_server_new(rill__scram_mech mech, rill__scram_lookup lookup, void *data);
void rill__scram_server_free(rill__scram_server *s);
/* One step: @in is the client's message; on TRUE *@out (transfer full,
 * g_free) is the answer and *@done tells whether the exchange succeeded with
 * it (the last step). FALSE with @error_message (transfer full) when the
 * client fails to authenticate or sends a malformed message. */
gboolean rill__scram_server_step(rill__scram_server *s, const uint8_t *in, size_t len, uint8_t **out,
                                 size_t *out_len, gboolean *done, char **error_message);
/* The authenticated user name (valid after success). (transfer none) */
const char *rill__scram_server_user(const rill__scram_server *s);

/* ---- Client side ---- */

typedef struct rill__scram_client rill__scram_client;
rill__scram_client *rill__scram_client_new(rill__scram_mech mech, const char *user, const char *password);
void rill__scram_client_free(rill__scram_client *c);
/* Uses @nonce instead of a random one (tests reproducing RFC 7677's
 * example exchange). */
void rill__scram_client_set_nonce(rill__scram_client *c, const char *nonce);
/* The client-first message. (transfer full) */
GBytes *rill__scram_client_first(rill__scram_client *c);
/* Answers the server-first message with the client-final one. NULL with
 * @error_message on a malformed or unacceptable server message. */
GBytes *rill__scram_client_final(rill__scram_client *c, const uint8_t *in, size_t len, char **error_message);
/* Checks the server-final message (the server's proof). */
gboolean rill__scram_client_verify(rill__scram_client *c, const uint8_t *in, size_t len, char **error_message);
