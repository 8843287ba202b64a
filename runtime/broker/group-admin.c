/* group-admin.c — committed offsets and the group admin calls (list,
 * describe, delete). Offsets live in the rill_log (one atomically replaced
 * file per group); this file decides who may commit, following Kafka:
 *
 * - generation -1 ("simple" commit, e.g. a consumer with assign() only) is
 *   allowed while the group has no members, and creates nothing here;
 * - otherwise the member must be in the group with the current generation;
 *   CompletingRebalance refuses with REBALANCE_IN_PROGRESS, Stable and
 *   PreparingRebalance accept (a member may commit before rejoining);
 * - each partition must exist and its metadata fit offset.metadata.max.bytes.
 *
 * The log write (an fsync) runs after the coordinator lock is released.
 * A group known only by its committed offsets is listed and described as
 * Empty with protocol type "".
 */
#include "runtime/broker/group-private.h"

#include <rill/kafka-error.h>

#include <string.h>

static int16_t commit_check(rill__group_coordinator *c, const char *group_id, int32_t generation_id,
                            const char *member_id, const char *instance_id)
{
  rill__group *g = g_hash_table_lookup(c->groups, group_id);
  if (!g || g->members->len == 0)
    return generation_id < 0 ? RILL_KAFKA_ERR_NONE
                             : (g ? RILL_KAFKA_ERR_UNKNOWN_MEMBER_ID : RILL_KAFKA_ERR_ILLEGAL_GENERATION);
  rill__group_member *m = NULL;
  int16_t err = rill__group_check_member(g, member_id, instance_id, generation_id, &m);
  if (err != RILL_KAFKA_ERR_NONE)
    return err;
  if (g->state == RILL__GROUP_COMPLETING_REBALANCE)
    return RILL_KAFKA_ERR_REBALANCE_IN_PROGRESS;
  /* A commit proves the member is alive. */
  m->expires_at = rill__group_now(c) + m->session_timeout_ms;
  return RILL_KAFKA_ERR_NONE;
}

void rill__group_commit(rill__group_coordinator *c, const char *group_id, int32_t generation_id,
                        const char *member_id, const char *group_instance_id,
                        rill__group_commit_entry *entries, guint n_entries)
{
  g_return_if_fail(c != NULL && (entries != NULL || n_entries == 0));
  int16_t err = RILL_KAFKA_ERR_NONE;
  if (!group_id)
    err = RILL_KAFKA_ERR_INVALID_GROUP_ID;
  if (!err) {
    g_mutex_lock(&c->lock);
    err = commit_check(c, group_id, generation_id, member_id ? member_id : "", group_instance_id);
    g_mutex_unlock(&c->lock);
  }
  if (err) {
    for (guint i = 0; i < n_entries; i++)
      entries[i].error_code = err;
    return;
  }
  g_autoptr(GArray) batch = g_array_new(FALSE, FALSE, sizeof(rill_log_group_offset));
  int64_t now_ms = g_get_real_time() / 1000;
  for (guint i = 0; i < n_entries; i++) {
    rill__group_commit_entry *e = &entries[i];
    rill_log_partition_info info;
    e->error_code = RILL_KAFKA_ERR_NONE;
    if (!e->topic || !rill_log_partition_info_get(c->opts.log, e->topic, e->partition, &info, NULL))
      e->error_code = RILL_KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    else if (e->metadata && strlen(e->metadata) > (size_t)c->opts.max_metadata_bytes)
      e->error_code = RILL_KAFKA_ERR_OFFSET_METADATA_TOO_LARGE;
    else {
      rill_log_group_offset o = {
        .topic = (char *)e->topic,
        .partition = e->partition,
        .offset = e->offset,
        .leader_epoch = e->leader_epoch,
        .metadata = (char *)e->metadata,
        .commit_timestamp = now_ms,
      };
      g_array_append_val(batch, o);
    }
  }
  if (batch->len == 0)
    return;
  g_autoptr(GError) error = NULL;
  if (!rill_log_group_commit(c->opts.log, group_id, (rill_log_group_offset *)batch->data, batch->len, &error)) {
    g_warning("group %s: offset commit failed: %s", group_id, error->message);
    for (guint i = 0; i < n_entries; i++)
      if (entries[i].error_code == RILL_KAFKA_ERR_NONE)
        entries[i].error_code = RILL_KAFKA_ERR_COORDINATOR_NOT_AVAILABLE;
  }
}

gboolean rill__group_offset_fetch(rill__group_coordinator *c, const char *group_id, const char *topic,
                                  int32_t partition, rill_log_group_offset *out)
{
  g_return_val_if_fail(c != NULL && group_id != NULL && topic != NULL && out != NULL, FALSE);
  return rill_log_group_fetch(c->opts.log, group_id, topic, partition, out);
}

GArray *rill__group_offset_fetch_all(rill__group_coordinator *c, const char *group_id)
{
  g_return_val_if_fail(c != NULL && group_id != NULL, NULL);
  return rill_log_group_fetch_all(c->opts.log, group_id);
}

/* ---- list / describe / delete ---- */

static void listing_clear(rill__group_listing *l)
{
  g_free(l->group_id);
  g_free(l->protocol_type);
}

static bool state_wanted(const char *state, const char *const *states)
{
  if (!states)
    return true;
  for (guint i = 0; states[i]; i++)
    if (g_ascii_strcasecmp(states[i], state) == 0)
      return true;
  return false;
}

static gint listing_cmp(gconstpointer a, gconstpointer b)
{
  return strcmp(((const rill__group_listing *)a)->group_id, ((const rill__group_listing *)b)->group_id);
}

GArray *rill__group_list(rill__group_coordinator *c, const char *const *states)
{
  g_return_val_if_fail(c != NULL, NULL);
  GArray *out = g_array_new(FALSE, FALSE, sizeof(rill__group_listing));
  g_array_set_clear_func(out, (GDestroyNotify)listing_clear);
  g_auto(GStrv) with_offsets = rill_log_group_list(c->opts.log);
  g_mutex_lock(&c->lock);
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, c->groups);
  while (g_hash_table_iter_next(&it, NULL, &value)) {
    rill__group *g = value;
    rill__group_listing l = {NULL, NULL, rill__group_state_name(g->state)};
    if (!state_wanted(l.state, states))
      continue;
    l.group_id = g_strdup(g->id);
    l.protocol_type = g_strdup(g->protocol_type ? g->protocol_type : "");
    g_array_append_val(out, l);
  }
  for (guint i = 0; with_offsets[i]; i++) {
    if (g_hash_table_contains(c->groups, with_offsets[i]) || !state_wanted("Empty", states))
      continue;
    rill__group_listing l = {g_strdup(with_offsets[i]), g_strdup(""), "Empty"};
    g_array_append_val(out, l);
  }
  g_mutex_unlock(&c->lock);
  g_array_sort(out, listing_cmp);
  return out;
}

static void member_description_clear(rill__group_member_description *d)
{
  g_free(d->member_id);
  g_free(d->group_instance_id);
  g_free(d->client_id);
  g_free(d->client_host);
  g_bytes_unref(d->metadata);
  g_bytes_unref(d->assignment);
}

static bool has_offsets(rill__group_coordinator *c, const char *group_id)
{
  g_autoptr(GArray) a = rill_log_group_fetch_all(c->opts.log, group_id);
  return a->len > 0;
}

rill__group_description *rill__group_describe(rill__group_coordinator *c, const char *group_id)
{
  g_return_val_if_fail(c != NULL && group_id != NULL, NULL);
  rill__group_description *d = g_new0(rill__group_description, 1);
  d->group_id = g_strdup(group_id);
  d->members = g_array_new(FALSE, FALSE, sizeof(rill__group_member_description));
  g_array_set_clear_func(d->members, (GDestroyNotify)member_description_clear);
  bool offsets = has_offsets(c, group_id);
  g_mutex_lock(&c->lock);
  rill__group *g = g_hash_table_lookup(c->groups, group_id);
  d->state = g ? rill__group_state_name(g->state) : offsets ? "Empty" : "Dead";
  d->protocol_type = g_strdup(g && g->protocol_type ? g->protocol_type : "");
  bool stable = g && g->state == RILL__GROUP_STABLE;
  d->protocol_name = g_strdup(stable ? g->protocol_name : "");
  for (guint i = 0; g && i < g->members->len; i++) {
    rill__group_member *m = g_ptr_array_index(g->members, i);
    GBytes *md = stable ? rill__group_member_metadata(m, g->protocol_name) : NULL;
    rill__group_member_description x = {
      .member_id = g_strdup(m->member_id),
      .group_instance_id = g_strdup(m->instance_id),
      .client_id = g_strdup(m->client_id),
      .client_host = g_strdup(m->client_host),
      .metadata = md ? g_bytes_ref(md) : g_bytes_new(NULL, 0),
      .assignment = stable && m->assignment ? g_bytes_ref(m->assignment) : g_bytes_new(NULL, 0),
    };
    g_array_append_val(d->members, x);
  }
  g_mutex_unlock(&c->lock);
  return d;
}

void rill__group_description_free(rill__group_description *d)
{
  if (!d)
    return;
  g_free(d->group_id);
  g_free(d->protocol_type);
  g_free(d->protocol_name);
  g_array_unref(d->members);
  g_free(d);
}

guint rill__group_expire_offsets(rill__group_coordinator *c, int64_t now_ms)
{
  g_return_val_if_fail(c != NULL, 0);
  if (c->opts.offsets_retention_ms <= 0)
    return 0;
  guint dropped = 0;
  g_auto(GStrv) names = rill_log_group_list(c->opts.log);
  for (guint i = 0; names[i]; i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(GArray) before = rill_log_group_fetch_all(c->opts.log, names[i]);
    g_mutex_lock(&c->lock);
    rill__group *g = g_hash_table_lookup(c->groups, names[i]);
    bool active = g && g->members->len > 0;
    int64_t base = g ? g->empty_since_ms : 0;
    /* A commit cannot race in: the coordinator lock is held (the log
     * write of a commit happens after its check, but a member-less group
     * only takes "simple" commits, whose newer timestamps survive). */
    guint left = before->len;
    bool ok = true;
    if (!active && base <= now_ms - c->opts.offsets_retention_ms)
      ok = rill_log_group_expire(c->opts.log, names[i], now_ms - c->opts.offsets_retention_ms, &left, &error);
    if (ok && left == 0 && g && !active && rill__group_store_remove(c, names[i], &error))
      g_hash_table_remove(c->groups, names[i]);
    g_mutex_unlock(&c->lock);
    if (error)
      g_warning("group %s: offsets retention failed: %s", names[i], error->message);
    else if (left < before->len)
      g_message("group %s: %u committed offsets expired (offsets.retention.minutes)", names[i],
                before->len - left);
    dropped += before->len - MIN(left, before->len);
  }
  return dropped;
}

int16_t rill__group_delete(rill__group_coordinator *c, const char *group_id)
{
  g_return_val_if_fail(c != NULL, RILL_KAFKA_ERR_UNKNOWN_SERVER_ERROR);
  if (!group_id || !*group_id)
    return RILL_KAFKA_ERR_INVALID_GROUP_ID;
  bool offsets = has_offsets(c, group_id);
  int16_t err = RILL_KAFKA_ERR_NONE;
  g_autoptr(GError) error = NULL;
  g_mutex_lock(&c->lock);
  rill__group *g = g_hash_table_lookup(c->groups, group_id);
  if (!g && !offsets)
    err = RILL_KAFKA_ERR_GROUP_ID_NOT_FOUND;
  else if (g && g->state != RILL__GROUP_EMPTY)
    err = RILL_KAFKA_ERR_NON_EMPTY_GROUP;
  else if (!rill__group_store_remove(c, group_id, &error) ||
           !rill_log_group_delete(c->opts.log, group_id, &error))
    err = RILL_KAFKA_ERR_COORDINATOR_NOT_AVAILABLE;
  else if (g)
    g_hash_table_remove(c->groups, group_id);
  g_mutex_unlock(&c->lock);
  if (error)
    g_warning("group %s: delete failed: %s", group_id, error->message);
  return err;
}

gboolean rill__group_coordinator_forget_all(rill__group_coordinator *c, GError **error)
{
  g_return_val_if_fail(c != NULL, FALSE);
  rill__group_coordinator_answer_parked(c);
  g_auto(GStrv) committed = rill_log_group_list(c->opts.log);
  gboolean ok = TRUE;
  g_mutex_lock(&c->lock);
  GHashTableIter it;
  gpointer id;
  g_hash_table_iter_init(&it, c->groups);
  while (ok && g_hash_table_iter_next(&it, &id, NULL)) {
    ok = rill__group_store_remove(c, id, error);
    if (ok)
      g_hash_table_iter_remove(&it);
  }
  for (guint i = 0; ok && committed && committed[i]; i++)
    ok = rill_log_group_delete(c->opts.log, committed[i], error);
  g_mutex_unlock(&c->lock);
  return ok;
}
