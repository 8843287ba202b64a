/* server.c — the gateway's routes on a rill_http_server (server.h): /ws
 * upgrades to a WebSocket (handshake and hand-off in gateway.c); every
 * other GET path is a file under the static directory.
 *
 * Invariants: a static path never leaves the static directory (no "..",
 * no hidden parts, no backslashes); only GET and HEAD are served.
 */
#include "connectors/gateway/server.h"

#include <string.h>

static void static_cb(const rill_http_request *req, rill_http_response *resp, gpointer user_data)
{
  const char *dir = user_data;
  if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
    resp->status = 405;
    return;
  }
  resp->status = 404;
  if (strstr(req->path, "/.") || strchr(req->path, '\\'))
    return;
  char *file = g_build_filename(dir, strcmp(req->path, "/") == 0 ? "index.html" : req->path + 1, NULL);
  char *data = NULL;
  gsize len = 0;
  if (g_file_test(file, G_FILE_TEST_IS_REGULAR) && g_file_get_contents(file, &data, &len, NULL)) {
    resp->status = 200;
    resp->content_type = g_str_has_suffix(file, ".html")  ? "text/html; charset=utf-8"
                         : g_str_has_suffix(file, ".js")  ? "text/javascript; charset=utf-8"
                         : g_str_has_suffix(file, ".css") ? "text/css; charset=utf-8"
                                                          : "application/octet-stream";
    g_string_append_len(resp->body, data, (gssize)len);
    g_free(data);
  }
  g_free(file);
}

rill_http_server *rill__gw_http_new(const char *static_dir, SoupServerCallback ws, void *ws_data, GError **error)
{
  rill_http_server *http = rill_http_server_new(NULL, error);
  if (!http)
    return NULL;
  soup_server_add_handler(rill_http_server_get_soup(http), "/ws", ws, ws_data, NULL);
  if (static_dir)
    rill_http_server_add_handler(http, "/", static_cb, g_strdup(static_dir), g_free);
  return http;
}
