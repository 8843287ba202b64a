/* test-pipeline-http.c — rill_pipeline_serve_http on a real pipeline: a
 * Kafka source following a topic of an in-process broker, event-time
 * watermarks and a file sink, with checkpoints. While it runs, /api/pipeline
 * shows the graph with every record counted, the source caught up (lag 0)
 * and the sink given the watermark the data implies; /metrics says the same
 * (checked by promtool); /readyz is 503 before start, 200 while running
 * with checkpoints completing, and 503 once drained. The broker serves on
 * the same server, as in a process embedding both. The families these
 * scrapes expose (with a consumer group and a finite file source served
 * too) are exactly those docs/observability.md lists, with the same types. */
#include <json-glib/json-glib.h>

#include <rill/broker.h>
#include <rill/checkpoint.h>
#include <rill/elements.h>
#include <rill/http.h>

#include "tests/http/http-client.h"

#define N 500
#define BASE_TS G_GINT64_CONSTANT(1700000000000)

/* name -> type of every rill_broker_/rill_pipeline_ family in @text's TYPE lines. */
static void exposed_families(const char *text, GHashTable *out)
{
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  for (guint i = 0; lines[i]; i++) {
    g_auto(GStrv) w = g_strsplit(lines[i], " ", 4);
    if (g_strv_length(w) == 4 && strcmp(w[0], "#") == 0 && strcmp(w[1], "TYPE") == 0 &&
        (g_str_has_prefix(w[2], "rill_broker_") || g_str_has_prefix(w[2], "rill_pipeline_")))
      g_hash_table_insert(out, g_strdup(w[2]), g_strdup(w[3]));
  }
}

/* The same from docs/observability.md's tables: rows "| `name` | type | ...". */
static GHashTable *documented_families(void)
{
  GHashTable *doc = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  g_autofree char *text = NULL;
  GError *e = NULL;
  g_assert_true(g_file_get_contents(RILL_SOURCE_DIR "/docs/observability.md", &text, NULL, &e));
  g_autoptr(GRegex) row = g_regex_new("^\\| `(rill_(?:broker|pipeline)_[a-z_]+)` \\| (counter|gauge|histogram) \\|",
                                      G_REGEX_MULTILINE, 0, &e);
  g_assert_no_error(e);
  g_autoptr(GMatchInfo) m = NULL;
  for (g_regex_match(row, text, 0, &m); g_match_info_matches(m); g_match_info_next(m, NULL))
    g_hash_table_insert(doc, g_match_info_fetch(m, 1), g_match_info_fetch(m, 2));
  return doc;
}

static void check_doc(GHashTable *exposed)
{
  g_autoptr(GHashTable) doc = documented_families();
  g_assert_cmpuint(g_hash_table_size(doc), >, 40);
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init(&it, exposed);
  while (g_hash_table_iter_next(&it, &k, &v)) {
    const char *type = g_hash_table_lookup(doc, k);
    if (!type)
      g_error("%s is exposed but not in docs/observability.md", (char *)k);
    if (strcmp(type, v) != 0)
      g_error("%s is a %s, docs/observability.md says %s", (char *)k, (char *)v, type);
  }
  g_hash_table_iter_init(&it, doc);
  while (g_hash_table_iter_next(&it, &k, &v))
    if (!g_hash_table_contains(exposed, k))
      g_error("docs/observability.md lists %s, which no scrape exposed", (char *)k);
}

static JsonObject *stage(JsonNode *graph, const char *name)
{
  JsonArray *stages = json_object_get_array_member(json_node_get_object(graph), "stages");
  for (guint i = 0; i < json_array_get_length(stages); i++) {
    JsonObject *s = json_array_get_object_element(stages, i);
    if (g_strcmp0(json_object_get_string_member(s, "name"), name) == 0)
      return s;
  }
  g_error("no stage %s in the graph", name);
}

static void test_pipeline(void)
{
  GError *e = NULL;
  g_autofree char *dir = g_dir_make_tmp("rill-pipeline-http-XXXXXX", &e);
  g_assert_no_error(e);
  g_autofree char *logdir = g_build_filename(dir, "log", NULL);
  g_autofree char *in = g_build_filename(dir, "in.jsonl", NULL);
  g_autofree char *out = g_build_filename(dir, "out.jsonl", NULL);
  g_autofree char *ckpt = g_build_filename(dir, "ckpt", NULL);
  GString *lines = g_string_new(NULL);
  for (int i = 0; i < N; i++)
    g_string_append_printf(lines, "{\"ts\":%" G_GINT64_FORMAT ",\"v\":%d}\n", BASE_TS + i, i);
  g_assert_true(g_file_set_contents(in, lines->str, (gssize)lines->len, &e));
  g_string_free(lines, TRUE);

  rill_broker_config *c = rill_broker_config_new();
  g_assert_true(rill_broker_config_set(c, "listeners", "127.0.0.1:0", &e));
  g_assert_true(rill_broker_config_set(c, "log.dirs", logdir, &e));
  g_assert_true(rill_broker_config_set(c, "num.partitions", "1", &e));
  rill_broker *broker = rill_broker_new(c, &e);
  rill_broker_config_free(c);
  g_assert_true(rill_broker_start(broker, &e));
  g_assert_no_error(e);
  guint bport = rill_broker_port(broker);

  /* Loaded from a tar.gz: archive-src reports its progress in bytes. */
  g_autofree char *tgz = g_build_filename(dir, "in.tar.gz", NULL);
  g_autofree char *tar = g_strdup_printf("tar -czf '%s' -C '%s' in.jsonl", tgz, dir);
  g_assert_cmpint(system(tar), ==, 0);
  g_autofree char *load = g_strdup_printf(
    "archive-src path=%s name=load ! kafka-sink bootstrap.servers=127.0.0.1:%u topic=events", tgz, bport);
  rill_pipeline *loader = rill_parse_launch(load, &e);
  g_assert_no_error(e);
  /* Served too (on its own server: /api/pipeline is one per server), for
   * the families only a finite source has. */
  rill_http_server *srv2 = rill_http_server_new(NULL, &e);
  rill_pipeline_serve_http(loader, srv2);
  g_assert_true(rill_http_server_listen(srv2, "127.0.0.1:0", &e));
  g_assert_true(rill_pipeline_run(loader, &e));
  g_assert_no_error(e);
  rill_pipeline_unref(loader);

  g_autofree char *text = g_strdup_printf("kafka-src bootstrap.servers=127.0.0.1:%u topic=events follow=true name=src"
                                          " ! watermarks field=ts name=wm ! file-sink path=%s name=out",
                                          bport, out);
  rill_pipeline *p = rill_parse_launch(text, &e);
  g_assert_no_error(e);
  g_assert_true(rill_pipeline_enable_checkpoints(p, ckpt, 50, 2, &e));
  rill_http_server *srv = rill_http_server_new(NULL, &e);
  rill_broker_serve_http(broker, srv);
  rill_pipeline_serve_http(p, srv);
  g_assert_true(rill_http_server_listen(srv, "127.0.0.1:0", &e));
  g_assert_no_error(e);
  guint port = rill_http_server_get_port(srv);
  SoupSession *session = soup_session_new();

  g_autofree char *before = hc_get(session, port, "/readyz", 503);
  g_assert_nonnull(strstr(before, "\"detail\":\"pipeline rill-run is new\""));
  g_autofree char *graph0 = hc_get(session, port, "/api/pipeline", 200);
  g_assert_nonnull(strstr(graph0, "\"state\":\"new\""));

  g_assert_true(rill_pipeline_start(p, &e));
  /* Wait (bounded) until every record reached the sink and a checkpoint
   * completed; then the numbers must be exact. */
  JsonNode *graph = NULL;
  for (int i = 0; i < 3000; i++) {
    g_autofree char *body = hc_get(session, port, "/api/pipeline", 200);
    g_clear_pointer(&graph, json_node_unref);
    graph = json_from_string(body, &e);
    g_assert_no_error(e);
    JsonObject *ck = json_object_get_object_member(json_node_get_object(graph), "checkpoints");
    if (json_object_get_int_member(stage(graph, "out"), "records_in") == N &&
        json_object_get_int_member(ck, "completed") > 0 && !json_object_get_null_member(stage(graph, "src"), "source_lag"))
      break;
    g_usleep(10000);
  }
  JsonObject *root = json_node_get_object(graph);
  g_assert_cmpstr(json_object_get_string_member(root, "state"), ==, "running");
  JsonObject *src = stage(graph, "src"), *wm = stage(graph, "wm"), *sink = stage(graph, "out");
  g_assert_cmpstr(json_object_get_string_member(src, "role"), ==, "source");
  g_assert_cmpstr(json_object_get_string_member(sink, "role"), ==, "sink");
  g_assert_cmpstr(json_object_get_string_member(sink, "type"), ==, "file-sink");
  g_assert_cmpstr(json_array_get_string_element(json_object_get_array_member(wm, "inputs"), 0), ==, "wm.time");
  g_assert_cmpstr(json_array_get_string_element(json_object_get_array_member(stage(graph, "wm.time"), "inputs"), 0), ==,
                  "src");
  g_assert_cmpstr(json_array_get_string_element(json_object_get_array_member(sink, "inputs"), 0), ==, "wm");
  g_assert_cmpint(json_object_get_int_member(src, "records_out"), ==, N);
  g_assert_cmpint(json_object_get_int_member(sink, "records_in"), ==, N);
  g_assert_cmpint(json_object_get_int_member(src, "source_lag"), ==, 0);
  g_assert_true(json_object_get_null_member(src, "watermark"));
  /* W = max ts - out-of-order bound (0) - 1 */
  g_assert_cmpint(json_object_get_int_member(sink, "watermark"), ==, BASE_TS + N - 2);
  g_assert_cmpint(json_object_get_int_member(json_object_get_object_member(root, "checkpoints"), "failed"), ==, 0);
  json_node_unref(graph);

  g_autofree char *ready = hc_get(session, port, "/readyz", 200);
  g_assert_nonnull(strstr(ready, "{\"name\":\"pipeline\",\"ready\":true,\"detail\":\"pipeline rill-run is running, "));
  g_assert_nonnull(strstr(ready, "{\"name\":\"broker\",\"ready\":true,"));

  rill_log_group_offset commit = {.topic = "events", .partition = 0, .offset = N - 100, .leader_epoch = -1};
  g_assert_true(rill_log_group_commit(rill_broker_log(broker), "auditors", &commit, 1, &e));
  g_autofree char *m = hc_get(session, port, "/metrics", 200);
  hc_promtool_check(m);
  g_autofree char *m_loader = hc_get(session, rill_http_server_get_port(srv2), "/metrics", 200);
  hc_promtool_check(m_loader);
  g_assert_cmpfloat(hc_sample(m_loader, "rill_pipeline_records_out_total{pipeline=\"rill-run\",stage=\"load\"}"), ==,
                    N);
  g_autoptr(GHashTable) exposed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  exposed_families(m, exposed);
  exposed_families(m_loader, exposed);
  check_doc(exposed);
  g_assert_cmpfloat(hc_sample(m, "rill_broker_group_lag{group=\"auditors\",topic=\"events\",partition=\"0\"}"), ==,
                    100);
  g_assert_cmpfloat(hc_sample(m, "rill_pipeline_running{pipeline=\"rill-run\"}"), ==, 1);
  g_assert_cmpfloat(hc_sample(m, "rill_pipeline_records_out_total{pipeline=\"rill-run\",stage=\"src\"}"), ==, N);
  g_assert_cmpfloat(hc_sample(m, "rill_pipeline_records_in_total{pipeline=\"rill-run\",stage=\"out\"}"), ==, N);
  g_assert_cmpfloat(hc_sample(m, "rill_pipeline_source_lag_records{pipeline=\"rill-run\",stage=\"src\"}"), ==, 0);
  g_assert_cmpfloat(hc_sample(m, "rill_pipeline_watermark_seconds{pipeline=\"rill-run\",stage=\"out\"}"), ==,
                    (BASE_TS + N - 2) / 1e3);
  g_assert_cmpfloat(hc_sample(m, "rill_pipeline_watermark_lag_seconds{pipeline=\"rill-run\",stage=\"out\"}"), >, 0);
  g_assert_cmpfloat(hc_sample(m, "rill_pipeline_checkpoints_total{pipeline=\"rill-run\"}"), >=, 1);
  g_assert_cmpfloat(hc_sample(m, "rill_pipeline_checkpoint_failures_total{pipeline=\"rill-run\"}"), ==, 0);
  g_assert_cmpfloat(hc_sample(m, "rill_pipeline_checkpoint_size_bytes{pipeline=\"rill-run\"}"), >, 0);
  g_assert_cmpfloat(hc_sample(m, "rill_pipeline_checkpoint_last_success_timestamp_seconds{pipeline=\"rill-run\"}"), >,
                    1.7e9);
  /* The Kafka source's fetches are the broker's traffic on the same server. */
  g_assert_cmpfloat(hc_sample(m, "rill_broker_records_in_total{topic=\"events\",partition=\"0\"}"), ==, N);
  g_assert_cmpfloat(hc_sample(m, "rill_broker_bytes_out_total{topic=\"events\",partition=\"0\"}"), >, 0);

  rill_pipeline_stop(p, TRUE);
  g_assert_true(rill_pipeline_wait(p, &e));
  g_assert_no_error(e);
  g_autofree char *after = hc_get(session, port, "/readyz", 503);
  g_assert_nonnull(strstr(after, "\"detail\":\"pipeline rill-run is done\""));
  g_autofree char *m2 = hc_get(session, port, "/metrics", 200);
  g_assert_cmpfloat(hc_sample(m2, "rill_pipeline_running{pipeline=\"rill-run\"}"), ==, 0);
  g_assert_cmpfloat(hc_sample(m2, "rill_pipeline_records_in_total{pipeline=\"rill-run\",stage=\"out\"}"), ==, N);

  g_object_unref(session);
  rill_pipeline_unref(p); /* the server keeps its own reference */
  rill_http_server_free(srv);
  rill_http_server_free(srv2);
  rill_broker_free(broker);
  g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", dir);
  g_assert_cmpint(system(cmd), ==, 0);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/pipeline-http/kafka-watermarks-checkpoints", test_pipeline);
  return g_test_run();
}
