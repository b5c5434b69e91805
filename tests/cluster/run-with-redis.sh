#!/bin/sh
# run-with-redis.sh COMMAND [ARGS...]
#
# Starts a throwaway redis-server on 127.0.0.1 and a free port (no
# persistence: --save '' --appendonly no), exports
#   HUIZHEN_TEST_REDIS_URL  redis://127.0.0.1:PORT/0
#   HUIZHEN_TEST_REDIS_PORT PORT
# runs COMMAND, stops the server and exits with COMMAND's status. Without
# redis-server the test is skipped (TAP "1..0 # SKIP").
set -eu

if ! command -v redis-server >/dev/null 2>&1; then
  echo "1..0 # SKIP redis-server is not installed (apt-get install redis-server)"
  exit 0
fi

tmp=$(mktemp -d /tmp/hz-redis-XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --dir "$tmp" \
  --daemonize no --logfile "$tmp/redis.log" &
pid=$!
cleanup() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

i=0
until redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1; do
  i=$((i + 1))
  if [ "$i" -gt 100 ]; then cat "$tmp/redis.log" >&2; exit 1; fi
  sleep 0.05
done

export HUIZHEN_TEST_REDIS_URL="redis://127.0.0.1:$port/0"
export HUIZHEN_TEST_REDIS_PORT="$port"
status=0
"$@" || status=$?
exit $status
