/* rill-consume — console consumer in the spirit of kcat -C, on rill's own
 * Kafka client.
 *
 *   rill-consume -b HOST:PORT -t TOPIC [-p N]... [-o SPEC] [-c N] [-e]
 *                [-f FORMAT | -J] [-K DELIM] [-D DELIM] [-Z] [-G GROUP]
 *
 * Without -G it reads the given (or all) partitions from the -o position;
 * with -G it is a member of GROUP (the connector's group member,
 * connectors/kafka/consumer-group.h: classic protocol, the assignors of
 * partition.assignment.strategy, heartbeats on the member's own thread),
 * starts at the committed offsets (else -o, else auto.offset.reset) and
 * commits what it printed after every fetch, before giving partitions away
 * in a rebalance, and on exit. Records are printed as soon as a
 * fetch returns them; stdout is flushed after every fetch.
 *
 * The positions kept per partition are "next offset to print": records
 * before it in a fetched batch are skipped, so a start in the middle of a
 * batch and refetches after errors print nothing twice. Exit codes:
 * docs/tools.md. */
#include <stdio.h>
#include <stdlib.h>

#include "format.h"
#include "connectors/kafka/consumer-group.h"
#include "tool.h"

typedef struct {
  char *topic;    /* owned */
  int32_t partition;
  int64_t pos;    /* next offset to print */
  int64_t hwm;    /* high watermark last seen */
} cpart;

typedef struct {
  tool_common common;
  char **topics;
  int *partitions_opt;
  char **partition_args;
  char *offset;
  gint64 count;
  gboolean exit_at_end;
  char *format;
  gboolean json;
  char *key_delim;
  char *msg_delim;
  gboolean null_text;
  char *group;
  rill__kclient *client;
  rill_kafka_conf *conf;
  tool_format *fmt;
  GArray *parts;  /* cpart */
  rill__kmember *member;
  gint64 printed;
  rill__batch_reader reader;
} consumer;

/* Where a partition starts per the -o spec (NULL: auto.offset.reset). */
static gboolean start_offset(consumer *c, const char *topic, int32_t np, const char *spec, int64_t *out,
                             GError **error)
{
  g_autofree int64_t *lo = g_new0(int64_t, (gsize)np), *hi = g_new0(int64_t, (gsize)np);
  if (!rill__kadmin_list_offsets(c->client, topic, np, -2, lo, error) ||
      !rill__kadmin_list_offsets(c->client, topic, np, -1, hi, error))
    return FALSE;
  gint64 n = 0;
  for (int32_t p = 0; p < np; p++) {
    if (!spec)
      out[p] = c->conf->auto_offset_reset == 0 ? lo[p] : hi[p];
    else if (!strcmp(spec, "beginning") || !strcmp(spec, "earliest"))
      out[p] = lo[p];
    else if (!strcmp(spec, "end") || !strcmp(spec, "latest"))
      out[p] = hi[p];
    else if (g_str_has_prefix(spec, "s@") || spec[0] == '@') {
      if (!tool_parse_int64(spec + (spec[0] == '@' ? 1 : 2), &n)) {
        tool_usage_error(error, "-o %s: expected s@MILLISECONDS", spec);
        return FALSE;
      }
      g_autofree int64_t *at = g_new0(int64_t, (gsize)np);
      if (!rill__kadmin_list_offsets(c->client, topic, np, n, at, error))
        return FALSE;
      for (int32_t q = 0; q < np; q++)
        out[q] = at[q] >= 0 ? at[q] : hi[q];
      return TRUE;
    } else if (tool_parse_int64(spec, &n)) {
      out[p] = n >= 0 ? MIN(MAX(n, lo[p]), hi[p]) : MAX(hi[p] + n, lo[p]);
    } else {
      tool_usage_error(error, "-o %s: expected beginning, end, N, -N or s@MILLISECONDS", spec);
      return FALSE;
    }
  }
  return TRUE;
}

/* The -t arguments that name a topic (not a ^pattern), NULL-terminated;
 * strings not owned. */
static GPtrArray *literal_topics(consumer *c)
{
  GPtrArray *t = g_ptr_array_new();
  for (guint i = 0; c->topics[i]; i++)
    if (c->topics[i][0] != '^')
      g_ptr_array_add(t, c->topics[i]);
  g_ptr_array_add(t, NULL);
  return t;
}

/* The distinct topics of @a (rill__koffset), NULL-terminated; strings not owned. */
static GPtrArray *offsets_topics(GArray *a)
{
  GPtrArray *t = g_ptr_array_new();
  for (guint i = 0; i < a->len; i++) {
    const char *name = g_array_index(a, rill__koffset, i).topic;
    if (!g_ptr_array_find_with_equal_func(t, name, g_str_equal, NULL))
      g_ptr_array_add(t, (gpointer)name);
  }
  g_ptr_array_add(t, NULL);
  return t;
}

/* Partition counts of every named topic; unknown topics are an error (no
 * auto-creation by a consumer). ^patterns are resolved by the group. */
static gboolean check_topics(consumer *c, GError **error)
{
  g_autoptr(GPtrArray) named = literal_topics(c);
  if (named->len == 1)
    return TRUE;
  const char *const *topics = (const char *const *)named->pdata;
  rill__kreq *r = rill__kadmin_metadata(c->client, topics, error);
  if (!r)
    return FALSE;
  const rill__wire_metadata_response *m = &r->resp.metadata;
  for (int32_t i = 0; i < m->n_topics; i++)
    if (m->topics[i].error_code) {
      g_autofree char *what = g_strdup_printf("topic '%.*s'", m->topics[i].name.len, m->topics[i].name.ptr);
      rill__kclient_set_error(error, m->topics[i].error_code, what, NULL);
      rill__kreq_free(r);
      return FALSE;
    }
  rill__kreq_free(r);
  return rill__kclient_refresh_metadata(c->client, topics, error);
}

static void parts_clear(gpointer p)
{
  g_free(((cpart *)p)->topic);
}

/* The partitions to read and their start positions, without a group. */
static gboolean assign_manual(consumer *c, GError **error)
{
  const char *topic = c->topics[0];
  int32_t np = rill__kclient_partition_count(c->client, topic, NULL);
  g_autofree int64_t *start = g_new0(int64_t, (gsize)MAX(np, 1));
  if (!start_offset(c, topic, np, c->offset ? c->offset : "beginning", start, error))
    return FALSE;
  for (int32_t p = 0; p < np; p++) {
    gboolean wanted = !c->partition_args;
    for (guint i = 0; c->partition_args && c->partition_args[i]; i++) {
      gint64 v;
      if (!tool_parse_int64(c->partition_args[i], &v) || v < 0 || v >= np) {
        tool_usage_error(error, "-p %s: %s has partitions 0..%d", c->partition_args[i], topic, np - 1);
        return FALSE;
      }
      wanted = wanted || v == p;
    }
    if (!wanted)
      continue;
    cpart cp = {g_strdup(topic), p, start[p], -1};
    g_array_append_val(c->parts, cp);
  }
  return TRUE;
}

/* (Re)joins the group and positions the assigned partitions. */
static gboolean assign_group(consumer *c, GError **error)
{
  g_array_set_size(c->parts, 0);
  GArray *a = NULL;
  for (;;) {
    rill__kmember_event ev = rill__kmember_poll(c->member, &a, error);
    if (ev == RILL__KMEMBER_ASSIGN)
      break;
    if (ev == RILL__KMEMBER_ERROR)
      return FALSE;
    if (ev == RILL__KMEMBER_REVOKE)
      rill__kmember_revoked(c->member);
    if (tool_interrupted())
      return TRUE;
    g_usleep(10000);
  }
  g_autoptr(GPtrArray) assigned = offsets_topics(a);
  gboolean ok = assigned->len == 1 || rill__kclient_refresh_metadata(c->client, (const char *const *)assigned->pdata, error);
  for (guint i = 0; i < a->len && ok; i++) {
    const rill__koffset *o = &g_array_index(a, rill__koffset, i);
    int32_t np = rill__kclient_partition_count(c->client, o->topic, NULL);
    g_autofree int64_t *start = g_new0(int64_t, (gsize)MAX(np, 1));
    int64_t pos = o->offset;
    if (pos < 0) {
      ok = start_offset(c, o->topic, np, c->offset, start, error);
      pos = start[o->partition];
    }
    cpart cp = {g_strdup(o->topic), o->partition, pos, -1};
    g_array_append_val(c->parts, cp);
  }
  rill__koffsets_free(a);
  return ok;
}

static gboolean commit(consumer *c, GError **error)
{
  if (!c->member)
    return TRUE;
  g_autoptr(GArray) offs = g_array_new(FALSE, TRUE, sizeof(rill__koffset));
  for (guint i = 0; i < c->parts->len; i++) {
    cpart *p = &g_array_index(c->parts, cpart, i);
    rill__koffset o = {p->topic, p->partition, p->pos};
    g_array_append_val(offs, o);
  }
  gboolean fenced;
  GError *e = NULL;
  if (rill__kmember_commit(c->member, offs, &fenced, &e))
    return TRUE;
  if (fenced) { /* the group moved on: the member rejoins, the next poll revokes */
    g_printerr("rill-consume: %s; rejoining\n", e->message);
    g_error_free(e);
    return TRUE;
  }
  g_propagate_error(error, e);
  return FALSE;
}

static gboolean all_at_end(consumer *c)
{
  for (guint i = 0; i < c->parts->len; i++) {
    cpart *p = &g_array_index(c->parts, cpart, i);
    if (p->hwm < 0 || p->pos < p->hwm)
      return FALSE;
  }
  return TRUE;
}

static gboolean count_reached(consumer *c)
{
  return c->count > 0 && c->printed >= c->count;
}

/* Prints the records of @rec at or after @p->pos; advances @p->pos past
 * every whole batch (control batches included). */
static gboolean print_records(consumer *c, cpart *p, rill__wire_bytes rec, GString *out, GError **error)
{
  size_t off = 0;
  while (rec.len > 0 && off + 61 <= (size_t)rec.len && !count_reached(c)) {
    int32_t blen = (int32_t)rill__be32(rec.ptr + off + 8);
    if (blen < 49 || off + 12 + (size_t)blen > (size_t)rec.len)
      break; /* a partial trailing batch: fetched again */
    if (!rill__batch_reader_open(&c->reader, rec.ptr + off, (size_t)rec.len - off,
                                 c->conf->check_crcs ? RILL__BATCH_VERIFY_CRC : 0, 256u << 20, error))
      goto fail;
    off += c->reader.batch_size;
    int64_t batch_next = c->reader.header.base_offset + c->reader.header.last_offset_delta + 1;
    if (!c->reader.control) {
      rill__record r;
      int rc = 0;
      while (!count_reached(c) && (rc = rill__batch_reader_next(&c->reader, &r, error)) > 0) {
        if (r.offset < p->pos)
          continue;
        if (c->json)
          tool_format_json(out, p->topic, p->partition, &r);
        else
          tool_format_record(c->fmt, out, p->topic, p->partition, &r);
        c->printed++;
        p->pos = r.offset + 1;
      }
      if (!count_reached(c) && rc < 0)
        goto fail;
    }
    if (!count_reached(c) && batch_next > p->pos)
      p->pos = batch_next;
  }
  return TRUE;
fail:
  if (error && *error) {
    GError *e = g_error_new(TOOL_ERROR, TOOL_EXIT_DATA, "%s [%d]: %s", p->topic, p->partition, (*error)->message);
    g_clear_error(error);
    *error = e;
  }
  return FALSE;
}

/* One Fetch per leader for the partitions not yet at their end (with -e). */
static gboolean fetch_round(consumer *c, gboolean *rejoin, GError **error)
{
  GHashTable *by_leader = g_hash_table_new_full(NULL, NULL, NULL, (GDestroyNotify)g_array_unref);
  gboolean ok = TRUE, need_metadata = FALSE;
  for (guint i = 0; i < c->parts->len; i++) {
    cpart *p = &g_array_index(c->parts, cpart, i);
    if (c->exit_at_end && p->hwm >= 0 && p->pos >= p->hwm)
      continue;
    int32_t leader = rill__kclient_leader(c->client, p->topic, p->partition);
    if (leader < 0) {
      need_metadata = TRUE;
      continue;
    }
    GArray *idx = g_hash_table_lookup(by_leader, GINT_TO_POINTER(leader + 1));
    if (!idx) {
      idx = g_array_new(FALSE, FALSE, sizeof(guint));
      g_hash_table_insert(by_leader, GINT_TO_POINTER(leader + 1), idx);
    }
    g_array_append_val(idx, i);
  }
  GString *out = g_string_new(NULL);
  GHashTableIter it;
  gpointer key, val;
  g_hash_table_iter_init(&it, by_leader);
  while (ok && g_hash_table_iter_next(&it, &key, &val)) {
    GArray *idx = val;
    /* one request topic per partition keeps the request simple; brokers
     * accept repeated topic names */
    g_autofree rill__wire_fetch_request_topic *ts = g_new0(rill__wire_fetch_request_topic, idx->len);
    g_autofree rill__wire_fetch_request_partition *fps = g_new0(rill__wire_fetch_request_partition, idx->len);
    for (guint k = 0; k < idx->len; k++) {
      cpart *p = &g_array_index(c->parts, cpart, g_array_index(idx, guint, k));
      fps[k].partition = p->partition;
      fps[k].fetch_offset = p->pos;
      fps[k].current_leader_epoch = -1;
      fps[k].last_fetched_epoch = -1;
      fps[k].log_start_offset = -1;
      fps[k].partition_max_bytes = c->conf->max_partition_fetch_bytes;
      ts[k].topic = rill__wire_str_from(p->topic);
      ts[k].partitions = &fps[k];
      ts[k].n_partitions = 1;
    }
    rill__wire_fetch_request req;
    rill__wire_fetch_request_init(&req);
    req.replica_id = -1;
    /* short waits: heartbeats and -e checks happen between fetches */
    req.max_wait_ms = MIN(c->conf->fetch_wait_max_ms, 500);
    req.min_bytes = 1;
    req.max_bytes = c->conf->fetch_max_bytes;
    req.topics = ts;
    req.n_topics = (int32_t)idx->len;
    rill__kreq *r = rill__kclient_call(c->client, GPOINTER_TO_INT(key) - 1, RILL_WIRE_API_FETCH, 11, &req, error);
    if (!r) {
      ok = FALSE;
      break;
    }
    const rill__wire_fetch_response *fr = &r->resp.fetch;
    for (int32_t t = 0; ok && t < fr->n_responses; t++)
      for (int32_t i = 0; ok && i < fr->responses[t].n_partitions; i++) {
        const rill__wire_fetch_response_partition_data *pd = &fr->responses[t].partitions[i];
        cpart *p = NULL;
        for (guint k = 0; k < idx->len && !p; k++) {
          cpart *q = &g_array_index(c->parts, cpart, g_array_index(idx, guint, k));
          if (q->partition == pd->partition_index && rill__wire_str_eq(fr->responses[t].topic, q->topic))
            p = q;
        }
        if (!p)
          continue;
        if (pd->error_code == RILL_KAFKA_ERR_OFFSET_OUT_OF_RANGE) {
          int32_t np = rill__kclient_partition_count(c->client, p->topic, NULL);
          g_autofree int64_t *start = g_new0(int64_t, (gsize)MAX(np, 1));
          ok = start_offset(c, p->topic, np, NULL, start, error);
          if (ok)
            p->pos = start[p->partition];
        } else if (pd->error_code && rill__kerror_retriable(pd->error_code) &&
                   pd->error_code != RILL_KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION) {
          need_metadata = TRUE;
        } else if (pd->error_code) {
          g_autofree char *what = g_strdup_printf("Fetch %s [%d]", p->topic, p->partition);
          rill__kclient_set_error(error, pd->error_code, what, NULL);
          ok = FALSE;
        } else {
          p->hwm = pd->high_watermark;
          ok = print_records(c, p, pd->records, out, error);
        }
      }
    rill__kreq_free(r);
    fwrite(out->str, 1, out->len, stdout);
    g_string_truncate(out, 0);
  }
  fflush(stdout);
  g_string_free(out, TRUE);
  g_hash_table_destroy(by_leader);
  if (ok && need_metadata) {
    g_usleep((gulong)c->conf->retry_backoff_ms * 1000);
    g_autoptr(GPtrArray) t = g_ptr_array_new();
    for (guint i = 0; i < c->parts->len; i++) {
      const char *name = g_array_index(c->parts, cpart, i).topic;
      if (!g_ptr_array_find_with_equal_func(t, name, g_str_equal, NULL))
        g_ptr_array_add(t, (gpointer)name);
    }
    g_ptr_array_add(t, NULL);
    ok = t->len == 1 || rill__kclient_refresh_metadata(c->client, (const char *const *)t->pdata, error);
  }
  if (ok && c->member) {
    ok = commit(c, error);
    GArray *a = NULL;
    rill__kmember_event ev = ok ? rill__kmember_poll(c->member, &a, error) : RILL__KMEMBER_IDLE;
    if (ev == RILL__KMEMBER_ERROR)
      ok = FALSE;
    if (ev == RILL__KMEMBER_REVOKE) {
      /* what was printed is committed above: give the partitions back */
      rill__kmember_revoked(c->member);
      *rejoin = TRUE;
    }
  }
  return ok;
}

static gboolean run(consumer *c, GError **error)
{
  if (!c->topics || !c->topics[0]) {
    tool_usage_error(error, "-t TOPIC is required");
    return FALSE;
  }
  if (!c->group && c->topics[1]) {
    tool_usage_error(error, "several -t need a group (-G)");
    return FALSE;
  }
  if (!c->group && c->topics[0][0] == '^') {
    tool_usage_error(error, "a topic pattern (^REGEX) needs a group (-G)");
    return FALSE;
  }
  if (c->group && c->partition_args) {
    tool_usage_error(error, "-p cannot be used with -G (the group assigns partitions)");
    return FALSE;
  }
  if (c->json && c->format) {
    tool_usage_error(error, "-J and -f are exclusive");
    return FALSE;
  }
  if (!c->format) {
    const char *md = c->msg_delim ? c->msg_delim : "\\n";
    c->format = c->key_delim ? g_strdup_printf("%%k%s%%s%s", c->key_delim, md) : g_strdup_printf("%%s%s", md);
  }
  if (!(c->fmt = tool_format_new(c->format, error)))
    return FALSE;
  if (c->null_text)
    tool_format_set_null_text(c->fmt, "NULL");
  if (!tool_connect(&c->common, "rill-consume", &c->conf, &c->client, error))
    return FALSE;
  if (!check_topics(c, error))
    return FALSE;
  if (c->group) {
    if (!(c->member = rill__kmember_new(c->client, c->group, (const char *const *)c->topics, error)) ||
        !assign_group(c, error))
      return FALSE;
  } else if (!assign_manual(c, error)) {
    return FALSE;
  }
  if (c->exit_at_end) {
    /* the end is the high watermark now, not whatever arrives later */
    for (guint i = 0; i < c->parts->len; i++) {
      cpart *p = &g_array_index(c->parts, cpart, i);
      int32_t np = rill__kclient_partition_count(c->client, p->topic, NULL);
      g_autofree int64_t *hi = g_new0(int64_t, (gsize)MAX(np, 1));
      if (!rill__kadmin_list_offsets(c->client, p->topic, np, -1, hi, error))
        return FALSE;
      p->hwm = hi[p->partition];
    }
  }
  while (!tool_interrupted() && !count_reached(c) && !(c->exit_at_end && all_at_end(c))) {
    gboolean rejoin = FALSE;
    if (!fetch_round(c, &rejoin, error))
      return FALSE;
    if (rejoin && !assign_group(c, error))
      return FALSE;
  }
  return commit(c, error);
}

int main(int argc, char **argv)
{
  consumer c = {0};
  c.parts = g_array_new(FALSE, TRUE, sizeof(cpart));
  g_array_set_clear_func(c.parts, parts_clear);
  rill__batch_reader_init(&c.reader);
  GOptionEntry entries[] = {
    {"topic", 't', 0, G_OPTION_ARG_STRING_ARRAY, &c.topics,
     "Topic to read; several, or a ^REGEX matched against the cluster's topics, only with -G", "TOPIC"},
    {"partition", 'p', 0, G_OPTION_ARG_STRING_ARRAY, &c.partition_args, "Read only this partition (repeatable)", "N"},
    {"offset", 'o', 0, G_OPTION_ARG_STRING, &c.offset,
     "Start: beginning (default), end, N (absolute), -N (N before the end), s@MS (first record at or after "
     "timestamp MS)", "SPEC"},
    {"count", 'c', 0, G_OPTION_ARG_INT64, &c.count, "Exit after printing N records", "N"},
    {"exit", 'e', 0, G_OPTION_ARG_NONE, &c.exit_at_end, "Exit at the end of every partition (its end when reached)",
     NULL},
    {"format", 'f', 0, G_OPTION_ARG_STRING, &c.format,
     "Output format: %t topic, %p partition, %o offset, %T timestamp, %k key, %K key length, %s or %v value, "
     "%S value length, %h headers (k=v,...); \\n \\t escapes", "FORMAT"},
    {"json", 'J', 0, G_OPTION_ARG_NONE, &c.json, "One JSON object per record", NULL},
    {"key-delimiter", 'K', 0, G_OPTION_ARG_STRING, &c.key_delim, "Print the key, DELIM, the value (no -f)", "DELIM"},
    {"delimiter", 'D', 0, G_OPTION_ARG_STRING, &c.msg_delim, "Record delimiter without -f (default \\n)", "DELIM"},
    {"null", 'Z', 0, G_OPTION_ARG_NONE, &c.null_text, "Print NULL for null keys and values", NULL},
    {"group", 'G', 0, G_OPTION_ARG_STRING, &c.group,
     "Consume as a member of GROUP: committed offsets, partitions shared with the group's other members", "GROUP"},
    G_OPTION_ENTRY_NULL,
  };
  GError *error = NULL;
  int rc = TOOL_EXIT_OK;
  GOptionContext *ctx = g_option_context_new("- print records of a Kafka topic");
  tool_cli_add_options(ctx, "rill-consume");
  g_option_context_set_summary(ctx, "Reads records from rill-broker or any Kafka broker (kcat -C style).\n"
                                    "Exit status: 0 ok, 1 usage, 2 broker unreachable, 3 broker error "
                                    "(e.g. unknown topic), 4 undecodable records. See docs/tools.md.");
  g_option_context_add_main_entries(ctx, entries, NULL);
  tool_common_add_options(ctx, &c.common);
  if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
    rc = tool_fail("rill-consume", error);
    goto out;
  }
  if (argc > 1) {
    tool_usage_error(&error, "unexpected argument '%s'", argv[1]);
    rc = tool_fail("rill-consume", error);
    goto out;
  }
  tool_catch_signals();
  if (!run(&c, &error))
    rc = tool_fail("rill-consume", error);
out:
  rill__kmember_free(c.member);
  rill__kclient_free(c.client);
  rill_kafka_conf_free(c.conf);
  tool_format_free(c.fmt);
  rill__batch_reader_clear(&c.reader);
  g_array_unref(c.parts);
  tool_common_clear(&c.common);
  g_strfreev(c.topics);
  g_strfreev(c.partition_args);
  g_free(c.offset);
  g_free(c.format);
  g_free(c.key_delim);
  g_free(c.msg_delim);
  g_free(c.group);
  g_option_context_free(ctx);
  return rc;
}
