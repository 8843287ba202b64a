#!/usr/bin/python3
"""python3-kafka (kafka-python 2.0.2) against a real rill-broker: admin
create; a gzip producer with keys, headers (an empty one too) and explicit
timestamps; a consumer group that commits; a new member resumes after the
commit; seek; end_offsets/beginning_offsets; list/describe groups and
committed offsets through the admin client.
"""
import logging
import time

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.structs import OffsetAndMetadata

from rillbroker import DEADLINE, Broker, check, check_records

TOPIC, NPART, GROUP = "kp", 3, "kp-group"
BASE_TS = 1_660_000_000_000
API = (2, 5, 0)  # what kafka-python would probe; pinned so no probing is needed


def produce(b, first, n):
    p = KafkaProducer(bootstrap_servers=b.bootstrap, compression_type="gzip", acks="all", api_version=API)
    want = []
    for i in range(first, first + n):
        part = i % NPART
        key = b"k%d" % i
        value = b"gzip value %d " % i * 10
        headers = [("i", b"%d" % i), ("empty", b"")]
        md = p.send(TOPIC, key=key, value=value, headers=headers, partition=part, timestamp_ms=BASE_TS + i).get(DEADLINE)
        check(md.partition == part and md.offset == i // NPART, "record %d acked at %d/%d" % (i, md.partition, md.offset))
        want.append((part, key, value, headers, BASE_TS + i))
    p.close()
    return want


def read(c, n):
    got = []
    end = time.monotonic() + DEADLINE
    while len(got) < n:
        check(time.monotonic() < end, "timed out reading (%d of %d)" % (len(got), n))
        for msgs in c.poll(timeout_ms=200).values():
            got += msgs
    return got


def rows(msgs):
    return [(m.partition, m.key, m.value, list(m.headers), m.timestamp) for m in msgs]


def consumer(b, **kw):
    return KafkaConsumer(bootstrap_servers=b.bootstrap, group_id=GROUP, enable_auto_commit=False,
                         auto_offset_reset="earliest", api_version=API, session_timeout_ms=6000,
                         heartbeat_interval_ms=500, **kw)


def main():
    logging.basicConfig(level=logging.ERROR)
    with Broker(["group.initial.rebalance.delay.ms=0"]) as b:
        admin = KafkaAdminClient(bootstrap_servers=b.bootstrap, api_version=API)
        admin.create_topics([NewTopic(TOPIC, NPART, 1)])
        check(TOPIC in admin.list_topics(), "created topic listed")

        want = produce(b, 0, 60)
        c = consumer(b)
        c.subscribe([TOPIC])
        got = read(c, 60)
        check_records(rows(got), want, "gzip records through the group")
        check(all(m.timestamp_type == 0 for m in got), "CreateTime")
        c.commit()
        tps = [TopicPartition(TOPIC, p) for p in range(NPART)]
        check([c.committed(tp) for tp in tps] == [20] * NPART, "committed 20 per partition")
        check(c.end_offsets(tps) == {tp: 20 for tp in tps}, "end_offsets: %s" % c.end_offsets(tps))
        check(c.beginning_offsets(tps) == {tp: 0 for tp in tps}, "beginning_offsets")

        groups = admin.list_consumer_groups()
        check((GROUP, "consumer") in groups, "list_consumer_groups: %s" % groups)
        (desc,) = admin.describe_consumer_groups([GROUP])
        check(desc.group == GROUP and desc.state == "Stable" and desc.protocol_type == "consumer"
              and len(desc.members) == 1, "describe_consumer_groups: %s" % (desc,))
        offs = admin.list_consumer_group_offsets(GROUP)
        check(offs == {tp: OffsetAndMetadata(20, "") for tp in tps}, "admin committed offsets: %s" % offs)
        c.close()

        # A new member resumes exactly after the commit.
        want2 = produce(b, 60, 30)
        c = consumer(b)
        c.subscribe([TOPIC])
        check_records(rows(read(c, 30)), want2, "resumed after the commit")
        c.close()

        # seek: an assigned consumer (no group) re-reads from an offset.
        c = KafkaConsumer(bootstrap_servers=b.bootstrap, api_version=API, enable_auto_commit=False)
        tp = TopicPartition(TOPIC, 1)
        c.assign([tp])
        c.seek(tp, 25)
        part1 = [r for r in want + want2 if r[0] == 1]
        check_records(rows(read(c, len(part1) - 25)), part1[25:], "seek to 25")
        c.seek_to_beginning(tp)
        check_records(rows(read(c, len(part1))), part1, "seek_to_beginning")
        c.close()
        admin.close()
    print("OK")


main()
