/* progress.c — the live progress line: a timer thread that samples the
 * pipeline's metrics and redraws one terminal line on its output.
 *
 * Invariants: nothing is drawn unless the output is a terminal and not
 * quiet, and only once a source has reported progress; the thread is the
 * only writer of the line, and it clears it (carriage return + erase to end
 * of line) before it exits, which happens when every task of the pipeline
 * has ended or on detach, whichever comes first. The pipeline's lifecycle
 * fields are read under its lock; the metrics snapshot is safe once the
 * pipeline is seen running (its counters exist from then on).
 */
#include <rill/progress.h>

#include "runtime/pipeline-private.h"

#include <sys/ioctl.h>
#include <unistd.h>

#define DEFAULT_INTERVAL_MS 200
#define MIN_INTERVAL_MS 50

struct rill_progress {
  rill_pipeline *pipeline;  /* a reference */
  FILE *out;                /* not owned */
  FILE *summary_out;        /* not owned; may be NULL */
  guint interval_ms;
  gboolean active;          /* drawing: not quiet and out is a terminal */
  GThread *thread;          /* NULL when not active */
  GMutex lock;
  GCond cond;
  gboolean stop;            /* under lock: detach asked the thread to end */
  /* thread-only */
  gboolean shown;           /* a line is on screen */
  double rate_bps;          /* smoothed input rate, < 0 before the first sample */
  guint64 last_done;
  gint64 last_us;
};

/* Where the run is: FALSE when not started yet; *ended once all tasks ended. */
static gboolean run_times(rill_pipeline *p, gint64 *started_us, gboolean *ended)
{
  g_mutex_lock(&p->lock);
  gboolean started = p->state != RILL__NEW;
  *started_us = p->started_us;
  *ended = p->state == RILL__DONE || (started && p->ended_us != 0);
  g_mutex_unlock(&p->lock);
  return started;
}

static void draw(rill_progress *pr, const char *text)
{
  int fd = fileno(pr->out);
  struct winsize ws;
  int width = ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1 ? ws.ws_col - 1 : 79;
  fprintf(pr->out, "\r%.*s\033[K", width, text);
  fflush(pr->out);
  pr->shown = TRUE;
}

static void clear(rill_progress *pr)
{
  if (!pr->shown)
    return;
  fputs("\r\033[K", pr->out);
  fflush(pr->out);
  pr->shown = FALSE;
}

/* One sample. Returns TRUE when the pipeline has ended (stop drawing). */
static gboolean tick(rill_progress *pr)
{
  gint64 started_us;
  gboolean ended;
  if (!run_times(pr->pipeline, &started_us, &ended))
    return FALSE;
  if (ended)
    return TRUE;
  guint n;
  rill_stage_metrics *m = rill_pipeline_get_metrics(pr->pipeline, &n);
  guint64 done = 0;
  gboolean reported = FALSE;
  for (guint i = 0; i < n; i++)
    if (m[i].role == RILL_STAGE_SOURCE) {
      done += m[i].source_bytes_done;
      reported |= m[i].source_bytes_done > 0 || m[i].source_bytes_total > 0;
    }
  gint64 now = g_get_monotonic_time();
  double dt = (now - (pr->last_us ? pr->last_us : started_us)) / 1e6;
  if (dt > 0) {
    double inst = (double)(done - pr->last_done) / dt;
    pr->rate_bps = pr->rate_bps < 0 ? inst : 0.7 * pr->rate_bps + 0.3 * inst;
  }
  pr->last_done = done;
  pr->last_us = now;
  if (reported) {
    char *text = rill_progress_format_line(m, n, (now - started_us) / 1e6, pr->rate_bps);
    draw(pr, text);
    g_free(text);
  }
  g_free(m);
  return FALSE;
}

static gpointer progress_main(gpointer data)
{
  rill_progress *pr = data;
  g_mutex_lock(&pr->lock);
  while (!pr->stop) {
    gint64 deadline = g_get_monotonic_time() + (gint64)pr->interval_ms * 1000;
    while (!pr->stop && g_cond_wait_until(&pr->cond, &pr->lock, deadline))
      ; /* woken early (spuriously or by stop): re-check */
    if (pr->stop)
      break;
    g_mutex_unlock(&pr->lock);
    gboolean ended = tick(pr);
    g_mutex_lock(&pr->lock);
    if (ended)
      break;
  }
  g_mutex_unlock(&pr->lock);
  clear(pr);
  return NULL;
}

rill_progress *rill_progress_attach(rill_pipeline *pipeline, const rill_progress_options *options)
{
  g_return_val_if_fail(pipeline != NULL, NULL);
  rill_progress_options defaults = {0};
  if (!options)
    options = &defaults;
  rill_progress *pr = g_new0(rill_progress, 1);
  pr->pipeline = rill_pipeline_ref(pipeline);
  pr->out = options->out ? options->out : stderr;
  pr->summary_out = options->summary_out;
  pr->interval_ms = options->interval_ms ? MAX(options->interval_ms, MIN_INTERVAL_MS) : DEFAULT_INTERVAL_MS;
  pr->active = !options->quiet && isatty(fileno(pr->out));
  pr->rate_bps = -1;
  g_mutex_init(&pr->lock);
  g_cond_init(&pr->cond);
  if (pr->active)
    pr->thread = g_thread_new("rill-progress", progress_main, pr);
  return pr;
}

gboolean rill_progress_is_active(const rill_progress *progress)
{
  g_return_val_if_fail(progress != NULL, FALSE);
  return progress->active;
}

void rill_progress_detach(rill_progress *progress)
{
  if (!progress)
    return;
  rill_progress *pr = progress;
  if (pr->thread) {
    g_mutex_lock(&pr->lock);
    pr->stop = TRUE;
    g_cond_signal(&pr->cond);
    g_mutex_unlock(&pr->lock);
    g_thread_join(pr->thread);
  }
  if (pr->summary_out) {
    char *json = rill_pipeline_summary_json(pr->pipeline);
    fprintf(pr->summary_out, "%s\n", json);
    fflush(pr->summary_out);
    g_free(json);
  }
  rill_pipeline_unref(pr->pipeline);
  g_mutex_clear(&pr->lock);
  g_cond_clear(&pr->cond);
  g_free(pr);
}
