/* server.h — the gateway's HTTP side (internal), on rill's shared HTTP
 * layer (rill/http.h): the WebSocket endpoint /ws, static files at /, and
 * the built-in /metrics, /healthz and /readyz. */
#pragma once

#include <rill/http.h>

#include <libsoup/soup.h>

/* A server (not yet listening) with /ws handled by @ws (a plain handler:
 * the gateway does the WebSocket handshake with libsoup itself, so that
 * it can hand the connection to another thread) and, when @static_dir is
 * not NULL, the files of @static_dir at /. */
rill_http_server *rill__gw_http_new(const char *static_dir, SoupServerCallback ws, void *ws_data, GError **error);
