#!/usr/bin/env bash
# A multi-process deployment on one machine, started by one command; Ctrl-C stops it all.
#   infra/deploy.sh [--workers N] [--port P]
# PostgreSQL: LIANJIE_DATABASE_URL when it is set, else a throwaway server (infra/postgres.sh)
# whose data goes away with it. Then `lianjie serve --workers N`, one `lianjie project`
# (views and policies) and, with WeChat credentials (LIANJIE_WECHAT_APPID and _SECRET), the
# outbox sender (`python -m services.outbound`). Every process reads the same LIANJIE_*
# settings; the connection budget is checked before anything starts.
# The settings it makes up when unset (WeChat callback keys, card secret) are written to
# $run/env: `source` it to point `lianjie bench --target URL` at this deployment.
set -euo pipefail
cd "$(dirname "$0")/.."
source infra/venv.sh
lianjie_venv

workers=2
port=8000
while [[ $# -gt 0 ]]; do
  case $1 in
    --workers) workers=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    *) echo "usage: $0 [--workers N] [--port P]" >&2; exit 2 ;;
  esac
done

run=$(mktemp -d /tmp/lianjie-deploy.XXXXXX)
pids=()
pg_dir=""

stop_all() {
  echo "==> stopping"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  [[ -n $pg_dir ]] && infra/postgres.sh stop "$pg_dir"
  echo "==> stopped (logs in $run)"
}
trap stop_all EXIT
trap 'exit 130' INT TERM

if [[ -z ${LIANJIE_DATABASE_URL:-} ]]; then
  pg_dir=$(mktemp -d /tmp/lianjie-pg.XXXXXX)  # its own: the postgres user must reach it
  echo "==> starting a throwaway PostgreSQL in $pg_dir"
  LIANJIE_DATABASE_URL=$(infra/postgres.sh start "$pg_dir")
fi
random_key() { .venv/bin/python -c "import secrets, string; a = string.ascii_letters + string.digits; print(''.join(secrets.choice(a) for _ in range($1)))"; }
export LIANJIE_DATABASE_URL
export LIANJIE_WECHAT_TOKEN=${LIANJIE_WECHAT_TOKEN:-$(random_key 32)}
export LIANJIE_WECHAT_APPID=${LIANJIE_WECHAT_APPID:-wx$(random_key 16)}
export LIANJIE_WECHAT_AES_KEY=${LIANJIE_WECHAT_AES_KEY:-$(random_key 43)}
export LIANJIE_CARD_SECRET=${LIANJIE_CARD_SECRET:-$(random_key 32)}
export LIANJIE_PUBLIC_URL=${LIANJIE_PUBLIC_URL:-http://127.0.0.1:$port}
env | grep '^LIANJIE_' | sed 's/^/export /' >"$run/env"
chmod 600 "$run/env"

outbox=()
if [[ -n ${LIANJIE_WECHAT_SECRET:-} ]]; then outbox=(--outbox); fi
.venv/bin/python -m infra.bench.budget --workers "$workers" "${outbox[@]}"

# The tables are created once here, before the processes race to create them.
.venv/bin/python -c "from services.bootstrap import bootstrap; bootstrap().close()"
.venv/bin/lianjie project >"$run/project.log" 2>&1 &
pids+=($!)
if [[ ${#outbox[@]} -gt 0 ]]; then
  .venv/bin/python -m services.outbound >"$run/outbox.log" 2>&1 &
  pids+=($!)
fi
.venv/bin/lianjie serve --host 127.0.0.1 --port "$port" --workers "$workers" \
  --log-level warning >"$run/api.log" 2>&1 &
pids+=($!)

for _ in $(seq 1 300); do
  curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break
  sleep 0.2
done
curl -sf "http://127.0.0.1:$port/readyz" >/dev/null || { echo "the API did not start:" >&2; tail -20 "$run/api.log" >&2; exit 1; }
cat <<TEXT
==> Lianjie runs on http://127.0.0.1:$port: $workers API workers, lianjie project${outbox:+, the outbox sender}
    database   $LIANJIE_DATABASE_URL
    logs       $run/{api,project${outbox:+,outbox}}.log
    benchmark  source $run/env && .venv/bin/lianjie bench --target http://127.0.0.1:$port
    Ctrl-C stops everything
TEXT
wait -n "${pids[@]}" || true
echo "==> a process ended on its own: see $run" >&2
exit 1
