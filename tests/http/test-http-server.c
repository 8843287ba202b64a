/* test-http-server.c — rill_http_server over real sockets: a libsoup client
 * talks to a server bound to an ephemeral loopback port; handlers see the
 * method, path, query and body; unknown paths get 404; bad addresses and a
 * port in use fail with the right error; free() joins the server thread, so
 * a handler never runs after it (the handler's data is freed right after). */
#include "rill/http.h"
#include "tests/http/http-client.h"

typedef struct {
  gint calls; /* atomic: incremented on the server thread */
  GThread *thread; /* the thread the last handler ran on */
} seen;

static void echo(const rill_http_request *req, rill_http_response *resp, gpointer user_data) {
  seen *s = user_data;
  g_atomic_int_inc(&s->calls);
  s->thread = g_thread_self();
  const char *who = req->query ? g_hash_table_lookup(req->query, "who") : NULL;
  gsize n = 0;
  const char *body = g_bytes_get_data(req->body, &n);
  g_string_append_printf(resp->body, "%s %s who=%s body=%.*s", req->method, req->path, who ? who : "-", (int)n,
                         body ? body : "");
  if (g_str_has_suffix(req->path, "/teapot")) {
    resp->status = 418;
    resp->content_type = "application/json";
  }
}

static void test_handlers(void) {
  seen *s = g_new0(seen, 1);
  GError *err = NULL;
  rill_http_server *srv = rill_http_server_new(NULL, &err);
  g_assert_no_error(err);
  g_assert_cmpuint(rill_http_server_get_port(srv), ==, 0);
  rill_http_server_add_handler(srv, "/api", echo, s, g_free);
  g_assert_true(rill_http_server_listen(srv, "127.0.0.1:0", &err));
  g_assert_no_error(err);
  guint port = rill_http_server_get_port(srv);
  g_assert_cmpuint(port, >, 0);

  SoupSession *session = soup_session_new();
  guint status;
  g_autofree char *ctype = NULL;
  g_autofree char *url = g_strdup_printf("http://127.0.0.1:%u/api/topics?who=me%%20too", port);
  g_autofree char *a = hc_fetch(session, "GET", url, NULL, &status, &ctype);
  g_assert_cmpuint(status, ==, 200);
  g_assert_cmpstr(a, ==, "GET /api/topics who=me too body=");
  g_assert_cmpstr(ctype, ==, "text/plain");
  g_assert_true(s->thread != g_thread_self()); /* served on the server's own thread */

  g_autofree char *url2 = g_strdup_printf("http://127.0.0.1:%u/api/teapot", port);
  g_autofree char *ctype2 = NULL;
  g_autofree char *b = hc_fetch(session, "POST", url2, "hello", &status, &ctype2);
  g_assert_cmpuint(status, ==, 418);
  g_assert_cmpstr(ctype2, ==, "application/json");
  g_assert_cmpstr(b, ==, "POST /api/teapot who=- body=hello");

  g_autofree char *url3 = g_strdup_printf("http://127.0.0.1:%u/other", port);
  g_free(hc_fetch(session, "GET", url3, NULL, &status, NULL));
  g_assert_cmpuint(status, ==, 404);
  g_assert_cmpint(g_atomic_int_get(&s->calls), ==, 2);

  g_object_unref(session);
  rill_http_server_free(srv); /* frees @s through the destroy notify */
}

static void test_bad_address(void) {
  const char *bad[] = {"nonsense", "127.0.0.1", "example.invalid:80", "127.0.0.1:99999", ""};
  for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
    GError *err = NULL;
    rill_http_server *srv = rill_http_server_new(NULL, &err);
    g_assert_false(rill_http_server_listen(srv, bad[i], &err));
    g_assert_error(err, RILL_HTTP_ERROR, RILL_HTTP_ERROR_ADDRESS);
    g_error_free(err);
    rill_http_server_free(srv);
  }
}

static void test_port_in_use(void) {
  GError *err = NULL;
  rill_http_server *a = rill_http_server_new(NULL, &err);
  g_assert_true(rill_http_server_listen(a, "localhost:0", &err));
  g_autofree char *addr = g_strdup_printf("127.0.0.1:%u", rill_http_server_get_port(a));
  rill_http_server *b = rill_http_server_new(NULL, &err);
  g_assert_false(rill_http_server_listen(b, addr, &err));
  g_assert_error(err, RILL_HTTP_ERROR, RILL_HTTP_ERROR_LISTEN);
  g_error_free(err);
  rill_http_server_free(b);
  rill_http_server_free(a);
}

/* With a caller context nothing is served until the caller iterates it. */
static void test_caller_context(void) {
  GMainContext *ctx = g_main_context_new();
  seen *s = g_new0(seen, 1);
  GError *err = NULL;
  rill_http_server *srv = rill_http_server_new(ctx, &err);
  g_assert_true(rill_http_server_get_context(srv) == ctx);
  rill_http_server_add_handler(srv, "/", echo, s, g_free);
  g_assert_true(rill_http_server_listen(srv, "127.0.0.1:0", &err));
  g_assert_no_error(err);
  GSocketClient *client = g_socket_client_new();
  GSocketConnection *conn =
    g_socket_client_connect_to_host(client, "127.0.0.1", (guint16)rill_http_server_get_port(srv), NULL, &err);
  g_assert_no_error(err);
  const char req[] = "GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  g_assert_true(g_output_stream_write_all(g_io_stream_get_output_stream(G_IO_STREAM(conn)), req, sizeof req - 1, NULL, NULL, &err));
  while (g_atomic_int_get(&s->calls) == 0)
    g_main_context_iteration(ctx, TRUE);
  g_assert_true(s->thread == g_thread_self());
  g_object_unref(conn);
  g_object_unref(client);
  rill_http_server_free(srv);
  g_main_context_unref(ctx);
}

static gboolean check_flag(GString *detail, gpointer user_data) {
  gint *flag = user_data;
  gboolean ok = g_atomic_int_get(flag);
  g_string_append(detail, ok ? "all good" : "log not open");
  return ok;
}

static gboolean check_ok(GString *detail, gpointer user_data) {
  return TRUE;
}

/* /healthz, /readyz from the checks, /metrics from the server's registry and
 * the console's files at "/": what every server offers. */
static void test_builtin_routes(void) {
  gint flag = 0;
  GError *err = NULL;
  rill_http_server *srv = rill_http_server_new(NULL, &err);
  rill_http_server_add_ready_check(srv, "first", check_ok, NULL, NULL);
  rill_http_server_add_ready_check(srv, "second", check_flag, &flag, NULL);
  rill_http_server_add_console(srv);
  rill_http_server_add_console(srv); /* twice is harmless */
  g_assert_true(rill_http_server_listen(srv, "127.0.0.1:0", &err));
  guint port = rill_http_server_get_port(srv);
  SoupSession *session = soup_session_new();
  guint status;
  char *ctype = NULL;
#define URL(p) g_strdup_printf("http://127.0.0.1:%u%s", port, p)
  g_autofree char *u1 = URL("/healthz"), *u2 = URL("/readyz"), *u3 = URL("/"), *u4 = URL("/console.js"),
                  *u5 = URL("/nothing.js"), *u6 = URL("/metrics");
  g_autofree char *health = hc_fetch(session, "GET", u1, NULL, &status, &ctype);
  g_assert_cmpuint(status, ==, 200);
  g_assert_cmpstr(ctype, ==, "application/json");
  g_clear_pointer(&ctype, g_free);
  g_assert_cmpstr(health, ==, "{\"status\":\"ok\"}\n");
  g_autofree char *notready = hc_fetch(session, "GET", u2, NULL, &status, NULL);
  g_assert_cmpuint(status, ==, 503);
  g_assert_cmpstr(notready, ==,
                  "{\"checks\":[{\"name\":\"first\",\"ready\":true,\"detail\":\"\"},"
                  "{\"name\":\"second\",\"ready\":false,\"detail\":\"log not open\"}],\"ready\":false}\n");
  g_atomic_int_set(&flag, 1);
  g_autofree char *ready = hc_fetch(session, "GET", u2, NULL, &status, NULL);
  g_assert_cmpuint(status, ==, 200);
  g_assert_nonnull(strstr(ready, "\"ready\":true}"));
  g_autofree char *index = hc_fetch(session, "GET", u3, NULL, &status, &ctype);
  g_assert_cmpuint(status, ==, 200);
  g_assert_cmpstr(ctype, ==, "text/html");
  g_clear_pointer(&ctype, g_free);
  g_assert_nonnull(strstr(index, "<script src=\"console.js\">"));
  g_autofree char *js = hc_fetch(session, "GET", u4, NULL, &status, &ctype);
  g_assert_cmpuint(status, ==, 200);
  g_assert_true(g_str_has_prefix(js, "/* console.js"));
  g_assert_cmpstr(ctype, ==, "text/javascript");
  g_clear_pointer(&ctype, g_free);
  g_autofree char *missing = hc_fetch(session, "GET", u5, NULL, &status, NULL);
  g_assert_cmpuint(status, ==, 404);
  g_assert_cmpstr(missing, ==, "not found\n");
  g_autofree char *metrics = hc_fetch(session, "GET", u6, NULL, &status, NULL);
  g_assert_cmpuint(status, ==, 200);
  g_assert_cmpstr(metrics, ==, ""); /* nothing registered */
  g_object_unref(session);
  rill_http_server_free(srv);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/http/handlers", test_handlers);
  g_test_add_func("/http/bad-address", test_bad_address);
  g_test_add_func("/http/port-in-use", test_port_in_use);
  g_test_add_func("/http/caller-context", test_caller_context);
  g_test_add_func("/http/builtin-routes", test_builtin_routes);
  return g_test_run();
}
