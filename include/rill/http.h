/* http.h — a small embedded HTTP service (libsoup-3.0) shared by rill-broker,
 * rill-run, rill-gateway and any C pipeline.
 *
 * Lifecycle (one owner, one thread calls these):
 *   rill_http_server_new()          build; nothing is bound yet
 *   rill_http_server_add_handler()  \
 *   rill_http_server_add_resources() > configure (only before listen)
 *   rill_http_server_get_soup()     |  e.g. soup_server_add_websocket_handler()
 *   rill_http_server_add_ready_check() |  readiness of each module served here
 *   rill_http_server_add_console()  |  the web console at "/"
 *   rill_http_server_set_tls()      /  serve HTTPS (and wss://) instead
 *   rill_http_server_listen()       bind HOST:PORT; with no caller context the
 *                                   server's own thread starts serving here
 *   rill_http_server_free()         stop serving, join the thread, unbind
 *
 * Threads: with @context NULL the server owns a thread iterating its own
 * GMainContext, so handlers never run on (or block) the caller's data path,
 * and a slow scraper never delays a record. Handlers and every libsoup
 * callback (WebSocket signals included) run on that thread; they must only
 * read what the owner keeps alive until rill_http_server_free() returns, and
 * read shared counters with atomics or under the owner's locks. With a
 * caller @context the server attaches its sources there and the caller
 * iterates it; no thread is started.
 *
 * Invariant: after rill_http_server_free() returns no handler is running or
 * will run, so an owner frees the server first and the objects its handlers
 * read (broker, pipeline, registry) after.
 *
 * Every server answers, without further setup:
 *   GET /metrics  the Prometheus text of rill_http_server_get_registry()
 *   GET /healthz  200 {"status":"ok"}: the process is alive and serving
 *   GET /readyz   200 or 503 {"ready":bool,"checks":[{"name","ready","detail"}]}
 *                 from the ready checks (ready when there are none)
 * so modules sharing one server (a pipeline with an embedded broker, the
 * gateway beside a broker) compose: each registers its collectors, checks
 * and /api/<module>/ routes on the same server.
 *
 * Errors: RILL_HTTP_ERROR domain for listen address and bind failures.
 */
#pragma once

#include <rill/export.h>

#include <gio/gio.h>
#include <glib.h>

G_BEGIN_DECLS

/* libsoup's type, for callers that add WebSocket handlers; include
 * <libsoup/soup.h> to use it. */
typedef struct _SoupServer SoupServer;
/* rill/prometheus.h */
typedef struct rill_prom_registry rill_prom_registry;

#define RILL_HTTP_ERROR (rill_http_error_quark())
RILL_API GQuark rill_http_error_quark(void);

typedef enum {
  RILL_HTTP_ERROR_ADDRESS = 1, /* HOST:PORT could not be parsed */
  RILL_HTTP_ERROR_LISTEN,      /* the address could not be bound */
  RILL_HTTP_ERROR_TLS,         /* certificate or key unreadable, or no TLS backend */
} rill_http_error;

typedef struct rill_http_server rill_http_server;

/* One request as a handler sees it; every field is (transfer none) and valid
 * only during the handler call. */
typedef struct rill_http_request {
  const char *method; /* "GET", "POST", ... */
  const char *path;   /* the decoded path, e.g. "/api/topics" */
  GHashTable *query;  /* decoded query parameters, char* -> char*; NULL when none */
  GBytes *body;       /* request body; empty (never NULL) when none */
} rill_http_request;

/* The reply a handler fills in. The server sends it once the handler returns. */
typedef struct rill_http_response {
  guint status;             /* HTTP status; starts as 200 */
  const char *content_type; /* a static string; starts as "text/plain; charset=utf-8" */
  GString *body;            /* starts empty; owned by the server: append to it */
} rill_http_response;

/* Runs on the server thread for each request under the handler's path.
 * Must not block for long: it holds up every other request of this server. */
typedef void (*rill_http_handler)(const rill_http_request *request, rill_http_response *response,
                                  gpointer user_data);

/* A server not yet listening. @context: (nullable) (transfer none) NULL for
 * the server's own thread and GMainContext, or a context the caller iterates
 * (kept referenced until free). (transfer full: rill_http_server_free) */
RILL_API rill_http_server *rill_http_server_new(GMainContext *context, GError **error);

/* Stops serving: with its own thread, quits and joins it; closes listeners
 * and open connections; calls every destroy notify. Safe with NULL. */
RILL_API void rill_http_server_free(rill_http_server *server);

/* Routes requests whose path is @path or below it ("/api" serves "/api/x";
 * "/" serves everything no longer path claims) to @handler. @destroy frees
 * @user_data at rill_http_server_free(). Only before listen. */
RILL_API void rill_http_server_add_handler(rill_http_server *server, const char *path, rill_http_handler handler,
                                           gpointer user_data, GDestroyNotify destroy);

/* Serves the files of a GResource bundle below @resource_prefix (e.g.
 * "/org/rill/console") at @path ("/" serves "/index.html" from the prefix
 * for "/"). GET and HEAD only; 404 for names the bundle lacks. The bundle
 * must be registered (glib-compile-resources' generated code does that for
 * a compiled-in bundle). Only before listen. */
RILL_API void rill_http_server_add_resources(rill_http_server *server, const char *path,
                                             const char *resource_prefix);

/* The underlying SoupServer, for WebSocket handlers and other libsoup
 * features; add them only before listen. (transfer none, valid until free) */
RILL_API SoupServer *rill_http_server_get_soup(rill_http_server *server);

/* The context the server's sources run on: its own thread's, or the
 * caller's. Use g_main_context_invoke() on it to hand work to the server
 * thread (e.g. sending WebSocket frames). (transfer none, valid until free) */
RILL_API GMainContext *rill_http_server_get_context(rill_http_server *server);

/* Binds @address: "HOST:PORT" or "[IPv6]:PORT", HOST an IP literal or
 * "localhost" (loopback); PORT 0 picks a free port. Then starts serving.
 * Once only. FALSE with RILL_HTTP_ERROR_ADDRESS or RILL_HTTP_ERROR_LISTEN. */
RILL_API gboolean rill_http_server_listen(rill_http_server *server, const char *address, GError **error);

/* Serves HTTPS instead of HTTP (WebSockets become wss://): @cert_file is a
 * PEM certificate chain (the server's first), @key_file its PEM private
 * key, or NULL when the key is in @cert_file. A plaintext client on the
 * port fails its handshake and is closed. Needs GIO's TLS backend
 * (Debian's glib-networking). FALSE with RILL_HTTP_ERROR_TLS when the
 * files cannot be loaded or there is no backend. Only before listen. */
RILL_API gboolean rill_http_server_set_tls(rill_http_server *server, const char *cert_file, const char *key_file,
                                           GError **error);

/* The registry served at /metrics; modules add their collectors to it
 * (rill_prom_registry_add). (transfer none, valid until free; take a ref
 * to keep it longer) */
RILL_API rill_prom_registry *rill_http_server_get_registry(rill_http_server *server);

/* Whether one module is ready, for /readyz: fills @detail (a short
 * human-readable reason, may stay empty) and returns TRUE when ready.
 * Runs on the server thread. */
typedef gboolean (*rill_http_ready_func)(GString *detail, gpointer user_data);

/* Adds a readiness check named @name (e.g. "broker"); /readyz is ready when
 * every check is. @destroy frees @user_data at free. Only before listen. */
RILL_API void rill_http_server_add_ready_check(rill_http_server *server, const char *name, rill_http_ready_func func,
                                               gpointer user_data, GDestroyNotify destroy);

/* Serves the compiled-in web console at "/" (its pages read /api/broker/...
 * and /api/pipeline and hide what the server does not offer). Adding it
 * twice is harmless. Only before listen. */
RILL_API void rill_http_server_add_console(rill_http_server *server);

/* The bound TCP port (after a successful listen; 0 before). */
RILL_API guint rill_http_server_get_port(const rill_http_server *server);

G_END_DECLS
