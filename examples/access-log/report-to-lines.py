#!/usr/bin/python3
"""report-to-lines.py — prints the access-log report (JSON Lines on stdin) in
errors-per-minute.awk's form, "MINUTE PATH COUNT", for comparison."""
import json
import sys

for line in sys.stdin:
    r = json.loads(line)
    print(r["minute"], r["path"], r["errors"])
