/* cli.h — what every rill command-line tool shares, whichever library it
 * links (the Kafka tools the internal one, rill-run/rill-broker/rill-log
 * the shared one): --version/-V and --log-format, and the one function
 * tools print their diagnostics with.
 *
 * Invariant: with --log-format=logfmt|json every line a tool writes to
 * stderr through tool_log() or GLib's logging (g_warning from the library)
 * carries ts (UTC, RFC 3339 with milliseconds) and level; text keeps the
 * classic "TOOL: message". One tool per process, so the chosen format and
 * the tool's name are process-wide state. */
#pragma once

#include <glib.h>

typedef enum {
  TOOL_LOG_TEXT,
  TOOL_LOG_LOGFMT,
  TOOL_LOG_JSON,
} tool_log_format;

/* Names the tool (for --version and log lines) and adds --version/-V and
 * --log-format to @ctx's main group. Call before parsing. */
void tool_cli_add_options(GOptionContext *ctx, const char *tool);

/* The --log-format in effect (TEXT until parsed). */
tool_log_format tool_cli_log_format(void);

/* One diagnostic line on stderr at @level (G_LOG_LEVEL_CRITICAL = error,
 * WARNING, MESSAGE/INFO = info, DEBUG), in the chosen format. */
void tool_log(GLogLevelFlags level, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
#define tool_log_error(...) tool_log(G_LOG_LEVEL_CRITICAL, __VA_ARGS__)

/* A logfmt event line (`key=value ...`, as rill-broker's events are) in
 * the chosen format: as is for text, with ts and level put first when
 * missing for logfmt, one JSON object for json (integers stay numbers).
 * (transfer full) */
char *tool_cli_event_line(GLogLevelFlags level, const char *logfmt);

/* The line tool_log() would write for @message (without the "\n"); exposed
 * for the tools' own structured events. (transfer full) */
char *tool_cli_format_line(GLogLevelFlags level, const char *message);
