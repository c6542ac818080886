#!/usr/bin/env bash
# Installs Läget and starts it on the embedded SQLite database with the demo data.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null || PYTHON=python3
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
# Install when pyproject.toml changed since the last install from here (the install is
# editable, so code changes need none): restarts are quick and need no package index.
stamp=.venv/.laget-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check -e .
  touch "$stamp"
fi
exec .venv/bin/python app.py "$@"
