#!/usr/bin/env bash
# Installs what the product needs to run: the Python venv (.venv) with the project
# installed from pyproject.toml (editable, the dev extra: serve + train + test tools,
# which also gives .venv/bin/colorizer), the gateway's and the frontend's npm packages
# (from their lock files), and the built frontend. Idempotent; needs Python 3.11 and
# Node 20 on PATH. A torch-free serving install is just: pip install '.[serve]'.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${COLORIZER_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null || PYTHON=python3

if [ ! -x "$VENV/bin/python" ]; then
  echo "== creating $VENV with $($PYTHON --version)"
  "$PYTHON" -m venv "$VENV"
fi
echo "== Python packages"
"$VENV/bin/pip" install --quiet --disable-pip-version-check -e "$ROOT[dev]"

echo "== npm packages (gateway, frontend)"
npm ci --prefix "$ROOT/gateway" --no-audit --no-fund --loglevel=error
npm ci --prefix "$ROOT/frontend" --no-audit --no-fund --loglevel=error
echo "== building the frontend"
npm --prefix "$ROOT/frontend" run build --silent
