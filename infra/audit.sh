#!/usr/bin/env bash
# Audits the project's installed dependencies (.venv, dev extras included) with pip-audit.
# Exit 0: audited, nothing known; 1: pip-audit found vulnerabilities (it lists them);
# 2: not audited, because no vulnerability service answers from this machine.
# Extra arguments go to pip-audit: ./infra/audit.sh --desc
set -euo pipefail
cd "$(dirname "$0")/.."
source infra/venv.sh
lianjie_venv dev
.venv/bin/python -m pip_audit --version >/dev/null 2>&1 ||
  .venv/bin/python -m pip install --quiet "pip-audit>=2.7,<3"

# pip-audit asks PyPI for each release (/pypi/<name>/<version>/json) or OSV. A mirror or
# proxy that serves neither makes every package "not found": that is no audit at all.
service=""
if .venv/bin/python - <<'PY'
import sys, urllib.request
try:
    urllib.request.urlopen("https://pypi.org/pypi/pip/24.0/json", timeout=15).read(1)
except Exception as error:
    print(f"    PyPI's release API: {error}", file=sys.stderr)
    sys.exit(1)
PY
then
  service=pypi
elif .venv/bin/python - <<'PY'
import sys, urllib.request
request = urllib.request.Request("https://api.osv.dev/v1/query", data=b"{}", method="POST")
try:
    urllib.request.urlopen(request, timeout=15).read(1)
except urllib.error.HTTPError:
    pass  # the service answered (a 4xx for the empty query): it is reachable
except Exception as error:
    print(f"    OSV: {error}", file=sys.stderr)
    sys.exit(1)
PY
then
  service=osv
fi
if [[ -z $service ]]; then
  echo "==> NOT AUDITED: no vulnerability service is reachable from here (see above)" >&2
  exit 2
fi
echo "==> pip-audit against $service"
.venv/bin/python -m pip_audit --local --skip-editable --strict --vulnerability-service "$service" "$@"
