#!/bin/sh
# test.sh ACCESS-LOG — the flagship as users run it, checked against gawk
# (errors-per-minute.awk) over the very logs it generated: once from the
# generated tar.gz with P = 1, once from plain files with P = 2. The report
# and the malformed-line count must match exactly.
set -eu
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export LC_ALL=C

check() { # OUT-DIR SUMMARY LOG-FILES...
  out=$1; summary=$2; shift 2
  gawk -f "$here/errors-per-minute.awk" "$@" | sort > "$work/expected"
  grep -v '^malformed ' "$work/expected" > "$work/expected-errors"
  "$here/report-to-lines.py" < "$out/report.jsonl" | sort > "$work/got"
  diff -u "$work/expected-errors" "$work/got"
  malformed=$(sed -n 's/^malformed //p' "$work/expected")
  grep -q "malformed lines: $malformed " "$summary" || { echo "summary does not say $malformed malformed:"; cat "$summary"; exit 1; }
  [ "$(wc -l < "$out/report.jsonl")" -gt 100 ] || { echo "report too small"; exit 1; }
}

# 1. No arguments but --out: generated tar.gz, P = 1.
"$bin" --out "$work/a" --quiet > "$work/a.txt"
mkdir "$work/x"
tar -xzf "$work/a/logs.tar.gz" -C "$work/x"
check "$work/a" "$work/a.txt" "$work"/x/logs/*.log
[ "$(wc -l < "$work/a/dead-letters.jsonl")" -eq "$malformed" ]

# 2. Plain files, P = 2, a different size; run twice into the same directory
#    (the topic is recreated, so the report does not double).
"$bin" --generate-plain "$work/plain" --files 3 --lines-per-file 20000
"$bin" --out "$work/b" --quiet -p 2 --input "$work/plain" > /dev/null
"$bin" --out "$work/b" --quiet -p 2 --input "$work/plain" > "$work/b.txt"
check "$work/b" "$work/b.txt" "$work"/plain/*.log
echo "ok: reports match gawk"
