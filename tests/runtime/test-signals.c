/* test-signals.c — SIGTERM/SIGINT lifecycle: the first signal drains (all
 * records emitted reach the sink, every sink flushes and closes), a second
 * one stops at once, a drain that cannot finish is cut at its timeout, one
 * signal reaches every watching pipeline, the previous handlers are back
 * afterwards, and a signal that comes as the run ends still counts as an
 * interruption. Signals are raised to this very process. */
#define _GNU_SOURCE /* sched_setaffinity, SCHED_IDLE */
#include "tests/harness/range-collect.h"

#include <glib/gstdio.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

static int cmp_u64(gconstpointer a, gconstpointer b)
{
  guint64 x = *(const guint64 *)a, y = *(const guint64 *)b;
  return x < y ? -1 : x > y;
}

static void raise_at(rill_ctx *ctx, gint64 emitted, void *data)
{
  if (emitted == GPOINTER_TO_INT(data))
    raise(SIGTERM);
}

static void assert_default_handlers(void)
{
  struct sigaction sa;
  sigaction(SIGTERM, NULL, &sa);
  g_assert_true(sa.sa_handler == SIG_DFL);
  sigaction(SIGINT, NULL, &sa);
  g_assert_true(sa.sa_handler == SIG_DFL);
}

static rill_pipeline *build(const char *name, range_source *src, collect_sink *sink, const rill_sink_class *k)
{
  rill_pipeline *p = rill_pipeline_new(name);
  rill_pipeline_set_parallelism(p, 2);
  rill_stage *s = rill_pipeline_add_source(p, "numbers", &range_source_class, src, NULL);
  rill_stage *out = rill_pipeline_add_sink(p, "out", s, k, sink, NULL);
  rill_stage_set_input_edge(out, 0, RILL_EDGE_EXCHANGE);
  rill_pipeline_watch_signals(p);
  return p;
}

static void test_drain_on_sigterm(void)
{
  range_source src = {.n_splits = 2, .per_split = 1u << 30, .value_len = 16, .unbounded = TRUE,
                      .on_read = raise_at, .hook_data = GINT_TO_POINTER(20000)};
  collect_sink sink;
  collect_sink_init(&sink);
  rill_pipeline *p = build("drain", &src, &sink, &collect_sink_class);
  GError *error = NULL;
  g_assert_true(rill_pipeline_run(p, &error));
  g_assert_no_error(error);
  /* Drained: everything the sources emitted arrived, nothing twice. */
  g_assert_cmpint(src.emitted, >=, 20000);
  g_assert_cmpuint(sink.ids->len, ==, (guint)src.emitted);
  g_array_sort(sink.ids, cmp_u64);
  for (guint i = 1; i < sink.ids->len; i++)
    g_assert_cmpuint(g_array_index(sink.ids, guint64, i - 1), <, g_array_index(sink.ids, guint64, i));
  g_assert_cmpint(sink.flushes, ==, 2);
  g_assert_cmpint(sink.closes, ==, 2);
  rill_pipeline_unref(p);
  collect_sink_clear(&sink);
  assert_default_handlers();
}

/* A sink that, once the drain starts, never finishes its batch: it raises
 * a second signal (when asked to) and waits until cancelled. */
static gint raise_second;
static rill_flow stuck_write(rill_ctx *ctx, void *state, const rill_batch *batch)
{
  while (!rill_ctx_is_stopping(ctx))
    g_usleep(200);
  if (g_atomic_int_compare_and_exchange(&raise_second, 1, 0))
    raise(SIGTERM);
  while (!rill_ctx_is_cancelled(ctx))
    g_usleep(200);
  return RILL_FLOW_FLUSHING;
}

static gint stuck_closes;
static void stuck_close(rill_ctx *ctx, void *state)
{
  g_atomic_int_inc(&stuck_closes);
}

static const rill_sink_class stuck_sink = {.type_name = "stuck", .write = stuck_write, .close = stuck_close};

static void test_second_signal_stops(void)
{
  range_source src = {.n_splits = 2, .per_split = 1u << 30, .value_len = 16, .unbounded = TRUE,
                      .on_read = raise_at, .hook_data = GINT_TO_POINTER(5000)};
  raise_second = 1;
  stuck_closes = 0;
  rill_pipeline *p = build("second", &src, NULL, &stuck_sink);
  rill_pipeline_set_drain_timeout(p, 600000); /* only the second signal can end it */
  GError *error = NULL;
  g_assert_false(rill_pipeline_run(p, &error));
  g_assert_error(error, RILL_PIPELINE_ERROR, RILL_PIPELINE_ERROR_STOPPED);
  g_assert_nonnull(strstr(error->message, "stopped before it drained"));
  g_error_free(error);
  g_assert_cmpint(stuck_closes, ==, 2);
  rill_pipeline_unref(p);
  assert_default_handlers();
}

static void test_drain_timeout(void)
{
  range_source src = {.n_splits = 2, .per_split = 1u << 30, .value_len = 16, .unbounded = TRUE,
                      .on_read = raise_at, .hook_data = GINT_TO_POINTER(5000)};
  raise_second = 0;
  stuck_closes = 0;
  rill_pipeline *p = build("timeout", &src, NULL, &stuck_sink);
  rill_pipeline_set_drain_timeout(p, 50);
  GError *error = NULL;
  g_assert_false(rill_pipeline_run(p, &error));
  g_assert_error(error, RILL_PIPELINE_ERROR, RILL_PIPELINE_ERROR_STOPPED);
  g_assert_nonnull(strstr(error->message, "did not drain within 50 ms"));
  g_error_free(error);
  g_assert_cmpint(stuck_closes, ==, 2);
  rill_pipeline_unref(p);
  assert_default_handlers();
}

static void test_every_watcher_drains(void)
{
  range_source src[2] = {{.n_splits = 2, .per_split = 1u << 30, .value_len = 8, .unbounded = TRUE,
                          .on_read = raise_at, .hook_data = GINT_TO_POINTER(30000)},
                         {.n_splits = 1, .per_split = 1u << 30, .value_len = 8, .unbounded = TRUE}};
  collect_sink sink[2];
  rill_pipeline *p[2];
  for (int i = 0; i < 2; i++) {
    collect_sink_init(&sink[i]);
    p[i] = build(i ? "b" : "a", &src[i], &sink[i], &collect_sink_class);
  }
  GError *error = NULL;
  g_assert_true(rill_pipeline_start(p[1], &error));
  g_assert_true(rill_pipeline_start(p[0], &error));
  g_assert_true(rill_pipeline_wait(p[0], &error));
  g_assert_true(rill_pipeline_wait(p[1], &error));
  g_assert_no_error(error);
  for (int i = 0; i < 2; i++) {
    g_assert_cmpuint(sink[i].ids->len, ==, (guint)src[i].emitted);
    g_assert_cmpint(sink[i].flushes, ==, 2);
    rill_pipeline_unref(p[i]);
    collect_sink_clear(&sink[i]);
  }
  assert_default_handlers();
}

/* The signal comes as the run ends: the sink's close (the last thing its
 * task does) lets the spinner raise it and waits until it did. */
static gint late_closing, late_raised;

static rill_flow drop_write(rill_ctx *ctx, void *state, const rill_batch *batch)
{
  return RILL_FLOW_OK;
}

static void late_close(rill_ctx *ctx, void *state)
{
  g_atomic_int_set(&late_closing, 1);
  while (!g_atomic_int_get(&late_raised))
    ;
}

static const rill_sink_class late_sink = {.type_name = "late", .write = drop_write, .close = late_close};

/* The thread id of this process's thread named @name, or 0. */
static pid_t thread_named(const char *name)
{
  GDir *dir = g_dir_open("/proc/self/task", 0, NULL);
  g_assert_nonnull(dir);
  pid_t found = 0;
  for (const char *tid; !found && (tid = g_dir_read_name(dir));) {
    g_autofree char *path = g_strdup_printf("/proc/self/task/%s/comm", tid);
    g_autofree char *comm = NULL;
    if (g_file_get_contents(path, &comm, NULL, NULL) && strcmp(g_strstrip(comm), name) == 0)
      found = (pid_t)atoi(tid);
  }
  g_dir_close(dir);
  return found;
}

static gboolean handler_installed(void)
{
  struct sigaction sa;
  sigaction(SIGINT, NULL, &sa);
  return sa.sa_handler != SIG_DFL;
}

/* Takes SIGINT once the sink closes (the handler runs on this thread),
 * then keeps the CPU until the pipeline has stopped watching (its handler
 * is gone). */
static gpointer raise_and_spin(gpointer data)
{
  while (!g_atomic_int_get(&late_closing))
    ;
  raise(SIGINT);
  g_atomic_int_set(&late_raised, 1);
  while (handler_installed())
    ;
  return NULL;
}

static void signal_at_end(void)
{
  range_source src = {.n_splits = 1, .per_split = 10, .value_len = 8};
  late_closing = late_raised = 0;
  rill_pipeline *p = rill_pipeline_new("late-signal");
  rill_stage *s = rill_pipeline_add_source(p, "numbers", &range_source_class, &src, NULL);
  rill_pipeline_add_sink(p, "out", s, &late_sink, NULL, NULL);
  rill_pipeline_watch_signals(p);
  GError *error = NULL;
  g_assert_true(rill_pipeline_start(p, &error));
  pid_t watcher;
  while (!(watcher = thread_named("rill-signals"))) /* GLib names a thread from inside it */
    g_usleep(200);
  struct sched_param idle = {0};
  g_assert_cmpint(sched_setscheduler(watcher, SCHED_IDLE, &idle), ==, 0);
  GThread *spinner = g_thread_new("spinner", raise_and_spin, NULL);
  g_assert_true(rill_pipeline_wait(p, &error));
  g_assert_no_error(error);
  g_thread_join(spinner);
  g_assert_true(rill_pipeline_was_interrupted(p));
  rill_pipeline_unref(p);
  assert_default_handlers();
}

/* rill-run exits 130 only if the pipeline says it was interrupted: a signal
 * the handler took must count even when the watcher thread has not read it
 * by the time the run ends. Here it will rarely have: every thread shares
 * one CPU, the watcher runs at SCHED_IDLE, and a thread spins on that CPU
 * from the signal until the run has stopped watching (several runs, as an
 * idle thread still gets a slice now and then). */
static void test_signal_at_end_counts(void)
{
  cpu_set_t old, one;
  g_assert_cmpint(sched_getaffinity(0, sizeof old, &old), ==, 0);
  CPU_ZERO(&one);
  CPU_SET(sched_getcpu(), &one);
  g_assert_cmpint(sched_setaffinity(0, sizeof one, &one), ==, 0); /* threads started from here inherit it */
  for (int i = 0; i < 8; i++)
    signal_at_end();
  g_assert_cmpint(sched_setaffinity(0, sizeof old, &old), ==, 0);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/signals/drain-on-sigterm", test_drain_on_sigterm);
  g_test_add_func("/signals/second-signal-stops", test_second_signal_stops);
  g_test_add_func("/signals/drain-timeout", test_drain_timeout);
  g_test_add_func("/signals/every-watcher-drains", test_every_watcher_drains);
  g_test_add_func("/signals/signal-at-end-counts", test_signal_at_end_counts);
  return g_test_run();
}
