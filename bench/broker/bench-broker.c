/* bench-broker.c — produce throughput of rill-broker against librdkafka's
 * mock cluster, the same librdkafka client and settings for both, in one
 * invocation (consume: bench/consume; latency: bench/latency).
 *
 *   bench-broker [RILL_BROKER_EXE] [RUNS]
 *
 * For each target — (a) the rill-broker daemon on a temp dir, durability
 * none; (b) rd_kafka_mock_cluster (in memory, in this process); (c)
 * rill-broker with durability sync, reported only — and each record size
 * (100 B, 1 KB): produce N records to one partition (acks=all,
 * linger.ms=5) and time until every delivery report is in. Medians of
 * RUNS runs (default 3), targets alternating within each run.
 * Last line: RESULT name=broker ours=<rill 1 KB rec/s> baseline=<mock 1 KB>
 * unit=rec/s ratio=<ours/baseline> ratio_100b=<the same for 100 B>.
 */
#include <signal.h>

#include "bench/kafka-bench.h"
#include "bench/stats.h"

#define WHO "bench-broker"

static const char *const kinds[3] = {"none", "mock", "sync"};
static const size_t sizes[2] = {100, 1000};
static const int counts[2] = {300000, 60000};

int main(int argc, char **argv)
{
  const char *exe = argc > 1 ? argv[1] : "tools/rill-broker";
  int runs = argc > 2 ? atoi(argv[2]) : 3;
  if (runs < 1 || runs > 9)
    bench_die(WHO, "RUNS must be 1..9");
  signal(SIGPIPE, SIG_IGN);
  printf("bench-broker: librdkafka %s, acks=all, 1 partition, produce, medians of %d runs\n", rd_kafka_version_str(),
         runs);
  double rate[3][2][9];
  for (int r = 0; r < runs; r++)
    for (int k = 0; k < 3; k++) {
      bench_target t;
      bench_target_start(&t, WHO, kinds[k], exe);
      for (int s = 0; s < 2; s++) {
        g_autofree char *topic = g_strdup_printf("bench-%zu", sizes[s]);
        bench_target_create_topic(&t, WHO, topic, 1);
        rate[k][s][r] = bench_produce(WHO, t.bootstrap, bench_bulk_producer_conf, topic, 1, counts[s], sizes[s]);
      }
      fprintf(stderr, "  %s run %d: produce %.0f / %.0f rec/s (100 B / 1 KB)\n", kinds[k], r + 1, rate[k][0][r],
              rate[k][1][r]);
      bench_target_stop(&t);
    }
  double med[3][2];
  for (int k = 0; k < 3; k++) {
    for (int s = 0; s < 2; s++)
      med[k][s] = bench_median(rate[k][s], runs);
    printf("%-6s produce 100 B %10.0f rec/s   1 KB %9.0f rec/s\n", kinds[k], med[k][0], med[k][1]);
  }
  printf("RESULT name=broker ours=%.0f baseline=%.0f unit=rec/s ratio=%.2f ratio_100b=%.2f\n", med[0][1], med[1][1],
         med[0][1] / med[1][1], med[0][0] / med[1][0]);
  return 0;
}
