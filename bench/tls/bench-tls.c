/* bench-tls.c — what TLS and SASL cost rill-broker: produce and consume
 * throughput over a SASL_SSL listener (TLS 1.3 + SCRAM-SHA-512) against a
 * PLAINTEXT listener of the same broker process, with librdkafka clients.
 *
 *   bench-tls RILL_BROKER_EXE CERT_DIR [RUNS] [RECORDS]
 *
 * CERT_DIR holds ca.pem, broker.pem, broker.key (bench/tls/run makes them).
 * Per run and listener (alternating): produce RECORDS (default 300000) 1 KB
 * records to a fresh 4-partition topic (acks=all, bulk settings), then read
 * them all back from offset 0 with a consumer that knows the count (Fetch
 * under TLS: pread + encrypt instead of sendfile). Medians of RUNS runs
 * (default 5). Last line: RESULT name=tls ours=<SASL_SSL produce rec/s>
 * baseline=<PLAINTEXT produce rec/s> unit=rec/s ratio=<ours/baseline>
 * consume_ratio=<the same for consume>.
 */
#include <signal.h>

#include "bench/kafka-bench.h"
#include "bench/stats.h"

#define WHO "bench-tls"
#define PARTITIONS 4
#define SIZE 1000

/* rill-broker with a PLAINTEXT and a SASL_SSL listener; their ports. */
static void start_broker(bench_broker *b, const char *exe, const char *certs, int ports[2])
{
  memset(b, 0, sizeof *b);
  b->dir = g_dir_make_tmp("rill-bench-tls-XXXXXX", NULL);
  g_autofree char *data = g_build_filename(b->dir, "data", NULL);
  g_autofree char *events = g_build_filename(b->dir, "events.log", NULL);
  g_autofree char *users = g_build_filename(b->dir, "users", NULL);
  g_file_set_contents(users, "bench:bench-secret\n", -1, NULL);
  g_autofree char *ks = g_strdup_printf("ssl.keystore.location=%s/broker.pem", certs);
  g_autofree char *key = g_strdup_printf("ssl.key.location=%s/broker.key", certs);
  g_autofree char *uf = g_strdup_printf("rill.sasl.users.file=%s", users);
  const char *argv[] = {exe, "--data-dir", data, "--set", "listeners=PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0",
                        "--set", ks, "--set", key, "--set", uf, "--set", "allow.everyone.if.no.acl.found=true",
                        "--set", "group.initial.rebalance.delay.ms=0", NULL};
  int out = g_open(events, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (out < 0 || !g_spawn_async_with_fds(NULL, (char **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, bench_child_setup,
                                         GINT_TO_POINTER(getpid()), &b->pid, -1, out, out, NULL))
    bench_die(WHO, "cannot start rill-broker");
  close(out);
  const char *names[2] = {"listener=PLAINTEXT", "listener=SASL_SSL"};
  ports[0] = ports[1] = 0;
  for (int i = 0; i < 3000 && !(ports[0] && ports[1]); i++) {
    g_autofree char *text = NULL;
    g_file_get_contents(events, &text, NULL, NULL);
    for (int k = 0; k < 2 && text; k++) {
      const char *l = strstr(text, names[k]);
      /* "event=listening host=... port=N advertised=... listener=NAME" */
      while (l && l > text && l[-1] != '\n')
        l--;
      const char *p = l ? strstr(l, " port=") : NULL;
      if (p)
        ports[k] = atoi(p + 6);
    }
    if (!(ports[0] && ports[1]))
      g_usleep(10000);
  }
  if (!(ports[0] && ports[1]))
    bench_die(WHO, "rill-broker did not listen");
}

static double consume(const char *bootstrap, const char *const *sec, const char *topic, int n)
{
  const char *base[] = {"group.id", "bench", "enable.auto.commit", "false", "fetch.wait.max.ms", "10",
                        "queued.min.messages", "1000000", "fetch.message.max.bytes", "4000000", NULL};
  GPtrArray *conf = g_ptr_array_new();
  for (int i = 0; base[i]; i++)
    g_ptr_array_add(conf, (char *)base[i]);
  for (int i = 0; sec[i]; i++)
    g_ptr_array_add(conf, (char *)sec[i]);
  g_ptr_array_add(conf, NULL);
  rd_kafka_t *rk = bench_rdkafka_new(WHO, RD_KAFKA_CONSUMER, bootstrap, "3", (const char *const *)conf->pdata);
  g_ptr_array_free(conf, TRUE);
  bench_assign_from_start(rk, topic, PARTITIONS);
  long got = 0;
  gint64 t0 = 0;
  while (got < n) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 1000);
    if (!m)
      continue;
    if (!m->err) {
      if (got++ == 0)
        t0 = g_get_monotonic_time();
    } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      bench_die(WHO, rd_kafka_message_errstr(m));
    }
    rd_kafka_message_destroy(m);
  }
  double dt = (double)(g_get_monotonic_time() - t0) / 1e6;
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return (double)(got - 1) / dt;
}

int main(int argc, char **argv)
{
  if (argc < 3)
    bench_die(WHO, "usage: bench-tls RILL_BROKER_EXE CERT_DIR [RUNS] [RECORDS]");
  const char *exe = argv[1], *certs = argv[2];
  int runs = argc > 3 ? atoi(argv[3]) : 5;
  int n = argc > 4 ? atoi(argv[4]) : 300000;
  if (runs < 1 || runs > 9 || n < 1000)
    bench_die(WHO, "RUNS must be 1..9, RECORDS >= 1000");
  signal(SIGPIPE, SIG_IGN);
  g_autofree char *ca = g_strdup_printf("%s/ca.pem", certs);
  const char *plain[] = {NULL};
  const char *tls[] = {"security.protocol", "SASL_SSL", "sasl.mechanisms", "SCRAM-SHA-512", "sasl.username", "bench",
                       "sasl.password", "bench-secret", "ssl.ca.location", ca, NULL};
  const char *const *sec[2] = {plain, tls};
  const char *label[2] = {"PLAINTEXT", "SASL_SSL"};
  printf("bench-tls: librdkafka %s, %d x %d B records over %d partitions, medians of %d runs\n",
         rd_kafka_version_str(), n, SIZE, PARTITIONS, runs);
  bench_broker b;
  int ports[2];
  start_broker(&b, exe, certs, ports);
  double prod[2][9], cons[2][9];
  for (int r = 0; r < runs; r++)
    for (int k = 0; k < 2; k++) {
      int which = (r % 2) ? 1 - k : k; /* alternate which goes first */
      g_autofree char *bootstrap = g_strdup_printf("127.0.0.1:%d", ports[which]);
      g_autofree char *topic = g_strdup_printf("tls-%d-%s", r, label[which]);
      /* Producer settings + security settings. */
      GPtrArray *pc = g_ptr_array_new();
      for (int i = 0; bench_bulk_producer_conf[i]; i++)
        g_ptr_array_add(pc, (char *)bench_bulk_producer_conf[i]);
      for (int i = 0; sec[which][i]; i++)
        g_ptr_array_add(pc, (char *)sec[which][i]);
      g_ptr_array_add(pc, NULL);
      g_autofree char *plain_bootstrap = g_strdup_printf("127.0.0.1:%d", ports[0]);
      bench_target t = {.bootstrap = plain_bootstrap}; /* the topic, made through the PLAINTEXT listener */
      bench_target_create_topic(&t, WHO, topic, PARTITIONS);
      prod[which][r] = bench_produce(WHO, bootstrap, (const char *const *)pc->pdata, topic, PARTITIONS, n, SIZE);
      g_ptr_array_free(pc, TRUE);
      cons[which][r] = consume(bootstrap, sec[which], topic, n);
      fprintf(stderr, "  run %d %-9s produce %8.0f rec/s  consume %8.0f rec/s\n", r + 1, label[which],
              prod[which][r], cons[which][r]);
    }
  bench_broker_stop(&b);
  double mp[2], mc[2];
  for (int k = 0; k < 2; k++) {
    mp[k] = bench_median(prod[k], runs);
    mc[k] = bench_median(cons[k], runs);
    printf("%-9s produce %9.0f rec/s (%6.1f MB/s)   consume %9.0f rec/s (%6.1f MB/s)\n", label[k], mp[k],
           mp[k] * SIZE / 1e6, mc[k], mc[k] * SIZE / 1e6);
  }
  printf("RESULT name=tls ours=%.0f baseline=%.0f unit=rec/s ratio=%.2f consume_ratio=%.2f\n", mp[1], mp[0],
         mp[1] / mp[0], mc[1] / mc[0]);
  return 0;
}
