#!/usr/bin/env bash
# The code checks, run by scripts/test.sh before any test and failing on the first
# violation: lint, formatting and types. Needs the npm packages of the repository
# root, the frontend and tests/e2e (scripts/setup-web.sh installs them).
#   JavaScript/TypeScript (gateway/, frontend/, tests/e2e/): oxlint, Prettier, tsc.
#   Python (model/, video/, training/, inference_service/, colorizer_cli/, tests/, benchmarks/):
#   ruff (lint and format), mypy and import-linter (the packages' layers, docs/architecture.md),
#   configured in pyproject.toml; needs the venv's dev
#   extra (scripts/test.sh installs it). `ruff format .` rewrites what the check refuses.
# `npm run format` (at the root) rewrites what the format check refuses; scripts/openapi.sh
# rewrites the committed API contract and the frontend's types made from it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

echo "== lint: JavaScript/TypeScript (oxlint, Prettier, tsc)"
npm run --silent lint
npm run --silent format:check
npm run --silent typecheck

VENV="${COLORIZER_VENV:-$ROOT/.venv}"
echo "== contract: docs/openapi/*.json and frontend/src/api/schema.ts are what the code makes"
bash scripts/openapi.sh --check > /dev/null

echo "== lint: Python (ruff, mypy, import-linter's layers)"
"$VENV/bin/ruff" check .
"$VENV/bin/ruff" format --check .
"$VENV/bin/mypy"
"$VENV/bin/lint-imports" --no-cache
