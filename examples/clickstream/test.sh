#!/bin/sh
# test.sh CLICKSTREAM — sessions from the example (P = 1 with the default 30
# minute gap, P = 3 with a 10 minute gap) must equal what sessions.py
# computes over the clicks the example generated.
set -eu
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export LC_ALL=C

"$bin" --out "$work/a" > "$work/a.txt"
/usr/bin/python3 "$here/sessions.py" 30 < "$work/a/clicks.txt" | sort > "$work/expected-a"
sort "$work/a/sessions.txt" > "$work/got-a"
diff -u "$work/expected-a" "$work/got-a"
[ "$(wc -l < "$work/got-a")" -gt 300 ] || { echo "too few sessions"; exit 1; }
grep -q "$(wc -l < "$work/a/clicks.txt" | tr -d ' ') clicks -> $(wc -l < "$work/got-a" | tr -d ' ') sessions" "$work/a.txt" ||
  { echo "summary wrong:"; cat "$work/a.txt"; exit 1; }

"$bin" --out "$work/b" --input "$work/a/clicks.txt" --gap-min 10 -p 3 > /dev/null
/usr/bin/python3 "$here/sessions.py" 10 < "$work/a/clicks.txt" | sort > "$work/expected-b"
cat "$work"/b/sessions*.txt | sort > "$work/got-b"
diff -u "$work/expected-b" "$work/got-b"
echo "ok: sessions match sessions.py"
