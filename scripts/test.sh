#!/usr/bin/env bash
# Installs everything, runs the code checks (scripts/lint.sh: lint, formatting, types;
# any violation stops here), then every test: Python (model, training, service, compose
# validation), then the web side (gateway, frontend, production build, end-to-end
# browser tests with Chromium). Exits non-zero if any suite fails.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${COLORIZER_VENV:-$ROOT/.venv}"
bash "$ROOT/scripts/setup.sh"
bash "$ROOT/scripts/setup-web.sh"
# The offline CLI's Ray engine is an optional extra (not in setup.sh, which run.sh uses); its tests need it.
"$VENV/bin/pip" install --quiet --disable-pip-version-check -e "$ROOT[dev,ray]"

cd "$ROOT"
bash "$ROOT/scripts/lint.sh"
echo "== Python tests"
"$VENV/bin/python" -m pytest tests -q -p no:cacheprovider
bash "$ROOT/scripts/test-web.sh"
