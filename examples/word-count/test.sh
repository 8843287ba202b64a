#!/bin/sh
# test.sh WORD-COUNT TEXTS-DIR — the top 15 words at P = 1 and P = 3 must
# equal what tr | sort | uniq -c computes over the same files.
set -eu
bin=$1; texts=$2
export LC_ALL=C
expected=$(cat "$texts"/*.txt | tr -cs 'A-Za-z' '\n' | tr 'A-Z' 'a-z' | grep -v '^$' | sort | uniq -c |
           sort -k1,1nr -k2,2 | head -15 | awk '{print $1, $2}')
for p in 1 3; do
  got=$("$bin" -n 15 -p "$p" "$texts")
  [ "$got" = "$expected" ] || { echo "P=$p differs:"; echo "expected:"; echo "$expected"; echo "got:"; echo "$got"; exit 1; }
done
echo "ok"
