#!/usr/bin/python3
"""python3-confluent-kafka (librdkafka 2.0.2) against rill-broker: admin
create/describe/delete, idempotent acks=all produce with every codec, a 1 MB
message, null key and value, manual-assignment consume asserting contents,
keys, headers, timestamps and per-partition order, watermarks and
offsets_for_times. Exits non-zero (assertion) on any mismatch.
Usage: clients.py BOOTSTRAP"""
import sys
from confluent_kafka import Consumer, Producer, TopicPartition, KafkaError
from confluent_kafka.admin import AdminClient, NewTopic, ConfigResource

bs = sys.argv[1]
admin = AdminClient({'bootstrap.servers': bs})

# Admin: create (3 partitions, a config), validate_only, duplicate, describe.
res = admin.create_topics([NewTopic('py', num_partitions=3, replication_factor=1,
                                    config={'retention.ms': '3600000'})])
assert res['py'].result() is None
res = admin.create_topics([NewTopic('py-validate', num_partitions=1, replication_factor=1)],
                          validate_only=True)
assert res['py-validate'].result() is None
try:
    admin.create_topics([NewTopic('py', num_partitions=1, replication_factor=1)])['py'].result()
    raise AssertionError('duplicate topic was created')
except Exception as e:
    assert e.args[0].code() == KafkaError.TOPIC_ALREADY_EXISTS, e
md = admin.list_topics(timeout=10)
assert 'py' in md.topics and 'py-validate' not in md.topics
assert len(md.topics['py'].partitions) == 3
cfg = admin.describe_configs([ConfigResource(ConfigResource.Type.TOPIC, 'py')])
entries = list(cfg.values())[0].result()
assert entries['retention.ms'].value == '3600000', entries['retention.ms']

# Produce: idempotent, acks=all, every codec; record what we expect.
expected = {0: [], 1: [], 2: []}
for codec in ['none', 'gzip', 'snappy', 'lz4', 'zstd']:
    p = Producer({'bootstrap.servers': bs, 'acks': 'all', 'enable.idempotence': True,
                  'compression.type': codec, 'linger.ms': 5, 'message.max.bytes': 2000000})
    errors = []
    for i in range(60):
        part = i % 3
        key = ('%s-k%d' % (codec, i)).encode()
        val = ('%s-v%d' % (codec, i)).encode() * 3
        ts = 1600000000000 + i
        p.produce('py', key=key, value=val, partition=part, timestamp=ts,
                  headers=[('codec', codec.encode()), ('i', str(i).encode())],
                  on_delivery=lambda err, msg: errors.append(err) if err else None)
        expected[part].append((key, val, ts, [('codec', codec.encode()), ('i', str(i).encode())]))
    assert p.flush(30) == 0
    assert not errors, errors
# A 1 MB value, and null key + null value.
p = Producer({'bootstrap.servers': bs, 'acks': 'all', 'enable.idempotence': True,
              'message.max.bytes': 2000000})
big = (bytes(range(256)) * 3907)[:1000000]
errors = []
p.produce('py', key=b'big', value=big, partition=1, timestamp=1700000000000,
          on_delivery=lambda err, msg: errors.append(err) if err else None)
expected[1].append((b'big', big, 1700000000000, None))
p.produce('py', key=None, value=None, partition=2, timestamp=1700000000001,
          on_delivery=lambda err, msg: errors.append(err) if err else None)
expected[2].append((None, None, 1700000000001, None))
assert p.flush(30) == 0
assert not errors, errors

# Consume by assignment (no group coordinator needed) and compare, in order.
c = Consumer({'bootstrap.servers': bs, 'group.id': 'unused', 'enable.auto.commit': False,
              'fetch.wait.max.ms': 100})
c.assign([TopicPartition('py', i, 0) for i in range(3)])
got = {0: [], 1: [], 2: []}
want = sum(len(v) for v in expected.values())
n = 0
while n < want:
    m = c.poll(10)
    assert m is not None, 'timed out after %d of %d: %s' % (n, want, [(k, len(v), [x[0] for x in v[-2:]]) for k, v in got.items()])
    assert not m.error(), m.error()
    got[m.partition()].append((m.key(), m.value(), m.timestamp()[1], m.headers(), m.offset()))
    n += 1
for part in range(3):
    assert len(got[part]) == len(expected[part]), (part, len(got[part]), len(expected[part]))
    for i, (g, e) in enumerate(zip(got[part], expected[part])):
        assert g[4] == i, (part, i, g[4])
        assert g[0] == e[0] and g[1] == e[1] and g[2] == e[2], (part, i, g[:3], e[:3])
        if e[3] is not None:
            assert g[3] == e[3], (g[3], e[3])

# Watermarks and offsets_for_times.
for part in range(3):
    lo, hi = c.get_watermark_offsets(TopicPartition('py', part), timeout=10)
    assert (lo, hi) == (0, len(expected[part])), (part, lo, hi)
# Partition 0 holds timestamps 1600000000000 + i for i = 0, 3, 6, ...
r = c.offsets_for_times([TopicPartition('py', 0, 1600000000000 + 7)], timeout=10)
# As Kafka: the first record with ts >= the asked one (+9, offset 3), even
# inside a batch whose first record is older.
off = r[0].offset
assert off == 3 and expected[0][off][2] == 1600000000000 + 9, off
r = c.offsets_for_times([TopicPartition('py', 0, 1900000000000)], timeout=10)
assert r[0].offset == -1, r[0].offset
c.close()

# Delete.
assert admin.delete_topics(['py'])['py'].result() is None
assert 'py' not in admin.list_topics(timeout=10).topics
print('ok')
