# broker.sh — sourced by example tests: start_broker RILL-BROKER DIR [ARGS...]
# runs a real rill-broker on 127.0.0.1 port 0 with its data in DIR/data and
# sets BROKER_PID and BOOTSTRAP ("127.0.0.1:PORT", read from its
# event=listening line); stop_broker stops it with SIGTERM and checks the
# graceful exit. The caller's EXIT trap should call stop_broker too.
start_broker() {
  _bin=$1; _dir=$2; shift 2
  mkdir -p "$_dir"
  "$_bin" --data-dir "$_dir/data" --listen 127.0.0.1:0 "$@" > "$_dir/broker.out" 2>&1 &
  BROKER_PID=$!
  _port=
  _i=0
  while [ -z "$_port" ]; do
    _port=$(sed -n 's/.*event=listening.* port=\([0-9]*\).*/\1/p' "$_dir/broker.out" | head -1)
    [ -n "$_port" ] && break
    kill -0 "$BROKER_PID" 2>/dev/null || { echo "rill-broker exited:"; cat "$_dir/broker.out"; exit 1; }
    _i=$((_i + 1))
    [ "$_i" -lt 2000 ] || { echo "rill-broker never listened"; exit 1; }
    sleep 0.01
  done
  BOOTSTRAP="127.0.0.1:$_port"
}

stop_broker() {
  [ -n "${BROKER_PID:-}" ] || return 0
  kill -TERM "$BROKER_PID"
  _rc=0
  wait "$BROKER_PID" || _rc=$?
  BROKER_PID=
  [ "$_rc" -eq 0 ] || { echo "rill-broker exited with $_rc"; return 1; }
}
