#!/usr/bin/env bash
# Installs everything the web tests need: npm dependencies of the repository root
# (the linter and formatter), the gateway, the frontend and the end-to-end tests
# (from their lock files), Debian's Chromium for
# Playwright, Debian's redis-server for the multi-gateway tests, Debian's strace for the
# no-network tests, and the Compose
# validator. Expects the Python venv (.venv) to exist.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

npm ci --prefix "$ROOT" --no-audit --no-fund
npm ci --prefix "$ROOT/gateway" --no-audit --no-fund
npm ci --prefix "$ROOT/frontend" --no-audit --no-fund
# Playwright's own browser download cannot work here: Debian's chromium is used instead.
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix "$ROOT/tests/e2e" --no-audit --no-fund
bash "$ROOT/scripts/install-chromium.sh"
bash "$ROOT/scripts/install-redis.sh"
bash "$ROOT/scripts/install-strace.sh"
bash "$ROOT/scripts/install-compose-validator.sh"
