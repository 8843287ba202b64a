/* gateway.h — rill's WebSocket edge: clients publish into a topic and are
 * pushed what they subscribe to, with history on reconnect.
 *
 * A rill_gateway serves WebSocket clients (libsoup-3.0) speaking the JSON
 * frame protocol of docs/gateway.md. Channels (conversations) are keys of one
 * topic: a channel's messages all go to one partition (Kafka's default
 * murmur2 partitioner over the channel name), so each channel is ordered.
 * Storage is the log:
 * - a publish is acknowledged to its client only after the log has
 *   appended it, as durably as the topic's rill.durability asks (with
 *   "sync" after the fdatasync; options.durability below);
 * - delivery is read back from the log, in partition order, never from the
 *   publish path, so every gateway on a topic sees the same order;
 * - the message id is the record's offset; a client that subscribes with
 *   the last id it saw gets everything after it, exactly once, in order,
 *   then live messages.
 *
 * Threads: the gateway runs an HTTP thread that accepts and upgrades
 * connections, and options.threads shard threads, each with its own
 * GMainContext, among which the WebSocket sessions are spread (a session
 * stays on its shard). The functions below are called from one (any)
 * thread that owns the gateway.
 *
 * Errors: construction fails with GError in RILL_GATEWAY_ERROR,
 * RILL_LOG_ERROR or (Kafka storage) RILL_KAFKA_CLIENT_ERROR; peers get error frames and close codes (below), never a
 * crash.
 */
#pragma once

#include <rill/export.h>
#include <rill/log.h>

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

#define RILL_GATEWAY_ERROR (rill_gateway_error_quark())
RILL_API GQuark rill_gateway_error_quark(void);

typedef enum {
  RILL_GATEWAY_ERROR_CONFIG = 1, /* bad option, rules file or secret */
  RILL_GATEWAY_ERROR_LISTEN,     /* the listening socket could not be opened */
  RILL_GATEWAY_ERROR_TOKEN,      /* malformed or forged token */
  RILL_GATEWAY_ERROR_EXPIRED,    /* token past its expiry */
} rill_gateway_error;

/* WebSocket close codes the gateway sends (docs/gateway.md). */
typedef enum {
  RILL_GATEWAY_CLOSE_UNAUTHENTICATED = 4001, /* no token, or a forged/malformed one */
  RILL_GATEWAY_CLOSE_EXPIRED = 4002,         /* the token has expired */
  RILL_GATEWAY_CLOSE_SLOW = 4008,            /* send queue over its bound; resume by id */
  RILL_GATEWAY_CLOSE_FLOOD = 4009,           /* too many frames over the rate limit */
  RILL_GATEWAY_CLOSE_SHUTDOWN = 1001,        /* the gateway is stopping ("going away") */
} rill_gateway_close;

typedef struct rill_gateway rill_gateway;

typedef struct {
  /* Where to listen: host (default "127.0.0.1") and port (0 = any free). */
  const char *host;
  int port;
  /* Storage, exactly one of: an open log (transfer none; must outlive the
   * gateway), a directory for an embedded log the gateway opens, or a
   * Kafka cluster ("host:port,..."; rill-broker or any Kafka), reached with
   * the client properties in @kafka_properties ("name=value", librdkafka's
   * names as in every rill Kafka tool: security.protocol, sasl.*, ssl.*,
   * request.timeout.ms ...; NULL-terminated, may be NULL). On Kafka a
   * publish is acknowledged after the cluster acknowledged its Produce
   * with acks=all; each gateway reads every partition of the topic itself
   * (no consumer group), so several may serve one topic. */
  rill_log *log;
  const char *data_dir;
  const char *bootstrap_servers;
  const char *const *kafka_properties;
  /* The topic holding every channel (default "gateway"), and its partition
   * count and rill.durability when the gateway creates it (default 8 and
   * RILL_LOG_DURABILITY_NONE: an ack means the record is in the log's
   * files, which a gateway crash or restart does not lose; SYNC adds an
   * fdatasync, shared by concurrent publishes, before the ack, for power
   * loss). */
  const char *topic;
  int32_t partitions;
  rill_log_durability durability;
  /* HMAC-SHA256 secret for tokens (transfer none; copied). */
  const guint8 *secret;
  gsize secret_len;
  /* Channel rules (docs/gateway.md), a GKeyFile text; NULL = every channel
   * open to every user. (transfer none; parsed at construction) */
  const char *rules;
  /* TLS: with @tls_cert_file (a PEM certificate chain) the port serves
   * HTTPS and wss:// only; @tls_key_file is its PEM private key (NULL: in
   * the same file). Needs GIO's TLS backend (glib-networking). */
  const char *tls_cert_file;
  const char *tls_key_file;
  /* Directory of static files served at / (NULL: none). */
  const char *static_dir;
  /* Largest frame a client may send (default 65536): a larger one gets a
   * "too_large" error frame; one over 4 times the limit is not read at all,
   * libsoup drops the connection (1006). */
  gsize max_frame_bytes;
  /* Bytes queued for one client before it is disconnected with
   * RILL_GATEWAY_CLOSE_SLOW (default 1 MiB). */
  gsize max_queue_bytes;
  /* Frames per second per client, burst twice that (default 200); beyond
   * it frames get a "rate_limited" error, and after as many again in a row
   * the connection closes with RILL_GATEWAY_CLOSE_FLOOD. */
  guint frames_per_second;
  /* Threads serving WebSocket sessions, each polling only its share of
   * the connections (default 0: one per CPU; at most
   * RILL_GATEWAY_MAX_THREADS). */
  guint threads;
} rill_gateway_options;

#define RILL_GATEWAY_MAX_THREADS 64

RILL_API void rill_gateway_options_init(rill_gateway_options *options);

/* Opens storage, creates the topic if missing, starts the gateway's threads
 * and listens. NULL with @error. (transfer full: rill_gateway_free) */
RILL_API rill_gateway *rill_gateway_new(const rill_gateway_options *options, GError **error);
/* The port listened on. */
RILL_API int rill_gateway_port(rill_gateway *gw);
/* Closes every connection (RILL_GATEWAY_CLOSE_SHUTDOWN), stops the thread,
 * waits for pending publishes to be decided, and frees @gw. */
RILL_API void rill_gateway_free(rill_gateway *gw);

/* Counters since start (monotonic, read without locking). */
typedef struct {
  guint64 connections;      /* open now */
  guint64 subscriptions;    /* open now */
  guint64 published;        /* publishes acknowledged */
  guint64 delivered;        /* deliver frames queued to clients */
  guint64 slow_disconnects; /* connections closed with RILL_GATEWAY_CLOSE_SLOW */
  guint64 errors;           /* error frames sent */
} rill_gateway_stats;

RILL_API void rill_gateway_stats_get(rill_gateway *gw, rill_gateway_stats *stats);

/* ---- Tokens ---------------------------------------------------------------
 * "USER.EXPIRY.MAC": USER is 1..64 of [A-Za-z0-9_-], EXPIRY unix seconds,
 * MAC lowercase hex HMAC-SHA256(secret, "USER.EXPIRY"). */

/* (transfer full: g_free) NULL with @error for an invalid user name. */
RILL_API char *rill_gateway_token_mint(const guint8 *secret, gsize secret_len, const char *user, int64_t expiry_s,
                                       GError **error);
/* The user of a valid @token at @now_s (transfer full: g_free), or NULL
 * with RILL_GATEWAY_ERROR_TOKEN / RILL_GATEWAY_ERROR_EXPIRED. */
RILL_API char *rill_gateway_token_verify(const guint8 *secret, gsize secret_len, const char *token, int64_t now_s,
                                         GError **error);

G_END_DECLS
