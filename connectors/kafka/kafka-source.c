/* kafka-source.c — the pipeline source over the client core: manual
 * assignment (partitions dealt to tasks by index % P), start at
 * earliest/latest/offset/timestamp (ListOffsets), and fetch pipelining.
 *
 * Pipelining: a task keeps one Fetch in flight per leader broker. When a
 * response arrives, read() first advances the partitions' positions from the
 * batch headers and sends the next Fetch, and only then decodes and emits
 * the records, so the broker works on the next fetch while the pipeline
 * processes this one.
 *
 * Errors: NOT_LEADER_OR_FOLLOWER, LEADER_NOT_AVAILABLE, transport failures
 * and the like refresh the metadata and fetch from the new leader;
 * OFFSET_OUT_OF_RANGE restarts the partition per auto.offset.reset (error:
 * the pipeline fails); anything else fails the pipeline. */
#include <rill/kafka.h>
#include <rill/source.h>

#include "connectors/kafka/kclient.h"
#include "runtime/wire/recordbatch.h"

typedef struct {
  rill_kafka_conf *conf;
  char *topic;
  int32_t *partitions; /* NULL: all */
  guint n_partitions;
  rill_kafka_from from;
  int64_t from_value;
  gboolean stop_at_end;
} src_conf;

typedef struct {
  int32_t partition;
  int64_t pos;      /* next offset to fetch */
  int64_t end;      /* stop_at_end: the high watermark at start */
  gboolean fetching;
} spart;

typedef struct src_state src_state;

typedef struct {
  src_state *s;
  rill_wire_fetch_request req;
  rill_wire_fetch_request_fetch_topic topic;
  rill_wire_fetch_request_fetch_partition *parts;
  rill__kreq *resp; /* set on completion */
} fcall;

struct src_state {
  src_conf *conf;
  rill__kclient *client;
  spart *parts;
  int n;
  GAsyncQueue *done;   /* completed fcall* */
  gboolean need_metadata;
  rill__batch_reader reader;
};

static void src_conf_free(src_conf *c)
{
  rill_kafka_conf_free(c->conf);
  g_free(c->topic);
  g_free(c->partitions);
  g_free(c);
}

static spart *find_part(src_state *s, int32_t p)
{
  for (int i = 0; i < s->n; i++)
    if (s->parts[i].partition == p)
      return &s->parts[i];
  return NULL;
}

/* Offset for @ts (-2 earliest, -1 latest, or a timestamp) of partition @p. */
static gboolean list_offset(src_state *s, int32_t p, int64_t ts, int64_t *offset, GError **error)
{
  gint64 give_up = g_get_monotonic_time() + (gint64)s->conf->conf->request_timeout_ms * 1000;
  for (;;) {
    int32_t leader = rill__kclient_leader(s->client, s->conf->topic, p);
    int16_t err = 5;
    if (leader >= 0) {
      rill_wire_list_offsets_request req;
      rill_wire_list_offsets_request_init(&req);
      rill_wire_list_offsets_request_list_offsets_topic t = {0};
      rill_wire_list_offsets_request_list_offsets_partition pp = {0};
      req.replica_id = -1;
      pp.partition_index = p;
      pp.timestamp = ts;
      pp.current_leader_epoch = -1;
      pp.max_num_offsets = 1;
      t.name = rill_wire_str_from(s->conf->topic);
      t.partitions = &pp;
      t.n_partitions = 1;
      req.topics = &t;
      req.n_topics = 1;
      /* v2 is what librdkafka sends; the mock cluster mis-encodes v5 */
      rill__kreq *r = rill__kclient_call(s->client, leader, RILL_WIRE_API_LIST_OFFSETS, 2, &req, error);
      if (!r)
        return FALSE;
      const rill_wire_list_offsets_response *lr = &r->resp.list_offsets;
      err = -1;
      if (lr->n_topics == 1 && lr->topics[0].n_partitions == 1) {
        const rill_wire_list_offsets_response_list_offsets_partition_response *pr = &lr->topics[0].partitions[0];
        err = pr->error_code;
        *offset = r->version == 0 ? (pr->n_old_style_offsets > 0 ? pr->old_style_offsets[0] : -1) : pr->offset;
      }
      rill__kreq_free(r);
      if (!err)
        return TRUE;
    }
    if (!rill__kerror_retriable(err) || g_get_monotonic_time() >= give_up) {
      g_autofree char *what = g_strdup_printf("ListOffsets %s [%d]", s->conf->topic, p);
      rill__kclient_set_error(error, err, what, NULL);
      return FALSE;
    }
    g_usleep((gulong)s->conf->conf->retry_backoff_ms * 1000);
    const char *topics[] = {s->conf->topic, NULL};
    if (!rill__kclient_refresh_metadata(s->client, topics, error))
      return FALSE;
  }
}

/* The start position of @sp per auto.offset.reset. */
static gboolean reset_offset(src_state *s, spart *sp, GError **error)
{
  if (s->conf->conf->auto_offset_reset == RILL__KRESET_ERROR) {
    g_set_error(error, RILL_KAFKA_CLIENT_ERROR, RILL_KAFKA_CLIENT_ERROR_BROKER,
                "%s [%d]: offset %" G_GINT64_FORMAT " out of range and auto.offset.reset=error", s->conf->topic,
                sp->partition, sp->pos);
    return FALSE;
  }
  return list_offset(s, sp->partition, s->conf->conf->auto_offset_reset == RILL__KRESET_EARLIEST ? -2 : -1,
                     &sp->pos, error);
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
  g_free(f->parts);
  g_free(f);
}

/* Sends a Fetch to each leader for its partitions that have none in flight. */
static void send_fetches(src_state *s)
{
  const rill_kafka_conf *kc = s->conf->conf;
  GHashTable *calls = g_hash_table_new(NULL, NULL);
  for (int i = 0; i < s->n; i++) {
    spart *sp = &s->parts[i];
    if (sp->fetching || (s->conf->stop_at_end && sp->pos >= sp->end))
      continue;
    int32_t leader = rill__kclient_leader(s->client, s->conf->topic, sp->partition);
    if (leader < 0) {
      s->need_metadata = TRUE;
      continue;
    }
    fcall *f = g_hash_table_lookup(calls, GINT_TO_POINTER(leader + 1));
    if (!f) {
      f = g_new0(fcall, 1);
      f->s = s;
      f->parts = g_new0(rill_wire_fetch_request_fetch_partition, s->n);
      g_hash_table_insert(calls, GINT_TO_POINTER(leader + 1), f);
    }
    rill_wire_fetch_request_fetch_partition *fp = &f->parts[f->topic.n_partitions++];
    fp->partition = sp->partition;
    fp->fetch_offset = sp->pos;
    fp->current_leader_epoch = -1;
    fp->last_fetched_epoch = -1;
    fp->log_start_offset = -1;
    fp->partition_max_bytes = kc->max_partition_fetch_bytes;
    sp->fetching = TRUE;
  }
  GHashTableIter it;
  gpointer key, val;
  g_hash_table_iter_init(&it, calls);
  while (g_hash_table_iter_next(&it, &key, &val)) {
    fcall *f = val;
    rill_wire_fetch_request_init(&f->req);
    f->req.replica_id = -1;
    f->req.max_wait_ms = kc->fetch_wait_max_ms;
    f->req.min_bytes = kc->fetch_min_bytes;
    f->req.max_bytes = kc->fetch_max_bytes;
    f->topic.topic = rill_wire_str_from(s->conf->topic);
    f->topic.partitions = f->parts;
    f->req.topics = &f->topic;
    f->req.n_topics = 1;
    rill__kreq *r = rill__kreq_new(RILL_WIRE_API_FETCH, 11, &f->req);
    r->extra_timeout_ms = kc->fetch_wait_max_ms;
    rill__kclient_submit(s->client, GPOINTER_TO_INT(key) - 1, r, on_fetched, f);
  }
  g_hash_table_destroy(calls);
}

/* Where the complete batches in @rec end: the offset after the last record
 * of the last whole batch, or -1 when none is whole. */
static int64_t batches_end(rill_wire_bytes rec)
{
  int64_t next = -1;
  size_t off = 0;
  while (rec.len > 0 && off + 61 <= (size_t)rec.len) {
    const uint8_t *b = rec.ptr + off;
    int64_t base = (int64_t)rill_be64(b);
    int32_t blen = (int32_t)rill_be32(b + 8);
    if (blen < 49 || off + 12 + (size_t)blen > (size_t)rec.len)
      break;
    next = base + (int32_t)rill_be32(b + 23) + 1;
    off += 12 + (size_t)blen;
  }
  return next;
}

/* Emits the records of @rec at or after @from (and before @end when >= 0). */
static rill_flow emit_records(src_state *s, rill_ctx *ctx, int32_t partition, rill_wire_bytes rec, int64_t from,
                              rill_emitter *out)
{
  size_t off = 0;
  GError *error = NULL;
  g_autoptr(GArray) hdrs = g_array_new(FALSE, FALSE, sizeof(rill_header));
  while (rec.len > 0 && off + 61 <= (size_t)rec.len) {
    int32_t blen = (int32_t)rill_be32(rec.ptr + off + 8);
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
      rill_record out_rec = RILL_RECORD_INIT;
      out_rec.key = r.key ? rill_bytes_make(r.key, (size_t)r.key_len) : (rill_bytes){NULL, 0};
      out_rec.value = r.value ? rill_bytes_make(r.value, (size_t)r.value_len) : (rill_bytes){NULL, 0};
      out_rec.timestamp = r.timestamp;
      out_rec.partition = partition;
      out_rec.offset = r.offset;
      out_rec.topic = s->conf->topic;
      g_array_set_size(hdrs, 0);
      rill__record_header_iter it;
      rill__record_header h;
      rill__record_header_iter_init(&it, &r);
      while (rill__record_header_iter_next(&it, &h)) {
        rill_header rh = {rill_bytes_make(h.key, (size_t)h.key_len),
                          h.value ? rill_bytes_make(h.value, (size_t)h.value_len) : (rill_bytes){NULL, 0}};
        g_array_append_val(hdrs, rh);
      }
      out_rec.headers = (const rill_header *)hdrs->data;
      out_rec.n_headers = hdrs->len;
      rill_flow flow = rill_emit_record(out, &out_rec);
      if (flow != RILL_FLOW_OK)
        return flow;
    }
    if (rc < 0)
      goto fail;
  }
  return RILL_FLOW_OK;
fail:
  g_prefix_error(&error, "%s [%d]: ", s->conf->topic, partition);
  rill_ctx_set_error(ctx, error);
  return RILL_FLOW_ERROR;
}

static rill_flow handle_fetch(src_state *s, rill_ctx *ctx, fcall *f, rill_emitter *out)
{
  rill__kreq *r = f->resp;
  for (int32_t i = 0; i < f->topic.n_partitions; i++) {
    spart *sp = find_part(s, f->parts[i].partition);
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
  const rill_wire_fetch_response *fr = &r->resp.fetch;
  /* Pass 1: positions, errors; then the next fetch goes out. */
  int64_t *from = g_new0(int64_t, (gsize)s->n);
  for (int32_t t = 0; t < fr->n_responses; t++)
    for (int32_t i = 0; i < fr->responses[t].n_partitions; i++) {
      const rill_wire_fetch_response_partition_data *pd = &fr->responses[t].partitions[i];
      spart *sp = find_part(s, pd->partition_index);
      if (!sp)
        continue;
      from[sp - s->parts] = sp->pos;
      if (pd->error_code == RILL_KAFKA_ERR_OFFSET_OUT_OF_RANGE) {
        GError *e = NULL;
        if (!reset_offset(s, sp, &e)) {
          g_free(from);
          rill_ctx_set_error(ctx, e);
          return RILL_FLOW_ERROR;
        }
        from[sp - s->parts] = G_MAXINT64;
      } else if (pd->error_code) {
        if (!rill__kerror_retriable(pd->error_code)) {
          GError *e = NULL;
          g_autofree char *what = g_strdup_printf("Fetch %s [%d]", s->conf->topic, sp->partition);
          rill__kclient_set_error(&e, pd->error_code, what, NULL);
          g_free(from);
          rill_ctx_set_error(ctx, e);
          return RILL_FLOW_ERROR;
        }
        s->need_metadata = TRUE;
        from[sp - s->parts] = G_MAXINT64;
      } else {
        int64_t next = batches_end(pd->records);
        if (next > sp->pos)
          sp->pos = next;
      }
    }
  send_fetches(s);
  /* Pass 2: the records. */
  rill_flow flow = RILL_FLOW_OK;
  for (int32_t t = 0; t < fr->n_responses && flow == RILL_FLOW_OK; t++)
    for (int32_t i = 0; i < fr->responses[t].n_partitions && flow == RILL_FLOW_OK; i++) {
      const rill_wire_fetch_response_partition_data *pd = &fr->responses[t].partitions[i];
      spart *sp = find_part(s, pd->partition_index);
      if (sp && !pd->error_code && from[sp - s->parts] != G_MAXINT64)
        flow = emit_records(s, ctx, sp->partition, pd->records, from[sp - s->parts], out);
    }
  g_free(from);
  return flow;
}

static void src_close(rill_ctx *ctx, void *state);

/* Connects and positions this task's partitions. */
static gboolean src_start(rill_ctx *ctx, src_state *s, src_conf *c, GError **error)
{
  if (!(s->client = rill__kclient_new(c->conf, error)))
    return FALSE;
  const char *topics[] = {c->topic, NULL};
  int32_t n = -1;
  int16_t terr = 0;
  gint64 give_up = g_get_monotonic_time() + (gint64)c->conf->request_timeout_ms * 1000;
  while (n <= 0) {
    if (!rill__kclient_refresh_metadata(s->client, topics, error))
      return FALSE;
    n = rill__kclient_partition_count(s->client, c->topic, &terr);
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
  s->parts = g_new0(spart, total);
  for (guint i = 0; i < total; i++) {
    int32_t p = c->partitions ? c->partitions[i] : (int32_t)i;
    if (i % P != task)
      continue;
    if (p < 0 || p >= n) {
      g_set_error(error, RILL_KAFKA_CLIENT_ERROR, RILL_KAFKA_CLIENT_ERROR_CONFIG, "%s has no partition %d", c->topic, p);
      return FALSE;
    }
    spart *sp = &s->parts[s->n++];
    sp->partition = p;
    gboolean ok = TRUE;
    switch (c->from) {
    case RILL_KAFKA_FROM_COMMITTED: /* no group: the reset policy decides */
      ok = reset_offset(s, sp, error);
      break;
    case RILL_KAFKA_FROM_EARLIEST:
      ok = list_offset(s, p, -2, &sp->pos, error);
      break;
    case RILL_KAFKA_FROM_LATEST:
      ok = list_offset(s, p, -1, &sp->pos, error);
      break;
    case RILL_KAFKA_FROM_OFFSET:
      sp->pos = c->from_value;
      break;
    case RILL_KAFKA_FROM_TIMESTAMP:
      ok = list_offset(s, p, c->from_value, &sp->pos, error);
      if (ok && sp->pos < 0) /* no record that late: start at the end */
        ok = list_offset(s, p, -1, &sp->pos, error);
      break;
    }
    if (ok && c->stop_at_end)
      ok = list_offset(s, p, -1, &sp->end, error);
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
  s->done = g_async_queue_new();
  rill__batch_reader_init(&s->reader);
  if (!src_start(ctx, s, user_data, error)) {
    src_close(ctx, s);
    return FALSE;
  }
  *state = s;
  return TRUE;
}

static rill_flow src_read(rill_ctx *ctx, void *state, rill_emitter *out)
{
  src_state *s = state;
  if (s->conf->stop_at_end) {
    gboolean all = TRUE;
    for (int i = 0; i < s->n; i++)
      all = all && s->parts[i].pos >= s->parts[i].end;
    if (all)
      return RILL_FLOW_EOS;
  }
  if (rill_ctx_is_stopping(ctx))
    return RILL_FLOW_EOS;
  if (s->need_metadata) {
    s->need_metadata = FALSE;
    const char *topics[] = {s->conf->topic, NULL};
    GError *e = NULL;
    if (!rill__kclient_refresh_metadata(s->client, topics, &e)) {
      g_debug("kafka source: metadata: %s", e->message);
      g_error_free(e);
    }
  }
  send_fetches(s);
  fcall *f = g_async_queue_timeout_pop(s->done, 100000);
  if (!f) {
    if (s->need_metadata)
      g_usleep((gulong)s->conf->conf->retry_backoff_ms * 1000);
    return RILL_FLOW_OK;
  }
  rill_flow flow = handle_fetch(s, ctx, f, out);
  fcall_free(f);
  return flow;
}

static void src_close(rill_ctx *ctx, void *state)
{
  src_state *s = state;
  rill__kclient_free(s->client); /* completes every fetch in flight */
  fcall *f;
  while ((f = g_async_queue_try_pop(s->done)))
    fcall_free(f);
  g_async_queue_unref(s->done);
  rill__batch_reader_clear(&s->reader);
  g_free(s->parts);
  g_free(s);
}

static const rill_source_class kafka_source_class = {
  .type_name = "kafka-source",
  .open = src_open,
  .read = src_read,
  .close = src_close,
};

rill_stage *rill_kafka_source_add(rill_pipeline *pipeline, const char *name, const rill_kafka_source_options *options,
                                  GError **error)
{
  g_return_val_if_fail(pipeline != NULL && options != NULL && options->topic != NULL && options->conf != NULL, NULL);
  if (!*options->conf->bootstrap_servers) {
    g_set_error(error, RILL_KAFKA_CLIENT_ERROR, RILL_KAFKA_CLIENT_ERROR_CONFIG, "bootstrap.servers is not set");
    return NULL;
  }
  if (*options->conf->group_id) {
    g_set_error(error, RILL_KAFKA_CLIENT_ERROR, RILL_KAFKA_CLIENT_ERROR_CONFIG,
                "group.id is set, but consumer groups are not implemented yet: use manual assignment");
    return NULL;
  }
  src_conf *c = g_new0(src_conf, 1);
  c->conf = rill_kafka_conf_copy(options->conf);
  c->topic = g_strdup(options->topic);
  c->partitions = options->partitions ? g_memdup2(options->partitions, sizeof(int32_t) * options->n_partitions) : NULL;
  c->n_partitions = options->partitions ? options->n_partitions : 0;
  c->from = options->from;
  c->from_value = options->from_value;
  c->stop_at_end = options->stop_at_end;
  return rill_pipeline_add_source(pipeline, name, &kafka_source_class, c, (GDestroyNotify)src_conf_free);
}
