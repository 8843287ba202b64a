#!/usr/bin/python3
"""idle-rss.py — what idle TLS connections cost rill-broker in memory.

Starts RILL_BROKER (default build/tools/rill-broker) with a SASL_SSL
listener (certificates made with the openssl CLI, as the security tests do),
opens N connections (default 1000) that finish the TLS handshake and then
send nothing (so none authenticates), and prints the broker's VmRSS
(resident) and VmData (heap and private mappings: what it reserved, touched
or not) before and with them open, and the difference per connection. Runs
RUNS times (default 5), a fresh broker each, and prints the medians.

  bench/tls/idle-rss.py [RILL_BROKER] [N] [RUNS]
"""
import os
import re
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "security"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "interop"))
from secbroker import make_certs  # noqa: E402


def mem_kib(pid):
    """(VmRSS, VmData) in KiB."""
    with open(f"/proc/{pid}/status") as f:
        text = f.read()
    return tuple(int(re.search(k + r":\s+(\d+) kB", text).group(1)) for k in ("VmRSS", "VmData"))


def one_run(exe, n, d):
    data = os.path.join(d, "data")
    log = open(os.path.join(d, "events.log"), "w")
    broker = subprocess.Popen([exe, "--data-dir", data, "--set", "listeners=SASL_SSL://127.0.0.1:0",
                               "--set", f"ssl.keystore.location={d}/broker.pem",
                               "--set", f"ssl.key.location={d}/broker.key"], stdout=log, stderr=log)
    try:
        port = None
        for _ in range(500):
            text = open(os.path.join(d, "events.log")).read()
            m = re.search(r"event=listening.* port=(\d+)", text)
            if m:
                port = int(m.group(1))
                break
            time.sleep(0.01)
        assert port, "rill-broker did not listen"
        ctx = ssl.create_default_context(cafile=os.path.join(d, "ca.pem"))
        time.sleep(0.2)
        before = mem_kib(broker.pid)
        conns = []
        for _ in range(n):
            s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="localhost")
            conns.append(s)
        time.sleep(0.5)
        with_conns = mem_kib(broker.pid)
        for s in conns:
            s.close()
        return before, with_conns
    finally:
        broker.terminate()
        broker.wait()
        log.close()


def main():
    exe = sys.argv[1] if len(sys.argv) > 1 else "build/tools/rill-broker"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    rss, data = [], []
    with tempfile.TemporaryDirectory(prefix="rill-idle-rss-") as d:
        make_certs(d)
        for _ in range(runs):
            before, with_conns = one_run(exe, n, d)
            subprocess.run(["rm", "-rf", os.path.join(d, "data")], check=True)
            rss.append(with_conns[0] - before[0])
            data.append(with_conns[1] - before[1])
            print(f"VmRSS {before[0]} -> {with_conns[0]} KiB (+{rss[-1] / n:.1f} KiB per connection), "
                  f"VmData {before[1]} -> {with_conns[1]} KiB (+{data[-1] / n:.1f} KiB per connection)")
    print(f"median of {runs}, {n} idle TLS connections: VmRSS +{statistics.median(rss) / n:.1f} KiB, "
          f"VmData +{statistics.median(data) / n:.1f} KiB per connection")

if __name__ == "__main__":
    main()
