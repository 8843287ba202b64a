/* test-gateway.c — the gateway library against real WebSocket clients
 * (libsoup's) on 127.0.0.1 and a real log directory: tokens, publish and
 * delivery, order, resume by id exactly once, history, restart, channel
 * rules, bad input, floods and a slow consumer. */
#include <rill/gateway.h>

#include "gw-test.h"
#include "wsclient.h"

#include <glib/gstdio.h>
#include <string.h>

#define SECRET GW_TEST_SECRET
#define T 10000 /* ms to wait for a frame that must come */

typedef struct {
  char *dir;
  rill_gateway *gw;
  int port;
} fx;

static rill_gateway *start(fx *f, const char *rules, gsize max_queue, guint fps)
{
  rill_gateway_options o;
  rill_gateway_options_init(&o);
  o.port = 0;
  o.data_dir = f->dir;
  o.partitions = 4;
  o.durability = RILL_LOG_DURABILITY_SYNC; /* acks wait for fdatasync */
  o.secret = (const guint8 *)SECRET;
  o.secret_len = strlen(SECRET);
  o.rules = rules;
  /* several shards whatever the machine: consecutive clients land on
   * different ones, so every test also crosses threads */
  o.threads = 3;
  if (max_queue)
    o.max_queue_bytes = max_queue;
  if (fps)
    o.frames_per_second = fps;
  GError *e = NULL;
  f->gw = rill_gateway_new(&o, &e);
  g_assert_no_error(e);
  f->port = rill_gateway_port(f->gw);
  g_assert_cmpint(f->port, >, 0);
  return f->gw;
}

static void setup(fx *f, gconstpointer data)
{
  f->dir = g_dir_make_tmp("rill-gw-XXXXXX", NULL);
  start(f, NULL, 0, 0);
}

static void teardown(fx *f, gconstpointer data)
{
  rill_gateway_free(f->gw);
  gw_test_rm_rf(f->dir);
  g_free(f->dir);
}

static wsc *login(fx *f, const char *user)
{
  char *t = gw_test_token(user, 3600);
  GError *e = NULL;
  wsc *c = wsc_connect(f->port, t, &e);
  g_assert_no_error(e);
  g_free(t);
  JsonObject *w = wsc_next_type(c, "welcome", T);
  g_assert_nonnull(w);
  g_assert_cmpstr(wsc_str(w, "user"), ==, user);
  json_object_unref(w);
  return c;
}

static void subscribe(wsc *c, const char *channel, gint64 after)
{
  if (after >= 0)
    wsc_send(c, "{\"type\":\"subscribe\",\"channel\":\"%s\",\"after\":%" G_GINT64_FORMAT "}", channel, after);
  else
    wsc_send(c, "{\"type\":\"subscribe\",\"channel\":\"%s\"}", channel);
  JsonObject *o = wsc_next_type(c, "subscribed", T);
  g_assert_nonnull(o);
  g_assert_cmpstr(wsc_str(o, "channel"), ==, channel);
  json_object_unref(o);
}

/* Publishes {"n": n} and returns the acknowledged id. */
static gint64 publish(wsc *c, const char *channel, int n)
{
  wsc_send(c, "{\"type\":\"publish\",\"ref\":\"r%d\",\"channel\":\"%s\",\"body\":{\"n\":%d}}", n, channel, n);
  JsonObject *o = wsc_next(c, T);
  g_assert_nonnull(o);
  g_assert_cmpstr(wsc_str(o, "type"), ==, "ack");
  char *ref = g_strdup_printf("r%d", n);
  g_assert_cmpstr(wsc_str(o, "ref"), ==, ref);
  g_free(ref);
  gint64 id = wsc_int(o, "id");
  g_assert_cmpint(id, >=, 0);
  json_object_unref(o);
  return id;
}

/* Publishes {"n": i} for i in [@from, @to) without waiting, then checks
 * the acks, in order (group commit covers many under durability sync). */
static void publish_range(wsc *c, const char *channel, int from, int to)
{
  for (int n = from; n < to; n++)
    wsc_send(c, "{\"type\":\"publish\",\"ref\":\"r%d\",\"channel\":\"%s\",\"body\":{\"n\":%d}}", n, channel, n);
  for (int n = from; n < to; n++) {
    JsonObject *o = wsc_next(c, T);
    g_assert_nonnull(o);
    g_assert_cmpstr(wsc_str(o, "type"), ==, "ack");
    json_object_unref(o);
  }
}

/* The next deliver frame: its body's n, and its id in *@id. */
static int next_n(wsc *c, const char *channel, gint64 *id)
{
  JsonObject *o = wsc_next_type(c, "deliver", T);
  g_assert_nonnull(o);
  g_assert_cmpstr(wsc_str(o, "channel"), ==, channel);
  JsonObject *body = json_object_get_object_member(o, "body");
  int n = (int)json_object_get_int_member(body, "n");
  if (id)
    *id = wsc_int(o, "id");
  json_object_unref(o);
  return n;
}

static void assert_nothing_more(wsc *c, const char *type)
{
  /* a ping's pong comes after anything queued before it */
  wsc_send(c, "{\"type\":\"ping\",\"ref\":\"end\"}");
  for (;;) {
    JsonObject *o = wsc_next(c, T);
    g_assert_nonnull(o);
    const char *t = wsc_str(o, "type");
    g_assert_cmpstr(t, !=, type);
    gboolean pong = g_strcmp0(t, "pong") == 0;
    json_object_unref(o);
    if (pong)
      return;
  }
}

/* Every rill_gateway_ family a scrape exposes is in docs/observability.md
 * with the same type, and every one there is exposed. */
static void check_metrics_doc(const char *metrics)
{
  GHashTable *exposed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  char **lines = g_strsplit(metrics, "\n", -1);
  for (char **l = lines; *l; l++) {
    char **w = g_strsplit(*l, " ", 4);
    if (g_strv_length(w) == 4 && strcmp(w[1], "TYPE") == 0 && g_str_has_prefix(w[2], "rill_gateway_"))
      g_hash_table_insert(exposed, g_strdup(w[2]), g_strdup(w[3]));
    g_strfreev(w);
  }
  g_strfreev(lines);
  char *doc;
  g_assert_true(g_file_get_contents(RILL_SOURCE_DIR "/docs/observability.md", &doc, NULL, NULL));
  GRegex *row = g_regex_new("^\\| `(rill_gateway_[a-z_]+)` \\| (counter|gauge|histogram) \\|", G_REGEX_MULTILINE, 0,
                            NULL);
  GMatchInfo *m = NULL;
  guint n = 0;
  for (g_regex_match(row, doc, 0, &m); g_match_info_matches(m); g_match_info_next(m, NULL), n++) {
    char *name = g_match_info_fetch(m, 1), *type = g_match_info_fetch(m, 2);
    if (g_strcmp0(g_hash_table_lookup(exposed, name), type) != 0)
      g_error("docs/observability.md lists %s as a %s; the scrape says %s", name, type,
              (char *)g_hash_table_lookup(exposed, name));
    g_free(name);
    g_free(type);
  }
  if (n != g_hash_table_size(exposed))
    g_error("%u rill_gateway_ families exposed, %u documented", g_hash_table_size(exposed), n);
  g_match_info_free(m);
  g_regex_unref(row);
  g_free(doc);
  g_hash_table_unref(exposed);
}

/* ---- tokens --------------------------------------------------------------- */

static void test_tokens(void)
{
  const guint8 *s = (const guint8 *)"k";
  GError *e = NULL;
  char *t = rill_gateway_token_mint(s, 1, "alice", 2000, &e);
  g_assert_no_error(e);
  char *u = rill_gateway_token_verify(s, 1, t, 1999, &e);
  g_assert_no_error(e);
  g_assert_cmpstr(u, ==, "alice");
  g_free(u);
  g_assert_null(rill_gateway_token_verify(s, 1, t, 2000, &e));
  g_assert_error(e, RILL_GATEWAY_ERROR, RILL_GATEWAY_ERROR_EXPIRED);
  g_clear_error(&e);
  g_assert_null(rill_gateway_token_verify((const guint8 *)"K", 1, t, 1, &e)); /* other secret */
  g_assert_error(e, RILL_GATEWAY_ERROR, RILL_GATEWAY_ERROR_TOKEN);
  g_clear_error(&e);
  /* every one-character change and every prefix is refused */
  for (gsize i = 0; t[i]; i++) {
    char *x = g_strdup(t);
    x[i] = x[i] == '0' ? '1' : '0';
    g_assert_null(rill_gateway_token_verify(s, 1, x, 1, NULL));
    x[i] = 0;
    g_assert_null(rill_gateway_token_verify(s, 1, x, 1, NULL));
    g_free(x);
  }
  g_assert_null(rill_gateway_token_mint(s, 1, "bad user", 2000, &e));
  g_assert_error(e, RILL_GATEWAY_ERROR, RILL_GATEWAY_ERROR_CONFIG);
  g_clear_error(&e);
  g_free(t);
}

static void test_auth(fx *f, gconstpointer data)
{
  GError *e = NULL;
  wsc *c = wsc_connect(f->port, NULL, &e);
  g_assert_no_error(e);
  g_assert_cmpint(wsc_wait_closed(c, T), ==, RILL_GATEWAY_CLOSE_UNAUTHENTICATED);
  wsc_free(c);
  char *t = gw_test_token("alice", -5);
  c = wsc_connect(f->port, t, &e);
  g_assert_no_error(e);
  g_assert_cmpint(wsc_wait_closed(c, T), ==, RILL_GATEWAY_CLOSE_EXPIRED);
  wsc_free(c);
  t[strlen(t) - 1] ^= 1; /* forged */
  c = wsc_connect(f->port, t, &e);
  g_assert_no_error(e);
  g_assert_cmpint(wsc_wait_closed(c, T), ==, RILL_GATEWAY_CLOSE_UNAUTHENTICATED);
  wsc_free(c);
  g_free(t);
}

/* ---- publish, deliver, order ------------------------------------------------ */

static void test_publish_deliver(fx *f, gconstpointer data)
{
  wsc *alice = login(f, "alice"), *bob = login(f, "bob");
  subscribe(alice, "room", -1);
  gint64 id = publish(bob, "room", 1);
  rill_gateway_stats st;
  rill_gateway_stats_get(f->gw, &st);
  g_assert_cmpuint(st.published, ==, 1);
  JsonObject *o = wsc_next_type(alice, "deliver", T);
  g_assert_nonnull(o);
  g_assert_cmpint(wsc_int(o, "id"), ==, id);
  g_assert_cmpstr(wsc_str(o, "from"), ==, "bob");
  g_assert_cmpstr(wsc_str(o, "topic"), ==, "gateway");
  g_assert_cmpint(wsc_int(o, "partition"), >=, 0);
  g_assert_cmpint(json_object_get_int_member(json_object_get_object_member(o, "body"), "n"), ==, 1);
  json_object_unref(o);
  /* bob did not subscribe: he gets no deliver */
  assert_nothing_more(bob, "deliver");
  /* 100 messages arrive in order, each once */
  publish_range(bob, "room", 2, 102);
  gint64 last = id;
  for (int i = 2; i < 102; i++) {
    gint64 got_id;
    g_assert_cmpint(next_n(alice, "room", &got_id), ==, i);
    g_assert_cmpint(got_id, >, last);
    last = got_id;
  }
  assert_nothing_more(alice, "deliver");
  /* unsubscribe stops delivery */
  wsc_send(alice, "{\"type\":\"unsubscribe\",\"channel\":\"room\"}");
  publish(bob, "room", 200);
  assert_nothing_more(alice, "deliver");
  /* the metrics say the same, on the gateway's HTTP server */
  guint status;
  char *metrics = wsc_http_get(f->port, "/metrics", &status);
  g_assert_cmpuint(status, ==, 200);
  g_assert_nonnull(strstr(metrics, "rill_gateway_published_total{topic=\"gateway\"} 102\n"));
  g_assert_nonnull(strstr(metrics, "rill_gateway_delivered_total{topic=\"gateway\"} 101\n"));
  g_assert_nonnull(strstr(metrics, "rill_gateway_connections{topic=\"gateway\"} 2\n"));
  g_assert_nonnull(strstr(metrics, "rill_gateway_delivery_latency_seconds_count{topic=\"gateway\"} 101\n"));
  check_metrics_doc(metrics);
  g_free(metrics);
  wsc_free(alice);
  wsc_free(bob);
  /* the log holds every acknowledged publish, in a topic the gateway
   * created with the durability asked for */
  rill_gateway_free(f->gw); /* it holds the directory's lock */
  GError *e = NULL;
  rill_log *log = rill_log_open(f->dir, NULL, &e);
  g_assert_no_error(e);
  GHashTable *conf;
  int32_t n;
  g_assert_true(rill_log_topic_describe(log, "gateway", &n, &conf, &e));
  g_assert_cmpint(n, ==, 4);
  g_assert_cmpstr(g_hash_table_lookup(conf, "rill.durability"), ==, "sync");
  g_hash_table_unref(conf);
  gint64 total = 0;
  for (int32_t p = 0; p < n; p++) {
    rill_log_partition_info info;
    g_assert_true(rill_log_partition_info_get(log, "gateway", p, &info, &e));
    total += info.high_watermark;
  }
  g_assert_cmpint(total, ==, 102);
  rill_log_close(log);
  start(f, NULL, 0, 0); /* for the teardown */
}

/* ---- sessions on several shards ---------------------------------------------- */

/* Seven clients spread over the three shards subscribe to one channel;
 * publishers on different shards interleave; every client sees every
 * message once and all see the same order (the log's), and a client that
 * resumes (on whichever shard it lands) gets the rest exactly once. */
static void test_shards(fx *f, gconstpointer data)
{
  enum { N = 7, M = 60 };
  wsc *c[N];
  for (int i = 0; i < N; i++) {
    char user[8];
    g_snprintf(user, sizeof user, "u%d", i);
    c[i] = login(f, user);
    subscribe(c[i], "room", -1);
  }
  rill_gateway_stats st;
  rill_gateway_stats_get(f->gw, &st);
  g_assert_cmpuint(st.connections, ==, N);
  g_assert_cmpuint(st.subscriptions, ==, N);
  /* three publishers, pipelined, so their publishes interleave in the log */
  for (int k = 0; k < 3; k++)
    for (int n = k; n < M; n += 3)
      wsc_send(c[k], "{\"type\":\"publish\",\"ref\":\"r%d\",\"channel\":\"room\",\"body\":{\"n\":%d}}", n, n);
  int order[M];
  gint64 ids[M];
  for (int i = 0; i < N; i++) {
    gboolean seen[M] = {FALSE};
    for (int j = 0; j < M; j++) {
      gint64 id;
      int n = next_n(c[i], "room", &id);
      g_assert_cmpint(n, >=, 0);
      g_assert_cmpint(n, <, M);
      g_assert_false(seen[n]);
      seen[n] = TRUE;
      if (i == 0) {
        order[j] = n;
        ids[j] = id;
        g_assert_true(j == 0 || id > ids[j - 1]);
      } else {
        g_assert_cmpint(n, ==, order[j]);
        g_assert_cmpint(id, ==, ids[j]);
      }
    }
  }
  for (int i = 0; i < N; i++)
    assert_nothing_more(c[i], "deliver");
  /* the last client leaves having seen half, comes back and resumes */
  wsc_free(c[N - 1]);
  c[N - 1] = login(f, "u6");
  subscribe(c[N - 1], "room", ids[M / 2 - 1]);
  for (int j = M / 2; j < M; j++) {
    gint64 id;
    g_assert_cmpint(next_n(c[N - 1], "room", &id), ==, order[j]);
    g_assert_cmpint(id, ==, ids[j]);
  }
  assert_nothing_more(c[N - 1], "deliver");
  for (int i = 0; i < N; i++)
    wsc_free(c[i]);
}

/* ---- resume by id, history, restart ---------------------------------------- */

static void test_resume(fx *f, gconstpointer data)
{
  wsc *alice = login(f, "alice"), *bob = login(f, "bob");
  subscribe(alice, "chat", -1);
  subscribe(alice, "other", -1);
  for (int i = 0; i < 5; i++)
    publish(bob, "chat", i);
  gint64 seen = -1;
  for (int i = 0; i < 3; i++) /* alice reads three, then goes away */
    g_assert_cmpint(next_n(alice, "chat", &seen), ==, i);
  wsc_free(alice);
  publish_range(bob, "chat", 5, 40);
  publish_range(bob, "other", 5, 40); /* same topic, maybe the same partition: filtered out */
  alice = login(f, "alice");
  subscribe(alice, "chat", seen);
  for (int i = 3; i < 40; i++)
    g_assert_cmpint(next_n(alice, "chat", NULL), ==, i);
  publish(bob, "chat", 40); /* live after the catch-up */
  g_assert_cmpint(next_n(alice, "chat", NULL), ==, 40);
  assert_nothing_more(alice, "deliver");

  /* history: since an id, with a limit */
  wsc_send(alice, "{\"type\":\"history\",\"ref\":\"h\",\"channel\":\"chat\",\"since\":%" G_GINT64_FORMAT
                  ",\"limit\":5}", seen);
  for (int i = 2; i < 7; i++)
    g_assert_cmpint(next_n(alice, "chat", NULL), ==, i);
  JsonObject *end = wsc_next_type(alice, "history_end", T);
  g_assert_nonnull(end);
  g_assert_cmpstr(wsc_str(end, "ref"), ==, "h");
  json_object_unref(end);
  /* history since a time: everything (all were published after t=0) */
  wsc_send(alice, "{\"type\":\"history\",\"channel\":\"chat\",\"since_time\":0,\"limit\":1000}");
  for (int i = 0; i < 41; i++)
    g_assert_cmpint(next_n(alice, "chat", NULL), ==, i);
  end = wsc_next_type(alice, "history_end", T);
  g_assert_nonnull(end);
  json_object_unref(end);
  wsc_free(alice);

  /* restart: nothing is lost, resume still works */
  wsc_free(bob);
  rill_gateway_free(f->gw);
  start(f, NULL, 0, 0);
  bob = login(f, "bob");
  publish(bob, "chat", 41);
  alice = login(f, "alice");
  subscribe(alice, "chat", seen);
  for (int i = 3; i < 42; i++)
    g_assert_cmpint(next_n(alice, "chat", NULL), ==, i);
  assert_nothing_more(alice, "deliver");
  wsc_free(alice);
  wsc_free(bob);
}

/* ---- rules ------------------------------------------------------------------ */

static const char *rules = "[channel announce]\n"
                           "read=*\n"
                           "write=admin\n"
                           "[channel dm:*]\n"
                           "read=$user\n"
                           "write=$user\n";

static JsonObject *expect_error(wsc *c, const char *code)
{
  JsonObject *o = wsc_next_type(c, "error", T);
  g_assert_nonnull(o);
  g_assert_cmpstr(wsc_str(o, "code"), ==, code);
  g_assert_nonnull(wsc_str(o, "message"));
  return o;
}

static void test_rules(fx *f, gconstpointer data)
{
  rill_gateway_free(f->gw);
  start(f, rules, 0, 0);
  wsc *admin = login(f, "admin"), *bob = login(f, "bob"), *carol = login(f, "carol");
  subscribe(bob, "announce", -1);
  publish(admin, "announce", 1);
  g_assert_cmpint(next_n(bob, "announce", NULL), ==, 1);
  wsc_send(bob, "{\"type\":\"publish\",\"ref\":\"x\",\"channel\":\"announce\",\"body\":1}");
  JsonObject *o = expect_error(bob, "forbidden");
  g_assert_cmpstr(wsc_str(o, "ref"), ==, "x");
  json_object_unref(o);
  wsc_send(bob, "{\"type\":\"subscribe\",\"channel\":\"nowhere\"}");
  json_object_unref(expect_error(bob, "unknown_channel"));
  /* direct messages: only the two named users */
  subscribe(bob, "dm:admin:bob", -1);
  wsc_send(carol, "{\"type\":\"subscribe\",\"channel\":\"dm:admin:bob\"}");
  json_object_unref(expect_error(carol, "forbidden"));
  wsc_send(carol, "{\"type\":\"history\",\"channel\":\"dm:admin:bob\",\"since\":0}");
  json_object_unref(expect_error(carol, "forbidden"));
  publish(admin, "dm:admin:bob", 7);
  g_assert_cmpint(next_n(bob, "dm:admin:bob", NULL), ==, 7);
  assert_nothing_more(carol, "deliver");
  wsc_free(admin);
  wsc_free(bob);
  wsc_free(carol);
}

/* ---- bad input ---------------------------------------------------------------- */

static void test_bad_input(fx *f, gconstpointer data)
{
  wsc *c = login(f, "mallory"), *good = login(f, "alice");
  subscribe(good, "room", -1);
  static const struct {
    const char *frame, *code;
  } cases[] = {
    {"{", "bad_json"},
    {"[1,2]", "bad_frame"},
    {"{\"type\":\"dance\"}", "unknown_type"},
    {"{\"type\":\"publish\",\"channel\":\"room\"}", "bad_frame"},
    {"{\"type\":\"publish\",\"channel\":\"bad channel\",\"body\":1}", "bad_frame"},
    {"{\"type\":\"subscribe\",\"channel\":\"room\",\"after\":-3}", "bad_frame"},
    {"{\"type\":\"subscribe\",\"channel\":\"room\",\"after\":1.5}", "bad_frame"},
    {"{\"type\":\"subscribe\",\"channel\":\"room\",\"extra\":1}", "bad_frame"},
    {"{\"type\":\"history\",\"channel\":\"room\"}", "bad_frame"},
    {"{\"type\":7}", "bad_frame"},
    {"\"\\ud800\"", "bad_json"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    wsc_send_raw(c, cases[i].frame, strlen(cases[i].frame), FALSE);
    json_object_unref(expect_error(c, cases[i].code));
  }
  wsc_send_raw(c, "\x01\x02", 2, TRUE);
  json_object_unref(expect_error(c, "bad_frame"));
  wsc_send(c, "{\"type\":\"subscribe\",\"channel\":\"room\"}");
  json_object_unref(wsc_next_type(c, "subscribed", T));
  wsc_send(c, "{\"type\":\"subscribe\",\"channel\":\"room\"}");
  json_object_unref(expect_error(c, "already_subscribed"));
  wsc_send(c, "{\"type\":\"unsubscribe\",\"channel\":\"nope\"}");
  json_object_unref(expect_error(c, "not_subscribed"));
  /* an oversized frame gets an error; a huge one costs the connection
   * (libsoup drops it without a close code); the gateway stays up */
  gsize big = 70000, huger = 300000;
  char *huge = g_malloc(huger);
  memset(huge, ' ', huger);
  wsc_send_raw(c, huge, big, FALSE);
  json_object_unref(expect_error(c, "too_large"));
  wsc_send_raw(c, huge, huger, FALSE);
  g_free(huge);
  g_assert_cmpint(wsc_wait_closed(c, T), ==, 0);
  wsc_free(c);
  /* nothing was accepted from mallory; alice still works */
  wsc *bob = login(f, "bob");
  publish(bob, "room", 5);
  g_assert_cmpint(next_n(good, "room", NULL), ==, 5);
  assert_nothing_more(good, "deliver");
  wsc_free(bob);
  wsc_free(good);
}

static void test_flood(fx *f, gconstpointer data)
{
  rill_gateway_free(f->gw);
  start(f, NULL, 0, 10); /* 10 frames/s, burst 20 */
  wsc *c = login(f, "flooder");
  for (int i = 0; i < 200; i++)
    wsc_send(c, "{\"type\":\"ping\"}");
  g_assert_cmpint(wsc_wait_closed(c, T), ==, RILL_GATEWAY_CLOSE_FLOOD);
  wsc_free(c);
  c = login(f, "flooder");
  for (int i = 0; i < 25; i++)
    wsc_send(c, "{\"type\":\"ping\"}");
  json_object_unref(expect_error(c, "rate_limited"));
  wsc_free(c);
}

/* ---- a slow consumer ------------------------------------------------------------ */

static void test_slow_consumer(fx *f, gconstpointer data)
{
  rill_gateway_free(f->gw);
  start(f, NULL, 64 << 10, 100000);
  wsc *slow = login(f, "slow"), *fast = login(f, "fast"), *pub = login(f, "pub");
  subscribe(slow, "feed", -1);
  subscribe(fast, "feed", -1);
  /* 32 KiB bodies; the slow client never reads: after the socket buffers
   * fill its queue passes 64 KiB and it is closed */
  GString *body = g_string_new("\"");
  for (int i = 0; i < 32768; i++)
    g_string_append_c(body, 'a' + i % 26);
  g_string_append_c(body, '"');
  int n = 0;
  rill_gateway_stats st = {0};
  while (n < 2000 && st.slow_disconnects == 0) { /* batches of 10: one group commit each */
    for (int k = 0; k < 10; k++)
      wsc_send(pub, "{\"type\":\"publish\",\"channel\":\"feed\",\"body\":{\"n\":%d,\"pad\":%s}}", n + k, body->str);
    /* both clients read (the publisher's frames go out as it is iterated);
     * the fast one keeps up and gets them in order */
    int got = 0, acks = 0;
    gint64 deadline = g_get_monotonic_time() + T * 1000;
    while ((got < 10 || acks < 10) && g_get_monotonic_time() < deadline) {
      JsonObject *o = wsc_next(pub, 2);
      if (o && g_strcmp0(wsc_str(o, "type"), "ack") == 0)
        acks++;
      if (o)
        json_object_unref(o);
      if ((o = wsc_next(fast, 2)) && g_strcmp0(wsc_str(o, "type"), "deliver") == 0) {
        g_assert_cmpint(json_object_get_int_member(json_object_get_object_member(o, "body"), "n"), ==, n + got);
        got++;
      }
      if (o)
        json_object_unref(o);
    }
    if (got != 10 || acks != 10) {
      rill_gateway_stats_get(f->gw, &st);
      g_error("n=%d got=%d acks=%d published=%" G_GUINT64_FORMAT " delivered=%" G_GUINT64_FORMAT " slow=%" G_GUINT64_FORMAT, n, got, acks, st.published, st.delivered, st.slow_disconnects);
    }
    n += 10;
    rill_gateway_stats_get(f->gw, &st);
  }
  g_assert_cmpuint(st.slow_disconnects, ==, 1);
  /* the slow client, reading at last, finds the reason */
  g_assert_cmpint(wsc_wait_closed(slow, T), ==, RILL_GATEWAY_CLOSE_SLOW);
  wsc_free(slow);
  /* and resumes by id: everything is in the log */
  slow = login(f, "slow");
  wsc_send(slow, "{\"type\":\"history\",\"channel\":\"feed\",\"since\":0,\"limit\":3}");
  for (int i = 0; i < 3; i++)
    g_assert_cmpint(next_n(slow, "feed", NULL), ==, i);
  g_string_free(body, TRUE);
  wsc_free(slow);
  wsc_free(fast);
  wsc_free(pub);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/gateway/tokens", test_tokens);
#define ADD(name, fn) g_test_add("/gateway/" name, fx, NULL, setup, fn, teardown)
  ADD("auth", test_auth);
  ADD("publish-deliver", test_publish_deliver);
  ADD("shards", test_shards);
  ADD("resume-history-restart", test_resume);
  ADD("rules", test_rules);
  ADD("bad-input", test_bad_input);
  ADD("flood", test_flood);
  ADD("slow-consumer", test_slow_consumer);
  return g_test_run();
}
