/* test-broker-http.c — rill_broker_serve_http against a real broker on an
 * ephemeral port: records produced over the Kafka protocol and fetched back
 * show up per partition in /metrics and /api/broker/topics; a committed
 * group offset shows its lag; request counts and latency histograms per
 * API; the whole text passes `promtool check metrics`; /readyz follows the
 * broker's life (ready while started, 503 once stopped) and so do the
 * routes, also when the broker is freed before the server. */
#include <json-glib/json-glib.h>

#include <rill/broker.h>
#include <rill/http.h>

#include "tests/broker/client.h"
#include "tests/http/http-client.h"
#include "tests/log/test-batch.h"

typedef struct {
  char *dir;
  rill_broker *broker;
  rill_http_server *http;
  guint port;
  SoupSession *session;
} fixture;

static void setup(fixture *f, gconstpointer data)
{
  GError *e = NULL;
  f->dir = g_dir_make_tmp("rill-broker-http-XXXXXX", &e);
  g_assert_no_error(e);
  rill_broker_config *c = rill_broker_config_new();
  g_assert_true(rill_broker_config_set(c, "listeners", "127.0.0.1:0", &e));
  g_assert_true(rill_broker_config_set(c, "log.dirs", f->dir, &e));
  g_assert_true(rill_broker_config_set(c, "num.partitions", "2", &e));
  f->broker = rill_broker_new(c, &e);
  g_assert_no_error(e);
  rill_broker_config_free(c);
  f->http = rill_http_server_new(NULL, &e);
  rill_broker_serve_http(f->broker, f->http);
  g_assert_true(rill_http_server_listen(f->http, "127.0.0.1:0", &e));
  g_assert_no_error(e);
  f->port = rill_http_server_get_port(f->http);
  f->session = soup_session_new();
}

static void teardown(fixture *f, gconstpointer data)
{
  g_object_unref(f->session);
  rill_http_server_free(f->http);
  rill_broker_free(f->broker);
  g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", f->dir);
  g_assert_cmpint(system(cmd), ==, 0);
  g_free(f->dir);
}

static void produce(int fd, int32_t corr, const char *topic, int32_t partition, int n, size_t *bytes)
{
  size_t len;
  uint8_t *batch = test_batch(n, 100, 1000, (uint32_t)corr, &len);
  tc_send_produce(fd, corr, topic, partition, batch, len, 1);
  g_free(batch);
  *bytes += len;
  rill__wire_arena a;
  rill__wire_arena_init(&a);
  rill__wire_produce_response rs;
  uint8_t *frame;
  g_assert_cmpint(tc_recv(fd, RILL_WIRE_API_PRODUCE, 7, &a, &rs, &frame), ==, corr);
  g_assert_cmpint(rs.responses[0].partitions[0].error_code, ==, 0);
  g_free(frame);
  rill__wire_arena_clear(&a);
}

/* Fetches partition @partition from 0; returns the record bytes answered. */
static size_t fetch_all(int fd, int32_t corr, const char *topic, int32_t partition)
{
  tc_send_fetch(fd, corr, topic, partition, 0, 0, 1, 1 << 20);
  rill__wire_arena a;
  rill__wire_arena_init(&a);
  rill__wire_fetch_response rs;
  uint8_t *frame;
  g_assert_cmpint(tc_recv(fd, RILL_WIRE_API_FETCH, 11, &a, &rs, &frame), ==, corr);
  size_t n = (size_t)MAX(rs.responses[0].partitions[0].records.len, 0);
  g_free(frame);
  rill__wire_arena_clear(&a);
  return n;
}

static void test_not_started(fixture *f, gconstpointer data)
{
  g_autofree char *ready = hc_get(f->session, f->port, "/readyz", 503);
  g_assert_nonnull(strstr(ready, "\"name\":\"broker\",\"ready\":false,\"detail\":\"not started or stopping\""));
  g_autofree char *topics = hc_get(f->session, f->port, "/api/broker/topics", 503);
  g_assert_cmpstr(topics, ==, "{\"error\":\"the broker is not running\"}\n");
  g_autofree char *metrics = hc_get(f->session, f->port, "/metrics", 200);
  g_assert_null(strstr(metrics, "rill_broker_"));
}

static void test_traffic(fixture *f, gconstpointer data)
{
  GError *e = NULL;
  g_assert_true(rill_broker_start(f->broker, &e));
  g_autofree char *ready = hc_get(f->session, f->port, "/readyz", 200);
  g_autofree char *want = g_strdup_printf("\"detail\":\"log open, listening on port %u\"", rill_broker_port(f->broker));
  g_assert_nonnull(strstr(ready, want));

  int fd = tc_connect(rill_broker_port(f->broker));
  tc_create_topic(fd, 1, "clicks", 2);
  size_t bytes0 = 0, bytes1 = 0;
  produce(fd, 100, "clicks", 0, 5, &bytes0);
  produce(fd, 101, "clicks", 0, 7, &bytes0);
  produce(fd, 102, "clicks", 1, 3, &bytes1);
  size_t out0 = fetch_all(fd, 103, "clicks", 0);
  g_assert_cmpuint(out0, ==, bytes0);
  rill_log_group_offset commit = {.topic = "clicks", .partition = 0, .offset = 4, .leader_epoch = -1};
  g_assert_true(rill_log_group_commit(rill_broker_log(f->broker), "readers", &commit, 1, &e));
  g_assert_no_error(e);

  g_autofree char *m = hc_get(f->session, f->port, "/metrics", 200);
  hc_promtool_check(m);
  g_assert_cmpfloat(hc_sample(m, "rill_broker_records_in_total{topic=\"clicks\",partition=\"0\"}"), ==, 12);
  g_assert_cmpfloat(hc_sample(m, "rill_broker_records_in_total{topic=\"clicks\",partition=\"1\"}"), ==, 3);
  g_assert_cmpfloat(hc_sample(m, "rill_broker_bytes_in_total{topic=\"clicks\",partition=\"0\"}"), ==, (double)bytes0);
  g_assert_cmpfloat(hc_sample(m, "rill_broker_bytes_in_total{topic=\"clicks\",partition=\"1\"}"), ==, (double)bytes1);
  g_assert_cmpfloat(hc_sample(m, "rill_broker_bytes_out_total{topic=\"clicks\",partition=\"0\"}"), ==, (double)bytes0);
  g_assert_cmpfloat(hc_sample(m, "rill_broker_bytes_out_total{topic=\"clicks\",partition=\"1\"}"), ==, 0);
  g_assert_cmpfloat(hc_sample(m, "rill_broker_high_watermark{topic=\"clicks\",partition=\"0\"}"), ==, 12);
  g_assert_cmpfloat(hc_sample(m, "rill_broker_log_segments{topic=\"clicks\",partition=\"0\"}"), ==, 1);
  g_assert_cmpfloat(hc_sample(m, "rill_broker_log_size_bytes{topic=\"clicks\",partition=\"0\"}"), ==, (double)bytes0);
  g_assert_cmpfloat(hc_sample(m, "rill_broker_requests_total{api=\"Produce\"}"), ==, 3);
  g_assert_cmpfloat(hc_sample(m, "rill_broker_requests_total{api=\"Fetch\"}"), ==, 1);
  g_assert_cmpfloat(hc_sample(m, "rill_broker_request_duration_seconds_count{api=\"Produce\"}"), ==, 3);
  g_assert_cmpfloat(hc_sample(m, "rill_broker_request_duration_seconds_bucket{api=\"Produce\",le=\"+Inf\"}"), ==, 3);
  g_assert_cmpfloat(hc_sample(m, "rill_broker_connections"), ==, 1);
  g_assert_cmpfloat(hc_sample(m, "rill_broker_connections_total"), ==, 1);
  g_assert_cmpfloat(hc_sample(m, "rill_broker_group_committed_offset{group=\"readers\",topic=\"clicks\",partition=\"0\"}"),
                    ==, 4);
  g_assert_cmpfloat(hc_sample(m, "rill_broker_group_lag{group=\"readers\",topic=\"clicks\",partition=\"0\"}"), ==, 8);
  g_assert_cmpfloat(hc_sample(m, "rill_broker_group_state{group=\"readers\",state=\"Empty\"}"), ==, 1);
  g_assert_cmpfloat(hc_sample(m, "rill_broker_group_state{group=\"readers\",state=\"Stable\"}"), ==, 0);
  g_assert_cmpfloat(hc_sample(m, "rill_broker_events_total{event=\"malformed_request\"}"), ==, 0);

  /* A frame that does not decode: counted, and the connection closed. */
  int bad = tc_connect(rill_broker_port(f->broker));
  const uint8_t junk[] = {0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff};
  tc_send_raw(bad, junk, sizeof junk);
  g_assert_true(tc_closed(bad));
  close(bad);
  close(fd);
  g_autofree char *m2 = NULL;
  for (int i = 0; i < 500; i++) { /* the close is seen by the I/O thread a moment later */
    g_free(m2);
    m2 = hc_get(f->session, f->port, "/metrics", 200);
    if (hc_sample(m2, "rill_broker_connections") == 0)
      break;
    g_usleep(10000);
  }
  g_assert_cmpfloat(hc_sample(m2, "rill_broker_connections"), ==, 0);
  g_assert_cmpfloat(hc_sample(m2, "rill_broker_connections_total"), ==, 2);
  g_assert_cmpfloat(hc_sample(m2, "rill_broker_events_total{event=\"malformed_request\"}") +
                      hc_sample(m2, "rill_broker_events_total{event=\"bad_frame\"}"), ==, 1);

  g_autofree char *topics = hc_get(f->session, f->port, "/api/broker/topics", 200);
  g_autoptr(JsonNode) tn = json_from_string(topics, &e);
  g_assert_no_error(e);
  JsonObject *t0 = json_array_get_object_element(json_object_get_array_member(json_node_get_object(tn), "topics"), 0);
  g_assert_cmpstr(json_object_get_string_member(t0, "name"), ==, "clicks");
  JsonArray *parts = json_object_get_array_member(t0, "partitions");
  g_assert_cmpuint(json_array_get_length(parts), ==, 2);
  JsonObject *p1 = json_array_get_object_element(parts, 1);
  g_assert_cmpint(json_object_get_int_member(p1, "partition"), ==, 1);
  g_assert_cmpint(json_object_get_int_member(p1, "records_in"), ==, 3);
  g_assert_cmpint(json_object_get_int_member(p1, "high_watermark"), ==, 3);

  g_autofree char *groups = hc_get(f->session, f->port, "/api/broker/groups", 200);
  g_autoptr(JsonNode) gn = json_from_string(groups, &e);
  g_assert_no_error(e);
  JsonObject *g0 = json_array_get_object_element(json_object_get_array_member(json_node_get_object(gn), "groups"), 0);
  g_assert_cmpstr(json_object_get_string_member(g0, "group"), ==, "readers");
  g_assert_cmpstr(json_object_get_string_member(g0, "state"), ==, "Empty");
  g_assert_cmpint(json_object_get_int_member(g0, "lag"), ==, 8);

  rill_broker_stop(f->broker);
  g_autofree char *stopped = hc_get(f->session, f->port, "/readyz", 503);
  g_assert_nonnull(strstr(stopped, "\"ready\":false"));
  g_autofree char *m3 = hc_get(f->session, f->port, "/metrics", 200);
  g_assert_null(strstr(m3, "rill_broker_"));
  g_autofree char *t3 = hc_get(f->session, f->port, "/api/broker/groups", 503);
  g_assert_nonnull(strstr(t3, "not running"));
}

/* The broker goes first: the server keeps answering, without it. */
static void test_broker_freed_first(fixture *f, gconstpointer data)
{
  GError *e = NULL;
  g_assert_true(rill_broker_start(f->broker, &e));
  g_autofree char *m = hc_get(f->session, f->port, "/metrics", 200);
  g_assert_nonnull(strstr(m, "rill_broker_connections 0\n"));
  rill_broker_free(f->broker);
  f->broker = NULL;
  g_autofree char *ready = hc_get(f->session, f->port, "/readyz", 503);
  g_assert_nonnull(strstr(ready, "\"detail\":\"stopped\""));
  g_autofree char *m2 = hc_get(f->session, f->port, "/metrics", 200);
  g_assert_cmpstr(m2, ==, "");
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add("/broker-http/not-started", fixture, NULL, setup, test_not_started, teardown);
  g_test_add("/broker-http/traffic", fixture, NULL, setup, test_traffic, teardown);
  g_test_add("/broker-http/broker-freed-first", fixture, NULL, setup, test_broker_freed_first, teardown);
  return g_test_run();
}
