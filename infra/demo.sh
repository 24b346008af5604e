#!/usr/bin/env bash
# Sets everything up and runs the product on SQLite with demo data.
set -euo pipefail
cd "$(dirname "$0")/.."
source infra/venv.sh
lianjie_venv

export LIANJIE_DATABASE_URL=${LIANJIE_DATABASE_URL:-sqlite:///./var/demo.db}
echo "==> demo data in $LIANJIE_DATABASE_URL"
.venv/bin/lianjie demo
