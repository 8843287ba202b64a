#!/usr/bin/python3
"""kill -9 during acks=all produce under rill.durability=sync.

An idempotent confluent-kafka producer (enable.idempotence, acks=all) streams
keyed records; every record its delivery report acknowledges is noted. Once
some have been acknowledged, the broker is SIGKILLed mid-stream and
restarted on the same data directory and the same port; the producer
reconnects by itself and retries what was not acknowledged (the idempotence
state — producer id, epoch, sequences — must survive the restart, or the
retried batches would be duplicated or refused). Then everything is read:
every acknowledged record is present exactly once, nothing is present twice,
and each partition holds its records in produce order.
"""
import time

from confluent_kafka import Consumer, Producer, TopicPartition

from rillbroker import DEADLINE, Broker, check, wait_until

TOPIC, NPART, N = "crash", 3, 6000


def main():
    with Broker(["rill.durability=sync", "num.partitions=%d" % NPART]) as b:
        p = Producer({"bootstrap.servers": b.bootstrap, "acks": "all", "enable.idempotence": True,
                      "linger.ms": 2, "batch.num.messages": 50, "message.timeout.ms": 120000,
                      "reconnect.backoff.ms": 50, "reconnect.backoff.max.ms": 500})
        acked, failed = [], []

        def report(err, msg):
            if err is None:
                acked.append((msg.partition(), msg.offset(), msg.key()))
            else:
                failed.append((msg.key(), err))

        def send(i):
            while True:
                try:
                    p.produce(TOPIC, key=b"k%05d" % i, value=b"v%05d" % i, partition=i % NPART, on_delivery=report)
                    return
                except BufferError:
                    p.poll(0.05)
        i = 0
        # Produce (at most 1,000 unacknowledged) until 1,000 are acknowledged,
        # then crash mid-stream.
        while len(acked) < 1000:
            if i - len(acked) < 1000:
                send(i)
                i += 1
            p.poll(0 if i - len(acked) < 1000 else 0.01)
        in_flight = i - len(acked)
        port = b.port
        b.kill()
        n_acked_at_kill = len(acked)
        # Keep producing while it is down, then bring it back on the same port.
        while i < N * 2 // 3:
            send(i)
            i += 1
            p.poll(0)
        b.start(port=port)
        while i < N:
            send(i)
            i += 1
            p.poll(0)
        check(p.flush(DEADLINE * 2) == 0, "every record delivered or failed")
        check(not failed, "no delivery failures: %s" % failed[:5])
        check(len(acked) == N, "every record acknowledged (%d of %d; %d before the kill)" % (len(acked), N, n_acked_at_kill))
        print("acked before the kill:", n_acked_at_kill, "unacknowledged then:", in_flight, flush=True)

        c = Consumer({"bootstrap.servers": b.bootstrap, "group.id": "crash-check", "enable.auto.commit": False})
        c.assign([TopicPartition(TOPIC, part, 0) for part in range(NPART)])
        got = []

        def read_all():
            m = c.poll(0.2)
            if m is not None:
                check(m.error() is None, "consume error %s" % m.error())
                got.append((m.partition(), m.offset(), m.key(), m.value()))
            return len(got) >= N
        wait_until(read_all, "all %d records" % N, step=0)
        time.sleep(0.5)  # a duplicate, if any, would come right behind
        while (m := c.poll(0.2)) is not None:
            check(m.error() is None, "consume error %s" % m.error())
            got.append((m.partition(), m.offset(), m.key(), m.value()))
        c.close()
        keys = [k for _, _, k, _ in got]
        check(len(keys) == len(set(keys)) == N, "each record exactly once (%d read, %d distinct)" % (len(keys), len(set(keys))))
        where = {k: (part, off) for part, off, k, _ in got}
        for part, off, k in acked:
            check(where.get(k) == (part, off), "acked %r at %d/%d is there (found %s)" % (k, part, off, where.get(k)))
        for part in range(NPART):
            ks = [int(k[1:]) for pp, _, k, _ in got if pp == part]
            check(ks == sorted(ks), "partition %d in produce order" % part)
        check(all(v == b"v" + k[1:] for _, _, k, v in got), "values intact")
    print("OK")


main()
