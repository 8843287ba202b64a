/* tool.c — common options, configuration, exit codes and signal handling
 * of the Kafka command-line tools (see tool.h). */
#include "tool.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

G_DEFINE_QUARK(rill-tool-error-quark, tool_error)

/* The only process-wide state: a tool is one process with one client. */
static volatile sig_atomic_t interrupted;

void tool_common_add_options(GOptionContext *ctx, tool_common *c)
{
  c->timeout_ms = 10000;
  GOptionEntry entries[] = {
    {"bootstrap-server", 'b', 0, G_OPTION_ARG_STRING, &c->bootstrap,
     "Brokers to bootstrap from (default 127.0.0.1:9092)", "HOST:PORT[,...]"},
    {"property", 'X', 0, G_OPTION_ARG_STRING_ARRAY, &c->props,
     "Set a client property (librdkafka names, e.g. compression.codec=lz4); repeatable", "KEY=VALUE"},
    {"timeout-ms", 0, 0, G_OPTION_ARG_INT, &c->timeout_ms,
     "Give up on an unreachable broker after this long (request.timeout.ms; default 10000)", "MS"},
    G_OPTION_ENTRY_NULL,
  };
  GOptionGroup *g = g_option_group_new("connection", "Connection options:", "Show connection options", NULL, NULL);
  g_option_group_add_entries(g, entries);
  g_option_context_add_group(ctx, g);
}

void tool_common_clear(tool_common *c)
{
  g_free(c->bootstrap);
  g_strfreev(c->props);
}

void tool_usage_error(GError **error, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_set_error_literal(error, tool_error_quark(), TOOL_EXIT_USAGE, msg);
}

rill_kafka_conf *tool_conf(const tool_common *c, const char *client_id, GError **error)
{
  rill_kafka_conf *conf = rill_kafka_conf_new();
  g_autofree char *timeout = g_strdup_printf("%d", c->timeout_ms);
  if (!rill_kafka_conf_set(conf, "bootstrap.servers", c->bootstrap ? c->bootstrap : "127.0.0.1:9092", error) ||
      !rill_kafka_conf_set(conf, "client.id", client_id, error) ||
      !rill_kafka_conf_set(conf, "request.timeout.ms", timeout, error))
    goto fail;
  for (guint i = 0; c->props && c->props[i]; i++) {
    g_auto(GStrv) kv = g_strsplit(c->props[i], "=", 2);
    if (!kv[0] || !kv[1]) {
      tool_usage_error(error, "-X %s: expected KEY=VALUE", c->props[i]);
      goto fail;
    }
    if (!rill_kafka_conf_set(conf, kv[0], kv[1], error))
      goto fail;
  }
  return conf;
fail:
  rill_kafka_conf_free(conf);
  return NULL;
}

gboolean tool_connect(const tool_common *c, const char *client_id, rill_kafka_conf **conf, rill__kclient **client,
                      GError **error)
{
  return (*conf = tool_conf(c, client_id, error)) && (*client = rill__kclient_new(*conf, error));
}

int tool_main(int argc, char **argv, const char *name, const char *parameter, const char *summary,
              const GOptionEntry *entries, tool_common *common, tool_run_func run, gpointer tool)
{
  GError *error = NULL;
  int rc = TOOL_EXIT_OK;
  GOptionContext *ctx = g_option_context_new(parameter);
  tool_cli_add_options(ctx, name);
  g_option_context_set_summary(ctx, summary);
  g_option_context_add_main_entries(ctx, entries, NULL);
  tool_common_add_options(ctx, common);
  if (!g_option_context_parse(ctx, &argc, &argv, &error) || !run(tool, argc, argv, &error))
    rc = tool_fail(name, error);
  g_option_context_free(ctx);
  return rc;
}

int tool_exit_code(const GError *error)
{
  if (error->domain == tool_error_quark())
    return error->code;
  if (error->domain == RILL_KAFKA_CLIENT_ERROR) {
    switch ((rill_kafka_client_error)error->code) {
    case RILL_KAFKA_CLIENT_ERROR_CONFIG:
      return TOOL_EXIT_USAGE;
    case RILL_KAFKA_CLIENT_ERROR_TRANSPORT:
    case RILL_KAFKA_CLIENT_ERROR_TIMEOUT:
      return TOOL_EXIT_UNREACHABLE;
    case RILL_KAFKA_CLIENT_ERROR_BROKER:
    case RILL_KAFKA_CLIENT_ERROR_PROTOCOL:
      return TOOL_EXIT_REFUSED;
    }
  }
  if (error->domain == G_OPTION_ERROR || error->domain == G_FILE_ERROR)
    return TOOL_EXIT_USAGE;
  return TOOL_EXIT_DATA;
}

int tool_fail(const char *tool, GError *error)
{
  int code = tool_exit_code(error);
  tool_log_error("%s", error->message); /* tool_cli_add_options named @tool */
  g_error_free(error);
  return code;
}

gboolean tool_parse_int64(const char *s, gint64 *out)
{
  return s && g_ascii_string_to_signed(s, 10, G_MININT64, G_MAXINT64, out, NULL);
}

static void on_signal(int sig)
{
  (void)sig;
  interrupted = 1;
}

void tool_catch_signals(void)
{
  struct sigaction sa = {0};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
}

gboolean tool_interrupted(void)
{
  return interrupted != 0;
}
