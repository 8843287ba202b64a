/* server.c — the gateway's SoupServer (server.h): /ws upgrades to a
 * WebSocket handled by gateway.c; every other GET path is a file under the
 * static directory.
 *
 * Invariants: a static path never leaves the static directory (no "..",
 * no absolute or hidden parts); only GET and HEAD are served.
 */
#include "connectors/gateway/server.h"

#include <rill/gateway.h>

#include <string.h>

#define LISTEN_BACKLOG 4096 /* capped by net.core.somaxconn */

static void static_cb(SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
                      gpointer user_data)
{
  const char *dir = user_data;
  const char *method = soup_server_message_get_method(msg);
  if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
    soup_server_message_set_status(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
    return;
  }
  if (!dir || strstr(path, "/.") || strstr(path, "\\")) {
    soup_server_message_set_status(msg, SOUP_STATUS_NOT_FOUND, NULL);
    return;
  }
  char *file = g_build_filename(dir, strcmp(path, "/") == 0 ? "index.html" : path + 1, NULL);
  char *data = NULL;
  gsize len = 0;
  if (!g_file_get_contents(file, &data, &len, NULL)) {
    soup_server_message_set_status(msg, SOUP_STATUS_NOT_FOUND, NULL);
    g_free(file);
    return;
  }
  const char *type = g_str_has_suffix(file, ".html")  ? "text/html; charset=utf-8"
                     : g_str_has_suffix(file, ".js")  ? "text/javascript; charset=utf-8"
                     : g_str_has_suffix(file, ".css") ? "text/css; charset=utf-8"
                                                      : "application/octet-stream";
  soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response(msg, type, SOUP_MEMORY_TAKE, data, len);
  g_free(file);
}

SoupServer *rill__gw_server_new(const char *host, int port, const char *static_dir, SoupServerWebsocketCallback ws,
                                void *ws_data, int *bound_port, GError **error)
{
  SoupServer *server = soup_server_new("server-header", "rill-gateway", NULL);
  soup_server_add_websocket_handler(server, "/ws", NULL, NULL, ws, ws_data, NULL);
  soup_server_add_handler(server, "/", static_cb, g_strdup(static_dir), g_free);
  GInetAddress *ia = g_inet_address_new_from_string(host);
  if (!ia) {
    g_set_error(error, RILL_GATEWAY_ERROR, RILL_GATEWAY_ERROR_LISTEN, "listen: '%s' is not an IP address", host);
    g_object_unref(server);
    return NULL;
  }
  GSocketAddress *sa = g_inet_socket_address_new(ia, (guint16)port);
  GError *e = NULL;
  /* our own listening socket: libsoup's has a backlog of 10, and clients
   * come back all at once after a restart */
  GSocket *sock = g_socket_new(g_inet_address_get_family(ia), G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &e);
  g_object_unref(ia);
  gboolean ok = sock != NULL;
  if (ok) {
    g_socket_set_listen_backlog(sock, LISTEN_BACKLOG);
    ok = g_socket_bind(sock, sa, TRUE, &e) && g_socket_listen(sock, &e) &&
         soup_server_listen_socket(server, sock, 0, &e);
  }
  g_object_unref(sa);
  if (!ok) {
    g_set_error(error, RILL_GATEWAY_ERROR, RILL_GATEWAY_ERROR_LISTEN, "listen on %s:%d: %s", host, port, e->message);
    g_error_free(e);
    g_clear_object(&sock);
    g_object_unref(server);
    return NULL;
  }
  GSocketAddress *local = g_socket_get_local_address(sock, NULL);
  *bound_port = local ? g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(local)) : port;
  g_clear_object(&local);
  g_object_unref(sock);
  return server;
}
