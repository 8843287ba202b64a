/* rill-log — offline tools over a rill log directory.
 *
 *   rill-log verify DIR
 *
 * verify reads every segment of every partition (read only: it may run
 * beside a broker on the same directory) and checks each batch's length,
 * magic, CRC-32C and offset continuity (rill_log_verify_dir). One line per
 * damaged batch on stdout:
 *
 *   damaged topic=T partition=P segment=00000000000000000042.log position=BYTES offsets=FIRST..LAST reason="..."
 *
 * (LAST is -1 when the batch's length was destroyed and the rest of the
 * segment cannot be walked), then a summary line.
 *
 * Exit codes: 0 no damage, 1 usage, 2 DIR cannot be read, 3 damage found.
 */
#include <rill/log.h>

#include <stdio.h>

#include "cli.h"

static void print_damage(const rill_log_damage *d, void *user_data)
{
  (void)user_data;
  printf("damaged topic=%s partition=%d segment=%020" G_GINT64_FORMAT ".log position=%" G_GINT64_FORMAT
         " offsets=%" G_GINT64_FORMAT "..%" G_GINT64_FORMAT " reason=\"%s\"\n",
         d->topic, d->partition, d->segment_base, d->position, d->first_offset, d->last_offset, d->reason);
}

int main(int argc, char **argv)
{
  GOptionContext *ctx = g_option_context_new("verify DIR - check every segment of a log directory");
  tool_cli_add_options(ctx, "rill-log");
  GError *error = NULL;
  gboolean parsed = g_option_context_parse(ctx, &argc, &argv, &error);
  g_option_context_free(ctx);
  if (!parsed || argc != 3 || g_strcmp0(argv[1], "verify") != 0) {
    tool_log_error("%s", parsed ? "usage: rill-log verify DIR" : error->message);
    g_clear_error(&error);
    return 1;
  }
  rill_log_scrub_stats st;
  if (!rill_log_verify_dir(argv[2], print_damage, NULL, &st, &error)) {
    tool_log_error("%s", error->message);
    g_error_free(error);
    return 2;
  }
  printf("checked %" G_GUINT64_FORMAT " segments, %" G_GUINT64_FORMAT " batches, %" G_GUINT64_FORMAT
         " bytes: %" G_GUINT64_FORMAT " damaged\n",
         st.segments, st.batches, st.bytes, st.damaged_batches);
  return st.damaged_batches ? 3 : 0;
}
