#!/usr/bin/env bash
# The code checks, run by scripts/test.sh before any test and failing on the first
# violation: lint, formatting and types. Needs the npm packages of the repository
# root, the frontend and tests/e2e (scripts/setup-web.sh installs them).
#   JavaScript/TypeScript (gateway/, frontend/, tests/e2e/): oxlint, Prettier, tsc.
# `npm run format` (at the root) rewrites what the format check refuses.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

echo "== lint: JavaScript/TypeScript (oxlint, Prettier, tsc)"
npm run --silent lint
npm run --silent format:check
npm run --silent typecheck

# == lint: Python (ruff, mypy): added here by the Python half of the habits work.
