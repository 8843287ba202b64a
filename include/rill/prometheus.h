/* prometheus.h — a metrics registry rendered in the Prometheus text
 * exposition format (version 0.0.4).
 *
 * Pull model: modules (broker, pipeline, gateway) register a collector; a
 * scrape calls every collector, which snapshots its own counters (atomics,
 * per-thread counters) and reports samples through the writer. Nothing is
 * locked or allocated on a module's hot path by this registry.
 *
 * A family is described once, statically (rill_prom_desc), and named by
 * every sample of it; the writer groups samples by family, so a collector
 * may walk its objects once and report several families as it goes, and
 * two collectors may report the same family (e.g. two brokers in one
 * process, told apart by labels). Families render in first-reported order.
 *
 * Naming follows Prometheus conventions: "rill_" prefix, base units
 * (seconds, bytes), counters end in "_total". docs/observability.md lists
 * every family rill exposes.
 *
 * Threads: the registry may be used from any thread. A scrape holds the
 * registry's lock while collectors run, so rill_prom_registry_remove()
 * returns only when no scrape runs the removed collector: remove before
 * freeing what the collector reads.
 */
#pragma once

#include <rill/export.h>

#include <glib.h>

#include <rill/http.h>

G_BEGIN_DECLS

typedef enum {
  RILL_PROM_COUNTER,
  RILL_PROM_GAUGE,
  RILL_PROM_HISTOGRAM,
} rill_prom_type;

/* A metric family; static storage, referenced by samples (not copied). */
typedef struct rill_prom_desc {
  const char *name; /* [a-zA-Z_:][a-zA-Z0-9_:]*, e.g. "rill_broker_requests_total" */
  rill_prom_type type;
  const char *help; /* one line of text */
} rill_prom_desc;

/* ---- histograms ------------------------------------------------------------------ */

#define RILL_PROM_MAX_BUCKETS 24

/* A histogram of integer observations (e.g. nanoseconds or bytes), safe to
 * observe from any thread without locks (relaxed atomics: two per
 * observation). Rendered with each bound and the sum multiplied by @scale,
 * so nanoseconds with scale 1e-9 come out in seconds. Zero-initialise, then
 * rill_prom_histogram_init(); no free needed. */
typedef struct rill_prom_histogram {
  const guint64 *bounds;  /* ascending upper bounds (inclusive), static storage; +Inf is implied */
  guint n_bounds;         /* <= RILL_PROM_MAX_BUCKETS */
  double scale;           /* rendering factor for bounds and sum */
  guint64 counts[RILL_PROM_MAX_BUCKETS + 1]; /* per bucket, not cumulative; last is +Inf */
  guint64 sum;            /* in observation units */
} rill_prom_histogram;

RILL_API void rill_prom_histogram_init(rill_prom_histogram *h, const guint64 *bounds, guint n_bounds, double scale);
RILL_API void rill_prom_histogram_observe(rill_prom_histogram *h, guint64 value);

/* rill_prom_histogram_init() for latencies observed in nanoseconds and
 * rendered in seconds: buckets 50 µs .. 10 s. */
RILL_API void rill_prom_histogram_init_latency(rill_prom_histogram *h);

/* ---- collecting ------------------------------------------------------------------- */

typedef struct rill_prom_writer rill_prom_writer;

/* Reports one sample of @desc (a counter or gauge) with @value, followed by
 * label name/value pairs (const char *) and a terminating NULL. Label values
 * are escaped here. Must be called from inside a collector. */
RILL_API void rill_prom_sample(rill_prom_writer *w, const rill_prom_desc *desc, double value, ...)
  G_GNUC_NULL_TERMINATED;
/* The same with the labels in a NULL-terminated array (name, value, ...). */
RILL_API void rill_prom_samplev(rill_prom_writer *w, const rill_prom_desc *desc, double value,
                                const char *const *labels);
/* Reports a histogram of @desc (type RILL_PROM_HISTOGRAM): its _bucket
 * series with le labels, _sum and _count, from a snapshot of @h; labels as
 * in rill_prom_sample. */
RILL_API void rill_prom_sample_histogram(rill_prom_writer *w, const rill_prom_desc *desc,
                                         const rill_prom_histogram *h, ...) G_GNUC_NULL_TERMINATED;

/* Called at each scrape, on the scraping thread. */
typedef void (*rill_prom_collect)(rill_prom_writer *w, gpointer user_data);

/* ---- the registry ------------------------------------------------------------------ */

typedef struct rill_prom_registry rill_prom_registry;

/* (transfer full: rill_prom_registry_unref) */
RILL_API rill_prom_registry *rill_prom_registry_new(void);
RILL_API rill_prom_registry *rill_prom_registry_ref(rill_prom_registry *reg);
RILL_API void rill_prom_registry_unref(rill_prom_registry *reg);

/* Adds @collect; returns its id (> 0) for rill_prom_registry_remove().
 * @destroy frees @user_data on removal or when the registry goes. */
RILL_API guint rill_prom_registry_add(rill_prom_registry *reg, rill_prom_collect collect, gpointer user_data,
                                      GDestroyNotify destroy);
/* Removes collector @id, waiting for a scrape that runs it to finish. */
RILL_API void rill_prom_registry_remove(rill_prom_registry *reg, guint id);

/* Runs every collector and renders the text format. (transfer full) */
RILL_API char *rill_prom_registry_render(rill_prom_registry *reg);

/* The text format's content type, for an HTTP response. */
#define RILL_PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Serves GET @path (usually "/metrics") on @server from @reg (which the
 * server keeps referenced). Only before rill_http_server_listen(). */
RILL_API void rill_prom_registry_serve(rill_prom_registry *reg, rill_http_server *server, const char *path);

G_END_DECLS
