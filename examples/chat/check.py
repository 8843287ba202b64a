#!/usr/bin/python3
# check.py OUT PARTITIONS FROM_OFFSET FROM_TIME_MS — the chat test's
# reference. From OUT/messages.txt alone it computes where each message must
# be: partition = Kafka's murmur2(conversation) (written here from the Java
# client's definition) mod PARTITIONS, offset = its index among that
# partition's messages in file order. Then it checks
#   - OUT/inbox/CONV.txt: exactly the conversation's messages, in order,
#     each with that partition and offset;
#   - OUT/replay-offset.txt: per partition, exactly the messages from offset
#     FROM_OFFSET on, in order;
#   - OUT/replay-time.txt: per conversation, an in-order suffix of its history
#     holding every message at or after FROM_TIME_MS (replay starts at the
#     first stored batch reaching that time, so a few earlier ones may come).
import os
import sys
from collections import defaultdict

M32 = 0xFFFFFFFF


def murmur2(data):
    m, r = 0x5BD1E995, 24
    h = (0x9747B28C ^ len(data)) & M32
    n4 = len(data) // 4
    for i in range(n4):
        k = int.from_bytes(data[4 * i:4 * i + 4], "little")
        k = (k * m) & M32
        k ^= k >> r
        k = (k * m) & M32
        h = (h * m) & M32
        h ^= k
    tail = data[4 * n4:]
    if len(tail) >= 3:
        h ^= tail[2] << 16
    if len(tail) >= 2:
        h ^= tail[1] << 8
    if len(tail) >= 1:
        h ^= tail[0]
        h = (h * m) & M32
    h ^= h >> 13
    h = (h * m) & M32
    h ^= h >> 15
    return h


out, partitions, from_offset, from_time = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
by_partition = defaultdict(list)  # partition -> [(conv, rest)]
by_conv = defaultdict(list)  # conv -> ["P O rest"]
times = defaultdict(list)  # conv -> [ts]
for line in open(os.path.join(out, "messages.txt")):
    ts, conv, rest = line.rstrip("\n").split(" ", 2)
    p = (murmur2(conv.encode()) & 0x7FFFFFFF) % partitions
    off = len(by_partition[p])
    by_partition[p].append((conv, rest))
    by_conv[conv].append("%d %d %s" % (p, off, rest))
    times[conv].append(int(ts))
fail = False


def differ(what, want, have):
    global fail
    if want != have:
        fail = True
        print(what, "\n  want", want[:5], "...", len(want), "\n  have", have[:5], "...", len(have))


inbox = os.path.join(out, "inbox")
differ("conversations", sorted(c + ".txt" for c in by_conv), sorted(os.listdir(inbox)))
for conv, want in by_conv.items():
    differ("inbox " + conv, want, open(os.path.join(inbox, conv + ".txt")).read().splitlines())

have = defaultdict(list)
for line in open(os.path.join(out, "replay-offset.txt")):
    p, off, conv, rest = line.rstrip("\n").split(" ", 3)
    have[int(p)].append("%s %s %s" % (off, conv, rest))
want = {p: ["%d %s %s" % (i, c, r) for i, (c, r) in enumerate(msgs) if i >= from_offset]
        for p, msgs in by_partition.items()}
differ("replay from offset", sorted((p, v) for p, v in want.items() if v), sorted((p, v) for p, v in have.items() if v))

have = defaultdict(list)
for line in open(os.path.join(out, "replay-time.txt")):
    p, off, conv, rest = line.rstrip("\n").split(" ", 3)
    have[conv].append("%s %s %s" % (p, off, rest))
replayed = 0
for conv, msgs in by_conv.items():
    must = sum(1 for t in times[conv] if t >= from_time)
    got = have.get(conv, [])
    replayed += len(got)
    if len(got) < must or got != msgs[len(msgs) - len(got):]:
        fail = True
        print("replay from time, conversation", conv, ": not a suffix holding the last", must)
if not fail:
    print("ok: %d conversations in order; replays of %d and %d messages" %
          (len(by_conv), sum(map(len, want.values())), replayed))
sys.exit(1 if fail else 0)
