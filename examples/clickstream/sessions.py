#!/usr/bin/python3
# sessions.py GAP_MIN < clicks.txt — the reference sessionizer the test
# compares clickstream with: per user, clicks sorted by time; a click at most
# GAP after the previous one continues the session. Prints
# "USER FIRST_MS LAST_MS CLICKS DURATION_S", one line per session.
import sys
from collections import defaultdict

gap = int(sys.argv[1]) * 60 * 1000
clicks = defaultdict(list)
for line in sys.stdin:
    ms, user, _page = line.split()
    clicks[user].append(int(ms))
for user, times in clicks.items():
    times.sort()
    first = last = times[0]
    count = 1
    for t in times[1:]:
        if t - last <= gap:
            last, count = t, count + 1
        else:
            print(user, first, last, count, (last - first) // 1000)
            first = last = t
            count = 1
    print(user, first, last, count, (last - first) // 1000)
