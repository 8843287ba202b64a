#!/bin/sh
# test.sh CHAINED RILL-BROKER DATA-DIR — starts a rill-broker process (three
# partitions per topic), runs "chained produce" then "chained enrich" against
# it as two processes, and reads orders-enriched with kcat. Every order must
# come out once, enriched with its customer from customers.tsv (or an empty
# detail for an unknown customer), and each customer's orders in file order
# (one key stays in one partition). The expectation is computed in Python
# from the bundled files.
set -eu
bin=$1; broker=$2; data=$3
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
. "$here/../../tests/examples/broker.sh"
trap 'stop_broker || true; rm -rf "$work"' EXIT
export LC_ALL=C

start_broker "$broker" "$work/broker" --set num.partitions=3
"$bin" produce --bootstrap-servers "$BOOTSTRAP" > "$work/produce.txt"
grep -q "produce: 60 records -> topic orders" "$work/produce.txt" || { cat "$work/produce.txt"; exit 1; }
"$bin" enrich --bootstrap-servers "$BOOTSTRAP" > "$work/enrich.txt"
grep -q "enrich: 60 records -> topic orders-enriched" "$work/enrich.txt" || { cat "$work/enrich.txt"; exit 1; }
kcat -C -b "$BOOTSTRAP" -t orders-enriched -e -q -f '%k|%s\n' > "$work/got"
stop_broker

/usr/bin/python3 - "$data/orders.txt" "$data/customers.tsv" "$work/got" <<'PY'
import sys
from collections import defaultdict
orders, customers, got = sys.argv[1:4]
table = dict(l.rstrip("\n").split("\t", 1) for l in open(customers) if l.strip())
want = defaultdict(list)
for l in open(orders):
    order, cust, amount = l.split()
    want[cust].append("%s %s\t%s" % (order, amount, table.get(cust, "")))
have = defaultdict(list)
for l in open(got):
    key, value = l.rstrip("\n").split("|", 1)
    have[key].append(value)
assert sum(map(len, want.values())) == 60
if have != want:
    for k in sorted(set(want) | set(have)):
        if want[k] != have[k]:
            print("customer", k, "\n  want", want[k], "\n  have", have[k])
    sys.exit(1)
PY
echo "ok: orders-enriched matches the join of the bundled files"
