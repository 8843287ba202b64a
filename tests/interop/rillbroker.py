"""rillbroker.py — the one place the interop tests start and stop rill-broker.

A Broker is a real build/tools/rill-broker process on 127.0.0.1 port 0 in a
temp data directory; the bound port is read from its "event=listening" line.
Use it as a context manager (stops it with SIGTERM, checks the clean exit,
removes the data directory) or call start()/kill()/stop() for crash tests.

Run as a program it wraps another command (the kafkajs and shell tests):
    rillbroker.py [--set key=value]... -- COMMAND ARGS...
starts a broker, runs COMMAND with RILL_BOOTSTRAP=127.0.0.1:PORT in its
environment, stops the broker and exits with COMMAND's status.

Also holds check(), wait_until() and the record assertions every Python
scenario uses. No timing assertions: waits are on conditions with generous
deadlines (DEADLINE seconds).
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

DEADLINE = 60


def binary_dir():
    d = os.environ.get("RILL_BINARY_DIR")
    if not d:
        sys.exit("RILL_BINARY_DIR is not set (ctest sets it)")
    return d


def check(cond, what):
    """Fails the test with @what unless @cond."""
    if not cond:
        print("FAIL:", what, flush=True)
        sys.exit(1)


def wait_until(cond, what, deadline=DEADLINE, step=0.02):
    end = time.monotonic() + deadline
    while True:
        v = cond()
        if v:
            return v
        check(time.monotonic() < end, "timed out waiting for " + what)
        time.sleep(step)


class Broker:
    def __init__(self, settings=(), data_dir=None):
        self.settings = list(settings)
        self.top = tempfile.mkdtemp(prefix="rill-interop-")
        self.data_dir = data_dir or os.path.join(self.top, "data")
        self.proc = None
        self.port = 0
        self.restarts = 0

    @property
    def bootstrap(self):
        return "127.0.0.1:%d" % self.port

    def start(self, port=0):
        """Starts (or restarts) the broker on the same data dir; @port 0 = any."""
        self.events = os.path.join(self.top, "events-%d.log" % self.restarts)
        self.restarts += 1
        argv = [os.path.join(binary_dir(), "tools", "rill-broker"), "--data-dir", self.data_dir,
                "--listen", "127.0.0.1:%d" % port]
        for s in self.settings:
            argv += ["--set", s]
        with open(self.events, "wb") as out:
            self.proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)

        def listening():
            check(self.proc.poll() is None, "rill-broker exited %s: %s" % (self.proc.returncode, self.log()))
            m = re.search(r"event=listening .*?port=(\d+)", self.log())
            return m and int(m.group(1))
        self.port = wait_until(listening, "rill-broker to listen")
        return self

    def log(self):
        with open(self.events, errors="replace") as f:
            return f.read()

    def kill(self):
        """A crash: SIGKILL, nothing flushed or closed."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        """A graceful stop, which must exit 0."""
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(DEADLINE)
        check(rc == 0, "rill-broker exit status %d after SIGTERM: %s" % (rc, self.log()[-3000:]))

    def __enter__(self):
        if not self.proc:
            self.start()
        return self

    def __exit__(self, etype, *rest):
        if self.proc and self.proc.poll() is None:
            if etype is None:
                self.stop()
            else:
                self.kill()
        if etype is None:
            shutil.rmtree(self.top, ignore_errors=True)
        else:
            print("broker log kept in", self.top, flush=True)


def check_records(got, want, what):
    """@got and @want: lists of (partition, key, value, headers, timestamp)
    tuples, in the order read/produced. Checks contents and per-partition
    order; headers are compared as lists of (name, bytes)."""
    def by_part(rs):
        parts = {}
        for r in rs:
            parts.setdefault(r[0], []).append(r[1:])
        return parts
    g, w = by_part(got), by_part(want)
    check(sorted(g) == sorted(w), "%s: partitions %s, expected %s" % (what, sorted(g), sorted(w)))
    for p in w:
        check(len(g[p]) == len(w[p]), "%s: partition %d has %d records, expected %d" % (what, p, len(g[p]), len(w[p])))
        for i, (a, b) in enumerate(zip(g[p], w[p])):
            check(a == b, "%s: partition %d record %d is %r, expected %r" % (what, p, i, a, b))


def main():
    args = sys.argv[1:]
    settings = []
    while args and args[0] == "--set":
        settings.append(args[1])
        args = args[2:]
    check(args and args[0] == "--", "usage: rillbroker.py [--set k=v]... -- COMMAND...")
    with Broker(settings) as b:
        env = dict(os.environ, RILL_BOOTSTRAP=b.bootstrap)
        rc = subprocess.call(args[1:], env=env)
        if rc != 0:
            print("command exited", rc, flush=True)
            print(b.log()[-3000:], flush=True)
            sys.exit(rc)


if __name__ == "__main__":
    main()
