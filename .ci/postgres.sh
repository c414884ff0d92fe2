#!/usr/bin/env bash
# A throwaway PostgreSQL server on a loopback port, for the tests of the production
# profile (Dagster storage in PostgreSQL).
#   bash .ci/postgres.sh start   installs PostgreSQL from Debian if missing, starts a
#                                server and prints its URL
#   bash .ci/postgres.sh stop    stops it and removes its data
set -euo pipefail
PORT="${MRC_PG_PORT:-54329}"
DIR="${TMPDIR:-/tmp}/mrc-ci-postgres-$PORT"

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  local bin
  bin="$(pg_bin)"
  if [ -z "$bin" ]; then
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    bin="$(pg_bin)"
  fi
  stop_server "$bin"
  rm -rf "$DIR"
  mkdir -p "$DIR"
  if [ "$(id -u)" = 0 ]; then chown postgres "$DIR"; fi
  as_postgres "$bin/initdb" -D "$DIR/db" -U postgres --auth=trust -E UTF8 >/dev/null
  as_postgres "$bin/pg_ctl" -D "$DIR/db" -l "$DIR/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR" start >&2
  echo "postgresql://postgres@127.0.0.1:$PORT/postgres"
}

stop_server() {
  local bin="$1"
  if [ -n "$bin" ] && [ -f "$DIR/db/postmaster.pid" ]; then
    as_postgres "$bin/pg_ctl" -D "$DIR/db" -m fast -w stop >&2 || true
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop_server "$(pg_bin)"; rm -rf "$DIR" ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
