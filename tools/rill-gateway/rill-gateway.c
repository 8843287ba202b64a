/* rill-gateway — the WebSocket edge over a rill log (docs/gateway.md).
 *
 *   rill-gateway [serve] (--data-dir DIR | --bootstrap-servers HOSTS [-X K=V]...)
 *                --secret-file FILE [--listen HOST:PORT]
 *                [--config FILE] [--static DIR] [--topic T] [--partitions N]
 *   rill-gateway token --secret-file FILE --user USER [--ttl SECONDS]
 *
 * serve: settings come from the [gateway] group of --config (keys named as
 * the long options), then the command line; the [channel PATTERN] groups of
 * the same file are the channel rules. Event lines go to stdout
 * ("event=listening host=127.0.0.1 port=8080"). SIGTERM/SIGINT close every
 * connection (1001) and stop; nothing acknowledged is lost (it is in the
 * log). At start the soft RLIMIT_NOFILE is raised to the hard limit: every
 * connection takes a descriptor.
 *
 * token: prints a token for USER valid for --ttl seconds (default 86400).
 *
 * Exit codes: 0 clean shutdown, 1 usage or configuration error, 2 the
 * gateway could not start (storage, listener).
 */
#include <rill/gateway.h>
#include <rill/kafka.h>

#include "cli.h"

#include <glib-unix.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static void raise_nofile(void)
{
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

static guint8 *read_secret(const char *file, gsize *len, GError **error)
{
  char *data;
  if (!g_file_get_contents(file, &data, len, error))
    return NULL;
  while (*len && (data[*len - 1] == '\n' || data[*len - 1] == '\r'))
    (*len)--; /* "echo secret > file" and the secret are the same */
  if (*len == 0) {
    g_set_error(error, RILL_GATEWAY_ERROR, RILL_GATEWAY_ERROR_CONFIG, "%s: the secret is empty", file);
    g_free(data);
    return NULL;
  }
  return (guint8 *)data;
}

static int usage(GOptionContext *ctx, const char *msg)
{
  tool_log_error("%s", msg);
  char *help = g_option_context_get_help(ctx, TRUE, NULL);
  fputs(help, stderr);
  g_free(help);
  return 1;
}

static int cmd_token(int argc, char **argv)
{
  char *secret_file = NULL, *user = NULL;
  gint64 ttl = 86400;
  GOptionEntry entries[] = {
    {"secret-file", 0, 0, G_OPTION_ARG_FILENAME, &secret_file, "File holding the HMAC secret", "FILE"},
    {"user", 'u', 0, G_OPTION_ARG_STRING, &user, "User id (A-Z a-z 0-9 _ -)", "USER"},
    {"ttl", 0, 0, G_OPTION_ARG_INT64, &ttl, "Seconds the token is valid (default 86400)", "SECONDS"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  GOptionContext *ctx = g_option_context_new("token - mint a client token");
  g_option_context_add_main_entries(ctx, entries, NULL);
  tool_cli_add_options(ctx, "rill-gateway");
  GError *e = NULL;
  int rc = 1;
  if (!g_option_context_parse(ctx, &argc, &argv, &e)) {
    rc = usage(ctx, e->message);
    goto out;
  }
  if (!secret_file || !user || ttl <= 0) {
    rc = usage(ctx, "token needs --secret-file, --user and a positive --ttl");
    goto out;
  }
  gsize len;
  guint8 *secret = read_secret(secret_file, &len, &e);
  if (!secret)
    goto out;
  char *token = rill_gateway_token_mint(secret, len, user, g_get_real_time() / G_USEC_PER_SEC + ttl, &e);
  g_free(secret);
  if (!token)
    goto out;
  printf("%s\n", token);
  g_free(token);
  rc = 0;
out:
  if (e && rc)
    tool_log_error("%s", e->message);
  g_clear_error(&e);
  g_option_context_free(ctx);
  g_free(secret_file);
  g_free(user);
  return rc;
}

static gboolean on_signal(gpointer loop)
{
  g_main_loop_quit(loop);
  return G_SOURCE_REMOVE;
}

/* String settings: command line wins over the config file's [gateway]. */
static void from_config(GKeyFile *kf, const char *key, char **value)
{
  if (!*value && kf)
    *value = g_key_file_get_string(kf, "gateway", key, NULL);
}

static void int_from_config(GKeyFile *kf, const char *key, gint64 *value)
{
  if (*value < 0 && kf && g_key_file_has_key(kf, "gateway", key, NULL))
    *value = g_key_file_get_int64(kf, "gateway", key, NULL);
}

static int cmd_serve(int argc, char **argv)
{
  char *data_dir = NULL, *listen = NULL, *config = NULL, *secret_file = NULL, *static_dir = NULL, *topic = NULL,
       *bootstrap = NULL, *durability = NULL, *tls_cert = NULL, *tls_key = NULL;
  gint64 partitions = -1, max_queue = -1, max_frame = -1, fps = -1, threads = -1;
  char **props = NULL;
  GOptionEntry entries[] = {
    {"data-dir", 'd', 0, G_OPTION_ARG_FILENAME, &data_dir, "Embedded log directory", "DIR"},
    {"bootstrap-servers", 'b', 0, G_OPTION_ARG_STRING, &bootstrap, "Kafka cluster instead of an embedded log", "HOSTS"},
    {"property", 'X', 0, G_OPTION_ARG_STRING_ARRAY, &props,
     "Kafka client property (librdkafka names, e.g. security.protocol=ssl); repeatable", "KEY=VALUE"},
    {"listen", 'l', 0, G_OPTION_ARG_STRING, &listen, "Address (default 127.0.0.1:8080; port 0 = any)", "HOST:PORT"},
    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config, "Key file: [gateway] settings, [channel P] rules", "FILE"},
    {"secret-file", 0, 0, G_OPTION_ARG_FILENAME, &secret_file, "File holding the HMAC secret", "FILE"},
    {"static", 0, 0, G_OPTION_ARG_FILENAME, &static_dir, "Directory of files served at /", "DIR"},
    {"tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &tls_cert, "PEM certificate chain: serve https/wss only", "FILE"},
    {"tls-key", 0, 0, G_OPTION_ARG_FILENAME, &tls_key, "PEM private key of --tls-cert (default: in that file)", "FILE"},
    {"topic", 't', 0, G_OPTION_ARG_STRING, &topic, "Topic of every channel (default gateway)", "TOPIC"},
    {"partitions", 0, 0, G_OPTION_ARG_INT64, &partitions, "Partitions when creating the topic (default 8)", "N"},
    {"durability", 0, 0, G_OPTION_ARG_STRING, &durability, "rill.durability when creating the topic: none (default), interval, sync", "D"},
    {"max-queue-bytes", 0, 0, G_OPTION_ARG_INT64, &max_queue, "Per-client send queue bound (default 1048576)", "N"},
    {"max-frame-bytes", 0, 0, G_OPTION_ARG_INT64, &max_frame, "Largest client frame (default 65536)", "N"},
    {"frames-per-second", 0, 0, G_OPTION_ARG_INT64, &fps, "Per-client frame rate (default 200)", "N"},
    {"threads", 0, 0, G_OPTION_ARG_INT64, &threads, "Threads serving connections (default: one per CPU)", "N"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  GOptionContext *ctx = g_option_context_new("[serve] - serve WebSocket clients from a rill log");
  g_option_context_add_main_entries(ctx, entries, NULL);
  tool_cli_add_options(ctx, "rill-gateway");
  GError *e = NULL;
  GKeyFile *kf = NULL;
  char *rules = NULL, *host = NULL;
  guint8 *secret = NULL;
  rill_gateway *gw = NULL;
  int rc = 1;
  if (!g_option_context_parse(ctx, &argc, &argv, &e)) {
    rc = usage(ctx, e->message);
    goto out;
  }
  if (config) {
    kf = g_key_file_new();
    if (!g_file_get_contents(config, &rules, NULL, &e) || !g_key_file_load_from_data(kf, rules, -1, 0, &e))
      goto out;
  }
  from_config(kf, "data-dir", &data_dir);
  from_config(kf, "bootstrap-servers", &bootstrap);
  from_config(kf, "listen", &listen);
  from_config(kf, "secret-file", &secret_file);
  from_config(kf, "static", &static_dir);
  from_config(kf, "tls-cert", &tls_cert);
  from_config(kf, "tls-key", &tls_key);
  from_config(kf, "topic", &topic);
  from_config(kf, "durability", &durability);
  int_from_config(kf, "partitions", &partitions);
  int_from_config(kf, "max-queue-bytes", &max_queue);
  int_from_config(kf, "max-frame-bytes", &max_frame);
  int_from_config(kf, "frames-per-second", &fps);
  int_from_config(kf, "threads", &threads);
  if (!secret_file) {
    rc = usage(ctx, "--secret-file is required");
    goto out;
  }
  if (!data_dir == !bootstrap) {
    rc = usage(ctx, "give --data-dir (embedded log) or --bootstrap-servers, not both");
    goto out;
  }
  rill_gateway_options o;
  rill_gateway_options_init(&o);
  if (listen) {
    const char *colon = strrchr(listen, ':');
    char *end = NULL;
    long port = colon ? strtol(colon + 1, &end, 10) : -1;
    if (!colon || colon == listen || !end || *end || port < 0 || port > 65535) {
      rc = usage(ctx, "--listen wants HOST:PORT");
      goto out;
    }
    host = g_strndup(listen, (gsize)(colon - listen));
    o.host = host;
    o.port = (int)port;
  } else {
    o.port = 8080;
  }
  if (!(secret = read_secret(secret_file, &o.secret_len, &e)))
    goto out;
  o.secret = secret;
  o.data_dir = data_dir;
  o.bootstrap_servers = bootstrap;
  o.kafka_properties = (const char *const *)props;
  o.static_dir = static_dir;
  if (tls_key && !tls_cert) {
    rc = usage(ctx, "--tls-key needs --tls-cert");
    goto out;
  }
  o.tls_cert_file = tls_cert;
  o.tls_key_file = tls_key;
  if (topic)
    o.topic = topic;
  if (durability) {
    if (strcmp(durability, "none") == 0)
      o.durability = RILL_LOG_DURABILITY_NONE;
    else if (strcmp(durability, "interval") == 0)
      o.durability = RILL_LOG_DURABILITY_INTERVAL;
    else if (strcmp(durability, "sync") == 0)
      o.durability = RILL_LOG_DURABILITY_SYNC;
    else {
      rc = usage(ctx, "--durability is none, interval or sync");
      goto out;
    }
  }
  if (partitions > 0)
    o.partitions = (int32_t)partitions;
  if (max_queue > 0)
    o.max_queue_bytes = (gsize)max_queue;
  if (max_frame > 0)
    o.max_frame_bytes = (gsize)max_frame;
  if (fps > 0)
    o.frames_per_second = (guint)fps;
  if (threads > 0)
    o.threads = (guint)MIN(threads, G_MAXUINT);
  o.rules = rules;
  raise_nofile();
  gw = rill_gateway_new(&o, &e);
  if (!gw) {
    rc = g_error_matches(e, RILL_GATEWAY_ERROR, RILL_GATEWAY_ERROR_CONFIG) ||
             g_error_matches(e, RILL_KAFKA_CLIENT_ERROR, RILL_KAFKA_CLIENT_ERROR_CONFIG)
           ? 1
           : 2;
    goto out;
  }
  printf("event=listening host=%s port=%d topic=%s scheme=%s\n", o.host, rill_gateway_port(gw), o.topic,
         tls_cert ? "wss" : "ws");
  fflush(stdout);
  GMainLoop *loop = g_main_loop_new(NULL, FALSE);
  g_unix_signal_add(SIGINT, on_signal, loop);
  g_unix_signal_add(SIGTERM, on_signal, loop);
  g_main_loop_run(loop);
  g_main_loop_unref(loop);
  rill_gateway_free(gw);
  printf("event=stopped\n");
  rc = 0;
out:
  if (e) {
    tool_log_error("%s", e->message);
    g_error_free(e);
  }
  if (kf)
    g_key_file_free(kf);
  g_option_context_free(ctx);
  g_free(rules);
  g_free(host);
  g_free(secret);
  g_free(data_dir);
  g_free(bootstrap);
  g_strfreev(props);
  g_free(listen);
  g_free(config);
  g_free(secret_file);
  g_free(static_dir);
  g_free(tls_cert);
  g_free(tls_key);
  g_free(topic);
  g_free(durability);
  return rc;
}

int main(int argc, char **argv)
{
  if (argc > 1 && strcmp(argv[1], "token") == 0)
    return cmd_token(argc - 1, argv + 1);
  if (argc > 1 && strcmp(argv[1], "serve") == 0)
    return cmd_serve(argc - 1, argv + 1);
  return cmd_serve(argc, argv);
}
