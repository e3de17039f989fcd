#!/usr/bin/env bash
# Writes the committed API contract from the code, and what is made from it:
#   docs/openapi/service.json  what the inference service serves at /openapi.json (default settings,
#                              the shipped model): python -m inference_service.openapi
#   docs/openapi/gateway.json  what the gateway serves at /api/openapi.json in front of it
#   frontend/src/api/schema.ts the frontend's response types (openapi-typescript)
#   frontend/src/api/options.ts the colorize options' defaults and ranges as values (COLORIZE_OPTIONS),
#                              so the web app states none of them itself (model/options.py is the source)
# Run it after changing an endpoint, an option (model/options.py) or a setting's default.
# `--check` writes nothing and fails when any of the three is stale (scripts/lint.sh runs it);
# tests/service/test_committed_openapi.py and gateway/test/openapi.test.js compare them with
# what the real service and gateway serve.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${COLORIZER_VENV:-$ROOT/.venv}"

OUT="$ROOT"
if [ "${1:-}" = "--check" ]; then
  OUT="$(mktemp -d)"
  trap 'rm -rf "$OUT"' EXIT
  mkdir -p "$OUT/docs/openapi" "$OUT/frontend/src/api"
fi

"$VENV/bin/python" -m inference_service.openapi > "$OUT/docs/openapi/service.json"
node -e '
  const fs = require("node:fs");
  const { buildGatewayDocument } = require("./gateway/src/openapi");
  const service = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
  fs.writeFileSync(process.argv[2], JSON.stringify(buildGatewayDocument(service), null, 2) + "\n");
' "$OUT/docs/openapi/service.json" "$OUT/docs/openapi/gateway.json"
node -e '
  const fs = require("node:fs");
  const document = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
  const options = {};
  for (const parameter of document.paths["/api/v1/colorize"].post.parameters) {
    const { minimum, maximum, default: fallback, enum: choices } = parameter.schema ?? {};
    const facts = Object.entries({ default: fallback, minimum, maximum, choices }).filter(([, v]) => v !== undefined);
    if (facts.length) options[parameter.name] = Object.fromEntries(facts);
  }
  const text =
    "// Written by scripts/openapi.sh from docs/openapi/gateway.json: do not edit. The colorize options\n" +
    "// (model/options.py, the one declaration) as values: the defaults and ranges the API states.\n" +
    `export const COLORIZE_OPTIONS = ${JSON.stringify(options, null, 2)} as const;\n`;
  fs.writeFileSync(process.argv[2], text);
' "$OUT/docs/openapi/gateway.json" "$OUT/frontend/src/api/options.ts"
# openapi-typescript is a root dev tool (package.json): it wants TypeScript 5, the frontend has 7.
npx --no openapi-typescript "$OUT/docs/openapi/gateway.json" -o "$OUT/frontend/src/api/schema.ts" --silent
# The repository's Prettier settings, also for the copy --check writes outside it.
npx --no -- prettier --config "$ROOT/.prettierrc.json" --log-level warn --write "$OUT/frontend/src/api/schema.ts" \
  "$OUT/frontend/src/api/options.ts"

if [ "$OUT" != "$ROOT" ]; then
  stale=0
  for file in docs/openapi/service.json docs/openapi/gateway.json frontend/src/api/schema.ts frontend/src/api/options.ts; do
    if ! cmp -s "$OUT/$file" "$ROOT/$file"; then
      echo "stale: $file differs from what the code makes; run scripts/openapi.sh" >&2
      stale=1
    fi
  done
  exit "$stale"
fi
echo "wrote docs/openapi/service.json, docs/openapi/gateway.json, frontend/src/api/schema.ts, frontend/src/api/options.ts"
