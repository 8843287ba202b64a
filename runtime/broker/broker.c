/* broker.c — the public rill_broker API: configuration objects, start/stop,
 * the listener, and the accessors handlers use (handler.h).
 *
 * States: NEW --start--> RUNNING --stop--> STOPPED. start either reaches
 * RUNNING with the I/O thread serving, or fails leaving nothing running.
 * stop is the graceful path (loop.c: begin_drain/drained) and joins the I/O
 * thread; only then are the pool, the coordinator and (if owned) the log
 * freed, so no callback can see a freed object.
 */
#include "runtime/broker/broker-private.h"
#include "runtime/broker/broker-inline.h"
#include "runtime/broker/group-coordinator.h"
#include "runtime/broker/security.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

G_DEFINE_QUARK(rill-broker-error-quark, rill_broker_error)

struct rill_broker_config {
  rill__broker_settings s;
};

/* rill_broker is the internal broker; the public name is an alias. */
struct rill_broker {
  rill__broker b;
};

/* ---- Config --------------------------------------------------------------------- */

rill_broker_config *rill_broker_config_new(void)
{
  rill_broker_config *c = g_new0(rill_broker_config, 1);
  rill__broker_settings_init(&c->s);
  return c;
}

void rill_broker_config_free(rill_broker_config *config)
{
  if (!config)
    return;
  rill__broker_settings_clear(&config->s);
  g_free(config);
}

gboolean rill_broker_config_set(rill_broker_config *config, const char *key, const char *value, GError **error)
{
  g_return_val_if_fail(config && key && value, FALSE);
  return rill__broker_settings_set(&config->s, key, value, error);
}

gboolean rill_broker_config_load_file(rill_broker_config *config, const char *path, GError **error)
{
  g_return_val_if_fail(config && path, FALSE);
  char *text = NULL;
  GError *local = NULL;
  if (!g_file_get_contents(path, &text, NULL, &local)) {
    g_set_error(error, RILL_BROKER_ERROR, RILL_BROKER_ERROR_CONFIG, "%s", local->message);
    g_error_free(local);
    return FALSE;
  }
  gboolean ok = TRUE;
  char **lines = g_strsplit(text, "\n", -1);
  for (guint i = 0; ok && lines[i]; i++) {
    char *line = g_strstrip(lines[i]);
    if (!*line || *line == '#' || *line == '!')
      continue;
    char *eq = strchr(line, '=');
    if (!eq) {
      g_set_error(error, RILL_BROKER_ERROR, RILL_BROKER_ERROR_CONFIG, "%s:%u: expected key=value", path, i + 1);
      ok = FALSE;
      break;
    }
    *eq = '\0';
    if (!rill__broker_settings_set(&config->s, g_strstrip(line), g_strstrip(eq + 1), &local)) {
      g_set_error(error, RILL_BROKER_ERROR, RILL_BROKER_ERROR_CONFIG, "%s:%u: %s", path, i + 1, local->message);
      g_clear_error(&local);
      ok = FALSE;
    }
  }
  g_strfreev(lines);
  g_free(text);
  return ok;
}

char *rill_broker_config_get(const rill_broker_config *config, const char *key)
{
  g_return_val_if_fail(config && key, NULL);
  for (guint i = 0; i < rill__broker_config_table_len; i++)
    if (strcmp(rill__broker_config_table[i].name, key) == 0)
      return rill__broker_settings_format(&config->s, &rill__broker_config_table[i]);
  return NULL;
}

/* ---- Accessors (handler.h) ------------------------------------------------------- */

rill_log *rill__broker_log(rill__broker *broker) { return broker->log; }
const rill__broker_settings *rill__broker_settings_get(rill__broker *broker) { return &broker->settings; }
int32_t rill__broker_node_id(rill__broker *broker) { return broker->settings.broker_id; }
/* The listener a request came through; an adopted (inline) connection
 * answers with the first listener's address, or loopback without one. */
static const rill__listener *req_listener(const rill__broker_req *req)
{
  if (req->conn->listener)
    return req->conn->listener;
  GPtrArray *ls = req->broker->listeners;
  return ls && ls->len ? ls->pdata[0] : NULL;
}

const char *rill__broker_advertised_host(const rill__broker_req *req)
{
  const rill__listener *l = req_listener(req);
  return l && l->adv_host ? l->adv_host : "127.0.0.1";
}

int32_t rill__broker_advertised_port(const rill__broker_req *req)
{
  const rill__listener *l = req_listener(req);
  return l ? l->adv_port : 0;
}
rill__group_coordinator *rill__broker_groups(rill__broker *broker) { return broker->groups; }

G_GNUC_PRINTF(5, 0)
static void event_v(rill__broker *broker, const char *level, const char *event, uint64_t suppressed, const char *fmt,
                    va_list ap)
{
  GDateTime *now = g_date_time_new_now_utc();
  char *ts = g_date_time_format_iso8601(now);
  g_date_time_unref(now);
  GString *line = g_string_new(NULL);
  g_string_printf(line, "ts=%s level=%s event=%s", ts, level, event);
  g_free(ts);
  if (fmt) {
    g_string_append_c(line, ' ');
    g_string_append_vprintf(line, fmt, ap);
  }
  if (suppressed)
    g_string_append_printf(line, " suppressed=%" G_GUINT64_FORMAT, suppressed);
  if (broker->log_func)
    broker->log_func(line->str, broker->log_user_data);
  else
    g_debug("%s", line->str);
  g_string_free(line, TRUE);
}

void rill__broker_event(rill__broker *broker, const char *level, const char *event, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  event_v(broker, level, event, 0, fmt, ap);
  va_end(ap);
}

/* [kind] = {level, event, lines per second}. Warnings: one a second, as a
 * peer repeating a mistake says nothing new; connects and disconnects: ten,
 * so ordinary clients keep every line and only a storm is summarised. */
static const struct {
  const char *level, *event;
  uint32_t per_second;
} limited_events[RILL__EV_N_LIMITED] = {
  [RILL__EV_CONNECT] = {"info", "connect", 10},
  [RILL__EV_DISCONNECT] = {"info", "disconnect", 10},
  [RILL__EV_ACCEPT_FAILED] = {"warn", "accept_failed", 1},
  [RILL__EV_CONNECTION_REFUSED] = {"warn", "connection_refused", 1},
  [RILL__EV_BAD_FRAME] = {"warn", "bad_frame", 1},
  [RILL__EV_MALFORMED_REQUEST] = {"warn", "malformed_request", 1},
  [RILL__EV_UNSUPPORTED_REQUEST] = {"warn", "unsupported_request", 1},
  [RILL__EV_APPEND_FAILED] = {"error", "append_failed", 1},
  [RILL__EV_PRODUCER_ID_FAILED] = {"error", "producer_id_failed", 1},
  [RILL__EV_AUTH_FAILED] = {"warn", "authentication_failed", 10},
};

const char *rill__broker_limited_event_name(int kind)
{
  return limited_events[kind].event;
}

void rill__broker_event_limited(rill__broker *b, rill__limited_event kind, const char *fmt, ...)
{
  rill__broker_stats_event(b->stats, kind);
  uint64_t suppressed = 0;
  if (!rill__ratelimit_allow(&b->event_rate[kind], rill__broker_now_ms(b), &suppressed))
    return;
  va_list ap;
  va_start(ap, fmt);
  event_v(b, limited_events[kind].level, limited_events[kind].event, suppressed, fmt, ap);
  va_end(ap);
}

void rill__broker_report_suppressed(rill__broker *b)
{
  int64_t now = rill__broker_now_ms(b);
  for (int k = 0; k < RILL__EV_N_LIMITED; k++) {
    uint64_t n = rill__ratelimit_take_suppressed(&b->event_rate[k], now);
    if (n)
      rill__broker_event(b, limited_events[k].level, limited_events[k].event, "suppressed=%" G_GUINT64_FORMAT, n);
  }
}

int16_t rill__broker_kafka_error(const GError *error)
{
  if (!error)
    return RILL_KAFKA_ERR_NONE;
  if (error->domain != RILL_LOG_ERROR)
    return RILL_KAFKA_ERR_UNKNOWN_SERVER_ERROR;
  switch ((rill_log_error)error->code) {
  case RILL_LOG_ERROR_IO:
  case RILL_LOG_ERROR_NO_SPACE: return RILL_KAFKA_ERR_KAFKA_STORAGE_ERROR;
  case RILL_LOG_ERROR_LOCKED: return RILL_KAFKA_ERR_UNKNOWN_SERVER_ERROR;
  case RILL_LOG_ERROR_UNKNOWN_TOPIC: return RILL_KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
  case RILL_LOG_ERROR_TOPIC_EXISTS: return RILL_KAFKA_ERR_TOPIC_ALREADY_EXISTS;
  case RILL_LOG_ERROR_INVALID_TOPIC: return RILL_KAFKA_ERR_INVALID_TOPIC_EXCEPTION;
  case RILL_LOG_ERROR_INVALID_PARTITIONS: return RILL_KAFKA_ERR_INVALID_PARTITIONS;
  case RILL_LOG_ERROR_INVALID_CONFIG: return RILL_KAFKA_ERR_INVALID_CONFIG;
  case RILL_LOG_ERROR_CORRUPT_BATCH: return RILL_KAFKA_ERR_CORRUPT_MESSAGE;
  case RILL_LOG_ERROR_MESSAGE_TOO_LARGE: return RILL_KAFKA_ERR_MESSAGE_TOO_LARGE;
  case RILL_LOG_ERROR_OFFSET_OUT_OF_RANGE: return RILL_KAFKA_ERR_OFFSET_OUT_OF_RANGE;
  case RILL_LOG_ERROR_OUT_OF_ORDER_SEQUENCE: return RILL_KAFKA_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER;
  case RILL_LOG_ERROR_PRODUCER_FENCED: return RILL_KAFKA_ERR_INVALID_PRODUCER_EPOCH;
  case RILL_LOG_ERROR_CLOSED: return RILL_KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
  }
  return RILL_KAFKA_ERR_UNKNOWN_SERVER_ERROR;
}

rill__wire_str rill__broker_error_text(rill__broker_req *req, const GError *error)
{
  int16_t code = rill__broker_kafka_error(error);
  if (code != RILL_KAFKA_ERR_KAFKA_STORAGE_ERROR && code != RILL_KAFKA_ERR_UNKNOWN_SERVER_ERROR)
    return rill__wire_str_from(rill__broker_req_strdup(req, rill__wire_str_from(error->message)));
  rill__broker_event(req->broker, "error", "storage_error", "api=%d error=\"%s\"", req->header.request_api_key,
                     error->message);
  return rill__wire_str_from(code == RILL_KAFKA_ERR_KAFKA_STORAGE_ERROR
                                 ? RILL__BROKER_STORAGE_ERROR_TEXT
                                 : "The broker failed unexpectedly; details are in the broker's log.");
}

char *rill__broker_req_topic(rill__broker_req *req, rill__wire_str s)
{
  if (s.len < 0 || (s.len > 0 && memchr(s.ptr, '\0', (size_t)s.len)))
    return NULL;
  return rill__broker_req_strdup(req, s);
}

/* ---- Lifecycle ------------------------------------------------------------------- */

static rill_broker *broker_new(const rill_broker_config *config, rill_log *log, GError **error)
{
  rill_broker *pub = g_new0(rill_broker, 1);
  rill__broker *b = &pub->b;
  rill__broker_settings_copy(&b->settings, &config->s);
  b->log = log;
  b->owns_log = log == NULL;
  b->epfd = b->wake_fd = -1;
  g_mutex_init(&b->post_lock);
  b->stats = rill__broker_stats_new();
  for (int k = 0; k < RILL__EV_N_LIMITED; k++)
    b->event_rate[k] = RILL__RATELIMIT_INIT(limited_events[k].per_second);
  b->listeners = rill__listeners_parse(&b->settings, error);
  if (!b->listeners) {
    rill_broker_free(pub);
    return NULL;
  }
  if (b->owns_log && !*b->settings.log_dirs) {
    g_set_error(error, RILL_BROKER_ERROR, RILL_BROKER_ERROR_CONFIG, "log.dirs is not set");
    rill_broker_free(pub);
    return NULL;
  }
  return pub;
}

rill_broker *rill_broker_new(const rill_broker_config *config, GError **error)
{
  g_return_val_if_fail(config, NULL);
  return broker_new(config, NULL, error);
}

rill_broker *rill_broker_new_for_log(const rill_broker_config *config, rill_log *log, GError **error)
{
  g_return_val_if_fail(config && log, NULL);
  return broker_new(config, log, error);
}

void rill_broker_set_log_func(rill_broker *broker, rill_broker_log_func func, void *user_data)
{
  g_return_if_fail(broker);
  broker->b.log_func = func;
  broker->b.log_user_data = user_data;
}

static gpointer io_thread(gpointer data)
{
  rill__broker_loop_run(data);
  return NULL;
}

static void stop_and_clear(rill__broker *b)
{
  if (b->thread) {
    g_atomic_int_set(&b->stop_requested, 1);
    uint64_t one = 1;
    while (write(b->wake_fd, &one, sizeof one) < 0 && errno == EINTR) {
    }
    g_thread_join(b->thread);
    b->thread = NULL;
  }
  if (b->pool) {
    g_thread_pool_free(b->pool, FALSE, TRUE);
    b->pool = NULL;
  }
  for (guint i = 0; b->listeners && i < b->listeners->len; i++)
    rill__listener_close(b->listeners->pdata[i]);
  if (b->owns_log && b->log) {
    rill_log_close(b->log); /* wakes log waiters: their posts run here */
    b->log = NULL;
  }
  rill__broker_run_leftover_posts(b);
  if (b->groups) {
    rill__group_coordinator_free(b->groups);
    b->groups = NULL;
  }
  rill__broker_loop_clear(b);
  g_clear_pointer(&b->security, rill__security_free);
}

/* The scrubber's report (its thread): one event line per damaged batch. */
static void log_damage(const rill_log_damage *d, void *user_data)
{
  rill__broker_event(user_data, "error", "log_damaged",
                     "topic=%s partition=%d segment=%020" G_GINT64_FORMAT ".log position=%" G_GINT64_FORMAT
                     " offsets=%" G_GINT64_FORMAT "..%" G_GINT64_FORMAT " reason=\"%s\"",
                     d->topic, d->partition, d->segment_base, d->position, d->first_offset, d->last_offset,
                     d->reason);
}

gboolean rill_broker_start(rill_broker *broker, GError **error)
{
  g_return_val_if_fail(broker, FALSE);
  rill__broker *b = &broker->b;
  if (b->state != RILL__BROKER_NEW) {
    g_set_error(error, RILL_BROKER_ERROR, RILL_BROKER_ERROR_STATE, "the broker was already started");
    return FALSE;
  }
  if (b->owns_log) {
    rill_log_options opts;
    rill_log_options_init(&opts);
    char **defaults = rill__broker_settings_topic_defaults(&b->settings);
    opts.default_config = (const char *const *)defaults;
    opts.retention_check_interval_ms = b->settings.log_retention_check_interval_ms;
    opts.page_cache_window_bytes = b->settings.log_page_cache_window_bytes;
    opts.max_open_files = b->settings.log_fd_cache_size;
    opts.scrub_bytes_per_sec = b->settings.log_scrub_bytes_per_sec;
    opts.scrub_interval_ms = b->settings.log_scrub_interval_ms;
    opts.scrub_damage_func = log_damage;
    opts.scrub_damage_user_data = b;
    GError *local = NULL;
    b->log = rill_log_open(b->settings.log_dirs, &opts, &local);
    g_strfreev(defaults);
    if (!b->log) {
      g_set_error(error, RILL_BROKER_ERROR, RILL_BROKER_ERROR_LOG, "%s", local->message);
      g_error_free(local);
      goto fail;
    }
    char **notes = rill_log_recovery_notes(b->log);
    for (guint i = 0; notes && notes[i]; i++)
      rill__broker_event(b, "warn", "log_recovered", "note=\"%s\"", notes[i]);
    g_strfreev(notes);
  }
  if (!(b->security = rill__security_new(b, error)))
    goto fail;
  if (!rill__broker_loop_init(b, error))
    goto fail;
  for (guint i = 0; i < b->listeners->len; i++) {
    rill__listener *l = b->listeners->pdata[i];
    if (!rill__listener_bind(l, error))
      goto fail;
    l->kind = RILL__SRC_LISTEN;
    rill__broker_loop_watch(b, l->fd, EPOLLIN, l, TRUE);
  }
  b->groups = rill__group_coordinator_new(b, error);
  if (!b->groups)
    goto fail;
  b->pool = g_thread_pool_new(rill__broker_pool_run, NULL, b->settings.num_io_workers, FALSE, NULL);
  b->state = RILL__BROKER_RUNNING;
  rill__broker_http_running(b, TRUE); /* everything a scrape reads exists now */
  if (!b->inline_loop)
    b->thread = g_thread_new("rill-broker-io", io_thread, b);
  for (guint i = 0; i < b->listeners->len; i++) {
    rill__listener *l = b->listeners->pdata[i];
    rill__broker_event(b, "info", "listening", "host=%s port=%u advertised=%s:%d listener=%s protocol=%s", l->host,
                       l->port, l->adv_host, l->adv_port, l->name, rill__security_protocol_name(l->protocol));
  }
  return TRUE;

fail:
  stop_and_clear(b);
  b->state = RILL__BROKER_STOPPED;
  return FALSE;
}

gboolean rill__broker_start_inline(rill_broker *broker, GError **error)
{
  g_return_val_if_fail(broker, FALSE);
  broker->b.inline_loop = TRUE;
  return rill_broker_start(broker, error);
}

void rill__broker_turn(rill_broker *broker, int timeout_ms, gboolean expire_timers)
{
  g_return_if_fail(broker && broker->b.inline_loop && broker->b.state == RILL__BROKER_RUNNING);
  rill__broker_loop_turn(&broker->b, timeout_ms, expire_timers);
}

guint rill__broker_offloaded(rill_broker *broker)
{
  return broker->b.n_offloaded;
}

void rill__broker_adopt_inline(rill_broker *broker, int fd)
{
  g_return_if_fail(broker && broker->b.inline_loop && broker->b.state == RILL__BROKER_RUNNING);
  rill__broker_conn_add(&broker->b, NULL, fd, "inline");
}

gboolean rill__broker_reset_inline(rill_broker *broker, GError **error)
{
  g_return_val_if_fail(broker && broker->b.inline_loop && broker->b.state == RILL__BROKER_RUNNING, FALSE);
  rill__broker *b = &broker->b;
  /* Parked work of closed connections would otherwise wait for its
   * deadline; the work behind them must end before the topics it touches
   * go. */
  rill__fetch_complete_all(b);
  while (b->n_offloaded > 0)
    rill__broker_loop_turn(b, 10, FALSE);
  rill__broker_loop_turn(b, 0, FALSE);
  if (!rill__group_coordinator_forget_all(b->groups, error))
    return FALSE;
  g_auto(GStrv) topics = rill_log_topic_list(b->log);
  for (guint i = 0; topics && topics[i]; i++)
    if (!rill_log_topic_delete(b->log, topics[i], error))
      return FALSE;
  return TRUE;
}

void rill_broker_stop(rill_broker *broker)
{
  g_return_if_fail(broker);
  rill__broker *b = &broker->b;
  if (b->state != RILL__BROKER_RUNNING)
    return;
  rill__broker_http_running(b, FALSE);
  stop_and_clear(b);
  b->state = RILL__BROKER_STOPPED;
}

void rill_broker_free(rill_broker *broker)
{
  if (!broker)
    return;
  rill__broker *b = &broker->b;
  rill__broker_http_detach(b);
  rill_broker_stop(broker);
  if (b->state == RILL__BROKER_NEW)
    stop_and_clear(b);
  rill__broker_stats_free(b->stats);
  rill__broker_settings_clear(&b->settings);
  if (b->listeners)
    g_ptr_array_unref(b->listeners);
  g_mutex_clear(&b->post_lock);
  g_free(broker);
}

uint16_t rill_broker_port(const rill_broker *broker)
{
  g_return_val_if_fail(broker, 0);
  GPtrArray *ls = broker->b.listeners;
  return ls && ls->len && broker->b.state == RILL__BROKER_RUNNING ? ((rill__listener *)ls->pdata[0])->port : 0;
}

uint16_t rill_broker_listener_port(const rill_broker *broker, const char *name)
{
  g_return_val_if_fail(broker && name, 0);
  GPtrArray *ls = broker->b.listeners;
  for (guint i = 0; ls && broker->b.state == RILL__BROKER_RUNNING && i < ls->len; i++) {
    rill__listener *l = ls->pdata[i];
    if (g_ascii_strcasecmp(l->name, name) == 0)
      return l->port;
  }
  return 0;
}

rill_log *rill_broker_log(const rill_broker *broker)
{
  g_return_val_if_fail(broker, NULL);
  return broker->b.log;
}
