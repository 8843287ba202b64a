/* config.c — the broker's configuration table.
 *
 * One row per setting (rill__broker_config_table), one line per row: the
 * engine (runtime/config-table.c) derives parsing, range checks, defaults,
 * DescribeConfigs values and docs/CONFIGURATION.md from it; this file adds
 * the topic defaults handed to the log. A new setting is one row plus one
 * struct field. Rows that default a topic config take the log's built-in
 * default (topic-defaults.h), so the two cannot disagree.
 */
#include "runtime/broker/config.h"

#include <stddef.h>
#include <string.h>

#include <rill/broker.h>

#include "runtime/log/topic-defaults.h"

/* The engine stores enums as int. */
G_STATIC_ASSERT(sizeof(((rill__broker_settings *)0)->log_durability) == sizeof(int));

#define OFF(f) offsetof(rill__broker_settings, f)
#define STR RILL__CONF_STRING
#define BOOL RILL__CONF_BOOL
#define I32 RILL__CONF_INT32
#define I64 RILL__CONF_INT64
#define ENUM RILL__CONF_ENUM

/* name, type, field, min, max, default, choices, alias, topic config, doc */
const rill__conf_prop rill__broker_config_table[] = {
  {"log.dirs", STR, OFF(log_dirs), 0, 0, "", NULL, NULL, NULL, "Data directory of the log (one directory; rill-broker's --data-dir sets it)."},
  {"listeners", STR, OFF(listeners), 0, 0, "127.0.0.1:9092", NULL, NULL, NULL, "Where to listen: NAME://host:port,... (NAME a security protocol or a name in listener.security.protocol.map) or host:port (PLAINTEXT); port 0 picks a free port; empty = do not listen."},
  {"advertised.listeners", STR, OFF(advertised_listeners), 0, 0, "", NULL, NULL, NULL, "NAME://host:port per listener (or host:port for the first) given to clients that connected through it in Metadata/FindCoordinator; unset = the bound address (127.0.0.1 when bound to 0.0.0.0)."},
  {"listener.security.protocol.map", STR, OFF(listener_security_protocol_map), 0, 0, "", NULL, NULL, NULL, "NAME:PROTOCOL pairs (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL) for listener names; empty = the four standard names map to themselves."},
  {"ssl.keystore.location", STR, OFF(ssl_keystore_location), 0, 0, "", NULL, NULL, NULL, "PEM file with the broker's certificate chain, and its private key unless ssl.key.location is set (SSL/SASL_SSL listeners)."},
  {"ssl.key.location", STR, OFF(ssl_key_location), 0, 0, "", NULL, NULL, NULL, "PEM file with the broker's private key (empty = in ssl.keystore.location)."},
  {"ssl.key.password", STR, OFF(ssl_key_password), 0, 0, "", NULL, NULL, NULL, "Password of an encrypted private key."},
  {"ssl.truststore.location", STR, OFF(ssl_truststore_location), 0, 0, "", NULL, NULL, NULL, "PEM file of the CA certificates client certificates are checked against (ssl.client.auth)."},
  {"ssl.client.auth", ENUM, OFF(ssl_client_auth), 0, 0, "none", "none|requested|required", NULL, NULL, "TLS client certificates on SSL listeners (SASL_SSL listeners ask for none, as in Kafka): none, requested (checked when sent) or required. A certificate makes the principal User:<subject DN>."},
  {"sasl.enabled.mechanisms", STR, OFF(sasl_enabled_mechanisms), 0, 0, "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512", NULL, NULL, NULL, "SASL mechanisms offered on SASL listeners (of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512; PLAIN checks the password against the stored SCRAM credentials)."},
  {"rill.sasl.users.file", STR, OFF(sasl_users_file), 0, 0, "", NULL, NULL, NULL, "Bootstrap credentials: a file of user:password lines; users without stored credentials get SCRAM-SHA-256 and SCRAM-SHA-512 ones at start."},
  {"super.users", STR, OFF(super_users), 0, 0, "", NULL, NULL, NULL, "Principals allowed everything, separated by ';' (User:admin;User:CN=ops)."},
  {"allow.everyone.if.no.acl.found", ENUM, OFF(allow_everyone_if_no_acl_found), 0, 0, "auto", "auto|true|false", NULL, NULL, "Whether a resource with no matching ACL is open to every principal; auto = false when any SSL/SASL listener is configured, true otherwise."},
  {"broker.id", I32, OFF(broker_id), 0, G_MAXINT32, "1", NULL, NULL, NULL, "Node id of this broker (also the controller id)."},
  {"cluster.id", STR, OFF(cluster_id), 0, 0, "rill-cluster", NULL, NULL, NULL, "Cluster id reported in Metadata."},
  {"num.partitions", I32, OFF(num_partitions), 1, 100000, "1", NULL, NULL, NULL, "Partitions of auto-created topics and of CreateTopics with NumPartitions -1."},
  {"rill.max.partitions.per.topic", I32, OFF(max_partitions_per_topic), 1, G_MAXINT32, "10000", NULL, NULL, NULL, "Most partitions one topic may have; CreateTopics/CreatePartitions/auto-creation beyond it fail with INVALID_PARTITIONS (Kafka has no such limit)."},
  {"rill.max.partitions", I32, OFF(max_partitions), 1, G_MAXINT32, "100000", NULL, NULL, NULL, "Most partitions of all topics together; creations beyond it fail with POLICY_VIOLATION (Kafka: none; KIP-578's max.partitions was never adopted)."},
  {"default.replication.factor", I32, OFF(default_replication_factor), 1, 1, "1", NULL, NULL, NULL, "Accepted for compatibility; rill keeps one copy, so only 1 is valid."},
  {"auto.create.topics.enable", BOOL, OFF(auto_create_topics_enable), 0, 0, "true", NULL, NULL, NULL, "Create a topic when Metadata asks for one that does not exist."},
  {"log.retention.ms", I64, OFF(log_retention_ms), -1, G_MAXINT64, RILL__TOPIC_DEFAULT_RETENTION_MS, NULL, NULL, "retention.ms", "Default retention.ms of topics (-1 = keep forever)."},
  {"log.retention.bytes", I64, OFF(log_retention_bytes), -1, G_MAXINT64, RILL__TOPIC_DEFAULT_RETENTION_BYTES, NULL, NULL, "retention.bytes", "Default retention.bytes per partition (-1 = no limit)."},
  {"log.segment.bytes", I64, OFF(log_segment_bytes), 14, G_MAXINT32, RILL__TOPIC_DEFAULT_SEGMENT_BYTES, NULL, NULL, "segment.bytes", "Default segment.bytes: size at which a segment file is rolled."},
  {"log.roll.ms", I64, OFF(log_roll_ms), 1, G_MAXINT64, RILL__TOPIC_DEFAULT_SEGMENT_MS, NULL, NULL, "segment.ms", "Default segment.ms: age at which a segment file is rolled."},
  {"log.flush.interval.ms", I64, OFF(log_flush_interval_ms), 1, G_MAXINT64, RILL__TOPIC_DEFAULT_FLUSH_MS, NULL, NULL, "flush.ms", "Default flush.ms: fdatasync interval under durability interval."},
  {"rill.durability", ENUM, OFF(log_durability), 0, 0, RILL__TOPIC_DEFAULT_DURABILITY, RILL__DURABILITY_CHOICES, NULL, "rill.durability", "Default rill.durability: none (page cache), interval (fdatasync every flush.ms) or sync (acknowledge after fdatasync)."},
  {"log.retention.check.interval.ms", I64, OFF(log_retention_check_interval_ms), 0, G_MAXINT64, "300000", NULL, NULL, NULL, "How often retention is enforced (0 = never)."},
  {"rill.page.cache.window.bytes", I64, OFF(log_page_cache_window_bytes), 0, G_MAXINT64, "4194304", NULL, NULL, NULL, "Bytes at the tail of each partition kept in the page cache; older ones are written back early and dropped from it (0 = leave it all to the kernel)."},
  {"rill.log.fd.cache.size", I32, OFF(log_fd_cache_size), 0, G_MAXINT32, "0", NULL, NULL, NULL, "Segment files kept open; the least recently used idle ones are closed beyond it, so fds do not grow with partitions x segments (0 = half the RLIMIT_NOFILE soft limit, within 16 .. 4096)."},
  {"log.scrub.bytes.per.sec", I64, OFF(log_scrub_bytes_per_sec), 0, G_MAXINT64, "4194304", NULL, NULL, NULL, "Read rate of the background scrubber that re-checks the CRC of sealed segments (0 = no scrubber)."},
  {"log.scrub.interval.ms", I64, OFF(log_scrub_interval_ms), 0, G_MAXINT64, "3600000", NULL, NULL, NULL, "Least time between the starts of two scrub passes over every sealed segment."},
  {"message.max.bytes", I32, OFF(message_max_bytes), 0, G_MAXINT32, RILL__TOPIC_DEFAULT_MAX_MESSAGE_BYTES, NULL, NULL, "max.message.bytes", "Default max.message.bytes: largest record batch a topic accepts."},
  {"socket.request.max.bytes", I32, OFF(socket_request_max_bytes), 64, G_MAXINT32, "104857600", NULL, NULL, NULL, "Largest request accepted; a larger size prefix closes the connection before anything is allocated."},
  {"fetch.max.bytes", I32, OFF(fetch_max_bytes), 1024, G_MAXINT32, "1048576", NULL, NULL, NULL, "Most record bytes in one Fetch answer, below the client's own limit (the first batch still goes whole, KIP-74). Smaller than Kafka's 55 MiB so a consumer parses one answer while the next is on its way."},
  {"queued.max.request.bytes", I64, OFF(queued_max_request_bytes), -1, G_MAXINT64, "268435456", NULL, NULL, NULL, "Bytes of requests read (or being read) and not yet answered, all connections together; when the next request does not fit, reading pauses until answers free memory (a request is always read when nothing else is queued). -1 = no bound."},
  {"connections.max.idle.ms", I64, OFF(connections_max_idle_ms), 1, G_MAXINT64, "600000", NULL, NULL, NULL, "Connections with nothing in flight and no traffic for this long are closed."},
  {"max.connections", I32, OFF(max_connections), 1, G_MAXINT32, "10000", NULL, NULL, NULL, "Connections accepted at once; further ones are closed on accept."},
  {"rill.io.workers", I32, OFF(num_io_workers), 1, 256, "4", NULL, NULL, NULL, "Threads that run blocking log calls (OffsetCommit's atomic file writes) off the I/O thread."},
  {"group.initial.rebalance.delay.ms", I64, OFF(group_initial_rebalance_delay_ms), 0, G_MAXINT32, "3000", NULL, NULL, NULL, "Wait for more members before the first rebalance of an empty group."},
  {"group.min.session.timeout.ms", I64, OFF(group_min_session_timeout_ms), 1, G_MAXINT32, "6000", NULL, NULL, NULL, "Smallest session timeout a member may ask for."},
  {"group.max.session.timeout.ms", I64, OFF(group_max_session_timeout_ms), 1, G_MAXINT32, "1800000", NULL, NULL, NULL, "Largest session timeout a member may ask for."},
  {"offsets.retention.minutes", I64, OFF(offsets_retention_minutes), 1, G_MAXINT32, "10080", NULL, NULL, NULL, "Committed offsets of a group without members expire this long after the later of their commit and the group becoming empty."},
  {"offsets.retention.check.interval.ms", I64, OFF(offsets_retention_check_interval_ms), 1, G_MAXINT64, "600000", NULL, NULL, NULL, "How often expired committed offsets are looked for."},
};
const guint rill__broker_config_table_len = G_N_ELEMENTS(rill__broker_config_table);

static const rill__conf_table table = {rill__broker_config_table, G_N_ELEMENTS(rill__broker_config_table),
                                       rill_broker_error_quark, RILL_BROKER_ERROR_CONFIG, "configuration key", FALSE};

void rill__broker_settings_init(rill__broker_settings *s)
{
  memset(s, 0, sizeof *s);
  rill__conf_init(&table, s);
}

void rill__broker_settings_copy(rill__broker_settings *dst, const rill__broker_settings *src)
{
  *dst = *src;
  rill__conf_dup_strings(&table, dst);
}

void rill__broker_settings_clear(rill__broker_settings *s)
{
  rill__conf_clear(&table, s);
}

gboolean rill__broker_settings_set(rill__broker_settings *s, const char *key, const char *value, GError **error)
{
  return rill__conf_set(&table, s, key, value, error);
}

char *rill__broker_settings_format(const rill__broker_settings *s, const rill__conf_prop *p)
{
  return rill__conf_format(p, s);
}

char **rill__broker_settings_topic_defaults(const rill__broker_settings *s)
{
  GPtrArray *a = g_ptr_array_new();
  for (guint i = 0; i < rill__broker_config_table_len; i++) {
    const rill__conf_prop *p = &rill__broker_config_table[i];
    if (!p->topic_key)
      continue;
    g_ptr_array_add(a, g_strdup(p->topic_key));
    g_ptr_array_add(a, rill__conf_format(p, s));
  }
  g_ptr_array_add(a, NULL);
  return (char **)g_ptr_array_free(a, FALSE);
}

char *rill__broker_config_markdown(void)
{
  return rill__conf_markdown(&table);
}
