/* test-checkpoint.c — barrier alignment and the checkpoint directory:
 * - a two-input stage sees no record that followed barrier n on one input
 *   before barrier n arrived on the other (alignment), even when the first
 *   input is far ahead;
 * - a run leaves at most `retain` complete checkpoints; a damaged newest
 *   checkpoint (truncated task file, missing or garbled MANIFEST, partial
 *   directory) is skipped and the previous complete one restored;
 * - a checkpoint written with another parallelism or other stages is
 *   refused with a clear error, and the refusal marks the pipeline done
 *   under the lock that /readyz and the console read it with.
 */
#include <rill/rill.h>

#include <glib/gstdio.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/pipeline-private.h"

/* ---- alignment ---------------------------------------------------------- */

typedef struct {
  char tag;
  gint *fast_done;   /* set by the fast source when it has emitted everything */
  gboolean slow;     /* waits for fast_done before its barrier */
  guint step;
} scripted;

static gboolean scripted_open(rill_ctx *ctx, void *user_data, const guint *splits, guint n_splits, void **state,
                              GError **error)
{
  *state = user_data;
  return TRUE;
}

static rill_flow emit_range(scripted *s, rill_emitter *out, guint from, guint to)
{
  for (guint i = from; i < to; i++) {
    char v[16];
    g_snprintf(v, sizeof v, "%c%u", s->tag, i);
    rill_record r = RILL_RECORD_INIT;
    r.value = rill_bytes_make(v, strlen(v));
    rill_flow flow = rill_emit_record(out, &r);
    if (flow != RILL_FLOW_OK)
      return flow;
  }
  return rill_emitter_flush(out);
}

/* step 0: records 0-4; 1: barrier 1 (the slow one first waits for the fast
 * one to finish); 2-4: 60 records each; then EOS. */
static rill_flow scripted_read(rill_ctx *ctx, void *state, rill_emitter *out)
{
  scripted *s = state;
  switch (s->step++) {
  case 0:
    return emit_range(s, out, 0, 5);
  case 1:
    if (s->slow) {
      gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
      while (!g_atomic_int_get(s->fast_done) && g_get_monotonic_time() < deadline)
        g_usleep(1000);
      g_usleep(20000); /* let its batches reach the stage's queue */
    }
    return rill_emit_barrier(out, 1);
  case 2:
  case 3:
  case 4:
    return emit_range(s, out, 5 + (s->step - 3) * 60, 5 + (s->step - 2) * 60);
  default:
    if (!s->slow)
      g_atomic_int_set(s->fast_done, 1);
    return RILL_FLOW_EOS;
  }
}

static const rill_source_class scripted_class = {
  .type_name = "scripted", .open = scripted_open, .read = scripted_read};

typedef struct {
  GPtrArray *events; /* "a3", "b7", "|1" for barrier 1 */
} observer;

static rill_flow obs_process(rill_ctx *ctx, void *state, guint input, rill_batch *batch, rill_emitter *out)
{
  observer *o = rill_ctx_task_index(ctx) == 0 ? state : NULL;
  const rill_record *r = rill_batch_records(batch);
  for (size_t i = 0; o && i < rill_batch_len(batch); i++)
    g_ptr_array_add(o->events, g_strndup((const char *)r[i].value.data, r[i].value.len));
  rill_batch_unref(batch);
  return RILL_FLOW_OK;
}

static rill_flow obs_barrier(rill_ctx *ctx, void *state, uint64_t id, rill_emitter *out)
{
  observer *o = state;
  g_ptr_array_add(o->events, g_strdup_printf("|%" G_GUINT64_FORMAT, id));
  return rill_emit_barrier(out, id);
}

static gboolean obs_open(rill_ctx *ctx, void *user_data, void **state, GError **error)
{
  *state = user_data;
  return TRUE;
}

static const rill_operator_class obs_class = {
  .type_name = "observe", .open = obs_open, .process = obs_process, .on_barrier = obs_barrier};

static void test_alignment(void)
{
  gint fast_done = 0;
  scripted a = {'a', &fast_done, FALSE, 0}, b = {'b', &fast_done, TRUE, 0};
  observer o = {g_ptr_array_new_with_free_func(g_free)};
  rill_pipeline *p = rill_pipeline_new("align");
  rill_pipeline_set_stream_capacity(p, 64); /* the fast input is all queued before the slow barrier */
  rill_stage *in[2] = {rill_pipeline_add_source(p, "fast", &scripted_class, &a, NULL),
                       rill_pipeline_add_source(p, "slow", &scripted_class, &b, NULL)};
  rill_pipeline_add_operator(p, "observe", &obs_class, &o, NULL, in, 2);
  GError *error = NULL;
  g_assert_true(rill_pipeline_run(p, &error));
  g_assert_no_error(error);
  rill_pipeline_unref(p);

  guint barrier_at = G_MAXUINT, n_barriers = 0, n_records = 0;
  for (guint i = 0; i < o.events->len; i++) {
    const char *e = o.events->pdata[i];
    if (e[0] == '|') {
      barrier_at = i;
      n_barriers++;
      continue;
    }
    n_records++;
    guint idx = (guint)atoi(e + 1);
    if (idx < 5)
      g_assert_cmpuint(barrier_at, ==, G_MAXUINT); /* before the barrier on its input */
    else if (barrier_at == G_MAXUINT)
      g_error("record %s (after barrier 1 on its input) was processed before the barrier was aligned", e);
  }
  g_assert_cmpuint(n_barriers, ==, 1);
  g_assert_cmpuint(n_records, ==, 2 * 185);
  g_ptr_array_unref(o.events);
}

/* ---- the checkpoint directory ------------------------------------------- */

/* Emits records 0..99 ten per read, then idles until two checkpoints taken
 * at its end position (and at least 3 in all) completed, then ends. So the
 * newest two checkpoints both hold position 100. Restores its position. */
typedef struct {
  guint next;
  guint64 completed;
  guint64 full;          /* first checkpoint taken at position 100 */
  guint64 *emitted_from; /* first record this run emitted (G_MAXUINT64: none) */
} counter_src;

static gboolean cs_open(rill_ctx *ctx, void *user_data, const guint *splits, guint n_splits, void **state,
                        GError **error)
{
  counter_src *s = g_new0(counter_src, 1);
  s->emitted_from = user_data;
  *state = s;
  return TRUE;
}

static rill_flow cs_read(rill_ctx *ctx, void *state, rill_emitter *out)
{
  counter_src *s = state;
  if (s->next < 100) {
    *s->emitted_from = MIN(*s->emitted_from, s->next);
    for (guint end = s->next + 10; s->next < end; s->next++) {
      char v[16];
      g_snprintf(v, sizeof v, "%u", s->next);
      rill_record r = RILL_RECORD_INIT;
      r.value = rill_bytes_make(v, strlen(v));
      rill_emit_record(out, &r);
    }
    return RILL_FLOW_OK;
  }
  if (s->full && s->completed >= MAX(3, s->full + 1))
    return RILL_FLOW_EOS;
  g_usleep(1000);
  return RILL_FLOW_OK;
}

static void cs_close(rill_ctx *ctx, void *state)
{
  g_free(state);
}

static rill_flow cs_snapshot(rill_ctx *ctx, void *state, uint64_t id, GByteArray *out)
{
  counter_src *s = state;
  if (s->next == 100 && !s->full)
    s->full = id;
  g_byte_array_append(out, (const guint8 *)&s->next, sizeof s->next);
  return RILL_FLOW_OK;
}

static gboolean cs_restore(rill_ctx *ctx, void *state, const uint8_t *data, size_t len, GError **error)
{
  counter_src *s = state;
  if (len != sizeof s->next) {
    g_set_error_literal(error, RILL_PIPELINE_ERROR, RILL_PIPELINE_ERROR_INVALID, "bad length");
    return FALSE;
  }
  memcpy(&s->next, data, len);
  return TRUE;
}

static void cs_complete(rill_ctx *ctx, void *state, uint64_t id)
{
  ((counter_src *)state)->completed = id;
}

static const rill_source_class counter_class = {
  .type_name = "counter",
  .open = cs_open,
  .read = cs_read,
  .close = cs_close,
  .snapshot = cs_snapshot,
  .restore = cs_restore,
  .on_checkpoint_complete = cs_complete,
};

static rill_flow drop_write(rill_ctx *ctx, void *state, const rill_batch *batch)
{
  return RILL_FLOW_OK;
}

static const rill_sink_class drop_class = {.type_name = "drop", .write = drop_write};

static rill_verdict pass_all(rill_ctx *ctx, const rill_record *in, void *user_data)
{
  return RILL_VERDICT_KEEP;
}

/* A pipeline over @dir; FALSE from start with @error when it cannot restore. */
static rill_pipeline *counter_pipeline(const char *dir, guint p, const char *filter_name, guint64 *emitted_from)
{
  rill_pipeline *pl = rill_pipeline_new("counter");
  rill_pipeline_set_parallelism(pl, p);
  GError *error = NULL;
  g_assert_true(rill_pipeline_enable_checkpoints(pl, dir, 5, 3, &error));
  rill_stage *s = rill_pipeline_add_source(pl, "src", &counter_class, emitted_from, NULL);
  s = rill_pipeline_add_filter(pl, filter_name, s, pass_all, NULL, NULL);
  rill_pipeline_add_sink(pl, "out", s, &drop_class, NULL, NULL);
  return pl;
}

static guint count_complete(const char *dir, guint64 latest)
{
  guint n = 0;
  for (guint64 id = 1; id <= latest; id++) {
    char *m = g_strdup_printf("%s/chk-%" G_GUINT64_FORMAT "/MANIFEST", dir, id);
    n += g_file_test(m, G_FILE_TEST_EXISTS);
    g_free(m);
  }
  return n;
}

static void test_directory(void)
{
  char *dir = g_dir_make_tmp("rill-ckpt-dir-XXXXXX", NULL);
  GError *error = NULL;
  guint64 from = G_MAXUINT64;
  rill_pipeline *pl = counter_pipeline(dir, 1, "pass", &from);
  g_assert_true(rill_pipeline_run(pl, &error));
  g_assert_no_error(error);
  guint64 last = rill_pipeline_get_last_checkpoint(pl);
  g_assert_cmpuint(rill_pipeline_get_restored_checkpoint(pl), ==, 0);
  rill_pipeline_unref(pl);
  g_assert_cmpuint(last, >=, 3);
  g_assert_cmpuint(rill_checkpoint_latest(dir), ==, last);
  /* Pruned to `retain` (3) complete checkpoints. */
  g_assert_cmpuint(count_complete(dir, last), ==, 3);

  /* Damage the newest: its task file loses a byte. */
  char *task = g_strdup_printf("%s/chk-%" G_GUINT64_FORMAT "/task-0-0.bin", dir, last);
  char *data;
  gsize len;
  if (g_file_get_contents(task, &data, &len, NULL)) {
    g_assert_true(g_file_set_contents(task, data, (gssize)len - 1, NULL));
    g_free(data);
  } else {
    /* The source task had finished by then: drop the MANIFEST instead. */
    char *m = g_strdup_printf("%s/chk-%" G_GUINT64_FORMAT "/MANIFEST", dir, last);
    g_assert_cmpint(g_unlink(m), ==, 0);
    g_free(m);
  }
  g_free(task);
  g_assert_cmpuint(rill_checkpoint_latest(dir), ==, last - 1);
  /* A partial directory and a garbled MANIFEST, both newer: ignored too. */
  char *partial = g_strdup_printf("%s/chk-%" G_GUINT64_FORMAT, dir, last + 5);
  char *garbled = g_strdup_printf("%s/chk-%" G_GUINT64_FORMAT, dir, last + 6);
  g_assert_cmpint(g_mkdir(partial, 0755), ==, 0);
  g_assert_cmpint(g_mkdir(garbled, 0755), ==, 0);
  char *f1 = g_build_filename(partial, "task-0-0.bin", NULL), *f2 = g_build_filename(garbled, "MANIFEST", NULL);
  g_assert_true(g_file_set_contents(f1, "RILLTSK1", -1, NULL));
  g_assert_true(g_file_set_contents(f2, "rill-checkpoint 1\nid 99\nparallel", -1, NULL));
  g_assert_cmpuint(rill_checkpoint_latest(dir), ==, last - 1);

  /* A restart restores the previous complete checkpoint and resumes there. */
  from = G_MAXUINT64;
  pl = counter_pipeline(dir, 1, "pass", &from);
  g_assert_true(rill_pipeline_run(pl, &error));
  g_assert_no_error(error);
  g_assert_cmpuint(rill_pipeline_get_restored_checkpoint(pl), ==, last - 1);
  g_assert_cmpuint(rill_pipeline_get_last_checkpoint(pl), >=, last - 1);
  rill_pipeline_unref(pl);
  /* Checkpoint last - 1 was taken at the end position: nothing replayed. */
  g_assert_cmpuint(from, ==, G_MAXUINT64);

  /* Another parallelism or other stages: a clear refusal. */
  pl = counter_pipeline(dir, 2, "pass", &from);
  g_assert_false(rill_pipeline_start(pl, &error));
  g_assert_error(error, RILL_CHECKPOINT_ERROR, RILL_CHECKPOINT_ERROR_MISMATCH);
  g_assert_nonnull(strstr(error->message, "parallelism 1"));
  g_clear_error(&error);
  rill_pipeline_unref(pl);
  pl = counter_pipeline(dir, 1, "renamed", &from);
  g_assert_false(rill_pipeline_start(pl, &error));
  g_assert_error(error, RILL_CHECKPOINT_ERROR, RILL_CHECKPOINT_ERROR_MISMATCH);
  g_assert_nonnull(strstr(error->message, "'pass' there and 'renamed' here"));
  g_clear_error(&error);
  rill_pipeline_unref(pl);

  g_free(f1);
  g_free(f2);
  g_free(partial);
  g_free(garbled);
  char *cmd = g_strdup_printf("rm -rf '%s'", dir);
  g_assert_cmpint(system(cmd), ==, 0);
  g_free(cmd);
  g_free(dir);
}

/* ---- a refused restore and the pipeline's lock --------------------------- */

typedef struct {
  rill_pipeline *pl;
  gint tid;  /* the starting thread's, once known */
  gint done; /* set when rill_pipeline_start returned */
  gboolean ok;
  GError *error;
} starter;

static gpointer start_thread(gpointer data)
{
  starter *s = data;
  g_atomic_int_set(&s->tid, (gint)syscall(SYS_gettid));
  s->ok = rill_pipeline_start(s->pl, &s->error);
  g_atomic_int_set(&s->done, 1);
  return NULL;
}

/* TRUE when thread @tid of this process sits in futex() on @word: blocked
 * on the GMutex at @word (GLib's mutex waits on its own first word). */
static gboolean blocked_on(gint tid, const void *word)
{
  char path[64];
  g_snprintf(path, sizeof path, "/proc/self/task/%d/syscall", tid);
  g_autofree char *text = NULL;
  g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
  long nr;
  unsigned long long arg0;
  return sscanf(text, "%ld 0x%llx", &nr, &arg0) == 2 && nr == SYS_futex && arg0 == (uintptr_t)word;
}

/* /readyz and the console read the pipeline's state under its lock from the
 * HTTP thread, so a start that refuses the checkpoint must write "done"
 * under that lock too. Held here, the lock must stop the refusing start
 * (seen as its thread blocked on the lock) instead of being written past. */
static void test_refusal_locked(void)
{
  char *dir = g_dir_make_tmp("rill-ckpt-lock-XXXXXX", NULL);
  GError *error = NULL;
  guint64 from = G_MAXUINT64;
  rill_pipeline *pl = counter_pipeline(dir, 1, "pass", &from);
  g_assert_true(rill_pipeline_run(pl, &error));
  g_assert_no_error(error);
  rill_pipeline_unref(pl);

  starter s = {.pl = counter_pipeline(dir, 2, "pass", &from)};
  g_mutex_lock(&s.pl->lock);
  GThread *t = g_thread_new("starter", start_thread, &s);
  while (!g_atomic_int_get(&s.done) && !(g_atomic_int_get(&s.tid) && blocked_on(s.tid, &s.pl->lock)))
    g_usleep(1000);
  gboolean written_past_lock = g_atomic_int_get(&s.done);
  g_mutex_unlock(&s.pl->lock);
  g_thread_join(t);
  g_assert_false(written_past_lock);
  g_assert_false(s.ok);
  g_assert_error(s.error, RILL_CHECKPOINT_ERROR, RILL_CHECKPOINT_ERROR_MISMATCH);
  g_clear_error(&s.error);
  /* Refused for good: a second start says so. */
  g_assert_false(rill_pipeline_start(s.pl, &error));
  g_assert_error(error, RILL_PIPELINE_ERROR, RILL_PIPELINE_ERROR_STATE);
  g_clear_error(&error);
  rill_pipeline_unref(s.pl);

  char *cmd = g_strdup_printf("rm -rf '%s'", dir);
  g_assert_cmpint(system(cmd), ==, 0);
  g_free(cmd);
  g_free(dir);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/checkpoint/alignment", test_alignment);
  g_test_add_func("/checkpoint/directory", test_directory);
  g_test_add_func("/checkpoint/refusal-locked", test_refusal_locked);
  return g_test_run();
}
