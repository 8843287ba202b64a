/* rill-broker — the Kafka-protocol broker over a rill log directory.
 *
 *   rill-broker --data-dir DIR [--listen HOST:PORT] [--config FILE] [--set key=value]...
 *               [--http HOST:PORT]
 *
 * Settings apply in order: defaults, --config file, --set, then --data-dir
 * and --listen. Event lines go to stdout, one per event, key=value
 * ("ts=... level=info event=listening host=127.0.0.1 port=9092 ...").
 * SIGTERM/SIGINT stop gracefully: stop accepting, answer what was read,
 * close the log cleanly. At start the soft limit on open files is raised to
 * the hard one: every connection and every open segment takes a descriptor,
 * and the common soft default (1024) is far below what a broker needs.
 * --http serves /metrics, /healthz, /readyz, /api/broker/... and the web
 * console (docs/observability.md) on its own thread; off unless asked.
 *
 * Exit codes: 0 clean shutdown, 1 usage or configuration error, 2 the
 * broker could not start (log directory, listener).
 */
#include <rill/broker.h>
#include <rill/http.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cli.h"

static void print_line(const char *line, void *user_data)
{
  (void)user_data;
  char *out = tool_cli_event_line(G_LOG_LEVEL_INFO, line); /* --log-format */
  fprintf(stdout, "%s\n", out);
  fflush(stdout);
  g_free(out);
}

/* Raises the soft RLIMIT_NOFILE to the hard limit and says so. */
static void raise_nofile(void)
{
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max)
    return;
  rlim_t from = rl.rlim_cur;
  rl.rlim_cur = rl.rlim_max;
  char *line;
  if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
    line = g_strdup_printf("event=nofile_raised from=%llu to=%llu", (unsigned long long)from,
                           (unsigned long long)rl.rlim_cur);
  else
    line = g_strdup_printf("event=nofile_raise_failed soft=%llu hard=%llu", (unsigned long long)from,
                           (unsigned long long)rl.rlim_max);
  print_line(line, NULL);
  g_free(line);
}

int main(int argc, char **argv)
{
  char *data_dir = NULL, *listen = NULL, *config_file = NULL, *http_addr = NULL;
  char **sets = NULL;
  GOptionEntry entries[] = {
    {"data-dir", 'd', 0, G_OPTION_ARG_FILENAME, &data_dir, "Log directory (log.dirs)", "DIR"},
    {"listen", 'l', 0, G_OPTION_ARG_STRING, &listen, "Address to listen on (listeners; default 127.0.0.1:9092, port 0 = any)", "HOST:PORT"},
    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config_file, "key=value config file (Kafka property names)", "FILE"},
    {"set", 's', 0, G_OPTION_ARG_STRING_ARRAY, &sets, "Set one property (repeatable)", "KEY=VALUE"},
    {"http", 0, 0, G_OPTION_ARG_STRING, &http_addr,
     "Serve metrics, health and the web console over HTTP (e.g. 127.0.0.1:9644; port 0 = any)", "HOST:PORT"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  GError *error = NULL;
  int rc = 1;
  rill_broker_config *config = rill_broker_config_new();
  rill_broker *broker = NULL;
  rill_http_server *http = NULL;
  GOptionContext *ctx = g_option_context_new("- Kafka-protocol broker over a rill log");
  tool_cli_add_options(ctx, "rill-broker");
  g_option_context_set_summary(ctx, "Serves the topics in --data-dir to Kafka clients (kcat, librdkafka, kafka-python, "
                                    "kafkajs).\nExit status: 0 clean shutdown, 1 usage/configuration error, 2 start failure.");
  g_option_context_add_main_entries(ctx, entries, NULL);
  if (!g_option_context_parse(ctx, &argc, &argv, &error))
    goto fail;
  if (config_file && !rill_broker_config_load_file(config, config_file, &error))
    goto fail;
  for (guint i = 0; sets && sets[i]; i++) {
    char *eq = strchr(sets[i], '=');
    if (!eq) {
      g_set_error(&error, RILL_BROKER_ERROR, RILL_BROKER_ERROR_CONFIG, "--set %s: expected key=value", sets[i]);
      goto fail;
    }
    *eq = '\0';
    if (!rill_broker_config_set(config, sets[i], eq + 1, &error))
      goto fail;
  }
  if (data_dir && !rill_broker_config_set(config, "log.dirs", data_dir, &error))
    goto fail;
  if (listen && !rill_broker_config_set(config, "listeners", listen, &error))
    goto fail;
  broker = rill_broker_new(config, &error);
  if (!broker)
    goto fail;
  rill_broker_set_log_func(broker, print_line, NULL);

  /* Signals are taken synchronously by this thread; every other thread
   * (created after this) inherits the block. */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);
  raise_nofile();
  if (http_addr) {
    /* After the signal block, so the HTTP thread inherits it. */
    http = rill_http_server_new(NULL, &error);
    rill_broker_serve_http(broker, http);
    if (!rill_http_server_listen(http, http_addr, &error)) {
      rc = 2;
      goto fail_started;
    }
    char *line = g_strdup_printf("event=http_listening address=%s port=%u", http_addr, rill_http_server_get_port(http));
    print_line(line, NULL);
    g_free(line);
  }
  if (!rill_broker_start(broker, &error)) {
    rc = 2;
    goto fail_started;
  }
  int sig = 0;
  sigwait(&set, &sig);
  print_line(sig == SIGTERM ? "event=signal signal=TERM" : "event=signal signal=INT", NULL);
  rill_broker_stop(broker);
  rc = 0;
  goto out;

fail:
  rc = 1;
fail_started:
  tool_log_error("%s", error ? error->message : "failed");
  g_clear_error(&error);
out:
  rill_http_server_free(http); /* before the broker its handlers read */
  rill_broker_free(broker);
  rill_broker_config_free(config);
  g_option_context_free(ctx);
  g_free(data_dir);
  g_free(listen);
  g_free(config_file);
  g_free(http_addr);
  g_strfreev(sets);
  return rc;
}
