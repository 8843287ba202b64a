/* broker.h — rill's Kafka-protocol broker over the partitioned log.
 *
 * One code path for both uses:
 * - standalone: tools/rill-broker opens a data directory and listens;
 * - embedded: a pipeline process creates a broker over the rill_log its log
 *   connectors use (rill_broker_new_for_log), so network clients and the
 *   in-process connectors see the same topics at the same time; listening is
 *   optional (listeners = "").
 *
 * Configuration uses Kafka's property names (docs/CONFIGURATION.md lists
 * every key, its range and default). Unknown keys are an error.
 *
 * Threads: rill_broker_start() spawns the broker's I/O thread (and a small
 * pool for blocking log calls); the functions here may be called from any
 * one thread at a time. Two brokers in one process are independent.
 *
 * Errors: RILL_BROKER_ERROR domain, codes below.
 */
#pragma once

#include <rill/export.h>

#include <glib.h>
#include <stdint.h>

#include <rill/log.h>

G_BEGIN_DECLS

#define RILL_BROKER_ERROR (rill_broker_error_quark())
RILL_API GQuark rill_broker_error_quark(void);

typedef enum {
  RILL_BROKER_ERROR_CONFIG = 1, /* unknown key, bad value, unreadable config file */
  RILL_BROKER_ERROR_LISTEN,     /* the listener could not be parsed, bound or listened on */
  RILL_BROKER_ERROR_LOG,        /* the log could not be opened (the cause is in the message) */
  RILL_BROKER_ERROR_STATE,      /* start/stop called in the wrong state */
} rill_broker_error;

/* ---- Configuration ---------------------------------------------------------- */

typedef struct rill_broker_config rill_broker_config;

/* A config holding every default. (transfer full: rill_broker_config_free) */
RILL_API rill_broker_config *rill_broker_config_new(void);
RILL_API void rill_broker_config_free(rill_broker_config *config);
/* Sets @key (a Kafka property name such as "num.partitions") to @value.
 * FALSE with RILL_BROKER_ERROR_CONFIG for an unknown key or a bad value. */
RILL_API gboolean rill_broker_config_set(rill_broker_config *config, const char *key, const char *value,
                                         GError **error);
/* Reads a key=value file (Kafka's server.properties style: '#' comments,
 * blank lines, whitespace around '=' ignored). Stops at the first bad line,
 * naming it in @error. */
RILL_API gboolean rill_broker_config_load_file(rill_broker_config *config, const char *path, GError **error);
/* The value of @key as text, or NULL for an unknown key. (transfer full) */
RILL_API char *rill_broker_config_get(const rill_broker_config *config, const char *key);

/* ---- The broker -------------------------------------------------------------- */

typedef struct rill_broker rill_broker;

/* One line per event, "ts=... level=info event=listening host=127.0.0.1 port=9092",
 * without a trailing newline. Called from the broker's threads. */
typedef void (*rill_broker_log_func)(const char *line, void *user_data);

/* A broker that opens (at start) the log in the config's log.dirs, with the
 * config's log.* settings as topic defaults. @config is copied.
 * (transfer full: rill_broker_free) NULL with @error on a bad config. */
RILL_API rill_broker *rill_broker_new(const rill_broker_config *config, GError **error);
/* A broker over an already open @log (transfer none: it must outlive the
 * broker, and is not closed by it). log.dirs and the topic defaults of
 * @config are then unused: the log keeps the options it was opened with. */
RILL_API rill_broker *rill_broker_new_for_log(const rill_broker_config *config, rill_log *log, GError **error);

/* Where event lines go (default: g_debug). Call before start. */
RILL_API void rill_broker_set_log_func(rill_broker *broker, rill_broker_log_func func, void *user_data);

/* Opens the log (if the broker owns it), binds the listener (if any) and
 * starts serving. FALSE with @error if any step fails (nothing left running). */
RILL_API gboolean rill_broker_start(rill_broker *broker, GError **error);
/* Graceful stop: stops accepting connections and reading requests, answers
 * every request already read (parked Fetches answer with what they have),
 * sends those answers, closes connections, then closes the log if the broker
 * opened it. Idempotent; a stopped broker may not be restarted. */
RILL_API void rill_broker_stop(rill_broker *broker);
/* Stops (if running) and frees. */
RILL_API void rill_broker_free(rill_broker *broker);

/* The bound port of the first listener (useful with port 0), or 0 when not
 * listening. */
RILL_API uint16_t rill_broker_port(const rill_broker *broker);
/* The bound port of the listener named @name ("SASL_SSL"), or 0 when there
 * is none or the broker is not running. */
RILL_API uint16_t rill_broker_listener_port(const rill_broker *broker, const char *name);
/* The log served (NULL before start when the broker opens it itself).
 * (transfer none) */
RILL_API rill_log *rill_broker_log(const rill_broker *broker);

/* ---- HTTP (include/rill/http.h) ------------------------------------------------ */

typedef struct rill_http_server rill_http_server;

/* Serves @broker on @server (transfer none): its metrics on the server's
 * /metrics (docs/observability.md lists them), a "broker" check on /readyz
 * (ready while started: the log open and the listener bound), console JSON
 * at /api/broker/topics and /api/broker/groups, and the console at "/".
 * Call before rill_http_server_listen(), from the thread that owns the
 * broker. Either may be freed first: stopping the broker makes its routes
 * answer 503 and its metrics vanish; a stop waits at most for one scrape. */
RILL_API void rill_broker_serve_http(rill_broker *broker, rill_http_server *server);

G_END_DECLS
