#!/usr/bin/python3
"""bench/rill-run/gen.py DIR LINES — writes the inputs of bench/rill-run:
DIR/events.jsonl (compact JSON objects: ts in ms, user, level, status,
bytes, path), DIR/events.csv (the same records with a header row) and
DIR/access.log (combined log format), LINES lines each, from a fixed seed
so every run reads the same bytes. Timestamps only move forward (0-120 ms
apart), so a 1-minute window closes in order for every tool."""
import random
import sys
import time

out, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(14)
levels = ["info", "warn", "error", "debug"]
statuses = [200, 200, 200, 200, 301, 304, 404, 500, 503]
methods = ["GET", "GET", "GET", "POST", "PUT"]
agents = ["curl/8.4.0", "Mozilla/5.0 (X11; Linux x86_64)", "python-requests/2.31"]
months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
ts = 1700000000000
with open(f"{out}/events.jsonl", "w") as j, open(f"{out}/events.csv", "w") as c, \
        open(f"{out}/access.log", "w") as a:
    c.write("ts,user,level,status,bytes,path\n")
    for i in range(n):
        ts += rnd.randint(0, 120)
        user = "u%d" % rnd.randint(1, 1000)
        level = rnd.choice(levels)
        status = rnd.choice(statuses)
        size = rnd.randint(100, 100000)
        path = "/api/v1/item/%d" % rnd.randint(1, 50)
        j.write('{"ts":%d,"user":"%s","level":"%s","status":%d,"bytes":%d,"path":"%s"}\n'
                % (ts, user, level, status, size, path))
        c.write("%d,%s,%s,%d,%d,%s\n" % (ts, user, level, status, size, path))
        t = time.gmtime(ts // 1000)
        a.write('10.%d.%d.%d - %s [%02d/%s/%d:%02d:%02d:%02d +0000] "%s %s HTTP/1.1" %d %d "-" "%s"\n'
                % (rnd.randint(0, 255), rnd.randint(0, 255), rnd.randint(1, 254), user, t.tm_mday,
                   months[t.tm_mon - 1], t.tm_year, t.tm_hour, t.tm_min, t.tm_sec, rnd.choice(methods), path,
                   status, size, rnd.choice(agents)))
