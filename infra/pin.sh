#!/usr/bin/env bash
# Rewrites infra/constraints.txt: the exact version of every package `.[dev]` installs,
# resolved afresh in a throwaway venv. infra/venv.sh installs with these constraints, so
# every machine runs what the suite last passed with; run this to take newer releases
# (within pyproject.toml's bounds), then ./infra/test.sh and ./infra/audit.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
source infra/venv.sh
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
"$(lianjie_python)" -m venv "$scratch/venv"
"$scratch/venv/bin/python" -m pip install --quiet --upgrade pip
"$scratch/venv/bin/python" -m pip install --quiet ".[dev]"
{
  echo "# Exact versions installed by infra/venv.sh (pip -c); infra/pin.sh rewrites this file."
  "$scratch/venv/bin/python" -m pip freeze --exclude lianjie
} >infra/constraints.txt
echo "==> infra/constraints.txt: $(grep -vc '^#' infra/constraints.txt) packages pinned"
