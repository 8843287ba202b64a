/* h-fetch.c — Fetch: long polling over the log, answered with sendfile().
 *
 * Evaluation reads every asked partition (rill_log_read: whole batches, the
 * first one always whole — KIP-74) within the partition's max bytes and what
 * is left of the response's max bytes — the client's, capped by the
 * broker's fetch.max.bytes (1 MiB by default: a consumer parses one answer
 * while the broker sends the next, where one 16 MiB answer would leave it
 * waiting for all of it and then parsing alone); once the response holds data, a
 * partition whose first batch would overshoot the response limit is left
 * empty this time. If the bytes reach min_bytes, max_wait is 0, a partition
 * errs, or the broker is stopping, the answer goes out at once; otherwise
 * the request parks:
 *
 *   park ──▶ rill_log_wait_add() per partition ──(append on any thread)──▶
 *   waiter callback ──rill__broker_post()──▶ wake on the I/O thread ──▶
 *   cancel the other waiters, evaluate again ──▶ answer or park again
 *   park ──▶ timer at max_wait ──▶ evaluate, answer with whatever is there
 *
 * A parked Fetch costs nothing until an append or its deadline: each waiter
 * is armed at the high watermark the last evaluation saw (not at the fetch
 * offset, which may already be below it when min_bytes was not reached), so
 * it fires only for data that evaluation has not counted yet. Topic names
 * are copied into request memory once per request, not once per
 * evaluation, so wakes do not grow the request's arena.
 *
 * Waiter callbacks run on other threads and may fire after the request was
 * answered, so they hold a reference on a small token, not on the request;
 * the token forgets the request when it is answered.
 *
 * The answer (v0–v11, non-flexible) is written by hand: every field up to
 * each partition's Records length goes into one memory buffer, and each
 * partition's batches follow as file ranges for sendfile() — unless the
 * whole answer holds at most FETCH_COPY_MAX record bytes (a consumer at the
 * tail): then they are read into the buffer and the answer leaves in one
 * sendmsg(), cheaper than a sendmsg() and a sendfile(). Fetch v0–v3
 * (MessageSet v0/v1 readers) answer UNSUPPORTED_VERSION per partition.
 * read_committed and read_uncommitted see the same data: rill has no
 * transactions, so LastStableOffset = HighWatermark. Fetch sessions
 * (KIP-227) are not kept: SessionId 0 in every answer (a valid "no session"
 * answer); a request naming a session id gets FETCH_SESSION_ID_NOT_FOUND.
 */
#include "runtime/broker/broker-private.h"
#include "runtime/broker/acl.h"

#include <string.h>

typedef struct parked parked;

typedef struct {
  gint refs;
  rill__broker *broker;
  parked *p; /* NULL once answered; I/O thread only */
} wake_token;

typedef struct {
  char *topic; /* request memory */
  int32_t partition;
  guint64 id;
} waiter;

/* Per request, in request memory: the NUL-terminated topic names (NULL for a
 * null name) and, per partition in request order, the offset whose passing
 * means data the last evaluation did not see. */
typedef struct {
  char **topics;
  gboolean *denied; /* per topic: no READ permission (acl.h) */
  int64_t *wait_at;
} fetch_view;

struct parked {
  rill__broker_req *req;  /* freed when answered: use broker below after evaluate() */
  rill__broker *broker;
  fetch_view view;        /* in req's memory */
  int64_t deadline_ms;
  rill__broker_timer *timer;
  GList link;     /* in broker->parked_fetches */
  wake_token *token;
  GArray *waiters; /* waiter */
};

typedef struct {
  int16_t error;
  int64_t hwm, log_start;
  rill_log_fetch *fetch; /* NULL: no records */
} part_result;

static void token_unref(wake_token *t)
{
  if (g_atomic_int_dec_and_test(&t->refs))
    g_free(t);
}

/* ---- Encoding ------------------------------------------------------------------ */

static void add_mem_chunk(GArray *pieces, size_t start, size_t end)
{
  if (end > start) {
    rill__chunk c = {.p = NULL, .fd = -1, .pos = (int64_t)start, .len = end - start};
    c.fd = -2; /* memory, offset in pos until the buffer is final */
    g_array_append_val(pieces, c);
  }
}

/* Answers with at most this many record bytes are copied into the answer
 * instead of sent from the files (respond_fetch). */
#define FETCH_COPY_MAX (16 << 10)

static void respond_fetch(rill__broker_req *req, int16_t top_error, part_result *res)
{
  const rill__wire_fetch_request *in = &req->body->fetch;
  int16_t v = req->header.request_api_version;
  rill__wire_writer w;
  rill__wire_writer_init(&w);
  GArray *pieces = g_array_new(FALSE, FALSE, sizeof(rill__chunk));
  GPtrArray *fetches = g_ptr_array_new_with_free_func((GDestroyNotify)rill_log_fetch_free);
  size_t mem_start = 0;

  rill__wire_write_i32(&w, 0); /* size, patched below */
  rill__wire_write_i32(&w, req->header.correlation_id);
  if (v >= 1)
    rill__wire_write_i32(&w, 0); /* throttle */
  if (v >= 7) {
    rill__wire_write_i16(&w, top_error);
    rill__wire_write_i32(&w, 0); /* no fetch session */
  }
  int32_t nt = top_error ? 0 : MAX(in->n_topics, 0);
  rill__wire_write_i32(&w, nt);
  /* A small answer (a consumer at the tail) is copied in: pread and one
   * sendmsg cost less than the header's sendmsg plus a sendfile through
   * the splice machinery per partition. */
  size_t records = 0;
  for (int32_t t = 0, kk = 0; t < nt; t++)
    for (int32_t p = 0; p < in->topics[t].n_partitions; p++, kk++)
      records += res[kk].fetch ? rill_log_fetch_size(res[kk].fetch) : 0;
  gboolean copy = records <= FETCH_COPY_MAX;
  size_t total = 0;
  int k = 0;
  for (int32_t t = 0; t < nt; t++) {
    const rill__wire_fetch_request_topic *it = &in->topics[t];
    rill__wire_write_string(&w, "Topic", false, false, it->topic);
    rill__wire_write_i32(&w, MAX(it->n_partitions, 0));
    for (int32_t p = 0; p < it->n_partitions; p++, k++) {
      part_result *r = &res[k];
      rill__wire_write_i32(&w, it->partitions[p].partition);
      rill__wire_write_i16(&w, r->error);
      rill__wire_write_i64(&w, r->hwm);
      if (v >= 4)
        rill__wire_write_i64(&w, r->hwm); /* LastStableOffset */
      if (v >= 5)
        rill__wire_write_i64(&w, r->log_start);
      if (v >= 4)
        rill__wire_write_i32(&w, 0); /* AbortedTransactions: empty */
      if (v >= 11)
        rill__wire_write_i32(&w, -1); /* PreferredReadReplica */
      size_t n = r->fetch ? rill_log_fetch_size(r->fetch) : 0;
      rill__wire_write_i32(&w, (int32_t)n);
      if (n && copy) {
        g_autoptr(GBytes) b = rill_log_fetch_bytes(r->fetch, NULL);
        if (b && g_bytes_get_size(b) == n) {
          rill__wire_write_raw(&w, g_bytes_get_data(b, NULL), n);
          continue;
        }
        /* Unreadable now: sendfile gets the same chance as always. */
      }
      total += n;
      if (n) {
        add_mem_chunk(pieces, mem_start, w.len);
        mem_start = w.len;
        for (guint i = 0; i < rill_log_fetch_n_ranges(r->fetch); i++) {
          rill__chunk c = {0};
          rill_log_fetch_range(r->fetch, i, &c.fd, &c.pos, &c.len);
          g_array_append_val(pieces, c);
        }
        g_ptr_array_add(fetches, r->fetch);
        r->fetch = NULL;
      }
    }
  }
  add_mem_chunk(pieces, mem_start, w.len);
  rill__wire_writer_patch_i32(&w, 0, (int32_t)(w.len - 4 + total));
  size_t len;
  uint8_t *mem = rill__wire_writer_steal(&w, &len);
  for (guint i = 0; i < pieces->len; i++) {
    rill__chunk *c = &g_array_index(pieces, rill__chunk, i);
    if (c->fd == -2) {
      c->p = mem + c->pos;
      c->fd = -1;
      c->pos = 0;
    }
  }
  rill__broker_respond_chunks(req, mem, pieces, fetches);
}

/* ---- Evaluation ------------------------------------------------------------------ */

static int n_parts(const rill__wire_fetch_request *in)
{
  int n = 0;
  for (int32_t t = 0; t < in->n_topics; t++)
    n += MAX(in->topics[t].n_partitions, 0);
  return n;
}

static void free_results(part_result *res, int n)
{
  for (int i = 0; i < n; i++)
    if (res[i].fetch)
      rill_log_fetch_free(res[i].fetch);
  g_free(res);
}

/* Reads every partition and records in @view->wait_at what it saw. Returns
 * TRUE (and answers) when the request is done. */
/* Record bytes about to be answered, per partition (stats.h). */
static void count_fetched(rill__broker_req *req, const fetch_view *view, const part_result *res)
{
  const rill__wire_fetch_request *in = &req->body->fetch;
  int k = 0;
  for (int32_t t = 0; t < in->n_topics; t++)
    for (int32_t p = 0; p < in->topics[t].n_partitions; p++, k++)
      if (res[k].fetch && rill_log_fetch_size(res[k].fetch) > 0)
        rill__broker_stats_fetched(req->broker->stats, view->topics[t], in->topics[t].partitions[p].partition,
                                   rill_log_fetch_size(res[k].fetch));
}

static gboolean evaluate(rill__broker_req *req, const fetch_view *view, gboolean force)
{
  const rill__wire_fetch_request *in = &req->body->fetch;
  rill_log *log = rill__broker_log(req->broker);
  int16_t v = req->header.request_api_version;
  int np = n_parts(in);
  part_result *res = g_new0(part_result, MAX(np, 1));
  size_t total = 0;
  /* The broker's fetch.max.bytes caps the client's: smaller answers let
   * the consumer parse one while the next is sent (docs/broker.md). */
  int64_t budget = MIN(in->max_bytes > 0 ? in->max_bytes : 0, (int64_t)req->broker->settings.fetch_max_bytes);
  gboolean any_error = FALSE;
  int k = 0;
  for (int32_t t = 0; t < in->n_topics; t++) {
    const rill__wire_fetch_request_topic *it = &in->topics[t];
    const char *topic = view->topics[t];
    for (int32_t p = 0; p < it->n_partitions; p++, k++) {
      const rill__wire_fetch_request_partition *ip = &it->partitions[p];
      part_result *r = &res[k];
      view->wait_at[k] = ip->fetch_offset;
      rill_log_partition_info info;
      GError *error = NULL;
      r->hwm = r->log_start = -1;
      if (view->denied[t]) {
        r->error = RILL_KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED;
        any_error = TRUE;
        continue;
      }
      if (v < 4) {
        r->error = RILL_KAFKA_ERR_UNSUPPORTED_VERSION;
        any_error = TRUE;
        continue;
      }
      if (!topic || !rill_log_partition_info_get(log, topic, ip->partition, &info, &error)) {
        r->error = RILL_KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        g_clear_error(&error);
        any_error = TRUE;
        continue;
      }
      r->hwm = info.high_watermark;
      r->log_start = info.log_start_offset;
      if (ip->fetch_offset < info.log_start_offset || ip->fetch_offset > info.high_watermark) {
        r->error = RILL_KAFKA_ERR_OFFSET_OUT_OF_RANGE;
        any_error = TRUE;
        continue;
      }
      view->wait_at[k] = info.high_watermark;
      if (ip->fetch_offset == info.high_watermark)
        continue;
      int64_t left = budget - (int64_t)total;
      if (total > 0 && left <= 0)
        continue;
      size_t limit = (size_t)MAX(MIN((int64_t)MAX(ip->partition_max_bytes, 0), left), 0);
      r->fetch = rill_log_read(log, topic, ip->partition, ip->fetch_offset, limit, &error);
      if (!r->fetch) {
        r->error = rill__broker_kafka_error(error);
        g_clear_error(&error);
        any_error = TRUE;
        continue;
      }
      size_t got = rill_log_fetch_size(r->fetch);
      r->hwm = rill_log_fetch_high_watermark(r->fetch);
      r->log_start = rill_log_fetch_log_start_offset(r->fetch);
      view->wait_at[k] = MAX(view->wait_at[k], r->hwm);
      if (total > 0 && (int64_t)got > left) {
        /* Only the response's first batch may break the limit (KIP-74). */
        rill_log_fetch_free(r->fetch);
        r->fetch = NULL;
        continue;
      }
      total += got;
    }
  }
  gboolean done = force || any_error || in->max_wait_ms <= 0 || (int64_t)total >= MAX(in->min_bytes, 1) ||
                  req->broker->draining;
  if (done) {
    count_fetched(req, view, res);
    respond_fetch(req, 0, res);
  }
  free_results(res, np);
  return done;
}

/* ---- Parking ---------------------------------------------------------------------- */

static void on_log_wake(rill_log_wake reason, int64_t hwm, void *user_data);
static void on_wake(void *user_data);

static void cancel_waiters(parked *pk)
{
  rill_log *log = rill__broker_log(pk->broker);
  for (guint i = 0; i < pk->waiters->len; i++) {
    waiter *w = &g_array_index(pk->waiters, waiter, i);
    if (rill_log_wait_cancel(log, w->topic, w->partition, w->id))
      token_unref(pk->token); /* it will never fire */
  }
  g_array_set_size(pk->waiters, 0);
}

/* Registers a waiter per partition; FALSE if one already has data. */
static gboolean add_waiters(parked *pk)
{
  rill__broker_req *req = pk->req;
  const rill__wire_fetch_request *in = &req->body->fetch;
  rill_log *log = rill__broker_log(req->broker);
  int k = 0;
  for (int32_t t = 0; t < in->n_topics; t++) {
    char *topic = pk->view.topics[t];
    for (int32_t p = 0; p < in->topics[t].n_partitions; p++, k++) {
      const rill__wire_fetch_request_partition *ip = &in->topics[t].partitions[p];
      GError *error = NULL;
      g_atomic_int_inc(&pk->token->refs);
      guint64 id = rill_log_wait_add(log, topic, ip->partition, pk->view.wait_at[k], on_log_wake, pk->token, &error);
      if (id == 0) {
        if (error) {
          token_unref(pk->token); /* never registered */
          g_error_free(error);
        }
        return FALSE; /* fired already (data) or failed: evaluate again */
      }
      waiter w = {topic, ip->partition, id};
      g_array_append_val(pk->waiters, w);
    }
  }
  return TRUE;
}

static void finish_parked(parked *pk)
{
  rill__broker *b = pk->broker;
  cancel_waiters(pk);
  if (pk->timer)
    rill__broker_timer_cancel(b, pk->timer);
  g_queue_unlink(&b->parked_fetches, &pk->link);
  pk->token->p = NULL;
  token_unref(pk->token);
  g_array_unref(pk->waiters);
  g_free(pk);
}

/* Evaluates and, while nothing is due, (re)arms the waiters. */
static void run_parked(parked *pk, gboolean force)
{
  for (;;) {
    cancel_waiters(pk);
    if (evaluate(pk->req, &pk->view, force || rill__broker_now_ms(pk->broker) >= pk->deadline_ms)) {
      finish_parked(pk);
      return;
    }
    if (add_waiters(pk))
      return;
  }
}

static void on_timer(void *user_data)
{
  parked *pk = user_data;
  pk->timer = NULL;
  run_parked(pk, TRUE);
}

static void on_wake(void *user_data)
{
  wake_token *t = user_data;
  if (t->p)
    run_parked(t->p, FALSE);
  token_unref(t);
}

static void on_log_wake(rill_log_wake reason, int64_t hwm, void *user_data)
{
  wake_token *t = user_data;
  (void)reason;
  (void)hwm;
  rill__broker_post(t->broker, on_wake, t); /* passes this waiter's reference on */
}

void rill__handle_fetch(rill__broker_req *req)
{
  const rill__wire_fetch_request *in = &req->body->fetch;
  if (in->session_id != 0) {
    respond_fetch(req, RILL_KAFKA_ERR_FETCH_SESSION_ID_NOT_FOUND, NULL);
    return;
  }
  fetch_view view;
  view.topics = rill__broker_req_new0(req, char *, MAX(in->n_topics, 1));
  view.wait_at = rill__broker_req_new0(req, int64_t, MAX(n_parts(in), 1));
  view.denied = rill__broker_req_new0(req, gboolean, MAX(in->n_topics, 1));
  for (int32_t t = 0; t < in->n_topics; t++) {
    view.topics[t] = rill__broker_req_topic(req, in->topics[t].topic);
    view.denied[t] = view.topics[t] && !rill__broker_authorize(req, RILL__RES_TOPIC, view.topics[t], RILL__OP_READ);
  }
  if (evaluate(req, &view, FALSE))
    return;
  rill__broker *b = req->broker;
  parked *pk = g_new0(parked, 1);
  pk->req = req;
  pk->view = view;
  pk->broker = b;
  pk->deadline_ms = rill__broker_now_ms(b) + in->max_wait_ms;
  pk->link.data = pk;
  pk->waiters = g_array_new(FALSE, FALSE, sizeof(waiter));
  pk->token = g_new0(wake_token, 1);
  pk->token->refs = 1;
  pk->token->broker = b;
  pk->token->p = pk;
  g_queue_push_tail_link(&b->parked_fetches, &pk->link);
  pk->timer = rill__broker_timer_add(b, in->max_wait_ms, on_timer, pk);
  if (!add_waiters(pk))
    run_parked(pk, FALSE);
}

void rill__fetch_complete_all(rill__broker *b)
{
  while (b->parked_fetches.head)
    run_parked(b->parked_fetches.head->data, TRUE);
}
