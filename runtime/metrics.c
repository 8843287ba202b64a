/* metrics.c — the end-of-run table of per-stage counters. */
#include <rill/metrics.h>

void rill_metrics_print(const rill_stage_metrics *metrics, guint n, FILE *out)
{
  g_return_if_fail(out != NULL && (metrics != NULL || n == 0));
  fprintf(out, "%-16s %-12s %6s %12s %10s %12s %10s %9s %9s %7s %8s %9s %8s\n", "stage", "type", "thread",
          "records_in", "MB_in", "records_out", "MB_out", "busy_ms", "blocked", "queue", "late", "state_MB", "dead");
  for (guint i = 0; i < n; i++) {
    const rill_stage_metrics *m = &metrics[i];
    char queue[32] = "-";
    if (m->queue_capacity)
      g_snprintf(queue, sizeof queue, "%u/%u", m->queue_len, m->queue_capacity);
    fprintf(out, "%-16s %-12s %6u %12" G_GUINT64_FORMAT " %10.1f %12" G_GUINT64_FORMAT " %10.1f %9.1f %9.1f %7s %8" G_GUINT64_FORMAT " %9.2f %8" G_GUINT64_FORMAT "\n",
            m->stage, m->type_name, m->task_thread, m->records_in, m->bytes_in / 1e6, m->records_out,
            m->bytes_out / 1e6, m->busy_ns / 1e6, m->blocked_ns / 1e6, queue, m->late_records,
            m->state_bytes / 1e6, m->dead_letters);
  }
}
