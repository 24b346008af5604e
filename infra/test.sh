#!/usr/bin/env bash
# Sets everything up and runs the whole suite on SQLite and on PostgreSQL.
# Needs only Python 3.11 (and root for apt-get when PostgreSQL is missing).
set -euo pipefail
cd "$(dirname "$0")/.."
source infra/venv.sh
lianjie_venv dev

# Browser tests (tests/browser) drive Debian's Chromium: Playwright cannot download
# browsers here. They fail, never skip, without it; screenshots need a Chinese font.
if ! command -v chromium >/dev/null 2>&1; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing chromium and a Chinese font for the browser tests"
    { apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; } ||
      echo "    could not install chromium: the browser tests will fail" >&2
  else
    echo "==> chromium is missing (apt-get install chromium as root): browser tests will fail" >&2
  fi
fi
lianjie_cjk_font

echo "==> ruff"
.venv/bin/ruff check .

pg_dir=$(mktemp -d /tmp/lianjie-pg.XXXXXX)
trap 'infra/postgres.sh stop "$pg_dir"' EXIT
echo "==> starting a throwaway PostgreSQL in $pg_dir"
LIANJIE_TEST_POSTGRES_URL=$(infra/postgres.sh start "$pg_dir")
export LIANJIE_TEST_POSTGRES_URL
export LIANJIE_TEST_BACKENDS=sqlite,postgres
export LIANJIE_CHAOS_SECONDS=${LIANJIE_CHAOS_SECONDS:-60}  # tests/faults: the issue's 60 s of SIGKILLs

# One pytest worker per core (LIANJIE_TEST_WORKERS overrides; 0 runs in this process).
workers=${LIANJIE_TEST_WORKERS:-auto}
echo "==> pytest on $workers workers (SQLite and PostgreSQL; import contracts included)"
.venv/bin/python -m pytest -n "$workers" "$@"
