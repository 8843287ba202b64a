/* http.c — rill_broker_serve_http: the broker's metrics, readiness and
 * console JSON on a rill_http_server.
 *
 * The server's thread reads the broker through a small refcounted handle
 * (one per server) that the broker can cut: every read happens under the
 * handle's lock and only while the handle says the broker runs, and the
 * broker flips that (rill__broker_http_running) at the end of start and at
 * the beginning of stop, and cuts the handle (rill__broker_http_detach) when
 * freed. So a scrape never sees a half-stopped broker or a freed one,
 * whichever of broker and server goes first; a stop waits at most for one
 * scrape in progress. What a scrape reads while the broker runs is safe
 * from any thread: the log (its own locks), the group coordinator (MT
 * safe), and the stats (atomics, stats.h).
 *
 * Metric families are listed in docs/observability.md (a test compares the
 * two); the descriptions below are the source of the HELP texts.
 */
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "rill/http.h"
#include "rill/prometheus.h"
#include "runtime/broker/broker-private.h"
#include "runtime/broker/group-coordinator.h"
#include "runtime/http/json.h"
#include "runtime/log/log-private.h"

typedef struct rill__broker_http {
  gint refs;                    /* the broker's list, each route, the collector */
  GMutex lock;
  rill__broker *b;              /* under lock: NULL once detached */
  rill_broker *pub;             /* same broker, for the public accessors; under lock */
  gboolean running;             /* under lock */
  guint16 port;                 /* under lock: bound port while running */
  rill_prom_registry *registry; /* a ref: the server's */
  guint collector;              /* id in @registry */
} rill__broker_http;

static rill__broker_http *handle_ref(rill__broker_http *h)
{
  g_atomic_int_inc(&h->refs);
  return h;
}

static void handle_unref(gpointer p)
{
  rill__broker_http *h = p;
  if (!g_atomic_int_dec_and_test(&h->refs))
    return;
  rill_prom_registry_unref(h->registry);
  g_mutex_clear(&h->lock);
  g_free(h);
}

/* Locks @h and returns its broker when running, else unlocks and returns NULL. */
static rill__broker *handle_lock(rill__broker_http *h)
{
  g_mutex_lock(&h->lock);
  if (h->b && h->running)
    return h->b;
  g_mutex_unlock(&h->lock);
  return NULL;
}

void rill__broker_http_running(rill__broker *b, gboolean running)
{
  for (GSList *l = b->http; l; l = l->next) {
    rill__broker_http *h = l->data;
    g_mutex_lock(&h->lock);
    h->running = running;
    h->port = running ? rill_broker_port(h->pub) : 0;
    g_mutex_unlock(&h->lock);
  }
}

void rill__broker_http_detach(rill__broker *b)
{
  for (GSList *l = b->http; l; l = l->next) {
    rill__broker_http *h = l->data;
    g_mutex_lock(&h->lock);
    h->b = NULL;
    h->pub = NULL;
    h->running = FALSE;
    g_mutex_unlock(&h->lock);
    rill_prom_registry_remove(h->registry, h->collector);
  }
  g_slist_free_full(b->http, handle_unref);
  b->http = NULL;
}

/* ---- metrics ---------------------------------------------------------------------- */

#define D(id, kind, name, help) static const rill_prom_desc id = {name, kind, help}
D(m_requests, RILL_PROM_COUNTER, "rill_broker_requests_total", "Kafka requests answered, by API.");
D(m_request_seconds, RILL_PROM_HISTOGRAM, "rill_broker_request_duration_seconds",
  "Time from decoding a request to queueing its answer, by API.");
D(m_connections, RILL_PROM_GAUGE, "rill_broker_connections", "Client connections open now.");
D(m_connections_total, RILL_PROM_COUNTER, "rill_broker_connections_total", "Client connections accepted.");
D(m_events, RILL_PROM_COUNTER, "rill_broker_events_total",
  "Connection and error events (refused connections, bad frames, malformed or unsupported requests, failed appends), by kind.");
D(m_queued_bytes, RILL_PROM_GAUGE, "rill_broker_inflight_request_bytes",
  "Bytes of request frames read and not yet answered (bounded by queued.max.request.bytes).");
D(m_offloaded, RILL_PROM_GAUGE, "rill_broker_offloaded_requests",
  "Requests running on the worker pool or waiting for fdatasync.");
D(m_records_in, RILL_PROM_COUNTER, "rill_broker_records_in_total", "Records appended by Produce.");
D(m_bytes_in, RILL_PROM_COUNTER, "rill_broker_bytes_in_total", "Record batch bytes appended by Produce.");
D(m_bytes_out, RILL_PROM_COUNTER, "rill_broker_bytes_out_total", "Record batch bytes answered by Fetch.");
D(m_log_size, RILL_PROM_GAUGE, "rill_broker_log_size_bytes", "Bytes of a partition's segment files.");
D(m_log_segments, RILL_PROM_GAUGE, "rill_broker_log_segments", "Segment files of a partition.");
D(m_log_start, RILL_PROM_GAUGE, "rill_broker_log_start_offset", "First readable offset of a partition.");
D(m_hwm, RILL_PROM_GAUGE, "rill_broker_high_watermark", "Offset after the last readable record of a partition.");
D(m_fsync_seconds, RILL_PROM_HISTOGRAM, "rill_broker_fsync_duration_seconds", "fdatasync latency of segment files.");
D(m_scrub_passes, RILL_PROM_COUNTER, "rill_broker_scrub_passes_total", "Scrubber passes over every sealed segment.");
D(m_scrub_bytes, RILL_PROM_COUNTER, "rill_broker_scrub_bytes_total", "Bytes the scrubber read.");
D(m_scrub_batches, RILL_PROM_COUNTER, "rill_broker_scrub_batches_total", "Batches the scrubber checked.");
D(m_scrub_damaged, RILL_PROM_COUNTER, "rill_broker_scrub_damaged_batches_total", "Damaged batches the scrubber found.");
D(m_scrub_io_errors, RILL_PROM_COUNTER, "rill_broker_scrub_io_errors_total",
  "Segment files the scrubber could not read.");
D(m_group_state, RILL_PROM_GAUGE, "rill_broker_group_state",
  "1 for a consumer group's current state (Empty, PreparingRebalance, CompletingRebalance, Stable).");
D(m_group_members, RILL_PROM_GAUGE, "rill_broker_group_members", "Members of a consumer group.");
D(m_group_offset, RILL_PROM_GAUGE, "rill_broker_group_committed_offset", "A consumer group's committed offset.");
D(m_group_lag, RILL_PROM_GAUGE, "rill_broker_group_lag",
  "Records between a consumer group's committed offset and the high watermark.");
#undef D

static guint64 load(const guint64 *p)
{
  return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* Calls @func for every partition of every topic with its info (skipping
 * partitions deleted meanwhile). */
typedef void (*partition_func)(const char *topic, int32_t partition, const rill_log_partition_info *info,
                               gpointer user_data);

static void for_each_partition(rill_log *log, partition_func func, gpointer user_data)
{
  g_auto(GStrv) topics = rill_log_topic_list(log);
  for (guint i = 0; topics && topics[i]; i++) {
    int32_t n = 0;
    if (!rill_log_topic_describe(log, topics[i], &n, NULL, NULL))
      continue;
    for (int32_t p = 0; p < n; p++) {
      rill_log_partition_info info;
      if (rill_log_partition_info_get(log, topics[i], p, &info, NULL))
        func(topics[i], p, &info, user_data);
    }
  }
}

/* The traffic counters of a partition, or NULL when it had none. */
static const rill__partition_stats *traffic(GHashTable *by_key, const char *topic, int32_t partition)
{
  g_autofree char *key = g_strdup_printf("%s/%d", topic, partition);
  return g_hash_table_lookup(by_key, key);
}

/* "topic/partition" -> rill__partition_stats* (entries live as long as the
 * broker: stats.c never frees one before the broker). */
static GHashTable *traffic_table(rill__broker_stats *s)
{
  GHashTable *t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  g_mutex_lock(&s->lock);
  for (guint i = 0; i < s->list->len; i++) {
    rill__partition_stats *ps = s->list->pdata[i];
    g_hash_table_insert(t, g_strdup_printf("%s/%d", ps->topic, ps->partition), ps);
  }
  g_mutex_unlock(&s->lock);
  return t;
}

typedef struct {
  rill_prom_writer *w;
  GHashTable *traffic;
} partition_scrape;

static void collect_partition(const char *topic, int32_t partition, const rill_log_partition_info *info,
                              gpointer user_data)
{
  partition_scrape *ps = user_data;
  char p[16];
  g_snprintf(p, sizeof p, "%d", partition);
  const rill__partition_stats *t = traffic(ps->traffic, topic, partition);
  rill_prom_sample(ps->w, &m_records_in, t ? (double)load(&t->records_in) : 0, "topic", topic, "partition", p, NULL);
  rill_prom_sample(ps->w, &m_bytes_in, t ? (double)load(&t->bytes_in) : 0, "topic", topic, "partition", p, NULL);
  rill_prom_sample(ps->w, &m_bytes_out, t ? (double)load(&t->bytes_out) : 0, "topic", topic, "partition", p, NULL);
  rill_prom_sample(ps->w, &m_log_size, (double)info->size_bytes, "topic", topic, "partition", p, NULL);
  rill_prom_sample(ps->w, &m_log_segments, info->n_segments, "topic", topic, "partition", p, NULL);
  rill_prom_sample(ps->w, &m_log_start, (double)info->log_start_offset, "topic", topic, "partition", p, NULL);
  rill_prom_sample(ps->w, &m_hwm, (double)info->high_watermark, "topic", topic, "partition", p, NULL);
}

static const char *const group_states[] = {"Empty", "PreparingRebalance", "CompletingRebalance", "Stable"};

static void collect_groups(rill_prom_writer *w, rill__broker *b)
{
  GArray *groups = rill__group_list(b->groups, NULL);
  for (guint i = 0; i < groups->len; i++) {
    const rill__group_listing *g = &g_array_index(groups, rill__group_listing, i);
    rill__group_description *d = rill__group_describe(b->groups, g->group_id);
    for (guint s = 0; s < G_N_ELEMENTS(group_states); s++)
      rill_prom_sample(w, &m_group_state, g_strcmp0(d->state, group_states[s]) == 0, "group", g->group_id, "state",
                       group_states[s], NULL);
    rill_prom_sample(w, &m_group_members, d->members ? d->members->len : 0, "group", g->group_id, NULL);
    rill__group_description_free(d);
    GArray *offsets = rill__group_offset_fetch_all(b->groups, g->group_id);
    for (guint k = 0; offsets && k < offsets->len; k++) {
      const rill_log_group_offset *o = &g_array_index(offsets, rill_log_group_offset, k);
      char p[16];
      g_snprintf(p, sizeof p, "%d", o->partition);
      rill_prom_sample(w, &m_group_offset, (double)o->offset, "group", g->group_id, "topic", o->topic, "partition", p,
                       NULL);
      rill_log_partition_info info;
      if (rill_log_partition_info_get(b->log, o->topic, o->partition, &info, NULL))
        rill_prom_sample(w, &m_group_lag, (double)MAX(info.high_watermark - o->offset, 0), "group", g->group_id,
                         "topic", o->topic, "partition", p, NULL);
    }
    if (offsets)
      g_array_unref(offsets);
  }
  g_array_unref(groups);
}

static void collect(rill_prom_writer *w, gpointer user_data)
{
  rill__broker_http *h = user_data;
  rill__broker *b = handle_lock(h);
  if (!b)
    return;
  rill__broker_stats *s = b->stats;
  for (int k = 0; k <= RILL_WIRE_MAX_API_KEY; k++) {
    const rill__wire_api_info *api = rill__wire_api_lookup((int16_t)k);
    if (!api || !rill__broker_apis[k].handler)
      continue;
    guint64 n = 0;
    for (guint i = 0; i <= s->requests[k].n_bounds; i++)
      n += load(&s->requests[k].counts[i]);
    if (n == 0)
      continue; /* APIs no client used: 20 series each, all zero */
    rill_prom_sample(w, &m_requests, (double)n, "api", api->name, NULL);
    rill_prom_sample_histogram(w, &m_request_seconds, &s->requests[k], "api", api->name, NULL);
  }
  guint64 connects = load(&s->events[RILL__EV_CONNECT]), disconnects = load(&s->events[RILL__EV_DISCONNECT]);
  rill_prom_sample(w, &m_connections, (double)(connects - MIN(disconnects, connects)), NULL);
  rill_prom_sample(w, &m_connections_total, (double)connects, NULL);
  for (int k = 0; k < RILL__EV_N_LIMITED; k++)
    if (k != RILL__EV_CONNECT && k != RILL__EV_DISCONNECT)
      rill_prom_sample(w, &m_events, (double)load(&s->events[k]), "event", rill__broker_limited_event_name(k), NULL);
  rill_prom_sample(w, &m_queued_bytes, (double)load(&s->queued_request_bytes), NULL);
  rill_prom_sample(w, &m_offloaded, (double)load(&s->offloaded), NULL);

  partition_scrape ps = {.w = w, .traffic = traffic_table(s)};
  for_each_partition(b->log, collect_partition, &ps);
  g_hash_table_unref(ps.traffic);
  rill_prom_sample_histogram(w, &m_fsync_seconds, rill__log_sync_latency(b->log), NULL);
  rill_log_scrub_stats scrub;
  rill_log_scrub_stats_get(b->log, &scrub);
  rill_prom_sample(w, &m_scrub_passes, (double)scrub.passes, NULL);
  rill_prom_sample(w, &m_scrub_bytes, (double)scrub.bytes, NULL);
  rill_prom_sample(w, &m_scrub_batches, (double)scrub.batches, NULL);
  rill_prom_sample(w, &m_scrub_damaged, (double)scrub.damaged_batches, NULL);
  rill_prom_sample(w, &m_scrub_io_errors, (double)scrub.io_errors, NULL);
  collect_groups(w, b);
  g_mutex_unlock(&h->lock);
}

/* ---- readiness -------------------------------------------------------------------- */

static gboolean ready(GString *detail, gpointer user_data)
{
  rill__broker_http *h = user_data;
  g_mutex_lock(&h->lock);
  gboolean ok = h->b && h->running;
  if (ok && h->port)
    g_string_append_printf(detail, "log open, listening on port %u", h->port);
  else if (ok)
    g_string_append(detail, "log open, no listener");
  else
    g_string_append(detail, h->b ? "not started or stopping" : "stopped");
  g_mutex_unlock(&h->lock);
  return ok;
}

/* ---- console JSON ----------------------------------------------------------------- */

static void unavailable(rill_http_response *resp)
{
  resp->status = SOUP_STATUS_SERVICE_UNAVAILABLE;
  resp->content_type = "application/json";
  g_string_append(resp->body, "{\"error\":\"the broker is not running\"}\n");
}

typedef struct {
  JsonBuilder *jb;
  GHashTable *traffic;
  const char *topic; /* the topic whose partitions array is open, or NULL */
} topics_json;

static void json_partition(const char *topic, int32_t partition, const rill_log_partition_info *info,
                           gpointer user_data)
{
  topics_json *tj = user_data;
  JsonBuilder *jb = tj->jb;
  if (!tj->topic || strcmp(tj->topic, topic) != 0) {
    if (tj->topic) {
      json_builder_end_array(jb);
      json_builder_end_object(jb);
    }
    tj->topic = topic;
    json_builder_begin_object(jb);
    rill__json_member_str(jb, "name", topic);
    json_builder_set_member_name(jb, "partitions");
    json_builder_begin_array(jb);
  }
  const rill__partition_stats *t = traffic(tj->traffic, topic, partition);
  json_builder_begin_object(jb);
  rill__json_member_int(jb, "partition", partition);
  rill__json_member_int(jb, "log_start_offset", info->log_start_offset);
  rill__json_member_int(jb, "high_watermark", info->high_watermark);
  rill__json_member_int(jb, "size_bytes", info->size_bytes);
  rill__json_member_int(jb, "segments", info->n_segments);
  rill__json_member_int(jb, "records_in", t ? (int64_t)load(&t->records_in) : 0);
  rill__json_member_int(jb, "bytes_in", t ? (int64_t)load(&t->bytes_in) : 0);
  rill__json_member_int(jb, "bytes_out", t ? (int64_t)load(&t->bytes_out) : 0);
  json_builder_end_object(jb);
}

/* Answers {"@member":[...]} with @fill's array items, read from the
 * broker under the handle's lock; 503 when the broker does not run. */
static void serve_list(rill__broker_http *h, rill_http_response *resp, const char *member,
                       void (*fill)(JsonBuilder *jb, rill__broker *b))
{
  rill__broker *b = handle_lock(h);
  if (!b) {
    unavailable(resp);
    return;
  }
  g_autoptr(JsonBuilder) jb = json_builder_new();
  json_builder_begin_object(jb);
  json_builder_set_member_name(jb, member);
  json_builder_begin_array(jb);
  fill(jb, b);
  g_mutex_unlock(&h->lock);
  json_builder_end_array(jb);
  json_builder_end_object(jb);
  rill__http_reply_json(resp, jb);
}

static void fill_topics(JsonBuilder *jb, rill__broker *b)
{
  topics_json tj = {.jb = jb, .traffic = traffic_table(b->stats)};
  for_each_partition(b->log, json_partition, &tj);
  if (tj.topic) {
    json_builder_end_array(jb);
    json_builder_end_object(jb);
  }
  g_hash_table_unref(tj.traffic);
}

/* GET /api/broker/topics: {"topics":[{"name","partitions":[{...}]}]}, sorted by name. */
static void serve_topics(const rill_http_request *req, rill_http_response *resp, gpointer user_data)
{
  serve_list(user_data, resp, "topics", fill_topics);
}

static void fill_groups(JsonBuilder *jb, rill__broker *b)
{
  GArray *groups = rill__group_list(b->groups, NULL);
  for (guint i = 0; i < groups->len; i++) {
    const rill__group_listing *g = &g_array_index(groups, rill__group_listing, i);
    rill__group_description *d = rill__group_describe(b->groups, g->group_id);
    json_builder_begin_object(jb);
    rill__json_member_str(jb, "group", g->group_id);
    rill__json_member_str(jb, "state", d->state);
    rill__json_member_str(jb, "protocol_type", d->protocol_type ? d->protocol_type : "");
    rill__json_member_int(jb, "members", d->members ? d->members->len : 0);
    rill__group_description_free(d);
    json_builder_set_member_name(jb, "offsets");
    json_builder_begin_array(jb);
    int64_t total = 0;
    GArray *offsets = rill__group_offset_fetch_all(b->groups, g->group_id);
    for (guint k = 0; offsets && k < offsets->len; k++) {
      const rill_log_group_offset *o = &g_array_index(offsets, rill_log_group_offset, k);
      rill_log_partition_info info;
      gboolean known = rill_log_partition_info_get(b->log, o->topic, o->partition, &info, NULL);
      int64_t lag = known ? MAX(info.high_watermark - o->offset, 0) : 0;
      total += lag;
      json_builder_begin_object(jb);
      rill__json_member_str(jb, "topic", o->topic);
      rill__json_member_int(jb, "partition", o->partition);
      rill__json_member_int(jb, "committed", o->offset);
      rill__json_member_int(jb, "high_watermark", known ? info.high_watermark : -1);
      rill__json_member_int(jb, "lag", lag);
      json_builder_end_object(jb);
    }
    if (offsets)
      g_array_unref(offsets);
    json_builder_end_array(jb);
    rill__json_member_int(jb, "lag", total);
    json_builder_end_object(jb);
  }
  g_array_unref(groups);
}

/* GET /api/broker/groups: {"groups":[{"group","state","protocol_type",
 * "members","lag","offsets":[{"topic","partition","committed",
 * "high_watermark","lag"}]}]}, sorted by group id. */
static void serve_groups(const rill_http_request *req, rill_http_response *resp, gpointer user_data)
{
  serve_list(user_data, resp, "groups", fill_groups);
}

void rill_broker_serve_http(rill_broker *broker, rill_http_server *server)
{
  g_return_if_fail(broker != NULL && server != NULL);
  rill__broker *b = (rill__broker *)broker; /* its first member (broker.c) */
  rill__broker_http *h = g_new0(rill__broker_http, 1);
  h->refs = 1; /* the broker's list */
  g_mutex_init(&h->lock);
  h->b = b;
  h->pub = broker;
  h->running = b->state == RILL__BROKER_RUNNING;
  h->port = h->running ? rill_broker_port(broker) : 0;
  h->registry = rill_prom_registry_ref(rill_http_server_get_registry(server));
  h->collector = rill_prom_registry_add(h->registry, collect, handle_ref(h), handle_unref);
  rill_http_server_add_ready_check(server, "broker", ready, handle_ref(h), handle_unref);
  rill_http_server_add_handler(server, "/api/broker/topics", serve_topics, handle_ref(h), handle_unref);
  rill_http_server_add_handler(server, "/api/broker/groups", serve_groups, handle_ref(h), handle_unref);
  rill_http_server_add_console(server);
  b->http = g_slist_prepend(b->http, h);
}
