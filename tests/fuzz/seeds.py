#!/usr/bin/python3
"""tests/fuzz/seeds.py — writes the seeds of the broker-request fuzz target
(tests/fuzz/corpus/broker-request/) from the requests captured from real
clients (kcat/librdkafka, kafka-python, kafkajs) in tests/wire/vectors/.

The target's input is a sequence of requests, each a 2-byte big-endian
length and a frame without its size prefix. Seeds:
  one-<capture>.bin       each captured request alone
  session-<client>.bin    every request one client scenario sent, in the
                          order a client sends them (so joins, commits,
                          produce and parked fetches follow each other)
  mix-<a>+<b>.bin         a producer session then a consumer-group session
Run it again when tests/wire/vectors/ changes."""
import os
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VEC = os.path.join(ROOT, "tests", "wire", "vectors")
OUT = os.path.join(ROOT, "tests", "fuzz", "corpus", "broker-request")
ORDER = ["apiversions", "metadata", "findcoordinator", "initproducerid", "joingroup", "syncgroup",
         "offsetfetch", "listoffsets", "produce", "fetch", "heartbeat", "offsetcommit", "leavegroup"]


def seq(frames):
    return b"".join(struct.pack(">H", len(f)) + f for f in frames)


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.remove(os.path.join(OUT, f))
    sessions = {}
    for name in sorted(os.listdir(VEC)):
        if not name.endswith(".bin"):
            continue
        data = open(os.path.join(VEC, name), "rb").read()
        assert len(data) < 65536, name
        api, rest = name[:-4].split("-", 1)
        client = rest.rsplit("-v", 1)[0]
        open(os.path.join(OUT, "one-" + name), "wb").write(seq([data]))
        sessions.setdefault(client, []).append((ORDER.index(api), name, data))
    for client, reqs in sorted(sessions.items()):
        reqs.sort()
        open(os.path.join(OUT, "session-%s.bin" % client), "wb").write(seq([d for _, _, d in reqs]))
    for a, b in [("librdkafka-idempotent", "librdkafka-group"), ("kafkajs-gzip", "kafkajs-group"),
                 ("kafka-python-none", "kafka-python-group")]:
        frames = [d for _, _, d in sorted(sessions[a])] + [d for _, _, d in sorted(sessions[b])]
        open(os.path.join(OUT, "mix-%s+%s.bin" % (a, b)), "wb").write(seq(frames))
    return 0


if __name__ == "__main__":
    sys.exit(main())
