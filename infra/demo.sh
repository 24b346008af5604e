#!/usr/bin/env bash
# Sets everything up, seeds a demo brand on SQLite and serves it on http://127.0.0.1:8000.
set -euo pipefail
cd "$(dirname "$0")/.."
source infra/venv.sh
lianjie_venv
lianjie_cjk_font

export LIANJIE_DATABASE_URL=${LIANJIE_DATABASE_URL:-sqlite:///./var/demo.db}
export LIANJIE_BOOTSTRAP_ADMIN=${LIANJIE_BOOTSTRAP_ADMIN:-admin:demo-admin}
export LIANJIE_DEV_LOGIN=${LIANJIE_DEV_LOGIN:-1}
export LIANJIE_EMBEDDED_WORKER=${LIANJIE_EMBEDDED_WORKER:-1}
host=${LIANJIE_DEMO_HOST:-127.0.0.1}
port=${LIANJIE_DEMO_PORT:-8000}
export LIANJIE_PUBLIC_URL=${LIANJIE_PUBLIC_URL:-http://$host:$port}

echo "==> demo data in $LIANJIE_DATABASE_URL"
.venv/bin/lianjie demo
cat <<TEXT

==> Lianjie is starting on $LIANJIE_PUBLIC_URL (Ctrl-C stops)
    till (store staff)   $LIANJIE_PUBLIC_URL/till      clerk-1 / demo-staff
    wallet (follower)    $LIANJIE_PUBLIC_URL/wallet    openid demo-openid-0001 (dev login)
    operator console     $LIANJIE_PUBLIC_URL/console   ${LIANJIE_BOOTSTRAP_ADMIN%%:*} / ${LIANJIE_BOOTSTRAP_ADMIN#*:}
    API docs (OpenAPI)   $LIANJIE_PUBLIC_URL/docs
    health               $LIANJIE_PUBLIC_URL/healthz
    operator login       ${LIANJIE_BOOTSTRAP_ADMIN%%:*} / ${LIANJIE_BOOTSTRAP_ADMIN#*:}
    store staff logins   clerk-1, clerk-2, clerk-3 / demo-staff
    follower dev login   POST /api/auth/follower-token {"openid": "demo-openid-0001"}

TEXT
exec .venv/bin/lianjie serve --host "$host" --port "$port"
