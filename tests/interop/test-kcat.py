#!/usr/bin/python3
"""kcat against a real rill-broker: -L metadata; keyed lines with headers
produced and read back (-f with %k %h %T %p %o); -z gzip/snappy/lz4/zstd;
-o beginning/end/offset/-N and s@timestamp; -G with a commit that a second
kcat -G run resumes after. (tests/broker/group-e2e.py covers a plain kcat -G
read; this adds the resume.)
"""
import json
import subprocess
import time

from confluent_kafka import Producer

from rillbroker import Broker, check, check_records

NPART = 3


def kcat(b, *args, stdin=None):
    r = subprocess.run(["kcat", "-b", b.bootstrap, *args], input=stdin, capture_output=True, timeout=60)
    check(r.returncode == 0, "kcat %s: exit %d: %s" % (" ".join(args), r.returncode, r.stderr.decode()[-2000:]))
    return r.stdout


FMT = "%p|%o|%k|%h|%T|%s\n"


def parse(out):
    """kcat -f FMT lines as (partition, offset, key, headers, ts, value)."""
    rows = []
    for line in out.decode().splitlines():
        p, o, k, h, t, v = line.split("|")
        rows.append((int(p), int(o), k, h, int(t), v))
    return rows


def consume(b, topic, *args):
    return parse(kcat(b, "-C", "-t", topic, "-e", "-f", FMT, *args))


def metadata(b):
    md = json.loads(kcat(b, "-L", "-J"))
    check(md["brokers"] == [{"id": 1, "name": b.bootstrap}], "brokers: %s" % md["brokers"])
    return {t["topic"]: t for t in md["topics"]}


def produce_headers(b, topic):
    """Keyed lines with two headers into each partition (kcat -p)."""
    want = []
    before = int(time.time() * 1000)
    for p in range(NPART):
        lines = "".join("key%d-%d:value %d-%d\n" % (p, i, p, i) for i in range(20))
        kcat(b, "-P", "-t", topic, "-p", str(p), "-K", ":", "-H", "h1=one", "-H", "h2=two %d" % p,
             stdin=lines.encode())
        want += [(p, i, "key%d-%d" % (p, i), "h1=one,h2=two %d" % p, "value %d-%d" % (p, i)) for i in range(20)]
    after = int(time.time() * 1000)
    got = consume(b, topic, "-o", "beginning")
    for r in got:
        check(before <= r[4] <= after, "CreateTime %d within [%d, %d]" % (r[4], before, after))
    check_records([(r[0], r[1], r[2], r[3], r[5]) for r in got], want, "kcat keyed lines with headers")


def compression(b):
    for codec in ("gzip", "snappy", "lz4", "zstd"):
        topic = "z-" + codec
        lines = "".join("%s:%s\n" % ("k%03d" % i, codec * 30 + str(i)) for i in range(200))
        kcat(b, "-P", "-t", topic, "-p", "0", "-K", ":", "-z", codec, stdin=lines.encode())
        got = consume(b, topic, "-o", "beginning")
        want = [(0, i, "k%03d" % i, "", codec * 30 + str(i)) for i in range(200)]
        check_records([(r[0], r[1], r[2], r[3], r[5]) for r in got], want, "kcat -z " + codec)


def offsets(b):
    topic = "offsets"
    kcat(b, "-P", "-t", topic, "-p", "0", stdin="".join("m%d\n" % i for i in range(10)).encode())
    vals = lambda rows: [r[5] for r in rows]
    check(vals(consume(b, topic, "-p", "0", "-o", "beginning")) == ["m%d" % i for i in range(10)], "-o beginning")
    check(vals(consume(b, topic, "-p", "0", "-o", "4")) == ["m%d" % i for i in range(4, 10)], "-o 4")
    check(vals(consume(b, topic, "-p", "0", "-o", "-3")) == ["m7", "m8", "m9"], "-o -3")
    check(consume(b, topic, "-p", "0", "-o", "end") == [], "-o end reads nothing")
    # -o end then a new message: a consumer at the end sees only it.
    proc = subprocess.Popen(["kcat", "-b", b.bootstrap, "-C", "-t", topic, "-p", "0", "-o", "end", "-c", "1",
                             "-f", FMT], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # Keep producing until the end-reader (which may still be starting) gets one.
    n = 10
    while proc.poll() is None:
        kcat(b, "-P", "-t", topic, "-p", "0", stdin=b"late%d\n" % n)
        n += 1
        try:
            proc.wait(0.5)
        except subprocess.TimeoutExpired:
            pass
    out, err = proc.communicate()
    check(proc.returncode == 0, "kcat -o end: %s" % err.decode())
    row = parse(out)[0]
    check(row[5].startswith("late") and row[1] == int(row[5][4:]), "-o end read a late message at its offset: %s" % (row,))


def timestamps(b):
    """s@ts: records with explicit timestamps (confluent-kafka), read from
    the first with a timestamp >= ts."""
    topic = "ts"
    p = Producer({"bootstrap.servers": b.bootstrap})
    base = 1_600_000_000_000
    for i in range(10):
        p.produce(topic, key=b"t%d" % i, value=b"v%d" % i, partition=0, timestamp=base + i * 1000)
    check(p.flush(30) == 0, "timestamped records flushed")
    rows = consume(b, topic, "-p", "0", "-o", "beginning")
    check([(r[1], r[2], r[4], r[5]) for r in rows] == [(i, "t%d" % i, base + i * 1000, "v%d" % i) for i in range(10)],
          "timestamps read back: %s" % rows)
    rows = consume(b, topic, "-p", "0", "-o", "s@%d" % (base + 3500))
    check([r[1] for r in rows] == list(range(4, 10)), "s@ts between records 3 and 4 starts at 4: %s" % rows)
    rows = consume(b, topic, "-p", "0", "-o", "s@%d" % (base + 7000))
    check([r[1] for r in rows] == list(range(7, 10)), "s@ts equal to record 7's starts at 7: %s" % rows)


def group(b):
    """kcat -G commits; a second kcat -G of the same group resumes after."""
    topic = "grp"
    for p in range(NPART):
        kcat(b, "-P", "-t", topic, "-p", str(p), "-K", ":", stdin="".join("a%d:%d-%d\n" % (i, p, i) for i in range(10)).encode())
    common = ["-G", "kg", "-X", "auto.offset.reset=earliest", "-X", "session.timeout.ms=6000",
              "-X", "enable.auto.commit=true", "-X", "auto.commit.interval.ms=100", "-f", FMT]
    first = parse(kcat(b, *common, "-c", "30", topic))
    check(sorted(r[5] for r in first) == sorted("%d-%d" % (p, i) for p in range(NPART) for i in range(10)),
          "kcat -G read every record once: %s" % first)
    for p in range(NPART):
        offs = [r[1] for r in first if r[0] == p]
        check(offs == list(range(10)), "partition %d in order: %s" % (p, offs))
    # kcat commits the stored offsets when it closes (-c reached).
    for p in range(NPART):
        kcat(b, "-P", "-t", topic, "-p", str(p), stdin=b"new-%d\n" % p)
    second = parse(kcat(b, *common, "-c", str(NPART), topic))
    check(sorted((r[0], r[1], r[5]) for r in second) == [(p, 10, "new-%d" % p) for p in range(NPART)],
          "second kcat -G resumed after the commit: %s" % second)


def main():
    with Broker(["num.partitions=%d" % NPART, "group.initial.rebalance.delay.ms=0"]) as b:
        produce_headers(b, "lines")
        md = metadata(b)
        check("lines" in md and len(md["lines"]["partitions"]) == NPART, "-L lists 'lines' with %d partitions: %s" % (NPART, md.get("lines")))
        for part in md["lines"]["partitions"]:
            check(part["leader"] == 1 and part["replicas"] == [{"id": 1}] and part["isrs"] == [{"id": 1}],
                  "partition metadata: %s" % part)
        compression(b)
        offsets(b)
        timestamps(b)
        group(b)
    print("OK")


main()
