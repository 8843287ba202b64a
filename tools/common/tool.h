/* tool.h — what the Kafka command-line tools (rill-topics, rill-groups,
 * rill-produce, rill-consume) share: the common options, connecting, and
 * the exit codes documented in docs/tools.md.
 *
 * Exit codes are part of the tools' interface (scripts test them), so they
 * are defined once here and every failure goes through tool_fail(). */
#pragma once

#include <glib.h>
#include <rill/kafka.h>

#include "connectors/kafka/admin.h"
#include "cli.h"

typedef enum {
  TOOL_EXIT_OK = 0,
  TOOL_EXIT_USAGE = 1,       /* bad arguments, unknown or invalid -X property, unreadable input file */
  TOOL_EXIT_UNREACHABLE = 2, /* no broker answered within the timeout */
  TOOL_EXIT_REFUSED = 3,     /* the broker answered with an error (unknown topic/group, topic exists, ...) */
  TOOL_EXIT_DATA = 4,        /* records not delivered, or a record that could not be decoded */
} tool_exit;

/* Error domain for the tools' own errors; the code is the tool_exit. */
#define TOOL_ERROR (tool_error_quark())
GQuark tool_error_quark(void);

/* The options every tool takes. */
typedef struct {
  char *bootstrap;  /* -b, --bootstrap-server */
  char **props;     /* -X key=value (librdkafka property names) */
  int timeout_ms;   /* --timeout-ms: request.timeout.ms unless -X sets it */
} tool_common;

/* Adds -b, -X and --timeout-ms to @ctx, filling @c. */
void tool_common_add_options(GOptionContext *ctx, tool_common *c);
void tool_common_clear(tool_common *c);

/* Builds the client configuration (client.id @client_id, then -X in
 * order). NULL with @error (config error). (transfer full) */
rill_kafka_conf *tool_conf(const tool_common *c, const char *client_id, GError **error);

/* Opens the tool's client: *@conf from tool_conf(@c, @client_id), then
 * *@client on it. FALSE with @error; what was opened is left in the
 * pointers for the caller to free. */
gboolean tool_connect(const tool_common *c, const char *client_id, rill_kafka_conf **conf, rill__kclient **client,
                      GError **error);

/* The main of an admin tool (rill-topics, rill-groups, rill-acls,
 * rill-users): parses @argv against @entries and the common options (into
 * @common), then calls @run with @tool and the arguments left (argv[0] the
 * program); a failure is printed through tool_fail(). Returns the exit
 * code. Freeing the option values and the client stays with the caller. */
typedef gboolean (*tool_run_func)(gpointer tool, int argc, char **argv, GError **error);
int tool_main(int argc, char **argv, const char *name, const char *parameter, const char *summary,
              const GOptionEntry *entries, tool_common *common, tool_run_func run, gpointer tool);

/* A usage error: sets @error (TOOL_EXIT_USAGE when passed to tool_fail). */
void tool_usage_error(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* The exit code for @error (see tool_exit). */
int tool_exit_code(const GError *error);
/* Prints the message to stderr (tool_log: "@tool: message", or the
 * --log-format line), frees @error, returns its exit code. */
int tool_fail(const char *tool, GError *error);

/* Parses an int64 in full ("12", "-3"); FALSE when not a number. */
gboolean tool_parse_int64(const char *s, gint64 *out);

/* Set by SIGINT/SIGTERM once tool_catch_signals() ran: long-running tools
 * poll it to finish cleanly (commit, leave the group). */
gboolean tool_interrupted(void);
void tool_catch_signals(void);
