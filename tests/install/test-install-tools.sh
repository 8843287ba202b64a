#!/bin/sh
# test-install-tools.sh BUILD_DIR — installs into a temporary prefix and runs
# every installed program's --version and -V with a clean environment (no
# LD_LIBRARY_PATH, no PATH): the tools must find the installed library
# through their RPATH ($ORIGIN/../lib), wherever the prefix is. The prefix
# is then moved, and rill-run must still start.
set -eu
build=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
for tool in rill-run rill-broker rill-log rill-topics; do
  [ -x "$tmp/prefix/bin/$tool" ] || { echo "$tool was not installed"; exit 1; }
done
# Every installed program, so a new tool cannot miss --version.
for exe in "$tmp/prefix/bin"/*; do
  tool=$(basename "$exe")
  out=$(env -i "$exe" --version)
  [ "$out" = "$tool 0.1.0" ] || { echo "$tool --version printed '$out'"; exit 1; }
  out=$(env -i "$exe" -V)
  [ "$out" = "$tool 0.1.0" ] || { echo "$tool -V printed '$out'"; exit 1; }
done
mv "$tmp/prefix" "$tmp/moved"
out=$(env -i "$tmp/moved/bin/rill-run" --version)
[ "$out" = "rill-run 0.1.0" ] || { echo "moved rill-run --version printed '$out'"; exit 1; }
echo "ok"
