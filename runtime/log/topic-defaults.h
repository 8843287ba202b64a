/* topic-defaults.h — the built-in defaults of the per-topic configs and the
 * names of the durability levels, shared by the log's topic table
 * (topic-config.c) and the broker's log.* rows (broker/config.c), which set
 * the log-wide defaults of the same keys: one place, so the two cannot drift.
 */
#pragma once

/* rill_log_durability in enum order: NONE, INTERVAL, SYNC. */
#define RILL__DURABILITY_CHOICES "none|interval|sync"

#define RILL__TOPIC_DEFAULT_RETENTION_MS "604800000"    /* 7 days */
#define RILL__TOPIC_DEFAULT_RETENTION_BYTES "-1"        /* no limit */
#define RILL__TOPIC_DEFAULT_SEGMENT_BYTES "1073741824"  /* 1 GiB */
#define RILL__TOPIC_DEFAULT_SEGMENT_MS "604800000"      /* 7 days */
#define RILL__TOPIC_DEFAULT_MAX_MESSAGE_BYTES "1048588" /* Kafka's: 1 MiB + record batch overhead */
#define RILL__TOPIC_DEFAULT_FLUSH_MS "1000"
#define RILL__TOPIC_DEFAULT_DURABILITY "none"
