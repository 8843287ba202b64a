#!/usr/bin/python3
"""capture.py — records the raw requests real Kafka clients send, as golden
vectors for rill's codec tests.

  tests/wire/capture.py [OUTDIR]     (default: tests/wire/vectors)

It starts a tiny single-broker Kafka stand-in on 127.0.0.1 (an ephemeral
port), then drives kcat (librdkafka 2.0.2), kafka-python 2.0.2 and kafkajs
2.2.4 (tests/interop/node_modules) through produce (each compression the
client supports), plain consume and group consume. The stand-in answers just
enough for each client to go on: ApiVersions, Metadata pointing back at
itself, Produce acks, ListOffsets, Fetch (returning what was produced),
FindCoordinator, Join/Sync/Heartbeat/Leave, OffsetCommit/OffsetFetch,
InitProducerId.

Every request frame (the bytes after the 4-byte size) is written to
OUTDIR/<api>-<client>[-<what>]-v<version>[-<n>].bin, and OUTDIR/manifest.txt
gets one line per file with what the client was TOLD to send (topic, client
id, group id, message count, compression) — the expected values for
tests/wire/test-vectors.c, taken from this script's inputs, never from a
decoder. The first request of each (client, scenario, api, version) is kept.

Encoding/decoding here is a small Python interpreter of
runtime/wire/messages.def, independent of the C codec under test.
"""
import os
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "runtime", "wire"))
import gen_messages  # noqa: E402

APIS = {a.key: a for a in gen_messages.parse(os.path.join(ROOT, "runtime", "wire", "messages.def"))}
# What the stand-in advertises: PROTOCOL.md's "Advertise" column where it has
# one, else the codec's full range -- except Produce and Fetch, which start at
# 0: librdkafka 2.0.2 only compresses with gzip/snappy/lz4 when the broker's
# ranges reach the old versions (with 3-7/4-11 it logs "Broker does not
# support compression type gzip: not compressing batch").
ADVERTISE = {0: (0, 7), 1: (0, 11), 2: (0, 5), 3: (0, 6), 8: (0, 7), 9: (0, 7), 10: (0, 2), 11: (0, 5),
             12: (0, 3), 13: (0, 3), 14: (0, 3), 15: (0, 4), 16: (0, 4), 18: (0, 3), 19: (0, 4), 20: (0, 3),
             22: (0, 4), 32: (0, 2)}
SNAKE = {k: gen_messages.snake(a.name).replace("_", "") for k, a in APIS.items()}


# ---- a small interpreter of messages.def --------------------------------

def present(f, v):
    return f.vmin <= v <= f.vmax


class Reader:
    def __init__(self, buf):
        self.b, self.p = buf, 0

    def take(self, n):
        if n < 0 or self.p + n > len(self.b):
            raise ValueError("truncated")
        out = self.b[self.p:self.p + n]
        self.p += n
        return out

    def fixed(self, fmt):
        return struct.unpack(">" + fmt, self.take(struct.calcsize(fmt)))[0]

    def uvarint(self):
        v = shift = 0
        while True:
            c = self.take(1)[0]
            v |= (c & 0x7F) << shift
            shift += 7
            if not c & 0x80:
                return v


FMT = {"int8": "b", "int16": "h", "int32": "i", "int64": "q", "uint16": "H", "uint32": "I",
       "float64": "d", "bool": "?"}


def decode_struct(r, fields, v, flex):
    out = {}
    for f in fields:
        if f.tag >= 0 or not present(f, v):
            continue
        out[f.name] = decode_field(r, f, v, flex)
    if flex:
        for _ in range(r.uvarint()):
            tag, size = r.uvarint(), r.uvarint()
            data = r.take(size)
            for f in fields:
                if f.tag == tag and present(f, v):
                    out[f.name] = decode_field(Reader(data), f, v, flex)
    return out


def decode_one(r, f, base, v, flex):
    if base in FMT:
        return r.fixed(FMT[base])
    if base == "uuid":
        return r.take(16)
    if base in ("string", "bytes", "records"):
        if flex:
            n = r.uvarint() - 1
        else:
            n = r.fixed("h" if base == "string" else "i")
        if n < 0:
            return None
        data = r.take(n)
        return data.decode() if base == "string" else data
    return decode_struct(r, f.children, v, flex)


def decode_field(r, f, v, flex):
    if not f.is_array:
        return decode_one(r, f, f.base, v, flex)
    n = r.uvarint() - 1 if flex else r.fixed("i")
    if n < 0:
        return None
    return [decode_one(r, f, f.base, v, flex) for _ in range(n)]


def default_of(f):
    if f.is_array:
        return None if f.default == "null" else []
    if f.is_struct:
        return {}
    if f.base in ("string", "bytes", "records"):
        return None if f.default == "null" else ("" if f.base == "string" else b"")
    if f.base == "uuid":
        return bytes(16)
    if f.default in (None, "false"):
        return 0
    return 1 if f.default == "true" else int(f.default, 0)


def uvarint(n):
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def encode_one(f, base, val, v, flex):
    if base in FMT:
        return struct.pack(">" + FMT[base], val)
    if base == "uuid":
        return val
    if base in ("string", "bytes", "records"):
        if val is None:
            return b"\x00" if flex else struct.pack(">h" if base == "string" else ">i", -1)
        data = val.encode() if isinstance(val, str) else val
        return (uvarint(len(data) + 1) if flex else struct.pack(">h" if base == "string" else ">i", len(data))) + data
    return encode_struct(f.children, val, v, flex)


def encode_field(f, val, v, flex):
    if not f.is_array:
        return encode_one(f, f.base, val, v, flex)
    if val is None:
        return b"\x00" if flex else struct.pack(">i", -1)
    head = uvarint(len(val) + 1) if flex else struct.pack(">i", len(val))
    return head + b"".join(encode_one(f, f.base, x, v, flex) for x in val)


def encode_struct(fields, obj, v, flex):
    out = bytearray()
    for f in fields:
        if f.tag >= 0 or not present(f, v):
            continue
        out += encode_field(f, obj.get(f.name, default_of(f)), v, flex)
    if flex:
        out += b"\x00"  # the stand-in never sends tagged fields
    return bytes(out)


def flexible(key, v):
    a = APIS[key]
    return a.flex >= 0 and v >= a.flex


# ---- the stand-in broker -------------------------------------------------

class Broker:
    def __init__(self, outdir):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.outdir = outdir
        self.lock = threading.Lock()
        self.logs = {}       # topic -> [(base_offset, batch bytes, count)]
        self.commits = {}    # (group, topic, partition) -> offset
        self.scenario = None  # (client, what, expectations dict)
        self.saved = set()
        self.manifest = []
        self.stop = False
        threading.Thread(target=self.accept_loop, daemon=True).start()

    def accept_loop(self):
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(conn,), daemon=True).start()

    def serve(self, conn):
        try:
            while True:
                head = recv_exact(conn, 4)
                if head is None:
                    return
                frame = recv_exact(conn, struct.unpack(">i", head)[0])
                if frame is None:
                    return
                reply = self.handle(frame)
                if reply is not None:
                    conn.sendall(struct.pack(">i", len(reply)) + reply)
        except (OSError, ValueError) as e:
            sys.stderr.write(f"capture: connection dropped: {e}\n")
        finally:
            conn.close()

    def record(self, key, v, frame):
        client, what, expect = self.scenario
        name = SNAKE.get(key, f"api{key}")
        ident = (client, what, key, v)
        if ident in self.saved:
            return
        self.saved.add(ident)
        fname = f"{name}-{client}{'-' + what if what else ''}-v{v}.bin"
        with open(os.path.join(self.outdir, fname), "wb") as f:
            f.write(frame)
        fields = " ".join(f"{k}={val}" for k, val in sorted(expect.items()))
        self.manifest.append(f"{fname} api={key} version={v} {fields}")

    def handle(self, frame):
        r = Reader(frame)
        key, v, corr = r.fixed("h"), r.fixed("h"), r.fixed("i")
        r.fixed("h") and None
        r.p -= 2
        n = r.fixed("h")
        client_id = r.take(n).decode() if n >= 0 else None
        with self.lock:
            self.record(key, v, frame)
        if key not in APIS or key not in ADVERTISE:
            return None
        lo, hi = ADVERTISE[key]
        if key == 18 and not lo <= v <= hi:
            body = encode_struct(APIS[18].response, {"ErrorCode": 35, "ApiKeys": self.api_keys()}, 0, False)
            return struct.pack(">i", corr) + body
        flex = flexible(key, v)
        if flex:
            for _ in range(r.uvarint()):
                r.uvarint()
                r.take(r.uvarint())
        req = decode_struct(r, APIS[key].request, v, flex)
        with self.lock:
            resp = getattr(self, "on_" + SNAKE[key])(req, v, client_id)
        head = struct.pack(">i", corr) + (b"\x00" if flex and key != 18 else b"")
        if key == 0 and req["Acks"] == 0:
            return None
        return head + encode_struct(APIS[key].response, resp, v, flex)

    def api_keys(self):
        return [{"ApiKey": k, "MinVersion": lo, "MaxVersion": hi} for k, (lo, hi) in sorted(ADVERTISE.items())]

    # -- handlers: each returns the response dict ---------------------------

    def on_apiversions(self, req, v, cid):
        return {"ErrorCode": 0, "ApiKeys": self.api_keys()}

    def topic_meta(self, name):
        self.logs.setdefault(name, [])
        return {"ErrorCode": 0, "Name": name, "Partitions": [
            {"ErrorCode": 0, "PartitionIndex": 0, "LeaderId": 1, "LeaderEpoch": 0,
             "ReplicaNodes": [1], "IsrNodes": [1], "OfflineReplicas": []}]}

    def on_metadata(self, req, v, cid):
        names = [t["Name"] for t in (req["Topics"] or [])]
        if not names and (req["Topics"] is None or v == 0):
            names = sorted(self.logs)
        return {"Brokers": [{"NodeId": 1, "Host": "127.0.0.1", "Port": self.port, "Rack": None}],
                "ClusterId": "rill-capture", "ControllerId": 1,
                "Topics": [self.topic_meta(n) for n in names]}

    def end_offset(self, topic):
        log = self.logs.setdefault(topic, [])
        return log[-1][0] + log[-1][2] if log else 0

    def on_produce(self, req, v, cid):
        out = []
        for t in req["Topics"]:
            parts = []
            for p in t["Partitions"]:
                base = self.end_offset(t["Name"])
                batch = bytearray(p["Records"])
                count = struct.unpack(">i", batch[57:61])[0]
                batch[0:8] = struct.pack(">q", base)
                self.logs[t["Name"]].append((base, bytes(batch), count))
                parts.append({"Index": p["Index"], "ErrorCode": 0, "BaseOffset": base,
                              "LogAppendTimeMs": -1, "LogStartOffset": 0})
            out.append({"Name": t["Name"], "Partitions": parts})
        return {"Responses": out}

    def on_listoffsets(self, req, v, cid):
        out = []
        for t in req["Topics"]:
            parts = []
            for p in t["Partitions"]:
                off = 0 if p["Timestamp"] == -2 else self.end_offset(t["Name"])
                parts.append({"PartitionIndex": p["PartitionIndex"], "ErrorCode": 0, "OldStyleOffsets": [off],
                              "Timestamp": -1, "Offset": off, "LeaderEpoch": 0})
            out.append({"Name": t["Name"], "Partitions": parts})
        return {"Topics": out}

    def on_fetch(self, req, v, cid):
        out = []
        waited = False
        for t in req["Topics"]:
            parts = []
            for p in t["Partitions"]:
                log = self.logs.setdefault(t["Topic"], [])
                data = b"".join(b for base, b, n in log if base + n > p["FetchOffset"])
                if not data and not waited:
                    waited = True
                    self.lock.release()
                    time.sleep(min(req["MaxWaitMs"], 100) / 1000)
                    self.lock.acquire()
                end = self.end_offset(t["Topic"])
                parts.append({"PartitionIndex": p["Partition"], "ErrorCode": 0, "HighWatermark": end,
                              "LastStableOffset": end, "LogStartOffset": 0, "AbortedTransactions": [],
                              "PreferredReadReplica": -1, "Records": data})
            out.append({"Topic": t["Topic"], "Partitions": parts})
        return {"ErrorCode": 0, "SessionId": 0, "Responses": out}

    def on_findcoordinator(self, req, v, cid):
        node = {"ErrorCode": 0, "ErrorMessage": None, "NodeId": 1, "Host": "127.0.0.1", "Port": self.port}
        if v >= 4:
            return {"Coordinators": [dict(node, Key=k) for k in req["CoordinatorKeys"]]}
        return node

    def on_joingroup(self, req, v, cid):
        member = req["MemberId"] or f"{cid}-member-1"
        proto = req["Protocols"][0]
        return {"ErrorCode": 0, "GenerationId": 1, "ProtocolType": req["ProtocolType"], "ProtocolName": proto["Name"],
                "Leader": member, "MemberId": member,
                "Members": [{"MemberId": member, "GroupInstanceId": None, "Metadata": proto["Metadata"]}]}

    def on_syncgroup(self, req, v, cid):
        mine = [a["Assignment"] for a in req["Assignments"] if a["MemberId"] == req["MemberId"]]
        return {"ErrorCode": 0, "ProtocolType": req.get("ProtocolType"), "ProtocolName": req.get("ProtocolName"),
                "Assignment": mine[0] if mine else b""}

    def on_heartbeat(self, req, v, cid):
        return {"ErrorCode": 0}

    def on_leavegroup(self, req, v, cid):
        return {"ErrorCode": 0, "Members": [{"MemberId": m["MemberId"], "GroupInstanceId": m["GroupInstanceId"],
                                             "ErrorCode": 0} for m in req.get("Members", [])]}

    def on_offsetcommit(self, req, v, cid):
        out = []
        for t in req["Topics"]:
            for p in t["Partitions"]:
                self.commits[(req["GroupId"], t["Name"], p["PartitionIndex"])] = p["CommittedOffset"]
            out.append({"Name": t["Name"], "Partitions": [{"PartitionIndex": p["PartitionIndex"], "ErrorCode": 0}
                                                          for p in t["Partitions"]]})
        return {"Topics": out}

    def on_offsetfetch(self, req, v, cid):
        def topics(group, ts):
            return [{"Name": t["Name"], "Partitions": [
                {"PartitionIndex": p, "CommittedOffset": self.commits.get((group, t["Name"], p), -1),
                 "CommittedLeaderEpoch": -1, "Metadata": "", "ErrorCode": 0} for p in t["PartitionIndexes"]]}
                for t in (ts or [])]
        if v >= 8:
            return {"Groups": [{"GroupId": g["GroupId"], "Topics": topics(g["GroupId"], g["Topics"]), "ErrorCode": 0}
                               for g in req["Groups"]]}
        return {"Topics": topics(req["GroupId"], req["Topics"]), "ErrorCode": 0}

    def on_initproducerid(self, req, v, cid):
        return {"ErrorCode": 0, "ProducerId": 4242, "ProducerEpoch": 0}

    def __getattr__(self, name):
        if name.startswith("on_"):
            return lambda req, v, cid: {}
        raise AttributeError(name)


def recv_exact(conn, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


# ---- the scenarios ---------------------------------------------------------

# Long and repetitive, so every codec actually compresses (librdkafka sends
# a batch uncompressed when compression would not make it smaller).
MESSAGES = [f"message-{i}-" + "rill" * 50 for i in range(5)]


def run(cmd, stdin=None, timeout=60, env=None):
    res = subprocess.run(cmd, input=stdin, capture_output=True, timeout=timeout, env=env)
    if res.returncode != 0:
        sys.stderr.write(f"capture: {' '.join(cmd[:3])}... exited {res.returncode}\n{res.stderr.decode()[-2000:]}\n")
        raise SystemExit(1)
    return res.stdout


def scenario(broker, client, what, **expect):
    broker.scenario = (client, what, expect)


def librdkafka(broker):
    bs = f"127.0.0.1:{broker.port}"
    for codec in ("none", "gzip", "snappy", "lz4", "zstd"):
        topic = f"lrk-{codec}"
        scenario(broker, "librdkafka", codec, client_id=f"kcat-{codec}", topic=topic, messages=len(MESSAGES),
                 compression=codec, acks=-1)
        run(["kcat", "-P", "-b", bs, "-t", topic, "-p", "0", "-X", f"compression.codec={codec}", "-X", f"client.id=kcat-{codec}",
             "-X", "linger.ms=100", "-X", "acks=all"], stdin=("\n".join(MESSAGES) + "\n").encode())
    scenario(broker, "librdkafka", "idempotent", client_id="kcat-idempotent", topic="lrk-idem",
             messages=len(MESSAGES), compression="none", acks=-1)
    run(["kcat", "-P", "-b", bs, "-t", "lrk-idem", "-p", "0", "-X", "client.id=kcat-idempotent",
         "-X", "enable.idempotence=true", "-X", "linger.ms=100"], stdin=("\n".join(MESSAGES) + "\n").encode())
    scenario(broker, "librdkafka", "consume", client_id="kcat-consume", topic="lrk-none", messages=len(MESSAGES))
    out = run(["kcat", "-C", "-b", bs, "-t", "lrk-none", "-p", "0", "-o", "beginning", "-e", "-q",
               "-X", "client.id=kcat-consume", "-X", "fetch.wait.max.ms=50"])
    assert out.decode().split() == MESSAGES, out
    scenario(broker, "librdkafka", "group", client_id="kcat-group", topic="lrk-none", group="kcat-group",
             messages=len(MESSAGES))
    out = run(["kcat", "-G", "kcat-group", "-b", bs, "-c", str(len(MESSAGES)), "-q", "-o", "beginning",
               "-X", "client.id=kcat-group", "-X", "fetch.wait.max.ms=50", "-X", "auto.offset.reset=earliest",
               "lrk-none"])
    assert out.decode().split() == MESSAGES, out
    # rejoining the group resumes from the committed offset: OffsetFetch (flexible v7)
    scenario(broker, "librdkafka", "rejoin", client_id="kcat-rejoin", topic="lrk-none", group="kcat-group",
             messages=len(MESSAGES))
    run(["kcat", "-G", "kcat-group", "-b", bs, "-e", "-q", "-X", "client.id=kcat-rejoin",
         "-X", "fetch.wait.max.ms=50", "lrk-none"])


KP_SCRIPT = r"""
import sys
from kafka import KafkaProducer, KafkaConsumer, TopicPartition
bs, what, topic = sys.argv[1], sys.argv[2], sys.argv[3]
msgs = [(f"message-{i}-" + "rill" * 50).encode() for i in range(5)]
if what in ("none", "gzip"):
    p = KafkaProducer(bootstrap_servers=bs, client_id=f"kafka-python-{what}", linger_ms=100, acks=1,
                      compression_type=None if what == "none" else what)
    for m in msgs:
        p.send(topic, m, partition=0)
    p.flush(); p.close()
else:
    c = KafkaConsumer(bootstrap_servers=bs, client_id="kafka-python-group", group_id="kafka-python-group",
                      auto_offset_reset="earliest", enable_auto_commit=False, fetch_max_wait_ms=50)
    c.subscribe([topic])
    got = []
    while len(got) < len(msgs):
        for recs in c.poll(timeout_ms=500).values():
            got += [r.value for r in recs]
    assert got == msgs, got
    c.commit()
    c.close()
"""


def kafka_python(broker):
    bs = f"127.0.0.1:{broker.port}"
    for codec in ("none", "gzip"):
        topic = f"kp-{codec}"
        scenario(broker, "kafka-python", codec, client_id=f"kafka-python-{codec}", topic=topic,
                 messages=len(MESSAGES), compression=codec, acks=1)
        run(["/usr/bin/python3", "-c", KP_SCRIPT, bs, codec, topic])
    scenario(broker, "kafka-python", "group", client_id="kafka-python-group", topic="kp-none",
             group="kafka-python-group", messages=len(MESSAGES))
    run(["/usr/bin/python3", "-c", KP_SCRIPT, bs, "group", "kp-none"])


KJS_SCRIPT = r"""
const { Kafka, CompressionTypes, logLevel } = require('kafkajs');
const [bs, what, topic] = process.argv.slice(1); // node -e: no script path
const msgs = [0, 1, 2, 3, 4].map(i => ({ value: `message-${i}-` + 'rill'.repeat(50), partition: 0 }));
(async () => {
  const kafka = new Kafka({ brokers: [bs], clientId: `kafkajs-${what}`, logLevel: logLevel.NOTHING, retry: { retries: 2 } });
  if (what === 'none' || what === 'gzip') {
    const p = kafka.producer({ allowAutoTopicCreation: false });
    await p.connect();
    await p.send({ topic, messages: msgs, acks: -1,
                   compression: what === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None });
    await p.disconnect();
    return;
  }
  const c = kafka.consumer({ groupId: 'kafkajs-group', maxWaitTimeInMs: 50 });
  await c.connect();
  await c.subscribe({ topic, fromBeginning: true });
  let got = 0;
  await new Promise((resolve, reject) => {
    c.run({ autoCommit: false, eachMessage: async ({ message }) => {
      if (message.value.toString() !== msgs[got].value) reject(new Error('bad message'));
      if (++got === msgs.length) resolve();
    } }).catch(reject);
  });
  await c.commitOffsets([{ topic, partition: 0, offset: String(msgs.length) }]);
  await c.disconnect();
})().then(() => process.exit(0), e => { console.error(e); process.exit(1); });
"""


def kafkajs(broker):
    bs = f"127.0.0.1:{broker.port}"
    env = dict(os.environ, NODE_PATH=os.path.join(ROOT, "tests", "interop", "node_modules"))
    for codec in ("none", "gzip"):
        topic = f"kjs-{codec}"
        scenario(broker, "kafkajs", codec, client_id=f"kafkajs-{codec}", topic=topic, messages=len(MESSAGES),
                 compression=codec, acks=-1)
        run(["node", "-e", KJS_SCRIPT, bs, codec, topic], env=env)
    scenario(broker, "kafkajs", "group", client_id="kafkajs-group", topic="kjs-none", group="kafkajs-group",
             messages=len(MESSAGES))
    run(["node", "-e", KJS_SCRIPT, bs, "group", "kjs-none"], env=env)


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "tests", "wire", "vectors")
    if os.path.isdir(outdir):
        shutil.rmtree(outdir)
    os.makedirs(outdir)
    broker = Broker(outdir)
    librdkafka(broker)
    kafka_python(broker)
    kafkajs(broker)
    broker.stop = True
    broker.sock.close()
    with open(os.path.join(outdir, "manifest.txt"), "w") as f:
        f.write("# Generated by tests/wire/capture.py: FILE api=KEY version=V then the values the\n"
                "# client was told to send (the capture script's inputs).\n")
        f.write("\n".join(sorted(broker.manifest)) + "\n")
    print(f"captured {len(broker.manifest)} requests into {outdir}")


if __name__ == "__main__":
    main()
