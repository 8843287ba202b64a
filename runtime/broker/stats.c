/* stats.c — the broker's counters (see stats.h for the threading rules):
 * request latency per API key, rate-limited events, per-partition traffic
 * and the published copies of the I/O thread's gauges. */
#include "runtime/broker/stats.h"

#include <string.h>

#include "runtime/broker/broker-private.h"

G_STATIC_ASSERT(RILL__EV_N_LIMITED <= G_N_ELEMENTS(((rill__broker_stats *)0)->events));

static void part_free(gpointer p)
{
  rill__partition_stats *ps = p;
  g_free(ps->topic);
  g_free(ps);
}

static guint part_hash(gconstpointer p)
{
  const rill__partition_stats *ps = p;
  return g_str_hash(ps->topic) * 31u + (guint)ps->partition;
}

static gboolean part_equal(gconstpointer a, gconstpointer b)
{
  const rill__partition_stats *x = a, *y = b;
  return x->partition == y->partition && strcmp(x->topic, y->topic) == 0;
}

rill__broker_stats *rill__broker_stats_new(void)
{
  rill__broker_stats *s = g_new0(rill__broker_stats, 1);
  for (int k = 0; k <= RILL_WIRE_MAX_API_KEY; k++)
    rill_prom_histogram_init_latency(&s->requests[k]);
  s->parts = g_hash_table_new(part_hash, part_equal); /* entries owned by @list */
  g_mutex_init(&s->lock);
  s->list = g_ptr_array_new_with_free_func(part_free);
  return s;
}

void rill__broker_stats_free(rill__broker_stats *s)
{
  if (!s)
    return;
  g_hash_table_unref(s->parts);
  g_ptr_array_unref(s->list);
  g_mutex_clear(&s->lock);
  g_free(s);
}

void rill__broker_stats_request(rill__broker_stats *s, int api_key, guint64 ns)
{
  if (api_key >= 0 && api_key <= RILL_WIRE_MAX_API_KEY)
    rill_prom_histogram_observe(&s->requests[api_key], ns);
  else
    __atomic_fetch_add(&s->unknown_api_requests, 1, __ATOMIC_RELAXED);
}

void rill__broker_stats_event(rill__broker_stats *s, int kind)
{
  __atomic_fetch_add(&s->events[kind], 1, __ATOMIC_RELAXED);
}

/* The partition's entry, created the first time (I/O thread only). Looked
 * up by a key on the stack: no allocation once the partition is known. */
static rill__partition_stats *part(rill__broker_stats *s, const char *topic, int32_t partition)
{
  rill__partition_stats key = {.topic = (char *)topic, .partition = partition};
  rill__partition_stats *ps = g_hash_table_lookup(s->parts, &key);
  if (!ps) {
    ps = g_new0(rill__partition_stats, 1);
    ps->topic = g_strdup(topic);
    ps->partition = partition;
    g_hash_table_add(s->parts, ps);
    g_mutex_lock(&s->lock);
    g_ptr_array_add(s->list, ps);
    g_mutex_unlock(&s->lock);
  }
  return ps;
}

void rill__broker_stats_produced(rill__broker_stats *s, const char *topic, int32_t partition, guint64 records,
                                 guint64 bytes)
{
  rill__partition_stats *ps = part(s, topic, partition);
  __atomic_fetch_add(&ps->records_in, records, __ATOMIC_RELAXED);
  __atomic_fetch_add(&ps->bytes_in, bytes, __ATOMIC_RELAXED);
}

void rill__broker_stats_fetched(rill__broker_stats *s, const char *topic, int32_t partition, guint64 bytes)
{
  rill__partition_stats *ps = part(s, topic, partition);
  __atomic_fetch_add(&ps->bytes_out, bytes, __ATOMIC_RELAXED);
}

void rill__broker_stats_publish(rill__broker *b)
{
  __atomic_store_n(&b->stats->queued_request_bytes, (guint64)MAX(b->queued_request_bytes, 0), __ATOMIC_RELAXED);
  __atomic_store_n(&b->stats->offloaded, (guint64)b->n_offloaded, __ATOMIC_RELAXED);
}
