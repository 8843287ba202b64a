/* kconf.c — the property table (see kconf.h), one line per row, read by the
 * shared engine (runtime/config-table.c).
 *
 * Rows are in the order the reference lists them. Aliases (librdkafka's own
 * synonyms such as compression.type for compression.codec) point at the
 * same field and are listed beside the main name. */
#include "connectors/kafka/kconf.h"

#include <stddef.h>

#include "runtime/config-table.h"

G_DEFINE_QUARK(rill-kafka-client-error-quark, rill_kafka_client_error)

/* The engine stores INT32 and enums in int fields. */
G_STATIC_ASSERT(sizeof(int) == sizeof(int32_t));

#define OFF(f) offsetof(rill_kafka_conf, f)
#define STR RILL__CONF_STRING
#define BOOL RILL__CONF_BOOL
#define INT RILL__CONF_INT32
#define ENUM RILL__CONF_ENUM

/* name, type, field, min, max, default, choices, alias, -, doc */
static const rill__conf_prop props[] = {
  {"bootstrap.servers", STR, OFF(bootstrap_servers), 0, 0, "", NULL, "metadata.broker.list", NULL, "Comma-separated host:port list used to find the cluster. Required."},
  {"client.id", STR, OFF(client_id), 0, 0, "rill", NULL, NULL, NULL, "Client identifier sent with every request."},
  {"group.id", STR, OFF(group_id), 0, 0, "", NULL, NULL, NULL, "Consumer group (source): every source task is one member; empty = manual assignment."},
  {"acks", ENUM, OFF(acks), 0, 0, "all", "all=-1|-1=-1|0=0|1=1", "request.required.acks", NULL, "Producer acknowledgements: 0 none (no response), 1 leader, all (-1) all in-sync replicas."},
  {"linger.ms", INT, OFF(linger_ms), 0, 900000, "5", NULL, "queue.buffering.max.ms", NULL, "How long a partition's batch may wait for more records before it is sent."},
  {"batch.size", INT, OFF(batch_size), 1, 2147483647, "1000000", NULL, NULL, NULL, "Uncompressed bytes after which a partition's batch is sent at once."},
  {"batch.num.messages", INT, OFF(batch_num_messages), 1, 1000000, "10000", NULL, NULL, NULL, "Records after which a partition's batch is sent at once."},
  {"compression.codec", ENUM, OFF(codec), 0, 0, "none", "none|gzip|snappy|lz4|zstd", "compression.type", NULL, "Compression of produced batches."},
  {"compression.level", INT, OFF(compression_level), -1, 22, "-1", NULL, NULL, NULL, "Codec level; -1 is the codec's default."},
  {"enable.idempotence", BOOL, OFF(idempotence), 0, 0, "false", NULL, NULL, NULL, "Idempotent producer: InitProducerId and per-partition sequences, so retries never duplicate. Requires acks=all."},
  {"queue.buffering.max.kbytes", INT, OFF(queue_max_kbytes), 1, 2147483647, "65536", NULL, NULL, NULL, "Bound on the bytes the sink holds unacknowledged; write() blocks (backpressure) above it."},
  {"message.timeout.ms", INT, OFF(message_timeout_ms), 0, 2147483647, "300000", NULL, "delivery.timeout.ms", NULL, "A batch not acknowledged within this time fails the pipeline (0 = forever)."},
  {"message.max.bytes", INT, OFF(message_max_bytes), 1000, 1000000000, "1000000", NULL, NULL, NULL, "Largest request the client sends; batches are cut below it."},
  {"partitioner", ENUM, OFF(partitioner), 0, 0, "murmur2_random", "murmur2_random|murmur2|consistent_random|consistent|random", NULL, NULL, "Keyed records: murmur2 (Java client) or consistent (CRC32, librdkafka); *_random and random: null keys stick to one partition until its batch is sent."},
  {"retries", INT, OFF(retries), 0, 2147483647, "2147483647", NULL, "message.send.max.retries", NULL, "Retries of a request that failed with a retriable error."},
  {"retry.backoff.ms", INT, OFF(retry_backoff_ms), 1, 300000, "100", NULL, NULL, NULL, "Wait before a retry."},
  {"request.timeout.ms", INT, OFF(request_timeout_ms), 10, 900000, "30000", NULL, "socket.timeout.ms", NULL, "A broker that does not answer within this time (plus the fetch wait) is disconnected."},
  {"reconnect.backoff.ms", INT, OFF(reconnect_backoff_ms), 0, 3600000, "100", NULL, NULL, NULL, "Wait before reconnecting to a broker after a failure."},
  {"metadata.max.age.ms", INT, OFF(metadata_max_age_ms), 1, 86400000, "300000", NULL, "topic.metadata.refresh.interval.ms", NULL, "Metadata older than this is refreshed."},
  {"auto.offset.reset", ENUM, OFF(auto_offset_reset), 0, 0, "latest", "earliest|latest|error|smallest=0|beginning=0|largest=1|end=1", NULL, NULL, "Where to start when there is no committed offset or it is out of range; error fails the pipeline."},
  {"session.timeout.ms", INT, OFF(session_timeout_ms), 1, 3600000, "45000", NULL, NULL, NULL, "Group session: a member without heartbeat for this long is removed."},
  {"max.poll.interval.ms", INT, OFF(max_poll_interval_ms), 1, 86400000, "300000", NULL, NULL, NULL, "Rebalance timeout sent in JoinGroup; a source task whose read() is not called for this long (stuck downstream) leaves the group, and rejoins when it reads again."},
  {"heartbeat.interval.ms", INT, OFF(heartbeat_interval_ms), 1, 3600000, "3000", NULL, NULL, NULL, "Heartbeats are sent on the member's own thread at this interval, however long processing takes."},
  {"partition.assignment.strategy", STR, OFF(assignment_strategy), 0, 0, "range,roundrobin", NULL, NULL, NULL, "Assignors offered in JoinGroup, preferred first: range, roundrobin (Kafka's encoding: mixed groups with librdkafka/Java members work)."},
  {"enable.auto.commit", BOOL, OFF(enable_auto_commit), 0, 0, "true", NULL, NULL, NULL, "Commit processed offsets every auto.commit.interval.ms, before a rebalance takes partitions away and at close after a clean drain; false: the source commits nothing itself."},
  {"auto.commit.interval.ms", INT, OFF(auto_commit_interval_ms), 0, 86400000, "5000", NULL, NULL, NULL, "Interval of periodic commits of processed offsets."},
  {"fetch.min.bytes", INT, OFF(fetch_min_bytes), 1, 100000000, "1", NULL, NULL, NULL, "The broker answers a Fetch once this many bytes are available..."},
  {"fetch.wait.max.ms", INT, OFF(fetch_wait_max_ms), 0, 300000, "500", NULL, NULL, NULL, "...or after this long."},
  {"fetch.max.bytes", INT, OFF(fetch_max_bytes), 0, 2147483135, "52428800", NULL, NULL, NULL, "Soft bound on the bytes of one Fetch response."},
  {"max.partition.fetch.bytes", INT, OFF(max_partition_fetch_bytes), 1, 1000000000, "1048576", NULL, NULL, NULL, "Soft bound on the bytes per partition in one Fetch response."},
  {"check.crcs", BOOL, OFF(check_crcs), 0, 0, "false", NULL, NULL, NULL, "Verify the CRC-32C of fetched batches."},
  {"security.protocol", ENUM, OFF(security_protocol), 0, 0, "plaintext", "plaintext|ssl|sasl_plaintext|sasl_ssl|PLAINTEXT=0|SSL=1|SASL_PLAINTEXT=2|SASL_SSL=3", NULL, NULL, "How to reach the brokers: plaintext, ssl (TLS), sasl_plaintext, sasl_ssl (SASL over TLS)."},
  {"sasl.mechanism", ENUM, OFF(sasl_mechanism), 0, 0, "PLAIN", "PLAIN|SCRAM-SHA-256|SCRAM-SHA-512", "sasl.mechanisms", NULL, "SASL mechanism (sasl_* protocols)."},
  {"sasl.username", STR, OFF(sasl_username), 0, 0, "", NULL, NULL, NULL, "SASL user name."},
  {"sasl.password", STR, OFF(sasl_password), 0, 0, "", NULL, NULL, NULL, "SASL password."},
  {"ssl.ca.location", STR, OFF(ssl_ca_location), 0, 0, "", NULL, NULL, NULL, "PEM file of the CA certificates the broker's certificate is checked against (empty = the system's)."},
  {"ssl.certificate.location", STR, OFF(ssl_certificate_location), 0, 0, "", NULL, NULL, NULL, "PEM client certificate (mTLS)."},
  {"ssl.key.location", STR, OFF(ssl_key_location), 0, 0, "", NULL, NULL, NULL, "PEM private key of the client certificate."},
  {"ssl.key.password", STR, OFF(ssl_key_password), 0, 0, "", NULL, NULL, NULL, "Password of an encrypted ssl.key.location."},
  {"ssl.endpoint.identification.algorithm", ENUM, OFF(ssl_endpoint_identification), 0, 0, "https", "https|none", NULL, NULL, "https: the broker's certificate must name the host connected to; none: any name (the chain is still checked)."},
};

static const rill__conf_table table = {props, G_N_ELEMENTS(props), rill_kafka_client_error_quark,
                                       RILL_KAFKA_CLIENT_ERROR_CONFIG, "property", FALSE};

rill_kafka_conf *rill_kafka_conf_new(void)
{
  rill_kafka_conf *c = g_new0(rill_kafka_conf, 1);
  rill__conf_init(&table, c);
  return c;
}

rill_kafka_conf *rill_kafka_conf_copy(const rill_kafka_conf *conf)
{
  g_return_val_if_fail(conf != NULL, NULL);
  rill_kafka_conf *c = g_memdup2(conf, sizeof *c);
  rill__conf_dup_strings(&table, c);
  return c;
}

void rill_kafka_conf_free(rill_kafka_conf *conf)
{
  if (!conf)
    return;
  rill__conf_clear(&table, conf);
  g_free(conf);
}

gboolean rill_kafka_conf_set(rill_kafka_conf *conf, const char *name, const char *value, GError **error)
{
  g_return_val_if_fail(conf != NULL && name != NULL && value != NULL, FALSE);
  return rill__conf_set(&table, conf, name, value, error);
}

char *rill_kafka_conf_get(const rill_kafka_conf *conf, const char *name)
{
  g_return_val_if_fail(conf != NULL && name != NULL, NULL);
  const rill__conf_prop *p = rill__conf_find(&table, name);
  return p ? rill__conf_format(p, conf) : NULL;
}

char *rill__kconf_reference_markdown(void)
{
  return rill__conf_markdown(&table);
}
