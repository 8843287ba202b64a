/* storage-kafka.c — the gateway's storage on a Kafka cluster (storage.h):
 * rill-broker or any Kafka, through rill's own client (connectors/kafka/
 * kclient.h), with the client properties of every rill Kafka tool
 * (security.protocol, sasl.*, ssl.*: ksec.c).
 *
 * - append: one Produce (acks=all) per publish, to the partition's leader,
 *   decided when the broker answers. Nothing is retried behind the
 *   client's back (a retry could reorder it behind a later publish of the
 *   same channel): a failure is the client's "storage" error, and it may
 *   publish again.
 * - waiting: a poller thread keeps one long-poll Fetch in flight per
 *   leader, on a client of its own (a broker answers one request of a
 *   connection at a time, so a Produce behind a long poll would wait for
 *   it), for every partition at its known high watermark, so it returns
 *   as soon as any partition grows; it then fires the waiters below the
 *   new high watermark. What that Fetch read is kept (one chunk per
 *   partition, until the next) and handed to every read at the same
 *   offset (each shard's pump makes one), so in the steady state every
 *   record crosses the network once.
 * - read, offsets, offset_for_time: synchronous Fetch (no wait) and
 *   ListOffsets on the calling shard's thread, one round trip each.
 *
 * No consumer group: each gateway reads every partition itself and
 * delivers to its own connections, so any number of gateways may serve the
 * topic (docs/gateway.md, "Scaling out").
 *
 * Invariants: under `lock`, parts[p].hwm only grows and every waiter of p
 * has offset >= parts[p].hwm (a waiter below it fires at once); a waiter
 * leaves `waiters` before it fires, so wait_cancel finds it only while it
 * has not. A partition has at most one poll in flight (`polling`).
 */
#include "connectors/gateway/storage.h"
#include "connectors/kafka/admin.h"
#include "connectors/kafka/kclient.h"

#include <rill/kafka-error.h>
#include <string.h>

typedef struct {
  guint64 id;
  int64_t offset;
  rill_log_wait_func func;
  void *user_data;
} kwaiter;

typedef struct {
  int64_t hwm;       /* the highest high watermark seen */
  GPtrArray *waiters; /* kwaiter* (owned) */
  gboolean polling;
  GBytes *chunk;      /* whole batches the poller read from chunk_from */
  int64_t chunk_from, chunk_hwm;
} kpart;

typedef struct {
  rill__gw_storage base;
  rill_kafka_conf *conf;
  rill__kclient *client; /* appends, reads, offsets: the gateway thread */
  rill__kclient *poll_client; /* the long polls, on connections of their own */
  GMutex lock;
  GCond cond;
  kpart *parts;
  guint64 next_id;
  GThread *poller;
  gboolean stop;
  gboolean need_metadata; /* of poll_client, refreshed by the poller */
  gint stale;             /* client's map may be wrong: refreshed before its next use */
  gint64 retry_at; /* monotonic us: no poll before (after a failure) */
} kstorage;

/* ---- helpers ---------------------------------------------------------------- */

/* The prefix of @rec made of whole batches (a Fetch may end in a partial one). */
static gsize whole_batches(const uint8_t *rec, gsize len)
{
  gsize off = 0;
  while (off + 61 <= len) {
    uint32_t blen = (uint32_t)rec[off + 8] << 24 | (uint32_t)rec[off + 9] << 16 | (uint32_t)rec[off + 10] << 8 |
                    rec[off + 11];
    if (blen < 49 || off + 12 + blen > len)
      break;
    off += 12 + blen;
  }
  return off;
}

static int32_t leader_of(kstorage *k, int32_t p, GError **error)
{
  const char *topics[] = {k->base.topic, NULL};
  if (g_atomic_int_exchange(&k->stale, 0))
    rill__kclient_refresh_metadata(k->client, topics, NULL); /* on failure, the call below reports */
  int32_t leader = rill__kclient_leader(k->client, k->base.topic, p);
  if (leader >= 0)
    return leader;
  if (!rill__kclient_refresh_metadata(k->client, topics, error))
    return -1;
  if ((leader = rill__kclient_leader(k->client, k->base.topic, p)) < 0) {
    g_autofree char *what = g_strdup_printf("%s [%d]", k->base.topic, p);
    rill__kclient_set_error(error, RILL_KAFKA_ERR_LEADER_NOT_AVAILABLE, what, NULL);
  }
  return leader;
}

/* After an error that may mean a moved leader: both cluster maps are
 * refreshed (from any thread). */
static void want_metadata(kstorage *k)
{
  g_atomic_int_set(&k->stale, 1);
  g_mutex_lock(&k->lock);
  k->need_metadata = TRUE;
  g_cond_signal(&k->cond);
  g_mutex_unlock(&k->lock);
}

/* Moves the waiters of @kp below its high watermark to @fire, which the
 * caller fires after unlocking. Called with the lock held. */
static void take_ready(kpart *kp, GPtrArray *fire)
{
  for (guint i = 0; i < kp->waiters->len;) {
    kwaiter *w = kp->waiters->pdata[i];
    if (w->offset < kp->hwm) {
      g_ptr_array_remove_index_fast(kp->waiters, i);
      g_ptr_array_add(fire, w);
    } else {
      i++;
    }
  }
}

static void fire_all(GPtrArray *fire, int64_t *hwms, rill_log_wake reason)
{
  for (guint i = 0; i < fire->len; i++) {
    kwaiter *w = fire->pdata[i];
    w->func(reason, hwms ? hwms[i] : -1, w->user_data);
    g_free(w);
  }
}

/* ---- the poller ------------------------------------------------------------- */

typedef struct {
  kstorage *k;
  rill__wire_fetch_request req;
  rill__wire_fetch_request_topic topic;
  rill__wire_fetch_request_partition *ps;
} poll_call;

static void on_polled(rill__kreq *r, void *data)
{
  poll_call *c = data;
  kstorage *k = c->k;
  g_autoptr(GPtrArray) fire = g_ptr_array_new();
  g_autoptr(GArray) hwms = g_array_new(FALSE, FALSE, sizeof(int64_t));
  g_mutex_lock(&k->lock);
  for (int32_t i = 0; i < c->topic.n_partitions; i++)
    k->parts[c->ps[i].partition].polling = FALSE;
  gboolean failed = r->error != 0;
  const rill__wire_fetch_response *fr = &r->resp.fetch;
  for (int32_t t = 0; !failed && t < fr->n_responses; t++)
    for (int32_t i = 0; i < fr->responses[t].n_partitions; i++) {
      const rill__wire_fetch_response_partition_data *pd = &fr->responses[t].partitions[i];
      if (pd->partition_index < 0 || pd->partition_index >= k->base.n_parts)
        continue;
      kpart *kp = &k->parts[pd->partition_index];
      if (pd->error_code) {
        /* a moved leader (or a retention race) is found again by metadata */
        g_debug("gateway: polling %s [%d]: %s", k->base.topic, pd->partition_index,
                rill_kafka_error_name(pd->error_code));
        failed = TRUE;
        continue;
      }
      int64_t from = -1;
      for (int32_t j = 0; j < c->topic.n_partitions; j++)
        if (c->ps[j].partition == pd->partition_index)
          from = c->ps[j].fetch_offset;
      gsize whole = pd->records.ptr ? whole_batches(pd->records.ptr, (gsize)pd->records.len) : 0;
      if (whole && from >= 0 && pd->high_watermark > from) {
        g_clear_pointer(&kp->chunk, g_bytes_unref);
        kp->chunk = g_bytes_new(pd->records.ptr, whole);
        kp->chunk_from = from;
        kp->chunk_hwm = pd->high_watermark;
      }
      if (pd->high_watermark > kp->hwm) {
        kp->hwm = pd->high_watermark;
        guint before = fire->len;
        take_ready(kp, fire);
        for (guint j = before; j < fire->len; j++)
          g_array_append_val(hwms, kp->hwm);
      }
    }
  if (failed) {
    k->need_metadata = TRUE;
    k->retry_at = g_get_monotonic_time() + (gint64)k->conf->retry_backoff_ms * 1000;
  }
  g_cond_signal(&k->cond);
  g_mutex_unlock(&k->lock);
  fire_all(fire, (int64_t *)(void *)hwms->data, RILL_LOG_WAKE_DATA);
  rill__kreq_free(r);
  g_free(c->ps);
  g_free(c);
}

/* Sends a long-poll Fetch to each leader for its partitions not being
 * polled, at their high watermarks. Called with the lock held. */
static void send_polls(kstorage *k)
{
  int32_t n = k->base.n_parts;
  g_autofree int32_t *leaders = g_new(int32_t, n);
  for (int32_t p = 0; p < n; p++) {
    leaders[p] = k->parts[p].polling ? -1 : rill__kclient_leader(k->poll_client, k->base.topic, p);
    if (!k->parts[p].polling && leaders[p] < 0)
      k->need_metadata = TRUE;
  }
  for (int32_t first = 0; first < n; first++) {
    int32_t leader = leaders[first];
    if (leader < 0)
      continue;
    poll_call *c = g_new0(poll_call, 1);
    c->k = k;
    c->ps = g_new0(rill__wire_fetch_request_partition, n);
    for (int32_t p = first; p < n; p++) {
      if (leaders[p] != leader)
        continue;
      leaders[p] = -1;
      k->parts[p].polling = TRUE;
      rill__wire_fetch_request_partition *fp = &c->ps[c->topic.n_partitions++];
      fp->partition = p;
      fp->fetch_offset = k->parts[p].hwm;
      fp->current_leader_epoch = -1;
      fp->last_fetched_epoch = -1;
      fp->log_start_offset = -1;
      fp->partition_max_bytes = k->conf->max_partition_fetch_bytes;
    }
    c->topic.topic = rill__wire_str_from(k->base.topic);
    c->topic.partitions = c->ps;
    rill__wire_fetch_request_init(&c->req);
    c->req.replica_id = -1;
    c->req.max_wait_ms = k->conf->fetch_wait_max_ms;
    c->req.min_bytes = 1;
    c->req.max_bytes = k->conf->fetch_max_bytes;
    c->req.topics = &c->topic;
    c->req.n_topics = 1;
    rill__kreq *r = rill__kreq_new(RILL_WIRE_API_FETCH, 11, &c->req);
    r->extra_timeout_ms = k->conf->fetch_wait_max_ms;
    rill__kclient_submit(k->poll_client, leader, r, on_polled, c);
  }
}

/* Refreshes metadata when asked, sends polls, waits for one to complete.
 * A refresh blocks for up to request.timeout.ms while the cluster is away,
 * and so may a stop (k_free joins this thread). */
static gpointer poller_thread(gpointer data)
{
  kstorage *k = data;
  const char *topics[] = {k->base.topic, NULL};
  g_mutex_lock(&k->lock);
  while (!k->stop) {
    gint64 now = g_get_monotonic_time();
    if (now < k->retry_at) {
      g_cond_wait_until(&k->cond, &k->lock, k->retry_at);
      continue;
    }
    if (k->need_metadata) {
      k->need_metadata = FALSE;
      g_mutex_unlock(&k->lock);
      GError *e = NULL;
      if (!rill__kclient_refresh_metadata(k->poll_client, topics, &e)) {
        g_debug("gateway: metadata of %s: %s", k->base.topic, e->message);
        g_error_free(e);
      }
      g_mutex_lock(&k->lock);
    }
    send_polls(k);
    if (k->need_metadata) /* a leader is unknown: look again after a pause */
      k->retry_at = g_get_monotonic_time() + (gint64)k->conf->retry_backoff_ms * 1000;
    else
      g_cond_wait(&k->cond, &k->lock); /* until a poll completes, or stop */
  }
  g_mutex_unlock(&k->lock);
  return NULL;
}

/* ---- operations ------------------------------------------------------------- */

static gboolean list_offsets(kstorage *k, int32_t p, int64_t ts, int64_t *out, GError **error)
{
  g_autofree int64_t *all = g_new(int64_t, k->base.n_parts);
  if (!rill__kadmin_list_offsets(k->client, k->base.topic, k->base.n_parts, ts, all, error)) {
    want_metadata(k); /* for the next call */
    return FALSE;
  }
  *out = all[p];
  return TRUE;
}

static gboolean k_offsets(rill__gw_storage *st, int32_t p, int64_t *start, int64_t *hwm, GError **error)
{
  kstorage *k = (kstorage *)st;
  return list_offsets(k, p, RILL_LOG_TIMESTAMP_EARLIEST, start, error) &&
         list_offsets(k, p, RILL_LOG_TIMESTAMP_LATEST, hwm, error);
}

static gboolean k_offset_for_time(rill__gw_storage *st, int32_t p, int64_t ts_ms, int64_t *offset, GError **error)
{
  return list_offsets((kstorage *)st, p, ts_ms, offset, error);
}

static GBytes *k_read(rill__gw_storage *st, int32_t p, int64_t from, size_t max_bytes, int64_t *hwm, GError **error)
{
  kstorage *k = (kstorage *)st;
  kpart *kp = &k->parts[p];
  g_mutex_lock(&k->lock);
  if (kp->chunk && kp->chunk_from == from) { /* what the poller just read */
    GBytes *b = g_bytes_ref(kp->chunk);
    *hwm = MAX(kp->chunk_hwm, kp->hwm);
    g_mutex_unlock(&k->lock);
    return b;
  }
  g_mutex_unlock(&k->lock);
  int32_t leader = leader_of(k, p, error);
  if (leader < 0)
    return NULL;
  rill__wire_fetch_request req;
  rill__wire_fetch_request_topic t = {0};
  rill__wire_fetch_request_partition fp = {0};
  fp.partition = p;
  fp.fetch_offset = from;
  fp.current_leader_epoch = -1;
  fp.last_fetched_epoch = -1;
  fp.log_start_offset = -1;
  fp.partition_max_bytes = (int32_t)MIN(max_bytes, (size_t)G_MAXINT32);
  t.topic = rill__wire_str_from(st->topic);
  t.partitions = &fp;
  t.n_partitions = 1;
  rill__wire_fetch_request_init(&req);
  req.replica_id = -1;
  req.max_wait_ms = 0;
  req.min_bytes = 0;
  req.max_bytes = fp.partition_max_bytes;
  req.topics = &t;
  req.n_topics = 1;
  rill__kreq *r = rill__kclient_call(k->client, leader, RILL_WIRE_API_FETCH, 11, &req, error);
  if (!r)
    return NULL;
  GBytes *out = NULL;
  const rill__wire_fetch_response *fr = &r->resp.fetch;
  const rill__wire_fetch_response_partition_data *pd =
    fr->n_responses == 1 && fr->responses[0].n_partitions == 1 ? &fr->responses[0].partitions[0] : NULL;
  g_autofree char *what = g_strdup_printf("Fetch %s [%d] at %" G_GINT64_FORMAT, st->topic, p, from);
  if (!pd) {
    rill__kclient_set_error(error, r->error ? r->error : fr->error_code ? fr->error_code : -1, what,
                            "no answer for the partition");
  } else if (pd->error_code) {
    if (pd->error_code == RILL_KAFKA_ERR_OFFSET_OUT_OF_RANGE)
      g_set_error(error, RILL_LOG_ERROR, RILL_LOG_ERROR_OFFSET_OUT_OF_RANGE, "%s: offset out of range", what);
    else
      rill__kclient_set_error(error, pd->error_code, what, NULL);
    if (rill__kerror_retriable(pd->error_code))
      want_metadata(k);
  } else {
    *hwm = pd->high_watermark;
    gsize whole = pd->records.ptr ? whole_batches(pd->records.ptr, (gsize)pd->records.len) : 0;
    out = g_bytes_new(pd->records.ptr, whole);
  }
  rill__kreq_free(r);
  return out;
}

static guint64 k_wait_add(rill__gw_storage *st, int32_t p, int64_t offset, rill_log_wait_func func, void *user_data,
                          GError **error)
{
  kstorage *k = (kstorage *)st;
  kpart *kp = &k->parts[p];
  g_mutex_lock(&k->lock);
  if (kp->hwm > offset) {
    int64_t hwm = kp->hwm;
    g_mutex_unlock(&k->lock);
    func(RILL_LOG_WAKE_DATA, hwm, user_data);
    return 0;
  }
  kwaiter *w = g_new(kwaiter, 1);
  w->id = ++k->next_id;
  w->offset = offset;
  w->func = func;
  w->user_data = user_data;
  g_ptr_array_add(kp->waiters, w);
  g_mutex_unlock(&k->lock);
  return w->id;
}

static gboolean k_wait_cancel(rill__gw_storage *st, int32_t p, guint64 id)
{
  kstorage *k = (kstorage *)st;
  kpart *kp = &k->parts[p];
  gboolean found = FALSE;
  g_mutex_lock(&k->lock);
  for (guint i = 0; i < kp->waiters->len && !found; i++) {
    kwaiter *w = kp->waiters->pdata[i];
    if (w->id == id) {
      g_ptr_array_remove_index_fast(kp->waiters, i);
      g_free(w);
      found = TRUE;
    }
  }
  g_mutex_unlock(&k->lock);
  return found;
}

typedef struct {
  kstorage *k;
  rill__wire_produce_request req;
  rill__wire_produce_request_topic_produce_data topic;
  rill__wire_produce_request_partition_produce_data part;
  uint8_t *batch;
  char *topic_name;
  rill__gw_appended_func func;
  void *user_data;
} produce_call;

static void on_produced(rill__kreq *r, void *data)
{
  produce_call *c = data;
  int16_t err = r->error;
  const char *detail = r->error_message;
  int64_t offset = -1;
  if (!err) {
    const rill__wire_produce_response *pr = &r->resp.produce;
    err = -1;
    detail = "no answer for the partition";
    if (pr->n_responses == 1 && pr->responses[0].n_partitions == 1) {
      err = pr->responses[0].partitions[0].error_code;
      offset = pr->responses[0].partitions[0].base_offset;
      detail = NULL;
    }
  }
  if (err) {
    if (err > 0 && rill__kerror_retriable(err))
      want_metadata(c->k);
    GError *e = NULL;
    g_autofree char *what = g_strdup_printf("Produce %s [%d]", c->topic_name, c->part.index);
    rill__kclient_set_error(&e, err, what, detail);
    c->func(-1, e, c->user_data);
    g_error_free(e);
  } else {
    c->func(offset, NULL, c->user_data);
  }
  rill__kreq_free(r);
  g_free(c->batch);
  g_free(c->topic_name);
  g_free(c);
}

static gboolean k_append(rill__gw_storage *st, int32_t p, uint8_t *batch, size_t len, int64_t *offset,
                         gboolean *pending, rill__gw_appended_func func, void *user_data, GError **error)
{
  kstorage *k = (kstorage *)st;
  *pending = FALSE;
  int32_t leader = leader_of(k, p, error);
  if (leader < 0)
    return FALSE;
  produce_call *c = g_new0(produce_call, 1);
  c->k = k;
  c->batch = g_memdup2(batch, len);
  c->topic_name = g_strdup(st->topic);
  c->func = func;
  c->user_data = user_data;
  c->part.index = p;
  c->part.records = rill__wire_bytes_from(c->batch, len);
  c->topic.name = rill__wire_str_from(c->topic_name);
  c->topic.partitions = &c->part;
  c->topic.n_partitions = 1;
  rill__wire_produce_request_init(&c->req);
  c->req.acks = -1; /* all in-sync replicas: the gateway acknowledges nothing less */
  c->req.timeout_ms = k->conf->request_timeout_ms;
  c->req.topics = &c->topic;
  c->req.n_topics = 1;
  rill__kreq *r = rill__kreq_new(RILL_WIRE_API_PRODUCE, 7, &c->req);
  rill__kclient_submit(k->client, leader, r, on_produced, c);
  *offset = -1;
  *pending = TRUE;
  return TRUE;
}

static void k_free(rill__gw_storage *st)
{
  kstorage *k = (kstorage *)st;
  if (k->poller) {
    g_mutex_lock(&k->lock);
    k->stop = TRUE;
    g_cond_signal(&k->cond);
    g_mutex_unlock(&k->lock);
    g_thread_join(k->poller);
  }
  /* completes what is in flight: polls, and appends with an error */
  if (k->poll_client)
    rill__kclient_free(k->poll_client);
  if (k->client)
    rill__kclient_free(k->client);
  for (int32_t p = 0; k->parts && p < st->n_parts; p++) {
    g_ptr_array_unref(k->parts[p].waiters); /* the caller cancelled its own */
    g_clear_pointer(&k->parts[p].chunk, g_bytes_unref);
  }
  rill_kafka_conf_free(k->conf);
  g_mutex_clear(&k->lock);
  g_cond_clear(&k->cond);
  g_free(k->parts);
  g_free(st->topic);
  g_free(k);
}

static const rill__gw_storage_ops kafka_ops = {k_offsets, k_read,           k_wait_add, k_wait_cancel,
                                               k_append,  k_offset_for_time, k_free};

/* Creates @topic when the cluster does not have it (another gateway may
 * race us to it: then it exists) and waits until every partition has a
 * leader. */
static gboolean ensure_topic(kstorage *k, int32_t partitions, rill_log_durability durability, GError **error)
{
  const char *topics[] = {k->base.topic, NULL};
  gint64 deadline = g_get_monotonic_time() + (gint64)k->conf->request_timeout_ms * 1000;
  gboolean created = FALSE;
  for (;;) {
    if (!rill__kclient_refresh_metadata(k->client, topics, error))
      return FALSE;
    int16_t terr = 0;
    int32_t n = rill__kclient_partition_count(k->client, k->base.topic, &terr);
    if (n > 0) {
      gboolean led = TRUE;
      for (int32_t p = 0; p < n && led; p++)
        led = rill__kclient_leader(k->client, k->base.topic, p) >= 0;
      if (led) {
        k->base.n_parts = n;
        return TRUE;
      }
    } else if (terr == RILL_KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION && !created) {
      static const char *const names[] = {"none", "interval", "sync"};
      g_autofree char *dur = g_strdup_printf("rill.durability=%s", names[durability]);
      /* rill.durability is rill-broker's: a Kafka cluster refuses unknown
       * configs, so it is only sent when asked for */
      const char *configs[] = {durability != RILL_LOG_DURABILITY_NONE ? dur : NULL, NULL};
      GError *e = NULL;
      if (!rill__kadmin_create_topic(k->client, k->base.topic, partitions, -1, configs, &e)) {
        if (!strstr(e->message, "TOPIC_ALREADY_EXISTS")) {
          g_propagate_error(error, e);
          return FALSE;
        }
        g_error_free(e);
      }
      created = TRUE;
      continue;
    } else if (terr && terr != RILL_KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION && !rill__kerror_retriable(terr)) {
      g_autofree char *what = g_strdup_printf("Metadata of %s", k->base.topic);
      rill__kclient_set_error(error, terr, what, NULL);
      return FALSE;
    }
    if (g_get_monotonic_time() >= deadline) {
      g_autofree char *what = g_strdup_printf("topic %s", k->base.topic);
      rill__kclient_set_error(error, terr ? terr : RILL_KAFKA_ERR_LEADER_NOT_AVAILABLE, what,
                              "no leader for every partition in time");
      return FALSE;
    }
    g_usleep((gulong)k->conf->retry_backoff_ms * 1000);
  }
}

rill__gw_storage *rill__gw_storage_kafka_new(const char *bootstrap, const char *const *props, const char *topic,
                                             int32_t partitions, rill_log_durability durability, GError **error)
{
  kstorage *k = g_new0(kstorage, 1);
  k->base.ops = &kafka_ops;
  k->base.topic = g_strdup(topic);
  g_mutex_init(&k->lock);
  g_cond_init(&k->cond);
  k->conf = rill_kafka_conf_new();
  if (!rill_kafka_conf_set(k->conf, "bootstrap.servers", bootstrap, error) ||
      !rill_kafka_conf_set(k->conf, "client.id", "rill-gateway", error))
    goto fail;
  for (guint i = 0; props && props[i]; i++) {
    g_auto(GStrv) kv = g_strsplit(props[i], "=", 2);
    if (!kv[0] || !kv[1]) {
      g_set_error(error, RILL_KAFKA_CLIENT_ERROR, RILL_KAFKA_CLIENT_ERROR_CONFIG, "%s: expected NAME=VALUE", props[i]);
      goto fail;
    }
    if (!rill_kafka_conf_set(k->conf, kv[0], kv[1], error))
      goto fail;
  }
  if (!(k->client = rill__kclient_new(k->conf, error)))
    goto fail;
  rill__kclient_set_auto_create(k->client, FALSE);
  if (!(k->poll_client = rill__kclient_new(k->conf, error)))
    goto fail;
  rill__kclient_set_auto_create(k->poll_client, FALSE);
  if (!ensure_topic(k, partitions, durability, error))
    goto fail;
  k->parts = g_new0(kpart, k->base.n_parts);
  for (int32_t p = 0; p < k->base.n_parts; p++)
    k->parts[p].waiters = g_ptr_array_new();
  int64_t *hwms = g_new(int64_t, k->base.n_parts);
  gboolean ok = rill__kadmin_list_offsets(k->client, topic, k->base.n_parts, RILL_LOG_TIMESTAMP_LATEST, hwms, error);
  for (int32_t p = 0; ok && p < k->base.n_parts; p++)
    k->parts[p].hwm = hwms[p];
  g_free(hwms);
  if (!ok)
    goto fail;
  k->need_metadata = TRUE; /* the poller's client knows nothing yet */
  k->poller = g_thread_new("rill-gw-poll", poller_thread, k);
  return &k->base;
fail:
  k_free(&k->base);
  return NULL;
}
