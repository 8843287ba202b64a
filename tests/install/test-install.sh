#!/bin/sh
# test-install.sh SOURCE_DIR BUILD_DIR — installs the built library into a
# temporary prefix, compiles consumer.c with `cc ... $(pkg-config --cflags
# --libs rill)` as a user would, runs it and checks its output (the sum of
# 2*i for i = 1..1000 is 1001000).
set -eu
src=$1 build=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
pc=$(find "$tmp/prefix" -name rill.pc)
[ -n "$pc" ] || { echo "rill.pc was not installed"; exit 1; }
export PKG_CONFIG_PATH="$(dirname "$pc")"
flags=$(pkg-config --cflags --libs rill)
cc -std=c17 -Wall -Werror -o "$tmp/consumer" "$src/tests/install/consumer.c" $flags
libdir=$(pkg-config --variable=libdir rill)
out=$(LD_LIBRARY_PATH="$libdir" "$tmp/consumer")
echo "$out"
[ "$out" = "version=0.1.0 sum=1001000" ]
