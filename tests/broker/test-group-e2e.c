/* test-group-e2e.c — consumer groups end to end: a rill broker on an
 * ephemeral 127.0.0.1 port, driven by real clients (python3-confluent-kafka
 * through tests/broker/group-e2e.py, and kcat -G). Three consumers split a
 * 6-partition topic, one leaves and the others take over, offsets are
 * committed; the broker is then stopped and started again on the same data
 * directory and a new consumer resumes exactly after the committed offsets.
 */
#include <rill/broker.h>

#include <glib/gstdio.h>

static rill_broker *start(const char *dir)
{
  g_autoptr(GError) error = NULL;
  rill_broker_config *cfg = rill_broker_config_new();
  g_assert_true(rill_broker_config_set(cfg, "log.dirs", dir, &error));
  g_assert_true(rill_broker_config_set(cfg, "listeners", "127.0.0.1:0", &error));
  g_assert_true(rill_broker_config_set(cfg, "group.initial.rebalance.delay.ms", "300", &error));
  rill_broker *b = rill_broker_new(cfg, &error);
  g_assert_no_error(error);
  rill_broker_config_free(cfg);
  g_assert_true(rill_broker_start(b, &error));
  g_assert_no_error(error);
  return b;
}

static void stop(rill_broker *b)
{
  rill_broker_stop(b);
  rill_broker_free(b);
}

static void run_phase(rill_broker *b, const char *phase)
{
  g_autofree char *script = g_build_filename(RILL_SOURCE_DIR, "tests", "broker", "group-e2e.py", NULL);
  g_autofree char *boot = g_strdup_printf("127.0.0.1:%u", rill_broker_port(b));
  const char *argv[] = {"/usr/bin/python3", script, boot, phase, NULL};
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = 0;
  g_autoptr(GError) error = NULL;
  g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error));
  g_assert_no_error(error);
  g_test_message("%s: %s%s", phase, out, err);
  if (!g_spawn_check_wait_status(status, NULL))
    g_error("phase %s failed:\n%s\n%s", phase, out, err);
}

static void rm_rf(const char *path)
{
  if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
    GDir *d = g_dir_open(path, 0, NULL);
    const char *n;
    while (d && (n = g_dir_read_name(d))) {
      g_autofree char *p = g_build_filename(path, n, NULL);
      rm_rf(p);
    }
    if (d)
      g_dir_close(d);
    g_rmdir(path);
  } else {
    g_unlink(path);
  }
}

static void test_e2e(void)
{
  g_autofree char *dir = g_dir_make_tmp("rill-group-e2e-XXXXXX", NULL);
  rill_broker *b = start(dir);
  run_phase(b, "split");
  stop(b);
  b = start(dir);
  run_phase(b, "resume");
  run_phase(b, "kcat");
  stop(b);
  rm_rf(dir);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/group/e2e", test_e2e);
  return g_test_run();
}
