/* line.c — the text of the progress line, from one metrics snapshot.
 *
 * Only sources count: bytes done/total are what they reported through
 * rill_source_add_progress, records are what they emitted. Pure formatting,
 * no I/O, so displays other than progress.c can reuse it.
 */
#include <rill/progress.h>

static void append_bytes(GString *s, double bytes)
{
  static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  guint u = 0;
  while (bytes >= 1024 && u + 1 < G_N_ELEMENTS(units)) {
    bytes /= 1024;
    u++;
  }
  if (u == 0)
    g_string_append_printf(s, "%.0f %s", bytes, units[u]);
  else
    g_string_append_printf(s, "%.1f %s", bytes, units[u]);
}

static void append_duration(GString *s, double seconds)
{
  guint64 t = seconds < 0 ? 0 : (guint64)(seconds + 0.5);
  if (t >= 3600)
    g_string_append_printf(s, "%" G_GUINT64_FORMAT ":%02u:%02u", t / 3600, (guint)(t / 60 % 60), (guint)(t % 60));
  else
    g_string_append_printf(s, "%u:%02u", (guint)(t / 60), (guint)(t % 60));
}

char *rill_progress_format_line(const rill_stage_metrics *m, guint n, double elapsed_s, double rate_bps)
{
  g_return_val_if_fail(m != NULL || n == 0, NULL);
  guint64 done = 0, total = 0, records = 0;
  for (guint i = 0; i < n; i++) {
    if (m[i].role != RILL_STAGE_SOURCE)
      continue;
    done += m[i].source_bytes_done;
    total += m[i].source_bytes_total;
    records += m[i].records_out;
  }
  GString *s = g_string_new(NULL);
  append_bytes(s, (double)done);
  if (total > 0) {
    g_string_append(s, " / ");
    append_bytes(s, (double)total);
    g_string_append_printf(s, " (%u%%)", (guint)(MIN(done, total) * 100 / total));
  }
  g_string_append_printf(s, "  %" G_GUINT64_FORMAT " records", records);
  if (rate_bps >= 0) {
    g_string_append(s, "  ");
    append_bytes(s, rate_bps);
    g_string_append(s, "/s");
  }
  g_string_append(s, "  elapsed ");
  append_duration(s, elapsed_s);
  if (total > done && rate_bps > 0) {
    g_string_append(s, "  ETA ");
    append_duration(s, (double)(total - done) / rate_bps);
  }
  return g_string_free(s, FALSE);
}
