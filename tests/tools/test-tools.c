/* test-tools.c — rill-topics, rill-groups, rill-produce and rill-consume
 * as processes against one rill-broker process on 127.0.0.1 (port 0),
 * with kcat and python3-confluent-kafka as independent clients.
 *
 * Expected outputs are written out literally here (never produced by the
 * tools under test); exit codes are those of docs/tools.md. */
#include <gio/gio.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

static GSubprocess *broker;
static char *bootstrap;
static char *data_dir;

static char *tool_path(const char *name)
{
  return g_strdup_printf("%s/tools/%s", RILL_BINARY_DIR, name);
}

/* Runs argv (NULL-terminated) with @input on stdin; returns the exit status. */
static int run_argv(const char *input, char **out, char **err, const char *const *argv)
{
  GError *error = NULL;
  GSubprocess *p = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                             G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error(error);
  char *o = NULL, *e = NULL;
  g_subprocess_communicate_utf8(p, input ? input : "", NULL, &o, &e, &error);
  g_assert_no_error(error);
  int rc = g_subprocess_get_if_exited(p) ? g_subprocess_get_exit_status(p) : 128 + g_subprocess_get_term_sig(p);
  if (g_test_verbose())
    g_printerr("$ %s ... -> %d\n%s%s", argv[0], rc, o, e);
  if (out)
    *out = o;
  else
    g_free(o);
  if (err)
    *err = e;
  else
    g_free(e);
  g_object_unref(p);
  return rc;
}

/* Runs rill tool @name with "-b bootstrap" and the NULL-terminated args. */
static int tool(const char *input, char **out, const char *name, ...)
{
  GPtrArray *a = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(a, tool_path(name));
  g_ptr_array_add(a, g_strdup("-b"));
  g_ptr_array_add(a, g_strdup(bootstrap));
  va_list ap;
  va_start(ap, name);
  for (const char *s; (s = va_arg(ap, const char *));)
    g_ptr_array_add(a, g_strdup(s));
  va_end(ap);
  g_ptr_array_add(a, NULL);
  char *err = NULL;
  int rc = run_argv(input, out, &err, (const char *const *)a->pdata);
  if (rc != 0 && !g_test_verbose())
    g_test_message("%s exited %d: %s", name, rc, err);
  g_free(err);
  g_ptr_array_unref(a);
  return rc;
}



static void start_broker(void)
{
  GError *error = NULL;
  data_dir = g_dir_make_tmp("rill-tools-XXXXXX", &error);
  g_assert_no_error(error);
  g_autofree char *bin = tool_path("rill-broker");
  broker = g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, bin, "--data-dir", data_dir, "--listen",
                            "127.0.0.1:0", NULL);
  g_assert_no_error(error);
  GDataInputStream *in = g_data_input_stream_new(g_subprocess_get_stdout_pipe(broker));
  for (;;) {
    g_autofree char *line = g_data_input_stream_read_line_utf8(in, NULL, NULL, &error);
    g_assert_no_error(error);
    g_assert_nonnull(line); /* the broker exited before listening */
    const char *port = strstr(line, "event=listening");
    if (port && (port = strstr(line, " port="))) {
      bootstrap = g_strdup_printf("127.0.0.1:%d", atoi(port + 6));
      break;
    }
  }
  g_object_unref(in);
}

static void stop_broker(void)
{
  g_subprocess_send_signal(broker, SIGTERM);
  g_subprocess_wait(broker, NULL, NULL);
  g_assert_true(g_subprocess_get_if_exited(broker));
  g_object_unref(broker);
  g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", data_dir);
  g_assert_cmpint(system(cmd), ==, 0);
  g_free(data_dir);
  g_free(bootstrap);
}

/* A 127.0.0.1 port nobody listens on: bound, then closed. */
static int dead_port(void)
{
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  g_assert_cmpint(bind(fd, (struct sockaddr *)&a, sizeof a), ==, 0);
  g_assert_cmpint(getsockname(fd, (struct sockaddr *)&a, &len), ==, 0);
  close(fd);
  return ntohs(a.sin_port);
}

static void test_help(void)
{
  const char *names[] = {"rill-topics", "rill-groups", "rill-produce", "rill-consume"};
  for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
    g_autofree char *bin = tool_path(names[i]);
    const char *argv[] = {bin, "--help", NULL};
    char *out = NULL;
    g_assert_cmpint(run_argv(NULL, &out, NULL, argv), ==, 0);
    g_assert_nonnull(strstr(out, "Exit status: 0 "));
    g_assert_nonnull(strstr(out, "docs/tools.md"));
    g_free(out);
  }
}

static void test_topics(void)
{
  char *out = NULL;
  g_assert_cmpint(tool(NULL, NULL, "rill-topics", "create", "tt", "-P", "3", NULL), ==, 0);
  /* creating it again is a broker refusal */
  g_assert_cmpint(tool(NULL, NULL, "rill-topics", "create", "tt", "-P", "3", NULL), ==, 3);
  g_assert_cmpint(tool(NULL, &out, "rill-topics", "list", NULL), ==, 0);
  g_assert_nonnull(strstr(out, "\ntt\n") || g_str_has_prefix(out, "tt\n") ? out : NULL);
  g_clear_pointer(&out, g_free);
  g_assert_cmpint(tool(NULL, &out, "rill-topics", "describe", "tt", NULL), ==, 0);
  g_assert_cmpstr(out, ==,
                  "topic\ttt\tpartitions\t3\n"
                  "partition\t0\tleader\t1\treplicas\t1\tisr\t1\n"
                  "partition\t1\tleader\t1\treplicas\t1\tisr\t1\n"
                  "partition\t2\tleader\t1\treplicas\t1\tisr\t1\n");
  g_clear_pointer(&out, g_free);
  g_assert_cmpint(tool(NULL, NULL, "rill-topics", "add-partitions", "tt", "-P", "5", NULL), ==, 0);
  g_assert_cmpint(tool(NULL, &out, "rill-topics", "describe", "tt", NULL), ==, 0);
  g_assert_true(g_str_has_prefix(out, "topic\ttt\tpartitions\t5\n"));
  g_assert_nonnull(strstr(out, "partition\t4\tleader\t1\t"));
  g_clear_pointer(&out, g_free);
  /* shrinking is refused */
  g_assert_cmpint(tool(NULL, NULL, "rill-topics", "add-partitions", "tt", "-P", "2", NULL), ==, 3);
  g_assert_cmpint(tool("x\ny\n", NULL, "rill-produce", "-t", "tt", "-p", "4", NULL), ==, 0);
  g_assert_cmpint(tool(NULL, &out, "rill-topics", "offsets", "tt", NULL), ==, 0);
  g_assert_cmpstr(out, ==, "tt\t0\t0\t0\ntt\t1\t0\t0\ntt\t2\t0\t0\ntt\t3\t0\t0\ntt\t4\t0\t2\n");
  g_clear_pointer(&out, g_free);
  g_assert_cmpint(tool(NULL, NULL, "rill-topics", "delete", "tt", NULL), ==, 0);
  g_assert_cmpint(tool(NULL, &out, "rill-topics", "list", NULL), ==, 0);
  g_assert_null(strstr(out, "tt\n"));
  g_clear_pointer(&out, g_free);
  g_assert_cmpint(tool(NULL, NULL, "rill-topics", "describe", "tt", NULL), ==, 3);
  g_assert_cmpint(tool(NULL, NULL, "rill-topics", "delete", "tt", NULL), ==, 3);
}

static void test_produce_consume(void)
{
  char *out = NULL;
  g_assert_cmpint(tool(NULL, NULL, "rill-topics", "create", "pc", "-P", "2", NULL), ==, 0);
  g_assert_cmpint(tool("k1:v1\nk2:v:2\nno key\n:empty key\n", NULL, "rill-produce", "-t", "pc", "-p", "1", "-K", ":",
                       "-H", "h1=a", "-H", "h2=", NULL), ==, 0);
  g_assert_cmpint(tool(NULL, &out, "rill-consume", "-t", "pc", "-e", "-f", "%t|%p|%o|%k|%s|%h|%K|%S\\n", NULL), ==, 0);
  g_assert_cmpstr(out, ==,
                  "pc|1|0|k1|v1|h1=a,h2=|2|2\n"
                  "pc|1|1|k2|v:2|h1=a,h2=|2|3\n"
                  "pc|1|2||no key|h1=a,h2=|-1|6\n"
                  "pc|1|3||empty key|h1=a,h2=|0|9\n");
  g_clear_pointer(&out, g_free);
  /* -N from the end, -c, -Z, default format with -K */
  g_assert_cmpint(tool(NULL, &out, "rill-consume", "-t", "pc", "-p", "1", "-o", "-2", "-e", "-K", "=", "-Z", NULL),
                  ==, 0);
  g_assert_cmpstr(out, ==, "NULL=no key\n=empty key\n");
  g_clear_pointer(&out, g_free);
  g_assert_cmpint(tool(NULL, &out, "rill-consume", "-t", "pc", "-o", "1", "-c", "2", "-f", "%o:%v ", NULL), ==, 0);
  g_assert_cmpstr(out, ==, "1:v:2 2:no key ");
  g_clear_pointer(&out, g_free);
  /* JSON, with escaping */
  g_assert_cmpint(tool("q\"uote\tx\n", NULL, "rill-produce", "-t", "pc", "-p", "0", NULL), ==, 0);
  g_assert_cmpint(tool(NULL, &out, "rill-consume", "-t", "pc", "-p", "0", "-e", "-J", NULL), ==, 0);
  g_assert_true(g_str_has_prefix(out, "{\"topic\":\"pc\",\"partition\":0,\"offset\":0,\"ts\":"));
  g_assert_true(g_str_has_suffix(out, ",\"headers\":[],\"key\":null,\"payload\":\"q\\\"uote\\tx\"}\n"));
  g_clear_pointer(&out, g_free);
  /* timestamps: from long ago = everything; from the far future = nothing */
  g_assert_cmpint(tool(NULL, &out, "rill-consume", "-t", "pc", "-p", "1", "-o", "s@0", "-e", "-f", "%o ", NULL), ==, 0);
  g_assert_cmpstr(out, ==, "0 1 2 3 ");
  g_clear_pointer(&out, g_free);
  g_assert_cmpint(tool(NULL, &out, "rill-consume", "-t", "pc", "-o", "s@99999999999999", "-e", NULL), ==, 0);
  g_assert_cmpstr(out, ==, "");
  g_clear_pointer(&out, g_free);
  /* keyed records land where murmur2 puts them (same key, same partition), compressed */
  g_assert_cmpint(tool("a:1\na:2\na:3\n", NULL, "rill-produce", "-t", "pc", "-K", ":", "-X",
                       "compression.codec=zstd", NULL), ==, 0);
  g_assert_cmpint(tool(NULL, &out, "rill-consume", "-t", "pc", "-o", "-3", "-e", "-f", "%k%s,", "-p", "0", NULL), ==, 0);
  g_autofree char *p0 = out;
  g_assert_cmpint(tool(NULL, &out, "rill-consume", "-t", "pc", "-o", "-3", "-e", "-f", "%k%s,", "-p", "1", NULL), ==, 0);
  g_autofree char *p1 = out;
  g_assert_true((!strcmp(p0, "a1,a2,a3,") && strstr(p1, "a") == NULL) ||
                (!strcmp(p1, "a1,a2,a3,") && strstr(p0, "a") == NULL));
  /* several files, custom delimiter */
  g_autofree char *f1 = g_build_filename(data_dir, "in1.txt", NULL);
  g_assert_true(g_file_set_contents(f1, "r1;r2;", -1, NULL));
  g_assert_cmpint(tool(NULL, NULL, "rill-produce", "-t", "pc", "-p", "0", "-D", ";", f1, f1, NULL), ==, 0);
  g_assert_cmpint(tool(NULL, &out, "rill-consume", "-t", "pc", "-p", "0", "-o", "-4", "-e", "-D", "|", NULL), ==, 0);
  g_assert_cmpstr(out, ==, "r1|r2|r1|r2|");
  g_clear_pointer(&out, g_free);
}

static void test_kcat(void)
{
  char *out = NULL;
  g_assert_cmpint(tool(NULL, NULL, "rill-topics", "create", "kc", "-P", "1", NULL), ==, 0);
  g_assert_cmpint(tool("k1:hello\nk2:world\n", NULL, "rill-produce", "-t", "kc", "-K", ":", "-H", "src=rill",
                       "-X", "compression.codec=lz4", NULL), ==, 0);
  const char *kcat_c[] = {"kcat", "-b", bootstrap, "-C", "-t", "kc", "-e", "-q", "-f", "%k|%s|%h|%o\\n", NULL};
  g_assert_cmpint(run_argv(NULL, &out, NULL, kcat_c), ==, 0);
  g_assert_cmpstr(out, ==, "k1|hello|src=rill|0\nk2|world|src=rill|1\n");
  g_clear_pointer(&out, g_free);
  const char *kcat_p[] = {"kcat", "-b", bootstrap, "-P", "-t", "kc", "-K", ":", "-H", "src=kcat", "-z", "gzip", NULL};
  g_assert_cmpint(run_argv("k3:from kcat\nk4:too\n", NULL, NULL, kcat_p), ==, 0);
  g_assert_cmpint(tool(NULL, &out, "rill-consume", "-t", "kc", "-o", "2", "-e", "-f", "%k|%s|%h|%o\\n", NULL), ==, 0);
  g_assert_cmpstr(out, ==, "k3|from kcat|src=kcat|2\nk4|too|src=kcat|3\n");
  g_clear_pointer(&out, g_free);
}

static const char py_consume[] =
  "import sys\n"
  "from confluent_kafka import Consumer, TopicPartition\n"
  "c = Consumer({'bootstrap.servers': sys.argv[1], 'group.id': sys.argv[2], 'auto.offset.reset': 'earliest',\n"
  "              'enable.auto.commit': False})\n"
  "c.subscribe([sys.argv[3]])\n"
  "got = []\n"
  "while len(got) < int(sys.argv[4]):\n"
  "    m = c.poll(1.0)\n"
  "    if m is None or m.error():\n"
  "        continue\n"
  "    got.append(m)\n"
  "    print(m.value().decode())\n"
  "last = got[-1]\n"
  "c.commit(offsets=[TopicPartition(last.topic(), last.partition(), last.offset() + 1)], asynchronous=False)\n"
  "c.close()\n";

static void test_groups(void)
{
  char *out = NULL;
  g_assert_cmpint(tool(NULL, NULL, "rill-topics", "create", "gt", "-P", "1", NULL), ==, 0);
  g_assert_cmpint(tool("m0\nm1\nm2\n", NULL, "rill-produce", "-t", "gt", NULL), ==, 0);
  /* an independent group consumer commits after 2 of 3 records */
  const char *py[] = {"/usr/bin/python3", "-c", py_consume, bootstrap, "pyg", "gt", "2", NULL};
  g_assert_cmpint(run_argv(NULL, &out, NULL, py), ==, 0);
  g_assert_cmpstr(out, ==, "m0\nm1\n");
  g_clear_pointer(&out, g_free);
  g_assert_cmpint(tool(NULL, &out, "rill-groups", "list", NULL), ==, 0);
  g_assert_nonnull(strstr(out, "pyg\tconsumer\n"));
  g_clear_pointer(&out, g_free);
  g_assert_cmpint(tool(NULL, &out, "rill-groups", "describe", "pyg", NULL), ==, 0);
  g_assert_cmpstr(out, ==,
                  "group\tpyg\tstate\tEmpty\tprotocol\t\tmembers\t0\n"
                  "TOPIC\tPARTITION\tCURRENT-OFFSET\tLOG-END-OFFSET\tLAG\tCONSUMER-ID\tHOST\tCLIENT-ID\n"
                  "gt\t0\t2\t3\t1\t-\t-\t-\n");
  g_clear_pointer(&out, g_free);
  /* our group consumer resumes at the committed offset and commits the end */
  g_assert_cmpint(tool(NULL, &out, "rill-consume", "-t", "gt", "-G", "pyg", "-e", "-f", "%o:%s\\n", NULL), ==, 0);
  g_assert_cmpstr(out, ==, "2:m2\n");
  g_clear_pointer(&out, g_free);
  g_assert_cmpint(tool(NULL, &out, "rill-groups", "describe", "pyg", NULL), ==, 0);
  g_assert_nonnull(strstr(out, "\ngt\t0\t3\t3\t0\t-\t-\t-\n"));
  g_clear_pointer(&out, g_free);
  /* reset, then both an independent consumer and ours start there */
  g_assert_cmpint(tool(NULL, &out, "rill-groups", "reset-offsets", "pyg", "-t", "gt", "--to-offset", "1", NULL), ==, 0);
  g_assert_cmpstr(out, ==, "gt\t0\t1\n");
  g_clear_pointer(&out, g_free);
  const char *py1[] = {"/usr/bin/python3", "-c", py_consume, bootstrap, "pyg", "gt", "1", NULL};
  g_assert_cmpint(run_argv(NULL, &out, NULL, py1), ==, 0);
  g_assert_cmpstr(out, ==, "m1\n");
  g_clear_pointer(&out, g_free);
  g_assert_cmpint(tool(NULL, &out, "rill-groups", "reset-offsets", "pyg", "-t", "gt", "--to-earliest", NULL), ==, 0);
  g_assert_cmpstr(out, ==, "gt\t0\t0\n");
  g_clear_pointer(&out, g_free);
  g_assert_cmpint(tool(NULL, &out, "rill-consume", "-t", "gt", "-G", "pyg", "-e", "-f", "%s ", NULL), ==, 0);
  g_assert_cmpstr(out, ==, "m0 m1 m2 ");
  g_clear_pointer(&out, g_free);
  g_assert_cmpint(tool(NULL, &out, "rill-groups", "reset-offsets", "pyg", "-t", "gt", "--shift-by", "-2", NULL), ==, 0);
  g_assert_cmpstr(out, ==, "gt\t0\t1\n");
  g_clear_pointer(&out, g_free);
  /* kcat's group consumer commits too */
  const char *kg[] = {"kcat", "-b", bootstrap, "-G", "kg", "-o", "beginning", "-e", "-q", "-f", "%s\\n", "gt", NULL};
  g_assert_cmpint(run_argv(NULL, &out, NULL, kg), ==, 0);
  g_assert_cmpstr(out, ==, "m0\nm1\nm2\n");
  g_clear_pointer(&out, g_free);
  g_assert_cmpint(tool(NULL, &out, "rill-groups", "describe", "kg", NULL), ==, 0);
  g_assert_nonnull(strstr(out, "\ngt\t0\t3\t3\t0\t-\t-\t-\n"));
  g_clear_pointer(&out, g_free);
  g_assert_cmpint(tool(NULL, NULL, "rill-groups", "reset-offsets", "kg", "-t", "nope", "--to-latest", NULL), ==, 3);
  g_assert_cmpint(tool(NULL, NULL, "rill-groups", "delete", "kg", NULL), ==, 0);
  g_assert_cmpint(tool(NULL, &out, "rill-groups", "list", NULL), ==, 0);
  g_assert_null(strstr(out, "kg\t"));
  g_clear_pointer(&out, g_free);
}

static int strv_cmp(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* -G with a ^pattern: the group resolves it against the cluster's topics;
 * without -G a pattern is a usage error. */
static void test_group_pattern(void)
{
  char *out = NULL;
  g_assert_cmpint(tool(NULL, NULL, "rill-topics", "create", "rx-a", "-P", "1", NULL), ==, 0);
  g_assert_cmpint(tool(NULL, NULL, "rill-topics", "create", "rx-b", "-P", "1", NULL), ==, 0);
  g_assert_cmpint(tool(NULL, NULL, "rill-topics", "create", "other-rx", "-P", "1", NULL), ==, 0);
  g_assert_cmpint(tool("a0\na1\n", NULL, "rill-produce", "-t", "rx-a", NULL), ==, 0);
  g_assert_cmpint(tool("b0\n", NULL, "rill-produce", "-t", "rx-b", NULL), ==, 0);
  g_assert_cmpint(tool("x0\n", NULL, "rill-produce", "-t", "other-rx", NULL), ==, 0);
  g_assert_cmpint(
    tool(NULL, &out, "rill-consume", "-t", "^rx-.*", "-G", "rxg", "-o", "beginning", "-e", "-f", "%t:%s\\n", NULL), ==, 0);
  g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
  qsort(lines, g_strv_length(lines), sizeof(char *), strv_cmp);
  g_autofree char *sorted = g_strjoinv("|", lines);
  g_assert_cmpstr(sorted, ==, "|rx-a:a0|rx-a:a1|rx-b:b0");
  g_clear_pointer(&out, g_free);
  g_assert_cmpint(tool(NULL, NULL, "rill-consume", "-t", "^rx-.*", "-e", NULL), ==, 1);
}

static void test_errors(void)
{
  /* usage */
  g_assert_cmpint(tool(NULL, NULL, "rill-consume", NULL), ==, 1);
  g_assert_cmpint(tool(NULL, NULL, "rill-produce", NULL), ==, 1);
  g_assert_cmpint(tool(NULL, NULL, "rill-topics", "frobnicate", NULL), ==, 1);
  g_assert_cmpint(tool(NULL, NULL, "rill-groups", NULL), ==, 1);
  g_assert_cmpint(tool(NULL, NULL, "rill-topics", "list", "-X", "no.such.property=1", NULL), ==, 1);
  g_assert_cmpint(tool(NULL, NULL, "rill-consume", "-t", "x", "-f", "%q", NULL), ==, 1);
  g_assert_cmpint(tool(NULL, NULL, "rill-consume", "-t", "x", "--bogus", NULL), ==, 1);
  /* unknown topic: consumers do not create topics */
  g_assert_cmpint(tool(NULL, NULL, "rill-consume", "-t", "no-such-topic", "-e", NULL), ==, 3);
  g_assert_cmpint(tool(NULL, NULL, "rill-topics", "offsets", "no-such-topic", NULL), ==, 3);
  /* unreachable broker, short timeout */
  g_autofree char *dead = g_strdup_printf("127.0.0.1:%d", dead_port());
  const char *names[] = {"rill-topics", "rill-groups", "rill-produce", "rill-consume"};
  const char *args[][4] = {{"list", NULL}, {"list", NULL}, {"-t", "x", NULL}, {"-t", "x", "-e", NULL}};
  for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
    g_autofree char *bin = tool_path(names[i]);
    const char *argv[10] = {bin, "-b", dead, "--timeout-ms", "300"};
    for (guint k = 0; args[i][k]; k++)
      argv[5 + k] = args[i][k];
    g_assert_cmpint(run_argv("r\n", NULL, NULL, argv), ==, 2);
  }
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  start_broker();
  g_test_add_func("/tools/help", test_help);
  g_test_add_func("/tools/topics", test_topics);
  g_test_add_func("/tools/produce-consume", test_produce_consume);
  g_test_add_func("/tools/kcat", test_kcat);
  g_test_add_func("/tools/groups", test_groups);
  g_test_add_func("/tools/group-pattern", test_group_pattern);
  g_test_add_func("/tools/errors", test_errors);
  int rc = g_test_run();
  stop_broker();
  return rc;
}
