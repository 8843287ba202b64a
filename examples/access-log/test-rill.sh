#!/bin/sh
# test-rill.sh ACCESS-LOG RILL-RUN — the access-log job written as a
# rill-run pipeline (errors-per-minute.rill) against the C version
# (access-log.c) on the same generated logs: the windows, paths and counts
# must be equal, and so must the number of malformed lines each set aside.
# Once at P = 1 and once at P = 2.
set -eu
bin=$1
run=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export LC_ALL=C

"$bin" --out "$work/c" --quiet > /dev/null
# The C report: {"minute","path","errors","window_start"} per line.
/usr/bin/python3 -c '
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    print(r["window_start"], r["path"], r["errors"])' < "$work/c/report.jsonl" | sort > "$work/expected"
[ "$(wc -l < "$work/expected")" -gt 100 ] || { echo "C report too small"; exit 1; }

for p in 1 2; do
  mkdir "$work/r$p"
  cp "$work/c/logs.tar.gz" "$work/r$p/"
  (cd "$work/r$p" && "$run" -q -p $p -f "$here/errors-per-minute.rill")
  # At P = 2 the sinks write one file per task (NAME-TASK-SEQ.jsonl).
  cat "$work/r$p"/errors-per-minute*.jsonl > "$work/r$p/out.jsonl"
  cat "$work/r$p"/dead-letters*.jsonl > "$work/r$p/dead.jsonl"
  # rill-run's to-json: {"key","value","window_start","window_end",...}.
  /usr/bin/python3 -c '
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    assert r["window_end"] - r["window_start"] == 60000, r
    print(r["window_start"], r["key"], r["value"])' < "$work/r$p/out.jsonl" | sort > "$work/got$p"
  diff -u "$work/expected" "$work/got$p"
  [ "$(wc -l < "$work/r$p/dead.jsonl")" -eq "$(wc -l < "$work/c/dead-letters.jsonl")" ] ||
    { echo "P=$p: malformed lines differ from access-log's"; exit 1; }
done
echo "ok: errors-per-minute.rill equals access-log ($(wc -l < "$work/expected") windows, $(wc -l < "$work/c/dead-letters.jsonl") malformed)"
