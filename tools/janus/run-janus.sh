#!/bin/sh
# run-janus.sh start IP PORT STATE_DIR | stop STATE_DIR
#
# Starts Debian's Janus (apt-get installs it when missing) for the benchmark
# with a generated configuration: only the WebSocket transport (ws://IP:PORT,
# no admin API) and the VideoRoom plugin (the folders Janus loads from hold
# symlinks to those two modules and nothing else), ICE gathering only on the
# interface that carries IP (libnice skips loopback, so IP must not be
# 127.0.0.1: tools/bench.sh puts it on a veth pair), no STUN/TURN,
# logging at warning level to STATE_DIR/janus.log. Writes STATE_DIR/janus.pid.
# Bounded: waits at most 20 s for the port; stop waits 10 s, then kills.
set -eu
cmd=${1:?usage: run-janus.sh start IP PORT STATE_DIR | stop STATE_DIR}

if [ "$cmd" = stop ]; then
  dir=${2:?STATE_DIR}
  [ -f "$dir/janus.pid" ] || exit 0
  pid=$(cat "$dir/janus.pid")
  kill "$pid" 2>/dev/null || exit 0
  i=0
  while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$dir/janus.pid"
  exit 0
fi

ip=${2:?IP}
port=${3:?PORT}
dir=${4:?STATE_DIR}
if ! command -v janus >/dev/null 2>&1; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends janus
fi
libdir=$(dirname "$(dpkg -L janus | grep '/libjanus_videoroom.so$')")/..
iface=$(ip -o -4 addr show | awk -v ip="$ip" '{split($4, a, "/"); if (a[1] == ip) print $2}' | head -n 1)
[ -n "$iface" ] || { echo "run-janus.sh: no interface carries $ip" >&2; exit 1; }

mkdir -p "$dir/conf" "$dir/plugins" "$dir/transports" "$dir/empty"
ln -sf "$libdir/plugins/libjanus_videoroom.so" "$dir/plugins/"
ln -sf "$libdir/transports/libjanus_websockets.so" "$dir/transports/"
cat > "$dir/conf/janus.jcfg" <<CFG
general: {
  configs_folder = "$dir/conf"
  plugins_folder = "$dir/plugins"
  transports_folder = "$dir/transports"
  events_folder = "$dir/empty"
  loggers_folder = "$dir/empty"
  debug_level = 3
  session_timeout = 120
  server_name = "huizhen-bench"
}
media: {
  rtp_port_range = "30000-39999"
}
nat: {
  nice_debug = false
  ice_enforce_list = "$iface"
  ignore_mdns = true
}
plugins: {
}
transports: {
}
events: {
  broadcast = false
}
CFG
cat > "$dir/conf/janus.transport.websockets.jcfg" <<CFG
general: {
  json = "compact"
  ws = true
  ws_port = $port
  ws_interface = "$iface"
  wss = false
}
admin: {
  admin_ws = false
  admin_wss = false
}
CFG
cat > "$dir/conf/janus.plugin.videoroom.jcfg" <<CFG
general: {
  string_ids = false
}
CFG

janus -C "$dir/conf/janus.jcfg" -F "$dir/conf" -N -L "$dir/janus.log" -o >/dev/null 2>&1 &
echo $! > "$dir/janus.pid"
i=0
while [ $i -lt 200 ]; do
  if ! kill -0 "$(cat "$dir/janus.pid")" 2>/dev/null; then
    echo "run-janus.sh: janus exited; see $dir/janus.log" >&2
    tail -n 20 "$dir/janus.log" >&2 || true
    exit 1
  fi
  if ss -ltnH "sport = :$port" 2>/dev/null | grep -q .; then
    exit 0
  fi
  sleep 0.1
  i=$((i + 1))
done
echo "run-janus.sh: janus did not open ws://$ip:$port in 20 s" >&2
exit 1
