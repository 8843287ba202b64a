/* config.h — the broker's settings and the one table that describes them.
 *
 * Every setting has one row in rill__broker_config_table (config.c, rows of
 * the shared engine in runtime/config-table.h): Kafka's property name where
 * Kafka has one, its type, where it lives in rill__broker_settings, its
 * range, default and doc. The table drives
 * parsing (rill_broker_config_set), validation (unknown keys and values out
 * of range are errors), DescribeConfigs for the broker resource, and
 * docs/CONFIGURATION.md (rill__broker_config_markdown; a test checks the doc
 * against it).
 */
#pragma once

#include <glib.h>
#include <stdint.h>

#include <rill/log.h>

#include "runtime/config-table.h"

typedef struct rill__broker_settings rill__broker_settings;

typedef enum { RILL__CLIENT_AUTH_NONE, RILL__CLIENT_AUTH_REQUESTED, RILL__CLIENT_AUTH_REQUIRED } rill__ssl_client_auth;

/* Parsed values, filled from the table's defaults then overridden. Strings
 * are owned (g_free). */
struct rill__broker_settings {
  char *log_dirs;                          /* log.dirs: data directory (unless a log is passed in) */
  char *listeners;                         /* listeners: "NAME://host:port,...", "host:port" or "" (listeners.h) */
  char *advertised_listeners;              /* advertised.listeners: "" = derived from listeners */
  char *listener_security_protocol_map;    /* listener.security.protocol.map: "NAME:PROTOCOL,..." */
  /* Security (docs/security.md): TLS (tls.c), SASL (sasl.c), ACLs (acl.c). */
  char *ssl_keystore_location;             /* ssl.keystore.location: PEM certificate chain (+ key) */
  char *ssl_key_location;                  /* ssl.key.location: PEM private key ("" = in the keystore file) */
  char *ssl_key_password;                  /* ssl.key.password: of an encrypted key */
  char *ssl_truststore_location;           /* ssl.truststore.location: PEM CA bundle for client certificates */
  int ssl_client_auth;                     /* ssl.client.auth: rill__ssl_client_auth */
  char *sasl_enabled_mechanisms;           /* sasl.enabled.mechanisms */
  char *sasl_users_file;                   /* rill.sasl.users.file: bootstrap credentials */
  char *super_users;                       /* super.users: "User:a;User:b" */
  int allow_everyone_if_no_acl_found;      /* allow.everyone.if.no.acl.found: 0 auto, 1 true, 2 false */
  int32_t broker_id;                       /* broker.id */
  char *cluster_id;                        /* cluster.id */
  int32_t num_partitions;                  /* num.partitions: auto-created / default partitions */
  int32_t max_partitions_per_topic;        /* rill.max.partitions.per.topic */
  int32_t max_partitions;                  /* rill.max.partitions: all topics together */
  int32_t default_replication_factor;      /* default.replication.factor: accepted, must be 1 */
  gboolean auto_create_topics_enable;      /* auto.create.topics.enable */
  int64_t log_retention_ms;                /* log.retention.ms → retention.ms */
  int64_t log_retention_bytes;             /* log.retention.bytes → retention.bytes */
  int64_t log_segment_bytes;               /* log.segment.bytes → segment.bytes */
  int64_t log_roll_ms;                     /* log.roll.ms → segment.ms */
  int64_t log_flush_interval_ms;           /* log.flush.interval.ms → flush.ms */
  int log_durability;                      /* rill.durability: rill_log_durability */
  int64_t log_retention_check_interval_ms; /* log.retention.check.interval.ms */
  int64_t log_page_cache_window_bytes;     /* rill.page.cache.window.bytes */
  int32_t log_fd_cache_size;               /* rill.log.fd.cache.size: 0 = from RLIMIT_NOFILE */
  int64_t log_scrub_bytes_per_sec;         /* log.scrub.bytes.per.sec */
  int64_t log_scrub_interval_ms;           /* log.scrub.interval.ms */
  int32_t message_max_bytes;               /* message.max.bytes → max.message.bytes */
  int32_t socket_request_max_bytes;        /* socket.request.max.bytes */
  int32_t fetch_max_bytes;                 /* fetch.max.bytes: cap on one Fetch answer's record bytes */
  int64_t queued_max_request_bytes;        /* queued.max.request.bytes: -1 = no bound */
  int64_t connections_max_idle_ms;         /* connections.max.idle.ms */
  int32_t max_connections;                 /* max.connections */
  int32_t num_io_workers;                  /* rill.io.workers: threads for blocking log calls */
  int64_t group_initial_rebalance_delay_ms;/* group.initial.rebalance.delay.ms */
  int64_t group_min_session_timeout_ms;    /* group.min.session.timeout.ms */
  int64_t group_max_session_timeout_ms;    /* group.max.session.timeout.ms */
  int64_t offsets_retention_minutes;       /* offsets.retention.minutes */
  int64_t offsets_retention_check_interval_ms; /* offsets.retention.check.interval.ms */
};

extern const rill__conf_prop rill__broker_config_table[];
extern const guint rill__broker_config_table_len;

void rill__broker_settings_init(rill__broker_settings *s);   /* table defaults */
void rill__broker_settings_copy(rill__broker_settings *dst, const rill__broker_settings *src);
void rill__broker_settings_clear(rill__broker_settings *s);
/* Sets @key from text; FALSE with RILL_BROKER_ERROR_CONFIG on an unknown key
 * or a bad value. */
gboolean rill__broker_settings_set(rill__broker_settings *s, const char *key, const char *value, GError **error);
/* The current value of row @p as text. (transfer full) */
char *rill__broker_settings_format(const rill__broker_settings *s, const rill__conf_prop *p);
/* NULL-terminated "topic.key", "value" pairs: the topic defaults for
 * rill_log_options.default_config. (transfer full: g_strfreev) */
char **rill__broker_settings_topic_defaults(const rill__broker_settings *s);
/* The broker section of docs/CONFIGURATION.md. (transfer full) */
char *rill__broker_config_markdown(void);
