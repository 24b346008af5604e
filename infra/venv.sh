#!/usr/bin/env bash
# Sourced by the other scripts: make .venv with Python 3.11 and the project installed.
# Usage: source infra/venv.sh [extras]   (extras e.g. "dev")
set -euo pipefail

lianjie_python() {
  for candidate in python3.11 python3 python; do
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
        command -v "$candidate"
        return 0
    fi
  done
  echo "Python 3.11 is needed and was not found on PATH" >&2
  return 1
}

lianjie_venv() {
  local extras="${1:-}" spec="." stamp
  [[ -n $extras ]] && spec=".[$extras]"
  if [[ ! -x .venv/bin/python ]]; then
    "$(lianjie_python)" -m venv .venv
  fi
  stamp=".venv/.installed-$(cat pyproject.toml infra/constraints.txt | sha256sum | cut -c1-16)-${extras:-base}"
  if [[ ! -f $stamp ]]; then
    echo "==> installing lianjie${extras:+ with $extras extras} into .venv"
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -c infra/constraints.txt -e "$spec"
    touch "$stamp"
  fi
}

lianjie_cjk_font() {
  # Posters and screenshots draw Chinese text: install a CJK font when none is present.
  if command -v fc-list >/dev/null 2>&1 && [[ -n $(fc-list :lang=zh 2>/dev/null) ]]; then
    return 0
  fi
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing a Chinese font (fonts-wqy-microhei) for posters"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei fontconfig >/dev/null ||
      echo "    could not install it: posters will show boxes for Chinese text" >&2
  fi
}
