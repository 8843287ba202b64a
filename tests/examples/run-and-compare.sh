#!/bin/sh
# run-and-compare.sh EXPECTED PROGRAM [ARGS...] — runs PROGRAM and fails
# unless its stdout equals EXPECTED byte for byte (diff shown on failure).
set -eu
expected=$1; shift
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$@" >"$out"
diff -u "$expected" "$out"
