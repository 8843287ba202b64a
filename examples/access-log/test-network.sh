#!/bin/sh
# test-network.sh ACCESS-LOG RILL-BROKER — the flagship by configuration
# alone against network brokers:
# 1. --bootstrap-servers: a real rill-broker process (two partitions per
#    topic) holds the topic; the report must equal the embedded run's on the
#    same generated logs (which test.sh checks against gawk), and kcat must
#    read as many records from the topic.
# 2. --listen 127.0.0.1:0: the embedded log served while the job runs; kcat
#    reads every (path, count) of the report from the topic, then SIGTERM
#    ends the job cleanly.
set -eu
bin=$1; broker=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
. "$here/../../tests/examples/broker.sh"
job=
trap '[ -n "$job" ] && kill -TERM "$job" 2>/dev/null; stop_broker || true; rm -rf "$work"' EXIT
export LC_ALL=C
size="--files 2 --lines-per-file 10000 --quiet"

"$bin" --out "$work/a" $size > /dev/null
sort "$work/a/report.jsonl" > "$work/expected"
[ "$(wc -l < "$work/expected")" -gt 50 ] || { echo "report too small"; exit 1; }

# 1. External broker.
start_broker "$broker" "$work/broker" --set num.partitions=2
"$bin" --out "$work/b" $size --bootstrap-servers "$BOOTSTRAP" --topic epm-1 > "$work/b.txt"
grep -q "topic epm-1 at $BOOTSTRAP" "$work/b.txt" || { cat "$work/b.txt"; exit 1; }
sort "$work/b/report.jsonl" | diff -u "$work/expected" -
[ "$(kcat -C -b "$BOOTSTRAP" -t epm-1 -e -q -f '%p\n' | wc -l)" -eq "$(wc -l < "$work/expected")" ]
[ "$(kcat -C -b "$BOOTSTRAP" -t epm-1 -e -q -f '%p\n' | sort -u | wc -l)" -eq 2 ]
stop_broker

# 2. --listen: serve the embedded log.
"$bin" --out "$work/c" $size --listen 127.0.0.1:0 > "$work/c.txt" &
job=$!
i=0
until grep -q "still serving" "$work/c.txt"; do
  kill -0 "$job" 2>/dev/null || { echo "access-log --listen exited:"; cat "$work/c.txt"; exit 1; }
  i=$((i + 1)); [ "$i" -lt 3000 ] || { echo "access-log --listen never finished"; exit 1; }
  sleep 0.01
done
port=$(sed -n 's/.*serving errors-per-minute on .* port \([0-9]*\)$/\1/p' "$work/c.txt" | head -1)
kcat -C -b "127.0.0.1:$port" -t errors-per-minute -e -q -f '%k %s\n' | sort > "$work/got-listen"
sed 's/.*"path":"\([^"]*\)","errors":\([0-9]*\),.*/\1 \2/' "$work/expected" | sort | diff -u - "$work/got-listen"
kill -TERM "$job"
rc=0; wait "$job" || rc=$?
job=
[ "$rc" -eq 0 ] || { echo "access-log --listen exited with $rc"; exit 1; }
sort "$work/c/report.jsonl" | diff -u "$work/expected" -
echo "ok: external broker and --listen match the embedded run"
