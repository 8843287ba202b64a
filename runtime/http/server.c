/* server.c — rill_http_server: a SoupServer on its own thread and context.
 *
 * Invariants:
 * - Every libsoup object of the server is touched only with the server's
 *   context as thread-default: on the server thread while it runs, and on
 *   the owner's thread before listen (configuration, bind) and after the
 *   thread is joined (disconnect, unref). Listening sockets bind to the
 *   thread-default context at soup_server_listen(), accepted connections to
 *   the context that accepts them, so both land on ours.
 * - Configuration (handlers, resources) happens only before listen, so the
 *   server thread never sees a handler table change.
 * - free() stops the thread before anything a handler reads is released:
 *   after it returns no handler runs.
 */
#include "rill/http.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "rill/prometheus.h"
#include "runtime/http/console.h" /* generated */
#include "runtime/http/json.h"

G_DEFINE_QUARK(rill-http-error-quark, rill_http_error)

struct rill_http_server {
  SoupServer *soup;
  GMainContext *context; /* ours, or the caller's (one ref either way) */
  gboolean own_thread;   /* TRUE: @thread iterates @context */
  GThread *thread;       /* NULL until listen (own-thread mode only) */
  gint quit;             /* atomic; set by free() to end the thread's loop */
  gboolean listening;
  guint port;
  GPtrArray *routes;     /* route*, freed at free() */
  rill_prom_registry *registry; /* served at /metrics */
  GPtrArray *checks;     /* ready_check*, for /readyz */
  gboolean has_console;
  gboolean tls;          /* listen with HTTPS */
};

typedef struct {
  char *name;
  rill_http_ready_func func;
  gpointer user_data;
  GDestroyNotify destroy;
} ready_check;

static void ready_check_free(gpointer p) {
  ready_check *c = p;
  if (c->destroy)
    c->destroy(c->user_data);
  g_free(c->name);
  g_free(c);
}

typedef struct {
  rill_http_server *server; /* not refcounted: the server owns the route */
  char *path;               /* the registered path (rill_http_server_add_handler) */
  rill_http_handler handler;
  gpointer user_data;
  GDestroyNotify destroy;
  char *resource_prefix;    /* resources: GResource prefix, NULL for a handler route */
  GResource *resource;      /* resources: the bundle, or NULL for the registered ones (owned) */
} route;

static void route_free(gpointer p) {
  route *r = p;
  if (r->destroy)
    r->destroy(r->user_data);
  g_free(r->path);
  g_free(r->resource_prefix);
  if (r->resource)
    g_resource_unref(r->resource);
  g_free(r);
}

static void serve_healthz(const rill_http_request *req, rill_http_response *resp, gpointer user_data);
static void serve_readyz(const rill_http_request *req, rill_http_response *resp, gpointer user_data);

rill_http_server *rill_http_server_new(GMainContext *context, GError **error) {
  rill_http_server *s = g_new0(rill_http_server, 1);
  s->own_thread = context == NULL;
  s->context = context ? g_main_context_ref(context) : g_main_context_new();
  s->routes = g_ptr_array_new_with_free_func(route_free);
  s->checks = g_ptr_array_new_with_free_func(ready_check_free);
  s->registry = rill_prom_registry_new();
  g_main_context_push_thread_default(s->context);
  s->soup = soup_server_new("server-header", "rill ", NULL);
  g_main_context_pop_thread_default(s->context);
  rill_prom_registry_serve(s->registry, s, "/metrics");
  rill_http_server_add_handler(s, "/healthz", serve_healthz, NULL, NULL);
  rill_http_server_add_handler(s, "/readyz", serve_readyz, s, NULL);
  return s;
}

/* ---- health ------------------------------------------------------------------- */

static void serve_healthz(const rill_http_request *req, rill_http_response *resp, gpointer user_data) {
  resp->content_type = "application/json";
  g_string_append(resp->body, "{\"status\":\"ok\"}\n");
}

/* Runs every ready check; the server thread is the only one that reads
 * @checks once listening, and it never changes after listen. */
static void serve_readyz(const rill_http_request *req, rill_http_response *resp, gpointer user_data) {
  rill_http_server *s = user_data;
  g_autoptr(JsonBuilder) b = json_builder_new();
  gboolean all = TRUE;
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "checks");
  json_builder_begin_array(b);
  GString *detail = g_string_new(NULL);
  for (guint i = 0; i < s->checks->len; i++) {
    ready_check *c = s->checks->pdata[i];
    g_string_truncate(detail, 0);
    gboolean ok = c->func(detail, c->user_data);
    all = all && ok;
    json_builder_begin_object(b);
    rill__json_member_str(b, "name", c->name);
    json_builder_set_member_name(b, "ready");
    json_builder_add_boolean_value(b, ok);
    rill__json_member_str(b, "detail", detail->str);
    json_builder_end_object(b);
  }
  g_string_free(detail, TRUE);
  json_builder_end_array(b);
  json_builder_set_member_name(b, "ready");
  json_builder_add_boolean_value(b, all);
  json_builder_end_object(b);
  resp->status = all ? SOUP_STATUS_OK : SOUP_STATUS_SERVICE_UNAVAILABLE;
  rill__http_reply_json(resp, b);
}

void rill_http_server_add_ready_check(rill_http_server *server, const char *name, rill_http_ready_func func,
                                      gpointer user_data, GDestroyNotify destroy) {
  g_return_if_fail(server != NULL && name != NULL && func != NULL);
  g_return_if_fail(!server->listening);
  ready_check *c = g_new0(ready_check, 1);
  *c = (ready_check){.name = g_strdup(name), .func = func, .user_data = user_data, .destroy = destroy};
  g_ptr_array_add(server->checks, c);
}

rill_prom_registry *rill_http_server_get_registry(rill_http_server *server) {
  g_return_val_if_fail(server != NULL, NULL);
  return server->registry;
}

static gpointer serve_thread(gpointer data) {
  rill_http_server *s = data;
  g_main_context_push_thread_default(s->context);
  while (!g_atomic_int_get(&s->quit))
    g_main_context_iteration(s->context, TRUE);
  g_main_context_pop_thread_default(s->context);
  return NULL;
}

void rill_http_server_free(rill_http_server *server) {
  if (!server)
    return;
  if (server->thread) {
    g_atomic_int_set(&server->quit, 1);
    g_main_context_wakeup(server->context);
    g_thread_join(server->thread);
  }
  g_main_context_push_thread_default(server->context);
  soup_server_disconnect(server->soup);
  g_object_unref(server->soup);
  /* Let closed connections finish their teardown sources before the
   * context goes (only ours: a caller's context is the caller's to run). */
  if (server->own_thread)
    while (g_main_context_iteration(server->context, FALSE))
      ;
  g_main_context_pop_thread_default(server->context);
  g_ptr_array_unref(server->routes);
  g_ptr_array_unref(server->checks);
  rill_prom_registry_unref(server->registry);
  g_main_context_unref(server->context);
  g_free(server);
}

SoupServer *rill_http_server_get_soup(rill_http_server *server) {
  g_return_val_if_fail(server != NULL, NULL);
  return server->soup;
}

GMainContext *rill_http_server_get_context(rill_http_server *server) {
  g_return_val_if_fail(server != NULL, NULL);
  return server->context;
}

guint rill_http_server_get_port(const rill_http_server *server) {
  g_return_val_if_fail(server != NULL, 0);
  return server->port;
}

/* ---- handler routes ---------------------------------------------------------- */

static GBytes *request_body(SoupServerMessage *msg) {
  SoupMessageBody *body = soup_server_message_get_request_body(msg);
  if (!body)
    return g_bytes_new(NULL, 0);
  return soup_message_body_flatten(body);
}

static void on_handler(SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query,
                       gpointer user_data) {
  route *r = user_data;
  rill_http_request req = {
    .method = soup_server_message_get_method(msg),
    .path = path,
    .query = query,
    .body = request_body(msg),
  };
  rill_http_response resp = {
    .status = SOUP_STATUS_OK,
    .content_type = "text/plain; charset=utf-8",
    .body = g_string_new(NULL),
  };
  r->handler(&req, &resp, r->user_data);
  g_bytes_unref(req.body);
  soup_server_message_set_status(msg, resp.status, NULL);
  gsize len = resp.body->len;
  soup_server_message_set_response(msg, resp.content_type, SOUP_MEMORY_TAKE, g_string_free(resp.body, FALSE), len);
}

void rill_http_server_add_handler(rill_http_server *server, const char *path, rill_http_handler handler,
                                  gpointer user_data, GDestroyNotify destroy) {
  g_return_if_fail(server != NULL && path != NULL && path[0] == '/' && handler != NULL);
  g_return_if_fail(!server->listening);
  route *r = g_new0(route, 1);
  *r = (route){.server = server, .path = g_strdup(path), .handler = handler, .user_data = user_data,
               .destroy = destroy};
  g_ptr_array_add(server->routes, r);
  /* The route array owns @r; libsoup only borrows it until disconnect. */
  soup_server_add_handler(server->soup, path, on_handler, r, NULL);
}

/* ---- GResource files ------------------------------------------------------- */

/* Content types by extension: the console ships only these kinds, and
 * guessing through shared-mime-info would make the answer depend on what
 * the host has installed. */
static const struct {
  const char *ext, *type;
} content_types[] = {
  {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
  {".css", "text/css; charset=utf-8"},   {".svg", "image/svg+xml"},
  {".json", "application/json"},         {".png", "image/png"},
  {".ico", "image/x-icon"},
};

static const char *content_type_for(const char *name) {
  for (guint i = 0; i < G_N_ELEMENTS(content_types); i++)
    if (g_str_has_suffix(name, content_types[i].ext))
      return content_types[i].type;
  return "application/octet-stream";
}

static void on_resource(SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query,
                        gpointer user_data) {
  route *r = user_data;
  const char *method = soup_server_message_get_method(msg);
  if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
    soup_server_message_set_status(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
    return;
  }
  /* The path below the route; libsoup has already normalised "..". */
  const char *rest = path + strlen(r->path);
  while (*rest == '/')
    rest++;
  if (*rest == '\0')
    rest = "index.html";
  g_autofree char *name = g_strconcat(r->resource_prefix, "/", rest, NULL);
  GBytes *bytes = r->resource ? g_resource_lookup_data(r->resource, name, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL)
                              : g_resources_lookup_data(name, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  if (!bytes) {
    soup_server_message_set_status(msg, SOUP_STATUS_NOT_FOUND, NULL);
    soup_server_message_set_response(msg, "text/plain; charset=utf-8", SOUP_MEMORY_STATIC, "not found\n", 10);
    return;
  }
  soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
  SoupMessageHeaders *h = soup_server_message_get_response_headers(msg);
  soup_message_headers_set_content_type(h, content_type_for(name), NULL);
  soup_message_headers_replace(h, "Cache-Control", "no-cache");
  soup_message_body_append_bytes(soup_server_message_get_response_body(msg), bytes);
  g_bytes_unref(bytes);
}

/* @resource: (nullable) (transfer full) a bundle, or NULL for the registered ones. */
static void add_resources(rill_http_server *server, const char *path, const char *resource_prefix,
                          GResource *resource) {
  route *r = g_new0(route, 1);
  r->server = server;
  r->resource = resource;
  /* "/" and "/console/" both mean the prefix itself; keep no trailing '/'
   * so the file name after it starts at a '/'. */
  r->path = g_strdup(path);
  gsize n = strlen(r->path);
  while (n > 0 && r->path[n - 1] == '/')
    r->path[--n] = '\0';
  r->resource_prefix = g_strdup(resource_prefix);
  gsize m = strlen(r->resource_prefix);
  while (m > 1 && r->resource_prefix[m - 1] == '/')
    r->resource_prefix[--m] = '\0';
  g_ptr_array_add(server->routes, r);
  soup_server_add_handler(server->soup, path, on_resource, r, NULL);
}

void rill_http_server_add_resources(rill_http_server *server, const char *path, const char *resource_prefix) {
  g_return_if_fail(server != NULL && path != NULL && path[0] == '/' && resource_prefix != NULL);
  g_return_if_fail(!server->listening);
  add_resources(server, path, resource_prefix, NULL);
}

void rill_http_server_add_console(rill_http_server *server) {
  g_return_if_fail(server != NULL);
  g_return_if_fail(!server->listening);
  if (server->has_console)
    return;
  server->has_console = TRUE;
  /* The generated code hands out the bundle only once registered (a
   * process-wide table, under a prefix of rill's own); lookups then go to
   * the bundle itself. */
  static gsize registered;
  if (g_once_init_enter(&registered)) {
    rill__console_register_resource();
    g_once_init_leave(&registered, 1);
  }
  add_resources(server, "/", "/org/rill/console", g_resource_ref(rill__console_get_resource()));
}

/* ---- listening ---------------------------------------------------------------- */

gboolean rill_http_server_set_tls(rill_http_server *server, const char *cert_file, const char *key_file,
                                  GError **error) {
  g_return_val_if_fail(server != NULL && cert_file != NULL, FALSE);
  g_return_val_if_fail(!server->listening, FALSE);
  /* without glib-networking GIO has a dummy backend that fails every
   * handshake: say so now rather than at the first client */
  if (!g_tls_backend_supports_tls(g_tls_backend_get_default())) {
    g_set_error_literal(error, RILL_HTTP_ERROR, RILL_HTTP_ERROR_TLS,
                        "GIO has no TLS backend (install glib-networking)");
    return FALSE;
  }
  g_autoptr(GError) local = NULL;
  g_autoptr(GTlsCertificate) cert = key_file ? g_tls_certificate_new_from_files(cert_file, key_file, &local)
                                             : g_tls_certificate_new_from_file(cert_file, &local);
  if (!cert) {
    g_set_error(error, RILL_HTTP_ERROR, RILL_HTTP_ERROR_TLS, "TLS certificate %s%s%s: %s", cert_file,
                key_file ? ", key " : "", key_file ? key_file : "", local->message);
    return FALSE;
  }
  soup_server_set_tls_certificate(server->soup, cert);
  server->tls = TRUE;
  return TRUE;
}

static GSocketAddress *parse_address(const char *address, GError **error) {
  g_autoptr(GError) local = NULL;
  g_autoptr(GSocketConnectable) na = g_network_address_parse(address, 0, &local);
  if (!na) {
    g_set_error(error, RILL_HTTP_ERROR, RILL_HTTP_ERROR_ADDRESS, "bad HTTP listen address '%s': %s", address,
                local->message);
    return NULL;
  }
  const char *host = g_network_address_get_hostname(G_NETWORK_ADDRESS(na));
  guint16 port = g_network_address_get_port(G_NETWORK_ADDRESS(na));
  if (!strchr(address, ':')) {
    g_set_error(error, RILL_HTTP_ERROR, RILL_HTTP_ERROR_ADDRESS, "bad HTTP listen address '%s': expected HOST:PORT",
                address);
    return NULL;
  }
  g_autoptr(GInetAddress) ip = NULL;
  if (g_ascii_strcasecmp(host, "localhost") == 0)
    ip = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
  else
    ip = g_inet_address_new_from_string(host);
  if (!ip) {
    g_set_error(error, RILL_HTTP_ERROR, RILL_HTTP_ERROR_ADDRESS,
                "bad HTTP listen address '%s': host must be an IP address or localhost", address);
    return NULL;
  }
  return g_inet_socket_address_new(ip, port);
}

gboolean rill_http_server_listen(rill_http_server *server, const char *address, GError **error) {
  g_return_val_if_fail(server != NULL && address != NULL, FALSE);
  g_return_val_if_fail(!server->listening, FALSE);
  g_autoptr(GSocketAddress) sa = parse_address(address, error);
  if (!sa)
    return FALSE;
  g_autoptr(GError) local = NULL;
  /* our own listening socket: libsoup's backlog is 10, too short for the
   * clients of a gateway coming back at once after a restart */
  g_autoptr(GSocket) sock = g_socket_new(g_socket_address_get_family(sa), G_SOCKET_TYPE_STREAM,
                                         G_SOCKET_PROTOCOL_TCP, &local);
  gboolean ok = sock != NULL;
  g_main_context_push_thread_default(server->context);
  if (ok) {
    g_socket_set_listen_backlog(sock, 4096); /* capped by net.core.somaxconn */
    ok = g_socket_bind(sock, sa, TRUE, &local) && g_socket_listen(sock, &local) &&
         soup_server_listen_socket(server->soup, sock, server->tls ? SOUP_SERVER_LISTEN_HTTPS : 0, &local);
  }
  g_main_context_pop_thread_default(server->context);
  if (!ok) {
    g_set_error(error, RILL_HTTP_ERROR, RILL_HTTP_ERROR_LISTEN, "cannot listen for HTTP on %s: %s", address,
                local->message);
    return FALSE;
  }
  GSList *uris = soup_server_get_uris(server->soup);
  if (uris)
    server->port = (guint)g_uri_get_port(uris->data);
  g_slist_free_full(uris, (GDestroyNotify)g_uri_unref);
  server->listening = TRUE;
  if (server->own_thread)
    server->thread = g_thread_new("rill-http", serve_thread, server);
  return TRUE;
}
