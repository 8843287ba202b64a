/* test-prometheus.c — the registry's text exposition: exact output for
 * counters, gauges and a histogram (cumulative buckets, _sum/_count, scaled
 * bounds), label escaping, one HELP/TYPE per family even when two
 * collectors report it, removal, and `promtool check metrics` accepting the
 * text served over HTTP at /metrics. */
#include "rill/prometheus.h"
#include "tests/http/http-client.h"

static const rill_prom_desc requests = {"rill_test_requests_total", RILL_PROM_COUNTER, "Requests handled."};
static const rill_prom_desc depth = {"rill_test_queue_depth", RILL_PROM_GAUGE, "Items queued\\now."};
static const rill_prom_desc latency = {"rill_test_latency_seconds", RILL_PROM_HISTOGRAM, "Request latency."};

typedef struct {
  const char *who;
  rill_prom_histogram h;
} source;

static void collect(rill_prom_writer *w, gpointer user_data) {
  source *s = user_data;
  rill_prom_sample(w, &requests, 3, "who", s->who, "path", "a\"b\\c\nd", NULL);
  rill_prom_sample(w, &depth, 0.25, "who", s->who, NULL);
  rill_prom_sample_histogram(w, &latency, &s->h, "who", s->who, NULL);
}

static const guint64 bounds[] = {1000, 50000, 2000000};

static void test_render(void) {
  rill_prom_registry *reg = rill_prom_registry_new();
  source a = {.who = "a"}, b = {.who = "b"};
  rill_prom_histogram_init(&a.h, bounds, G_N_ELEMENTS(bounds), 1e-9);
  rill_prom_histogram_init(&b.h, bounds, G_N_ELEMENTS(bounds), 1e-9);
  rill_prom_histogram_observe(&a.h, 1000);    /* le 1e-06 (bounds are inclusive) */
  rill_prom_histogram_observe(&a.h, 40000);   /* le 5e-05 */
  rill_prom_histogram_observe(&a.h, 9000000); /* +Inf */
  guint ida = rill_prom_registry_add(reg, collect, &a, NULL);
  rill_prom_registry_add(reg, collect, &b, NULL);
  g_autofree char *text = rill_prom_registry_render(reg);
  const char *want =
    "# HELP rill_test_requests_total Requests handled.\n"
    "# TYPE rill_test_requests_total counter\n"
    "rill_test_requests_total{who=\"a\",path=\"a\\\"b\\\\c\\nd\"} 3\n"
    "rill_test_requests_total{who=\"b\",path=\"a\\\"b\\\\c\\nd\"} 3\n"
    "# HELP rill_test_queue_depth Items queued\\\\now.\n"
    "# TYPE rill_test_queue_depth gauge\n"
    "rill_test_queue_depth{who=\"a\"} 0.25\n"
    "rill_test_queue_depth{who=\"b\"} 0.25\n"
    "# HELP rill_test_latency_seconds Request latency.\n"
    "# TYPE rill_test_latency_seconds histogram\n"
    "rill_test_latency_seconds_bucket{who=\"a\",le=\"1e-06\"} 1\n"
    "rill_test_latency_seconds_bucket{who=\"a\",le=\"5e-05\"} 2\n"
    "rill_test_latency_seconds_bucket{who=\"a\",le=\"0.002\"} 2\n"
    "rill_test_latency_seconds_bucket{who=\"a\",le=\"+Inf\"} 3\n"
    "rill_test_latency_seconds_sum{who=\"a\"} 0.009041\n"
    "rill_test_latency_seconds_count{who=\"a\"} 3\n"
    "rill_test_latency_seconds_bucket{who=\"b\",le=\"1e-06\"} 0\n"
    "rill_test_latency_seconds_bucket{who=\"b\",le=\"5e-05\"} 0\n"
    "rill_test_latency_seconds_bucket{who=\"b\",le=\"0.002\"} 0\n"
    "rill_test_latency_seconds_bucket{who=\"b\",le=\"+Inf\"} 0\n"
    "rill_test_latency_seconds_sum{who=\"b\"} 0\n"
    "rill_test_latency_seconds_count{who=\"b\"} 0\n";
  g_assert_cmpstr(text, ==, want);

  rill_prom_registry_remove(reg, ida);
  g_autofree char *after = rill_prom_registry_render(reg);
  g_assert_null(strstr(after, "who=\"a\""));
  g_assert_nonnull(strstr(after, "rill_test_requests_total{who=\"b\""));
  rill_prom_registry_unref(reg);
}

/* Counts destroy notifies. */
static void count_destroy(gpointer p) {
  (*(int *)p)++;
}

static void nothing(rill_prom_writer *w, gpointer user_data) {}

static void test_destroy(void) {
  int destroyed = 0;
  rill_prom_registry *reg = rill_prom_registry_new();
  guint id = rill_prom_registry_add(reg, nothing, &destroyed, count_destroy);
  rill_prom_registry_add(reg, nothing, &destroyed, count_destroy);
  rill_prom_registry_remove(reg, id);
  g_assert_cmpint(destroyed, ==, 1);
  g_autofree char *empty = rill_prom_registry_render(reg);
  g_assert_cmpstr(empty, ==, "");
  rill_prom_registry_unref(reg);
  g_assert_cmpint(destroyed, ==, 2);
}

/* The text served at /metrics passes promtool's parser and lint. */
static void test_promtool(void) {
  rill_prom_registry *reg = rill_prom_registry_new();
  source a = {.who = "a"};
  rill_prom_histogram_init_latency(&a.h);
  for (guint64 v = 1; v < 20000000000ull; v *= 3)
    rill_prom_histogram_observe(&a.h, v);
  rill_prom_registry_add(reg, collect, &a, NULL);
  GError *err = NULL;
  rill_http_server *srv = rill_http_server_new(NULL, &err);
  rill_prom_registry_serve(reg, srv, "/custom/metrics");
  g_assert_true(rill_http_server_listen(srv, "127.0.0.1:0", &err));
  g_assert_no_error(err);

  SoupSession *session = soup_session_new();
  g_autofree char *url = g_strdup_printf("http://127.0.0.1:%u/custom/metrics", rill_http_server_get_port(srv));
  SoupMessage *msg = soup_message_new("GET", url);
  GBytes *body = soup_session_send_and_read(session, msg, NULL, &err);
  g_assert_no_error(err);
  g_assert_cmpuint(soup_message_get_status(msg), ==, 200);
  g_assert_cmpstr(soup_message_headers_get_one(soup_message_get_response_headers(msg), "Content-Type"), ==,
                  RILL_PROM_CONTENT_TYPE);
  g_autofree char *text = g_strndup(g_bytes_get_data(body, NULL), g_bytes_get_size(body));
  g_assert_nonnull(strstr(text, "rill_test_latency_seconds_bucket{who=\"a\",le=\"10\"} 21"));
  hc_promtool_check(text);
  g_bytes_unref(body);
  g_object_unref(msg);
  g_object_unref(session);
  rill_http_server_free(srv);
  rill_prom_registry_unref(reg);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/prometheus/render", test_render);
  g_test_add_func("/prometheus/destroy", test_destroy);
  g_test_add_func("/prometheus/promtool", test_promtool);
  return g_test_run();
}
