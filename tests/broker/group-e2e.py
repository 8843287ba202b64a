#!/usr/bin/python3
"""Consumer groups against a real rill broker, driven by test-group-e2e.c.

usage: group-e2e.py BOOTSTRAP PHASE
  split   3 confluent-kafka consumers split a 6-partition topic; one leaves and
          the other two take over every partition; offsets are committed.
  resume  (after a broker restart) a new consumer of the same group resumes
          exactly after the committed offsets; the group is still listed.
  kcat    kcat -G (balanced consumer) reads the topic in its own group.
Exits non-zero with a message on the first failed check. Waits on conditions
with generous deadlines; nothing asserts on timing.
"""
import subprocess
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

BOOT, PHASE = sys.argv[1], sys.argv[2]
TOPIC, GROUP, NPART = "gt", "g1", 6
DEADLINE = 45


def check(cond, what):
    if not cond:
        print("FAIL:", what, flush=True)
        sys.exit(1)


def consumer(name):
    return Consumer({
        "bootstrap.servers": BOOT,
        "group.id": GROUP,
        "client.id": name,
        "session.timeout.ms": 6000,
        "heartbeat.interval.ms": 300,
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "partition.assignment.strategy": "range",
        "topic.metadata.refresh.interval.ms": 1000,
    })


def produce(first, n):
    p = Producer({"bootstrap.servers": BOOT, "acks": "all"})
    for i in range(first, first + n):
        p.produce(TOPIC, key=b"k%d" % i, value=b"m-%d" % i, partition=i % NPART)
    check(p.flush(30) == 0, "produce flushed")


def owned(c):
    return {tp.partition for tp in c.assignment()}


def poll_until(consumers, cond, what, got=None):
    """Polls every consumer until cond() holds; records messages in got."""
    end = time.monotonic() + DEADLINE
    while not cond():
        check(time.monotonic() < end, "timed out waiting for " + what)
        for name, c in consumers.items():
            m = c.poll(0.05)
            if m is None:
                continue
            check(m.error() is None or m.error().code() < 0, "consume error %s" % m.error())
            if m.error() is None:
                check(got is not None, "unexpected message %r before %s" % (m.value(), what))
                got.append((name, m.partition(), m.offset(), m.value()))


def check_messages(got, first, n, owners):
    values = sorted(int(v.split(b"-")[1]) for _, _, _, v in got)
    check(values == list(range(first, first + n)), "each of %d..%d exactly once (got %d)" % (first, first + n - 1, len(values)))
    for name, part, off, v in got:
        i = int(v.split(b"-")[1])
        check(part == i % NPART, "message %d in partition %d" % (i, part))
        check(owners[part] == name, "partition %d read by its owner %s, not %s" % (part, owners[part], name))
    for part in range(NPART):
        offs = [off for _, p, off, _ in got if p == part]
        check(offs == sorted(offs), "partition %d in order" % part)


def split():
    admin = AdminClient({"bootstrap.servers": BOOT})
    fut = admin.create_topics([NewTopic(TOPIC, NPART, 1)])[TOPIC]
    fut.result(30)
    cs = {n: consumer(n) for n in ("c1", "c2", "c3")}
    for c in cs.values():
        c.subscribe([TOPIC])

    def three_way():
        sets = [owned(c) for c in cs.values()]
        return all(sets) and sum(len(s) for s in sets) == NPART and set().union(*sets) == set(range(NPART))
    poll_until(cs, three_way, "a 3-way split")
    owners = {p: n for n, c in cs.items() for p in owned(c)}
    print("split:", {n: sorted(owned(c)) for n, c in cs.items()}, flush=True)

    groups = admin.list_groups(GROUP, timeout=10)
    check(len(groups) == 1 and groups[0].id == GROUP, "list_groups finds the group")
    g = groups[0]
    check(g.state == "Stable" and g.protocol_type == "consumer" and g.protocol == "range",
          "group Stable/consumer/range, got %s/%s/%s" % (g.state, g.protocol_type, g.protocol))
    check(sorted(m.client_id for m in g.members) == ["c1", "c2", "c3"], "3 members described")
    check(all(m.assignment for m in g.members), "members have assignments")

    got = []
    produce(0, 600)
    poll_until(cs, lambda: len(got) >= 600, "600 messages", got)
    check_messages(got, 0, 600, owners)
    for c in cs.values():
        c.commit(asynchronous=False)
    committed = cs["c1"].committed([TopicPartition(TOPIC, p) for p in range(NPART)], timeout=10)
    check([tp.offset for tp in committed] == [100] * NPART, "committed 100 per partition: %s" % committed)

    cs.pop("c3").close()  # LeaveGroup: the others take over

    def two_way():
        sets = [owned(c) for c in cs.values()]
        return all(sets) and sum(len(s) for s in sets) == NPART and set().union(*sets) == set(range(NPART))
    poll_until(cs, two_way, "c1 and c2 owning every partition")
    owners = {p: n for n, c in cs.items() for p in owned(c)}
    print("after leave:", {n: sorted(owned(c)) for n, c in cs.items()}, flush=True)
    got = []
    produce(600, 60)
    # Nothing before 600 may come again: c3's partitions resume at its commit
    # (a redelivery would come first, partitions being read in order).
    poll_until(cs, lambda: len(got) >= 60, "60 messages after the leave", got)
    check_messages(got, 600, 60, owners)
    for c in cs.values():
        c.commit(asynchronous=False)
        c.close()


def resume():
    admin = AdminClient({"bootstrap.servers": BOOT})
    groups = admin.list_groups(GROUP, timeout=10)
    check(len(groups) == 1 and groups[0].state == "Empty", "group survives the restart as Empty: %s" % groups)
    c = consumer("c4")
    committed = c.committed([TopicPartition(TOPIC, p) for p in range(NPART)], timeout=10)
    check([tp.offset for tp in committed] == [110] * NPART, "committed offsets after restart: %s" % committed)
    produce(660, 30)
    c.subscribe([TOPIC])
    got = []
    poll_until({"c4": c}, lambda: len(got) >= 30, "30 messages after the restart", got)
    check_messages(got, 660, 30, {p: "c4" for p in range(NPART)})
    c.close()


def kcat():
    out = subprocess.run(["kcat", "-b", BOOT, "-G", "kgroup", "-X", "auto.offset.reset=earliest",
                          "-X", "session.timeout.ms=6000", "-c", "690", "-f", "%p %o %s\n", TOPIC],
                         capture_output=True, timeout=DEADLINE, text=True)
    check(out.returncode == 0, "kcat -G exit %d: %s" % (out.returncode, out.stderr[-2000:]))
    lines = [l.split() for l in out.stdout.splitlines() if l]
    values = sorted(int(v.split("-")[1]) for _, _, v in lines)
    check(values == list(range(690)), "kcat -G read all 690 messages once (got %d)" % len(values))
    for p, o, v in lines:
        check(int(p) == int(v.split("-")[1]) % NPART, "kcat message %s in partition %s" % (v, p))


{"split": split, "resume": resume, "kcat": kcat}[PHASE]()
print("OK", PHASE, flush=True)
