#!/usr/bin/env bash
# Runs scripts/setup.sh only when what it installs from has changed since its last
# success: the Python package (pyproject.toml), the npm lock files, or a missing venv or
# node_modules; otherwise the install (which needs the network and takes minutes) is
# skipped. The frontend is rebuilt, offline, when its sources changed since the last build.
# The stamps (SHA-256 of those files) live in the venv, so a new venv installs again.
# Used by scripts/run.sh; tests/tools/test_install_if_changed.py covers it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${COLORIZER_VENV:-$ROOT/.venv}"
INSTALL_STAMP="$VENV/.install-stamp"
BUILD_STAMP="$VENV/.frontend-build-stamp"

cd "$ROOT"
# One hash over the contents of the named files (a missing file counts as changed).
hash_of() { sha256sum "$@" 2>/dev/null | sha256sum | cut -c1-64; }
install_inputs=(pyproject.toml gateway/package-lock.json frontend/package-lock.json)
# The build also bundles the shipped ONNX model (frontend/vite-plugins/deviceModel.ts).
build_inputs() { find frontend/src frontend/public frontend/vite-plugins frontend/index.html frontend/vite.config.ts frontend/package-lock.json model/weights/colorizer-default.onnx -type f 2>/dev/null | LC_ALL=C sort; }

wanted_install="$(hash_of "${install_inputs[@]}")"
if [ ! -x "$VENV/bin/colorizer" ] || [ ! -d gateway/node_modules ] || [ ! -d frontend/node_modules ] ||
  [ "$(cat "$INSTALL_STAMP" 2>/dev/null)" != "$wanted_install" ]; then
  echo "== installing (first start, or pyproject.toml or a lock file changed)"
  rm -f "$INSTALL_STAMP" "$BUILD_STAMP"
  bash "$ROOT/scripts/setup.sh"
  echo "$wanted_install" > "$INSTALL_STAMP"
  # setup.sh has just built the frontend from these sources.
  hash_of $(build_inputs) > "$BUILD_STAMP"
  exit 0
fi
echo "== nothing to install: pyproject.toml and the lock files are as at the last install"
wanted_build="$(hash_of $(build_inputs))"
if [ ! -f frontend/dist/index.html ] || [ "$(cat "$BUILD_STAMP" 2>/dev/null)" != "$wanted_build" ]; then
  echo "== building the frontend (its sources changed)"
  npm --prefix "$ROOT/frontend" run build --silent
  echo "$wanted_build" > "$BUILD_STAMP"
fi
