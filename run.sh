#!/usr/bin/env bash
# Set up everything on a fresh machine, then run one thing:
#   bash run.sh app     the dashboard on the built-in sample (http://127.0.0.1:8501)
#   bash run.sh test    the whole test suite (unit, real model, reference case, browser)
#   bash run.sh setup   only the set-up
# Set-up is idempotent: a second call skips what is already installed.
set -euo pipefail
cd "$(dirname "$0")"

VENV=${SYNTH_QUALITY_VENV:-.venv}
PYTHON=${PYTHON:-python3}

setup() {
  if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
  fi
  # shellcheck disable=SC1091
  . "$VENV/bin/activate"
  local stamp="$VENV/.synth-quality-installed"
  local want
  want=$(cat pyproject.toml | sha1sum | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    # torch first, pinned: 2.13.0 is the local CPU build; anything else pulls CUDA wheels.
    pip install --disable-pip-version-check -q torch==2.13.0
    pip install --disable-pip-version-check -q -e ".[test]"
    echo "$want" > "$stamp"
  fi
}

need_chromium() {
  if [ ! -x /usr/bin/chromium ]; then
    if [ "$(id -u)" = 0 ]; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
      sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    fi
  fi
}

case "${1:-}" in
  setup) setup ;;
  app) setup; shift; exec synth-quality app "$@" ;;
  test) need_chromium; setup; shift; exec python -m pytest -q -ra "$@" ;;
  *) echo "usage: bash run.sh app|test|setup" >&2; exit 2 ;;
esac
