#!/bin/sh
# test.sh CHAT — sends and delivers 500 generated messages (4 partitions, 2
# delivering tasks), replays from offset 100 and from a time two thirds into
# the conversation, and has check.py compare all of it with what it computes
# from messages.txt on its own.
set -eu
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export LC_ALL=C

"$bin" --out "$work/o" --partitions 4 -p 2 > "$work/send.txt"
grep -q "500 messages in 12 conversations" "$work/send.txt" || { cat "$work/send.txt"; exit 1; }
"$bin" --out "$work/o" --replay-from-offset 100 > /dev/null
mv "$work/o/replay.txt" "$work/o/replay-offset.txt"
t=$(sed -n '330p' "$work/o/messages.txt" | cut -d' ' -f1)
"$bin" --out "$work/o" --replay-from-time "$t" > /dev/null
mv "$work/o/replay.txt" "$work/o/replay-time.txt"
/usr/bin/python3 "$here/check.py" "$work/o" 4 100 "$t"
