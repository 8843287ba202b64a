/* kconf.h — the Kafka connector's configuration: one table of properties
 * (name, type, range, default, doc) that drives parsing, validation, the
 * defaults and the reference in docs/connectors/kafka.md.
 *
 * rill_kafka_conf is a plain struct of typed fields; the table maps each
 * property name (and librdkafka's aliases) to a field by offset. Invariant:
 * every field always holds a valid value (defaults are applied by
 * rill_kafka_conf_new, and a failed set changes nothing). */
#pragma once

#include <rill/kafka.h>

typedef enum { RILL__KRESET_EARLIEST, RILL__KRESET_LATEST, RILL__KRESET_ERROR } rill__kreset;

struct rill_kafka_conf {
  char *bootstrap_servers;   /* "host:port,host:port"; "" until set */
  char *client_id;
  char *group_id;            /* "" = no group */
  int acks;                  /* -1 (all), 0, 1 */
  int linger_ms;
  int batch_size;
  int batch_num_messages;
  int codec;                 /* rill__codec */
  int compression_level;     /* -1: the codec's default */
  gboolean idempotence;
  int queue_max_kbytes;      /* in-flight memory bound of the producer */
  int message_timeout_ms;
  int message_max_bytes;
  int partitioner;           /* rill__partitioner (runtime/wire/partitioner.h) */
  int retries;
  int retry_backoff_ms;
  int request_timeout_ms;
  int reconnect_backoff_ms;
  int metadata_max_age_ms;
  int auto_offset_reset;     /* rill__kreset */
  int session_timeout_ms;
  int max_poll_interval_ms;
  int heartbeat_interval_ms;
  char *assignment_strategy; /* "range,roundrobin" */
  gboolean enable_auto_commit;
  int auto_commit_interval_ms;
  int fetch_min_bytes;
  int fetch_wait_max_ms;
  int fetch_max_bytes;
  int max_partition_fetch_bytes;
  gboolean check_crcs;
  /* Security (ksec.c), librdkafka's names. */
  int security_protocol;     /* rill__ksec_protocol */
  int sasl_mechanism;        /* rill__ksasl_mech */
  char *sasl_username;
  char *sasl_password;
  char *ssl_ca_location;
  char *ssl_certificate_location;
  char *ssl_key_location;
  char *ssl_key_password;
  int ssl_endpoint_identification; /* 0 https (check the host name), 1 none */
};

typedef enum { RILL__KSEC_PLAINTEXT, RILL__KSEC_SSL, RILL__KSEC_SASL_PLAINTEXT, RILL__KSEC_SASL_SSL } rill__ksec_protocol;
typedef enum { RILL__KSASL_PLAIN, RILL__KSASL_SCRAM_SHA_256, RILL__KSASL_SCRAM_SHA_512 } rill__ksasl_mech;

/* The reference table as Markdown (| name | type | range | default | doc |),
 * one row per property, for docs/connectors/kafka.md. (transfer full) */
char *rill__kconf_reference_markdown(void);
