/* test-console.c — the web console in a real browser: headless Chromium
 * loads "/" from a server carrying a running broker (a topic, a consumer
 * group) and a running pipeline that follows the topic; after a few polls
 * the DOM holds the live numbers (records through every stage, the
 * partition's high watermark, the group's lag), the graph has a node per
 * stage coloured by its backpressure, and a screenshot is kept as a test
 * artifact (build/tests/console.png). */
#include <json-glib/json-glib.h>

#include <rill/broker.h>
#include <rill/elements.h>
#include <rill/http.h>

#include "tests/http/http-client.h"

#define N 300

/* Runs headless Chromium on @url with @mode ("--dump-dom" or
 * "--screenshot=PATH"); returns its stdout (g_free). */
static char *chromium(const char *profile, const char *mode, const char *url)
{
  const char *argv[] = {"timeout", "90", "chromium", "--headless", "--no-sandbox", "--disable-gpu",
                        "--no-first-run", "--hide-scrollbars", "--window-size=1280,1100",
                        "--virtual-time-budget=4000", NULL, mode, url, NULL};
  g_autofree char *prof = g_strdup_printf("--user-data-dir=%s", profile);
  argv[10] = prof;
  char *out = NULL;
  int status;
  GError *e = NULL;
  g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                             &out, NULL, &status, &e));
  g_assert_no_error(e);
  if (!g_spawn_check_wait_status(status, &e))
    g_error("chromium %s: %s", mode, e->message);
  return out;
}

/* The text of the first <td data-field="@field"> after @anchor in @dom. */
static char *cell_after(const char *dom, const char *anchor, const char *field)
{
  const char *row = strstr(dom, anchor);
  if (!row)
    g_error("no %s in the DOM:\n%s", anchor, dom);
  g_autofree char *needle = g_strdup_printf("data-field=\"%s\"", field);
  const char *td = strstr(row, needle);
  g_assert_nonnull(td);
  const char *start = strchr(td, '>') + 1;
  return g_strndup(start, (gsize)(strstr(start, "</td>") - start));
}

static void test_console(void)
{
  GError *e = NULL;
  g_autofree char *dir = g_dir_make_tmp("rill-console-XXXXXX", &e);
  g_autofree char *logdir = g_build_filename(dir, "log", NULL);
  g_autofree char *in = g_build_filename(dir, "in.jsonl", NULL);
  g_autofree char *out = g_build_filename(dir, "out.jsonl", NULL);
  g_autofree char *profile = g_build_filename(dir, "chromium", NULL);
  GString *lines = g_string_new(NULL);
  for (int i = 0; i < N; i++)
    g_string_append_printf(lines, "{\"ts\":%d,\"v\":%d}\n", 1000 + i, i);
  g_assert_true(g_file_set_contents(in, lines->str, (gssize)lines->len, &e));
  g_string_free(lines, TRUE);

  rill_broker_config *c = rill_broker_config_new();
  g_assert_true(rill_broker_config_set(c, "listeners", "127.0.0.1:0", &e));
  g_assert_true(rill_broker_config_set(c, "log.dirs", logdir, &e));
  g_assert_true(rill_broker_config_set(c, "num.partitions", "1", &e));
  rill_broker *broker = rill_broker_new(c, &e);
  rill_broker_config_free(c);
  g_assert_true(rill_broker_start(broker, &e));
  guint bport = rill_broker_port(broker);
  g_autofree char *load =
    g_strdup_printf("file-src path=%s ! kafka-sink bootstrap.servers=127.0.0.1:%u topic=events", in, bport);
  rill_pipeline *loader = rill_parse_launch(load, &e);
  g_assert_no_error(e);
  g_assert_true(rill_pipeline_run(loader, &e));
  rill_pipeline_unref(loader);
  rill_log_group_offset commit = {.topic = "events", .partition = 0, .offset = N - 42, .leader_epoch = -1};
  g_assert_true(rill_log_group_commit(rill_broker_log(broker), "auditors", &commit, 1, &e));

  g_autofree char *text = g_strdup_printf("kafka-src bootstrap.servers=127.0.0.1:%u topic=events follow=true name=src"
                                          " ! watermarks field=ts name=wm ! file-sink path=%s name=out",
                                          bport, out);
  rill_pipeline *p = rill_parse_launch(text, &e);
  g_assert_no_error(e);
  rill_http_server *srv = rill_http_server_new(NULL, &e);
  rill_broker_serve_http(broker, srv);
  rill_pipeline_serve_http(p, srv);
  g_assert_true(rill_http_server_listen(srv, "127.0.0.1:0", &e));
  guint port = rill_http_server_get_port(srv);
  g_assert_true(rill_pipeline_start(p, &e));
  SoupSession *session = soup_session_new();
  for (int i = 0; i < 3000; i++) { /* bounded wait for the data to get through */
    g_autofree char *g = hc_get(session, port, "/api/pipeline", 200);
    g_autoptr(JsonNode) n = json_from_string(g, &e);
    JsonArray *st = json_object_get_array_member(json_node_get_object(n), "stages");
    JsonObject *sink = json_array_get_object_element(st, json_array_get_length(st) - 1);
    if (json_object_get_int_member(sink, "records_in") == N)
      break;
    g_usleep(10000);
  }

  g_autofree char *url = g_strdup_printf("http://127.0.0.1:%u/?interval=250", port);
  g_autofree char *dom = chromium(profile, "--dump-dom", url);
  g_assert_nonnull(strstr(dom, "<span id=\"status\" class=\"status ok\">live</span>"));
  const char *polls = strstr(dom, "data-polls=\"");
  g_assert_nonnull(polls);
  g_assert_cmpint(atoi(polls + strlen("data-polls=\"")), >=, 2); /* rates need two reads */
  g_assert_nonnull(strstr(dom, "<span id=\"pipeline-state\" class=\"badge running\">running</span>"));
  g_autofree char *src_out = cell_after(dom, "<tr data-stage=\"src\">", "records_out");
  g_assert_cmpstr(src_out, ==, G_STRINGIFY(N));
  g_autofree char *sink_in = cell_after(dom, "<tr data-stage=\"out\">", "records_in");
  g_assert_cmpstr(sink_in, ==, G_STRINGIFY(N));
  g_autofree char *lag = cell_after(dom, "<tr data-stage=\"src\">", "source_lag");
  g_assert_cmpstr(lag, ==, "0");
  g_autofree char *bp = cell_after(dom, "<tr data-stage=\"out\">", "backpressure");
  g_assert_cmpstr(bp, ==, "0%"); /* an idle sink waits on nothing */
  g_autofree char *hwm = cell_after(dom, "<tr data-topic=\"events\" data-partition=\"0\">", "high_watermark");
  g_assert_cmpstr(hwm, ==, G_STRINGIFY(N));
  g_autofree char *glag = cell_after(dom, "<tr data-group=\"auditors\"", "lag");
  g_assert_cmpstr(glag, ==, "42");
  for (const char *s = "src\0wm.time\0wm\0out\0"; *s; s += strlen(s) + 1) {
    g_autofree char *node = g_strdup_printf("<g class=\"stage bp-ok\" data-stage=\"%s\">", s);
    if (!strstr(dom, node))
      g_error("no graph node %s in the DOM:\n%s", node, dom);
  }

  g_autofree char *png = g_build_filename(RILL_BINARY_DIR, "tests", "console.png", NULL);
  g_unlink(png);
  g_autofree char *shot = g_strdup_printf("--screenshot=%s", png);
  g_free(chromium(profile, shot, url));
  g_autofree char *data = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(png, &data, &len, &e));
  g_assert_cmpuint(len, >, 5000);
  g_assert_cmpmem(data, 8, "\x89PNG\r\n\x1a\n", 8);
  g_test_message("screenshot: %s", png);

  g_object_unref(session);
  rill_pipeline_stop(p, TRUE);
  g_assert_true(rill_pipeline_wait(p, &e));
  rill_pipeline_unref(p);
  rill_http_server_free(srv);
  rill_broker_free(broker);
  g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", dir);
  g_assert_cmpint(system(cmd), ==, 0);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/console/chromium", test_console);
  return g_test_run();
}
