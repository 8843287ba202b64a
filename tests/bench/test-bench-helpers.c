/* test-bench-helpers.c — the benchmarks' helpers (bench/kafka-bench.h):
 * a benchmark that ends on an error (bench_die) takes the rill-broker it
 * started with it, so no broker outlives its benchmark and skews the next
 * measurement.
 *
 * The benchmark side runs in a child of this test (this same program with
 * --die-with-broker): it starts a real rill-broker with bench_broker_start,
 * prints the broker's pid and temp dir, and calls bench_die. */
#include "bench/kafka-bench.h"

#include <errno.h>

/* TRUE while @pid exists and is not a zombie (one whose parent died is
 * reaped by init, or by nobody in some containers). */
static gboolean process_alive(pid_t pid)
{
  g_autofree char *path = g_strdup_printf("/proc/%d/stat", pid);
  g_autofree char *stat = NULL;
  if (!g_file_get_contents(path, &stat, NULL, NULL))
    return FALSE;
  const char *end = strrchr(stat, ')'); /* "pid (comm) S ..." */
  return end && end[1] == ' ' && end[2] != 'Z' && end[2] != 'X';
}

static int die_with_broker(void)
{
  bench_broker b;
  bench_broker_start(&b, "bench-child", RILL_BINARY_DIR "/tools/rill-broker", NULL);
  printf("%d %s\n", (int)b.pid, b.dir);
  fflush(stdout);
  bench_die("bench-child", "an error after the broker started");
  return 0;
}

static void test_broker_dies_with_bench(void)
{
  const char *argv[] = {"/proc/self/exe", "--die-with-broker", NULL};
  g_autofree char *out = NULL;
  int status;
  GError *error = NULL;
  g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL, &status,
                             &error));
  g_assert_no_error(error);
  g_assert_false(g_spawn_check_wait_status(status, NULL)); /* bench_die: exit 1 */
  int pid = 0;
  char dir[256] = "";
  g_assert_cmpint(sscanf(out, "%d %255s", &pid, dir), ==, 2);
  g_assert_cmpint(pid, >, 0);
  /* SIGTERM reaches the broker as its parent goes; its shutdown takes a
   * moment. The bound only keeps a broken build from hanging the suite. */
  for (int i = 0; i < 3000 && process_alive(pid); i++)
    g_usleep(10000);
  gboolean alive = process_alive(pid);
  if (alive)
    kill(pid, SIGKILL); /* do not leave it to the next test */
  g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", dir);
  g_assert_cmpint(system(cmd), ==, 0);
  g_assert_false(alive);
}

int main(int argc, char **argv)
{
  if (argc == 2 && strcmp(argv[1], "--die-with-broker") == 0)
    return die_with_broker();
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/bench/broker-dies-with-bench", test_broker_dies_with_bench);
  return g_test_run();
}
