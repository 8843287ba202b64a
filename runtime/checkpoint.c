/* checkpoint.c — the checkpoint coordinator and its on-disk storage.
 *
 * One coordinator thread per pipeline with checkpoints on. It triggers
 * checkpoint n by publishing `trigger` = n (source tasks poll it between
 * reads), collects one ack per task — a snapshot blob, or "finished" from a
 * task that ended without seeing barrier n — writes each blob as
 * chk-<n>/task-<chain>-<index>.bin (fsync'ed), and once every task acked
 * writes chk-<n>/MANIFEST through a temporary, fsync, rename and a
 * directory fsync (runtime/files.c), then fsyncs the checkpoint directory's
 * parent so chk-<n> itself is durable; a failure of any of these fails the
 * pipeline. Only then is n complete: `completed` is published (tasks
 * poll it to call on_checkpoint_complete) and older checkpoints beyond
 * `retain` are deleted.
 *
 * Invariants: at most one checkpoint is in flight; ids grow by one and
 * continue after a restored id; a checkpoint with a MANIFEST whose task
 * files all have the recorded size and hash is complete, anything else in
 * the directory is ignored on restart. A "finished" ack while the pipeline
 * is stopping aborts the checkpoint in flight (a drained source has not
 * really reached its end, so a restart must not consider it finished), and
 * no checkpoint is triggered once stopping.
 *
 * MANIFEST (text, one item per line):
 *   rill-checkpoint 1
 *   id N
 *   parallelism P
 *   stage CHAIN NAME            per stage, definition order
 *   task CHAIN INDEX finished   or: task CHAIN INDEX SIZE HASH(hex)
 *   end
 * Task file: "RILLTSK1", u64 id, u32 chain, u32 index, u32 n, then n
 * entries of (u32-prefixed stage name, u64 length, snapshot bytes).
 */
#include "runtime/files.h"
#include "runtime/pipeline-private.h"
#include "runtime/snap.h"
#include "runtime/state-table.h"

#include <rill/checkpoint.h>

#include <errno.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

G_DEFINE_QUARK(rill-checkpoint-error-quark, rill_checkpoint_error)

#define TASK_MAGIC "RILLTSK1"

typedef struct {
  guint task;         /* index in p->tasks */
  guint64 id;
  GByteArray *blob;   /* NULL: finished */
} ack_item;

typedef struct {
  gboolean finished;
  guint64 size, hash;
} task_entry;

struct rill__checkpointer {
  rill_pipeline *p;
  char *dir;
  guint interval_ms, retain;
  GThread *thread;
  GMutex lock;
  GCond cond;
  gboolean quit;          /* under lock */
  guint64 trigger;        /* atomic: the barrier sources should emit */
  guint64 completed;      /* atomic: last complete checkpoint */
  guint64 restored;
  guint64 last_id;        /* coordinator thread */
  guint64 pending;        /* under lock: in flight, 0 = none */
  gboolean aborted;       /* under lock: the in-flight one will not complete */
  guint n_tasks;
  guint64 *task_acked;    /* under lock: last id each task acked */
  gboolean *task_finished;/* under lock */
  GQueue queue;           /* ack_item, under lock */
  /* coordinator thread only */
  task_entry *entries;
  guint acked;
  gint64 started_us;      /* monotonic: when the pending one was triggered */
  rill__checkpoint_stats stats; /* atomics: written here, read by metrics scrapes */
};

/* ---- files -------------------------------------------------------------- */

static char *chk_dir(const char *dir, guint64 id)
{
  char name[40];
  g_snprintf(name, sizeof name, "chk-%" G_GUINT64_FORMAT, id);
  return g_build_filename(dir, name, NULL);
}

/* A file step that failed, as the pipeline's error. */
static GError *io_error(const char *path, const char *what, int rc)
{
  return g_error_new(RILL_CHECKPOINT_ERROR, RILL_CHECKPOINT_ERROR_IO, "%s: %s: %s", path, what, g_strerror(-rc));
}

/* Checkpoint ids present in @dir (complete or not), newest first. */
static GArray *list_ids(const char *dir)
{
  GArray *ids = g_array_new(FALSE, FALSE, sizeof(guint64));
  GDir *d = g_dir_open(dir, 0, NULL);
  if (!d)
    return ids;
  const char *name;
  while ((name = g_dir_read_name(d)) != NULL) {
    if (!g_str_has_prefix(name, "chk-"))
      continue;
    char *end;
    guint64 id = g_ascii_strtoull(name + 4, &end, 10);
    if (end != name + 4 && !*end && id > 0)
      g_array_append_val(ids, id);
  }
  g_dir_close(d);
  for (guint i = 1; i < ids->len; i++) /* few entries: insertion sort, descending */
    for (guint j = i; j > 0 && g_array_index(ids, guint64, j - 1) < g_array_index(ids, guint64, j); j--) {
      guint64 x = g_array_index(ids, guint64, j);
      g_array_index(ids, guint64, j) = g_array_index(ids, guint64, j - 1);
      g_array_index(ids, guint64, j - 1) = x;
    }
  return ids;
}

/* ---- reading a checkpoint ----------------------------------------------- */

typedef struct {
  guint64 id;
  guint parallelism;
  GPtrArray *stage_names;  /* char *, definition order */
  GArray *stage_chains;    /* guint */
  GHashTable *tasks;       /* "chain.index" -> GBytes (file) or NULL value for finished */
} manifest;

static void manifest_free(manifest *m)
{
  if (!m)
    return;
  g_ptr_array_unref(m->stage_names);
  g_array_unref(m->stage_chains);
  g_hash_table_unref(m->tasks);
  g_free(m);
}

static void bytes_unref0(gpointer b)
{
  if (b)
    g_bytes_unref(b);
}

/* Reads checkpoint @id of @dir; NULL when it is incomplete or damaged. */
static manifest *read_checkpoint(const char *dir, guint64 id)
{
  char *cdir = chk_dir(dir, id);
  char *path = g_build_filename(cdir, "MANIFEST", NULL);
  char *text = NULL;
  manifest *m = NULL;
  if (!g_file_get_contents(path, &text, NULL, NULL))
    goto out;
  m = g_new0(manifest, 1);
  m->stage_names = g_ptr_array_new_with_free_func(g_free);
  m->stage_chains = g_array_new(FALSE, FALSE, sizeof(guint));
  m->tasks = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, bytes_unref0);
  char **lines = g_strsplit(text, "\n", -1);
  gboolean ok = lines[0] && !strcmp(lines[0], "rill-checkpoint 1"), end = FALSE;
  for (char **l = lines + 1; ok && *l && !end; l++) {
    char *rest;
    if (g_str_has_prefix(*l, "id ")) {
      m->id = g_ascii_strtoull(*l + 3, &rest, 10);
      ok = !*rest && m->id == id;
    } else if (g_str_has_prefix(*l, "parallelism ")) {
      m->parallelism = (guint)g_ascii_strtoull(*l + 12, &rest, 10);
      ok = !*rest && m->parallelism > 0;
    } else if (g_str_has_prefix(*l, "stage ")) {
      guint chain = (guint)g_ascii_strtoull(*l + 6, &rest, 10);
      ok = *rest == ' ';
      if (ok) {
        g_array_append_val(m->stage_chains, chain);
        g_ptr_array_add(m->stage_names, g_strdup(rest + 1));
      }
    } else if (g_str_has_prefix(*l, "task ")) {
      char **w = g_strsplit(*l + 5, " ", -1);
      guint n = g_strv_length(w);
      ok = n == 3 || n == 4;
      if (ok) {
        char *key = g_strdup_printf("%s.%s", w[0], w[1]);
        if (n == 3) {
          ok = !strcmp(w[2], "finished");
          g_hash_table_insert(m->tasks, key, NULL);
        } else {
          guint64 size = g_ascii_strtoull(w[2], NULL, 10), hash = g_ascii_strtoull(w[3], NULL, 16);
          char *name = g_strdup_printf("task-%s-%s.bin", w[0], w[1]);
          char *fpath = g_build_filename(cdir, name, NULL);
          char *data = NULL;
          gsize len = 0;
          ok = g_file_get_contents(fpath, &data, &len, NULL) && len == size && rill__hash(data, len) == hash;
          if (ok)
            g_hash_table_insert(m->tasks, key, g_bytes_new_take(data, len));
          else {
            g_free(data);
            g_free(key);
          }
          g_free(fpath);
          g_free(name);
        }
      }
      g_strfreev(w);
    } else if (!strcmp(*l, "end")) {
      end = TRUE;
    } else {
      ok = FALSE;
    }
  }
  g_strfreev(lines);
  if (!ok || !end || m->id != id || !m->parallelism) {
    manifest_free(m);
    m = NULL;
  }
out:
  g_free(text);
  g_free(path);
  g_free(cdir);
  return m;
}

/* The newest complete checkpoint of @dir, or NULL. */
static manifest *latest(const char *dir)
{
  GArray *ids = list_ids(dir);
  manifest *m = NULL;
  for (guint i = 0; !m && i < ids->len; i++)
    m = read_checkpoint(dir, g_array_index(ids, guint64, i));
  g_array_unref(ids);
  return m;
}

guint64 rill_checkpoint_latest(const char *dir)
{
  g_return_val_if_fail(dir != NULL, 0);
  manifest *m = latest(dir);
  guint64 id = m ? m->id : 0;
  manifest_free(m);
  return id;
}

/* Splits a task file into stage name -> GBytes. */
static GHashTable *parse_task_file(GBytes *file, guint64 id, guint chain, guint index)
{
  gsize len;
  const uint8_t *data = g_bytes_get_data(file, &len);
  if (len < 8 || memcmp(data, TASK_MAGIC, 8) != 0)
    return NULL;
  rill__snap_reader r = rill__snap_reader_init(data + 8, len - 8);
  gboolean ok = rill__snap_get_u64(&r) == id;
  ok &= rill__snap_get_u32(&r) == chain;
  ok &= rill__snap_get_u32(&r) == index;
  guint32 n = rill__snap_get_u32(&r);
  GHashTable *h = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_bytes_unref);
  for (guint32 i = 0; ok && r.ok && i < n; i++) {
    size_t nl;
    const uint8_t *name = rill__snap_get_bytes(&r, &nl);
    guint64 bl = rill__snap_get_u64(&r);
    const uint8_t *b = bl <= (guint64)(r.end - r.p) ? rill__snap_take(&r, (size_t)bl) : NULL;
    if (!name || !b) {
      ok = FALSE;
      break;
    }
    gsize off = (gsize)(b - data);
    g_hash_table_insert(h, g_strndup((const char *)name, nl), g_bytes_new_from_bytes(file, off, (gsize)bl));
  }
  if (!ok || !rill__snap_done(&r)) {
    g_hash_table_unref(h);
    return NULL;
  }
  return h;
}

/* ---- setup -------------------------------------------------------------- */

gboolean rill_pipeline_enable_checkpoints(rill_pipeline *pipeline, const char *dir, guint interval_ms,
                                          guint retain, GError **error)
{
  g_return_val_if_fail(pipeline != NULL && pipeline->state == RILL__NEW && dir != NULL, FALSE);
  g_return_val_if_fail(interval_ms >= 1 && retain >= 1, FALSE);
  g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
  if (g_mkdir_with_parents(dir, 0755) != 0) {
    g_set_error(error, RILL_CHECKPOINT_ERROR, RILL_CHECKPOINT_ERROR_IO, "%s: cannot create: %s", dir,
                g_strerror(errno));
    return FALSE;
  }
  rill__checkpointer *c = pipeline->ckpt;
  if (!c) {
    c = g_new0(rill__checkpointer, 1);
    c->p = pipeline;
    g_mutex_init(&c->lock);
    g_cond_init(&c->cond);
    g_queue_init(&c->queue);
    pipeline->ckpt = c;
  }
  g_free(c->dir);
  c->dir = g_strdup(dir);
  c->interval_ms = interval_ms;
  c->retain = retain;
  return TRUE;
}

guint64 rill_pipeline_get_last_checkpoint(rill_pipeline *pipeline)
{
  g_return_val_if_fail(pipeline != NULL, 0);
  return pipeline->ckpt ? __atomic_load_n(&pipeline->ckpt->completed, __ATOMIC_ACQUIRE) : 0;
}

guint64 rill_pipeline_get_restored_checkpoint(rill_pipeline *pipeline)
{
  g_return_val_if_fail(pipeline != NULL, 0);
  return pipeline->ckpt ? pipeline->ckpt->restored : 0;
}

gboolean rill__checkpoint_prepare(rill_pipeline *p, GError **error)
{
  rill__checkpointer *c = p->ckpt;
  c->n_tasks = p->tasks->len;
  c->task_acked = g_new0(guint64, c->n_tasks);
  c->task_finished = g_new0(gboolean, c->n_tasks);
  c->entries = g_new0(task_entry, c->n_tasks);
  manifest *m = latest(c->dir);
  if (!m)
    return TRUE;
  gboolean ok = TRUE;
  if (m->parallelism != p->parallelism) {
    g_set_error(error, RILL_CHECKPOINT_ERROR, RILL_CHECKPOINT_ERROR_MISMATCH,
                "checkpoint %" G_GUINT64_FORMAT " in %s was written with parallelism %u; this pipeline has %u",
                m->id, c->dir, m->parallelism, p->parallelism);
    ok = FALSE;
  }
  for (guint i = 0; ok && i < MAX(p->stages->len, m->stage_names->len); i++) {
    rill_stage *s = i < p->stages->len ? p->stages->pdata[i] : NULL;
    const char *name = i < m->stage_names->len ? m->stage_names->pdata[i] : NULL;
    if (!s || !name || strcmp(s->name, name) != 0 || s->chain != g_array_index(m->stage_chains, guint, i)) {
      g_set_error(error, RILL_CHECKPOINT_ERROR, RILL_CHECKPOINT_ERROR_MISMATCH,
                  "checkpoint %" G_GUINT64_FORMAT " in %s was written by a different pipeline: stage %u is "
                  "'%s' there and '%s' here (stages, their order and chaining must match)",
                  m->id, c->dir, i + 1, name ? name : "(none)", s ? s->name : "(none)");
      ok = FALSE;
    }
  }
  for (guint i = 0; ok && i < p->tasks->len; i++) {
    rill__task *t = p->tasks->pdata[i];
    char key[32];
    g_snprintf(key, sizeof key, "%u.%u", t->chain, t->index);
    GBytes *file;
    if (!g_hash_table_lookup_extended(m->tasks, key, NULL, (gpointer *)&file)) {
      g_set_error(error, RILL_CHECKPOINT_ERROR, RILL_CHECKPOINT_ERROR_MISMATCH,
                  "checkpoint %" G_GUINT64_FORMAT " in %s has no snapshot for task %s", m->id, c->dir, key);
      ok = FALSE;
    } else if (!file) {
      t->restore_finished = TRUE;
    } else if (!(t->restore = parse_task_file(file, m->id, t->chain, t->index))) {
      g_set_error(error, RILL_CHECKPOINT_ERROR, RILL_CHECKPOINT_ERROR_CORRUPT,
                  "checkpoint %" G_GUINT64_FORMAT " in %s: task file %s is malformed", m->id, c->dir, key);
      ok = FALSE;
    }
  }
  if (ok) {
    c->restored = c->last_id = m->id;
    c->completed = m->id;
    c->trigger = 0;
  }
  manifest_free(m);
  return ok;
}

/* ---- the coordinator thread --------------------------------------------- */

static gboolean stopping(rill__checkpointer *c)
{
  return __atomic_load_n(&c->p->stopping, __ATOMIC_SEQ_CST) || __atomic_load_n(&c->p->cancelled, __ATOMIC_SEQ_CST);
}

static void fail(rill__checkpointer *c, GError *error)
{
  __atomic_fetch_add(&c->stats.failed, 1, __ATOMIC_RELAXED);
  GError *e = g_error_new(RILL_PIPELINE_ERROR, RILL_PIPELINE_ERROR_STAGE, "checkpoint: %s", error->message);
  g_error_free(error);
  rill__pipeline_fail(c->p, e);
}

static void prune(rill__checkpointer *c, guint64 newest)
{
  GArray *ids = list_ids(c->dir);
  guint kept = 0;
  for (guint i = 0; i < ids->len; i++) {
    guint64 id = g_array_index(ids, guint64, i);
    if (id > newest)
      continue; /* cannot happen while we run: ids are ours */
    /* A MANIFEST is enough here: re-reading and hashing every retained
     * checkpoint at each completion would cost `retain` x the state size.
     * A damaged one is skipped at restart anyway. */
    gboolean complete = FALSE;
    if (kept < c->retain) {
      char *cdir = chk_dir(c->dir, id);
      char *m = g_build_filename(cdir, "MANIFEST", NULL);
      complete = id == newest || g_file_test(m, G_FILE_TEST_EXISTS);
      g_free(m);
      g_free(cdir);
    }
    if (complete) {
      kept++;
      continue;
    }
    char *path = chk_dir(c->dir, id);
    rill__rm_rf(path); /* one left behind is pruned again next time, or skipped at restart */
    g_free(path);
  }
  g_array_unref(ids);
}

static void complete(rill__checkpointer *c, guint64 id)
{
  rill_pipeline *p = c->p;
  GString *m = g_string_new("rill-checkpoint 1\n");
  g_string_append_printf(m, "id %" G_GUINT64_FORMAT "\nparallelism %u\n", id, p->parallelism);
  for (guint i = 0; i < p->stages->len; i++) {
    rill_stage *s = p->stages->pdata[i];
    g_string_append_printf(m, "stage %u %s\n", s->chain, s->name);
  }
  for (guint i = 0; i < c->n_tasks; i++) {
    rill__task *t = p->tasks->pdata[i];
    if (c->entries[i].finished)
      g_string_append_printf(m, "task %u %u finished\n", t->chain, t->index);
    else
      g_string_append_printf(m, "task %u %u %" G_GUINT64_FORMAT " %" G_GINT64_MODIFIER "x\n", t->chain, t->index,
                             c->entries[i].size, c->entries[i].hash);
  }
  g_string_append(m, "end\n");
  char *cdir = chk_dir(c->dir, id);
  char *mpath = g_build_filename(cdir, "MANIFEST", NULL);
  const char *what = NULL;
  int rc = rill__file_replace(mpath, m->str, m->len, &what);
  if (rc != 0) {
    fail(c, io_error(mpath, what, rc));
  } else if ((rc = rill__dir_fsync(c->dir)) != 0) {
    fail(c, io_error(c->dir, "cannot fsync directory", rc));
  } else {
    __atomic_store_n(&c->completed, id, __ATOMIC_RELEASE);
    guint64 size = m->len;
    for (guint i = 0; i < c->n_tasks; i++)
      size += c->entries[i].finished ? 0 : c->entries[i].size;
    __atomic_store_n(&c->stats.last_duration_us, (guint64)(g_get_monotonic_time() - c->started_us), __ATOMIC_RELAXED);
    __atomic_store_n(&c->stats.last_size_bytes, size, __ATOMIC_RELAXED);
    __atomic_store_n(&c->stats.last_success_unix_ms, (guint64)(g_get_real_time() / 1000), __ATOMIC_RELAXED);
    __atomic_fetch_add(&c->stats.completed, 1, __ATOMIC_RELAXED);
    /* Removals need no fsync: a pruned checkpoint that comes back after a
     * crash is older than this one and is pruned again. */
    prune(c, id);
    for (guint i = 0; i < p->tasks->len; i++)
      rill__waiter_wake(&((rill__task *)p->tasks->pdata[i])->waiter);
  }
  g_free(mpath);
  g_free(cdir);
  g_string_free(m, TRUE);
}

/* Handles one ack (lock not held). */
static void handle(rill__checkpointer *c, ack_item *a)
{
  rill__task *t = c->p->tasks->pdata[a->task];
  if (a->blob) {
    char *cdir = chk_dir(c->dir, a->id);
    char name[48];
    g_snprintf(name, sizeof name, "task-%u-%u.bin", t->chain, t->index);
    char *path = g_build_filename(cdir, name, NULL);
    const char *what = NULL;
    int rc = rill__file_write_synced(path, a->blob->data, a->blob->len, &what);
    if (rc == 0) {
      c->entries[a->task].finished = FALSE;
      c->entries[a->task].size = a->blob->len;
      c->entries[a->task].hash = rill__hash(a->blob->data, a->blob->len);
      c->acked++;
    } else {
      g_mutex_lock(&c->lock);
      c->aborted = TRUE;
      g_mutex_unlock(&c->lock);
      fail(c, io_error(path, what, rc));
    }
    g_free(path);
    g_free(cdir);
    g_byte_array_unref(a->blob);
  } else {
    c->entries[a->task].finished = TRUE;
    c->acked++;
  }
  g_free(a);
}

static gpointer coordinator(gpointer data)
{
  rill__checkpointer *c = data;
  gint64 next = g_get_monotonic_time() + (gint64)c->interval_ms * 1000;
  g_mutex_lock(&c->lock);
  while (!c->quit) {
    ack_item *a;
    while ((a = g_queue_pop_head(&c->queue)) != NULL) {
      gboolean current = a->id == c->pending && !c->aborted;
      g_mutex_unlock(&c->lock);
      if (current)
        handle(c, a);
      else {
        if (a->blob)
          g_byte_array_unref(a->blob);
        g_free(a);
      }
      g_mutex_lock(&c->lock);
    }
    if (c->pending && c->aborted) {
      c->pending = 0;
    } else if (c->pending && c->acked == c->n_tasks) {
      guint64 id = c->pending;
      g_mutex_unlock(&c->lock);
      complete(c, id);
      g_mutex_lock(&c->lock);
      c->pending = 0;
      next = g_get_monotonic_time() + (gint64)c->interval_ms * 1000;
    }
    /* `next` always moves on, so the wait below never spins on a past deadline. */
    if (!c->pending && g_get_monotonic_time() >= next) {
      guint n_finished = 0;
      for (guint i = 0; i < c->n_tasks; i++)
        n_finished += c->task_finished[i];
      if (n_finished < c->n_tasks && !stopping(c)) {
        guint64 id = ++c->last_id;
        char *cdir = chk_dir(c->dir, id);
        rill__rm_rf(cdir); /* leftovers of an earlier, crashed run */
        if (g_mkdir_with_parents(cdir, 0755) != 0) {
          GError *e = g_error_new(RILL_CHECKPOINT_ERROR, RILL_CHECKPOINT_ERROR_IO, "%s: cannot create: %s", cdir,
                                  g_strerror(errno));
          g_mutex_unlock(&c->lock);
          fail(c, e);
          g_mutex_lock(&c->lock);
        } else {
          c->pending = id;
          c->started_us = g_get_monotonic_time();
          c->aborted = FALSE;
          c->acked = 0;
          for (guint i = 0; i < c->n_tasks; i++) {
            c->entries[i].finished = c->task_finished[i];
            if (c->task_finished[i]) {
              c->task_acked[i] = id;
              c->acked++;
            }
          }
          __atomic_store_n(&c->trigger, id, __ATOMIC_SEQ_CST);
          for (guint i = 0; i < c->p->tasks->len; i++)
            rill__waiter_wake(&((rill__task *)c->p->tasks->pdata[i])->waiter);
        }
        g_free(cdir);
      }
      next = g_get_monotonic_time() + (gint64)c->interval_ms * 1000;
    }
    if (c->quit || g_queue_get_length(&c->queue) || (c->pending && (c->aborted || c->acked == c->n_tasks)))
      continue;
    g_cond_wait_until(&c->cond, &c->lock, c->pending ? g_get_monotonic_time() + 50000 : next);
  }
  g_mutex_unlock(&c->lock);
  return NULL;
}

void rill__checkpoint_start(rill_pipeline *p)
{
  p->ckpt->thread = g_thread_new("rill-checkpoint", coordinator, p->ckpt);
}

void rill__checkpoint_stop(rill_pipeline *p)
{
  rill__checkpointer *c = p->ckpt;
  if (!c->thread)
    return;
  g_mutex_lock(&c->lock);
  c->quit = TRUE;
  g_cond_broadcast(&c->cond);
  g_mutex_unlock(&c->lock);
  g_thread_join(c->thread);
  c->thread = NULL;
  ack_item *a;
  while ((a = g_queue_pop_head(&c->queue)) != NULL) {
    if (a->blob)
      g_byte_array_unref(a->blob);
    g_free(a);
  }
}

void rill__checkpoint_free(rill__checkpointer *c)
{
  if (!c)
    return;
  g_free(c->dir);
  g_free(c->task_acked);
  g_free(c->task_finished);
  g_free(c->entries);
  g_mutex_clear(&c->lock);
  g_cond_clear(&c->cond);
  g_free(c);
}

/* ---- called by task threads --------------------------------------------- */

guint64 rill__checkpoint_trigger(rill_pipeline *p)
{
  return p->ckpt ? __atomic_load_n(&p->ckpt->trigger, __ATOMIC_ACQUIRE) : 0;
}

gboolean rill__checkpoint_stats_get(rill_pipeline *p, rill__checkpoint_stats *out)
{
  memset(out, 0, sizeof *out);
  if (!p->ckpt)
    return FALSE;
  const rill__checkpoint_stats *s = &p->ckpt->stats;
  out->completed = __atomic_load_n(&s->completed, __ATOMIC_RELAXED);
  out->failed = __atomic_load_n(&s->failed, __ATOMIC_RELAXED);
  out->last_duration_us = __atomic_load_n(&s->last_duration_us, __ATOMIC_RELAXED);
  out->last_size_bytes = __atomic_load_n(&s->last_size_bytes, __ATOMIC_RELAXED);
  out->last_success_unix_ms = __atomic_load_n(&s->last_success_unix_ms, __ATOMIC_RELAXED);
  return TRUE;
}

guint64 rill__checkpoint_completed(rill_pipeline *p)
{
  return p->ckpt ? __atomic_load_n(&p->ckpt->completed, __ATOMIC_ACQUIRE) : 0;
}

static guint task_slot(rill__task *t)
{
  return t->chain * t->pipeline->parallelism + t->index;
}

static void enqueue(rill__checkpointer *c, guint slot, guint64 id, GByteArray *blob)
{
  ack_item *a = g_new(ack_item, 1);
  a->task = slot;
  a->id = id;
  a->blob = blob;
  g_queue_push_tail(&c->queue, a);
  g_cond_broadcast(&c->cond);
}

void rill__checkpoint_ack(rill__task *t, guint64 id, GByteArray *entries, guint n_entries)
{
  rill__checkpointer *c = t->pipeline->ckpt;
  GByteArray *file = g_byte_array_sized_new(entries->len + 32);
  g_byte_array_append(file, (const uint8_t *)TASK_MAGIC, 8);
  rill__snap_u64(file, id);
  rill__snap_u32(file, t->chain);
  rill__snap_u32(file, t->index);
  rill__snap_u32(file, n_entries);
  g_byte_array_append(file, entries->data, entries->len);
  guint slot = task_slot(t);
  g_mutex_lock(&c->lock);
  if (id == c->pending && !c->aborted && c->task_acked[slot] < id) {
    c->task_acked[slot] = id;
    enqueue(c, slot, id, file);
    file = NULL;
  }
  g_mutex_unlock(&c->lock);
  if (file)
    g_byte_array_unref(file);
}

void rill__checkpoint_task_finished(rill__task *t)
{
  rill__checkpointer *c = t->pipeline->ckpt;
  guint slot = task_slot(t);
  g_mutex_lock(&c->lock);
  if (stopping(c)) {
    /* Ended by a drain or a failure, not by its input: not a real end. */
    c->aborted = TRUE;
    g_cond_broadcast(&c->cond);
  } else {
    c->task_finished[slot] = TRUE;
    if (c->pending && !c->aborted && c->task_acked[slot] < c->pending) {
      c->task_acked[slot] = c->pending;
      enqueue(c, slot, c->pending, NULL);
    }
  }
  g_mutex_unlock(&c->lock);
}
