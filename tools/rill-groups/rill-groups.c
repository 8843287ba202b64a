/* rill-groups — consumer group administration for rill-broker or any Kafka.
 *
 *   rill-groups [-b HOST:PORT] list
 *   rill-groups describe GROUP
 *   rill-groups reset-offsets GROUP -t TOPIC [-p N]
 *               (--to-earliest | --to-latest | --to-offset N | --shift-by N | --to-datetime MS)
 *   rill-groups delete GROUP...
 *
 * describe prints the group's state and, per partition with a committed
 * offset or an owner, the committed offset, the log end, the lag and the
 * owner (as kafka-consumer-groups.sh --describe), tab-separated.
 * reset-offsets commits new offsets as an administrator (generation -1), which
 * Kafka accepts only while the group has no active member. Exit codes:
 * docs/tools.md. */
#include <stdio.h>

#include "tool.h"

typedef struct {
  tool_common common;
  char *topic;
  char **partition_args;
  gboolean to_earliest, to_latest;
  char *to_offset, *shift_by, *to_datetime;
  rill_kafka_conf *conf;
  rill__kclient *client;
} groups;

typedef struct {
  char *topic;
  int32_t partition;
  int64_t committed;
  const char *member, *host, *client_id; /* not owned; NULL when unassigned */
} row;

static int cmp_listing(gconstpointer a, gconstpointer b)
{
  return strcmp((*(rill__kgroup_listing *const *)a)->group_id, (*(rill__kgroup_listing *const *)b)->group_id);
}

static int cmp_row(gconstpointer a, gconstpointer b)
{
  const row *x = a, *y = b;
  int c = strcmp(x->topic, y->topic);
  return c ? c : (x->partition > y->partition) - (x->partition < y->partition);
}

static gboolean cmd_list(groups *g, GError **error)
{
  GPtrArray *l = rill__kadmin_list_groups(g->client, error);
  if (!l)
    return FALSE;
  g_ptr_array_sort(l, cmp_listing);
  for (guint i = 0; i < l->len; i++) {
    const rill__kgroup_listing *x = l->pdata[i];
    printf("%s\t%s\n", x->group_id, *x->protocol_type ? x->protocol_type : "-");
  }
  g_ptr_array_unref(l);
  return TRUE;
}

static row *find_row(GArray *rows, const char *topic, int32_t partition)
{
  for (guint i = 0; i < rows->len; i++) {
    row *r = &g_array_index(rows, row, i);
    if (r->partition == partition && !strcmp(r->topic, topic))
      return r;
  }
  return NULL;
}

static void row_clear(gpointer p)
{
  g_free(((row *)p)->topic);
}

static gboolean cmd_describe(groups *g, const char *group, GError **error)
{
  int32_t coord = rill__kadmin_find_coordinator(g->client, group, error);
  if (coord < 0)
    return FALSE;
  rill__kreq *d = rill__kadmin_describe_group(g->client, coord, group, error);
  if (!d)
    return FALSE;
  const rill__wire_describe_groups_response_described_group *dg = &d->resp.describe_groups.groups[0];
  gboolean ok = FALSE;
  GArray *rows = g_array_new(FALSE, TRUE, sizeof(row));
  g_array_set_clear_func(rows, row_clear);
  GPtrArray *owned = g_ptr_array_new_with_free_func(g_free); /* member strings */
  GArray *committed = rill__kadmin_offset_fetch(g->client, coord, group, NULL, error);
  if (!committed)
    goto out;
  if (dg->group_state.len > 0 && rill__wire_str_eq(dg->group_state, "Dead") && committed->len == 0) {
    g_autofree char *what = g_strdup_printf("group '%s'", group);
    rill__kclient_set_error(error, RILL_KAFKA_ERR_GROUP_ID_NOT_FOUND, what, NULL);
    rill__koffsets_free(committed);
    goto out;
  }
  for (guint i = 0; i < committed->len; i++) {
    const rill__koffset *o = &g_array_index(committed, rill__koffset, i);
    row r = {g_strdup(o->topic), o->partition, o->offset, NULL, NULL, NULL};
    g_array_append_val(rows, r);
  }
  rill__koffsets_free(committed);
  gboolean consumer = rill__wire_str_eq(dg->protocol_type, "consumer");
  for (int32_t i = 0; consumer && i < dg->n_members; i++) {
    const rill__wire_describe_groups_response_described_group_member *mb = &dg->members[i];
    GArray *a = mb->member_assignment.len > 0
                  ? rill__kconsumer_assignment_decode(mb->member_assignment.ptr, (size_t)mb->member_assignment.len)
                  : NULL;
    char *mid = g_strndup(mb->member_id.ptr, (gsize)MAX(mb->member_id.len, 0));
    char *host = g_strndup(mb->client_host.ptr, (gsize)MAX(mb->client_host.len, 0));
    char *cid = g_strndup(mb->client_id.ptr, (gsize)MAX(mb->client_id.len, 0));
    g_ptr_array_add(owned, mid);
    g_ptr_array_add(owned, host);
    g_ptr_array_add(owned, cid);
    for (guint k = 0; a && k < a->len; k++) {
      const rill__koffset *o = &g_array_index(a, rill__koffset, k);
      row *r = find_row(rows, o->topic, o->partition);
      if (!r) {
        row nr = {g_strdup(o->topic), o->partition, -1, NULL, NULL, NULL};
        g_array_append_val(rows, nr);
        r = &g_array_index(rows, row, rows->len - 1);
      }
      r->member = mid;
      r->host = host;
      r->client_id = cid;
    }
    rill__koffsets_free(a);
  }
  g_array_sort(rows, cmp_row);
  GString *s = g_string_new(NULL);
  g_string_append_printf(s, "group\t%s\tstate\t%.*s\tprotocol\t%.*s\tmembers\t%d\n", group, dg->group_state.len,
                         dg->group_state.ptr ? dg->group_state.ptr : "", MAX(dg->protocol_data.len, 0),
                         dg->protocol_data.ptr ? dg->protocol_data.ptr : "", dg->n_members);
  g_string_append(s, "TOPIC\tPARTITION\tCURRENT-OFFSET\tLOG-END-OFFSET\tLAG\tCONSUMER-ID\tHOST\tCLIENT-ID\n");
  /* log ends, one ListOffsets per topic */
  for (guint i = 0; i < rows->len;) {
    const char *topic = g_array_index(rows, row, i).topic;
    const char *names[] = {topic, NULL};
    if (!rill__kclient_refresh_metadata(g->client, names, error)) {
      g_string_free(s, TRUE);
      goto out;
    }
    int32_t n = rill__kclient_partition_count(g->client, topic, NULL);
    g_autofree int64_t *hi = g_new0(int64_t, (gsize)MAX(n, 1));
    if (n > 0 && !rill__kadmin_list_offsets(g->client, topic, n, -1, hi, error)) {
      g_string_free(s, TRUE);
      goto out;
    }
    for (; i < rows->len && !strcmp(g_array_index(rows, row, i).topic, topic); i++) {
      const row *r = &g_array_index(rows, row, i);
      int64_t end = r->partition < n ? hi[r->partition] : -1;
      g_string_append_printf(s, "%s\t%d\t", r->topic, r->partition);
      if (r->committed >= 0)
        g_string_append_printf(s, "%" G_GINT64_FORMAT, r->committed);
      else
        g_string_append_c(s, '-');
      if (end >= 0)
        g_string_append_printf(s, "\t%" G_GINT64_FORMAT "\t", end);
      else
        g_string_append(s, "\t-\t");
      if (end >= 0 && r->committed >= 0)
        g_string_append_printf(s, "%" G_GINT64_FORMAT, MAX(end - r->committed, 0));
      else
        g_string_append_c(s, '-');
      g_string_append_printf(s, "\t%s\t%s\t%s\n", r->member ? r->member : "-", r->host ? r->host : "-",
                             r->client_id ? r->client_id : "-");
    }
  }
  fputs(s->str, stdout);
  g_string_free(s, TRUE);
  ok = TRUE;
out:
  g_array_unref(rows);
  g_ptr_array_unref(owned);
  rill__kreq_free(d);
  return ok;
}

static gboolean cmd_reset(groups *g, const char *group, GError **error)
{
  int modes = g->to_earliest + g->to_latest + !!g->to_offset + !!g->shift_by + !!g->to_datetime;
  gint64 value = 0;
  if (!g->topic || modes != 1) {
    tool_usage_error(error, "reset-offsets needs -t TOPIC and exactly one of --to-earliest, --to-latest, "
                            "--to-offset, --shift-by, --to-datetime");
    return FALSE;
  }
  const char *arg = g->to_offset ? g->to_offset : g->shift_by ? g->shift_by : g->to_datetime;
  if (arg && !tool_parse_int64(arg, &value)) {
    tool_usage_error(error, "'%s' is not a number", arg);
    return FALSE;
  }
  const char *names[] = {g->topic, NULL};
  rill__kreq *m = rill__kadmin_metadata(g->client, names, error);
  if (!m)
    return FALSE;
  int16_t code = m->resp.metadata.n_topics == 1 ? m->resp.metadata.topics[0].error_code : -1;
  rill__kreq_free(m);
  if (code) {
    g_autofree char *what = g_strdup_printf("topic '%s'", g->topic);
    rill__kclient_set_error(error, code, what, NULL);
    return FALSE;
  }
  if (!rill__kclient_refresh_metadata(g->client, names, error))
    return FALSE;
  int32_t n = rill__kclient_partition_count(g->client, g->topic, NULL);
  g_autofree int64_t *lo = g_new0(int64_t, (gsize)MAX(n, 1));
  g_autofree int64_t *hi = g_new0(int64_t, (gsize)MAX(n, 1));
  g_autofree int64_t *at = g_new0(int64_t, (gsize)MAX(n, 1));
  if (!rill__kadmin_list_offsets(g->client, g->topic, n, -2, lo, error) ||
      !rill__kadmin_list_offsets(g->client, g->topic, n, -1, hi, error) ||
      (g->to_datetime && !rill__kadmin_list_offsets(g->client, g->topic, n, value, at, error)))
    return FALSE;
  int32_t coord = rill__kadmin_find_coordinator(g->client, group, error);
  if (coord < 0)
    return FALSE;
  GArray *cur = NULL;
  if (g->shift_by && !(cur = rill__kadmin_offset_fetch(g->client, coord, group, g->topic, error)))
    return FALSE;
  GArray *offs = g_array_new(FALSE, TRUE, sizeof(rill__koffset));
  gboolean ok = TRUE;
  for (int32_t p = 0; p < n && ok; p++) {
    gboolean wanted = !g->partition_args;
    for (guint i = 0; g->partition_args && g->partition_args[i]; i++) {
      gint64 v;
      if (!tool_parse_int64(g->partition_args[i], &v) || v < 0 || v >= n) {
        tool_usage_error(error, "-p %s: %s has partitions 0..%d", g->partition_args[i], g->topic, n - 1);
        ok = FALSE;
      }
      wanted = wanted || v == p;
    }
    if (!wanted || !ok)
      continue;
    int64_t off;
    if (g->to_earliest)
      off = lo[p];
    else if (g->to_latest)
      off = hi[p];
    else if (g->to_datetime)
      off = at[p] >= 0 ? at[p] : hi[p];
    else if (g->to_offset)
      off = value;
    else {
      int64_t base = hi[p];
      for (guint k = 0; k < cur->len; k++)
        if (g_array_index(cur, rill__koffset, k).partition == p && g_array_index(cur, rill__koffset, k).offset >= 0)
          base = g_array_index(cur, rill__koffset, k).offset;
      off = base + value;
    }
    off = MIN(MAX(off, lo[p]), hi[p]); /* as kafka-consumer-groups.sh: clamp into the log */
    rill__koffset o = {g->topic, p, off};
    g_array_append_val(offs, o);
  }
  rill__koffsets_free(cur);
  if (ok)
    ok = rill__kadmin_offset_commit(g->client, coord, group, -1, "", offs, error);
  for (guint i = 0; ok && i < offs->len; i++) {
    const rill__koffset *o = &g_array_index(offs, rill__koffset, i);
    printf("%s\t%d\t%" G_GINT64_FORMAT "\n", o->topic, o->partition, o->offset);
  }
  g_array_unref(offs);
  return ok;
}

static gboolean cmd_delete(groups *g, const char *group, GError **error)
{
  int32_t coord = rill__kadmin_find_coordinator(g->client, group, error);
  if (coord < 0)
    return FALSE;
  rill__wire_delete_groups_request req;
  rill__wire_delete_groups_request_init(&req);
  rill__wire_str name = rill__wire_str_from(group);
  req.groups_names = &name;
  req.n_groups_names = 1;
  rill__kreq *r = rill__kclient_call(g->client, coord, RILL_WIRE_API_DELETE_GROUPS, 2, &req, error);
  if (!r)
    return FALSE;
  int16_t code = r->resp.delete_groups.n_results == 1 ? r->resp.delete_groups.results[0].error_code : -1;
  rill__kreq_free(r);
  if (code) {
    g_autofree char *what = g_strdup_printf("DeleteGroups '%s'", group);
    rill__kclient_set_error(error, code, what, NULL);
    return FALSE;
  }
  return TRUE;
}

static gboolean run(gpointer tool, int argc, char **argv, GError **error)
{
  groups *g = tool;
  if (argc < 2 || !g_strv_contains((const char *const[]){"list", "describe", "reset-offsets", "delete", NULL}, argv[1])) {
    tool_usage_error(error, argc < 2 ? "a command is required: list, describe, reset-offsets, delete"
                                     : "unknown command (known: list, describe, reset-offsets, delete)");
    return FALSE;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "list") ? argc < 3 || (strcmp(cmd, "delete") && argc != 3) : argc != 2) {
    tool_usage_error(error, "%s: wrong number of arguments (see --help)", cmd);
    return FALSE;
  }
  if (!tool_connect(&g->common, "rill-groups", &g->conf, &g->client, error))
    return FALSE;
  if (!strcmp(cmd, "list"))
    return cmd_list(g, error);
  if (!strcmp(cmd, "describe"))
    return cmd_describe(g, argv[2], error);
  if (!strcmp(cmd, "reset-offsets"))
    return cmd_reset(g, argv[2], error);
  for (int i = 2; i < argc; i++)
    if (!cmd_delete(g, argv[i], error))
      return FALSE;
  return TRUE;
}

int main(int argc, char **argv)
{
  groups g = {0};
  GOptionEntry entries[] = {
    {"topic", 't', 0, G_OPTION_ARG_STRING, &g.topic, "reset-offsets: the topic", "TOPIC"},
    {"partition", 'p', 0, G_OPTION_ARG_STRING_ARRAY, &g.partition_args,
     "reset-offsets: only this partition (repeatable; default all)", "N"},
    {"to-earliest", 0, 0, G_OPTION_ARG_NONE, &g.to_earliest, "reset-offsets: to the log start", NULL},
    {"to-latest", 0, 0, G_OPTION_ARG_NONE, &g.to_latest, "reset-offsets: to the log end", NULL},
    {"to-offset", 0, 0, G_OPTION_ARG_STRING, &g.to_offset, "reset-offsets: to offset N (clamped into the log)", "N"},
    {"shift-by", 0, 0, G_OPTION_ARG_STRING, &g.shift_by, "reset-offsets: move the committed offset by N (may be "
     "negative)", "N"},
    {"to-datetime", 0, 0, G_OPTION_ARG_STRING, &g.to_datetime,
     "reset-offsets: to the first record at or after MS (ms since the epoch)", "MS"},
    G_OPTION_ENTRY_NULL,
  };
  static const char summary[] =
    "Commands:\n"
    "  list                   group ids and protocol types, one per line\n"
    "  describe GROUP         state, then committed offset, log end, lag and owner per partition\n"
    "  reset-offsets GROUP -t TOPIC [-p N] --to-earliest|--to-latest|--to-offset N|--shift-by N|"
    "--to-datetime MS\n"
    "                         (only while the group has no active member)\n"
    "  delete GROUP...\n"
    "Exit status: 0 ok, 1 usage, 2 broker unreachable, 3 broker error (unknown group or topic, group "
    "not empty, ...).\nSee docs/tools.md.";
  int rc = tool_main(argc, argv, "rill-groups", "COMMAND [GROUP...] - inspect and manage consumer groups", summary, entries,
                     &g.common, run, &g);
  rill__kclient_free(g.client);
  rill_kafka_conf_free(g.conf);
  tool_common_clear(&g.common);
  g_free(g.topic);
  g_strfreev(g.partition_args);
  g_free(g.to_offset);
  g_free(g.shift_by);
  g_free(g.to_datetime);
  return rc;
}
