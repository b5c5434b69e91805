#!/bin/bash
# Suite 'deploy': the deployment examples of deploy/ are checked for real, not
# just read. TAP output.
#  - deploy/systemd/huizhen.service passes `systemd-analyze verify` (with
#    ExecStart pointed at the built binary) and its offline security
#    exposure stays "OK" (at most 2.0 of 10);
#  - deploy/nginx/huizhen.conf, with only its ports, certificate paths and
#    upstream port rewritten, runs in a real nginx in front of a real
#    huizhen on loopback: HTTPS health check, HTTP -> HTTPS redirect, the
#    /ws WebSocket upgrade (101) through the proxy, /metrics kept off the
#    public side, the admin API through the proxy;
#  - the Kubernetes manifests, Prometheus configuration and alert rules
#    parse, and the StatefulSet has host networking, /healthz probes and a
#    termination grace longer than the configured drain grace;
#  - the Grafana dashboard is valid JSON with panels.
# Usage: test-deploy.sh SOURCE_ROOT HUIZHEN_BIN
set -u
src=$1
bin=$2
tmp=$(mktemp -d /tmp/huizhen-deploy-XXXXXX)
n=0
failed=0
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; [ $# -gt 1 ] && echo "$2" | sed 's/^/#   /'; }
check() { local what=$1; shift; if out=$("$@" 2>&1); then ok "$what"; else notok "$what" "$out"; fi; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# ---- systemd unit
if command -v systemd-analyze >/dev/null; then
  sed "s#/usr/local/bin/huizhen#$bin#" "$src/deploy/systemd/huizhen.service" > "$tmp/huizhen.service"
  out=$(systemd-analyze verify "$tmp/huizhen.service" 2>&1)
  if [ $? -eq 0 ] && [ -z "$out" ]; then ok "systemd unit verifies"; else notok "systemd unit verifies" "$out"; fi
  score=$(systemd-analyze security --offline=yes "$tmp/huizhen.service" 2>/dev/null | sed -n 's/.*Overall exposure level for huizhen.service: \([0-9.]*\).*/\1/p')
  if [ -n "$score" ] && python3 -c "import sys; sys.exit(0 if float('$score') <= 2.0 else 1)"; then
    ok "systemd unit hardening: exposure $score of 10"
  else
    notok "systemd unit hardening: exposure ${score:-unknown} (want <= 2.0)"
  fi
else
  echo "ok $((n += 1)) - # SKIP systemd-analyze not installed"
fi

# ---- nginx in front of a real server
if command -v nginx >/dev/null; then
  hport=$(free_port); tport=$(free_port); pport=$(free_port)
  mkdir -p "$tmp/data" "$tmp/nginx/logs" "$tmp/ssl"
  openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=consult.example.org \
    -keyout "$tmp/ssl/privkey.pem" -out "$tmp/ssl/fullchain.pem" >/dev/null 2>&1
  HUIZHEN_STORAGE_DATA_DIR="$tmp/data" HUIZHEN_HTTP_LISTEN="127.0.0.1:$hport" \
    HUIZHEN_HTTP_PUBLIC_URL="https://consult.example.org" \
    HUIZHEN_MEDIA_PORT_MIN=47000 HUIZHEN_MEDIA_PORT_MAX=47099 "$bin" > "$tmp/huizhen.log" 2>&1 &
  pids+=($!)
  sed -e "s#listen 80;#listen 127.0.0.1:$pport;#" -e "/listen \[::\]/d" \
      -e "s#listen 443 ssl http2;#listen 127.0.0.1:$tport ssl http2;#" \
      -e "s#/etc/ssl/huizhen/#$tmp/ssl/#" -e "s#server 127.0.0.1:8080;#server 127.0.0.1:$hport;#" \
      "$src/deploy/nginx/huizhen.conf" > "$tmp/nginx/huizhen.conf"
  cat > "$tmp/nginx/nginx.conf" <<CONF
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/logs/error.log;
events { worker_connections 64; }
http {
  access_log $tmp/nginx/logs/access.log;
  client_body_temp_path $tmp/nginx/body; proxy_temp_path $tmp/nginx/proxy;
  fastcgi_temp_path $tmp/nginx/fcgi; uwsgi_temp_path $tmp/nginx/uwsgi; scgi_temp_path $tmp/nginx/scgi;
  include $tmp/nginx/huizhen.conf;
}
CONF
  check "nginx accepts the example configuration (nginx -t)" nginx -q -t -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf"
  nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -g 'daemon off; master_process off;' 2>>"$tmp/nginx/logs/error.log" &
  pids+=($!)
  base="https://127.0.0.1:$tport"
  for _ in $(seq 1 100); do
    curl -sk -o /dev/null "$base/healthz" 2>/dev/null && curl -s -o /dev/null "http://127.0.0.1:$hport/healthz" && break
    sleep 0.1
  done
  check "HTTPS through nginx: /healthz answers 200" \
    sh -c "curl -sk --fail '$base/healthz' | grep -q ok"
  check "plain HTTP redirects to HTTPS (301)" \
    sh -c "curl -s -o /dev/null -w '%{http_code} %{redirect_url}' 'http://127.0.0.1:$pport/x' | grep -q '^301 https://'"
  out=$(curl -sk --http1.1 -i -N --max-time 2 -H "Connection: Upgrade" -H "Upgrade: websocket" \
    -H "Sec-WebSocket-Version: 13" -H "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==" "$base/ws" 2>&1 | head -1)
  case "$out" in *" 101"*) ok "the /ws WebSocket upgrade passes the proxy (101)";; *) notok "the /ws WebSocket upgrade passes the proxy (101)" "$out";; esac
  check "/metrics is not served on the public side (404)" \
    sh -c "test \"\$(curl -sk -o /dev/null -w '%{http_code}' '$base/metrics')\" = 404"
  key=$(cat "$tmp/data/secrets/admin_key" 2>/dev/null)
  code=$(curl -sk -o "$tmp/room.json" -w '%{http_code}' -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
    -d '{"title":"nginx check","kind":"consult","starts_at":"2030-01-01T08:00:00Z","ends_at":"2030-01-01T09:00:00Z"}' "$base/api/v1/rooms")
  if [ "$code" = 201 ] && grep -q '"join_url"\|"id"' "$tmp/room.json"; then ok "the admin API works through the proxy (201)"; else notok "the admin API works through the proxy (201)" "$code $(cat "$tmp/room.json")"; fi
else
  echo "ok $((n += 1)) - # SKIP nginx not installed"
fi

# ---- Kubernetes, Prometheus, Grafana
check "Kubernetes manifests: StatefulSet on host network, /healthz probes, grace above the drain grace" python3 - "$src" <<'PY'
import sys, yaml, glob, os
src = sys.argv[1]
docs = []
for f in sorted(glob.glob(os.path.join(src, "deploy/k8s/*.yaml"))):
    docs += [d for d in yaml.safe_load_all(open(f)) if d]
kinds = {d["kind"] for d in docs}
assert {"StatefulSet", "Service", "ConfigMap"} <= kinds, kinds
ss = next(d for d in docs if d["kind"] == "StatefulSet")
pod = ss["spec"]["template"]["spec"]
assert pod.get("hostNetwork") is True, "hostNetwork"
c = pod["containers"][0]
assert c["readinessProbe"]["httpGet"]["path"] == "/healthz", "readiness"
grace = pod["terminationGracePeriodSeconds"]
cm = next(d for d in docs if d["kind"] == "ConfigMap")
text = "\n".join(str(v) for v in cm.get("data", {}).values())
drain = 300
for line in text.splitlines():
    if line.strip().startswith("drain_grace_s"):
        drain = int(line.split("=", 1)[1])
assert grace > drain, f"terminationGracePeriodSeconds {grace} must exceed [cluster] drain_grace_s {drain}"
PY
check "Prometheus configuration and alert rules parse" python3 - "$src" <<'PY'
import sys, yaml, os
src = sys.argv[1]
p = yaml.safe_load(open(os.path.join(src, "deploy/monitoring/prometheus.yml")))
assert p["scrape_configs"], "no scrape_configs"
r = yaml.safe_load(open(os.path.join(src, "deploy/monitoring/huizhen-alerts.yml")))
assert all(rule.get("expr") for g in r["groups"] for rule in g["rules"]), "rule without expr"
PY
check "Grafana dashboard is JSON with panels" python3 -c "
import json, sys; d = json.load(open('$src/deploy/monitoring/grafana-dashboard.json')); assert d.get('panels'), 'no panels'"

echo "1..$n"
[ "$failed" -eq 0 ]
