/* test-gateway-tool.c — rill-gateway end to end, as a process: tokens from
 * `rill-gateway token`, a conversation between two clients, a restart in
 * the middle of it (SIGTERM, then SIGKILL while publishes are in flight),
 * and resuming by id afterwards; every acknowledged message is there once,
 * in order. Also the exit codes. */
#include <rill/gateway.h>

#include "gw-test.h"
#include "wsclient.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#define T 10000

static char *tool(void)
{
  return g_build_filename(g_getenv("RILL_BINARY_DIR") ? g_getenv("RILL_BINARY_DIR") : RILL_BINARY_DIR, "tools",
                          "rill-gateway", NULL);
}

typedef struct {
  char *dir, *secret, *config;
  GSubprocess *proc;
  int port;
} fx;

static void start(fx *f)
{
  char *bin = tool();
  char *data = g_build_filename(f->dir, "data", NULL);
  GError *e = NULL;
  f->proc = g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE, &e, bin, "--data-dir", data, "--secret-file", f->secret,
                             "--config", f->config, "--listen", "127.0.0.1:0", "--threads", "3", NULL);
  g_assert_no_error(e);
  GDataInputStream *in = g_data_input_stream_new(g_subprocess_get_stdout_pipe(f->proc));
  char *line = g_data_input_stream_read_line_utf8(in, NULL, NULL, &e);
  g_assert_no_error(e);
  g_assert_nonnull(line);
  const char *p = strstr(line, " port=");
  g_assert_nonnull(p);
  f->port = atoi(p + 6);
  g_assert_cmpint(f->port, >, 0);
  g_free(line);
  g_object_unref(in);
  g_free(data);
  g_free(bin);
}

static int stop(fx *f, int sig)
{
  g_subprocess_send_signal(f->proc, sig);
  g_assert_true(g_subprocess_wait(f->proc, NULL, NULL));
  int rc = g_subprocess_get_if_exited(f->proc) ? g_subprocess_get_exit_status(f->proc) : -g_subprocess_get_term_sig(f->proc);
  g_clear_object(&f->proc);
  return rc;
}

static char *mint(fx *f, const char *user)
{
  char *bin = tool(), *out = NULL;
  GError *e = NULL;
  GSubprocess *p = g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE, &e, bin, "token", "--secret-file", f->secret,
                                    "--user", user, "--ttl", "600", NULL);
  g_assert_no_error(e);
  g_assert_true(g_subprocess_communicate_utf8(p, NULL, NULL, &out, NULL, &e));
  g_assert_no_error(e);
  g_assert_true(g_subprocess_get_successful(p));
  g_object_unref(p);
  g_free(bin);
  g_strstrip(out);
  /* the token verifies with the secret in the file (newline stripped) */
  char *user_back = rill_gateway_token_verify((const guint8 *)"s3cret", 6, out, g_get_real_time() / G_USEC_PER_SEC, &e);
  g_assert_no_error(e);
  g_assert_cmpstr(user_back, ==, user);
  g_free(user_back);
  return out;
}

static wsc *login(fx *f, const char *user)
{
  char *t = mint(f, user);
  GError *e = NULL;
  wsc *c = wsc_connect(f->port, t, &e);
  g_assert_no_error(e);
  g_free(t);
  json_object_unref(wsc_next_type(c, "welcome", T));
  return c;
}

static void setup(fx *f, gconstpointer data)
{
  f->dir = g_dir_make_tmp("rill-gwt-XXXXXX", NULL);
  f->secret = g_build_filename(f->dir, "secret", NULL);
  f->config = g_build_filename(f->dir, "gateway.conf", NULL);
  g_assert_true(g_file_set_contents(f->secret, "s3cret\n", -1, NULL));
  g_assert_true(g_file_set_contents(f->config,
                                    "[gateway]\npartitions=3\n"
                                    "[channel room:*]\nread=*\nwrite=*\n",
                                    -1, NULL));
  start(f);
}

static void teardown(fx *f, gconstpointer data)
{
  if (f->proc)
    stop(f, SIGKILL);
  gw_test_rm_rf(f->dir);
  g_free(f->dir);
  g_free(f->secret);
  g_free(f->config);
}

static void say(wsc *c, const char *channel, int n)
{
  wsc_send(c, "{\"type\":\"publish\",\"ref\":\"%d\",\"channel\":\"%s\",\"body\":{\"n\":%d}}", n, channel, n);
}

/* The next deliver: body n, id in *@id. */
static int heard(wsc *c, gint64 *id)
{
  JsonObject *o = wsc_next_type(c, "deliver", T);
  g_assert_nonnull(o);
  int n = (int)json_object_get_int_member(json_object_get_object_member(o, "body"), "n");
  if (id)
    *id = wsc_int(o, "id");
  json_object_unref(o);
  return n;
}

static void test_restart(fx *f, gconstpointer data)
{
  wsc *alice = login(f, "alice"), *bob = login(f, "bob");
  wsc_send(alice, "{\"type\":\"subscribe\",\"channel\":\"room:1\"}");
  json_object_unref(wsc_next_type(alice, "subscribed", T));
  gint64 seen = -1;
  for (int i = 0; i < 10; i++) {
    say(bob, "room:1", i);
    json_object_unref(wsc_next_type(bob, "ack", T));
    g_assert_cmpint(heard(alice, &seen), ==, i);
  }
  /* a graceful restart: clients are told to go away (1001) */
  g_assert_cmpint(stop(f, SIGTERM), ==, 0);
  g_assert_cmpint(wsc_wait_closed(alice, T), ==, RILL_GATEWAY_CLOSE_SHUTDOWN);
  wsc_free(alice);
  wsc_free(bob);
  start(f);
  bob = login(f, "bob");
  for (int i = 10; i < 20; i++) {
    say(bob, "room:1", i);
    json_object_unref(wsc_next_type(bob, "ack", T));
  }
  /* a crash with publishes in flight: what was acknowledged survives */
  for (int i = 20; i < 60; i++)
    say(bob, "room:1", i);
  int acked = 20;
  for (; acked < 40; acked++) {
    JsonObject *o = wsc_next_type(bob, "ack", T);
    g_assert_nonnull(o);
    g_assert_cmpint(atoi(wsc_str(o, "ref")), ==, acked);
    json_object_unref(o);
  }
  g_assert_cmpint(stop(f, SIGKILL), ==, -SIGKILL);
  wsc_free(bob);
  start(f);
  alice = login(f, "alice");
  wsc_send(alice, "{\"type\":\"subscribe\",\"channel\":\"room:1\",\"after\":%" G_GINT64_FORMAT "}", seen);
  json_object_unref(wsc_next_type(alice, "subscribed", T));
  /* everything alice missed, once, in order: all acknowledged ones, then
   * maybe some of those in flight at the crash, without gaps */
  int expect = 10;
  gint64 last = seen, id;
  for (; expect < acked; expect++) {
    g_assert_cmpint(heard(alice, &id), ==, expect);
    g_assert_cmpint(id, >, last);
    last = id;
  }
  /* then live: a new message comes after whatever survived of the rest */
  bob = login(f, "bob");
  say(bob, "room:1", 1000);
  json_object_unref(wsc_next_type(bob, "ack", T));
  for (;;) {
    int n = heard(alice, &id);
    g_assert_cmpint(id, >, last);
    last = id;
    if (n == 1000)
      break;
    g_assert_cmpint(n, ==, expect);
    expect++;
  }
  g_assert_cmpint(expect, <=, 60);
  wsc_free(alice);
  wsc_free(bob);
}

static void test_static_and_exit_codes(fx *f, gconstpointer data)
{
  char *bin = tool();
  int status;
  char *argv1[] = {bin, "--data-dir", f->dir, NULL}; /* no secret */
  g_assert_true(g_spawn_sync(NULL, argv1, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL, NULL, &status, NULL));
  g_assert_cmpint(WEXITSTATUS(status), ==, 1);
  char *argv2[] = {bin, "token", "--secret-file", f->secret, "--user", "no spaces", NULL};
  g_assert_true(g_spawn_sync(NULL, argv2, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL, NULL, &status, NULL));
  g_assert_cmpint(WEXITSTATUS(status), ==, 1);
  /* more shard threads than allowed: a configuration error, 1 */
  char *argv4[] = {bin, "--data-dir", f->dir, "--secret-file", f->secret, "--threads", "65", NULL};
  g_assert_true(g_spawn_sync(NULL, argv4, NULL, G_SPAWN_STDERR_TO_DEV_NULL | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                             NULL, NULL, &status, NULL));
  g_assert_cmpint(WEXITSTATUS(status), ==, 1);
  /* storage that cannot be opened: 2 */
  char *argv3[] = {bin, "--data-dir", f->secret, "--secret-file", f->secret, "--listen", "127.0.0.1:0", NULL};
  g_assert_true(g_spawn_sync(NULL, argv3, NULL, G_SPAWN_STDERR_TO_DEV_NULL | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                             NULL, NULL, &status, NULL));
  g_assert_cmpint(WEXITSTATUS(status), ==, 2);
  g_free(bin);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add("/gateway-tool/restart", fx, NULL, setup, test_restart, teardown);
  g_test_add("/gateway-tool/exit-codes", fx, NULL, setup, test_static_and_exit_codes, teardown);
  return g_test_run();
}
