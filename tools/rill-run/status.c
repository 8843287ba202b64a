/* status.c — the live status line (see status.h).
 *
 * Invariants: at most one redraw per STATUS_INTERVAL_MS (2 a second); the
 * thread is the only writer of the line and clears it (CR + erase to end of
 * line) before it exits; rates and the blocked share are differences of two
 * metrics snapshots of the same pipeline, so they cover the last interval,
 * not the whole run.
 */
#include "status.h"

#include <sys/ioctl.h>
#include <unistd.h>

#define STATUS_INTERVAL_MS 500

struct status_line {
  rill_pipeline *pipeline; /* a reference */
  FILE *out;               /* not owned */
  GThread *thread;
  GMutex lock;
  GCond cond;
  gboolean stop;           /* under lock */
  gboolean shown;          /* thread-only: a line is on screen */
};

static void append_count(GString *s, double v)
{
  if (v >= 1e6)
    g_string_append_printf(s, "%.1fM", v / 1e6);
  else if (v >= 1e4)
    g_string_append_printf(s, "%.1fk", v / 1e3);
  else
    g_string_append_printf(s, "%.0f", v);
}

char *status_line_format(const rill_stage_metrics *m, const rill_stage_metrics *prev, guint n, double dt_s,
                         double elapsed_s)
{
  guint64 in = 0, out = 0, total = 0, done = 0, prev_in = 0, prev_done = 0;
  int64_t lag = -1; /* records the sources are behind, where they say */
  const char *blocked = NULL;
  double blocked_share = 0;
  for (guint i = 0; i < n; i++) {
    if (m[i].role == RILL_STAGE_SOURCE) {
      in += m[i].records_out;
      total += m[i].source_bytes_total;
      done += m[i].source_bytes_done;
      prev_in += prev ? prev[i].records_out : 0;
      prev_done += prev ? prev[i].source_bytes_done : 0;
      if (m[i].source_lag >= 0)
        lag = MAX(lag, 0) + m[i].source_lag;
    } else if (m[i].role == RILL_STAGE_SINK) {
      out += m[i].records_in;
    }
    /* Backpressure: the share of the interval a stage's tasks spent
     * blocked on a full output; the most blocked one feeds the bottleneck. */
    double share = prev && dt_s > 0 ? (double)(m[i].blocked_ns - prev[i].blocked_ns) / (dt_s * 1e9) : 0;
    if (share > blocked_share) {
      blocked_share = share;
      blocked = m[i].stage;
    }
  }
  /* A job whose sources know their size shows the progress line. */
  if (total > 0)
    return rill_progress_format_line(m, n, elapsed_s, prev && dt_s > 0 ? (double)(done - prev_done) / dt_s : -1);
  GString *s = g_string_new(NULL);
  append_count(s, (double)in);
  g_string_append(s, " in  ");
  append_count(s, (double)out);
  g_string_append(s, " out  ");
  if (prev && dt_s > 0) {
    append_count(s, (double)(in - prev_in) / dt_s);
    g_string_append(s, " rec/s  ");
  }
  if (lag >= 0) {
    g_string_append(s, "lag ");
    append_count(s, (double)lag);
    g_string_append(s, "  ");
  }
  if (blocked && blocked_share >= 0.01)
    g_string_append_printf(s, "blocked: %s %.0f%%  ", blocked, MIN(blocked_share, 1.0) * 100);
  guint64 t = (guint64)elapsed_s;
  g_string_append_printf(s, "elapsed %" G_GUINT64_FORMAT ":%02u:%02u", t / 3600, (guint)(t / 60 % 60), (guint)(t % 60));
  return g_string_free(s, FALSE);
}

static void draw(status_line *st, const char *text)
{
  struct winsize ws;
  int width = ioctl(fileno(st->out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1 ? ws.ws_col - 1 : 79;
  fprintf(st->out, "\r%.*s\033[K", width, text);
  fflush(st->out);
  st->shown = TRUE;
}

static gpointer status_main(gpointer data)
{
  status_line *st = data;
  rill_stage_metrics *prev = NULL;
  gint64 prev_us = 0, start_us = g_get_monotonic_time();
  g_mutex_lock(&st->lock);
  while (!st->stop) {
    gint64 deadline = g_get_monotonic_time() + STATUS_INTERVAL_MS * 1000;
    while (!st->stop && g_cond_wait_until(&st->cond, &st->lock, deadline))
      ; /* woken early: re-check */
    if (st->stop)
      break;
    g_mutex_unlock(&st->lock);
    guint n;
    rill_stage_metrics *m = rill_pipeline_get_metrics(st->pipeline, &n);
    gint64 now = g_get_monotonic_time();
    if (m && n) {
      char *text = status_line_format(m, prev, n, (now - prev_us) / 1e6, (now - start_us) / 1e6);
      draw(st, text);
      g_free(text);
    }
    g_free(prev);
    prev = m;
    prev_us = now;
    g_mutex_lock(&st->lock);
  }
  g_mutex_unlock(&st->lock);
  g_free(prev);
  if (st->shown) {
    fputs("\r\033[K", st->out);
    fflush(st->out);
  }
  return NULL;
}

status_line *status_line_start(rill_pipeline *pipeline, FILE *out, gboolean enabled)
{
  if (!enabled)
    return NULL;
  status_line *st = g_new0(status_line, 1);
  st->pipeline = rill_pipeline_ref(pipeline);
  st->out = out;
  g_mutex_init(&st->lock);
  g_cond_init(&st->cond);
  st->thread = g_thread_new("rill-run-status", status_main, st);
  return st;
}

void status_line_stop(status_line *status)
{
  if (!status)
    return;
  g_mutex_lock(&status->lock);
  status->stop = TRUE;
  g_cond_signal(&status->cond);
  g_mutex_unlock(&status->lock);
  g_thread_join(status->thread);
  rill_pipeline_unref(status->pipeline);
  g_mutex_clear(&status->lock);
  g_cond_clear(&status->cond);
  g_free(status);
}
