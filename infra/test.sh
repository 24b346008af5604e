#!/usr/bin/env bash
# Sets everything up and runs the whole suite on SQLite and on PostgreSQL.
# Needs only Python 3.11 (and root for apt-get when PostgreSQL is missing).
set -euo pipefail
cd "$(dirname "$0")/.."
source infra/venv.sh
lianjie_venv dev

echo "==> ruff"
.venv/bin/ruff check .

pg_dir=$(mktemp -d /tmp/lianjie-pg.XXXXXX)
trap 'infra/postgres.sh stop "$pg_dir"' EXIT
echo "==> starting a throwaway PostgreSQL in $pg_dir"
LIANJIE_TEST_POSTGRES_URL=$(infra/postgres.sh start "$pg_dir")
export LIANJIE_TEST_POSTGRES_URL
export LIANJIE_TEST_BACKENDS=sqlite,postgres

echo "==> pytest (SQLite and PostgreSQL; import contracts included)"
.venv/bin/python -m pytest "$@"
