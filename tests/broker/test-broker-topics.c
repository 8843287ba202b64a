/* test-broker-topics.c — topic administration against a real rill-broker
 * process, driven by our small wire client (client.h) and rill-topics:
 *
 * - partition limits: CreateTopics / CreatePartitions / auto-creation over
 *   rill.max.partitions.per.topic or rill.max.partitions are refused with
 *   INVALID_PARTITIONS / POLICY_VIOLATION and a message, validate_only too;
 *   `rill-topics create huge -P 1000000` fails at once;
 * - names: every legal name works (247..249 characters, kept across a
 *   restart); a name holding a NUL is refused, never cut; Metadata of an
 *   invalid name is INVALID_TOPIC_EXCEPTION with or without auto-creation;
 *   a storage failure's message never carries a server path;
 * - a 3,000-partition topic is made off the I/O thread (another connection
 *   is answered meanwhile) and the broker runs, and restarts, with
 *   RLIMIT_NOFILE 256.
 *
 * Data directories live on /dev/shm when there is one: what is tested is
 * fds and the loop, not the disk, and thousands of directory fsyncs on a
 * shared disk would make the suite slow. */
#include <rill/kafka-error.h>

#include <poll.h>
#include <sys/resource.h>

#include "tests/broker/broker-proc.h"
#include "tests/broker/client.h"

static char *data_parent(void)
{
  const char *base = g_file_test("/dev/shm", G_FILE_TEST_IS_DIR) ? "/dev/shm" : g_get_tmp_dir();
  g_autofree char *tmpl = g_build_filename(base, "rill-topics-XXXXXX", NULL);
  char *d = g_mkdtemp(g_steal_pointer(&tmpl));
  g_assert_nonnull(d);
  return d;
}

typedef struct {
  char *dir; /* holds data/ and broker.out */
  char *log_path;
  GSubprocess *proc;
  uint16_t port;
} broker;

static void limit_fds(gpointer data)
{
  struct rlimit rl = {GPOINTER_TO_UINT(data), GPOINTER_TO_UINT(data)};
  if (rl.rlim_cur)
    setrlimit(RLIMIT_NOFILE, &rl);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
}

/* Starts rill-broker on @b->dir/data with @sets ("key=value", NULL-ended)
 * and, if @nofile, RLIMIT_NOFILE set to it in the child before exec. */
static void start(broker *b, guint nofile, const char *const *sets)
{
  GError *e = NULL;
  g_autofree char *data = g_build_filename(b->dir, "data", NULL);
  g_autofree char *exe = g_build_filename(RILL_BINARY_DIR, "tools", "rill-broker", NULL);
  g_free(b->log_path);
  b->log_path = g_build_filename(b->dir, "broker.out", NULL);
  unlink(b->log_path);
  GPtrArray *argv = g_ptr_array_new();
  g_ptr_array_add(argv, exe);
  g_ptr_array_add(argv, (char *)"--data-dir");
  g_ptr_array_add(argv, data);
  g_ptr_array_add(argv, (char *)"--listen");
  g_ptr_array_add(argv, (char *)"127.0.0.1:0");
  for (guint i = 0; sets && sets[i]; i++) {
    g_ptr_array_add(argv, (char *)"--set");
    g_ptr_array_add(argv, (char *)sets[i]);
  }
  g_ptr_array_add(argv, NULL);
  GSubprocessLauncher *l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_set_child_setup(l, limit_fds, GUINT_TO_POINTER(nofile), NULL);
  g_subprocess_launcher_set_stdout_file_path(l, b->log_path);
  b->proc = g_subprocess_launcher_spawnv(l, (const char *const *)argv->pdata, &e);
  g_assert_no_error(e);
  g_object_unref(l);
  g_ptr_array_free(argv, TRUE);
  b->port = 0;
  for (int i = 0; i < 3000 && !b->port; i++) {
    g_autofree char *text = NULL;
    if (g_file_get_contents(b->log_path, &text, NULL, NULL)) {
      const char *m = strstr(text, "event=listening");
      const char *p = m ? strstr(m, " port=") : NULL;
      if (p)
        b->port = (uint16_t)atoi(p + 6);
    }
    if (!b->port) {
      if (!g_subprocess_get_identifier(b->proc)) {
        g_autofree char *out = NULL;
        g_file_get_contents(b->log_path, &out, NULL, NULL);
        g_error("rill-broker exited at start:\n%s", out ? out : "");
      }
      g_usleep(10000);
    }
  }
  g_assert_cmpuint(b->port, >, 0);
}

static void stop(broker *b)
{
  GError *e = NULL;
  g_subprocess_send_signal(b->proc, SIGTERM);
  g_assert_true(g_subprocess_wait(b->proc, NULL, &e));
  g_assert_no_error(e);
  g_assert_true(g_subprocess_get_if_exited(b->proc));
  g_assert_cmpint(g_subprocess_get_exit_status(b->proc), ==, 0);
  g_clear_object(&b->proc);
}

static void finish(broker *b)
{
  test_rm_rf(b->dir);
  g_free(b->dir);
  g_free(b->log_path);
}

/* ---- requests ---- */

typedef struct {
  rill__wire_arena arena;
  uint8_t *frame;
} reply;

static void reply_init(reply *r)
{
  rill__wire_arena_init(&r->arena);
  r->frame = NULL;
}

/* Frees the last answer; @r is ready for the next. */
static void reply_clear(reply *r)
{
  g_clear_pointer(&r->frame, g_free);
  rill__wire_arena_clear(&r->arena);
}

static void send_create(int fd, int32_t corr, rill__wire_str name, int32_t partitions, gboolean validate_only)
{
  rill__wire_create_topics_request rq = {0};
  rill__wire_create_topics_request_creatable_topic t = {
      .name = name, .num_partitions = partitions, .replication_factor = -1};
  rq.topics = &t;
  rq.n_topics = 1;
  rq.timeout_ms = 60000;
  rq.validate_only = validate_only;
  tc_send(fd, RILL_WIRE_API_CREATE_TOPICS, 4, corr, &rq);
}

static const rill__wire_create_topics_response_creatable_topic_result *recv_create(int fd, int32_t corr, reply *r)
{
  static rill__wire_create_topics_response rs;
  reply_clear(r);
  g_assert_cmpint(tc_recv(fd, RILL_WIRE_API_CREATE_TOPICS, 4, &r->arena, &rs, &r->frame), ==, corr);
  g_assert_cmpint(rs.n_topics, ==, 1);
  return &rs.topics[0];
}

static const rill__wire_create_topics_response_creatable_topic_result *
create_topic(int fd, rill__wire_str name, int32_t partitions, gboolean validate_only, reply *r)
{
  send_create(fd, 11, name, partitions, validate_only);
  return recv_create(fd, 11, r);
}

static const rill__wire_create_partitions_response_topic_result *add_partitions(int fd, const char *name, int32_t count,
                                                                                gboolean validate_only, reply *r)
{
  rill__wire_create_partitions_request rq = {0};
  rill__wire_create_partitions_request_topic t = {
      .name = rill__wire_str_from(name), .count = count, .n_assignments = -1};
  rq.topics = &t;
  rq.n_topics = 1;
  rq.timeout_ms = 60000;
  rq.validate_only = validate_only;
  tc_send(fd, RILL_WIRE_API_CREATE_PARTITIONS, 1, 12, &rq);
  static rill__wire_create_partitions_response rs;
  reply_clear(r);
  g_assert_cmpint(tc_recv(fd, RILL_WIRE_API_CREATE_PARTITIONS, 1, &r->arena, &rs, &r->frame), ==, 12);
  g_assert_cmpint(rs.n_results, ==, 1);
  return &rs.results[0];
}

/* Metadata v8 for @name (NULL: all topics). */
static const rill__wire_metadata_response *metadata(int fd, rill__wire_str *name, gboolean allow_create, reply *r)
{
  static rill__wire_metadata_response rs;
  rill__wire_metadata_request rq;
  rill__wire_metadata_request_init(&rq);
  rill__wire_metadata_request_topic t = {.name = name ? *name : RILL_WIRE_STR_NULL};
  rq.topics = name ? &t : NULL;
  rq.n_topics = name ? 1 : -1;
  rq.allow_auto_topic_creation = allow_create;
  tc_send(fd, RILL_WIRE_API_METADATA, 8, 13, &rq);
  reply_clear(r);
  g_assert_cmpint(tc_recv(fd, RILL_WIRE_API_METADATA, 8, &r->arena, &rs, &r->frame), ==, 13);
  return &rs;
}

static int32_t partitions_of(int fd, const char *name)
{
  reply r;
  reply_init(&r);
  rill__wire_str n = rill__wire_str_from(name);
  const rill__wire_metadata_response *m = metadata(fd, &n, FALSE, &r);
  g_assert_cmpint(m->n_topics, ==, 1);
  int32_t np = m->topics[0].error_code ? -m->topics[0].error_code : m->topics[0].n_partitions;
  reply_clear(&r);
  return np;
}

static gboolean msg_has(rill__wire_str s, const char *needle)
{
  g_autofree char *c = s.len >= 0 ? g_strndup(s.ptr, (gsize)s.len) : g_strdup("");
  return strstr(c, needle) != NULL;
}

/* ---- limits ---- */

static void test_limits(void)
{
  broker b = {.dir = data_parent()};
  const char *const sets[] = {"rill.max.partitions.per.topic=50", "rill.max.partitions=80", "num.partitions=20", NULL};
  start(&b, 0, sets);
  int fd = tc_connect(b.port);
  reply r;
  reply_init(&r);

  const rill__wire_create_topics_response_creatable_topic_result *t =
      create_topic(fd, rill__wire_str_from("big"), 51, FALSE, &r);
  g_assert_cmpint(t->error_code, ==, RILL_KAFKA_ERR_INVALID_PARTITIONS);
  g_assert_true(msg_has(t->error_message, "rill.max.partitions.per.topic"));
  t = create_topic(fd, rill__wire_str_from("big"), 51, TRUE, &r);
  g_assert_cmpint(t->error_code, ==, RILL_KAFKA_ERR_INVALID_PARTITIONS);
  t = create_topic(fd, rill__wire_str_from("a"), 50, TRUE, &r); /* validates, creates nothing */
  g_assert_cmpint(t->error_code, ==, 0);
  g_assert_cmpint(partitions_of(fd, "a"), ==, -RILL_KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION);
  t = create_topic(fd, rill__wire_str_from("a"), 50, FALSE, &r);
  g_assert_cmpint(t->error_code, ==, 0);
  g_assert_cmpint(partitions_of(fd, "a"), ==, 50);

  /* 50 of 80 used: 40 more is over the broker's limit. */
  t = create_topic(fd, rill__wire_str_from("b"), 40, TRUE, &r);
  g_assert_cmpint(t->error_code, ==, RILL_KAFKA_ERR_POLICY_VIOLATION);
  t = create_topic(fd, rill__wire_str_from("b"), 40, FALSE, &r);
  g_assert_cmpint(t->error_code, ==, RILL_KAFKA_ERR_POLICY_VIOLATION);
  g_assert_true(msg_has(t->error_message, "rill.max.partitions"));
  g_assert_cmpint(partitions_of(fd, "b"), ==, -RILL_KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION);

  const rill__wire_create_partitions_response_topic_result *p = add_partitions(fd, "a", 51, FALSE, &r);
  g_assert_cmpint(p->error_code, ==, RILL_KAFKA_ERR_INVALID_PARTITIONS);
  g_assert_true(msg_has(p->error_message, "rill.max.partitions.per.topic"));
  t = create_topic(fd, rill__wire_str_from("c"), 25, FALSE, &r);
  g_assert_cmpint(t->error_code, ==, 0);
  p = add_partitions(fd, "c", 31, TRUE, &r); /* 75 + 6 > 80 */
  g_assert_cmpint(p->error_code, ==, RILL_KAFKA_ERR_POLICY_VIOLATION);
  p = add_partitions(fd, "c", 30, TRUE, &r);
  g_assert_cmpint(p->error_code, ==, 0);
  g_assert_cmpint(partitions_of(fd, "c"), ==, 25);
  p = add_partitions(fd, "c", 30, FALSE, &r);
  g_assert_cmpint(p->error_code, ==, 0);
  g_assert_cmpint(partitions_of(fd, "c"), ==, 30);

  /* Auto-creation (num.partitions 20) counts too: 80 are used. */
  rill__wire_str n = rill__wire_str_from("auto");
  const rill__wire_metadata_response *m = metadata(fd, &n, TRUE, &r);
  g_assert_cmpint(m->topics[0].error_code, ==, RILL_KAFKA_ERR_POLICY_VIOLATION);
  g_assert_cmpint(partitions_of(fd, "auto"), ==, -RILL_KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION);
  reply_clear(&r);
  close(fd);

  /* The tool's view: an immediate, explained failure (exit 3). */
  stop(&b);
  start(&b, 0, NULL);
  g_autofree char *exe = g_build_filename(RILL_BINARY_DIR, "tools", "rill-topics", NULL);
  g_autofree char *bootstrap = g_strdup_printf("127.0.0.1:%u", b.port);
  const char *argv[] = {exe, "-b", bootstrap, "create", "huge", "-P", "1000000", NULL};
  GError *e = NULL;
  GSubprocess *tool = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE, &e);
  g_assert_no_error(e);
  g_autofree char *out = NULL;
  g_assert_true(g_subprocess_communicate_utf8(tool, NULL, NULL, &out, NULL, &e));
  g_assert_no_error(e);
  g_assert_cmpint(g_subprocess_get_exit_status(tool), ==, 3);
  g_assert_nonnull(strstr(out, "rill.max.partitions.per.topic"));
  g_object_unref(tool);
  stop(&b);
  finish(&b);
}

/* ---- names ---- */

static char *long_name(size_t len, char last)
{
  char *s = g_malloc(len + 1);
  memset(s, 'n', len);
  s[len - 1] = last;
  s[len] = '\0';
  return s;
}

static void test_names(void)
{
  broker b = {.dir = data_parent()};
  start(&b, 0, NULL);
  int fd = tc_connect(b.port);
  reply r;
  reply_init(&r);

  /* Every legal length works and survives a restart. */
  char *names[] = {long_name(247, 'a'), long_name(248, 'b'), long_name(249, 'c'), long_name(249, 'd')};
  for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
    const rill__wire_create_topics_response_creatable_topic_result *t =
        create_topic(fd, rill__wire_str_from(names[i]), 3, FALSE, &r);
    g_assert_cmpint(t->error_code, ==, 0);
  }
  close(fd);
  stop(&b);
  start(&b, 0, NULL);
  fd = tc_connect(b.port);
  for (guint i = 0; i < G_N_ELEMENTS(names); i++)
    g_assert_cmpint(partitions_of(fd, names[i]), ==, 3);

  /* A NUL inside a name: refused, and nothing named after its first part. */
  static const char with_nul[] = {'a', 'b', '\0', 'c'};
  rill__wire_str nul = {with_nul, sizeof with_nul};
  const rill__wire_create_topics_response_creatable_topic_result *t = create_topic(fd, nul, 1, FALSE, &r);
  g_assert_cmpint(t->error_code, ==, RILL_KAFKA_ERR_INVALID_TOPIC_EXCEPTION);
  const rill__wire_metadata_response *m = metadata(fd, &nul, TRUE, &r);
  g_assert_cmpint(m->topics[0].error_code, ==, RILL_KAFKA_ERR_INVALID_TOPIC_EXCEPTION);
  g_assert_cmpint(partitions_of(fd, "ab"), ==, -RILL_KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION);

  /* Metadata of an invalid name: INVALID_TOPIC_EXCEPTION (17) whether or not
   * it may create; a valid unknown one without creation: 3. */
  rill__wire_str bad = rill__wire_str_from("no spaces!");
  g_assert_cmpint(metadata(fd, &bad, FALSE, &r)->topics[0].error_code, ==, RILL_KAFKA_ERR_INVALID_TOPIC_EXCEPTION);
  g_assert_cmpint(metadata(fd, &bad, TRUE, &r)->topics[0].error_code, ==, RILL_KAFKA_ERR_INVALID_TOPIC_EXCEPTION);
  g_autofree char *too_long = long_name(250, 'x');
  rill__wire_str tl = rill__wire_str_from(too_long);
  g_assert_cmpint(metadata(fd, &tl, FALSE, &r)->topics[0].error_code, ==, RILL_KAFKA_ERR_INVALID_TOPIC_EXCEPTION);
  rill__wire_str unknown = rill__wire_str_from("fine-but-absent");
  g_assert_cmpint(metadata(fd, &unknown, FALSE, &r)->topics[0].error_code, ==,
                  RILL_KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION);

  /* A storage failure (a file where a partition directory must go) is
   * reported without the server's paths. */
  g_autofree char *blocker = g_build_filename(b.dir, "data", "blocked-0", NULL);
  g_assert_true(g_file_set_contents(blocker, "", 0, NULL));
  t = create_topic(fd, rill__wire_str_from("blocked"), 1, FALSE, &r);
  g_assert_cmpint(t->error_code, ==, RILL_KAFKA_ERR_KAFKA_STORAGE_ERROR);
  g_assert_cmpint(t->error_message.len, >, 0);
  g_assert_false(msg_has(t->error_message, b.dir));
  g_assert_false(msg_has(t->error_message, "/"));
  g_autofree char *events = NULL;
  g_assert_true(g_file_get_contents(b.log_path, &events, NULL, NULL));
  g_assert_nonnull(strstr(events, "event=storage_error")); /* the details stay server-side */
  g_assert_nonnull(strstr(events, blocker));

  reply_clear(&r);
  close(fd);
  stop(&b);
  for (guint i = 0; i < G_N_ELEMENTS(names); i++)
    g_free(names[i]);
  finish(&b);
}

/* ---- many partitions ---- */

#define WIDE 3000
#define NOFILE 256

static int count_fds(GSubprocess *p)
{
  g_autofree char *path = g_strdup_printf("/proc/%s/fd", g_subprocess_get_identifier(p));
  g_autoptr(GDir) d = g_dir_open(path, 0, NULL);
  g_assert_nonnull(d);
  int n = 0;
  while (g_dir_read_name(d))
    n++;
  return n;
}

static void test_many_partitions(void)
{
  broker b = {.dir = data_parent()};
  start(&b, NOFILE, NULL);
  int a = tc_connect(b.port), other = tc_connect(b.port);
  struct timeval tv = {.tv_sec = 120};
  setsockopt(a, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  reply r;
  reply_init(&r);

  /* While the topic is being made, the other connection is served: its
   * answer comes while CreateTopics' has not. */
  send_create(a, 21, rill__wire_str_from("wide"), WIDE, FALSE);
  rill__wire_str name = rill__wire_str_from("wide");
  const rill__wire_metadata_response *m = metadata(other, &name, FALSE, &r);
  g_assert_cmpint(m->topics[0].error_code, ==, RILL_KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION);
  struct pollfd pf = {.fd = a, .events = POLLIN};
  g_assert_cmpint(poll(&pf, 1, 0), ==, 0);
  const rill__wire_create_topics_response_creatable_topic_result *t = recv_create(a, 21, &r);
  g_assert_cmpint(t->error_code, ==, 0);
  g_assert_cmpint(partitions_of(other, "wide"), ==, WIDE);
  g_assert_cmpint(count_fds(b.proc), <, NOFILE);
  close(a);
  close(other);
  stop(&b);

  /* It restarts under the same limit, every partition there. */
  start(&b, NOFILE, NULL);
  other = tc_connect(b.port);
  g_assert_cmpint(partitions_of(other, "wide"), ==, WIDE);
  g_assert_cmpint(count_fds(b.proc), <, NOFILE);
  reply_clear(&r);
  close(other);
  stop(&b);
  finish(&b);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/broker-topics/limits", test_limits);
  g_test_add_func("/broker-topics/names", test_names);
  g_test_add_func("/broker-topics/many-partitions", test_many_partitions);
  return g_test_run();
}
