#!/usr/bin/env bash
# Installs everything the test suite needs, then runs all of it (ruff + pytest).
# Works on a fresh Debian 12 machine with Python 3.11 and Node 20.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# System packages: a real PostgreSQL server for the PostgreSQL half of the suite; Chromium
# for the end-to-end test in the Agents Playground (playwright-core drives /usr/bin/chromium).
missing=()
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> apt-get install ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
  # Debian starts a cluster on install; the tests start their own throwaway server.
  as_root service postgresql stop >/dev/null 2>&1 || true
fi

PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null || PYTHON=python3
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PYTHON" -m venv .venv
fi
echo "==> pip install -e .[test]"
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'

echo "==> npm ci"
npm ci --no-audit --no-fund --loglevel=error

echo "==> ruff"
.venv/bin/ruff check .

echo "==> pytest"
.venv/bin/python -m pytest -q "$@"
