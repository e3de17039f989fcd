#!/usr/bin/env bash
# Runs the web side's tests in order: gateway (node --test, real inference service),
# frontend (Vitest) and its production build, docker-compose.yml validation, and the
# end-to-end browser tests (Playwright + Chromium, shipped default model).
# Run scripts/setup-web.sh once first.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${COLORIZER_VENV:-$ROOT/.venv}"

echo "== gateway =="
(cd "$ROOT/gateway" && npm test)
echo "== frontend =="
# The static build too: specs/static.spec.ts serves it with a plain static file server.
(cd "$ROOT/frontend" && npm test && npm run build && npm run build:static)
echo "== docker-compose.yml =="
(cd "$ROOT" && "$VENV/bin/python" -m pytest tests/compose -q)
echo "== end to end =="
(cd "$ROOT/tests/e2e" && npm run test:no-build)
