/* server.h — the gateway's HTTP side (internal): one SoupServer on the
 * gateway thread's GMainContext serving the WebSocket endpoint /ws and the
 * static files at /. The one place that creates a SoupServer, so moving to
 * rill's shared HTTP layer changes only this file. */
#pragma once

#include <libsoup/soup.h>

/* Creates the server on the thread-default GMainContext and listens on
 * @host:@port; *@bound_port gets the port. @static_dir may be NULL. */
SoupServer *rill__gw_server_new(const char *host, int port, const char *static_dir, SoupServerWebsocketCallback ws,
                                void *ws_data, int *bound_port, GError **error);
