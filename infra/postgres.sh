#!/usr/bin/env bash
# A throwaway PostgreSQL server for tests and benchmarks: data in a temp dir,
# a unix socket only (no TCP), run as the `postgres` user when we are root.
#   infra/postgres.sh start DIR   -> prints the database URL on stdout
#   infra/postgres.sh stop DIR
#   infra/postgres.sh pause DIR [fast|immediate]   -> stops the server, keeps its data
#   infra/postgres.sh resume DIR                   -> starts a paused server again
set -euo pipefail

find_bin() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [[ -x $dir/initdb ]] && { echo "$dir"; return 0; }
  done
  return 1
}

ensure_installed() {
  find_bin >/dev/null && return 0
  echo "==> PostgreSQL not found: installing it with apt-get" >&2
  if [[ $(id -u) -ne 0 ]]; then
    echo "PostgreSQL is missing and only root can apt-get install it" >&2
    exit 1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  find_bin >/dev/null
}

as_owner() {
  # From / so the postgres user never needs access to the caller's directory.
  if [[ $(id -u) -eq 0 ]]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

start() {
  local dir=$1 bin
  ensure_installed
  bin=$(find_bin)
  mkdir -p "$dir"
  [[ $(id -u) -eq 0 ]] && chown postgres "$dir"
  as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
  run_server "$dir" "$bin"
  as_owner "$bin/createdb" -h "$dir" -U postgres lianjie
  echo "postgresql://postgres@/lianjie?host=$dir"
}

run_server() {
  local dir=$1 bin=$2
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-k $dir -c listen_addresses='' -c max_connections=400 -c shared_buffers=256MB" \
    start >/dev/null
}

# For fault tests: the server goes away (clients see their connections drop) and comes back.
pause() {
  local dir=$1 mode=${2:-fast}
  as_owner "$(find_bin)/pg_ctl" -D "$dir/data" -m "$mode" -w stop >/dev/null
}

resume() {
  run_server "$1" "$(find_bin)"
}

stop() {
  local dir=$1 bin
  bin=$(find_bin)
  as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
  rm -rf "$dir"
}

case "${1:-}" in
  start) start "$2" ;;
  stop) stop "$2" ;;
  pause) pause "$2" "${3:-fast}" ;;
  resume) resume "$2" ;;
  *) echo "usage: $0 start|stop|pause|resume DIR" >&2; exit 2 ;;
esac
