#!/usr/bin/python3
"""python3-confluent-kafka (librdkafka 2.0.2) against a real rill-broker:
admin create/describe/delete topics; acks=all + enable.idempotence producers
with every compression codec, keys, null keys and values, headers and
explicit timestamps read back in order; offsets_for_times; watermark
offsets; a 1 MB message (and its rejection under the default limits).

The 3-member consumer group with a leave, commits and a resume after a broker
restart is tests/broker/group-e2e.py (ctest group-e2e); not repeated here.
"""
import time

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

from rillbroker import DEADLINE, Broker, check, check_records, wait_until

CODECS = ("none", "gzip", "snappy", "lz4", "zstd")
NPART = 4
BASE_TS = 1_650_000_000_000


def admin_topics(b):
    a = AdminClient({"bootstrap.servers": b.bootstrap})
    fs = a.create_topics([NewTopic("adm-1", 3, 1), NewTopic("adm-2", 1, 1, config={"retention.ms": "3600000"})],
                         operation_timeout=10)
    for t, f in fs.items():
        check(f.result(DEADLINE) is None, "created " + t)
    # Creating it again is TOPIC_ALREADY_EXISTS.
    try:
        a.create_topics([NewTopic("adm-1", 3, 1)])["adm-1"].result(DEADLINE)
        check(False, "a second create of adm-1 fails")
    except KafkaException as e:
        check(e.args[0].code() == KafkaError.TOPIC_ALREADY_EXISTS, "TOPIC_ALREADY_EXISTS, got %s" % e)
    md = a.list_topics(timeout=DEADLINE)
    check({"adm-1", "adm-2"} <= set(md.topics), "both listed: %s" % list(md.topics))
    check(sorted(md.topics["adm-1"].partitions) == [0, 1, 2], "adm-1 has 3 partitions")
    for p in md.topics["adm-1"].partitions.values():
        check(p.leader == 1 and p.replicas == [1] and p.isrs == [1], "partition %d led by broker 1" % p.id)
    res = ConfigResource(ConfigResource.Type.TOPIC, "adm-2")
    cfg = a.describe_configs([res])[res].result(DEADLINE)
    check(cfg["retention.ms"].value == "3600000", "described retention.ms=%s" % cfg["retention.ms"].value)
    for t, f in a.delete_topics(["adm-1"], operation_timeout=10).items():
        check(f.result(DEADLINE) is None, "deleted " + t)
    wait_until(lambda: "adm-1" not in a.list_topics(timeout=DEADLINE).topics, "adm-1 to disappear from metadata")
    check("adm-2" in a.list_topics(timeout=DEADLINE).topics, "adm-2 survives the delete of adm-1")


def records_for(codec):
    """(partition, key, value, headers, timestamp) in produce order, with
    null keys, null values and empty headers sprinkled in."""
    out = []
    for i in range(400):
        key = None if i % 7 == 0 else b"key-%d" % i
        value = None if i % 11 == 0 else (b"%s value %d " % (codec.encode(), i)) * (1 + i % 5)
        # No null header values: python3-confluent-kafka 1.7 drops a reference
        # to None for each one it reads (a client bug that aborts the
        # interpreter at exit); kafkajs/kafka-python tests cover them.
        headers = [] if i % 3 == 0 else [("h", b"x%d" % i), ("codec", codec.encode()), ("h", b"" if i % 2 else b"2")]
        out.append((i % NPART, key, value, headers, BASE_TS + i))
    return out


def norm_headers(h):
    return [(k, v) for k, v in (h or [])]


def consume_all(b, topic, n, **conf):
    c = Consumer({"bootstrap.servers": b.bootstrap, "group.id": "reader-" + topic, "enable.auto.commit": False,
                  "auto.offset.reset": "earliest", **conf})
    c.assign([TopicPartition(topic, p, 0) for p in range(NPART)])
    got = []
    end = time.monotonic() + DEADLINE
    while len(got) < n:
        check(time.monotonic() < end, "timed out reading %s (%d of %d)" % (topic, len(got), n))
        m = c.poll(0.2)
        if m is None:
            continue
        check(m.error() is None, "consume error %s" % m.error())
        got.append(m)
    c.close()
    return got


def produce_codecs(b):
    for codec in CODECS:
        topic = "codec-" + codec
        p = Producer({"bootstrap.servers": b.bootstrap, "acks": "all", "enable.idempotence": True,
                      "compression.codec": codec, "linger.ms": 5})
        want = records_for(codec)
        acked = []

        def report(err, msg):
            check(err is None, "%s delivery: %s" % (codec, err))
            acked.append((msg.partition(), msg.offset()))
        for part, key, value, headers, ts in want:
            p.produce(topic, key=key, value=value, headers=headers, partition=part, timestamp=ts, on_delivery=report)
        check(p.flush(DEADLINE) == 0, codec + " flushed")
        check(len(acked) == len(want), "%s: every record acknowledged" % codec)
        for part in range(NPART):
            offs = [o for pp, o in acked if pp == part]
            check(offs == list(range(len(offs))), "%s: partition %d acked offsets 0.. in order" % (codec, part))
        got = consume_all(b, topic, len(want))
        check_records([(m.partition(), m.key(), m.value(), norm_headers(m.headers()), m.timestamp()[1]) for m in got],
                      want, codec + " records")
        check(all(m.timestamp()[0] == 1 for m in got), "CreateTime timestamps")  # TIMESTAMP_CREATE_TIME
        print("codec", codec, "ok", flush=True)


def times_and_watermarks(b):
    topic = "codec-none"
    c = Consumer({"bootstrap.servers": b.bootstrap, "group.id": "times"})
    per_part = 100  # records_for: 400 records round-robin over 4 partitions
    for part in range(NPART):
        lo, hi = c.get_watermark_offsets(TopicPartition(topic, part), timeout=DEADLINE)
        check((lo, hi) == (0, per_part), "watermarks of partition %d: %s" % (part, (lo, hi)))
    # Record i is in partition i % 4 at offset i // 4 with timestamp BASE_TS + i.
    asks = [TopicPartition(topic, 0, BASE_TS + 41),   # between records 40 and 44: 44 -> offset 11
            TopicPartition(topic, 1, BASE_TS + 1),    # record 1 exactly -> offset 0
            TopicPartition(topic, 2, BASE_TS + 398),  # record 398 -> offset 99
            TopicPartition(topic, 3, BASE_TS + 10_000)]  # after everything -> -1 (end)
    got = c.offsets_for_times(asks, timeout=DEADLINE)
    check([tp.offset for tp in got] == [11, 0, 99, -1], "offsets_for_times: %s" % got)
    c.close()


def big_message(b):
    """1 MB (1,048,576-byte) value. Defaults: broker message.max.bytes
    1048588 (Kafka's) and librdkafka message.max.bytes 1000000 are both too
    small once the batch overhead is added, so both are raised here."""
    value = bytes(range(256)) * 4096
    a = AdminClient({"bootstrap.servers": b.bootstrap})
    a.create_topics([NewTopic("big", 1, 1, config={"max.message.bytes": "2000000"}),
                     NewTopic("small", 1, 1)])["big"].result(DEADLINE)
    p = Producer({"bootstrap.servers": b.bootstrap, "acks": "all", "message.max.bytes": 2_000_000})
    errs = {}

    def report(err, msg):
        errs[msg.topic()] = err
    p.produce("big", key=b"big", value=value, headers=[("size", b"1M")], on_delivery=report)
    p.produce("small", key=b"big", value=value, on_delivery=report)
    check(p.flush(DEADLINE) == 0, "1 MB messages flushed")
    check(errs["big"] is None, "1 MB accepted by a topic with max.message.bytes=2000000: %s" % errs["big"])
    check(errs["small"] is not None and errs["small"].code() == KafkaError.MSG_SIZE_TOO_LARGE,
          "1 MB rejected with MESSAGE_TOO_LARGE under the default limit: %s" % errs["small"])
    c = Consumer({"bootstrap.servers": b.bootstrap, "group.id": "big", "fetch.message.max.bytes": 2_000_000})
    c.assign([TopicPartition("big", 0, 0)])
    m = wait_until(lambda: c.poll(0.2), "the 1 MB message")
    check(m.error() is None and m.key() == b"big" and m.value() == value and m.headers() == [("size", b"1M")],
          "1 MB message read back intact")
    c.close()


def main():
    with Broker(["num.partitions=%d" % NPART]) as b:
        admin_topics(b)
        produce_codecs(b)
        times_and_watermarks(b)
        big_message(b)
    print("OK")


main()
