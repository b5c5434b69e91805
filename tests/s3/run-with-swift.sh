#!/bin/sh
# run-with-swift.sh COMMAND [ARGS...]
#
# Starts a throwaway memcached (tempauth and s3api need a cache) and OpenStack Swift "all in one" on 127.0.0.1 (Debian's
# swift-proxy, swift-account, swift-container, swift-object and python3-swift,
# whose proxy carries the s3api middleware): one device under a temporary
# directory, one replica, rings built here, tempauth user test:tester/testing,
# free ports. Exports
#   HUIZHEN_TEST_S3_ENDPOINT  http://127.0.0.1:PORT
#   HUIZHEN_TEST_S3_REGION    us-east-1
#   HUIZHEN_TEST_S3_ACCESS    test:tester
#   HUIZHEN_TEST_S3_SECRET    testing
#   HUIZHEN_TEST_SWIFT_CTL    a script: "stop" takes the S3 API (the proxy)
#                             away, "start" brings it back on the same port
# runs COMMAND, stops the servers and exits with COMMAND's status. Without
# Swift the test is skipped (TAP "1..0 # SKIP").
set -eu

for b in memcached swift-proxy-server swift-object-server swift-container-server swift-account-server swift-ring-builder; do
  if ! command -v "$b" >/dev/null 2>&1; then
    echo "1..0 # SKIP $b is not installed (apt-get install memcached swift-proxy swift-object swift-container swift-account python3-swift)"
    exit 0
  fi
done
if ! /usr/bin/python3 -c 'import swift.common.middleware.s3api' >/dev/null 2>&1; then
  echo "1..0 # SKIP python3-swift has no s3api middleware"
  exit 0
fi

tmp=$(mktemp -d /tmp/hz-swift-XXXXXX)
etc=$tmp/etc
mkdir -p "$etc" "$tmp/srv/sdb1" "$tmp/run" "$tmp/cache"
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
mport=$(free_port); pport=$(free_port); aport=$(free_port); cport=$(free_port); oport=$(free_port)
user=$(id -un)
pids=""
cleanup() {
  # a proxy the test restarted through swift-ctl is not our child
  if [ -s "$tmp/run/proxy.pid" ]; then kill "$(cat "$tmp/run/proxy.pid")" 2>/dev/null || true; fi
  for p in $pids; do kill "$p" 2>/dev/null || true; done
  for p in $pids; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

cat >"$etc/swift.conf" <<CONF
[swift-hash]
swift_hash_path_suffix = huizhen-test
swift_hash_path_prefix = huizhen-test
[storage-policy:0]
name = gold
default = yes
CONF

for ring in account:$aport container:$cport object:$oport; do
  name=${ring%%:*}; port=${ring#*:}
  swift-ring-builder "$etc/$name.builder" create 6 1 1 >/dev/null
  swift-ring-builder "$etc/$name.builder" add "r1z1-127.0.0.1:$port/sdb1" 1 >/dev/null
  swift-ring-builder "$etc/$name.builder" rebalance >/dev/null 2>&1 || true
  cat >"$etc/$name-server.conf" <<CONF
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = $port
devices = $tmp/srv
mount_check = false
swift_dir = $etc
workers = 0
user = $user
log_address = $tmp/run/nolog
log_level = WARNING
[pipeline:main]
pipeline = $name-server
[app:$name-server]
use = egg:swift#$name
CONF
done

cat >"$etc/proxy-server.conf" <<CONF
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = $pport
swift_dir = $etc
workers = 0
user = $user
log_address = $tmp/run/nolog
log_level = WARNING
[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache s3api tempauth copy slo dlo proxy-logging proxy-server
[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
allow_account_management = true
[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:$mport
[filter:s3api]
use = egg:swift#s3api
location = us-east-1
s3_acl = false
[filter:tempauth]
use = egg:swift#tempauth
user_test_tester = testing .admin
[filter:copy]
use = egg:swift#copy
[filter:slo]
use = egg:swift#slo
[filter:dlo]
use = egg:swift#dlo
CONF

memcached -l 127.0.0.1 -p "$mport" -U 0 -u "$user" -m 16 &
pids="$pids $!"
for s in account container object; do
  /usr/bin/python3 /usr/bin/swift-$s-server "$etc/$s-server.conf" >"$tmp/run/$s.log" 2>&1 &
  pids="$pids $!"
done
/usr/bin/python3 /usr/bin/swift-proxy-server "$etc/proxy-server.conf" >"$tmp/run/proxy.log" 2>&1 &
echo $! >"$tmp/run/proxy.pid"

cat >"$tmp/swift-ctl" <<CTL
#!/bin/sh
# swift-ctl stop|start: the S3 API goes away (connections refused) or comes back
set -eu
health() { curl -sf "http://127.0.0.1:$pport/healthcheck" >/dev/null 2>&1; }
i=0
case "\$1" in
stop)
  kill "\$(cat "$tmp/run/proxy.pid")"
  : >"$tmp/run/proxy.pid"
  while health; do i=\$((i + 1)); [ "\$i" -lt 200 ] || exit 1; sleep 0.1; done ;;
start)
  /usr/bin/python3 /usr/bin/swift-proxy-server "$etc/proxy-server.conf" >>"$tmp/run/proxy.log" 2>&1 </dev/null &
  echo \$! >"$tmp/run/proxy.pid"
  until health; do i=\$((i + 1)); [ "\$i" -lt 300 ] || exit 1; sleep 0.1; done ;;
*) echo "usage: swift-ctl stop|start" >&2; exit 2 ;;
esac
CTL
chmod +x "$tmp/swift-ctl"

i=0
until curl -sf "http://127.0.0.1:$pport/healthcheck" >/dev/null 2>&1; do
  i=$((i + 1))
  if [ "$i" -gt 200 ]; then tail -n 20 "$tmp"/run/*.log >&2; exit 1; fi
  sleep 0.1
done

export HUIZHEN_TEST_S3_ENDPOINT="http://127.0.0.1:$pport"
export HUIZHEN_TEST_S3_REGION=us-east-1
export HUIZHEN_TEST_S3_ACCESS=test:tester
export HUIZHEN_TEST_S3_SECRET=testing
export HUIZHEN_TEST_SWIFT_LOGS="$tmp/run"
export HUIZHEN_TEST_SWIFT_CTL="$tmp/swift-ctl"
status=0
"$@" || status=$?
if [ "$status" != 0 ]; then tail -n 30 "$tmp"/run/*.log >&2; fi
exit $status
