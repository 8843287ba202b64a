/* chained.c — two applications chained through a broker: each run of this
 * program is one of them, and they share nothing but the Kafka protocol.
 *
 *   chained produce  (application 1)
 *     orders   (file source: "ORDER CUSTOMER AMOUNT" per line, orders.txt)
 *       -> keyed  (map: key = CUSTOMER, value = "ORDER AMOUNT")
 *       -> topic  (Kafka sink: topic "orders")
 *
 *   chained enrich   (application 2)
 *     orders     (Kafka source: topic "orders", every partition, up to the
 *                 end it had when reading started)
 *     customers  (file source: customers.tsv, "CUSTOMER<TAB>NAME, CITY",
 *                 as the table's changelog)
 *       -> enrich  (stream–table left join on the customer id: value
 *                   "ORDER AMOUNT<TAB>NAME, CITY", or "ORDER AMOUNT<TAB>" for
 *                   a customer the table does not know)
 *       -> topic   (Kafka sink: topic "orders-enriched", key = customer)
 *
 * The customer updates carry no timestamp, so the join applies them as they
 * arrive; the orders (timestamped by the producer) wait for the watermark,
 * which here is the end of both inputs — the table is complete by then.
 *
 * Usage: chained produce --bootstrap-servers HOST:PORT [--orders FILE]
 *        chained enrich  --bootstrap-servers HOST:PORT [--customers FILE]
 * (defaults: the bundled orders.txt and customers.tsv)
 */
#include <rill/rill.h>

#include <stdio.h>
#include <stdlib.h>

/* "ORDER CUSTOMER AMOUNT" -> key CUSTOMER, value "ORDER AMOUNT". */
static rill_flow key_by_customer(rill_ctx *ctx, const rill_record *in, rill_record *out, void *user_data)
{
  const char *v = (const char *)in->value.data;
  const char *sp1 = v ? memchr(v, ' ', in->value.len) : NULL;
  const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', in->value.len - (size_t)(sp1 + 1 - v)) : NULL;
  if (!sp2 || sp2 == sp1 + 1) {
    rill_ctx_fail(ctx, "not an order line: %.*s", (int)MIN(in->value.len, 80), v ? v : "");
    return RILL_FLOW_ERROR;
  }
  size_t order_len = (size_t)(sp1 - v), amount_len = in->value.len - (size_t)(sp2 + 1 - v);
  char *value = rill_ctx_alloc(ctx, order_len + 1 + amount_len);
  memcpy(value, v, order_len);
  value[order_len] = ' ';
  memcpy(value + order_len + 1, sp2 + 1, amount_len);
  out->key = rill_bytes_make(sp1 + 1, (size_t)(sp2 - sp1 - 1));
  out->value = rill_bytes_make(value, order_len + 1 + amount_len);
  return RILL_FLOW_OK;
}

/* "CUSTOMER<TAB>DETAILS" -> key CUSTOMER, value DETAILS, no timestamp. */
static rill_flow customer_update(rill_ctx *ctx, const rill_record *in, rill_record *out, void *user_data)
{
  const char *v = (const char *)in->value.data;
  const char *tab = v ? memchr(v, '\t', in->value.len) : NULL;
  if (!tab) {
    rill_ctx_fail(ctx, "not a customer line (no TAB): %.*s", (int)MIN(in->value.len, 80), v ? v : "");
    return RILL_FLOW_ERROR;
  }
  out->key = rill_bytes_make(v, (size_t)(tab - v));
  out->value = rill_bytes_make(tab + 1, in->value.len - (size_t)(tab + 1 - v));
  out->timestamp = RILL_TIMESTAMP_NONE;
  return RILL_FLOW_OK;
}

static rill_stage *lines(rill_pipeline *p, const char *name, const char *path)
{
  rill_file_source *src = rill_file_source_new(path, RILL_FILE_FORMAT_LINES);
  rill_file_source_set_position_headers(src, FALSE);
  return rill_pipeline_add_file_source(p, name, src);
}

static guint64 records_in(rill_pipeline *p, const char *stage)
{
  guint n;
  guint64 v = 0;
  rill_stage_metrics *m = rill_pipeline_get_metrics(p, &n);
  for (guint i = 0; i < n; i++)
    if (strcmp(m[i].stage, stage) == 0)
      v += m[i].records_in;
  g_free(m);
  return v;
}

int main(int argc, char **argv)
{
  char *opt_bootstrap = NULL, *opt_orders = NULL, *opt_customers = NULL;
  const GOptionEntry entries[] = {
    {"bootstrap-servers", 'b', 0, G_OPTION_ARG_STRING, &opt_bootstrap, "The broker(s), HOST:PORT[,...]", "SERVERS"},
    {"orders", 0, 0, G_OPTION_ARG_FILENAME, &opt_orders, "produce: orders file (default: bundled)", "FILE"},
    {"customers", 0, 0, G_OPTION_ARG_FILENAME, &opt_customers, "enrich: customer table (default: bundled)", "FILE"},
    G_OPTION_ENTRY_NULL};
  int status = 1;
  GError *error = NULL;
  rill_pipeline *p = NULL;
  rill_kafka_conf *conf = rill_kafka_conf_new();
  GOptionContext *oc = g_option_context_new("produce|enrich - two applications chained through a broker");
  g_option_context_add_main_entries(oc, entries, NULL);
  if (!g_option_context_parse(oc, &argc, &argv, &error))
    goto fail;
  gboolean produce = argc == 2 && strcmp(argv[1], "produce") == 0;
  if ((!produce && (argc != 2 || strcmp(argv[1], "enrich") != 0)) || !opt_bootstrap) {
    g_set_error(&error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                "usage: chained produce|enrich --bootstrap-servers HOST:PORT");
    goto fail;
  }
  if (!rill_kafka_conf_set(conf, "bootstrap.servers", opt_bootstrap, &error))
    goto fail;

  p = rill_pipeline_new(argv[1]);
  rill_stage *s;
  if (produce) {
    s = lines(p, "orders", opt_orders ? opt_orders : CHAINED_DATA "/orders.txt");
    s = rill_pipeline_add_map(p, "keyed", s, key_by_customer, NULL, NULL);
  } else {
    rill_kafka_source_options so = {.topic = "orders", .conf = conf, .from = RILL_KAFKA_FROM_EARLIEST,
                                    .stop_at_end = TRUE};
    rill_stage *orders = rill_pipeline_add_kafka_source(p, "orders", &so, &error);
    if (!orders)
      goto fail;
    rill_stage *customers = lines(p, "customers", opt_customers ? opt_customers : CHAINED_DATA "/customers.tsv");
    customers = rill_pipeline_add_map(p, "table", customers, customer_update, NULL, NULL);
    rill_join *j = rill_join_table_new(RILL_JOIN_LEFT, &error);
    if (!j)
      goto fail;
    s = rill_pipeline_add_join(p, "enrich", orders, customers, j);
    rill_join_unref(j);
  }
  rill_kafka_sink_options ko = {.topic = produce ? "orders" : "orders-enriched", .conf = conf};
  if (!rill_pipeline_add_kafka_sink(p, "topic", s, &ko, &error))
    goto fail;
  if (!rill_pipeline_run(p, &error))
    goto fail;
  g_print("chained %s: %" G_GUINT64_FORMAT " records -> topic %s at %s\n", argv[1], records_in(p, "topic"), ko.topic,
          opt_bootstrap);
  status = 0;
  goto out;

fail:
  g_printerr("chained: %s\n", error ? error->message : "failed");
out:
  rill_pipeline_unref(p);
  rill_kafka_conf_free(conf);
  g_clear_error(&error);
  g_free(opt_bootstrap);
  g_free(opt_orders);
  g_free(opt_customers);
  g_option_context_free(oc);
  return status;
}
