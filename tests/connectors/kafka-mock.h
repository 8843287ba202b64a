/* kafka-mock.h — test helpers around librdkafka's mock cluster (an
 * independent Kafka implementation) and librdkafka clients that check what
 * our connector wrote / produce what it must read. Tests only: the product
 * never links librdkafka. */
#pragma once

#include <glib.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <rill/rill.h>

typedef struct {
  rd_kafka_t *rk; /* owns the mock's thread */
  rd_kafka_mock_cluster_t *mcluster;
  char *bootstraps;
} kmock;

static inline kmock *kmock_new(int brokers)
{
  kmock *m = g_new0(kmock, 1);
  char err[256];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err);
  m->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  g_assert_nonnull(m->rk);
  m->mcluster = rd_kafka_mock_cluster_new(m->rk, brokers);
  g_assert_nonnull(m->mcluster);
  m->bootstraps = g_strdup(rd_kafka_mock_cluster_bootstraps(m->mcluster));
  return m;
}

static inline void kmock_free(kmock *m)
{
  rd_kafka_mock_cluster_destroy(m->mcluster);
  rd_kafka_destroy(m->rk);
  g_free(m->bootstraps);
  g_free(m);
}

/* A rill_kafka_conf for @m with extra "name", "value" pairs (NULL-terminated). */
static inline rill_kafka_conf *kmock_conf(kmock *m, ...)
{
  rill_kafka_conf *c = rill_kafka_conf_new();
  g_assert_true(rill_kafka_conf_set(c, "bootstrap.servers", m->bootstraps, NULL));
  va_list ap;
  va_start(ap, m);
  const char *k;
  while ((k = va_arg(ap, const char *))) {
    const char *v = va_arg(ap, const char *);
    GError *e = NULL;
    gboolean ok = rill_kafka_conf_set(c, k, v, &e);
    g_assert_no_error(e);
    g_assert_true(ok);
  }
  va_end(ap);
  return c;
}

/* Reads every partition of @topic from the beginning with a librdkafka
 * consumer until @expect messages arrived (or 30 s of silence); returns them
 * as "key=value" strings in arrival order (transfer full). */
static inline GPtrArray *kmock_consume_all(kmock *m, const char *topic, int partitions, guint expect)
{
  char err[256];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", m->bootstraps, err, sizeof err);
  rd_kafka_conf_set(conf, "fetch.wait.max.ms", "50", err, sizeof err);
  rd_kafka_conf_set(conf, "group.id", "rill-test-checker", err, sizeof err);
  rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof err);
  rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err);
  rd_kafka_t *c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  g_assert_nonnull(c);
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; p++)
    rd_kafka_topic_partition_list_add(l, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  g_assert_cmpint(rd_kafka_assign(c, l), ==, 0);
  rd_kafka_topic_partition_list_destroy(l);
  GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
  gint64 idle_until = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
  while (out->len < expect && g_get_monotonic_time() < idle_until) {
    rd_kafka_message_t *msg = rd_kafka_consumer_poll(c, 100);
    if (!msg)
      continue;
    if (!msg->err) {
      g_ptr_array_add(out, g_strdup_printf("%.*s=%.*s", (int)msg->key_len, msg->key ? (char *)msg->key : "",
                                           (int)msg->len, msg->payload ? (char *)msg->payload : ""));
      idle_until = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
    }
    rd_kafka_message_destroy(msg);
  }
  rd_kafka_consumer_close(c);
  rd_kafka_destroy(c);
  return out;
}

/* Produces @n records "k<i>"="<prefix><i>" with librdkafka (codec @codec). */
static inline void kmock_produce(kmock *m, const char *topic, const char *codec, const char *prefix, int n)
{
  char err[256];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", m->bootstraps, err, sizeof err);
  rd_kafka_conf_set(conf, "compression.codec", codec, err, sizeof err);
  rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err);
  rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  g_assert_nonnull(p);
  for (int i = 0; i < n; i++) {
    char k[32], v[64];
    g_snprintf(k, sizeof k, "k%d", i);
    g_snprintf(v, sizeof v, "%s%d", prefix, i);
    while (rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(k, strlen(k)),
                             RD_KAFKA_V_VALUE(v, strlen(v)), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                             RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
      rd_kafka_poll(p, 10);
  }
  g_assert_cmpint(rd_kafka_flush(p, 30000), ==, 0);
  rd_kafka_destroy(p);
}

/* ---- a finite test source: n records "k<i>" = "<prefix><i>" -------------- */

typedef struct {
  int n;
  const char *prefix;
  int next;
} gen_source;

static inline rill_flow gen_read(rill_ctx *ctx, void *state, rill_emitter *out)
{
  gen_source *g = state;
  for (int j = 0; j < 500 && g->next < g->n; j++, g->next++) {
    char k[32], v[64];
    g_snprintf(k, sizeof k, "k%d", g->next);
    g_snprintf(v, sizeof v, "%s%d", g->prefix, g->next);
    rill_record r = RILL_RECORD_INIT;
    r.key = rill_bytes_from_string(k);
    r.value = rill_bytes_from_string(v);
    rill_flow f = rill_emit_record(out, &r);
    if (f != RILL_FLOW_OK)
      return f;
  }
  return g->next < g->n ? RILL_FLOW_OK : RILL_FLOW_EOS;
}

static inline gboolean gen_open(rill_ctx *ctx, void *user_data, const guint *splits, guint n, void **state,
                                GError **error)
{
  *state = user_data;
  return TRUE;
}

static const rill_source_class gen_source_class = {
  .type_name = "gen", .open = gen_open, .read = gen_read,
};

/* Asserts that @got holds each "k<i>=<prefix><i>" for i < @n exactly once. */
static inline void assert_exactly_once(GPtrArray *got, const char *prefix, int n)
{
  g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
  for (guint i = 0; i < got->len; i++) {
    if (g_hash_table_contains(seen, got->pdata[i]))
      g_error("duplicate record %s", (char *)got->pdata[i]);
    g_hash_table_add(seen, got->pdata[i]);
  }
  for (int i = 0; i < n; i++) {
    g_autofree char *want = g_strdup_printf("k%d=%s%d", i, prefix, i);
    if (!g_hash_table_contains(seen, want))
      g_error("record %s missing (%u received)", want, got->len);
  }
  g_assert_cmpuint(got->len, ==, (guint)n);
}
