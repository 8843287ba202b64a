/* wsclient.c — see wsclient.h. */
#include "wsclient.h"

#include <libsoup/soup.h>

struct wsc {
  GMainContext *ctx;
  SoupSession *session;
  SoupWebsocketConnection *ws;
  GError *error;
  gboolean done; /* connect finished */
  gboolean closed;
  GQueue frames; /* JsonObject* */
};

static void on_message(SoupWebsocketConnection *ws, gint type, GBytes *msg, gpointer data)
{
  wsc *c = data;
  gsize len;
  const char *text = g_bytes_get_data(msg, &len);
  JsonParser *p = json_parser_new();
  if (json_parser_load_from_data(p, text, (gssize)len, NULL) && JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p)))
    g_queue_push_tail(&c->frames, json_object_ref(json_node_get_object(json_parser_get_root(p))));
  else
    g_error("the gateway sent a frame that is not a JSON object: %.*s", (int)len, text);
  g_object_unref(p);
}

static void on_closed(SoupWebsocketConnection *ws, gpointer data)
{
  ((wsc *)data)->closed = TRUE;
}

static void connected(GObject *src, GAsyncResult *res, gpointer data)
{
  wsc *c = data;
  c->ws = soup_session_websocket_connect_finish(SOUP_SESSION(src), res, &c->error);
  if (c->ws) {
    soup_websocket_connection_set_max_incoming_payload_size(c->ws, 1 << 24);
    g_signal_connect(c->ws, "message", G_CALLBACK(on_message), c);
    g_signal_connect(c->ws, "closed", G_CALLBACK(on_closed), c);
  }
  c->done = TRUE;
}

static gboolean tick(gpointer data)
{
  return G_SOURCE_REMOVE;
}

static gboolean iterate_until(wsc *c, gboolean *flag, int timeout_ms)
{
  gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
  /* libsoup starts some of its operations on the thread-default context */
  g_main_context_push_thread_default(c->ctx);
  while (!*flag && g_get_monotonic_time() < deadline) {
    /* a short timeout source keeps the wait bounded */
    GSource *t = g_timeout_source_new(20);
    g_source_set_callback(t, tick, NULL, NULL);
    g_source_attach(t, c->ctx);
    g_main_context_iteration(c->ctx, TRUE);
    g_source_destroy(t);
    g_source_unref(t);
  }
  g_main_context_pop_thread_default(c->ctx);
  return *flag;
}

/* A session trusting only the CAs of @ca_file (NULL: the system's). */
static SoupSession *new_session(const char *ca_file)
{
  GTlsDatabase *db = NULL;
  if (ca_file) {
    GError *e = NULL;
    db = g_tls_file_database_new(ca_file, &e);
    g_assert_no_error(e);
  }
  SoupSession *s = db ? soup_session_new_with_options("tls-database", db, NULL) : soup_session_new();
  if (db)
    g_object_unref(db);
  return s;
}

static wsc *connect_scheme(const char *scheme, int port, const char *token, const char *ca_file, GError **error)
{
  wsc *c = g_new0(wsc, 1);
  c->ctx = g_main_context_new();
  g_queue_init(&c->frames);
  g_main_context_push_thread_default(c->ctx);
  c->session = new_session(ca_file);
  char *uri = token ? g_strdup_printf("%s://127.0.0.1:%d/ws?token=%s", scheme, port, token)
                    : g_strdup_printf("%s://127.0.0.1:%d/ws", scheme, port);
  SoupMessage *msg = soup_message_new("GET", uri);
  soup_session_websocket_connect_async(c->session, msg, NULL, NULL, G_PRIORITY_DEFAULT, NULL, connected, c);
  g_object_unref(msg);
  g_free(uri);
  g_main_context_pop_thread_default(c->ctx);
  iterate_until(c, &c->done, 10000);
  if (!c->ws) {
    if (c->error)
      g_propagate_error(error, c->error);
    else
      g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "connect timed out");
    c->error = NULL;
    wsc_free(c);
    return NULL;
  }
  return c;
}

wsc *wsc_connect(int port, const char *token, GError **error)
{
  return connect_scheme("ws", port, token, NULL, error);
}

wsc *wsc_connect_tls(int port, const char *token, const char *ca_file, GError **error)
{
  return connect_scheme("wss", port, token, ca_file, error);
}

void wsc_send(wsc *c, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  char *s = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  soup_websocket_connection_send_text(c->ws, s);
  g_free(s);
}

void wsc_send_raw(wsc *c, const char *data, gsize len, gboolean binary)
{
  GBytes *b = g_bytes_new(data, len);
  soup_websocket_connection_send_message(c->ws, binary ? SOUP_WEBSOCKET_DATA_BINARY : SOUP_WEBSOCKET_DATA_TEXT, b);
  g_bytes_unref(b);
}

JsonObject *wsc_next(wsc *c, int timeout_ms)
{
  gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
  while (!c->frames.length && !c->closed && g_get_monotonic_time() < deadline) {
    gboolean never = FALSE;
    iterate_until(c, &never, 20);
  }
  return g_queue_pop_head(&c->frames);
}

JsonObject *wsc_next_type(wsc *c, const char *type, int timeout_ms)
{
  gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
  for (;;) {
    gint64 left = (deadline - g_get_monotonic_time()) / 1000;
    JsonObject *o = wsc_next(c, (int)MAX(left, 0));
    if (!o)
      return NULL;
    if (g_strcmp0(wsc_str(o, "type"), type) == 0)
      return o;
    json_object_unref(o);
  }
}

int wsc_wait_closed(wsc *c, int timeout_ms)
{
  iterate_until(c, &c->closed, timeout_ms);
  return c->closed ? soup_websocket_connection_get_close_code(c->ws) : -1;
}

void wsc_pump(wsc *c, int ms)
{
  gboolean never = FALSE;
  iterate_until(c, &never, ms);
}

void wsc_free(wsc *c)
{
  if (!c)
    return;
  if (c->ws) {
    g_signal_handlers_disconnect_by_data(c->ws, c);
    if (soup_websocket_connection_get_state(c->ws) == SOUP_WEBSOCKET_STATE_OPEN)
      soup_websocket_connection_close(c->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
    g_object_unref(c->ws);
  }
  g_object_unref(c->session);
  while (g_main_context_iteration(c->ctx, FALSE))
    ;
  g_queue_clear_full(&c->frames, (GDestroyNotify)json_object_unref);
  g_main_context_unref(c->ctx);
  g_clear_error(&c->error);
  g_free(c);
}

const char *wsc_str(JsonObject *o, const char *name)
{
  JsonNode *n = json_object_get_member(o, name);
  return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING ? json_node_get_string(n)
                                                                                         : NULL;
}

gint64 wsc_int(JsonObject *o, const char *name)
{
  JsonNode *n = json_object_get_member(o, name);
  return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64 ? json_node_get_int(n) : -1;
}

static char *get(const char *scheme, int port, const char *path, const char *ca_file, guint *status)
{
  GMainContext *ctx = g_main_context_new();
  g_main_context_push_thread_default(ctx);
  SoupSession *session = new_session(ca_file);
  char *uri = g_strdup_printf("%s://127.0.0.1:%d%s", scheme, port, path);
  SoupMessage *msg = soup_message_new("GET", uri);
  GBytes *body = soup_session_send_and_read(session, msg, NULL, NULL);
  *status = soup_message_get_status(msg);
  char *text = body ? g_strndup(g_bytes_get_data(body, NULL), g_bytes_get_size(body)) : NULL;
  if (body)
    g_bytes_unref(body);
  g_object_unref(msg);
  g_object_unref(session);
  g_free(uri);
  g_main_context_pop_thread_default(ctx);
  g_main_context_unref(ctx);
  return text;
}

char *wsc_http_get(int port, const char *path, guint *status)
{
  return get("http", port, path, NULL, status);
}

char *wsc_https_get(int port, const char *path, const char *ca_file, guint *status)
{
  return get("https", port, path, ca_file, status);
}
