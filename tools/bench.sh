#!/bin/bash
# tools/bench.sh: the side-by-side benchmark of docs/BENCHMARKS.md, one command.
#
# Builds hz-loadgen, huizhen, bench-srtp and the clip in build-bench/, puts
# 10.77.0.1 on a veth pair (Janus cannot do media on loopback), then for each
# server (Huizhen, then Janus from Debian via tools/janus/run-janus.sh) and
# each scenario (fanout, consult, storm) starts a fresh server, runs the load
# generator against it and keeps its JSON lines; then Huizhen twice under
# callgrind (1 -> 10 subscribers, 10 s window) for instructions per forwarded
# packet; then bench-srtp for the floor and the paced fan-out floor (one
# socket per receiver, as many receivers as the largest fan-out step, or 100
# without a fan-out scenario), whose figures also go into results.jsonl as
# one line labelled "floor". Writes OUT/results.jsonl, OUT/table.md.
# Everything is bounded by timeouts; the trap stops what it started and
# removes the veth pair, also on failure or Ctrl-C. Needs root (ip link).
#
# Knobs (environment): STEPS=10,50,100,200,300,500 ROOMS=10 STORM=50 WINDOW=10
#                      SERVERS="huizhen janus" CALLGRIND=1 OUT=build-bench/bench
#                      BUILD=build-bench IFACE=hz0 IP=10.77.0.1 PEER_IP=10.77.0.2
#                      HZ_PORT=8088 JANUS_PORT=8188 (to run beside another bench)
#                      SCENARIOS="fanout consult storm"
#                      SRTP_PROFILE=cm|gcm (the load generator offers only that
#                      profile; default: media/crypto's list, GCM first)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build-bench}
OUT=${OUT:-$BUILD/bench}
STEPS=${STEPS:-10,50,100,200,300,500}
ROOMS=${ROOMS:-10}
STORM=${STORM:-50}
WINDOW=${WINDOW:-10}
SERVERS=${SERVERS:-huizhen janus}
CALLGRIND=${CALLGRIND:-1}
IP=${IP:-10.77.0.1}
PEER_IP=${PEER_IP:-10.77.0.2}
IFACE=${IFACE:-hz0}
HZ_PORT=${HZ_PORT:-8088}
JANUS_PORT=${JANUS_PORT:-8188}
SRTP_PROFILE=${SRTP_PROFILE:-}
KEY=bench-admin-key
SERVER_PID=""
LG=$BUILD/tools/loadgen/hz-loadgen

stop_server() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
  "$ROOT/tools/janus/run-janus.sh" stop "$OUT/janus" || true
}

cleanup() {
  stop_server
  ip link del "$IFACE" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ -d "$BUILD" ] || meson setup "$BUILD" "$ROOT" >/dev/null
meson compile -C "$BUILD" tools/loadgen/hz-loadgen server/huizhen tools/bench-srtp \
  tools/loadgen/loadgen-clip >/dev/null
mkdir -p "$OUT"
: > "$OUT/results.jsonl"

ip link del "$IFACE" 2>/dev/null || true
ip link add "$IFACE" type veth peer name "${IFACE}p"
ip addr add "$IP/24" dev "$IFACE"
ip addr add "$PEER_IP/24" dev "${IFACE}p"
ip link set "$IFACE" up
ip link set "${IFACE}p" up

start_huizhen() { # [wrapper...]
  local data="$OUT/huizhen-data"
  rm -rf "$data"; mkdir -p "$data"
  HUIZHEN_HTTP_LISTEN=$IP:$HZ_PORT HUIZHEN_HTTP_ALLOW_INSECURE=true HUIZHEN_MEDIA_IP=$IP \
  HUIZHEN_STORAGE_DATA_DIR=$data HUIZHEN_AUTH_ADMIN_KEY=$KEY \
  HUIZHEN_AUTH_TOKEN_SECRET=bench-token-secret \
  HUIZHEN_WEB_ROOT=${HUIZHEN_WEB_ROOT:-$ROOT/web-client} \
    "$@" "$BUILD/server/huizhen" > "$OUT/huizhen.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 600); do
    curl -sf "http://$IP:$HZ_PORT/healthz" >/dev/null 2>&1 && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "huizhen did not start; see $OUT/huizhen.log" >&2
  return 1
}

start_server() { # huizhen|janus
  if [ "$1" = huizhen ]; then
    start_huizhen
    URL=http://$IP:$HZ_PORT
  else
    "$ROOT/tools/janus/run-janus.sh" start $IP $JANUS_PORT "$OUT/janus"
    SERVER_PID=$(cat "$OUT/janus/janus.pid")
    URL=ws://$IP:$JANUS_PORT
  fi
}

loadgen() { # server scenario [extra args...]
  local server=$1 scenario=$2
  shift 2
  timeout 900 "$LG" --server "$server" --url "$URL" --admin-key $KEY --ip $IP \
    --server-pid "$SERVER_PID" --scenario "$scenario" --window "$WINDOW" --duration 840 \
    --max-peers 600 ${SRTP_PROFILE:+--srtp-profile "$SRTP_PROFILE"} "$@" >> "$OUT/results.jsonl" 2>> "$OUT/loadgen.log" || \
    echo "loadgen $server $scenario exited $?" | tee -a "$OUT/loadgen.log" >&2
}

for server in $SERVERS; do
  for scenario in ${SCENARIOS:-fanout consult storm}; do
    echo "== $server $scenario" | tee -a "$OUT/loadgen.log" >&2
    start_server "$server"
    case $scenario in
      fanout) loadgen "$server" fanout --steps "$STEPS" ;;
      consult) loadgen "$server" consult --rooms "$ROOMS" ;;
      storm) loadgen "$server" storm --storm "$STORM" ;;
    esac
    stop_server
  done
done

if [ "$CALLGRIND" = 1 ] && command -v valgrind >/dev/null; then
  for run in 1 2; do
    echo "== huizhen callgrind run $run" | tee -a "$OUT/loadgen.log" >&2
    rm -f "$OUT"/callgrind.$run.out*
    start_huizhen valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.$run.out"
    URL=http://$IP:$HZ_PORT
    loadgen huizhen fanout --steps 10 --label "callgrind-$run" \
      --window-start-cmd "callgrind_control -z $SERVER_PID" \
      --window-end-cmd "callgrind_control -d window $SERVER_PID"
    stop_server
  done
fi

PACED_SUBS=100
case " ${SCENARIOS:-fanout} " in
  *" fanout "*) PACED_SUBS=$(tr ',' '\n' <<< "$STEPS" | sort -n | tail -1) ;;
esac
[ "${PACED_SUBS:-0}" -ge 1 ] 2>/dev/null || PACED_SUBS=100
[ "$PACED_SUBS" -le 2000 ] || PACED_SUBS=2000
timeout 300 "$BUILD/tools/bench-srtp" --subs "$PACED_SUBS" > "$OUT/bench-srtp.txt" 2>&1 || true
grep "sendto\|paced\|sendmmsg" "$OUT/bench-srtp.txt" >&2 || true
python3 "$ROOT/tools/loadgen/bench-table.py" --floor-json "$OUT" >> "$OUT/results.jsonl" || true
python3 "$ROOT/tools/loadgen/bench-table.py" "$OUT" > "$OUT/table.md"
cat "$OUT/table.md"
