/* log.c — a rill_log: the data directory, its topic table, topic
 * create/delete/alter, dispatch of partition calls, and the maintenance
 * thread (interval flushes, retention).
 *
 * Directory layout (docs/log.md):
 *   .lock                 flock()ed while a rill_log has the directory open
 *   .topics/<files>.conf  key file: [topic] name, partitions=N, files;
 *                         [config] own keys; written atomically, it is the
 *                         topic's commit point
 *   <files>-<n>/          one per partition: segments (segment.c) and
 *                         producer-state (producer-state.c)
 * <files> is the topic name itself when every file name made from it fits
 * NAME_MAX, else a shortened unique form (topic_files_name); the .conf
 * records it (a .conf without it predates long names: <files> = name).
 *   .groups/<hex>.offsets committed group offsets (group-offsets.c)
 *   producer-ids          next producer id, decimal, written atomically
 *
 * Threads: a maintenance thread (interval flushes, retention) and a sync
 * thread that runs the fdatasyncs of rill_log_append_nowait: partitions
 * with appends waiting are queued (each at most once), and each round syncs
 * everything appended to that partition so far (group commit).
 *
 * Create writes the partition directories first and the .conf last; delete
 * removes the .conf first. Partition directories with no .conf (or beyond
 * its count) are leftovers of an interrupted create/delete and are removed
 * at open. Making directories and files runs without admin_lock (see
 * struct rill_log), so a topic of many partitions delays no one else.
 */
#include "runtime/log/log-private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "runtime/files.h"

G_DEFINE_QUARK(rill-log-error-quark, rill_log_error)

static void topic_free(rill__topic *t)
{
  for (guint i = 0; i < t->partitions->len; i++)
    rill__partition_unref(g_ptr_array_index(t->partitions, i));
  g_ptr_array_unref(t->partitions);
  g_hash_table_unref(t->own_config);
  g_free(t->name);
  g_free(t->files);
  g_free(t);
}

/* The longest <files> kept plain: "<files>-2147483647.deleted" and
 * "<files>.conf.tmp" must fit NAME_MAX (255). */
#define FILES_PLAIN_MAX 236
#define FILES_PREFIX 200

/* What @topic's file names start with: the name itself if short enough,
 * else its first FILES_PREFIX characters, '~' and 16 hex digits of its
 * SHA-256. '~' is not legal in a topic name, so no plain name equals a
 * shortened one; two shortened ones differ unless SHA-256 collides in 64
 * bits (create checks anyway). (transfer full) */
static char *topic_files_name(const char *topic)
{
  size_t len = strlen(topic);
  if (len <= FILES_PLAIN_MAX)
    return g_strdup(topic);
  g_autofree char *sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, topic, (gssize)len);
  return g_strdup_printf("%.*s~%.16s", FILES_PREFIX, topic, sum);
}

static char *partition_dir(rill_log *log, const rill__topic *t, int32_t index)
{
  return g_strdup_printf("%s/%s-%d", log->dir, t->files, index);
}

static char *conf_path(rill_log *log, const rill__topic *t)
{
  return g_strdup_printf("%s/.topics/%s.conf", log->dir, t->files);
}

static gboolean write_topic_conf(rill_log *log, rill__topic *t, int32_t partitions, GError **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new();
  g_key_file_set_string(kf, "topic", "name", t->name);
  g_key_file_set_integer(kf, "topic", "partitions", partitions);
  g_key_file_set_string(kf, "topic", "files", t->files);
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init(&it, t->own_config);
  while (g_hash_table_iter_next(&it, &k, &v))
    g_key_file_set_string(kf, "config", k, v);
  gsize len;
  g_autofree char *data = g_key_file_to_data(kf, &len, NULL);
  g_autofree char *path = conf_path(log, t);
  return rill__atomic_write(path, data, len, error);
}

static void add_note(rill_log *log, const char *topic, int32_t index, GString *note)
{
  if (note->len) {
    g_autofree char *line = g_strdup_printf("%s-%d: %s", topic, index, note->str);
    g_rw_lock_writer_lock(&log->topics_lock);
    g_strv_builder_add(log->notes, line);
    g_rw_lock_writer_unlock(&log->topics_lock);
  }
}

/* Opens (@create: makes) partitions [@from, @to) of @t into @into, with
 * @cfg. No lock held: @t's name and files do not change. */
static gboolean open_partitions(rill_log *log, const rill__topic *t, const rill__topic_config *cfg, int32_t from,
                                int32_t to, bool create, GPtrArray *into, GError **error)
{
  for (int32_t i = from; i < to; i++) {
    g_autoptr(GString) note = g_string_new(NULL);
    g_autofree char *dir = partition_dir(log, t, i);
    rill__partition *p = rill__partition_open(log, t->name, i, dir, cfg, create, note, error);
    if (!p)
      return FALSE;
    add_note(log, t->name, i, note);
    g_ptr_array_add(into, p);
  }
  return TRUE;
}

/* Removes what open_partitions made, from @from on, and drops it. */
static void remove_partitions(GPtrArray *parts, guint from)
{
  while (parts->len > from) {
    rill__partition *p = g_ptr_array_steal_index(parts, parts->len - 1);
    rill__rm_rf(p->dir);
    rill__partition_unref(p);
  }
}

static gboolean load_topic(rill_log *log, const char *file, GError **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new();
  g_autofree char *path = g_build_filename(log->dir, ".topics", file, NULL);
  if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, error))
    return FALSE;
  rill__topic *t = g_new0(rill__topic, 1);
  t->name = g_key_file_get_string(kf, "topic", "name", NULL);
  t->files = g_key_file_get_string(kf, "topic", "files", NULL);
  int32_t n = g_key_file_get_integer(kf, "topic", "partitions", NULL);
  t->own_config = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  t->partitions = g_ptr_array_new();
  g_auto(GStrv) keys = g_key_file_get_keys(kf, "config", NULL, NULL);
  for (char **k = keys; k && *k; k++)
    g_hash_table_insert(t->own_config, g_strdup(*k), g_key_file_get_string(kf, "config", *k, NULL));
  if (!t->name || n < 1 || !rill_log_topic_name_validate(t->name, NULL)) {
    g_set_error(error, RILL_LOG_ERROR, RILL_LOG_ERROR_IO, "%s: invalid topic file", path);
    goto fail;
  }
  if (!t->files) {
    t->files = g_strdup(t->name); /* written before long names were stored shortened */
  } else {
    /* Only the two forms this file could have been written with: never a
     * path from the file itself. */
    g_autofree char *shortened = topic_files_name(t->name);
    if (strcmp(t->files, t->name) != 0 && strcmp(t->files, shortened) != 0) {
      g_set_error(error, RILL_LOG_ERROR, RILL_LOG_ERROR_IO, "%s: invalid topic file", path);
      goto fail;
    }
  }
  if (!rill__topic_config_resolve(&t->cfg, log->default_config, t->own_config, error) ||
      !open_partitions(log, t, &t->cfg, 0, n, false, t->partitions, error))
    goto fail;
  g_hash_table_insert(log->topics, t->name, t);
  return TRUE;
fail:
  topic_free(t);
  return FALSE;
}

/* Removes partition directories ("<files>-<n>", "<files>-<n>.deleted") no
 * topic file accounts for. */
static void remove_orphans(rill_log *log)
{
  g_autoptr(GHashTable) live = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init(&it, log->topics);
  while (g_hash_table_iter_next(&it, NULL, &v)) {
    rill__topic *t = v;
    for (guint i = 0; i < t->partitions->len; i++)
      g_hash_table_add(live, g_strdup_printf("%s-%u", t->files, i));
  }
  g_autoptr(GDir) d = g_dir_open(log->dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name(d))) {
    const char *dash = strrchr(name, '-');
    if (!dash || !g_ascii_isdigit(dash[1]) || g_hash_table_contains(live, name))
      continue;
    const char *end = dash + 1;
    while (g_ascii_isdigit(*end))
      end++;
    if (*end != '\0' && strcmp(end, ".deleted") != 0)
      continue;
    g_autofree char *path = g_build_filename(log->dir, name, NULL);
    if (g_file_test(path, G_FILE_TEST_IS_DIR))
      rill__rm_rf(path);
  }
}

static gboolean load_producer_ids(rill_log *log, GError **error)
{
  g_autofree char *path = g_build_filename(log->dir, "producer-ids", NULL);
  g_autofree char *data = NULL;
  log->next_producer_id = 0;
  if (g_file_get_contents(path, &data, NULL, NULL) &&
      !g_ascii_string_to_signed(g_strstrip(data), 10, 0, G_MAXINT64, &log->next_producer_id, NULL)) {
    g_set_error(error, RILL_LOG_ERROR, RILL_LOG_ERROR_IO, "%s: invalid content", path);
    return FALSE;
  }
  return TRUE;
}

const rill_prom_histogram *rill__log_sync_latency(rill_log *log)
{
  return &log->fds.sync_ns;
}

GPtrArray *rill__log_partitions(rill_log *log)
{
  GPtrArray *a = g_ptr_array_new_with_free_func((GDestroyNotify)rill__partition_unref);
  g_rw_lock_reader_lock(&log->topics_lock);
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init(&it, log->topics);
  while (g_hash_table_iter_next(&it, NULL, &v)) {
    rill__topic *t = v;
    for (guint i = 0; i < t->partitions->len; i++)
      g_ptr_array_add(a, rill__partition_ref(g_ptr_array_index(t->partitions, i)));
  }
  g_rw_lock_reader_unlock(&log->topics_lock);
  return a;
}

static gpointer maintenance(gpointer data)
{
  rill_log *log = data;
  int64_t next_retention =
    log->retention_interval_ms > 0 ? g_get_monotonic_time() + log->retention_interval_ms * 1000 : G_MAXINT64;
  g_mutex_lock(&log->thread_lock);
  while (!log->stopping) {
    /* Interval flushes are checked every 100 ms; each partition syncs when
     * its own flush.ms has passed since its first unsynced append. */
    int64_t wake = MIN(next_retention, g_get_monotonic_time() + 100 * 1000);
    if (g_cond_wait_until(&log->thread_cond, &log->thread_lock, wake) || log->stopping)
      continue;
    g_mutex_unlock(&log->thread_lock);
    GPtrArray *parts = rill__log_partitions(log);
    int64_t now = g_get_real_time() / 1000;
    for (guint i = 0; i < parts->len; i++) {
      g_autoptr(GError) err = NULL;
      if (!rill__partition_flush(g_ptr_array_index(parts, i), now, false, &err))
        g_warning("%s", err->message);
    }
    if (g_get_monotonic_time() >= next_retention) {
      for (guint i = 0; i < parts->len; i++)
        rill__partition_retention(g_ptr_array_index(parts, i), now);
      next_retention = g_get_monotonic_time() + log->retention_interval_ms * 1000;
    }
    g_ptr_array_unref(parts);
    g_mutex_lock(&log->thread_lock);
  }
  g_mutex_unlock(&log->thread_lock);
  return NULL;
}

static gpointer sync_thread(gpointer data)
{
  rill_log *log = data;
  g_mutex_lock(&log->sync_lock);
  for (;;) {
    rill__partition *p = g_queue_pop_head(&log->sync_queue);
    if (!p) {
      if (log->sync_stopping)
        break;
      g_cond_wait(&log->sync_cond, &log->sync_lock);
      continue;
    }
    g_mutex_unlock(&log->sync_lock);
    rill__partition_sync_pending(p);
    rill__partition_unref(p);
    g_mutex_lock(&log->sync_lock);
  }
  g_mutex_unlock(&log->sync_lock);
  return NULL;
}

void rill__log_queue_sync(rill_log *log, rill__partition *p)
{
  g_mutex_lock(&log->sync_lock);
  g_queue_push_tail(&log->sync_queue, rill__partition_ref(p));
  g_cond_signal(&log->sync_cond);
  g_mutex_unlock(&log->sync_lock);
}

void rill_log_options_init(rill_log_options *options)
{
  g_return_if_fail(options != NULL);
  memset(options, 0, sizeof *options);
  options->retention_check_interval_ms = 300000;
  options->page_cache_window_bytes = 4 << 20;
  options->scrub_bytes_per_sec = 4 << 20;
  options->scrub_interval_ms = 3600000;
}

rill_log *rill_log_open(const char *dir, const rill_log_options *options, GError **error)
{
  g_return_val_if_fail(dir != NULL, NULL);
  rill_log_options defaults;
  if (!options) {
    rill_log_options_init(&defaults);
    options = &defaults;
  }
  g_autofree char *topics_dir = g_build_filename(dir, ".topics", NULL);
  g_autofree char *lock_path = g_build_filename(dir, ".lock", NULL);
  g_autoptr(GDir) d = NULL;
  rill_log *log = g_new0(rill_log, 1);
  log->dir = g_strdup(dir);
  log->lock_fd = -1;
  log->default_config = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  log->topics = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)topic_free);
  log->notes = g_strv_builder_new();
  log->groups = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_hash_table_unref);
  log->retention_interval_ms = options->retention_check_interval_ms;
  log->cache_window_bytes = MAX(options->page_cache_window_bytes, 0);
  rill__fd_cache_init(&log->fds, options->max_open_files);
  g_mutex_init(&log->admin_lock);
  g_cond_init(&log->admin_cond);
  log->creating = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  g_mutex_init(&log->sync_lock);
  g_cond_init(&log->sync_cond);
  g_queue_init(&log->sync_queue);
  g_rw_lock_init(&log->topics_lock);
  g_mutex_init(&log->groups_lock);
  g_mutex_init(&log->pid_lock);
  g_mutex_init(&log->thread_lock);
  g_cond_init(&log->thread_cond);

  rill__topic_config check;
  if (!rill__topic_config_apply(&check, log->default_config, options->default_config, error))
    goto fail;
  if (g_mkdir_with_parents(topics_dir, 0755) != 0) {
    rill__set_io_error(error, errno, "cannot create", topics_dir);
    goto fail;
  }
  log->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (log->lock_fd < 0) {
    rill__set_io_error(error, errno, "cannot open", lock_path);
    goto fail;
  }
  if (flock(log->lock_fd, LOCK_EX | LOCK_NB) != 0) {
    g_set_error(error, RILL_LOG_ERROR, RILL_LOG_ERROR_LOCKED, "%s is in use by another rill_log", dir);
    goto fail;
  }
  d = g_dir_open(topics_dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name(d)))
    if (g_str_has_suffix(name, ".conf") && !load_topic(log, name, error))
      goto fail;
  remove_orphans(log);
  if (!rill__groups_load(log, error) || !load_producer_ids(log, error))
    goto fail;
  log->thread = g_thread_new("rill-log", maintenance, log);
  log->sync_thread = g_thread_new("rill-log-sync", sync_thread, log);
  log->scrubber = rill__scrubber_start(log, options);
  return log;

fail:
  rill_log_close(log);
  return NULL;
}

void rill_log_close(rill_log *log)
{
  if (!log)
    return;
  rill__scrubber_stop(log->scrubber);
  if (log->thread) {
    g_mutex_lock(&log->thread_lock);
    log->stopping = true;
    g_cond_signal(&log->thread_cond);
    g_mutex_unlock(&log->thread_lock);
    g_thread_join(log->thread);
  }
  if (log->sync_thread) {
    /* It finishes the rounds queued so far: no call is in flight, so none
     * will be queued after. */
    g_mutex_lock(&log->sync_lock);
    log->sync_stopping = true;
    g_cond_signal(&log->sync_cond);
    g_mutex_unlock(&log->sync_lock);
    g_thread_join(log->sync_thread);
  }
  GPtrArray *parts = rill__log_partitions(log);
  for (guint i = 0; i < parts->len; i++)
    rill__partition_close(g_ptr_array_index(parts, i), true);
  g_ptr_array_unref(parts);
  g_hash_table_unref(log->topics);
  g_hash_table_unref(log->creating);
  g_hash_table_unref(log->groups);
  g_hash_table_unref(log->default_config);
  g_strv_builder_unref(log->notes);
  if (log->lock_fd >= 0)
    close(log->lock_fd);
  g_rw_lock_clear(&log->topics_lock);
  g_mutex_clear(&log->groups_lock);
  g_mutex_clear(&log->pid_lock);
  g_mutex_clear(&log->thread_lock);
  g_cond_clear(&log->thread_cond);
  g_mutex_clear(&log->sync_lock);
  g_cond_clear(&log->sync_cond);
  g_mutex_clear(&log->admin_lock);
  g_cond_clear(&log->admin_cond);
  rill__fd_cache_clear(&log->fds);
  g_free(log->dir);
  g_free(log);
}

char **rill_log_recovery_notes(rill_log *log)
{
  g_return_val_if_fail(log != NULL, NULL);
  g_rw_lock_writer_lock(&log->topics_lock);
  char **notes = g_strv_builder_end(log->notes);
  for (char **n = notes; *n; n++)
    g_strv_builder_add(log->notes, *n);
  g_rw_lock_writer_unlock(&log->topics_lock);
  return notes;
}

/* ---- topics ---- */

static char *collision_key(const char *name) { return g_strdelimit(g_strdup(name), ".", '_'); }

/* Under admin_lock: FALSE with @error if @t may not be created next to the
 * existing topics and those being created. */
static gboolean check_collisions(rill_log *log, const rill__topic *t, GError **error)
{
  g_autofree char *key = collision_key(t->name);
  if (g_hash_table_contains(log->creating, key)) {
    g_set_error(error, RILL_LOG_ERROR, RILL_LOG_ERROR_TOPIC_EXISTS,
                "topic '%s' (or one equal to it when '.' and '_' are equivalent) is being created", t->name);
    return FALSE;
  }
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init(&it, log->topics);
  while (g_hash_table_iter_next(&it, &k, &v)) {
    g_autofree char *other = collision_key(k);
    if (strcmp(k, t->name) == 0) {
      g_set_error(error, RILL_LOG_ERROR, RILL_LOG_ERROR_TOPIC_EXISTS, "topic '%s' already exists", t->name);
      return FALSE;
    }
    if (strcmp(other, key) == 0 || strcmp(((rill__topic *)v)->files, t->files) == 0) {
      g_set_error(error, RILL_LOG_ERROR, RILL_LOG_ERROR_INVALID_TOPIC,
                  "topic '%s' collides with existing topic '%s' ('.' and '_' are equivalent)", t->name,
                  (const char *)k);
      return FALSE;
    }
  }
  return TRUE;
}

gboolean rill_log_topic_create(rill_log *log, const char *topic, int32_t partitions, const char *const *config,
                               GError **error)
{
  g_return_val_if_fail(log != NULL && topic != NULL, FALSE);
  if (!rill_log_topic_name_validate(topic, error))
    return FALSE;
  if (partitions < 1) {
    g_set_error(error, RILL_LOG_ERROR, RILL_LOG_ERROR_INVALID_PARTITIONS, "partition count %d must be >= 1",
                partitions);
    return FALSE;
  }
  rill__topic *t = g_new0(rill__topic, 1);
  t->name = g_strdup(topic);
  t->files = topic_files_name(topic);
  t->own_config = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  t->partitions = g_ptr_array_new();
  rill__topic_config scratch;
  if (!rill__topic_config_resolve(&scratch, log->default_config, NULL, error) ||
      !rill__topic_config_apply(&scratch, t->own_config, config, error) ||
      !rill__topic_config_resolve(&t->cfg, log->default_config, t->own_config, error)) {
    topic_free(t);
    return FALSE;
  }
  char *key = collision_key(topic);
  g_mutex_lock(&log->admin_lock);
  gboolean ok = check_collisions(log, t, error);
  if (ok)
    g_hash_table_add(log->creating, key);
  else
    g_free(key);
  g_mutex_unlock(&log->admin_lock);
  if (!ok) {
    topic_free(t);
    return FALSE;
  }
  /* Reserved in log->creating: nobody else touches this topic's files. */
  ok = open_partitions(log, t, &t->cfg, 0, partitions, true, t->partitions, error) &&
       rill__fsync_dir(log->dir, error) && write_topic_conf(log, t, partitions, error);
  g_mutex_lock(&log->admin_lock);
  g_hash_table_remove(log->creating, key);
  if (ok) {
    g_rw_lock_writer_lock(&log->topics_lock);
    g_hash_table_insert(log->topics, t->name, t);
    g_rw_lock_writer_unlock(&log->topics_lock);
  }
  g_mutex_unlock(&log->admin_lock);
  if (!ok) {
    remove_partitions(t->partitions, 0);
    topic_free(t);
  }
  return ok;
}

static void no_topic(GError **error, const char *topic)
{
  g_set_error(error, RILL_LOG_ERROR, RILL_LOG_ERROR_UNKNOWN_TOPIC, "unknown topic '%s'", topic);
}

/* Under admin_lock: @topic once it is not growing, or NULL with @error. */
static rill__topic *settled_topic(rill_log *log, const char *topic, GError **error)
{
  for (;;) {
    rill__topic *t = g_hash_table_lookup(log->topics, topic);
    if (!t) {
      no_topic(error, topic);
      return NULL;
    }
    if (!t->growing)
      return t;
    g_cond_wait(&log->admin_cond, &log->admin_lock);
  }
}

gboolean rill_log_topic_delete(rill_log *log, const char *topic, GError **error)
{
  g_return_val_if_fail(log != NULL && topic != NULL, FALSE);
  g_mutex_lock(&log->admin_lock);
  rill__topic *t = settled_topic(log, topic, error);
  if (!t) {
    g_mutex_unlock(&log->admin_lock);
    return FALSE;
  }
  g_autofree char *path = conf_path(log, t);
  g_autofree char *tdir = g_build_filename(log->dir, ".topics", NULL);
  if (unlink(path) != 0 || !rill__fsync_dir(tdir, NULL)) {
    rill__set_io_error(error, errno, "cannot remove", path);
    g_mutex_unlock(&log->admin_lock);
    return FALSE;
  }
  g_rw_lock_writer_lock(&log->topics_lock);
  g_hash_table_steal(log->topics, topic);
  g_rw_lock_writer_unlock(&log->topics_lock);
  /* Renamed before a new topic of the same name can reuse the names. */
  g_autoptr(GPtrArray) dead = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < t->partitions->len; i++) {
    rill__partition *p = g_ptr_array_index(t->partitions, i);
    rill__partition_close(p, false);
    char *gone = g_strconcat(p->dir, ".deleted", NULL);
    g_ptr_array_add(dead, rename(p->dir, gone) == 0 ? gone : (g_free(gone), g_strdup(p->dir)));
  }
  g_mutex_unlock(&log->admin_lock);
  for (guint i = 0; i < dead->len; i++)
    rill__rm_rf(g_ptr_array_index(dead, i));
  topic_free(t);
  return TRUE;
}

gboolean rill_log_topic_add_partitions(rill_log *log, const char *topic, int32_t partitions, GError **error)
{
  g_return_val_if_fail(log != NULL && topic != NULL, FALSE);
  g_mutex_lock(&log->admin_lock);
  rill__topic *t = settled_topic(log, topic, error);
  if (!t) {
    g_mutex_unlock(&log->admin_lock);
    return FALSE;
  }
  int32_t old = (int32_t)t->partitions->len;
  if (partitions <= old) {
    g_set_error(error, RILL_LOG_ERROR, RILL_LOG_ERROR_INVALID_PARTITIONS,
                "topic '%s' has %d partitions; the new count %d must be larger", topic, old, partitions);
    g_mutex_unlock(&log->admin_lock);
    return FALSE;
  }
  /* growing: no delete or other growth until this one is done, so @t stays. */
  t->growing = true;
  rill__topic_config cfg = t->cfg;
  g_mutex_unlock(&log->admin_lock);

  g_autoptr(GPtrArray) fresh = g_ptr_array_new();
  gboolean ok = open_partitions(log, t, &cfg, old, partitions, true, fresh, error) && rill__fsync_dir(log->dir, error);

  g_mutex_lock(&log->admin_lock);
  ok = ok && write_topic_conf(log, t, partitions, error);
  if (ok) {
    g_rw_lock_writer_lock(&log->topics_lock);
    for (guint i = 0; i < fresh->len; i++)
      g_ptr_array_add(t->partitions, g_ptr_array_index(fresh, i));
    g_rw_lock_writer_unlock(&log->topics_lock);
    for (guint i = 0; i < fresh->len; i++) /* an alter may have run meanwhile */
      rill__partition_set_config(g_ptr_array_index(fresh, i), &t->cfg);
    g_ptr_array_set_size(fresh, 0);
  }
  t->growing = false;
  g_cond_broadcast(&log->admin_cond);
  g_mutex_unlock(&log->admin_lock);
  remove_partitions(fresh, 0);
  return ok;
}

gboolean rill_log_topic_alter_config(rill_log *log, const char *topic, const char *const *config, GError **error)
{
  g_return_val_if_fail(log != NULL && topic != NULL, FALSE);
  gboolean ok = FALSE;
  g_autoptr(GHashTable) own = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  g_mutex_lock(&log->admin_lock);
  rill__topic *t = g_hash_table_lookup(log->topics, topic);
  if (!t) {
    no_topic(error, topic);
    goto out;
  }
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init(&it, t->own_config);
  while (g_hash_table_iter_next(&it, &k, &v))
    g_hash_table_insert(own, g_strdup(k), g_strdup(v));
  for (const char *const *kv = config; kv && kv[0]; kv += 2) {
    if (kv[1])
      g_hash_table_replace(own, g_strdup(kv[0]), g_strdup(kv[1]));
    else
      g_hash_table_remove(own, kv[0]);
  }
  rill__topic_config cfg;
  if (!rill__topic_config_resolve(&cfg, log->default_config, own, error))
    goto out;
  GHashTable *prev = t->own_config;
  t->own_config = own;
  /* The committed count: partitions being added are written by their own
   * commit, with this config. */
  if (!write_topic_conf(log, t, (int32_t)t->partitions->len, error)) {
    t->own_config = prev;
    goto out;
  }
  own = prev; /* freed by the autoptr */
  g_rw_lock_writer_lock(&log->topics_lock);
  t->cfg = cfg;
  g_rw_lock_writer_unlock(&log->topics_lock);
  for (guint i = 0; i < t->partitions->len; i++)
    rill__partition_set_config(g_ptr_array_index(t->partitions, i), &cfg);
  ok = TRUE;
out:
  g_mutex_unlock(&log->admin_lock);
  return ok;
}

char **rill_log_topic_list(rill_log *log)
{
  g_return_val_if_fail(log != NULL, NULL);
  g_rw_lock_reader_lock(&log->topics_lock);
  guint n;
  char **names = (char **)g_hash_table_get_keys_as_array(log->topics, &n);
  for (guint i = 0; i < n; i++)
    names[i] = g_strdup(names[i]);
  g_rw_lock_reader_unlock(&log->topics_lock);
  g_qsort_with_data(names, (gint)n, sizeof(char *), rill__strv_cmp, NULL);
  return names;
}

gboolean rill_log_topic_describe(rill_log *log, const char *topic, int32_t *partitions, GHashTable **config,
                                 GError **error)
{
  g_return_val_if_fail(log != NULL && topic != NULL, FALSE);
  g_rw_lock_reader_lock(&log->topics_lock);
  rill__topic *t = g_hash_table_lookup(log->topics, topic);
  if (t) {
    if (partitions)
      *partitions = (int32_t)t->partitions->len;
    if (config)
      *config = rill__topic_config_describe(&t->cfg);
  }
  g_rw_lock_reader_unlock(&log->topics_lock);
  if (!t)
    no_topic(error, topic);
  return t != NULL;
}

/* ---- partition calls ---- */

static rill__partition *get_partition(rill_log *log, const char *topic, int32_t index, GError **error)
{
  rill__partition *p = NULL;
  g_rw_lock_reader_lock(&log->topics_lock);
  rill__topic *t = g_hash_table_lookup(log->topics, topic);
  if (t && index >= 0 && (guint)index < t->partitions->len)
    p = rill__partition_ref(g_ptr_array_index(t->partitions, index));
  g_rw_lock_reader_unlock(&log->topics_lock);
  if (!p)
    g_set_error(error, RILL_LOG_ERROR, RILL_LOG_ERROR_UNKNOWN_TOPIC, "unknown topic-partition %s-%d", topic,
                index);
  return p;
}

gboolean rill_log_append(rill_log *log, const char *topic, int32_t partition, uint8_t *batches, size_t len,
                         rill_log_append_result *result, GError **error)
{
  g_return_val_if_fail(log != NULL && topic != NULL && batches != NULL && result != NULL, FALSE);
  rill__partition *p = get_partition(log, topic, partition, error);
  if (!p)
    return FALSE;
  gboolean ok = rill__partition_append(p, batches, len, result, NULL, NULL, NULL, error);
  rill__partition_unref(p);
  return ok;
}

gboolean rill_log_append_nowait(rill_log *log, const char *topic, int32_t partition, uint8_t *batches,
                                size_t len, rill_log_append_result *result, rill_log_durable_func func,
                                void *user_data, gboolean *pending, GError **error)
{
  g_return_val_if_fail(log != NULL && topic != NULL && batches != NULL && result != NULL && func != NULL &&
                         pending != NULL,
                       FALSE);
  *pending = FALSE;
  rill__partition *p = get_partition(log, topic, partition, error);
  if (!p)
    return FALSE;
  gboolean ok = rill__partition_append(p, batches, len, result, func, user_data, pending, error);
  rill__partition_unref(p);
  return ok;
}

rill_log_fetch *rill_log_read(rill_log *log, const char *topic, int32_t partition, int64_t offset,
                              size_t max_bytes, GError **error)
{
  g_return_val_if_fail(log != NULL && topic != NULL, NULL);
  rill__partition *p = get_partition(log, topic, partition, error);
  if (!p)
    return NULL;
  rill_log_fetch *f = rill__partition_read(p, offset, max_bytes, error);
  rill__partition_unref(p);
  return f;
}

gboolean rill_log_partition_info_get(rill_log *log, const char *topic, int32_t partition,
                                     rill_log_partition_info *info, GError **error)
{
  g_return_val_if_fail(log != NULL && topic != NULL && info != NULL, FALSE);
  rill__partition *p = get_partition(log, topic, partition, error);
  if (!p)
    return FALSE;
  rill__partition_info(p, info);
  rill__partition_unref(p);
  return TRUE;
}

gboolean rill_log_offset_for_timestamp(rill_log *log, const char *topic, int32_t partition, int64_t timestamp,
                                       int64_t *offset, int64_t *found_timestamp, GError **error)
{
  g_return_val_if_fail(log != NULL && topic != NULL && offset != NULL && found_timestamp != NULL, FALSE);
  rill__partition *p = get_partition(log, topic, partition, error);
  if (!p)
    return FALSE;
  gboolean ok = rill__partition_offset_for_time(p, timestamp, offset, found_timestamp, error);
  rill__partition_unref(p);
  return ok;
}

guint64 rill_log_wait_add(rill_log *log, const char *topic, int32_t partition, int64_t offset,
                          rill_log_wait_func func, void *user_data, GError **error)
{
  g_return_val_if_fail(log != NULL && topic != NULL && func != NULL, 0);
  rill__partition *p = get_partition(log, topic, partition, error);
  if (!p)
    return 0;
  guint64 id = rill__partition_wait_add(p, offset, func, user_data);
  rill__partition_unref(p);
  return id;
}

gboolean rill_log_wait_cancel(rill_log *log, const char *topic, int32_t partition, guint64 id)
{
  g_return_val_if_fail(log != NULL && topic != NULL, FALSE);
  rill__partition *p = get_partition(log, topic, partition, NULL);
  if (!p)
    return FALSE;
  gboolean ok = rill__partition_wait_cancel(p, id);
  rill__partition_unref(p);
  return ok;
}

int64_t rill_log_wait(rill_log *log, const char *topic, int32_t partition, int64_t offset, int64_t timeout_us,
                      GError **error)
{
  g_return_val_if_fail(log != NULL && topic != NULL, -1);
  rill__partition *p = get_partition(log, topic, partition, error);
  if (!p)
    return -1;
  int64_t hwm = rill__partition_wait(p, offset, timeout_us, error);
  rill__partition_unref(p);
  return hwm;
}

guint rill_log_enforce_retention(rill_log *log, int64_t now_ms)
{
  g_return_val_if_fail(log != NULL, 0);
  GPtrArray *parts = rill__log_partitions(log);
  guint n = 0;
  for (guint i = 0; i < parts->len; i++)
    n += rill__partition_retention(g_ptr_array_index(parts, i), now_ms);
  g_ptr_array_unref(parts);
  return n;
}

gboolean rill_log_flush(rill_log *log, GError **error)
{
  g_return_val_if_fail(log != NULL, FALSE);
  GPtrArray *parts = rill__log_partitions(log);
  gboolean ok = TRUE;
  for (guint i = 0; i < parts->len && ok; i++)
    ok = rill__partition_flush(g_ptr_array_index(parts, i), 0, true, error);
  g_ptr_array_unref(parts);
  return ok;
}

/* ---- producers ---- */

int64_t rill_log_producer_id_allocate(rill_log *log, GError **error)
{
  g_return_val_if_fail(log != NULL, -1);
  g_mutex_lock(&log->pid_lock);
  int64_t id = log->next_producer_id;
  g_autofree char *path = g_build_filename(log->dir, "producer-ids", NULL);
  g_autofree char *data = g_strdup_printf("%" G_GINT64_FORMAT "\n", id + 1);
  if (rill__atomic_write(path, data, strlen(data), error))
    log->next_producer_id = id + 1;
  else
    id = -1;
  g_mutex_unlock(&log->pid_lock);
  return id;
}

gboolean rill_log_producer_state_get(rill_log *log, const char *topic, int32_t partition, int64_t producer_id,
                                     int16_t *epoch, int32_t *last_sequence, int64_t *last_offset)
{
  g_return_val_if_fail(log != NULL && topic != NULL, FALSE);
  rill__partition *p = get_partition(log, topic, partition, NULL);
  if (!p)
    return FALSE;
  g_mutex_lock(&p->lock);
  const rill__producer *pr = g_hash_table_lookup(p->producers, &producer_id);
  gboolean found = pr && pr->n;
  if (found) {
    if (epoch)
      *epoch = pr->epoch;
    if (last_sequence)
      *last_sequence = pr->batches[pr->n - 1].last_seq;
    if (last_offset)
      *last_offset = pr->batches[pr->n - 1].last_offset;
  }
  g_mutex_unlock(&p->lock);
  rill__partition_unref(p);
  return found;
}
