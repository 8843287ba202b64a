/* stats.h — the broker's counters for /metrics, and the hooks that feed them.
 *
 * Hot-path rule: a hook is a few relaxed atomic adds, never a lock or an
 * allocation, except the first time a partition is seen (one allocation and
 * a short lock, so scrapes can walk the partitions). Scrapes (http.c) read
 * the same fields with relaxed atomic loads: values are each exact, the set
 * is not one instant (Prometheus tolerates that).
 *
 * Threads: every hook may run on any broker thread. The per-partition table
 * (@parts) is looked up and grown only by the I/O thread — Produce and Fetch
 * run there — and @list, the readers' copy, under @lock.
 *
 * Lifetime: allocated with the broker, freed with it; http.c detaches every
 * HTTP server from the broker before that (rill__broker_http_detach), so no
 * scrape reads a freed broker.
 */
#pragma once

#include <glib.h>
#include <stdint.h>

#include <rill/prometheus.h>

#include "runtime/wire/message.h"

typedef struct rill__broker rill__broker;

/* One partition's traffic through the Kafka protocol. */
typedef struct {
  char *topic;       /* owned */
  int32_t partition;
  guint64 records_in, bytes_in; /* appended by Produce (duplicates not counted) */
  guint64 bytes_out;            /* record bytes answered by Fetch */
} rill__partition_stats;

typedef struct rill__broker_stats {
  rill_prom_histogram requests[RILL_WIRE_MAX_API_KEY + 1]; /* by API key: decode to answer */
  guint64 unknown_api_requests;   /* API keys beyond the table */
  guint64 events[16];             /* by rill__limited_event: connects, refusals, bad frames... */
  guint64 queued_request_bytes;   /* published copy of the broker's (I/O thread, each loop turn) */
  guint64 offloaded;              /* published copy of n_offloaded */
  GHashTable *parts;              /* set of rill__partition_stats* by (topic, partition); I/O thread */
  GMutex lock;                    /* guards @list */
  GPtrArray *list;                /* rill__partition_stats*, owned, in first-seen order */
} rill__broker_stats;

rill__broker_stats *rill__broker_stats_new(void);
void rill__broker_stats_free(rill__broker_stats *s);

/* A request of @api_key took @ns from decode to answer. */
void rill__broker_stats_request(rill__broker_stats *s, int api_key, guint64 ns);
/* A rate-limited broker event happened (counted even when its line is not written). */
void rill__broker_stats_event(rill__broker_stats *s, int kind);
/* I/O thread: Produce appended @records records (@bytes) to @topic/@partition. */
void rill__broker_stats_produced(rill__broker_stats *s, const char *topic, int32_t partition, guint64 records,
                                 guint64 bytes);
/* I/O thread: Fetch answered @bytes of @topic/@partition. */
void rill__broker_stats_fetched(rill__broker_stats *s, const char *topic, int32_t partition, guint64 bytes);
/* I/O thread, once per loop turn: publishes the broker's own gauges. */
void rill__broker_stats_publish(rill__broker *b);

/* http.c: every server serving @b stops reading it (its routes answer 503,
 * its metrics vanish); waits for a scrape in progress. Before stop/free. */
void rill__broker_http_detach(rill__broker *b);
/* http.c: @b started (running TRUE) or is stopping (FALSE): what /readyz
 * says, and whether scrapes may read its log and groups. */
void rill__broker_http_running(rill__broker *b, gboolean running);
/* The name of a rate-limited event kind (broker.c's table). */
const char *rill__broker_limited_event_name(int kind);
