/* test-group-coordinator.c — the group coordinator's state machine, driven
 * directly with a fake clock (no sockets, no sleeps): joins of one and three
 * members, leader election and protocol vote, followers' SyncGroups parked
 * until the leader's, rebalances on join / leave / session expiry /
 * rebalance timeout / missing SyncGroup, KIP-394 and static membership,
 * offsets and group metadata across a restart, list / describe / delete.
 */
#include "runtime/broker/group-coordinator.h"

#include <rill/kafka-error.h>
#include <rill/log.h>

#include <glib/gstdio.h>
#include <string.h>

#define SESSION 10000
#define REBALANCE 30000
#define DELAY 3000

typedef struct {
  char *dir;
  char *state_dir;
  rill_log *log;
  rill__group_coordinator *c;
  int64_t now;
  int wakeups;
} fixture;

static int64_t fake_clock(void *data) { return ((fixture *)data)->now; }
static void count_wakeup(int64_t deadline, void *data)
{
  fixture *f = data;
  g_assert_cmpint(deadline, >=, f->now);
  f->wakeups++;
}

static void open_coordinator(fixture *f, int32_t delay)
{
  f->log = rill_log_open(f->dir, NULL, NULL);
  g_assert_nonnull(f->log);
  rill__group_options o;
  rill__group_options_init(&o);
  o.log = f->log;
  o.state_dir = f->state_dir;
  o.clock = fake_clock;
  o.clock_data = f;
  o.wakeup = count_wakeup;
  o.wakeup_data = f;
  o.initial_rebalance_delay_ms = delay;
  g_autoptr(GError) error = NULL;
  f->c = rill__group_coordinator_open(&o, &error);
  g_assert_no_error(error);
}

static void close_coordinator(fixture *f)
{
  rill__group_coordinator_free(f->c);
  rill_log_close(f->log);
  f->c = NULL;
  f->log = NULL;
}

static void setup(fixture *f, int32_t delay)
{
  memset(f, 0, sizeof *f);
  f->dir = g_dir_make_tmp("rill-group-XXXXXX", NULL);
  f->state_dir = g_build_filename(f->dir, ".groups", NULL);
  f->now = 1000000;
  open_coordinator(f, delay);
  g_assert_true(rill_log_topic_create(f->log, "t", 3, NULL, NULL));
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

static void teardown(fixture *f)
{
  close_coordinator(f);
  rm_rf(f->dir);
  g_free(f->dir);
  g_free(f->state_dir);
}

/* ---- join / sync capture ---- */

typedef struct {
  bool done;
  int16_t error;
  int32_t generation;
  char *member_id;
  char *leader;
  char *protocol;
  GPtrArray *members; /* member ids the leader was given */
  GPtrArray *metadata; /* GBytes, parallel to members */
} join_cap;

static void on_join(const rill__group_join_result *r, void *data)
{
  join_cap *j = data;
  g_assert_false(j->done); /* exactly once */
  j->done = true;
  j->error = r->error_code;
  j->generation = r->generation_id;
  j->member_id = g_strdup(r->member_id);
  j->leader = g_strdup(r->leader_id);
  j->protocol = g_strdup(r->protocol_name);
  j->members = g_ptr_array_new_with_free_func(g_free);
  j->metadata = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
  for (guint i = 0; i < r->n_members; i++) {
    g_ptr_array_add(j->members, g_strdup(r->members[i].member_id));
    g_ptr_array_add(j->metadata, g_bytes_new(r->members[i].metadata, r->members[i].metadata_len));
  }
}

static void join_cap_clear(join_cap *j)
{
  g_free(j->member_id);
  g_free(j->leader);
  g_free(j->protocol);
  if (j->members)
    g_ptr_array_unref(j->members);
  if (j->metadata)
    g_ptr_array_unref(j->metadata);
  memset(j, 0, sizeof *j);
}

typedef struct {
  bool done;
  int16_t error;
  char *assignment;
} sync_cap;

static void on_sync(const rill__group_sync_result *r, void *data)
{
  sync_cap *s = data;
  g_assert_false(s->done);
  s->done = true;
  s->error = r->error_code;
  s->assignment = r->assignment_len ? g_strndup((const char *)r->assignment, r->assignment_len) : g_strdup("");
}

static void sync_cap_clear(sync_cap *s)
{
  g_free(s->assignment);
  memset(s, 0, sizeof *s);
}

static const rill__group_protocol range_only[] = {{"range", (const uint8_t *)"md-range", 8}};

static void join_with(fixture *f, const char *group, const char *member_id, const char *instance,
                      const rill__group_protocol *protos, guint n, bool v4, join_cap *out)
{
  g_autofree char *id = g_strdup(member_id); /* may point into @out */
  join_cap_clear(out);
  rill__group_join_request req = {
    .group_id = group,
    .member_id = id,
    .group_instance_id = instance,
    .client_id = "cli",
    .client_host = "/127.0.0.1",
    .session_timeout_ms = SESSION,
    .rebalance_timeout_ms = REBALANCE,
    .protocol_type = "consumer",
    .protocols = protos,
    .n_protocols = n,
    .require_known_member_id = v4,
  };
  rill__group_join(f->c, &req, on_join, out);
}

static void join(fixture *f, const char *member_id, join_cap *out)
{
  join_with(f, "g", member_id, NULL, range_only, 1, false, out);
}

static void sync_with(fixture *f, const char *member_id, int32_t gen, const rill__group_assignment *a, guint n,
                      sync_cap *out)
{
  sync_cap_clear(out);
  rill__group_sync_request req = {
    .group_id = "g",
    .generation_id = gen,
    .member_id = member_id,
    .assignments = a,
    .n_assignments = n,
  };
  rill__group_sync(f->c, &req, on_sync, out);
}

static void advance(fixture *f, int64_t ms)
{
  f->now += ms;
  rill__group_coordinator_tick(f->c);
}

static const char *state_of(fixture *f, const char *group)
{
  rill__group_description *d = rill__group_describe(f->c, group);
  const char *s = d->state;
  rill__group_description_free(d);
  return s;
}

static int16_t heartbeat(fixture *f, const char *member_id, int32_t gen)
{
  return rill__group_heartbeat(f->c, "g", gen, member_id, NULL);
}

/* Joins two dynamic members and syncs them to Stable (initial delay 0):
 * a is the leader, a gets "A", b gets "B". */
static void stable_pair(fixture *f, join_cap *a, join_cap *b)
{
  join(f, "", a);
  g_assert_true(a->done);
  g_assert_cmpint(a->error, ==, 0);
  g_assert_cmpint(a->generation, ==, 1);
  char *a_id = g_strdup(a->member_id);
  join(f, "", b);
  g_assert_false(b->done); /* the group rebalances: a must rejoin */
  g_assert_cmpstr(state_of(f, "g"), ==, "PreparingRebalance");
  join(f, a_id, a);
  g_free(a_id);
  g_assert_true(a->done && b->done);
  g_assert_cmpint(a->generation, ==, 2);
  g_assert_cmpint(b->generation, ==, 2);
  g_assert_cmpstr(a->leader, ==, a->member_id);
  g_assert_cmpstr(b->leader, ==, a->member_id);
  sync_cap sa = {0}, sb = {0};
  sync_with(f, b->member_id, 2, NULL, 0, &sb);
  g_assert_false(sb.done);
  rill__group_assignment as[] = {{a->member_id, (const uint8_t *)"A", 1}, {b->member_id, (const uint8_t *)"B", 1}};
  sync_with(f, a->member_id, 2, as, 2, &sa);
  g_assert_true(sa.done && sb.done);
  g_assert_cmpstr(sa.assignment, ==, "A");
  g_assert_cmpstr(sb.assignment, ==, "B");
  g_assert_cmpstr(state_of(f, "g"), ==, "Stable");
  sync_cap_clear(&sa);
  sync_cap_clear(&sb);
}

/* ---- tests ---- */

static void test_join_one_kip394(void)
{
  fixture f;
  setup(&f, DELAY);
  join_cap j = {0};
  join_with(&f, "g", "", NULL, range_only, 1, true, &j);
  g_assert_true(j.done);
  g_assert_cmpint(j.error, ==, RILL_KAFKA_ERR_MEMBER_ID_REQUIRED);
  g_assert_true(g_str_has_prefix(j.member_id, "cli-"));
  g_autofree char *id = g_strdup(j.member_id);

  join_with(&f, "g", id, NULL, range_only, 1, true, &j);
  g_assert_false(j.done); /* held for group.initial.rebalance.delay.ms */
  g_assert_cmpint(f.wakeups, >, 0);
  g_assert_cmpstr(state_of(&f, "g"), ==, "PreparingRebalance");
  advance(&f, DELAY - 1);
  g_assert_false(j.done);
  advance(&f, 1);
  g_assert_true(j.done);
  g_assert_cmpint(j.error, ==, 0);
  g_assert_cmpint(j.generation, ==, 1);
  g_assert_cmpstr(j.member_id, ==, id);
  g_assert_cmpstr(j.leader, ==, id);
  g_assert_cmpstr(j.protocol, ==, "range");
  g_assert_cmpuint(j.members->len, ==, 1);
  g_assert_cmpmem(g_bytes_get_data(j.metadata->pdata[0], NULL), 8, "md-range", 8);
  g_assert_cmpstr(state_of(&f, "g"), ==, "CompletingRebalance");

  /* An empty assignment is valid. */
  sync_cap s = {0};
  sync_with(&f, id, 1, NULL, 0, &s);
  g_assert_true(s.done);
  g_assert_cmpint(s.error, ==, 0);
  g_assert_cmpstr(s.assignment, ==, "");
  g_assert_cmpstr(state_of(&f, "g"), ==, "Stable");
  g_assert_cmpint(heartbeat(&f, id, 1), ==, 0);
  g_assert_cmpint(heartbeat(&f, id, 0), ==, RILL_KAFKA_ERR_ILLEGAL_GENERATION);
  g_assert_cmpint(heartbeat(&f, "nobody", 1), ==, RILL_KAFKA_ERR_UNKNOWN_MEMBER_ID);
  g_assert_cmpint(rill__group_heartbeat(f.c, "other", 1, id, NULL), ==, RILL_KAFKA_ERR_UNKNOWN_MEMBER_ID);
  g_assert_cmpint(rill__group_heartbeat(f.c, "", 1, id, NULL), ==, RILL_KAFKA_ERR_INVALID_GROUP_ID);

  /* The KIP-394 id of a member that never comes back expires quietly. */
  join_cap k = {0};
  join_with(&f, "g", "", NULL, range_only, 1, true, &k);
  g_assert_cmpint(k.error, ==, RILL_KAFKA_ERR_MEMBER_ID_REQUIRED);
  advance(&f, SESSION / 2);
  g_assert_cmpint(heartbeat(&f, id, 1), ==, 0);
  advance(&f, SESSION / 2 + 1);
  g_assert_cmpint(heartbeat(&f, id, 1), ==, 0);
  join_with(&f, "g", k.member_id, NULL, range_only, 1, true, &k);
  g_assert_true(k.done);
  g_assert_cmpint(k.error, ==, RILL_KAFKA_ERR_UNKNOWN_MEMBER_ID);
  join_cap_clear(&k);
  join_cap_clear(&j);
  sync_cap_clear(&s);
  teardown(&f);
}

static void test_join_three(void)
{
  fixture f;
  setup(&f, DELAY);
  join_cap j[3] = {{0}};
  join(&f, "", &j[0]);
  advance(&f, 1000);
  join(&f, "", &j[1]);
  join(&f, "", &j[2]);
  advance(&f, DELAY - 1000);
  /* Members kept arriving during the delay: it is extended once more. */
  for (int i = 0; i < 3; i++)
    g_assert_false(j[i].done);
  advance(&f, DELAY);
  const char *leader = NULL;
  for (int i = 0; i < 3; i++) {
    g_assert_true(j[i].done);
    g_assert_cmpint(j[i].error, ==, 0);
    g_assert_cmpint(j[i].generation, ==, 1);
    if (g_strcmp0(j[i].leader, j[i].member_id) == 0) {
      g_assert_null(leader);
      leader = j[i].member_id;
      g_assert_cmpuint(j[i].members->len, ==, 3);
    } else {
      g_assert_cmpuint(j[i].members->len, ==, 0);
    }
  }
  /* The first member to join leads. */
  g_assert_cmpstr(leader, ==, j[0].member_id);
  for (int i = 0; i < 3; i++)
    g_assert_cmpstr(j[i].leader, ==, leader);
  g_assert_true(g_ptr_array_find_with_equal_func(j[0].members, j[2].member_id, g_str_equal, NULL));

  /* Followers are parked until the leader's SyncGroup; a member the leader
   * leaves out gets an empty assignment. */
  sync_cap s[3] = {{0}};
  sync_with(&f, j[1].member_id, 1, NULL, 0, &s[1]);
  sync_with(&f, j[2].member_id, 1, NULL, 0, &s[2]);
  advance(&f, 1000);
  g_assert_false(s[1].done || s[2].done);
  g_assert_cmpint(heartbeat(&f, j[1].member_id, 1), ==, 0);
  rill__group_assignment as[] = {{j[0].member_id, (const uint8_t *)"p0", 2},
                                 {j[1].member_id, (const uint8_t *)"p1,p2", 5}};
  sync_with(&f, j[0].member_id, 1, as, 2, &s[0]);
  for (int i = 0; i < 3; i++) {
    g_assert_true(s[i].done);
    g_assert_cmpint(s[i].error, ==, 0);
  }
  g_assert_cmpstr(s[0].assignment, ==, "p0");
  g_assert_cmpstr(s[1].assignment, ==, "p1,p2");
  g_assert_cmpstr(s[2].assignment, ==, "");
  /* A late SyncGroup in a Stable group gets the stored assignment. */
  sync_with(&f, j[1].member_id, 1, NULL, 0, &s[1]);
  g_assert_cmpstr(s[1].assignment, ==, "p1,p2");
  sync_with(&f, j[1].member_id, 7, NULL, 0, &s[1]);
  g_assert_cmpint(s[1].error, ==, RILL_KAFKA_ERR_ILLEGAL_GENERATION);

  rill__group_description *d = rill__group_describe(f.c, "g");
  g_assert_cmpstr(d->state, ==, "Stable");
  g_assert_cmpstr(d->protocol_type, ==, "consumer");
  g_assert_cmpstr(d->protocol_name, ==, "range");
  g_assert_cmpuint(d->members->len, ==, 3);
  rill__group_member_description *m1 = &g_array_index(d->members, rill__group_member_description, 1);
  g_assert_cmpstr(m1->member_id, ==, j[1].member_id);
  g_assert_cmpstr(m1->client_host, ==, "/127.0.0.1");
  g_assert_cmpmem(g_bytes_get_data(m1->assignment, NULL), g_bytes_get_size(m1->assignment), "p1,p2", 5);
  g_assert_cmpmem(g_bytes_get_data(m1->metadata, NULL), g_bytes_get_size(m1->metadata), "md-range", 8);
  rill__group_description_free(d);
  for (int i = 0; i < 3; i++) {
    join_cap_clear(&j[i]);
    sync_cap_clear(&s[i]);
  }
  teardown(&f);
}

static void test_protocol_vote(void)
{
  fixture f;
  setup(&f, 0);
  const rill__group_protocol rr_range[] = {{"roundrobin", (const uint8_t *)"x", 1}, {"range", (const uint8_t *)"y", 1}};
  const rill__group_protocol sticky_rr[] = {{"sticky", (const uint8_t *)"s", 1}, {"roundrobin", (const uint8_t *)"z", 1}};
  const rill__group_protocol sticky[] = {{"sticky", (const uint8_t *)"s", 1}};
  join_cap a = {0}, b = {0}, c = {0}, e = {0};
  join_with(&f, "g", "", NULL, rr_range, 2, false, &a);
  g_assert_cmpstr(a.protocol, ==, "roundrobin");
  g_autofree char *a_id = g_strdup(a.member_id);
  /* No protocol in common with the group. */
  join_with(&f, "g", "", NULL, sticky, 1, false, &e);
  g_assert_cmpint(e.error, ==, RILL_KAFKA_ERR_INCONSISTENT_GROUP_PROTOCOL);
  rill__group_join_request other = {.group_id = "g", .member_id = "", .session_timeout_ms = SESSION,
                                    .rebalance_timeout_ms = REBALANCE, .protocol_type = "connect",
                                    .protocols = rr_range, .n_protocols = 2};
  join_cap_clear(&e);
  rill__group_join(f.c, &other, on_join, &e);
  g_assert_cmpint(e.error, ==, RILL_KAFKA_ERR_INCONSISTENT_GROUP_PROTOCOL);
  other.protocol_type = "consumer";
  other.session_timeout_ms = 1000; /* below group.min.session.timeout.ms */
  join_cap_clear(&e);
  rill__group_join(f.c, &other, on_join, &e);
  g_assert_cmpint(e.error, ==, RILL_KAFKA_ERR_INVALID_SESSION_TIMEOUT);

  /* b prefers sticky, which a lacks, so both vote roundrobin. */
  join_with(&f, "g", "", NULL, sticky_rr, 2, false, &b);
  join_with(&f, "g", a_id, NULL, rr_range, 2, false, &a);
  g_assert_true(a.done && b.done);
  g_assert_cmpstr(a.protocol, ==, "roundrobin");
  g_assert_cmpstr(b.protocol, ==, "roundrobin");
  /* The leader sees each member's metadata for the chosen protocol. */
  g_assert_cmpuint(a.members->len, ==, 2);
  g_assert_cmpmem(g_bytes_get_data(a.metadata->pdata[1], NULL), 1, "z", 1);
  /* range is not supported by b: a range-only member cannot join. */
  join_with(&f, "g", "", NULL, range_only, 1, false, &c);
  g_assert_true(c.done);
  g_assert_cmpint(c.error, ==, RILL_KAFKA_ERR_INCONSISTENT_GROUP_PROTOCOL);

  /* The majority wins over the first member's preference. */
  const rill__group_protocol range_rr[] = {{"range", (const uint8_t *)"r", 1}, {"roundrobin", (const uint8_t *)"o", 1}};
  join_cap v[3] = {{0}};
  join_with(&f, "v", "", NULL, rr_range, 2, false, &v[0]);
  g_autofree char *v0 = g_strdup(v[0].member_id);
  join_with(&f, "v", "", NULL, range_rr, 2, false, &v[1]);
  join_with(&f, "v", "", NULL, range_rr, 2, false, &v[2]);
  join_with(&f, "v", v0, NULL, rr_range, 2, false, &v[0]);
  for (int i = 0; i < 3; i++) {
    g_assert_true(v[i].done);
    g_assert_cmpstr(v[i].protocol, ==, "range");
    join_cap_clear(&v[i]);
  }
  join_cap_clear(&a);
  join_cap_clear(&b);
  join_cap_clear(&c);
  join_cap_clear(&e);
  teardown(&f);
}

static void test_rejoin_on_new_member(void)
{
  fixture f;
  setup(&f, 0);
  join_cap a = {0}, b = {0}, c = {0};
  stable_pair(&f, &a, &b);
  g_assert_cmpint(f.wakeups, >, 0);
  join(&f, "", &c);
  g_assert_false(c.done);
  g_assert_cmpstr(state_of(&f, "g"), ==, "PreparingRebalance");
  g_assert_cmpint(heartbeat(&f, a.member_id, 2), ==, RILL_KAFKA_ERR_REBALANCE_IN_PROGRESS);
  /* A follower's stale SyncGroup during the rebalance is refused. */
  sync_cap s = {0};
  sync_with(&f, b.member_id, 2, NULL, 0, &s);
  g_assert_cmpint(s.error, ==, RILL_KAFKA_ERR_REBALANCE_IN_PROGRESS);
  g_autofree char *a_id = g_strdup(a.member_id);
  g_autofree char *b_id = g_strdup(b.member_id);
  join(&f, b_id, &b);
  g_assert_false(b.done);
  join(&f, a_id, &a);
  g_assert_true(a.done && b.done && c.done);
  g_assert_cmpint(c.generation, ==, 3);
  g_assert_cmpstr(c.leader, ==, a_id);
  g_assert_cmpuint(a.members->len, ==, 3);
  /* Commits from the previous generation are refused. */
  rill__group_commit_entry e = {"t", 0, 5, -1, NULL, 0};
  rill__group_commit(f.c, "g", 2, a_id, NULL, &e, 1);
  g_assert_cmpint(e.error_code, ==, RILL_KAFKA_ERR_ILLEGAL_GENERATION);
  /* Generation 3 is CompletingRebalance: commits wait for the assignment. */
  rill__group_commit(f.c, "g", 3, a_id, NULL, &e, 1);
  g_assert_cmpint(e.error_code, ==, RILL_KAFKA_ERR_REBALANCE_IN_PROGRESS);
  join_cap_clear(&a);
  join_cap_clear(&b);
  join_cap_clear(&c);
  sync_cap_clear(&s);
  teardown(&f);
}

static void test_session_timeout(void)
{
  fixture f;
  setup(&f, 0);
  join_cap a = {0}, b = {0};
  stable_pair(&f, &a, &b);
  g_autofree char *a_id = g_strdup(a.member_id);
  g_autofree char *b_id = g_strdup(b.member_id);
  /* a heartbeats, b goes silent. */
  for (int i = 0; i < 3; i++) {
    advance(&f, SESSION / 3);
    g_assert_cmpint(heartbeat(&f, a_id, 2), ==, 0);
  }
  advance(&f, SESSION / 3);
  g_assert_cmpstr(state_of(&f, "g"), ==, "PreparingRebalance");
  g_assert_cmpint(heartbeat(&f, b_id, 2), ==, RILL_KAFKA_ERR_UNKNOWN_MEMBER_ID);
  g_assert_cmpint(heartbeat(&f, a_id, 2), ==, RILL_KAFKA_ERR_REBALANCE_IN_PROGRESS);
  join(&f, a_id, &a);
  g_assert_true(a.done);
  g_assert_cmpint(a.generation, ==, 3);
  g_assert_cmpstr(a.leader, ==, a_id);
  g_assert_cmpuint(a.members->len, ==, 1);

  /* A lone member that stops heartbeating empties the group. */
  sync_cap s = {0};
  sync_with(&f, a_id, 3, NULL, 0, &s);
  g_assert_true(s.done);
  advance(&f, SESSION + 1);
  g_assert_cmpstr(state_of(&f, "g"), ==, "Empty");
  join_cap_clear(&a);
  join_cap_clear(&b);
  sync_cap_clear(&s);
  teardown(&f);
}

static void test_rebalance_timeout(void)
{
  fixture f;
  setup(&f, 0);
  join_cap a = {0}, b = {0}, c = {0};
  stable_pair(&f, &a, &b);
  g_autofree char *a_id = g_strdup(a.member_id);
  g_autofree char *b_id = g_strdup(b.member_id);
  join(&f, "", &c);
  join(&f, a_id, &a);
  /* b keeps heartbeating (so its session never expires) but never rejoins:
   * the rebalance completes at the rebalance timeout without it. */
  int64_t started = f.now;
  while (!a.done) {
    g_assert_cmpint(f.now - started, <, REBALANCE);
    g_assert_false(c.done);
    g_assert_cmpint(heartbeat(&f, b_id, 2), ==, RILL_KAFKA_ERR_REBALANCE_IN_PROGRESS);
    advance(&f, SESSION / 4);
  }
  g_assert_cmpint(f.now - started, >=, REBALANCE);
  g_assert_true(a.done && c.done);
  g_assert_cmpint(a.generation, ==, 3);
  g_assert_cmpuint(a.members->len, ==, 2);
  g_assert_false(g_ptr_array_find_with_equal_func(a.members, b_id, g_str_equal, NULL));
  g_assert_cmpint(heartbeat(&f, b_id, 2), ==, RILL_KAFKA_ERR_UNKNOWN_MEMBER_ID);

  /* The leader never sends SyncGroup: after the rebalance timeout it is
   * dropped and the parked follower is told to rejoin. */
  sync_cap s = {0};
  sync_with(&f, c.member_id, 3, NULL, 0, &s);
  g_assert_false(s.done);
  advance(&f, REBALANCE);
  g_assert_true(s.done);
  g_assert_cmpint(s.error, ==, RILL_KAFKA_ERR_REBALANCE_IN_PROGRESS);
  g_assert_cmpint(heartbeat(&f, a_id, 3), ==, RILL_KAFKA_ERR_UNKNOWN_MEMBER_ID);
  g_autofree char *c_id = g_strdup(c.member_id);
  join(&f, c_id, &c);
  g_assert_true(c.done);
  g_assert_cmpint(c.generation, ==, 4);
  g_assert_cmpstr(c.leader, ==, c_id);
  join_cap_clear(&a);
  join_cap_clear(&b);
  join_cap_clear(&c);
  sync_cap_clear(&s);
  teardown(&f);
}

static void test_leave(void)
{
  fixture f;
  setup(&f, 0);
  join_cap a = {0}, b = {0};
  stable_pair(&f, &a, &b);
  g_autofree char *a_id = g_strdup(a.member_id);
  rill__group_leaving_member l[] = {{b.member_id, NULL, -1}, {"ghost", NULL, -1}};
  g_assert_cmpint(rill__group_leave(f.c, "g", l, 2), ==, 0);
  g_assert_cmpint(l[0].error_code, ==, 0);
  g_assert_cmpint(l[1].error_code, ==, RILL_KAFKA_ERR_UNKNOWN_MEMBER_ID);
  g_assert_cmpint(heartbeat(&f, a_id, 2), ==, RILL_KAFKA_ERR_REBALANCE_IN_PROGRESS);
  join(&f, a_id, &a);
  g_assert_true(a.done);
  g_assert_cmpint(a.generation, ==, 3);
  g_assert_cmpuint(a.members->len, ==, 1);

  /* The leader leaving while parked in JoinGroup: its join is answered. */
  join_cap c = {0};
  join(&f, "", &c);
  g_assert_false(c.done);
  rill__group_leaving_member l2[] = {{c.member_id ? c.member_id : "", NULL, -1}};
  rill__group_description *d = rill__group_describe(f.c, "g");
  g_assert_cmpuint(d->members->len, ==, 2);
  l2[0].member_id = g_array_index(d->members, rill__group_member_description, 1).member_id;
  g_assert_cmpint(rill__group_leave(f.c, "g", l2, 1), ==, 0);
  rill__group_description_free(d);
  g_assert_true(c.done);
  g_assert_cmpint(c.error, ==, RILL_KAFKA_ERR_UNKNOWN_MEMBER_ID);
  rill__group_leaving_member l3[] = {{a_id, NULL, -1}};
  g_assert_cmpint(rill__group_leave(f.c, "g", l3, 1), ==, 0);
  g_assert_cmpint(l3[0].error_code, ==, 0);
  g_assert_cmpstr(state_of(&f, "g"), ==, "Empty");
  g_assert_cmpint(rill__group_leave(f.c, "nope", l3, 1), ==, 0);
  g_assert_cmpint(l3[0].error_code, ==, RILL_KAFKA_ERR_UNKNOWN_MEMBER_ID);
  join_cap_clear(&a);
  join_cap_clear(&b);
  join_cap_clear(&c);
  teardown(&f);
}

static void test_static_member(void)
{
  fixture f;
  setup(&f, 0);
  join_cap a = {0}, b = {0};
  join_with(&f, "g", "", "inst-a", range_only, 1, true, &a);
  g_assert_true(a.done); /* static members skip MEMBER_ID_REQUIRED */
  g_assert_cmpint(a.error, ==, 0);
  g_autofree char *a_id = g_strdup(a.member_id);
  join_with(&f, "g", "", "inst-b", range_only, 1, true, &b);
  join_with(&f, "g", a_id, "inst-a", range_only, 1, true, &a);
  g_assert_true(a.done && b.done);
  g_assert_cmpint(b.generation, ==, 2);
  g_autofree char *b_old = g_strdup(b.member_id);
  sync_cap sa = {0}, sb = {0};
  sync_with(&f, b_old, 2, NULL, 0, &sb);
  rill__group_assignment as[] = {{a_id, (const uint8_t *)"A", 1}, {b_old, (const uint8_t *)"B", 1}};
  sync_with(&f, a_id, 2, as, 2, &sa);
  g_assert_cmpstr(sb.assignment, ==, "B");

  /* b restarts: same instance id, no member id. No rebalance: it gets the
   * same generation and, after SyncGroup, its old assignment. */
  join_with(&f, "g", "", "inst-b", range_only, 1, true, &b);
  g_assert_true(b.done);
  g_assert_cmpint(b.error, ==, 0);
  g_assert_cmpint(b.generation, ==, 2);
  g_assert_cmpstr(b.member_id, !=, b_old);
  g_assert_cmpstr(b.leader, ==, a_id);
  g_assert_cmpstr(state_of(&f, "g"), ==, "Stable");
  g_assert_cmpint(heartbeat(&f, a_id, 2), ==, 0);
  g_assert_cmpint(rill__group_heartbeat(f.c, "g", 2, b_old, "inst-b"), ==, RILL_KAFKA_ERR_FENCED_INSTANCE_ID);
  sync_with(&f, b.member_id, 2, NULL, 0, &sb);
  g_assert_cmpint(sb.error, ==, 0);
  g_assert_cmpstr(sb.assignment, ==, "B");

  /* The static leader restarting is told the old leader id, so it does not
   * reassign a Stable group. */
  join_with(&f, "g", "", "inst-a", range_only, 1, true, &a);
  g_assert_cmpint(a.error, ==, 0);
  g_assert_cmpstr(a.leader, ==, a_id);
  g_assert_cmpstr(a.member_id, !=, a_id);
  g_assert_cmpstr(state_of(&f, "g"), ==, "Stable");

  /* Leaving by instance id with a stale member id is fenced. */
  rill__group_leaving_member l[] = {{b_old, "inst-b", -1}};
  rill__group_leave(f.c, "g", l, 1);
  g_assert_cmpint(l[0].error_code, ==, RILL_KAFKA_ERR_FENCED_INSTANCE_ID);
  join_cap_clear(&a);
  join_cap_clear(&b);
  sync_cap_clear(&sa);
  sync_cap_clear(&sb);
  teardown(&f);
}

static void test_offsets_and_restart(void)
{
  fixture f;
  setup(&f, 0);
  join_cap a = {0}, b = {0};
  stable_pair(&f, &a, &b);
  g_autofree char *a_id = g_strdup(a.member_id);
  g_autofree char *b_id = g_strdup(b.member_id);
  rill__group_commit_entry e[] = {
    {"t", 0, 42, 3, "meta", -1}, {"t", 2, 7, -1, NULL, -1}, {"nope", 0, 1, -1, NULL, -1}, {"t", 9, 1, -1, NULL, -1}};
  rill__group_commit(f.c, "g", 2, a_id, NULL, e, 4);
  g_assert_cmpint(e[0].error_code, ==, 0);
  g_assert_cmpint(e[1].error_code, ==, 0);
  g_assert_cmpint(e[2].error_code, ==, RILL_KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION);
  g_assert_cmpint(e[3].error_code, ==, RILL_KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION);
  g_autofree char *big = g_strnfill(5000, 'm');
  rill__group_commit_entry toolarge = {"t", 1, 1, -1, big, -1};
  rill__group_commit(f.c, "g", 2, a_id, NULL, &toolarge, 1);
  g_assert_cmpint(toolarge.error_code, ==, RILL_KAFKA_ERR_OFFSET_METADATA_TOO_LARGE);
  /* Simple commits are refused while the group has members. */
  rill__group_commit_entry simple = {"t", 1, 1, -1, NULL, -1};
  rill__group_commit(f.c, "g", -1, "", NULL, &simple, 1);
  g_assert_cmpint(simple.error_code, ==, RILL_KAFKA_ERR_UNKNOWN_MEMBER_ID);
  rill__group_commit(f.c, "g", 2, "stranger", NULL, &simple, 1);
  g_assert_cmpint(simple.error_code, ==, RILL_KAFKA_ERR_UNKNOWN_MEMBER_ID);
  /* ...and allowed for a group nobody joined. */
  rill__group_commit(f.c, "solo", -1, "", NULL, &simple, 1);
  g_assert_cmpint(simple.error_code, ==, 0);
  rill__group_commit(f.c, "solo2", 4, "x", NULL, &simple, 1);
  g_assert_cmpint(simple.error_code, ==, RILL_KAFKA_ERR_ILLEGAL_GENERATION);

  rill_log_group_offset o = {0};
  g_assert_false(rill__group_offset_fetch(f.c, "g", "t", 1, &o));

  /* Restart: offsets, members, generation and assignments come back. */
  close_coordinator(&f);
  f.now += 123456; /* a new process: the clock has moved on */
  open_coordinator(&f, 0);
  g_assert_true(rill__group_offset_fetch(f.c, "g", "t", 0, &o));
  g_assert_cmpint(o.offset, ==, 42);
  g_assert_cmpint(o.leader_epoch, ==, 3);
  g_assert_cmpstr(o.metadata, ==, "meta");
  rill_log_group_offset_clear(&o);
  g_autoptr(GArray) all = rill__group_offset_fetch_all(f.c, "g");
  g_assert_cmpuint(all->len, ==, 2);
  g_assert_cmpint(g_array_index(all, rill_log_group_offset, 1).offset, ==, 7);

  rill__group_description *d = rill__group_describe(f.c, "g");
  g_assert_cmpstr(d->state, ==, "Stable");
  g_assert_cmpstr(d->protocol_name, ==, "range");
  g_assert_cmpuint(d->members->len, ==, 2);
  rill__group_member_description *mb = &g_array_index(d->members, rill__group_member_description, 1);
  g_assert_cmpstr(mb->member_id, ==, b_id);
  g_assert_cmpmem(g_bytes_get_data(mb->assignment, NULL), g_bytes_get_size(mb->assignment), "B", 1);
  rill__group_description_free(d);
  /* The members carry on in generation 2 as if nothing happened. */
  g_assert_cmpint(heartbeat(&f, a_id, 2), ==, 0);
  g_assert_cmpint(heartbeat(&f, b_id, 2), ==, 0);
  sync_cap s = {0};
  sync_with(&f, b_id, 2, NULL, 0, &s);
  g_assert_cmpstr(s.assignment, ==, "B");
  rill__group_commit_entry again = {"t", 0, 43, -1, NULL, -1};
  rill__group_commit(f.c, "g", 2, b_id, NULL, &again, 1);
  g_assert_cmpint(again.error_code, ==, 0);
  /* A new member rejoining the restored group works with the stored protocol. */
  join_cap c = {0};
  join(&f, "", &c);
  join(&f, a_id, &a);
  join(&f, b_id, &b);
  g_assert_true(c.done);
  g_assert_cmpint(c.generation, ==, 3);
  g_assert_cmpstr(c.protocol, ==, "range");

  /* Members that never come back after a restart expire; the group ends Empty
   * and stays so across another restart. */
  advance(&f, REBALANCE + SESSION + 1);
  advance(&f, REBALANCE + SESSION + 1);
  g_assert_cmpstr(state_of(&f, "g"), ==, "Empty");
  close_coordinator(&f);
  open_coordinator(&f, 0);
  g_assert_cmpstr(state_of(&f, "g"), ==, "Empty");
  g_assert_true(rill__group_offset_fetch(f.c, "g", "t", 0, &o));
  g_assert_cmpint(o.offset, ==, 43);
  rill_log_group_offset_clear(&o);
  join_cap_clear(&a);
  join_cap_clear(&b);
  join_cap_clear(&c);
  sync_cap_clear(&s);
  teardown(&f);
}

/* Offsets retention: a group with members keeps its offsets however old;
 * once it is Empty, offsets older than the retention (counted from the later
 * of commit and emptiness) go, and with the last one the group itself; a
 * simple-commit group expires by commit time alone. Wall-clock times are
 * passed in, so nothing sleeps. */
static void test_offsets_retention(void)
{
  fixture f;
  setup(&f, 0);
  const int64_t day = 24 * 3600 * 1000LL, retention = 7 * day;
  int64_t wall = g_get_real_time() / 1000;
  join_cap a = {0}, b = {0};
  stable_pair(&f, &a, &b);
  rill__group_commit_entry e = {"t", 0, 42, -1, NULL, -1};
  rill__group_commit(f.c, "g", 2, a.member_id, NULL, &e, 1);
  g_assert_cmpint(e.error_code, ==, 0);
  rill__group_commit_entry simple = {"t", 1, 5, -1, NULL, -1};
  rill__group_commit(f.c, "solo", -1, "", NULL, &simple, 1);
  g_assert_cmpint(simple.error_code, ==, 0);

  /* Long after: the active group keeps its offset, the simple one loses it. */
  g_assert_cmpuint(rill__group_expire_offsets(f.c, wall + retention + day), ==, 1);
  rill_log_group_offset o = {0};
  g_assert_true(rill__group_offset_fetch(f.c, "g", "t", 0, &o));
  rill_log_group_offset_clear(&o);
  g_assert_false(rill__group_offset_fetch(f.c, "solo", "t", 1, &o));
  g_auto(GStrv) left = rill_log_group_list(f.log);
  g_assert_false(g_strv_contains((const char *const *)left, "solo"));

  /* The members leave: the group is Empty from now, so the offset lives on
   * for the retention counted from here, then goes with the group. */
  advance(&f, REBALANCE + SESSION + 1);
  advance(&f, REBALANCE + SESSION + 1);
  g_assert_cmpstr(state_of(&f, "g"), ==, "Empty");
  g_assert_cmpuint(rill__group_expire_offsets(f.c, wall + retention - day), ==, 0);
  g_assert_true(rill__group_offset_fetch(f.c, "g", "t", 0, &o));
  rill_log_group_offset_clear(&o);
  g_assert_cmpuint(rill__group_expire_offsets(f.c, g_get_real_time() / 1000 + retention + 1), ==, 1);
  g_assert_false(rill__group_offset_fetch(f.c, "g", "t", 0, &o));
  g_assert_cmpstr(state_of(&f, "g"), ==, "Dead");
  /* ...and stays gone after a restart. */
  close_coordinator(&f);
  open_coordinator(&f, 0);
  g_assert_cmpstr(state_of(&f, "g"), ==, "Dead");
  join_cap_clear(&a);
  join_cap_clear(&b);
  teardown(&f);
}

static void test_list_describe_delete(void)
{
  fixture f;
  setup(&f, 0);
  join_cap a = {0}, b = {0};
  stable_pair(&f, &a, &b);
  rill__group_commit_entry e = {"t", 0, 5, -1, NULL, -1};
  rill__group_commit(f.c, "offsets-only", -1, "", NULL, &e, 1);
  g_assert_cmpint(e.error_code, ==, 0);

  g_autoptr(GArray) all = rill__group_list(f.c, NULL);
  g_assert_cmpuint(all->len, ==, 2);
  rill__group_listing *l0 = &g_array_index(all, rill__group_listing, 0);
  rill__group_listing *l1 = &g_array_index(all, rill__group_listing, 1);
  g_assert_cmpstr(l0->group_id, ==, "g");
  g_assert_cmpstr(l0->protocol_type, ==, "consumer");
  g_assert_cmpstr(l0->state, ==, "Stable");
  g_assert_cmpstr(l1->group_id, ==, "offsets-only");
  g_assert_cmpstr(l1->protocol_type, ==, "");
  g_assert_cmpstr(l1->state, ==, "Empty");
  const char *const empty_only[] = {"empty", NULL};
  g_autoptr(GArray) empties = rill__group_list(f.c, empty_only);
  g_assert_cmpuint(empties->len, ==, 1);
  g_assert_cmpstr(g_array_index(empties, rill__group_listing, 0).group_id, ==, "offsets-only");

  g_assert_cmpstr(state_of(&f, "unknown"), ==, "Dead");
  g_assert_cmpint(rill__group_delete(f.c, "g"), ==, RILL_KAFKA_ERR_NON_EMPTY_GROUP);
  g_assert_cmpint(rill__group_delete(f.c, "unknown"), ==, RILL_KAFKA_ERR_GROUP_ID_NOT_FOUND);
  g_assert_cmpint(rill__group_delete(f.c, "offsets-only"), ==, 0);
  rill_log_group_offset o;
  g_assert_false(rill__group_offset_fetch(f.c, "offsets-only", "t", 0, &o));

  rill__group_commit(f.c, "g", 2, a.member_id, NULL, &e, 1);
  rill__group_leaving_member l[] = {{a.member_id, NULL, -1}, {b.member_id, NULL, -1}};
  rill__group_leave(f.c, "g", l, 2);
  g_assert_cmpstr(state_of(&f, "g"), ==, "Empty");
  g_assert_cmpint(rill__group_delete(f.c, "g"), ==, 0);
  g_assert_cmpstr(state_of(&f, "g"), ==, "Dead");
  g_assert_false(rill__group_offset_fetch(f.c, "g", "t", 0, &o));
  /* Gone for good: not back after a restart. */
  close_coordinator(&f);
  open_coordinator(&f, 0);
  g_autoptr(GArray) none = rill__group_list(f.c, NULL);
  g_assert_cmpuint(none->len, ==, 0);
  join_cap_clear(&a);
  join_cap_clear(&b);
  teardown(&f);
}

static void test_corrupt_metadata(void)
{
  fixture f;
  setup(&f, 0);
  join_cap a = {0}, b = {0};
  stable_pair(&f, &a, &b);
  rill__group_commit_entry e = {"t", 0, 5, -1, NULL, -1};
  rill__group_commit(f.c, "g", 2, a.member_id, NULL, &e, 1);
  close_coordinator(&f);
  g_autofree char *path = g_build_filename(f.state_dir, "67.group", NULL); /* hex("g") */
  g_autofree char *data = NULL;
  gsize len;
  g_assert_true(g_file_get_contents(path, &data, &len, NULL));
  data[len / 2] ^= 0x55;
  g_assert_true(g_file_set_contents(path, data, (gssize)len, NULL));
  g_test_expect_message("rill", G_LOG_LEVEL_WARNING, "*corrupt group metadata*");
  open_coordinator(&f, 0);
  g_test_assert_expected_messages();
  /* The metadata is lost, the offsets are not. */
  g_assert_cmpstr(state_of(&f, "g"), ==, "Empty");
  rill_log_group_offset o;
  g_assert_true(rill__group_offset_fetch(f.c, "g", "t", 0, &o));
  g_assert_cmpint(o.offset, ==, 5);
  rill_log_group_offset_clear(&o);
  join_cap_clear(&a);
  join_cap_clear(&b);
  teardown(&f);
}

static void test_free_answers_parked(void)
{
  fixture f;
  setup(&f, DELAY);
  join_cap a = {0};
  join(&f, "", &a);
  g_assert_false(a.done);
  close_coordinator(&f);
  g_assert_true(a.done);
  g_assert_cmpint(a.error, ==, RILL_KAFKA_ERR_COORDINATOR_NOT_AVAILABLE);
  open_coordinator(&f, DELAY);
  join_cap_clear(&a);
  teardown(&f);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/group/join-one-kip394", test_join_one_kip394);
  g_test_add_func("/group/join-three", test_join_three);
  g_test_add_func("/group/protocol-vote", test_protocol_vote);
  g_test_add_func("/group/rejoin-on-new-member", test_rejoin_on_new_member);
  g_test_add_func("/group/session-timeout", test_session_timeout);
  g_test_add_func("/group/rebalance-timeout", test_rebalance_timeout);
  g_test_add_func("/group/leave", test_leave);
  g_test_add_func("/group/static-member", test_static_member);
  g_test_add_func("/group/offsets-and-restart", test_offsets_and_restart);
  g_test_add_func("/group/offsets-retention", test_offsets_retention);
  g_test_add_func("/group/list-describe-delete", test_list_describe_delete);
  g_test_add_func("/group/corrupt-metadata", test_corrupt_metadata);
  g_test_add_func("/group/free-answers-parked", test_free_answers_parked);
  return g_test_run();
}
