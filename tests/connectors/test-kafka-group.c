/* test-kafka-group.c — the Kafka source in consumer-group mode.
 *
 * Against a real rill-broker process: two pipeline instances in one group
 * split the partitions; when one drains and exits the other takes over
 * every partition with nothing lost and nothing read twice (the leaver
 * commits what it processed before LeaveGroup, the stayer commits before
 * it rejoins); a new instance resumes exactly after the committed offsets;
 * a cancelled member's successor re-reads nothing the periodic commits
 * covered; a member keeps its session through polls slower than the
 * session timeout (heartbeat thread) and leaves past max.poll.interval.ms;
 * a '^' subscription follows matching topics, also ones created later.
 *
 * The sink's dead-letter output: records the broker refuses for good
 * (MESSAGE_TOO_LARGE) go there, with idempotence on, and the rest of the
 * partition's records still arrive exactly once; without one the pipeline
 * fails.
 *
 * Interop against rill-broker: what our sink wrote is read by kcat and
 * python3-confluent-kafka, what they wrote is read by our group source, and
 * our source shares a group with a confluent-kafka consumer (either may
 * lead and run the assignor: ConsumerProtocol encodings must agree).
 *
 * Against librdkafka's mock cluster (3 brokers): a group of two members
 * reads a topic written by our idempotent sink (through an outage of one
 * broker) while partition leaders move, lives through an outage of the
 * group's coordinator and reads on: nothing lost. */
#include "kafka-mock.h"
#include "tests/broker/broker-proc.h"

#include "connectors/kafka/admin.h"
#include "connectors/kafka/consumer-group.h"

/* ---- an instance: kafka source (group) -> collecting sink ---------------- */

typedef struct {
  GMutex lock;
  GPtrArray *values;  /* "value" strings in arrival order */
  GHashTable *parts;  /* partitions seen (GINT_TO_POINTER(p + 1)) */
} collected;

static rill_flow collect_write(rill_ctx *ctx, void *state, const rill_batch *batch)
{
  collected *c = state;
  g_mutex_lock(&c->lock);
  const rill_record *r = rill_batch_records(batch);
  for (size_t i = 0; i < rill_batch_len(batch); i++) {
    g_ptr_array_add(c->values, g_strndup((const char *)r[i].value.data, r[i].value.len));
    g_hash_table_add(c->parts, GINT_TO_POINTER(r[i].partition + 1));
  }
  g_mutex_unlock(&c->lock);
  return RILL_FLOW_OK;
}

static gboolean collect_open(rill_ctx *ctx, void *user_data, void **state, GError **error)
{
  *state = user_data;
  return TRUE;
}

static const rill_sink_class collect_class = {.type_name = "collect", .open = collect_open, .write = collect_write};

typedef struct {
  rill_pipeline *p;
  collected c;
} instance;

static instance *instance_start(rill_kafka_conf *conf, const char *topic, guint parallelism)
{
  instance *in = g_new0(instance, 1);
  g_mutex_init(&in->c.lock);
  in->c.values = g_ptr_array_new_with_free_func(g_free);
  in->c.parts = g_hash_table_new(NULL, NULL);
  in->p = rill_pipeline_new("group");
  rill_pipeline_set_parallelism(in->p, parallelism);
  GError *error = NULL;
  rill_kafka_source_options o = {.topic = topic, .conf = conf, .from = RILL_KAFKA_FROM_EARLIEST};
  rill_stage *s = rill_pipeline_add_kafka_source(in->p, "kafka", &o, &error);
  g_assert_no_error(error);
  rill_pipeline_add_sink(in->p, "collect", s, &collect_class, &in->c, NULL);
  g_assert_true(rill_pipeline_start(in->p, &error));
  g_assert_no_error(error);
  return in;
}

static guint instance_count(instance *in)
{
  g_mutex_lock(&in->c.lock);
  guint n = in->c.values->len;
  g_mutex_unlock(&in->c.lock);
  return n;
}

/* Drains and waits for the end. */
static void instance_stop(instance *in)
{
  GError *error = NULL;
  rill_pipeline_stop(in->p, TRUE);
  g_assert_true(rill_pipeline_wait(in->p, &error));
  g_assert_no_error(error);
}

static void instance_free(instance *in)
{
  rill_pipeline_unref(in->p);
  g_ptr_array_unref(in->c.values);
  g_hash_table_unref(in->c.parts);
  g_mutex_clear(&in->c.lock);
  g_free(in);
}

/* Waits until @pred(@a, @b) or fails after a generous bound. */
static void wait_for(gboolean (*pred)(gpointer, gpointer), gpointer a, gpointer b, const char *what)
{
  for (int i = 0; i < 6000; i++) {
    if (pred(a, b))
      return;
    g_usleep(10000);
  }
  g_error("gave up waiting for %s", what);
}

/* ---- helpers on the broker side ------------------------------------------ */

static void produce(rill_kafka_conf *conf, const char *topic, int from, int to)
{
  gen_source g = {to, "v", from};
  rill_pipeline *p = rill_pipeline_new("produce");
  rill_stage *s = rill_pipeline_add_source(p, "gen", &gen_source_class, &g, NULL);
  rill_kafka_sink_options so = {.topic = topic, .conf = conf};
  GError *error = NULL;
  rill_pipeline_add_kafka_sink(p, "sink", s, &so, &error);
  g_assert_no_error(error);
  gboolean ok = rill_pipeline_run(p, &error);
  g_assert_no_error(error);
  g_assert_true(ok);
  rill_pipeline_unref(p);
}

typedef struct {
  rill__kclient *client;
  const char *group;
  int members;
} group_probe;

/* TRUE when the group is Stable with exactly probe->members members. */
static gboolean group_stable(gpointer data, gpointer unused)
{
  group_probe *g = data;
  GError *e = NULL;
  int32_t coord = rill__kadmin_find_coordinator(g->client, g->group, &e);
  if (coord < 0) {
    g_clear_error(&e);
    return FALSE;
  }
  rill__kreq *r = rill__kadmin_describe_group(g->client, coord, g->group, &e);
  if (!r) {
    g_clear_error(&e);
    return FALSE;
  }
  const rill__wire_describe_groups_response_described_group *d = &r->resp.describe_groups.groups[0];
  gboolean ok = d->n_members == g->members && rill__wire_str_eq(d->group_state, "Stable");
  rill__kreq_free(r);
  return ok;
}

static gboolean count_at_least(gpointer in, gpointer n)
{
  return instance_count(in) >= GPOINTER_TO_UINT(n);
}

/* Distinct values received (duplicates after a rebalance count once). */
static guint instance_unique(instance *in)
{
  g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
  g_mutex_lock(&in->c.lock);
  for (guint i = 0; i < in->c.values->len; i++)
    g_hash_table_add(seen, in->c.values->pdata[i]);
  g_mutex_unlock(&in->c.lock);
  return g_hash_table_size(seen);
}

static gboolean unique_at_least(gpointer in, gpointer n)
{
  return instance_unique(in) >= GPOINTER_TO_UINT(n);
}

static gboolean sum_at_least(gpointer pair, gpointer n)
{
  instance **ins = pair;
  return instance_count(ins[0]) + instance_count(ins[1]) >= GPOINTER_TO_UINT(n);
}

/* Counts every "v<i>" for i in [from, to) in @a and @b: each must appear;
 * returns how many extra (duplicate) copies there were. */
static guint check_all_there(instance *a, instance *b, int from, int to)
{
  g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
  guint dups = 0;
  instance *ins[] = {a, b};
  for (int k = 0; k < 2; k++)
    for (guint i = 0; ins[k] && i < ins[k]->c.values->len; i++) {
      char *v = ins[k]->c.values->pdata[i];
      if (g_hash_table_contains(seen, v))
        dups++;
      g_hash_table_add(seen, v);
    }
  for (int i = from; i < to; i++) {
    g_autofree char *want = g_strdup_printf("v%d", i);
    if (!g_hash_table_contains(seen, want))
      g_error("record %s lost", want);
  }
  return dups;
}

/* Groups form at once (no initial rebalance delay): more rebalances, faster tests. */
static const char *const fast_groups[] = {"--set", "group.initial.rebalance.delay.ms=0", NULL};

static rill_kafka_conf *group_conf(const char *bootstrap, const char *group, const char *strategy)
{
  rill_kafka_conf *conf = rill_kafka_conf_new();
  const char *kv[] = {"bootstrap.servers", bootstrap, "group.id", group, "fetch.wait.max.ms", "20",
                      "heartbeat.interval.ms", "100", "session.timeout.ms", "6000", "auto.commit.interval.ms", "200",
                      "partition.assignment.strategy", strategy, "max.partition.fetch.bytes", "3000",
                      "linger.ms", "1", NULL};
  for (guint i = 0; kv[i]; i += 2) {
    GError *e = NULL;
    g_assert_true(rill_kafka_conf_set(conf, kv[i], kv[i + 1], &e));
    g_assert_no_error(e);
  }
  return conf;
}

/* An admin client on @conf, for creating topics and probing groups. */
static rill__kclient *admin_client(rill_kafka_conf *conf)
{
  GError *e = NULL;
  rill__kclient *client = rill__kclient_new(conf, &e);
  g_assert_no_error(e);
  return client;
}

static void create_topic(rill__kclient *client, const char *topic, int32_t partitions)
{
  GError *e = NULL;
  g_assert_true(rill__kadmin_create_topic(client, topic, partitions, -1, NULL, &e));
  g_assert_no_error(e);
}

/* Two instances split, one leaves, the other takes over; a restart resumes
 * exactly after the committed offsets. */
G_GNUC_UNUSED static void test_split_takeover_resume(gconstpointer data)
{
  const char *strategy = data;
  broker_proc b = {0};
  broker_proc_start(&b, fast_groups);
  g_autofree char *group = g_strdup_printf("g-%s", strategy);
  rill_kafka_conf *conf = group_conf(b.bootstrap, group, strategy);
  rill__kclient *client = admin_client(conf);
  create_topic(client, "t", 4);

  instance *a = instance_start(conf, "t", 1), *c = instance_start(conf, "t", 1);
  group_probe probe = {client, group, 2};
  wait_for(group_stable, &probe, NULL, "a group of two");
  produce(conf, "t", 0, 1000);
  instance *pair[] = {a, c};
  wait_for(sum_at_least, pair, GUINT_TO_POINTER(1000), "the first 1000 records");
  /* each member read its own partitions */
  g_assert_cmpuint(g_hash_table_size(a->c.parts), ==, 2);
  g_assert_cmpuint(g_hash_table_size(c->c.parts), ==, 2);
  GHashTableIter it;
  gpointer p;
  g_hash_table_iter_init(&it, a->c.parts);
  while (g_hash_table_iter_next(&it, &p, NULL))
    g_assert_false(g_hash_table_contains(c->c.parts, p));
  g_assert_cmpuint(check_all_there(a, c, 0, 1000), ==, 0);

  /* a leaves; c takes over every partition */
  instance_stop(a);
  produce(conf, "t", 1000, 2000);
  wait_for(sum_at_least, pair, GUINT_TO_POINTER(2000), "the takeover");
  probe.members = 1;
  wait_for(group_stable, &probe, NULL, "a group of one");
  instance_stop(c);
  g_assert_cmpuint(g_hash_table_size(c->c.parts), ==, 4);
  guint dups = check_all_there(a, c, 0, 2000);
  g_test_message("duplicates after takeover: %u", dups);
  g_assert_cmpuint(dups, ==, 0); /* clean exits commit everything processed */
  g_assert_cmpuint(instance_count(a) + instance_count(c), ==, 2000);

  /* a new instance resumes exactly after the committed offsets */
  instance *d = instance_start(conf, "t", 2);
  probe.members = 2; /* two tasks: two members */
  wait_for(group_stable, &probe, NULL, "the restarted group");
  produce(conf, "t", 2000, 2500);
  wait_for(count_at_least, d, GUINT_TO_POINTER(500), "the records after the restart");
  instance_stop(d);
  g_assert_cmpuint(instance_count(d), ==, 500);
  g_assert_cmpuint(check_all_there(d, NULL, 2000, 2500), ==, 0);

  instance_free(a);
  instance_free(c);
  instance_free(d);
  rill__kclient_free(client);
  rill_kafka_conf_free(conf);
  broker_proc_stop(&b);
}

/* ---- regex subscription -------------------------------------------------------- */

/* "^re-.*" reads re-a and re-b but not other; re-c, created later, is
 * picked up at the next metadata check. */
G_GNUC_UNUSED static void test_regex_subscription(void)
{
  broker_proc b = {0};
  broker_proc_start(&b, fast_groups);
  rill_kafka_conf *conf = group_conf(b.bootstrap, "rx", "roundrobin");
  GError *e = NULL;
  g_assert_true(rill_kafka_conf_set(conf, "metadata.max.age.ms", "500", &e));
  rill__kclient *client = admin_client(conf);
  const char *names[] = {"re-a", "re-b", "other", NULL};
  for (guint i = 0; names[i]; i++)
    create_topic(client, names[i], 2);
  produce(conf, "re-a", 0, 100);
  produce(conf, "re-b", 100, 200);
  produce(conf, "other", 1000, 1100);
  instance *in = instance_start(conf, "^re-.*", 1);
  wait_for(count_at_least, in, GUINT_TO_POINTER(200), "the records of re-a and re-b");
  create_topic(client, "re-c", 1);
  produce(conf, "re-c", 200, 250);
  wait_for(count_at_least, in, GUINT_TO_POINTER(250), "the records of re-c");
  instance_stop(in);
  g_assert_cmpuint(check_all_there(in, NULL, 0, 250), ==, 0);
  g_assert_cmpuint(instance_count(in), ==, 250); /* nothing of "other" */
  instance_free(in);
  rill__kclient_free(client);
  rill_kafka_conf_free(conf);
  broker_proc_stop(&b);
}

/* ---- interop ----------------------------------------------------------------- */

static int cmp_str_ptr(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Asserts that the lines of @text are exactly "<prefix_k><i>=<prefix_v><i>"
 * for i < n, in any order. */
static void assert_kv_lines(const char *text, const char *pk, const char *pv, int n)
{
  g_auto(GStrv) got = g_strsplit(text, "\n", -1);
  guint len = g_strv_length(got);
  if (len > 0 && !*got[len - 1])
    len--;
  qsort(got, len, sizeof(char *), cmp_str_ptr);
  GPtrArray *want = g_ptr_array_new_with_free_func(g_free);
  for (int i = 0; i < n; i++)
    g_ptr_array_add(want, g_strdup_printf("%s%d=%s%d", pk, i, pv, i));
  qsort(want->pdata, want->len, sizeof(char *), cmp_str_ptr);
  g_assert_cmpuint(len, ==, (guint)n);
  for (guint i = 0; i < len; i++)
    g_assert_cmpstr(got[i], ==, want->pdata[i]);
  g_ptr_array_unref(want);
}

static const char py_read_all[] =
  "import sys\n"
  "from confluent_kafka import Consumer, TopicPartition\n"
  "c = Consumer({'bootstrap.servers': sys.argv[1], 'group.id': 'py-reader', 'enable.auto.commit': False})\n"
  "c.assign([TopicPartition(sys.argv[2], p, 0) for p in range(int(sys.argv[3]))])\n"
  "got = 0\n"
  "while got < int(sys.argv[4]):\n"
  "    m = c.poll(1.0)\n"
  "    if m is None or m.error():\n"
  "        continue\n"
  "    got += 1\n"
  "    print('%s=%s' % (m.key().decode(), m.value().decode()))\n"
  "c.close()\n";

static const char py_produce[] =
  "import sys\n"
  "from confluent_kafka import Producer\n"
  "p = Producer({'bootstrap.servers': sys.argv[1], 'compression.codec': 'lz4', 'enable.idempotence': True})\n"
  "for i in range(int(sys.argv[3])):\n"
  "    p.produce(sys.argv[2], key='pk%d' % i, value='pv%d' % i, headers=[('h', b'x')])\n"
  "assert p.flush(30) == 0\n";

/* A group member that prints "partition value" lines and leaves once it has
 * read something and then nothing for 3 s. */
static const char py_member[] =
  "import sys, time\n"
  "from confluent_kafka import Consumer\n"
  "c = Consumer({'bootstrap.servers': sys.argv[1], 'group.id': sys.argv[2], 'auto.offset.reset': 'earliest',\n"
  "              'partition.assignment.strategy': sys.argv[4], 'auto.commit.interval.ms': 100,\n"
  "              'session.timeout.ms': 6000, 'heartbeat.interval.ms': 100})\n"
  "c.subscribe([sys.argv[3]])\n"
  "got = 0\n"
  "last = start = time.time()\n"
  "while time.time() - start < 90:\n"
  "    m = c.poll(0.2)\n"
  "    if m is None or m.error():\n"
  "        if got and time.time() - last > 3:\n"
  "            break\n"
  "        continue\n"
  "    got += 1\n"
  "    last = time.time()\n"
  "    print('%d %s' % (m.partition(), m.value().decode()), flush=True)\n"
  "c.close()\n";

G_GNUC_UNUSED static void test_interop(void)
{
  broker_proc b = {0};
  broker_proc_start(&b, fast_groups);
  rill_kafka_conf *conf = group_conf(b.bootstrap, "interop", "range");
  rill__kclient *client = admin_client(conf);
  create_topic(client, "ours", 3);
  create_topic(client, "theirs", 3);

  /* our sink -> kcat, confluent-kafka */
  GError *ce = NULL;
  g_assert_true(rill_kafka_conf_set(conf, "compression.codec", "zstd", &ce));
  produce(conf, "ours", 0, 300);
  const char *kcat[] = {"kcat", "-b", b.bootstrap, "-C", "-t", "ours", "-e", "-q", "-f", "%k=%s\\n", NULL};
  g_autofree char *kout = run_tool(kcat, NULL);
  assert_kv_lines(kout, "k", "v", 300);
  const char *py[] = {"/usr/bin/python3", "-c", py_read_all, b.bootstrap, "ours", "3", "300", NULL};
  g_autofree char *pout = run_tool(py, NULL);
  assert_kv_lines(pout, "k", "v", 300);

  /* confluent-kafka and kcat -> our group source */
  const char *pp[] = {"/usr/bin/python3", "-c", py_produce, b.bootstrap, "theirs", "300", NULL};
  g_free(run_tool(pp, NULL));
  GString *lines = g_string_new(NULL);
  for (int i = 300; i < 400; i++)
    g_string_append_printf(lines, "pv%d\n", i);
  const char *kp[] = {"kcat", "-b", b.bootstrap, "-P", "-t", "theirs", "-z", "gzip", NULL};
  g_free(run_tool(kp, lines->str));
  g_string_free(lines, TRUE);
  instance *in = instance_start(conf, "theirs", 1);
  wait_for(count_at_least, in, GUINT_TO_POINTER(400), "the records of kcat and confluent-kafka");
  instance_stop(in);
  g_assert_cmpuint(instance_count(in), ==, 400);
  g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
  for (guint i = 0; i < in->c.values->len; i++)
    g_hash_table_add(seen, in->c.values->pdata[i]);
  for (int i = 0; i < 400; i++) {
    g_autofree char *want = g_strdup_printf("pv%d", i);
    g_assert_true(g_hash_table_contains(seen, want));
  }
  instance_free(in);

  rill__kclient_free(client);
  rill_kafka_conf_free(conf);
  broker_proc_stop(&b);
}

/* One rill member and one confluent-kafka member share a group. */
G_GNUC_UNUSED static void test_mixed_group(gconstpointer data)
{
  const char *strategy = data;
  broker_proc b = {0};
  broker_proc_start(&b, fast_groups);
  g_autofree char *group = g_strdup_printf("mixed-%s", strategy);
  rill_kafka_conf *conf = group_conf(b.bootstrap, group, strategy);
  GError *e = NULL;
  rill__kclient *client = admin_client(conf);
  create_topic(client, "mx", 4);
  const char *argv[] = {"/usr/bin/python3", "-c", py_member, b.bootstrap, group, "mx", strategy, NULL};
  GSubprocess *py = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE, &e);
  g_assert_no_error(e);
  instance *in = instance_start(conf, "mx", 1);
  group_probe probe = {client, group, 2};
  wait_for(group_stable, &probe, NULL, "a group of two");
  produce(conf, "mx", 0, 1000);
  char *out = NULL;
  g_assert_true(g_subprocess_communicate_utf8(py, NULL, NULL, &out, NULL, &e));
  g_assert_no_error(e);
  g_assert_true(g_subprocess_get_successful(py));
  g_object_unref(py);
  /* python has left (after reading its share): ours takes over the rest */
  g_auto(GStrv) plines = g_strsplit(out, "\n", -1);
  g_free(out);
  guint pn = g_strv_length(plines) - 1;
  g_assert_cmpuint(pn, >, 0);
  wait_for(count_at_least, in, GUINT_TO_POINTER(1000 - pn), "the rest of the records");
  instance_stop(in);
  g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
  g_autoptr(GHashTable) py_parts = g_hash_table_new(NULL, NULL);
  for (guint i = 0; i < pn; i++) {
    char *sp = strchr(plines[i], ' ');
    g_assert_nonnull(sp);
    g_hash_table_add(py_parts, GINT_TO_POINTER(atoi(plines[i]) + 1));
    g_assert_false(g_hash_table_contains(seen, sp + 1));
    g_hash_table_add(seen, sp + 1);
  }
  g_assert_cmpuint(g_hash_table_size(py_parts), ==, 2); /* an even split of 4 */
  for (guint i = 0; i < in->c.values->len; i++) {
    g_assert_false(g_hash_table_contains(seen, in->c.values->pdata[i]));
    g_hash_table_add(seen, in->c.values->pdata[i]);
  }
  g_assert_cmpuint(g_hash_table_size(seen), ==, 1000);
  instance_free(in);
  rill__kclient_free(client);
  rill_kafka_conf_free(conf);
  broker_proc_stop(&b);
}

typedef struct {
  rill__kclient *client;
  const char *group, *topic;
  int64_t want;
} commit_probe;

/* TRUE when the group's committed offsets of the topic sum to probe->want. */
static gboolean committed_sum(gpointer data, gpointer unused)
{
  commit_probe *c = data;
  GError *e = NULL;
  int32_t coord = rill__kadmin_find_coordinator(c->client, c->group, &e);
  GArray *offs = coord >= 0 ? rill__kadmin_offset_fetch(c->client, coord, c->group, c->topic, &e) : NULL;
  g_clear_error(&e);
  int64_t sum = 0;
  for (guint i = 0; offs && i < offs->len; i++)
    sum += MAX(g_array_index(offs, rill__koffset, i).offset, 0);
  if (offs)
    rill__koffsets_free(offs);
  return offs && sum == c->want;
}

/* A member whose pipeline is cancelled (stopped at once, no drain) commits
 * nothing more at close, but what it processed was committed by the
 * periodic auto-commit, so its successor re-reads nothing. */
G_GNUC_UNUSED static void test_cancel_takeover(void)
{
  broker_proc b = {0};
  broker_proc_start(&b, fast_groups);
  rill_kafka_conf *conf = group_conf(b.bootstrap, "crash", "range");
  GError *e = NULL;
  rill__kclient *client = admin_client(conf);
  create_topic(client, "t", 4);
  instance *a = instance_start(conf, "t", 1), *c = instance_start(conf, "t", 1);
  group_probe probe = {client, "crash", 2};
  wait_for(group_stable, &probe, NULL, "a group of two");
  produce(conf, "t", 0, 1000);
  instance *pair[] = {a, c};
  wait_for(sum_at_least, pair, GUINT_TO_POINTER(1000), "the first 1000 records");
  commit_probe cp = {client, "crash", "t", 1000};
  wait_for(committed_sum, &cp, NULL, "the periodic commits");
  rill_pipeline_stop(a->p, FALSE); /* at once: no drain, no commit at close */
  g_assert_false(rill_pipeline_wait(a->p, &e));
  g_clear_error(&e);
  produce(conf, "t", 1000, 2000);
  wait_for(sum_at_least, pair, GUINT_TO_POINTER(2000), "the takeover");
  instance_stop(c);
  g_assert_cmpuint(check_all_there(a, c, 0, 2000), ==, 0);
  instance_free(a);
  instance_free(c);
  rill__kclient_free(client);
  rill_kafka_conf_free(conf);
  broker_proc_stop(&b);
}

/* ---- the member alone: heartbeats and max.poll.interval.ms ----------------- */

static rill__kmember_event poll_until(rill__kmember *m, rill__kmember_event want, GArray **a)
{
  for (int i = 0; i < 6000; i++) {
    GError *e = NULL;
    rill__kmember_event ev = rill__kmember_poll(m, a, &e);
    g_assert_no_error(e);
    if (ev == want)
      return ev;
    if (ev == RILL__KMEMBER_REVOKE)
      rill__kmember_revoked(m);
    g_usleep(10000);
  }
  g_error("no poll event %d", want);
}

static gboolean group_empty(gpointer data, gpointer unused)
{
  group_probe *g = data;
  GError *e = NULL;
  int32_t coord = rill__kadmin_find_coordinator(g->client, g->group, &e);
  g_clear_error(&e);
  rill__kreq *r = coord >= 0 ? rill__kadmin_describe_group(g->client, coord, g->group, &e) : NULL;
  g_clear_error(&e);
  gboolean empty = r && r->resp.describe_groups.groups[0].n_members == 0;
  rill__kreq_free(r);
  return empty;
}

/* A consumer that does not poll for longer than the session timeout keeps
 * its membership (heartbeats run on the member's thread); one that does not
 * poll for max.poll.interval.ms leaves, and rejoins on its next poll. */
G_GNUC_UNUSED static void test_member_poll_interval(void)
{
  broker_proc b = {0};
  const char *args[] = {"--set", "group.min.session.timeout.ms=1000", "--set", "group.initial.rebalance.delay.ms=0",
                        NULL};
  broker_proc_start(&b, args);
  rill_kafka_conf *conf = group_conf(b.bootstrap, "slow", "range");
  GError *e = NULL;
  g_assert_true(rill_kafka_conf_set(conf, "max.poll.interval.ms", "5000", &e));
  g_assert_true(rill_kafka_conf_set(conf, "session.timeout.ms", "2000", &e));
  rill__kclient *client = admin_client(conf);
  create_topic(client, "s", 2);
  const char *topics[] = {"s", NULL};
  rill__kmember *m = rill__kmember_new(client, "slow", topics, &e);
  g_assert_no_error(e);
  GArray *a = NULL;
  poll_until(m, RILL__KMEMBER_ASSIGN, &a);
  g_assert_cmpuint(a->len, ==, 2);
  rill__koffsets_free(a);
  int32_t gen = rill__kmember_generation(m, NULL);
  g_usleep(3500 * 1000); /* longer than session.timeout.ms, no poll */
  GArray *none = NULL;
  g_assert_cmpint(rill__kmember_poll(m, &none, &e), ==, RILL__KMEMBER_IDLE);
  g_assert_no_error(e);
  g_assert_cmpint(rill__kmember_generation(m, NULL), ==, gen);
  group_probe probe = {client, "slow", 1};
  g_assert_true(group_stable(&probe, NULL));
  /* now stop polling for good: past max.poll.interval.ms the member leaves */
  g_test_expect_message("rill", G_LOG_LEVEL_WARNING, "*no poll for max.poll.interval.ms*leaving the group");
  wait_for(group_empty, &probe, NULL, "the member to leave");
  g_test_assert_expected_messages();
  poll_until(m, RILL__KMEMBER_ASSIGN, &a); /* revokes, then rejoins */
  g_assert_cmpuint(a->len, ==, 2);
  rill__koffsets_free(a);
  g_assert_cmpint(rill__kmember_generation(m, NULL), >, gen);
  rill__kmember_free(m);
  rill__kclient_free(client);
  rill_kafka_conf_free(conf);
  broker_proc_stop(&b);
}

/* ---- sink dead letters ------------------------------------------------------ */

/* 300 records "k<i>"; every 10th value is 3000 bytes ("B<i>xxx..."), the
 * others "v<i>". */
static rill_flow mixed_read(rill_ctx *ctx, void *state, rill_emitter *out)
{
  static char big[3100];
  for (int i = 0; i < 300; i++) {
    char k[32], v[32];
    g_snprintf(k, sizeof k, "k%d", i);
    rill_record r = RILL_RECORD_INIT;
    r.key = rill_bytes_from_string(k);
    if (i % 10 == 0) {
      memset(big, 'x', 3000);
      int n = g_snprintf(big, sizeof big, "B%d", i);
      big[n] = 'x';
      big[3000] = 0;
      r.value = rill_bytes_from_string(big);
    } else {
      g_snprintf(v, sizeof v, "v%d", i);
      r.value = rill_bytes_from_string(v);
    }
    if (rill_emit_record(out, &r) != RILL_FLOW_OK)
      return RILL_FLOW_ERROR;
  }
  return RILL_FLOW_EOS;
}

static const rill_source_class mixed_source_class = {.type_name = "mixed", .open = gen_open, .read = mixed_read};

static gboolean run_mixed(rill_kafka_conf *conf, rill_dead_letter *dl, GError **error)
{
  rill_pipeline *p = rill_pipeline_new("dead-letters");
  rill_stage *s = rill_pipeline_add_source(p, "mixed", &mixed_source_class, NULL, NULL);
  rill_kafka_sink_options so = {.topic = "small", .conf = conf, .dead_letter = dl};
  g_assert_nonnull(rill_pipeline_add_kafka_sink(p, "sink", s, &so, error));
  gboolean ok = rill_pipeline_run(p, error);
  rill_pipeline_unref(p);
  return ok;
}

G_GNUC_UNUSED static void test_sink_dead_letters(void)
{
  broker_proc b = {0};
  broker_proc_start(&b, fast_groups);
  rill_kafka_conf *conf = group_conf(b.bootstrap, "unused", "range");
  GError *e = NULL;
  g_assert_true(rill_kafka_conf_set(conf, "enable.idempotence", "true", &e));
  g_assert_true(rill_kafka_conf_set(conf, "linger.ms", "2", &e));
  g_assert_true(rill_kafka_conf_set(conf, "batch.size", "400", &e));
  rill__kclient *client = admin_client(conf);
  const char *configs[] = {"max.message.bytes=1500", NULL};
  g_assert_true(rill__kadmin_create_topic(client, "small", 2, -1, configs, &e));
  g_assert_no_error(e);

  /* without a dead-letter output the refusal fails the pipeline */
  g_assert_false(run_mixed(conf, NULL, &e));
  g_assert_nonnull(e);
  g_assert_nonnull(strstr(e->message, "MESSAGE_TOO_LARGE"));
  g_clear_error(&e);
  g_assert_true(rill__kadmin_delete_topic(client, "small", &e));
  g_assert_no_error(e);
  for (int i = 0; i < 500 && !rill__kadmin_create_topic(client, "small", 2, -1, configs, &e); i++) {
    g_clear_error(&e); /* the deletion may take a moment */
    g_usleep(10000);
  }
  g_assert_no_error(e);

  collected dead = {0};
  g_mutex_init(&dead.lock);
  dead.values = g_ptr_array_new_with_free_func(g_free);
  dead.parts = g_hash_table_new(NULL, NULL);
  rill_dead_letter *dl = rill_dead_letter_new(&collect_class, &dead, NULL);
  rill_dead_letter_set_format(dl, RILL_DEAD_LETTER_RAW);
  g_assert_true(run_mixed(conf, dl, &e));
  g_assert_no_error(e);
  g_assert_cmpuint(rill_dead_letter_count(dl), ==, dead.values->len);
  rill_dead_letter_unref(dl);

  /* read the topic back (manual assignment, to its end) */
  instance *in = g_new0(instance, 1);
  g_mutex_init(&in->c.lock);
  in->c.values = g_ptr_array_new_with_free_func(g_free);
  in->c.parts = g_hash_table_new(NULL, NULL);
  rill_kafka_conf *mconf = rill_kafka_conf_copy(conf);
  g_assert_true(rill_kafka_conf_set(mconf, "group.id", "", &e));
  in->p = rill_pipeline_new("read");
  rill_kafka_source_options o = {.topic = "small", .conf = mconf, .from = RILL_KAFKA_FROM_EARLIEST,
                                 .stop_at_end = TRUE};
  rill_stage *src = rill_pipeline_add_kafka_source(in->p, "kafka", &o, &e);
  g_assert_no_error(e);
  rill_pipeline_add_sink(in->p, "collect", src, &collect_class, &in->c, NULL);
  g_assert_true(rill_pipeline_run(in->p, &e));
  g_assert_no_error(e);

  /* each record exactly once, in the topic or dead; every big one dead */
  g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
  for (guint i = 0; i < in->c.values->len; i++) {
    const char *v = in->c.values->pdata[i];
    g_assert_true(v[0] == 'v');
    g_assert_false(g_hash_table_contains(seen, v));
    g_hash_table_add(seen, (char *)v);
  }
  guint big = 0;
  for (guint i = 0; i < dead.values->len; i++) {
    char *v = dead.values->pdata[i];
    if (v[0] == 'B') {
      big++;
      *strchr(v, 'x') = 0;
    }
    g_assert_false(g_hash_table_contains(seen, v));
    g_hash_table_add(seen, v);
  }
  g_assert_cmpuint(big, ==, 30);
  g_assert_cmpuint(g_hash_table_size(seen), ==, 300);
  g_test_message("dead letters: %u (%u big)", dead.values->len, big);

  instance_free(in);
  rill_kafka_conf_free(mconf);
  g_ptr_array_unref(dead.values);
  g_hash_table_unref(dead.parts);
  g_mutex_clear(&dead.lock);
  rill__kclient_free(client);
  rill_kafka_conf_free(conf);
  broker_proc_stop(&b);
}

/* ---- mock cluster: leaders move, a broker goes down ------------------------ */

typedef struct {
  kmock *m;
  volatile gint stop;
  volatile gint down; /* broker 3 is down: leaders stay on 1 and 2 */
  volatile gint outage; /* set: take broker 3 down for 1 s, then clear */
} chaos;

/* Moves the leaders of "mg" every 20 ms; on request, takes broker 3 (the
 * group's coordinator) down for one second. */
static gpointer chaos_thread(gpointer data)
{
  chaos *ch = data;
  int down_rounds = 0;
  for (int round = 0; !g_atomic_int_get(&ch->stop); round++) {
    if (g_atomic_int_get(&ch->outage) && !down_rounds) {
      g_atomic_int_set(&ch->down, 1);
      for (int p = 0; p < 4; p++)
        rd_kafka_mock_partition_set_leader(ch->m->mcluster, "mg", p, 1 + p % 2);
      rd_kafka_mock_broker_set_down(ch->m->mcluster, 3);
      down_rounds = 50;
    } else if (down_rounds && --down_rounds == 0) {
      rd_kafka_mock_broker_set_up(ch->m->mcluster, 3);
      g_atomic_int_set(&ch->down, 0);
      g_atomic_int_set(&ch->outage, 0);
    }
    gboolean down = g_atomic_int_get(&ch->down);
    for (int p = 0; p < 4; p++)
      rd_kafka_mock_partition_set_leader(ch->m->mcluster, "mg", p, down ? 1 + (p + round) % 2 : 1 + (p + round) % 3);
    g_usleep(20000);
  }
  rd_kafka_mock_broker_set_up(ch->m->mcluster, 3);
  return NULL;
}

/* gen_source that asks for an outage once 1000 records went out (the
 * producer is connected by then: a down bootstrap broker is another test). */
typedef struct {
  gen_source g;
  chaos *ch;
} outage_gen;

static rill_flow outage_gen_read(rill_ctx *ctx, void *state, rill_emitter *out)
{
  outage_gen *og = state;
  if (og->g.next >= 1000 && og->ch)
    g_atomic_int_set(&og->ch->outage, 1), og->ch = NULL;
  return gen_read(ctx, &og->g, out);
}

static const rill_source_class outage_gen_class = {.type_name = "gen", .open = gen_open, .read = outage_gen_read};

static gboolean outage_over(gpointer data, gpointer unused)
{
  return !g_atomic_int_get(&((chaos *)data)->outage);
}

G_GNUC_UNUSED static void test_mock_chaos(void)
{
  kmock *m = kmock_new(3);
  rd_kafka_mock_topic_create(m->mcluster, "mg", 4, 3);
  /* the broker that goes down coordinates the group */
  rd_kafka_mock_coordinator_set(m->mcluster, "group", "mg", 3);
  rill_kafka_conf *conf = kmock_conf(m, "fetch.wait.max.ms", "20", "compression.codec", "lz4", "enable.idempotence",
                                     "true", "retry.backoff.ms", "10", "max.partition.fetch.bytes", "2000",
                                     "group.id", "mg", "heartbeat.interval.ms", "100", "session.timeout.ms", "6000",
                                     "auto.commit.interval.ms", "100",
                                     /* a down mock broker may leave connections silent: time them out soon */
                                     "request.timeout.ms", "2000", "max.poll.interval.ms", "8000", NULL);
  chaos ch = {m, 0, 0, 0};
  GThread *t = g_thread_new("chaos", chaos_thread, &ch);
  /* an outage of broker 3 while producing */
  outage_gen og = {{3000, "v", 0}, &ch};
  rill_pipeline *p = rill_pipeline_new("produce");
  rill_stage *s = rill_pipeline_add_source(p, "gen", &outage_gen_class, &og, NULL);
  rill_kafka_sink_options so = {.topic = "mg", .conf = conf};
  GError *error = NULL;
  rill_pipeline_add_kafka_sink(p, "sink", s, &so, &error);
  g_assert_no_error(error);
  gboolean ok = rill_pipeline_run(p, &error);
  g_assert_no_error(error);
  g_assert_true(ok);
  rill_pipeline_unref(p);
  g_assert_null(og.ch); /* the outage was asked for */
  wait_for(outage_over, &ch, NULL, "the first outage");
  /* the idempotent sink wrote each record exactly once despite retries */
  g_autoptr(GPtrArray) written = kmock_consume_all(m, "mg", 4, 3000);
  assert_exactly_once(written, "v", 3000);
  /* two group members (two tasks) read it all back while leaders move */
  instance *in = instance_start(conf, "mg", 2);
  wait_for(unique_at_least, in, GUINT_TO_POINTER(3000), "the records");
  /* the members live through an outage of the coordinator... */
  g_atomic_int_set(&ch.outage, 1);
  wait_for(outage_over, &ch, NULL, "the second outage");
  /* ...and still read what comes next */
  produce(conf, "mg", 3000, 4000);
  wait_for(unique_at_least, in, GUINT_TO_POINTER(4000), "the records after the outage");
  instance_stop(in);
  g_atomic_int_set(&ch.stop, 1);
  g_thread_join(t);
  guint dups = check_all_there(in, NULL, 0, 4000);
  g_test_message("duplicates: %u", dups);
  instance_free(in);
  rill_kafka_conf_free(conf);
  kmock_free(m);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
#ifdef KAFKA_GROUP_INTEROP /* a second test program: each stays well under a minute */
  g_test_add_func("/kafka/group/interop", test_interop);
  g_test_add_func("/kafka/group/regex", test_regex_subscription);
  g_test_add_data_func("/kafka/group/mixed/range", "range", test_mixed_group);
  g_test_add_data_func("/kafka/group/mixed/roundrobin", "roundrobin", test_mixed_group);
#else
  g_test_add_func("/kafka/group/mock-chaos", test_mock_chaos);
  g_test_add_func("/kafka/sink/dead-letters", test_sink_dead_letters);
  g_test_add_func("/kafka/group/member-poll-interval", test_member_poll_interval);
  g_test_add_func("/kafka/group/cancel-takeover", test_cancel_takeover);
  g_test_add_data_func("/kafka/group/split-takeover-resume/range", "range", test_split_takeover_resume);
  g_test_add_data_func("/kafka/group/split-takeover-resume/roundrobin", "roundrobin", test_split_takeover_resume);
#endif
  return g_test_run();
}
