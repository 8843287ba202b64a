/* wsclient.h — a blocking WebSocket client for the gateway's tests, on
 * libsoup's client (a real, independent WebSocket implementation). Each
 * client has its own GMainContext, iterated only while a call waits, so a
 * test can also leave a client unread (a slow consumer). */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

typedef struct wsc wsc;

/* Connects to ws://127.0.0.1:@port/ws?token=@token (@token NULL: none).
 * NULL with @error when the handshake fails. */
wsc *wsc_connect(int port, const char *token, GError **error);
/* The same over wss://, trusting only the CAs in @ca_file. */
wsc *wsc_connect_tls(int port, const char *token, const char *ca_file, GError **error);
void wsc_send(wsc *c, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* Sends @len raw bytes as one text message. */
void wsc_send_raw(wsc *c, const char *data, gsize len, gboolean binary);
/* The next frame received (transfer full: json_object_unref), NULL on
 * timeout or close. */
JsonObject *wsc_next(wsc *c, int timeout_ms);
/* Skips frames until one of @type (transfer full), NULL on timeout/close. */
JsonObject *wsc_next_type(wsc *c, const char *type, int timeout_ms);
/* Iterates until the connection is closed; returns the close code the
 * server sent (0 when it sent none, -1 on timeout). */
int wsc_wait_closed(wsc *c, int timeout_ms);
/* Lets the client read for @ms (frames are queued). */
void wsc_pump(wsc *c, int ms);
void wsc_free(wsc *c);

const char *wsc_str(JsonObject *o, const char *name);
gint64 wsc_int(JsonObject *o, const char *name);

/* A plain HTTP GET of @path (transfer full; NULL when it failed). */
char *wsc_http_get(int port, const char *path, guint *status);
/* The same over https://, trusting only the CAs in @ca_file. */
char *wsc_https_get(int port, const char *path, const char *ca_file, guint *status);
