#!/bin/sh
# Installs what is missing, builds Huizhen and starts it on its embedded
# defaults (SQLite and files under ./data), then prints the URL to open and
# two invitation links to a demo consult. Ctrl-C stops it cleanly.
#
# Environment: HUIZHEN_* keys override the defaults (see huizhen --print-config),
# BUILD_DIR (default build), NO_DEMO=1 to skip the demo consult.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
build=${BUILD_DIR:-build}

deploy/install-deps.sh
deploy/install-web-deps.sh
if [ -f "$build/build.ninja" ]; then
  # node_modules may have arrived after the first setup: pick up the bundler
  meson setup --reconfigure "$build" >/dev/null
else
  meson setup "$build" >/dev/null
fi
meson compile -C "$build" huizhen web-client/web-client-dist >/dev/null

export HUIZHEN_STORAGE_DATA_DIR=${HUIZHEN_STORAGE_DATA_DIR:-$top/data}
listen=${HUIZHEN_HTTP_LISTEN:-127.0.0.1:8080}
export HUIZHEN_HTTP_LISTEN=$listen

"$build/server/huizhen" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid' INT TERM

i=0
until curl -fsS "http://$listen/healthz" >/dev/null 2>&1; do
  i=$((i + 1))
  if [ $i -gt 100 ] || ! kill -0 $pid 2>/dev/null; then
    echo "run: huizhen did not start" >&2
    exit 1
  fi
  sleep 0.1
done

if [ "${NO_DEMO:-0}" != 1 ]; then
  key=$(cat "$HUIZHEN_STORAGE_DATA_DIR/secrets/admin_key")
  now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  end=$(date -u -d '+2 hours' +%Y-%m-%dT%H:%M:%SZ)
  room=$(curl -fsS -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
    -d "{\"title\":\"演示会诊 Demo consult\",\"kind\":\"consult\",\"starts_at\":\"$now\",\"ends_at\":\"$end\"}" \
    "http://$listen/api/v1/rooms" | sed -n 's/.*"id" *: *"\([^"]*\)".*/\1/p')
  for who in "doctor:乡镇卫生院 李医生:乡镇卫生院" "specialist:县医院 王主任:县人民医院"; do
    role=${who%%:*}; rest=${who#*:}; name=${rest%%:*}; inst=${rest#*:}
    url=$(curl -fsS -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
      -d "{\"user\":\"demo-$role\",\"display_name\":\"$name\",\"institution\":\"$inst\",\"role\":\"$role\"}" \
      "http://$listen/api/v1/rooms/$room/tokens" | sed -n 's/.*"join_url" *: *"\([^"]*\)".*/\1/p')
    echo "Demo consult, $role: $url"
  done
fi
echo "Huizhen is running: open http://$listen/  (Ctrl-C to stop)"
wait $pid
