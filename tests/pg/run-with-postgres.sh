#!/bin/sh
# run-with-postgres.sh COMMAND [ARGS...]
#
# Starts a throwaway PostgreSQL (Debian postgresql 15: initdb + pg_ctl under a
# temporary directory, listening on 127.0.0.1 only, a free port), exports
#   HUIZHEN_TEST_DATABASE_URL  postgresql://huizhen@127.0.0.1:PORT/postgres
#   HUIZHEN_TEST_PG_STOP       a command that stops the server (fast)
#   HUIZHEN_TEST_PG_START      a command that starts it again on the same port
# runs COMMAND, stops the server, removes the directory and exits with
# COMMAND's status. PostgreSQL refuses to run as root, so as root the server
# runs as the "postgres" user (runuser).
set -eu

bindir=${PG_BINDIR:-}
if [ -z "$bindir" ]; then
  for v in 17 16 15 14 13; do
    if [ -x "/usr/lib/postgresql/$v/bin/initdb" ]; then bindir=/usr/lib/postgresql/$v/bin; break; fi
  done
fi
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "run-with-postgres: no PostgreSQL server binaries (apt-get install postgresql)" >&2
  exit 77
fi

tmp=$(mktemp -d /tmp/hz-pg-XXXXXX)
chmod 0755 "$tmp"
as_pg=""
if [ "$(id -u)" = 0 ]; then
  chown postgres:postgres "$tmp"
  as_pg="runuser -u postgres --"
fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
data="$tmp/data"
log="$tmp/server.log"

$as_pg "$bindir/initdb" -D "$data" -U huizhen -A trust -E UTF8 --locale=C.UTF-8 >"$tmp/initdb.log" 2>&1 ||
  { cat "$tmp/initdb.log" >&2; rm -rf "$tmp"; exit 1; }
opts="-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$tmp -c fsync=off -c max_connections=200"
start="$as_pg $bindir/pg_ctl -s -D $data -l $log -w -o '$opts' start"
stop="$as_pg $bindir/pg_ctl -s -D $data -m fast -w stop"

cleanup() {
  sh -c "$stop" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

sh -c "$start" >/dev/null || { cat "$log" >&2; exit 1; }

export HUIZHEN_TEST_DATABASE_URL="postgresql://huizhen@127.0.0.1:$port/postgres"
export HUIZHEN_TEST_PG_STOP="$stop"
export HUIZHEN_TEST_PG_START="$start"
status=0
"$@" || status=$?
exit $status
