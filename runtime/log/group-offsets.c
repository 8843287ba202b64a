/* group-offsets.c — committed consumer-group offsets, one file per group in
 * .groups/, named by the hex of the group id (group ids are arbitrary
 * strings). Every commit rewrites the group's file atomically
 * (atomic-file.c), so after a crash a group has its previous or its new
 * offsets, never a mix. Groups are few and commits small, so whole-file
 * rewrites cost less than a journal would in code.
 *
 * File layout, integers big-endian:
 *   OFFSET SIZE FIELD
 *   0      4    magic "RLGO"
 *   4      2    version (1)
 *   6      4    entry count N
 *   10     ...  N entries:
 *                 2+n  topic (int16 length, bytes)
 *                 4    partition
 *                 8    committed offset
 *                 4    leader epoch (-1 unknown)
 *                 8    commit timestamp (ms)
 *                 4+m  metadata (int32 length, -1 = null, bytes)
 *   end-4  4    CRC-32C of every byte before it
 *
 * In memory: log->groups maps group -> table ("topic\npartition" ->
 * rill_log_group_offset), all under log->groups_lock.
 */
#include "runtime/log/log-private.h"

#include "runtime/wire/crc32c.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

static void offset_free(rill_log_group_offset *o)
{
  rill_log_group_offset_clear(o);
  g_free(o);
}

void rill_log_group_offset_clear(rill_log_group_offset *offset)
{
  if (!offset)
    return;
  g_clear_pointer(&offset->topic, g_free);
  g_clear_pointer(&offset->metadata, g_free);
}

static GHashTable *table_new(void)
{
  return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)offset_free);
}

static void table_put(GHashTable *t, const rill_log_group_offset *o)
{
  rill_log_group_offset *c = g_new(rill_log_group_offset, 1);
  *c = *o;
  c->topic = g_strdup(o->topic);
  c->metadata = g_strdup(o->metadata);
  g_hash_table_replace(t, g_strdup_printf("%s\n%d", o->topic, o->partition), c);
}

static char *group_path(rill_log *log, const char *group)
{
  GString *s = g_string_new(log->dir);
  g_string_append(s, "/.groups/");
  for (const char *c = group; *c; c++)
    g_string_append_printf(s, "%02x", (guint8)*c);
  g_string_append(s, ".offsets");
  return g_string_free(s, FALSE);
}

static void put_bytes(GByteArray *b, const void *p, size_t n) { g_byte_array_append(b, p, (guint)n); }

static gboolean save(rill_log *log, const char *group, GHashTable *t, GError **error)
{
  GByteArray *b = g_byte_array_new();
  uint8_t tmp[32];
  put_bytes(b, "RLGO", 4);
  rill_put_be16(tmp, 1);
  rill_put_be32(tmp + 2, g_hash_table_size(t));
  put_bytes(b, tmp, 6);
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init(&it, t);
  while (g_hash_table_iter_next(&it, NULL, &v)) {
    const rill_log_group_offset *o = v;
    size_t tl = strlen(o->topic);
    rill_put_be16(tmp, (uint16_t)tl);
    put_bytes(b, tmp, 2);
    put_bytes(b, o->topic, tl);
    rill_put_be32(tmp, (uint32_t)o->partition);
    rill_put_be64(tmp + 4, (uint64_t)o->offset);
    rill_put_be32(tmp + 12, (uint32_t)o->leader_epoch);
    rill_put_be64(tmp + 16, (uint64_t)o->commit_timestamp);
    rill_put_be32(tmp + 24, o->metadata ? (uint32_t)strlen(o->metadata) : UINT32_MAX);
    put_bytes(b, tmp, 28);
    if (o->metadata)
      put_bytes(b, o->metadata, strlen(o->metadata));
  }
  rill_put_be32(tmp, rill__crc32c(0, b->data, b->len));
  put_bytes(b, tmp, 4);
  g_autofree char *path = group_path(log, group);
  gboolean ok = rill__atomic_write(path, b->data, b->len, error);
  g_byte_array_unref(b);
  return ok;
}

static GHashTable *parse(const uint8_t *p, size_t len)
{
  if (len < 14 || memcmp(p, "RLGO", 4) != 0 || rill__be16(p + 4) != 1 ||
      rill__crc32c(0, p, len - 4) != rill__be32(p + len - 4))
    return NULL;
  const uint8_t *end = p + len - 4;
  uint32_t n = rill__be32(p + 6);
  p += 10;
  GHashTable *t = table_new();
  for (uint32_t i = 0; i < n; i++) {
    if (end - p < 2 || end - p < 2 + rill__be16(p) + 28)
      goto bad;
    rill_log_group_offset o = {0};
    size_t tl = rill__be16(p);
    o.topic = g_strndup((const char *)p + 2, tl);
    p += 2 + tl;
    o.partition = (int32_t)rill__be32(p);
    o.offset = (int64_t)rill__be64(p + 4);
    o.leader_epoch = (int32_t)rill__be32(p + 12);
    o.commit_timestamp = (int64_t)rill__be64(p + 16);
    uint32_t ml = rill__be32(p + 24);
    p += 28;
    if (ml != UINT32_MAX) {
      if ((size_t)(end - p) < ml) {
        g_free(o.topic);
        goto bad;
      }
      o.metadata = g_strndup((const char *)p, ml);
      p += ml;
    }
    table_put(t, &o);
    rill_log_group_offset_clear(&o);
  }
  return t;
bad:
  g_hash_table_unref(t);
  return NULL;
}

gboolean rill__groups_load(rill_log *log, GError **error)
{
  g_autofree char *dir = g_build_filename(log->dir, ".groups", NULL);
  if (g_mkdir_with_parents(dir, 0755) != 0) {
    rill__set_io_error(error, errno, "cannot create", dir);
    return FALSE;
  }
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name(d))) {
    if (!g_str_has_suffix(name, ".offsets"))
      continue;
    size_t hex = strlen(name) - strlen(".offsets");
    if (hex % 2)
      continue;
    g_autofree char *group = g_malloc(hex / 2 + 1);
    for (size_t i = 0; i < hex / 2; i++)
      group[i] = (char)(g_ascii_xdigit_value(name[2 * i]) << 4 | g_ascii_xdigit_value(name[2 * i + 1]));
    group[hex / 2] = '\0';
    g_autofree char *path = g_build_filename(dir, name, NULL);
    g_autofree char *data = NULL;
    gsize len;
    GHashTable *t = NULL;
    if (g_file_get_contents(path, &data, &len, NULL))
      t = parse((const uint8_t *)data, len);
    if (!t) {
      g_set_error(error, RILL_LOG_ERROR, RILL_LOG_ERROR_IO, "%s: corrupt group offsets file", path);
      return FALSE;
    }
    g_hash_table_replace(log->groups, g_steal_pointer(&group), t);
  }
  return TRUE;
}

gboolean rill_log_group_commit(rill_log *log, const char *group, const rill_log_group_offset *offsets, guint n,
                               GError **error)
{
  g_return_val_if_fail(log != NULL && group != NULL && (offsets != NULL || n == 0), FALSE);
  for (guint i = 0; i < n; i++)
    g_return_val_if_fail(offsets[i].topic != NULL, FALSE);
  g_mutex_lock(&log->groups_lock);
  /* Build the new set beside the old one: memory changes only once the file has. */
  GHashTable *t = table_new(), *old = g_hash_table_lookup(log->groups, group);
  if (old) {
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, old);
    while (g_hash_table_iter_next(&it, NULL, &v))
      table_put(t, v);
  }
  for (guint i = 0; i < n; i++)
    table_put(t, &offsets[i]);
  gboolean ok = save(log, group, t, error);
  if (ok)
    g_hash_table_replace(log->groups, g_strdup(group), t);
  else
    g_hash_table_unref(t);
  g_mutex_unlock(&log->groups_lock);
  return ok;
}

gboolean rill_log_group_fetch(rill_log *log, const char *group, const char *topic, int32_t partition,
                              rill_log_group_offset *out)
{
  g_return_val_if_fail(log != NULL && group != NULL && topic != NULL && out != NULL, FALSE);
  g_autofree char *key = g_strdup_printf("%s\n%d", topic, partition);
  g_mutex_lock(&log->groups_lock);
  GHashTable *t = g_hash_table_lookup(log->groups, group);
  const rill_log_group_offset *o = t ? g_hash_table_lookup(t, key) : NULL;
  if (o) {
    *out = *o;
    out->topic = g_strdup(o->topic);
    out->metadata = g_strdup(o->metadata);
  }
  g_mutex_unlock(&log->groups_lock);
  return o != NULL;
}

static gint cmp_offsets(gconstpointer a, gconstpointer b)
{
  const rill_log_group_offset *x = a, *y = b;
  int c = strcmp(x->topic, y->topic);
  return c ? c : (x->partition > y->partition) - (x->partition < y->partition);
}

GArray *rill_log_group_fetch_all(rill_log *log, const char *group)
{
  g_return_val_if_fail(log != NULL && group != NULL, NULL);
  GArray *a = g_array_new(FALSE, FALSE, sizeof(rill_log_group_offset));
  g_array_set_clear_func(a, (GDestroyNotify)rill_log_group_offset_clear);
  g_mutex_lock(&log->groups_lock);
  GHashTable *t = g_hash_table_lookup(log->groups, group);
  if (t) {
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, t);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
      rill_log_group_offset c = *(rill_log_group_offset *)v;
      c.topic = g_strdup(c.topic);
      c.metadata = g_strdup(c.metadata);
      g_array_append_val(a, c);
    }
  }
  g_mutex_unlock(&log->groups_lock);
  g_array_sort(a, cmp_offsets);
  return a;
}

char **rill_log_group_list(rill_log *log)
{
  g_return_val_if_fail(log != NULL, NULL);
  g_mutex_lock(&log->groups_lock);
  guint n;
  char **names = (char **)g_hash_table_get_keys_as_array(log->groups, &n);
  for (guint i = 0; i < n; i++)
    names[i] = g_strdup(names[i]);
  g_mutex_unlock(&log->groups_lock);
  g_qsort_with_data(names, (gint)n, sizeof(char *), rill__strv_cmp, NULL);
  return names;
}

/* Removes @group's file and table; call with groups_lock held. */
static gboolean delete_locked(rill_log *log, const char *group, GError **error)
{
  g_autofree char *path = group_path(log, group);
  g_autofree char *dir = g_path_get_dirname(path);
  if (unlink(path) != 0 && errno != ENOENT) {
    rill__set_io_error(error, errno, "cannot remove", path);
    return FALSE;
  }
  g_hash_table_remove(log->groups, group);
  return rill__fsync_dir(dir, error);
}

gboolean rill_log_group_expire(rill_log *log, const char *group, int64_t cutoff_ms, guint *n_left, GError **error)
{
  g_return_val_if_fail(log != NULL && group != NULL, FALSE);
  gboolean ok = TRUE;
  guint left = 0, before = 0;
  g_mutex_lock(&log->groups_lock);
  GHashTable *old = g_hash_table_lookup(log->groups, group);
  if (old) {
    before = g_hash_table_size(old);
    GHashTable *t = table_new();
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, old);
    while (g_hash_table_iter_next(&it, NULL, &v))
      if (((rill_log_group_offset *)v)->commit_timestamp > cutoff_ms)
        table_put(t, v);
    left = g_hash_table_size(t);
    if (left == before)
      g_hash_table_unref(t); /* nothing expired: no write */
    else if (left == 0) {
      g_hash_table_unref(t);
      ok = delete_locked(log, group, error);
    } else if ((ok = save(log, group, t, error)))
      g_hash_table_replace(log->groups, g_strdup(group), t);
    else
      g_hash_table_unref(t);
  }
  g_mutex_unlock(&log->groups_lock);
  if (n_left)
    *n_left = ok ? left : before;
  return ok;
}

gboolean rill_log_group_delete(rill_log *log, const char *group, GError **error)
{
  g_return_val_if_fail(log != NULL && group != NULL, FALSE);
  gboolean ok = TRUE;
  g_mutex_lock(&log->groups_lock);
  if (g_hash_table_contains(log->groups, group))
    ok = delete_locked(log, group, error);
  g_mutex_unlock(&log->groups_lock);
  return ok;
}
