#!/bin/bash
# tools/perf-steps.sh: the three figures of the "steps" table in
# docs/BENCHMARKS.md for one build, on loopback, no root needed:
#   1. fan-out 1 -> SUBS subscribers (AES_CM_128_HMAC_SHA1_80, what Chromium
#      negotiates): server CPU µs per forwarded packet and RSS KB per peer;
#   2. the same server under callgrind, 1 -> 10 subscribers, 10 s window:
#      instructions of the whole process per forwarded packet (GCM, the
#      load generator's default, as in the earlier runs);
#   3. bench-srtp: the floor (one EVP protect + one sendto) of this run, and
#      the paced fan-out floor (the same, one socket per receiver, SUBS
#      receivers paced like the clip, sender CPU per packet), with the ratio
#      server µs per forwarded packet at SUBS / paced floor.
# Memory: the RSS slope between SUBS/2 and SUBS subscribers (KB per added
# subscriber), steadier than the loadgen's per-peer figure, whose base is
# one RSS sample taken after the publisher joined.
# Usage: tools/perf-steps.sh BUILD LABEL   (env: SUBS=100 WINDOW=10 PORT=8099
#        CALLGRIND=1 SRTP=1). Prints one line per figure; JSON lines and the
# callgrind files stay in BUILD/perf-steps/LABEL/. Everything is bounded by
# timeouts and the trap stops the server it started.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "$1" && pwd)
LABEL=$2
SUBS=${SUBS:-100}
WINDOW=${WINDOW:-10}
PORT=${PORT:-8099}
CALLGRIND=${CALLGRIND:-1}
SRTP=${SRTP:-1}
OUT=$BUILD/perf-steps/$LABEL
KEY=perf-admin-key
CLIP=${CLIP:-$BUILD/tools/loadgen}
SERVER_PID=""
mkdir -p "$OUT"

stop_server() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
}
trap stop_server EXIT
trap 'exit 130' INT TERM

start_server() { # [wrapper...]
  rm -rf "$OUT/data"; mkdir -p "$OUT/data"
  HUIZHEN_HTTP_LISTEN=127.0.0.1:$PORT HUIZHEN_HTTP_ALLOW_INSECURE=true HUIZHEN_MEDIA_IP=127.0.0.1 \
  HUIZHEN_STORAGE_DATA_DIR=$OUT/data HUIZHEN_AUTH_ADMIN_KEY=$KEY \
  HUIZHEN_AUTH_TOKEN_SECRET=perf-token-secret HUIZHEN_WEB_ROOT=$ROOT/web-client \
    "$@" "$BUILD/server/huizhen" > "$OUT/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 600); do
    curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "huizhen did not start; see $OUT/server.log" >&2
  return 1
}

loadgen() { # json-file [args...]
  local json=$1
  shift
  timeout 300 "$BUILD/tools/loadgen/hz-loadgen" --url "http://127.0.0.1:$PORT" --admin-key $KEY \
    --server-pid "$SERVER_PID" --scenario fanout --window "$WINDOW" --duration 240 \
    --clip "$CLIP" "$@" > "$json" 2>> "$OUT/loadgen.log" || echo "loadgen exited $?" >&2
}

start_server
loadgen "$OUT/fanout.json" --steps "$((SUBS / 2)),$SUBS" --srtp-profile cm --label "$LABEL"
stop_server
python3 - "$OUT/fanout.json" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
if len(rows) == 2:
    a, b = rows
    print("RSS slope %d -> %d peers: %.1f KB per added subscriber (server RSS %d -> %d KB)" % (
          a["peers"], b["peers"], (b["server_rss_kb"] - a["server_rss_kb"]) / (b["peers"] - a["peers"]),
          a["server_rss_kb"], b["server_rss_kb"]))
for r in rows:
    print("fanout %d subs (cm): %.2f us/fwd pkt, %.1f KB RSS/peer, loss %.3f %%, server %.2f cores, "
          "loadgen %.2f cores%s" % (r["subscribers"], r["server_us_per_pkt"], r["rss_kb_per_peer"],
          100 * r["loss"], r["server_cpu_cores"], r["loadgen_cpu_cores"],
          " SATURATED" if r["loadgen_saturated"] else ""))
EOF

if [ "$CALLGRIND" = 1 ]; then
  rm -f "$OUT"/callgrind.out*
  start_server valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.out"
  loadgen "$OUT/callgrind.json" --steps 10 --label "callgrind-$LABEL" \
    --window-start-cmd "callgrind_control -z $SERVER_PID" \
    --window-end-cmd "callgrind_control -d window $SERVER_PID"
  stop_server
  python3 - "$OUT" <<'EOF'
import glob, json, os, sys
out = sys.argv[1]
r = [json.loads(l) for l in open(os.path.join(out, "callgrind.json")) if l.startswith("{")][0]
parts = sorted(glob.glob(os.path.join(out, "callgrind.out.*")))
ir = 0
for line in open(parts[-1]):
    if line.startswith("summary:") or line.startswith("totals:"):
        ir = int(line.split()[1])
print("callgrind 10 subs (gcm): %d instructions / %d packets = %.0f instructions per fwd pkt "
      "(loss %.3f %%; %s)" % (ir, r["forwarded_pkts"], ir / max(r["forwarded_pkts"], 1),
      100 * r["loss"], os.path.basename(parts[-1])))
EOF
fi

if [ "$SRTP" = 1 ]; then
  timeout 120 "$BUILD/tools/bench-srtp" --subs "$(( SUBS > 2000 ? 2000 : SUBS ))" \
    > "$OUT/bench-srtp.txt" 2>&1 || true
  grep "SRTP_\|sendto\|paced\|sendmmsg" "$OUT/bench-srtp.txt" | head -10
  python3 - "$OUT/fanout.json" "$OUT/bench-srtp.txt" <<'EOF'
import json, re, sys
try:
    rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
except OSError:
    rows = []
paced = None
for line in open(sys.argv[2]):
    m = re.match(r"floor, paced fan-out \((\d+) receivers[^)]*\)\s+(\d+)", line)
    if m:
        paced = (int(m.group(1)), int(m.group(2)))
for r in rows:
    if paced and r["server_us_per_pkt"] > 0 and r["subscribers"] == paced[0]:
        print("fanout %d subs (cm) / paced fan-out floor (%d receivers, %.2f us): %.2fx" % (
              r["subscribers"], paced[0], paced[1] / 1e3, r["server_us_per_pkt"] * 1e3 / paced[1]))
EOF
fi
