/* bench-consume.c — consume throughput of rill-broker against librdkafka's
 * mock cluster, measured so that the broker, not the client's fetch wait,
 * sets the pace.
 *
 *   bench-consume [RILL_BROKER_EXE] [RUNS] [PASSES]
 *
 * Per target (rill-broker durability none, the mock) and record size
 * (100 B, 1 KB): fill an 8-partition topic with ~4 MB per partition (the
 * mock keeps ~5 MB of a partition), then read it PASSES times (default 10)
 * from offset 0 with a librdkafka consumer that knows the record count:
 * each pass ends on its last record, never on an empty Fetch. The client's
 * next Fetch (at the end of every partition) is already out when a pass
 * ends, and the re-assignment waits for it: fetch.wait.max.ms is 1 ms so
 * that wait is 1 ms a pass, not a third of it.
 * The clock runs from the first record to the last of the last pass.
 * Medians of RUNS runs (default 3), targets alternating within a run.
 * Last line: RESULT name=consume ours=<rill 1 KB rec/s> baseline=<mock>
 * unit=rec/s ratio=<ours/baseline> ratio_100b=<the same for 100 B>.
 */
#include <signal.h>

#include "bench/kafka-bench.h"
#include "bench/stats.h"

#define WHO "bench-consume"
#define PARTITIONS 8
#define BYTES_PER_PARTITION (4 * 1000 * 1000)

/* Reads @per_pass records of @topic, all partitions from offset 0,
 * @passes times over; rec/s. */
static double consume(const bench_target *t, const char *topic, int per_pass, int passes)
{
  const char *conf[] = {"group.id", "bench", "enable.auto.commit", "false", "fetch.wait.max.ms", "1",
                        "queued.min.messages", "1000000", "fetch.message.max.bytes", "4000000", NULL};
  rd_kafka_t *rk = bench_rdkafka_new(WHO, RD_KAFKA_CONSUMER, t->bootstrap, "3", conf);
  long got = 0;
  gint64 t0 = 0;
  for (int pass = 0; pass < passes; pass++) {
    bench_assign_from_start(rk, topic, PARTITIONS);
    int in_pass = 0;
    while (in_pass < per_pass) {
      rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 1000);
      if (!m)
        continue;
      if (!m->err) {
        in_pass++;
        if (got++ == 0)
          t0 = g_get_monotonic_time(); /* from the first record: connection setup is not throughput */
      } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        bench_die(WHO, rd_kafka_message_errstr(m));
      }
      rd_kafka_message_destroy(m);
    }
  }
  double dt = (double)(g_get_monotonic_time() - t0) / 1e6;
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return (double)(got - 1) / dt;
}

static const char *const kinds[2] = {"none", "mock"};
static const size_t sizes[2] = {100, 1000};

int main(int argc, char **argv)
{
  const char *exe = argc > 1 ? argv[1] : "tools/rill-broker";
  int runs = argc > 2 ? atoi(argv[2]) : 3;
  int passes = argc > 3 ? atoi(argv[3]) : 10;
  if (runs < 1 || runs > 9 || passes < 1)
    bench_die(WHO, "RUNS must be 1..9, PASSES >= 1");
  signal(SIGPIPE, SIG_IGN);
  printf("bench-consume: librdkafka %s, %d partitions x %d MB, %d passes, medians of %d runs\n",
         rd_kafka_version_str(), PARTITIONS, BYTES_PER_PARTITION / 1000000, passes, runs);
  double rate[2][2][9];
  for (int r = 0; r < runs; r++)
    for (int k = 0; k < 2; k++) {
      bench_target t;
      bench_target_start(&t, WHO, kinds[k], exe);
      for (int s = 0; s < 2; s++) {
        g_autofree char *topic = g_strdup_printf("consume-%zu", sizes[s]);
        int per_pass = PARTITIONS * (int)(BYTES_PER_PARTITION / sizes[s]);
        bench_target_create_topic(&t, WHO, topic, PARTITIONS);
        bench_produce(WHO, t.bootstrap, bench_bulk_producer_conf, topic, PARTITIONS, per_pass, sizes[s]);
        rate[k][s][r] = consume(&t, topic, per_pass, passes);
      }
      fprintf(stderr, "  %s run %d: consume %.0f / %.0f rec/s (100 B / 1 KB)\n", kinds[k], r + 1, rate[k][0][r],
              rate[k][1][r]);
      bench_target_stop(&t);
    }
  double med[2][2];
  for (int k = 0; k < 2; k++) {
    for (int s = 0; s < 2; s++)
      med[k][s] = bench_median(rate[k][s], runs);
    printf("%-6s consume 100 B %10.0f rec/s (%6.1f MB/s)   1 KB %9.0f rec/s (%6.1f MB/s)\n", kinds[k], med[k][0],
           med[k][0] * 100 / 1e6, med[k][1], med[k][1] * 1000 / 1e6);
  }
  printf("RESULT name=consume ours=%.0f baseline=%.0f unit=rec/s ratio=%.2f ratio_100b=%.2f\n", med[0][1], med[1][1],
         med[0][1] / med[1][1], med[0][0] / med[1][0]);
  return 0;
}
