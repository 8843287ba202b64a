/* kafka-source.c — the pipeline source over the client core: manual
 * assignment (partitions dealt to tasks by index % P) or consumer-group
 * membership (every task is one member: consumer-group.h), start at
 * committed/earliest/latest/offset/timestamp, fetch pipelining, and the
 * commit tracker.
 *
 * Pipelining: a task keeps one Fetch in flight per leader broker. When a
 * response arrives, read() first advances the partitions' positions from the
 * batch headers and sends the next Fetch, and only then decodes and emits
 * the records, so the broker works on the next fetch while the pipeline
 * processes this one.
 *
 * Commit tracker (group mode): the records of one fetch response go out in
 * batches that all reference one empty "token" buffer. The runtime frees a
 * batch only when every stage that received it let go of it (sinks: after
 * the broker acknowledged it), so the token's release means "processed".
 * Per partition, tokens queue in emission order; the committable offset is
 * the end of the longest released prefix, or the fetch position once the
 * queue is empty. Auto-commit sends it every auto.commit.interval.ms, before
 * giving partitions away in a rebalance (after waiting, bounded, for the
 * in-flight tokens) and at close after a clean drain. Nothing is committed
 * once the pipeline is cancelled: dropped batches release their tokens too.
 *
 * Checkpoints (when the pipeline takes them): snapshot records each owned
 * partition's position (everything before it was emitted ahead of the
 * barrier) and, in group mode, keeps it until the checkpoint completes;
 * on_checkpoint_complete commits exactly those offsets, and the commit
 * tracker above stays off, so the group's committed offsets never run
 * ahead of a complete checkpoint. restore repositions manually assigned
 * partitions; in group mode it remembers the positions and an assignment
 * of a restored partition starts there instead of at the committed offset.
 *
 * Errors: NOT_LEADER_OR_FOLLOWER, LEADER_NOT_AVAILABLE, transport failures
 * and the like refresh the metadata and fetch from the new leader;
 * OFFSET_OUT_OF_RANGE restarts the partition per auto.offset.reset (error:
 * the pipeline fails); anything else fails the pipeline. */
#include <rill/checkpoint.h>
#include <rill/kafka.h>
#include <rill/source.h>

#include <string.h>

#include "connectors/kafka/consumer-group.h"
#include "runtime/snap.h"
#include "runtime/wire/recordbatch.h"

/* How long a revoke or close waits for emitted records to be processed
 * before committing what is (bounded: a stage may hold records forever). */
#define DRAIN_WAIT_MS 10000

typedef struct {
  rill_kafka_conf *conf;
  char *topic;
  char **topics;       /* group mode subscription */
  int32_t *partitions; /* NULL: all */
  guint n_partitions;
  rill_kafka_from from;
  int64_t from_value;
  gboolean stop_at_end;
} src_conf;

/* Released when the last batch holding its buffer is freed. */
typedef struct {
  gint ref;
  gint done;
} ktoken;

typedef struct {
  ktoken *tok;
  int64_t end; /* committable once tok is done */
} pentry;

typedef struct {
  char *topic;
  int32_t partition;
  int64_t pos;       /* next offset to fetch */
  int64_t end;       /* stop_at_end: the high watermark at start */
  gboolean fetching;
  GQueue pending;    /* pentry*, emission order */
  int64_t processed; /* everything before it was processed; -1 unknown */
  int64_t committed; /* last committed (or fetched from the group); -1 none */
  int64_t hwm;       /* high watermark in the last Fetch answer; -1 none yet */
} spart;

typedef struct src_state src_state;

typedef struct {
  src_state *s;
  guint epoch; /* the assignment it was sent for */
  rill__wire_fetch_request req;
  rill__wire_fetch_request_topic *topics;
  rill__wire_fetch_request_partition *parts;
  GPtrArray *names; /* the topic names the request points to: a revoke may free the parts' */
  rill__kreq *resp; /* set on completion */
} fcall;

struct src_state {
  src_conf *conf;
  rill_ctx *ctx;
  rill__kclient *client;
  rill__kmember *member; /* group mode */
  GPtrArray *parts;      /* spart* */
  guint epoch;
  GAsyncQueue *done;     /* completed fcall* */
  gboolean need_metadata;
  rill__batch_reader reader;
  rill_batch_builder *builder;
  rill_buffer *tokbuf;   /* the current response's token, while emitting */
  ktoken *tok;
  gint64 next_commit;    /* monotonic us */
  gboolean torn;         /* an emission stopped half way: positions ran ahead, commit nothing more */
  gboolean checkpointing; /* commits follow completed checkpoints only */
  GQueue snaps;          /* ksnap*, group mode: positions of checkpoints not yet complete, oldest first */
  GHashTable *restored;  /* group mode: "topic\npartition" -> int64* position from the restored checkpoint */
};

typedef struct {
  uint64_t id;
  GArray *offsets; /* rill__koffset, topic strings owned */
} ksnap;

static void ksnap_free(ksnap *k)
{
  for (guint i = 0; i < k->offsets->len; i++)
    g_free((char *)g_array_index(k->offsets, rill__koffset, i).topic);
  g_array_unref(k->offsets);
  g_free(k);
}

static void token_unref(ktoken *t)
{
  if (g_atomic_int_dec_and_test(&t->ref))
    g_free(t);
}

static void token_release(gpointer data)
{
  ktoken *t = data;
  g_atomic_int_set(&t->done, 1);
  token_unref(t);
}

static void src_conf_free(src_conf *c)
{
  rill_kafka_conf_free(c->conf);
  g_free(c->topic);
  g_strfreev(c->topics);
  g_free(c->partitions);
  g_free(c);
}

static void spart_free(spart *sp)
{
  pentry *e;
  while ((e = g_queue_pop_head(&sp->pending))) {
    token_unref(e->tok);
    g_free(e);
  }
  g_free(sp->topic);
  g_free(sp);
}

static spart *find_part(src_state *s, rill__wire_str topic, int32_t p)
{
  for (guint i = 0; i < s->parts->len; i++) {
    spart *sp = s->parts->pdata[i];
    if (sp->partition == p && rill__wire_str_eq(topic, sp->topic))
      return sp;
  }
  return NULL;
}

/* The distinct topics of the assignment (NULL-terminated; strings not owned). */
static GPtrArray *part_topics(src_state *s)
{
  GPtrArray *t = g_ptr_array_new();
  for (guint i = 0; i < s->parts->len; i++) {
    spart *sp = s->parts->pdata[i];
    if (!g_ptr_array_find_with_equal_func(t, sp->topic, g_str_equal, NULL))
      g_ptr_array_add(t, sp->topic);
  }
  g_ptr_array_add(t, NULL);
  return t;
}

/* Offset for @ts (-2 earliest, -1 latest, or a timestamp) of @topic/@p. */
static gboolean list_offset(src_state *s, const char *topic, int32_t p, int64_t ts, int64_t *offset, GError **error)
{
  gint64 give_up = g_get_monotonic_time() + (gint64)s->conf->conf->request_timeout_ms * 1000;
  for (;;) {
    int32_t leader = rill__kclient_leader(s->client, topic, p);
    int16_t err = 5;
    if (leader >= 0) {
      rill__wire_list_offsets_request req;
      rill__wire_list_offsets_request_init(&req);
      rill__wire_list_offsets_request_topic t = {0};
      rill__wire_list_offsets_request_partition pp = {0};
      req.replica_id = -1;
      pp.partition_index = p;
      pp.timestamp = ts;
      pp.current_leader_epoch = -1;
      pp.max_num_offsets = 1;
      t.name = rill__wire_str_from(topic);
      t.partitions = &pp;
      t.n_partitions = 1;
      req.topics = &t;
      req.n_topics = 1;
      /* v2 is what librdkafka sends; the mock cluster mis-encodes v5 */
      rill__kreq *r = rill__kclient_call(s->client, leader, RILL_WIRE_API_LIST_OFFSETS, 2, &req, error);
      if (!r)
        return FALSE;
      const rill__wire_list_offsets_response *lr = &r->resp.list_offsets;
      err = -1;
      if (lr->n_topics == 1 && lr->topics[0].n_partitions == 1) {
        const rill__wire_list_offsets_response_partition_response *pr = &lr->topics[0].partitions[0];
        err = pr->error_code;
        *offset = r->version == 0 ? (pr->n_old_style_offsets > 0 ? pr->old_style_offsets[0] : -1) : pr->offset;
      }
      rill__kreq_free(r);
      if (!err)
        return TRUE;
    }
    if (!rill__kerror_retriable(err) || g_get_monotonic_time() >= give_up) {
      g_autofree char *what = g_strdup_printf("ListOffsets %s [%d]", topic, p);
      rill__kclient_set_error(error, err, what, NULL);
      return FALSE;
    }
    g_usleep((gulong)s->conf->conf->retry_backoff_ms * 1000);
    const char *topics[] = {topic, NULL};
    if (!rill__kclient_refresh_metadata(s->client, topics, error))
      return FALSE;
  }
}

/* The start position of @sp per auto.offset.reset. */
static gboolean reset_offset(src_state *s, spart *sp, GError **error)
{
  if (s->conf->conf->auto_offset_reset == RILL__KRESET_ERROR) {
    g_set_error(error, RILL_KAFKA_CLIENT_ERROR, RILL_KAFKA_CLIENT_ERROR_BROKER,
                "%s [%d]: offset %" G_GINT64_FORMAT " out of range and auto.offset.reset=error", sp->topic,
                sp->partition, sp->pos);
    return FALSE;
  }
  return list_offset(s, sp->topic, sp->partition, s->conf->conf->auto_offset_reset == RILL__KRESET_EARLIEST ? -2 : -1,
                     &sp->pos, error);
}

/* Positions @sp per the configured start (no committed offset). */
static gboolean start_position(src_state *s, spart *sp, GError **error)
{
  src_conf *c = s->conf;
  gboolean ok = TRUE;
  switch (c->from) {
  case RILL_KAFKA_FROM_COMMITTED: /* no committed offset: the reset policy decides */
    ok = reset_offset(s, sp, error);
    break;
  case RILL_KAFKA_FROM_EARLIEST:
    ok = list_offset(s, sp->topic, sp->partition, -2, &sp->pos, error);
    break;
  case RILL_KAFKA_FROM_LATEST:
    ok = list_offset(s, sp->topic, sp->partition, -1, &sp->pos, error);
    break;
  case RILL_KAFKA_FROM_OFFSET:
    sp->pos = c->from_value;
    break;
  case RILL_KAFKA_FROM_TIMESTAMP:
    ok = list_offset(s, sp->topic, sp->partition, c->from_value, &sp->pos, error);
    if (ok && sp->pos < 0) /* no record that late: start at the end */
      ok = list_offset(s, sp->topic, sp->partition, -1, &sp->pos, error);
    break;
  }
  return ok;
}

static void on_fetched(rill__kreq *r, void *data)
{
  fcall *f = data;
  f->resp = r;
  g_async_queue_push(f->s->done, f);
}

static void fcall_free(fcall *f)
{
  rill__kreq_free(f->resp);
  g_free(f->topics);
  g_free(f->parts);
  g_ptr_array_unref(f->names);
  g_free(f);
}

/* Sends a Fetch to each leader for its partitions that have none in flight. */
static void send_fetches(src_state *s)
{
  const rill_kafka_conf *kc = s->conf->conf;
  GHashTable *by_leader = g_hash_table_new_full(NULL, NULL, NULL, (GDestroyNotify)g_ptr_array_unref);
  for (guint i = 0; i < s->parts->len; i++) {
    spart *sp = s->parts->pdata[i];
    if (sp->fetching || (s->conf->stop_at_end && sp->pos >= sp->end))
      continue;
    int32_t leader = rill__kclient_leader(s->client, sp->topic, sp->partition);
    if (leader < 0) {
      s->need_metadata = TRUE;
      continue;
    }
    GPtrArray *l = g_hash_table_lookup(by_leader, GINT_TO_POINTER(leader + 1));
    if (!l)
      g_hash_table_insert(by_leader, GINT_TO_POINTER(leader + 1), l = g_ptr_array_new());
    g_ptr_array_add(l, sp);
  }
  GHashTableIter it;
  gpointer key, val;
  g_hash_table_iter_init(&it, by_leader);
  while (g_hash_table_iter_next(&it, &key, &val)) {
    GPtrArray *l = val;
    fcall *f = g_new0(fcall, 1);
    f->s = s;
    f->epoch = s->epoch;
    f->parts = g_new0(rill__wire_fetch_request_partition, l->len);
    f->topics = g_new0(rill__wire_fetch_request_topic, l->len);
    f->names = g_ptr_array_new_with_free_func(g_free);
    int32_t nt = 0, np = 0;
    /* partitions of one topic go together, topics in order of appearance */
    for (guint i = 0; i < l->len; i++) {
      spart *first = l->pdata[i];
      if (first->fetching)
        continue;
      rill__wire_fetch_request_topic *t = &f->topics[nt++];
      char *name = g_strdup(first->topic);
      g_ptr_array_add(f->names, name);
      t->topic = rill__wire_str_from(name);
      t->partitions = &f->parts[np];
      for (guint k = i; k < l->len; k++) {
        spart *sp = l->pdata[k];
        if (sp->fetching || strcmp(sp->topic, first->topic))
          continue;
        rill__wire_fetch_request_partition *fp = &f->parts[np++];
        fp->partition = sp->partition;
        fp->fetch_offset = sp->pos;
        fp->current_leader_epoch = -1;
        fp->last_fetched_epoch = -1;
        fp->log_start_offset = -1;
        fp->partition_max_bytes = kc->max_partition_fetch_bytes;
        sp->fetching = TRUE;
        t->n_partitions++;
      }
    }
    rill__wire_fetch_request_init(&f->req);
    f->req.replica_id = -1;
    f->req.max_wait_ms = kc->fetch_wait_max_ms;
    f->req.min_bytes = kc->fetch_min_bytes;
    f->req.max_bytes = kc->fetch_max_bytes;
    f->req.topics = f->topics;
    f->req.n_topics = nt;
    rill__kreq *r = rill__kreq_new(RILL_WIRE_API_FETCH, 11, &f->req);
    r->extra_timeout_ms = kc->fetch_wait_max_ms;
    rill__kclient_submit(s->client, GPOINTER_TO_INT(key) - 1, r, on_fetched, f);
  }
  g_hash_table_destroy(by_leader);
}

/* Where the complete batches in @rec end: the offset after the last record
 * of the last whole batch, or -1 when none is whole. */
static int64_t batches_end(rill__wire_bytes rec)
{
  int64_t next = -1;
  size_t off = 0;
  while (rec.len > 0 && off + 61 <= (size_t)rec.len) {
    const uint8_t *b = rec.ptr + off;
    int64_t base = (int64_t)rill__be64(b);
    int32_t blen = (int32_t)rill__be32(b + 8);
    if (blen < 49 || off + 12 + (size_t)blen > (size_t)rec.len)
      break;
    next = base + (int32_t)rill__be32(b + 23) + 1;
    off += 12 + (size_t)blen;
  }
  return next;
}

/* Sends the batch being built downstream. */
static rill_flow emit_built(src_state *s, rill_emitter *out)
{
  rill_batch *b = rill_batch_builder_finish(s->builder);
  return b ? rill_emit_batch(out, b) : RILL_FLOW_OK;
}

/* Notes that a record of @sp (or data up to @end) went out under the
 * current token. */
static void track(src_state *s, spart *sp, int64_t end)
{
  if (!s->tok)
    return;
  pentry *tail = g_queue_peek_tail(&sp->pending);
  if (tail && tail->tok == s->tok) {
    tail->end = MAX(tail->end, end);
    return;
  }
  pentry *e = g_new(pentry, 1);
  g_atomic_int_inc(&s->tok->ref);
  e->tok = s->tok;
  e->end = end;
  g_queue_push_tail(&sp->pending, e);
}

/* Emits the records of @rec at or after @from. */
static rill_flow emit_records(src_state *s, rill_ctx *ctx, spart *sp, rill__wire_bytes rec, int64_t from,
                              rill_emitter *out)
{
  size_t off = 0;
  GError *error = NULL;
  g_autoptr(GArray) hdrs = g_array_new(FALSE, FALSE, sizeof(rill_header));
  while (rec.len > 0 && off + 61 <= (size_t)rec.len) {
    int32_t blen = (int32_t)rill__be32(rec.ptr + off + 8);
    if (blen < 49 || off + 12 + (size_t)blen > (size_t)rec.len)
      break; /* a partial trailing batch (KIP-74): fetched again next time */
    unsigned flags = s->conf->conf->check_crcs ? RILL__BATCH_VERIFY_CRC : 0;
    if (!rill__batch_reader_open(&s->reader, rec.ptr + off, (size_t)rec.len - off, flags, 256u << 20, &error))
      goto fail;
    off += s->reader.batch_size;
    if (s->reader.control)
      continue;
    rill__record r;
    int rc;
    while ((rc = rill__batch_reader_next(&s->reader, &r, &error)) > 0) {
      if (r.offset < from)
        continue;
      if (s->member && !s->tokbuf) {
        s->tok = g_new0(ktoken, 1);
        s->tok->ref = 1; /* the buffer's */
        s->tokbuf = rill_buffer_new_wrapped(NULL, 0, s->tok, token_release);
      }
      if (s->tokbuf && rill_batch_builder_is_empty(s->builder))
        rill_batch_builder_reference_buffer(s->builder, s->tokbuf);
      rill_record out_rec;
      rill__record_view(&r, hdrs, &out_rec);
      out_rec.partition = sp->partition;
      out_rec.topic = sp->topic;
      rill_batch_builder_append(s->builder, &out_rec);
      track(s, sp, r.offset + 1);
      if (rill_batch_builder_is_full(s->builder)) {
        rill_flow flow = emit_built(s, out);
        if (flow != RILL_FLOW_OK)
          return flow;
      }
    }
    if (rc < 0)
      goto fail;
  }
  return RILL_FLOW_OK;
fail:
  g_prefix_error(&error, "%s [%d]: ", sp->topic, sp->partition);
  rill_ctx_set_error(ctx, error);
  return RILL_FLOW_ERROR;
}

/* Source lag for metrics: records between each partition's position and
 * the high watermark its last Fetch answer gave. */
static void report_lag(src_state *s, rill_ctx *ctx)
{
  int64_t lag = 0;
  for (guint i = 0; i < s->parts->len; i++) {
    const spart *sp = s->parts->pdata[i];
    if (sp->hwm >= 0)
      lag += MAX(sp->hwm - sp->pos, 0);
  }
  rill_ctx_set_source_lag(ctx, lag);
}

static rill_flow handle_fetch(src_state *s, rill_ctx *ctx, fcall *f, rill_emitter *out)
{
  rill__kreq *r = f->resp;
  if (f->epoch != s->epoch)
    return RILL_FLOW_OK; /* for partitions given away since */
  for (int32_t t = 0; t < f->req.n_topics; t++)
    for (int32_t i = 0; i < f->topics[t].n_partitions; i++) {
      spart *sp = find_part(s, f->topics[t].topic, f->topics[t].partitions[i].partition);
      if (sp)
        sp->fetching = FALSE;
    }
  if (r->error) {
    g_debug("kafka source: fetch failed: %s", r->error_message);
    if (r->error == -1 || !rill__kerror_retriable(r->error)) {
      GError *e = NULL;
      rill__kclient_set_error(&e, r->error, "Fetch", r->error_message);
      rill_ctx_set_error(ctx, e);
      return RILL_FLOW_ERROR;
    }
    s->need_metadata = TRUE;
    return RILL_FLOW_OK;
  }
  const rill__wire_fetch_response *fr = &r->resp.fetch;
  /* Pass 1: positions, errors; then the next fetch goes out. */
  guint total = 0;
  for (int32_t t = 0; t < fr->n_responses; t++)
    total += (guint)MAX(fr->responses[t].n_partitions, 0);
  g_autofree int64_t *from = g_new0(int64_t, total + 1);
  guint k = 0;
  for (int32_t t = 0; t < fr->n_responses; t++)
    for (int32_t i = 0; i < fr->responses[t].n_partitions; i++, k++) {
      const rill__wire_fetch_response_partition_data *pd = &fr->responses[t].partitions[i];
      spart *sp = find_part(s, fr->responses[t].topic, pd->partition_index);
      from[k] = G_MAXINT64;
      if (!sp)
        continue;
      if (pd->error_code == RILL_KAFKA_ERR_OFFSET_OUT_OF_RANGE) {
        GError *e = NULL;
        if (!reset_offset(s, sp, &e)) {
          rill_ctx_set_error(ctx, e);
          return RILL_FLOW_ERROR;
        }
      } else if (pd->error_code) {
        if (!rill__kerror_retriable(pd->error_code)) {
          GError *e = NULL;
          g_autofree char *what = g_strdup_printf("Fetch %s [%d]", sp->topic, sp->partition);
          rill__kclient_set_error(&e, pd->error_code, what, NULL);
          rill_ctx_set_error(ctx, e);
          return RILL_FLOW_ERROR;
        }
        s->need_metadata = TRUE;
      } else {
        from[k] = sp->pos;
        int64_t next = batches_end(pd->records);
        if (next > sp->pos)
          sp->pos = next;
        sp->hwm = pd->high_watermark;
      }
    }
  report_lag(s, ctx);
  send_fetches(s);
  /* Pass 2: the records. */
  rill_flow flow = RILL_FLOW_OK;
  k = 0;
  for (int32_t t = 0; t < fr->n_responses; t++)
    for (int32_t i = 0; i < fr->responses[t].n_partitions; i++, k++) {
      if (flow != RILL_FLOW_OK || from[k] == G_MAXINT64)
        continue;
      const rill__wire_fetch_response_partition_data *pd = &fr->responses[t].partitions[i];
      spart *sp = find_part(s, fr->responses[t].topic, pd->partition_index);
      flow = emit_records(s, ctx, sp, pd->records, from[k], out);
      /* skipped data (control batches) needs no processing: covered too */
      pentry *tail = g_queue_peek_tail(&sp->pending);
      if (tail && flow == RILL_FLOW_OK)
        tail->end = MAX(tail->end, sp->pos);
    }
  if (flow == RILL_FLOW_OK)
    flow = emit_built(s, out);
  if (s->tokbuf) {
    rill_buffer_unref(s->tokbuf); /* the batches hold it now */
    s->tokbuf = NULL;
    s->tok = NULL;
  }
  return flow;
}

/* ---- commits ---------------------------------------------------------------- */

/* Moves each partition's `processed` past the released prefix of its tokens.
 * TRUE when nothing emitted is still unprocessed. */
static gboolean advance_processed(src_state *s)
{
  gboolean all = TRUE;
  for (guint i = 0; i < s->parts->len; i++) {
    spart *sp = s->parts->pdata[i];
    pentry *e;
    while ((e = g_queue_peek_head(&sp->pending)) && g_atomic_int_get(&e->tok->done)) {
      sp->processed = e->end;
      token_unref(e->tok);
      g_free(g_queue_pop_head(&sp->pending));
    }
    if (g_queue_is_empty(&sp->pending))
      sp->processed = sp->pos;
    else
      all = FALSE;
  }
  return all;
}

/* Commits the processed positions that moved. Failures are logged, not
 * fatal: a later commit covers them, and a fenced one means a rebalance. */
static void commit_processed(src_state *s)
{
  if (!s->member || !s->conf->conf->enable_auto_commit || s->torn)
    return;
  advance_processed(s);
  /* after reading the tokens: a batch dropped by a cancel released its
   * token after the cancel flag was set, so this sees the flag */
  if (rill_ctx_is_cancelled(s->ctx))
    return;
  g_autoptr(GArray) offs = g_array_new(FALSE, TRUE, sizeof(rill__koffset));
  for (guint i = 0; i < s->parts->len; i++) {
    spart *sp = s->parts->pdata[i];
    if (sp->processed >= 0 && sp->processed != sp->committed) {
      rill__koffset o = {sp->topic, sp->partition, sp->processed};
      g_array_append_val(offs, o);
    }
  }
  gboolean fenced;
  GError *e = NULL;
  if (!rill__kmember_commit(s->member, offs, &fenced, &e)) {
    /* fenced: a rebalance follows; transport trouble: the next commit retries;
     * a refusal by the broker (authorization, ...) deserves a warning */
    gboolean refused = !fenced && e->domain == RILL_KAFKA_CLIENT_ERROR && e->code == RILL_KAFKA_CLIENT_ERROR_BROKER &&
                       !strstr(e->message, "NETWORK_EXCEPTION") && !strstr(e->message, "REQUEST_TIMED_OUT");
    g_log(G_LOG_DOMAIN, refused ? G_LOG_LEVEL_WARNING : G_LOG_LEVEL_DEBUG, "kafka source %s: commit: %s",
          rill_ctx_stage_name(s->ctx), e->message);
    g_error_free(e);
    return;
  }
  for (guint i = 0; i < offs->len; i++) {
    const rill__koffset *o = &g_array_index(offs, rill__koffset, i);
    for (guint j = 0; j < s->parts->len; j++) {
      spart *sp = s->parts->pdata[j];
      if (sp->partition == o->partition && sp->topic == o->topic)
        sp->committed = o->offset;
    }
  }
}

/* Waits (bounded) until every emitted record was processed, unless the
 * pipeline is cancelled. */
static void wait_processed(src_state *s)
{
  gint64 give_up = g_get_monotonic_time() + (gint64)DRAIN_WAIT_MS * 1000;
  while (!advance_processed(s) && !rill_ctx_is_cancelled(s->ctx) && g_get_monotonic_time() < give_up)
    g_usleep(2000);
}

/* Gives every partition back to the group: commit what was processed,
 * forget the rest (its fetches in flight are ignored: new epoch). */
static void revoke_all(src_state *s)
{
  if (!s->checkpointing) {
    wait_processed(s);
    commit_processed(s);
  }
  g_ptr_array_set_size(s->parts, 0);
  s->epoch++;
  rill__kmember_revoked(s->member);
}

/* Commits @offsets (next offsets to read) to the group, skipping partitions
 * the task no longer owns. A commit fenced by a rebalance is not an error:
 * the new owner re-reads. */
static gboolean commit_offsets(src_state *s, const rill__koffset *offsets, guint n, GError **error)
{
  if (!s->member)
    return TRUE;
  g_autoptr(GArray) offs = g_array_new(FALSE, TRUE, sizeof(rill__koffset));
  for (guint i = 0; i < n; i++) {
    rill__wire_str t = rill__wire_str_from(offsets[i].topic);
    spart *sp = find_part(s, t, offsets[i].partition);
    if (sp) {
      rill__koffset o = {sp->topic, sp->partition, offsets[i].offset};
      g_array_append_val(offs, o);
    }
  }
  gboolean fenced;
  GError *e = NULL;
  if (rill__kmember_commit(s->member, offs, &fenced, &e))
    return TRUE;
  if (fenced) {
    g_error_free(e);
    return TRUE;
  }
  g_propagate_error(error, e);
  return FALSE;
}

/* ---- life cycle -------------------------------------------------------------- */

static void src_close(rill_ctx *ctx, void *state);

static spart *add_part(src_state *s, const char *topic, int32_t p)
{
  spart *sp = g_new0(spart, 1);
  sp->topic = g_strdup(topic);
  sp->partition = p;
  sp->processed = -1;
  sp->committed = -1;
  sp->hwm = -1;
  g_ptr_array_add(s->parts, sp);
  return sp;
}

/* Takes a group assignment: committed offsets, else the configured start. */
static gboolean assign(src_state *s, GArray *a, GError **error)
{
  g_ptr_array_set_size(s->parts, 0);
  s->epoch++;
  for (guint i = 0; i < a->len; i++) {
    const rill__koffset *o = &g_array_index(a, rill__koffset, i);
    spart *sp = add_part(s, o->topic, o->partition);
    sp->pos = o->offset;
    sp->committed = o->offset;
    g_autofree char *key = g_strdup_printf("%s\n%d", o->topic, o->partition);
    const int64_t *restored = s->restored ? g_hash_table_lookup(s->restored, key) : NULL;
    if (restored)
      sp->pos = *restored;
  }
  g_autoptr(GPtrArray) topics = part_topics(s);
  if (topics->len > 1 && !rill__kclient_refresh_metadata(s->client, (const char *const *)topics->pdata, error))
    return FALSE;
  for (guint i = 0; i < s->parts->len; i++) {
    spart *sp = s->parts->pdata[i];
    if (sp->pos < 0 && !start_position(s, sp, error))
      return FALSE;
    g_debug("kafka source %s: assigned %s [%d] at %" G_GINT64_FORMAT, rill_ctx_stage_name(s->ctx), sp->topic,
            sp->partition, sp->pos);
  }
  return TRUE;
}

/* Connects and positions this task's partitions (manual assignment). */
static gboolean src_start(rill_ctx *ctx, src_state *s, src_conf *c, GError **error)
{
  if (!(s->client = rill__kclient_new(c->conf, error)))
    return FALSE;
  /* A consumer never creates topics: a typo must not leave a new topic behind. */
  rill__kclient_set_auto_create(s->client, FALSE);
  if (c->topics) {
    s->member = rill__kmember_new(s->client, c->conf->group_id, (const char *const *)c->topics, error);
    s->next_commit = g_get_monotonic_time() + (gint64)c->conf->auto_commit_interval_ms * 1000;
    return s->member != NULL;
  }
  const char *topics[] = {c->topic, NULL};
  int32_t n = -1;
  int16_t terr = 0;
  gint64 give_up = g_get_monotonic_time() + (gint64)c->conf->request_timeout_ms * 1000;
  while (n <= 0) {
    if (!rill__kclient_refresh_metadata(s->client, topics, error))
      return FALSE;
    n = rill__kclient_partition_count(s->client, c->topic, &terr);
    if (n <= 0 && terr == RILL_KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION) {
      g_set_error(error, RILL_KAFKA_CLIENT_ERROR, RILL_KAFKA_CLIENT_ERROR_BROKER,
                  "topic '%s' does not exist (UNKNOWN_TOPIC_OR_PARTITION); a source never creates topics "
                  "(create it with rill-topics create)", c->topic);
      return FALSE;
    }
    if (n <= 0 && (!rill__kerror_retriable(terr) || g_get_monotonic_time() >= give_up)) {
      g_autofree char *what = g_strdup_printf("metadata of topic '%s'", c->topic);
      rill__kclient_set_error(error, terr, what, NULL);
      return FALSE;
    }
    if (n <= 0)
      g_usleep((gulong)c->conf->retry_backoff_ms * 1000);
  }
  guint task = rill_ctx_task_index(ctx), P = rill_ctx_parallelism(ctx);
  guint total = c->partitions ? c->n_partitions : (guint)n;
  for (guint i = 0; i < total; i++) {
    int32_t p = c->partitions ? c->partitions[i] : (int32_t)i;
    if (i % P != task)
      continue;
    if (p < 0 || p >= n) {
      g_set_error(error, RILL_KAFKA_CLIENT_ERROR, RILL_KAFKA_CLIENT_ERROR_CONFIG, "%s has no partition %d", c->topic, p);
      return FALSE;
    }
    spart *sp = add_part(s, c->topic, p);
    gboolean ok = start_position(s, sp, error);
    if (ok && c->stop_at_end)
      ok = list_offset(s, c->topic, p, -1, &sp->end, error);
    if (!ok)
      return FALSE;
  }
  return TRUE;
}

static gboolean src_open(rill_ctx *ctx, void *user_data, const guint *splits, guint n_splits, void **state,
                         GError **error)
{
  src_state *s = g_new0(src_state, 1);
  s->conf = user_data;
  s->ctx = ctx;
  s->checkpointing = rill_ctx_checkpoints_enabled(ctx);
  s->done = g_async_queue_new();
  s->parts = g_ptr_array_new_with_free_func((GDestroyNotify)spart_free);
  s->builder = rill_batch_builder_new(0);
  rill__batch_reader_init(&s->reader);
  if (!src_start(ctx, s, user_data, error)) {
    src_close(ctx, s);
    return FALSE;
  }
  *state = s;
  return TRUE;
}

/* Group mode: the member's news, and auto-commit. */
static rill_flow group_step(src_state *s, rill_ctx *ctx)
{
  GArray *a = NULL;
  GError *e = NULL;
  switch (rill__kmember_poll(s->member, &a, &e)) {
  case RILL__KMEMBER_REVOKE:
    revoke_all(s);
    break;
  case RILL__KMEMBER_ASSIGN: {
    gboolean ok = assign(s, a, &e);
    rill__koffsets_free(a);
    if (!ok) {
      rill_ctx_set_error(ctx, e);
      return RILL_FLOW_ERROR;
    }
    break;
  }
  case RILL__KMEMBER_ERROR:
    rill_ctx_set_error(ctx, e);
    return RILL_FLOW_ERROR;
  case RILL__KMEMBER_IDLE:
    break;
  }
  gint64 now = g_get_monotonic_time();
  if (!s->checkpointing && now >= s->next_commit) {
    commit_processed(s);
    s->next_commit = now + (gint64)s->conf->conf->auto_commit_interval_ms * 1000;
  }
  return RILL_FLOW_OK;
}

static rill_flow src_read(rill_ctx *ctx, void *state, rill_emitter *out)
{
  src_state *s = state;
  if (s->conf->stop_at_end) {
    gboolean all = TRUE;
    for (guint i = 0; i < s->parts->len; i++) {
      spart *sp = s->parts->pdata[i];
      all = all && sp->pos >= sp->end;
    }
    if (all)
      return RILL_FLOW_EOS;
  }
  if (rill_ctx_is_stopping(ctx))
    return RILL_FLOW_EOS;
  if (s->member && group_step(s, ctx) != RILL_FLOW_OK)
    return RILL_FLOW_ERROR;
  if (s->need_metadata) {
    s->need_metadata = FALSE;
    g_autoptr(GPtrArray) topics = part_topics(s);
    GError *e = NULL;
    if (topics->len > 1 && !rill__kclient_refresh_metadata(s->client, (const char *const *)topics->pdata, &e)) {
      g_debug("kafka source: metadata: %s", e->message);
      g_error_free(e);
    }
  }
  send_fetches(s);
  fcall *f = g_async_queue_timeout_pop(s->done, RILL_SOURCE_WAIT_MS * 1000);
  if (!f) {
    if (s->need_metadata)
      g_usleep((gulong)s->conf->conf->retry_backoff_ms * 1000);
    return RILL_FLOW_OK;
  }
  rill_flow flow = handle_fetch(s, ctx, f, out);
  if (flow != RILL_FLOW_OK)
    s->torn = TRUE;
  fcall_free(f);
  return flow;
}

static void src_close(rill_ctx *ctx, void *state)
{
  src_state *s = state;
  if (s->member) {
    /* after a clean drain: commit what downstream finished with */
    if (!rill_ctx_is_cancelled(ctx) && !s->checkpointing) {
      wait_processed(s);
      commit_processed(s);
    }
    rill__kmember_free(s->member); /* LeaveGroup */
  }
  rill__kclient_free(s->client); /* completes every fetch in flight */
  fcall *f;
  while ((f = g_async_queue_try_pop(s->done)))
    fcall_free(f);
  g_async_queue_unref(s->done);
  g_queue_clear_full(&s->snaps, (GDestroyNotify)ksnap_free);
  if (s->restored)
    g_hash_table_unref(s->restored);
  rill__batch_reader_clear(&s->reader);
  rill_batch_builder_free(s->builder);
  g_ptr_array_unref(s->parts);
  g_free(s);
}

/* ---- checkpoints ------------------------------------------------------------
 * Snapshot: u32 partitions, per partition: topic bytes, u32 partition,
 * i64 position (next offset to emit), i64 end (stop_at_end bound). */

static rill_flow src_snapshot(rill_ctx *ctx, void *state, uint64_t id, GByteArray *out)
{
  src_state *s = state;
  ksnap *k = NULL;
  if (s->member) {
    k = g_new0(ksnap, 1);
    k->id = id;
    k->offsets = g_array_new(FALSE, TRUE, sizeof(rill__koffset));
  }
  rill__snap_u32(out, s->parts->len);
  for (guint i = 0; i < s->parts->len; i++) {
    const spart *sp = s->parts->pdata[i];
    rill__snap_bytes(out, sp->topic, strlen(sp->topic));
    rill__snap_u32(out, (uint32_t)sp->partition);
    rill__snap_i64(out, sp->pos);
    rill__snap_i64(out, sp->end);
    if (k) {
      rill__koffset o = {g_strdup(sp->topic), sp->partition, sp->pos};
      g_array_append_val(k->offsets, o);
    }
  }
  if (k)
    g_queue_push_tail(&s->snaps, k);
  return RILL_FLOW_OK;
}

static gboolean src_restore(rill_ctx *ctx, void *state, const uint8_t *data, size_t len, GError **error)
{
  src_state *s = state;
  rill__snap_reader r = rill__snap_reader_init(data, len);
  uint32_t n = rill__snap_get_u32(&r);
  if (s->member)
    s->restored = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  for (uint32_t i = 0; r.ok && i < n; i++) {
    size_t tlen;
    const uint8_t *t = rill__snap_get_bytes(&r, &tlen);
    int32_t partition = (int32_t)rill__snap_get_u32(&r);
    int64_t pos = rill__snap_get_i64(&r), end = rill__snap_get_i64(&r);
    if (!r.ok)
      break;
    g_autofree char *topic = g_strndup((const char *)t, tlen);
    if (s->member) {
      g_hash_table_replace(s->restored, g_strdup_printf("%s\n%d", topic, partition), g_memdup2(&pos, sizeof pos));
      continue;
    }
    spart *sp = find_part(s, rill__wire_str_from(topic), partition);
    if (!sp) {
      g_set_error(error, RILL_KAFKA_CLIENT_ERROR, RILL_KAFKA_CLIENT_ERROR_CONFIG,
                  "kafka source checkpoint: %s [%d] is not among this task's partitions", topic, partition);
      return FALSE;
    }
    sp->pos = pos;
    sp->end = end;
  }
  if (!rill__snap_done(&r)) {
    g_set_error(error, RILL_KAFKA_CLIENT_ERROR, RILL_KAFKA_CLIENT_ERROR_CONFIG, "kafka source checkpoint is malformed");
    return FALSE;
  }
  return TRUE;
}

/* Commits the positions snapshotted for checkpoint @id (group mode); older
 * pending snapshots are superseded. A failed commit is retried by the next
 * checkpoint's (positions only grow) and the restart path does not need it. */
static void src_checkpoint_complete(rill_ctx *ctx, void *state, uint64_t id)
{
  src_state *s = state;
  ksnap *k;
  while ((k = g_queue_peek_head(&s->snaps)) && k->id <= id) {
    g_queue_pop_head(&s->snaps);
    if (k->id == id) {
      GError *e = NULL;
      if (k->offsets->len &&
          !commit_offsets(s, (const rill__koffset *)(void *)k->offsets->data, k->offsets->len, &e)) {
        g_debug("kafka source %s: commit of checkpoint %" G_GUINT64_FORMAT ": %s", rill_ctx_stage_name(ctx), id,
                e->message);
        g_error_free(e);
      }
    }
    ksnap_free(k);
  }
}

static const rill_source_class kafka_source_class = {
  .type_name = "kafka-source",
  .open = src_open,
  .read = src_read,
  .close = src_close,
  .snapshot = src_snapshot,
  .restore = src_restore,
  .on_checkpoint_complete = src_checkpoint_complete,
};

rill_stage *rill_pipeline_add_kafka_source(rill_pipeline *pipeline, const char *name,
                                           const rill_kafka_source_options *options, GError **error)
{
  g_return_val_if_fail(pipeline != NULL && options != NULL && options->conf != NULL, NULL);
  g_return_val_if_fail(options->topic != NULL || options->topics != NULL, NULL);
  if (!*options->conf->bootstrap_servers) {
    g_set_error(error, RILL_KAFKA_CLIENT_ERROR, RILL_KAFKA_CLIENT_ERROR_CONFIG, "bootstrap.servers is not set");
    return NULL;
  }
  gboolean group = *options->conf->group_id != '\0';
  if (group && (options->partitions || options->stop_at_end)) {
    g_set_error(error, RILL_KAFKA_CLIENT_ERROR, RILL_KAFKA_CLIENT_ERROR_CONFIG,
                "group.id is set: the group assigns partitions (no partitions list, no stop_at_end)");
    return NULL;
  }
  if (!group && (options->topics || options->topic[0] == '^')) {
    g_set_error(error, RILL_KAFKA_CLIENT_ERROR, RILL_KAFKA_CLIENT_ERROR_CONFIG,
                "several topics or a topic pattern need a consumer group (group.id)");
    return NULL;
  }
  src_conf *c = g_new0(src_conf, 1);
  c->conf = rill_kafka_conf_copy(options->conf);
  c->topic = g_strdup(options->topic);
  if (group) {
    const char *one[] = {options->topic, NULL};
    c->topics = g_strdupv((char **)(options->topics ? options->topics : one));
  }
  c->partitions = options->partitions ? g_memdup2(options->partitions, sizeof(int32_t) * options->n_partitions) : NULL;
  c->n_partitions = options->partitions ? options->n_partitions : 0;
  c->from = options->from;
  c->from_value = options->from_value;
  c->stop_at_end = options->stop_at_end;
  return rill_pipeline_add_source(pipeline, name, &kafka_source_class, c, (GDestroyNotify)src_conf_free);
}
