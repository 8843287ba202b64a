/* producer.c — accumulator and sender of the Kafka sink (see producer.h).
 *
 * Threads: writers (sink tasks) append under p->lock; the sender thread
 * closes lingering batches and sends Produce requests; completions run on the
 * client's I/O thread and also take p->lock. Lock order: p->lock, then the
 * client's lock (submit) — the I/O thread never holds its lock while calling
 * back, so there is no cycle. */
#include "connectors/kafka/producer.h"

#include <rill/kafka.h>

#include "runtime/wire/partitioner.h"
#include "runtime/wire/crc32c.h"
#include "runtime/wire/recordbatch.h"

#define RECORD_OVERHEAD 24 /* bytes counted per record beyond its payload */

typedef struct {
  GBytes *data;       /* the encoded RecordBatch */
  size_t bytes;       /* counted against the buffer bound */
  int32_t count;
  int retries;
  gint64 created;     /* monotonic us */
  gint64 retry_at;
  GPtrArray *holds;   /* rill_batch refs released on acknowledgement */
} kbatch;

typedef struct {
  rill__batch_writer *w; /* the open batch */
  size_t w_bytes;
  gint64 first_at;       /* when the open batch got its first record */
  GPtrArray *w_holds;
  GQueue ready;          /* kbatch, closed, oldest first */
  kbatch *inflight;
  int32_t next_seq;
} kpart;

struct rill__kproducer {
  rill__kclient *client;
  const rill_kafka_conf *conf; /* not owned: the client's */
  char *topic;
  int32_t n_parts;
  kpart *parts;
  GMutex lock;
  GCond space_cond;  /* writers/flushers: bytes freed, batch acknowledged, failure */
  GCond sender_cond; /* the sender: work to do */
  size_t buffered, max_buffered;
  int flushing;      /* flush() calls in progress */
  gboolean stop;
  GError *fatal;     /* first delivery failure; sticky */
  gboolean keep_failed;
  GPtrArray *failed; /* rill__kfailed, dead-letter mode */
  int64_t pid;
  int16_t epoch;
  gboolean need_metadata;
  int32_t sticky;    /* partition for null keys, -1: pick a new one */
  GRand *rand;
  GThread *sender;
};

typedef struct {
  rill__kproducer *p;
  rill__wire_produce_request req;
  rill__wire_produce_request_topic_produce_data topic;
  rill__wire_produce_request_partition_produce_data *parts;
  kbatch **batches;
  int n;
} pcall;

static void kbatch_free(kbatch *b)
{
  g_bytes_unref(b->data);
  g_ptr_array_free(b->holds, TRUE);
  g_free(b);
}

static void set_fatal(rill__kproducer *p, GError *e)
{
  if (!p->fatal)
    p->fatal = e;
  else
    g_error_free(e);
  g_cond_broadcast(&p->space_cond);
}

/* Closes @k's open batch into its ready queue. Called with p->lock held. */
static void close_batch(rill__kproducer *p, kpart *k)
{
  int32_t count = rill__batch_writer_count(k->w);
  if (!count)
    return;
  if (p->pid >= 0) {
    rill__batch_writer_set_sequence(k->w, k->next_seq);
    k->next_seq = (int32_t)(((int64_t)k->next_seq + count) & 0x7fffffff);
  }
  GError *e = NULL;
  GBytes *data = rill__batch_writer_finish(k->w, &e);
  if (!data) {
    set_fatal(p, e);
    return;
  }
  kbatch *b = g_new0(kbatch, 1);
  b->data = data;
  b->bytes = k->w_bytes;
  b->count = count;
  b->created = g_get_monotonic_time();
  b->holds = k->w_holds;
  k->w_holds = g_ptr_array_new_with_free_func((GDestroyNotify)rill_batch_unref);
  k->w_bytes = 0;
  g_queue_push_tail(&k->ready, b);
  if (p->sticky == k - p->parts)
    p->sticky = -1;
  g_cond_signal(&p->sender_cond);
}

/* A copy of RecordBatch @data with its base sequence moved back by @by
 * (the CRC covers attributes..end: recomputed). */
static GBytes *restamp(GBytes *data, int32_t by)
{
  gsize len;
  const uint8_t *d = g_bytes_get_data(data, &len);
  uint8_t *c = g_memdup2(d, len);
  int32_t seq = (int32_t)rill__be32(c + 53);
  uint32_t v = (uint32_t)(((int64_t)seq - by) & 0x7fffffff);
  c[53] = (uint8_t)(v >> 24);
  c[54] = (uint8_t)(v >> 16);
  c[55] = (uint8_t)(v >> 8);
  c[56] = (uint8_t)v;
  uint32_t crc = rill__crc32c(0, c + 21, len - 21);
  c[17] = (uint8_t)(crc >> 24);
  c[18] = (uint8_t)(crc >> 16);
  c[19] = (uint8_t)(crc >> 8);
  c[20] = (uint8_t)crc;
  return g_bytes_new_take(c, len);
}

/* Dead-letter mode: @b of partition @k was refused for good. The broker
 * never accepted its sequences, so later batches move back over them. Lock
 * held. */
static void keep_failed(rill__kproducer *p, kpart *k, kbatch *b, char *reason)
{
  if (p->pid >= 0) {
    for (GList *l = k->ready.head; l; l = l->next) {
      kbatch *q = l->data;
      GBytes *n = restamp(q->data, b->count);
      g_bytes_unref(q->data);
      q->data = n;
    }
    k->next_seq = (int32_t)(((int64_t)k->next_seq - b->count) & 0x7fffffff);
  }
  rill__kfailed *f = g_new0(rill__kfailed, 1);
  f->data = g_bytes_ref(b->data);
  f->reason = reason;
  f->holds = b->holds;
  b->holds = g_ptr_array_new();
  g_ptr_array_add(p->failed, f);
}

void rill__kfailed_free(rill__kfailed *f)
{
  if (!f)
    return;
  g_bytes_unref(f->data);
  g_free(f->reason);
  g_ptr_array_free(f->holds, TRUE);
  g_free(f);
}

/* ---- completion (I/O thread) --------------------------------------------- */

static int16_t partition_error(const rill__kreq *r, int32_t index)
{
  const rill__wire_produce_response *resp = &r->resp.produce;
  for (int32_t t = 0; t < resp->n_responses; t++)
    for (int32_t i = 0; i < resp->responses[t].n_partitions; i++)
      if (resp->responses[t].partitions[i].index == index)
        return resp->responses[t].partitions[i].error_code;
  return RILL_KAFKA_ERR_UNKNOWN_SERVER_ERROR;
}

static void on_produced(rill__kreq *r, void *data)
{
  pcall *call = data;
  rill__kproducer *p = call->p;
  gint64 now = g_get_monotonic_time();
  g_mutex_lock(&p->lock);
  for (int i = 0; i < call->n; i++) {
    int32_t index = call->parts[i].index;
    kpart *k = &p->parts[index];
    kbatch *b = call->batches[i];
    int16_t err = r->error ? r->error : r->no_response ? 0 : partition_error(r, index);
    k->inflight = NULL;
    if (err == 0 || err == RILL_KAFKA_ERR_DUPLICATE_SEQUENCE_NUMBER) {
      p->buffered -= b->bytes;
      kbatch_free(b);
    } else if (rill__kerror_retriable(err) && b->retries < p->conf->retries &&
               (!p->conf->message_timeout_ms || now - b->created < (gint64)p->conf->message_timeout_ms * 1000)) {
      b->retries++;
      b->retry_at = now + (gint64)p->conf->retry_backoff_ms * 1000;
      g_queue_push_head(&k->ready, b);
      p->need_metadata = TRUE;
      g_debug("kafka producer: %s [%d] retry %d after %s", p->topic, index, b->retries, rill_kafka_error_name(err));
    } else {
      GError *e = NULL;
      g_autofree char *what = g_strdup_printf("producing to %s [%d]", p->topic, index);
      rill__kclient_set_error(&e, err, what, r->error_message);
      if (p->keep_failed && !r->error) {
        keep_failed(p, k, b, g_strdup(e->message));
        g_error_free(e);
      } else {
        set_fatal(p, e);
      }
      p->buffered -= b->bytes;
      kbatch_free(b);
    }
  }
  g_cond_broadcast(&p->space_cond);
  g_cond_signal(&p->sender_cond);
  g_mutex_unlock(&p->lock);
  rill__kreq_free(r);
  g_free(call->parts);
  g_free(call->batches);
  g_free(call);
}

/* ---- sender thread ------------------------------------------------------- */

/* Sends every partition's next ready batch, one request per leader. Called
 * with p->lock held; returns the earliest retry time among waiting batches. */
static gint64 send_ready(rill__kproducer *p, gint64 now)
{
  gint64 next = G_MAXINT64;
  GHashTable *calls = g_hash_table_new(NULL, NULL); /* leader -> pcall */
  for (int32_t i = 0; i < p->n_parts; i++) {
    kpart *k = &p->parts[i];
    kbatch *b = g_queue_peek_head(&k->ready);
    if (k->inflight || !b)
      continue;
    if (b->retry_at > now) {
      next = MIN(next, b->retry_at);
      continue;
    }
    int32_t leader = rill__kclient_leader(p->client, p->topic, i);
    if (leader < 0) {
      p->need_metadata = TRUE;
      next = MIN(next, now + (gint64)p->conf->retry_backoff_ms * 1000);
      continue;
    }
    pcall *c = g_hash_table_lookup(calls, GINT_TO_POINTER(leader + 1));
    if (!c) {
      c = g_new0(pcall, 1);
      c->p = p;
      c->parts = g_new0(rill__wire_produce_request_partition_produce_data, p->n_parts);
      c->batches = g_new0(kbatch *, p->n_parts);
      g_hash_table_insert(calls, GINT_TO_POINTER(leader + 1), c);
    }
    g_queue_pop_head(&k->ready);
    k->inflight = b;
    gsize len;
    const void *d = g_bytes_get_data(b->data, &len);
    c->parts[c->n].index = i;
    c->parts[c->n].records = rill__wire_bytes_from(d, len);
    c->batches[c->n++] = b;
  }
  GHashTableIter it;
  gpointer key, val;
  g_hash_table_iter_init(&it, calls);
  while (g_hash_table_iter_next(&it, &key, &val)) {
    pcall *c = val;
    rill__wire_produce_request_init(&c->req);
    c->req.acks = (int16_t)p->conf->acks;
    c->req.timeout_ms = p->conf->request_timeout_ms;
    c->topic.name = rill__wire_str_from(p->topic);
    c->topic.partitions = c->parts;
    c->topic.n_partitions = c->n;
    c->req.topics = &c->topic;
    c->req.n_topics = 1;
    rill__kreq *r = rill__kreq_new(RILL_WIRE_API_PRODUCE, 7, &c->req);
    r->no_response = p->conf->acks == 0;
    rill__kclient_submit(p->client, GPOINTER_TO_INT(key) - 1, r, on_produced, c);
  }
  g_hash_table_destroy(calls);
  return next;
}

static gpointer sender_thread(gpointer data)
{
  rill__kproducer *p = data;
  g_mutex_lock(&p->lock);
  while (!p->stop) {
    if (p->need_metadata) {
      p->need_metadata = FALSE;
      g_mutex_unlock(&p->lock);
      const char *topics[] = {p->topic, NULL};
      GError *e = NULL;
      if (!rill__kclient_refresh_metadata(p->client, topics, &e)) {
        g_debug("kafka producer: metadata: %s", e->message);
        g_error_free(e);
      }
      g_mutex_lock(&p->lock);
      continue;
    }
    gint64 now = g_get_monotonic_time();
    gint64 wake = now + 100000;
    for (int32_t i = 0; i < p->n_parts; i++) {
      kpart *k = &p->parts[i];
      if (!rill__batch_writer_count(k->w))
        continue;
      gint64 due = k->first_at + (gint64)p->conf->linger_ms * 1000;
      if (p->flushing || due <= now)
        close_batch(p, k);
      else
        wake = MIN(wake, due);
    }
    wake = MIN(wake, send_ready(p, now));
    if (p->conf->message_timeout_ms)
      for (int32_t i = 0; i < p->n_parts && !p->fatal; i++) {
        kbatch *b = g_queue_peek_head(&p->parts[i].ready);
        if (b && now - b->created >= (gint64)p->conf->message_timeout_ms * 1000)
          set_fatal(p, g_error_new(RILL_KAFKA_CLIENT_ERROR, RILL_KAFKA_CLIENT_ERROR_TIMEOUT,
                                   "producing to %s [%d]: message.timeout.ms expired (no leader reachable)",
                                   p->topic, i));
      }
    if (!p->need_metadata)
      g_cond_wait_until(&p->sender_cond, &p->lock, MAX(wake, now + 200));
  }
  g_mutex_unlock(&p->lock);
  return NULL;
}

/* ---- public -------------------------------------------------------------- */

rill__kproducer *rill__kproducer_new(const rill_kafka_conf *conf, const char *topic, guint seed, GError **error)
{
  if (conf->idempotence && conf->acks != -1) {
    g_set_error(error, RILL_KAFKA_CLIENT_ERROR, RILL_KAFKA_CLIENT_ERROR_CONFIG,
                "enable.idempotence=true requires acks=all");
    return NULL;
  }
  rill__kclient *client = rill__kclient_new(conf, error);
  if (!client)
    return NULL;
  rill__kproducer *p = g_new0(rill__kproducer, 1);
  p->client = client;
  p->conf = rill__kclient_conf(client);
  p->topic = g_strdup(topic);
  p->pid = -1;
  p->epoch = -1;
  p->sticky = -1;
  p->rand = g_rand_new_with_seed(seed);
  p->failed = g_ptr_array_new_with_free_func((GDestroyNotify)rill__kfailed_free);
  p->max_buffered = (size_t)conf->queue_max_kbytes * 1024;
  g_mutex_init(&p->lock);
  g_cond_init(&p->space_cond);
  g_cond_init(&p->sender_cond);

  /* The topic's partitions (auto-created topics may need a few rounds). */
  gint64 give_up = g_get_monotonic_time() + (gint64)conf->request_timeout_ms * 1000;
  const char *topics[] = {topic, NULL};
  int16_t terr = 0;
  for (;;) {
    if (!rill__kclient_refresh_metadata(client, topics, error))
      goto fail;
    p->n_parts = rill__kclient_partition_count(client, topic, &terr);
    if (p->n_parts > 0)
      break;
    if (!rill__kerror_retriable(terr) || g_get_monotonic_time() >= give_up) {
      g_autofree char *what = g_strdup_printf("metadata of topic '%s'", topic);
      rill__kclient_set_error(error, terr, what, NULL);
      goto fail;
    }
    g_usleep((gulong)conf->retry_backoff_ms * 1000);
  }
  if (conf->idempotence) {
    rill__wire_init_producer_id_request ip;
    rill__wire_init_producer_id_request_init(&ip);
    ip.transactional_id = RILL_WIRE_STR_NULL;
    ip.transaction_timeout_ms = 60000;
    rill__kreq *r = rill__kclient_call(client, RILL__KNODE_ANY, RILL_WIRE_API_INIT_PRODUCER_ID, 4, &ip, error);
    if (!r)
      goto fail;
    int16_t e = r->resp.init_producer_id.error_code;
    p->pid = r->resp.init_producer_id.producer_id;
    p->epoch = r->resp.init_producer_id.producer_epoch;
    rill__kreq_free(r);
    if (e) {
      rill__kclient_set_error(error, e, "InitProducerId", NULL);
      goto fail;
    }
  }
  rill__batch_writer_options o = RILL__BATCH_WRITER_OPTIONS_INIT;
  o.codec = (rill__codec)conf->codec;
  o.level = conf->compression_level < 0 ? RILL__CODEC_LEVEL_DEFAULT : conf->compression_level;
  o.producer_id = p->pid;
  o.producer_epoch = p->epoch;
  o.base_sequence = p->pid >= 0 ? 0 : -1;
  p->parts = g_new0(kpart, p->n_parts);
  for (int32_t i = 0; i < p->n_parts; i++) {
    p->parts[i].w_holds = g_ptr_array_new_with_free_func((GDestroyNotify)rill_batch_unref);
    if (!(p->parts[i].w = rill__batch_writer_new(&o, error)))
      goto fail;
  }
  p->sender = g_thread_new("rill-kafka-send", sender_thread, p);
  return p;
fail:
  rill__kproducer_free(p);
  return NULL;
}

static gboolean cancelled(rill_ctx *ctx)
{
  return ctx && rill_ctx_is_cancelled(ctx);
}

rill_flow rill__kproducer_write(rill__kproducer *p, rill_ctx *ctx, const rill_batch *batch, GError **error)
{
  const rill_record *recs = rill_batch_records(batch);
  size_t n = rill_batch_len(batch);
  int64_t now_ms = g_get_real_time() / 1000;
  g_autoptr(GArray) hdrs = g_array_new(FALSE, FALSE, sizeof(rill__record_header));
  g_mutex_lock(&p->lock);
  for (size_t i = 0; i < n; i++) {
    const rill_record *r = &recs[i];
    size_t sz = rill_record_payload_size(r) + RECORD_OVERHEAD;
    while (!p->fatal && p->buffered > 0 && p->buffered + sz > p->max_buffered && !cancelled(ctx)) {
      g_cond_signal(&p->sender_cond);
      g_cond_wait_until(&p->space_cond, &p->lock, g_get_monotonic_time() + 100000);
    }
    if (p->fatal)
      goto fatal;
    if (cancelled(ctx)) {
      g_mutex_unlock(&p->lock);
      return RILL_FLOW_FLUSHING;
    }
    int32_t part = rill__partition_for(p->conf->partitioner, r->key.data, r->key.len, p->n_parts);
    if (part < 0) {
      if (p->sticky < 0)
        p->sticky = g_rand_int_range(p->rand, 0, p->n_parts);
      part = p->sticky;
    }
    kpart *k = &p->parts[part];
    if (rill__batch_writer_count(k->w) &&
        (k->w_bytes + sz > (size_t)p->conf->batch_size ||
         rill__batch_writer_count(k->w) >= p->conf->batch_num_messages))
      close_batch(p, k);
    if (!rill__batch_writer_count(k->w)) {
      k->first_at = g_get_monotonic_time();
      g_cond_signal(&p->sender_cond);
    }
    g_array_set_size(hdrs, 0);
    for (uint32_t h = 0; h < r->n_headers; h++) {
      rill__record_header rh = {r->headers[h].key.data, (int32_t)r->headers[h].key.len, r->headers[h].value.data,
                                r->headers[h].value.data ? (int32_t)r->headers[h].value.len : -1};
      g_array_append_val(hdrs, rh);
    }
    rill__batch_writer_append(k->w, r->timestamp == RILL_TIMESTAMP_NONE ? now_ms : r->timestamp, r->key.data,
                              r->key.data ? (int32_t)r->key.len : -1, r->value.data,
                              r->value.data ? (int32_t)r->value.len : -1, (const rill__record_header *)hdrs->data,
                              hdrs->len);
    k->w_bytes += sz;
    p->buffered += sz;
    if (!k->w_holds->len || k->w_holds->pdata[k->w_holds->len - 1] != batch)
      g_ptr_array_add(k->w_holds, rill_batch_ref((rill_batch *)batch));
  }
  g_mutex_unlock(&p->lock);
  return RILL_FLOW_OK;
fatal:
  g_propagate_error(error, g_error_copy(p->fatal));
  g_mutex_unlock(&p->lock);
  return RILL_FLOW_ERROR;
}

rill_flow rill__kproducer_flush(rill__kproducer *p, rill_ctx *ctx, GError **error)
{
  rill_flow flow = RILL_FLOW_OK;
  g_mutex_lock(&p->lock);
  p->flushing++;
  g_cond_signal(&p->sender_cond);
  while (p->buffered > 0 && !p->fatal && !cancelled(ctx))
    g_cond_wait_until(&p->space_cond, &p->lock, g_get_monotonic_time() + 100000);
  p->flushing--;
  if (p->fatal) {
    g_propagate_error(error, g_error_copy(p->fatal));
    flow = RILL_FLOW_ERROR;
  } else if (p->buffered > 0) {
    flow = RILL_FLOW_FLUSHING;
  }
  g_mutex_unlock(&p->lock);
  return flow;
}

void rill__kproducer_keep_failed(rill__kproducer *p, gboolean keep)
{
  g_mutex_lock(&p->lock);
  p->keep_failed = keep;
  g_mutex_unlock(&p->lock);
}

GPtrArray *rill__kproducer_take_failed(rill__kproducer *p)
{
  GPtrArray *out = NULL;
  g_mutex_lock(&p->lock);
  if (p->failed->len) {
    out = p->failed;
    p->failed = g_ptr_array_new_with_free_func((GDestroyNotify)rill__kfailed_free);
  }
  g_mutex_unlock(&p->lock);
  return out;
}

void rill__kproducer_free(rill__kproducer *p)
{
  if (!p)
    return;
  if (p->sender) {
    g_mutex_lock(&p->lock);
    p->stop = TRUE;
    g_cond_signal(&p->sender_cond);
    g_mutex_unlock(&p->lock);
    g_thread_join(p->sender);
  }
  /* Completions of in-flight requests run during the client's shutdown. */
  rill__kclient_free(p->client);
  for (int32_t i = 0; p->parts && i < p->n_parts; i++) {
    kpart *k = &p->parts[i];
    rill__batch_writer_free(k->w);
    g_ptr_array_free(k->w_holds, TRUE);
    kbatch *b;
    while ((b = g_queue_pop_head(&k->ready)))
      kbatch_free(b);
  }
  g_free(p->parts);
  g_ptr_array_unref(p->failed);
  g_rand_free(p->rand);
  g_clear_error(&p->fatal);
  g_free(p->topic);
  g_mutex_clear(&p->lock);
  g_cond_clear(&p->space_cond);
  g_cond_clear(&p->sender_cond);
  g_free(p);
}
