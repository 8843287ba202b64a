#!/usr/bin/python3
"""bench/rill-run/normalize.py MODE < OUTPUT > CANONICAL — one form for
every tool's output of a job, so bench/rill-run can compare them byte for
byte: lines sorted, and
  json    each line a JSON object, rewritten with sorted keys, no blanks
  csv     CSV rows as they are, a header row (first field "ts") dropped
  counts  "MINUTE_MS KEY COUNT" from plain lines (numbers made integers) or
          from rill's to-json window results (window_start, key, value)"""
import json
import sys

mode = sys.argv[1]
rows = []
for line in sys.stdin:
    line = line.rstrip("\n")
    if not line:
        continue
    if mode == "json":
        rows.append(json.dumps(json.loads(line), sort_keys=True, separators=(",", ":")))
    elif mode == "csv":
        if not line.startswith("ts,"):
            rows.append(line)
    elif line.startswith("{"):
        o = json.loads(line)
        rows.append("%d %s %d" % (o["window_start"], o["key"], o["value"]))
    else:
        m, k, c = line.split()
        rows.append("%d %s %d" % (int(float(m)), k, int(float(c))))
rows.sort()
sys.stdout.write("\n".join(rows) + ("\n" if rows else ""))
