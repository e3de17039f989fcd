#!/usr/bin/env bash
# Installs what changed since the last start (scripts/install-if-changed.sh: nothing, and
# no network, when pyproject.toml and the lock files are as they were), then starts the
# product on the shipped default model:
# the inference service (gunicorn, 127.0.0.1:8000) and the gateway serving the web app
# (http://localhost:3000). Ctrl-C stops both.
#   GATEWAY_PORT=8080 bash scripts/run.sh    # another gateway port
#   COLORIZER_ARTIFACT=my.safetensors ...    # another model (its .onnx beside it, or COLORIZER_BACKEND=torch)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${COLORIZER_VENV:-$ROOT/.venv}"
bash "$ROOT/scripts/install-if-changed.sh"

export COLORIZER_BIND="${COLORIZER_BIND:-127.0.0.1:8000}"
export GATEWAY_INFERENCE_URL="${GATEWAY_INFERENCE_URL:-http://$COLORIZER_BIND}"
export GATEWAY_PORT="${GATEWAY_PORT:-3000}"
# Keys mode on both sides (GATEWAY_AUTH=keys ...): the service answers only what the gateway
# signs, with one secret; without one set, a new one for this run (docs/security.md).
export COLORIZER_AUTH="${COLORIZER_AUTH:-${GATEWAY_AUTH:-off}}"
if [ "$COLORIZER_AUTH" = keys ] || [ "${GATEWAY_AUTH:-off}" = keys ]; then
  SECRET="${GATEWAY_SIGNING_SECRET:-${COLORIZER_SIGNING_SECRET:-$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')}}"
  export GATEWAY_SIGNING_SECRET="$SECRET" COLORIZER_SIGNING_SECRET="$SECRET"
fi

cd "$ROOT"
"$VENV/bin/colorizer" serve &
SERVICE_PID=$!
trap 'kill $SERVICE_PID 2>/dev/null; wait $SERVICE_PID 2>/dev/null' EXIT INT TERM

echo "== waiting for the model to load"
for _ in $(seq 1 120); do
  if "$VENV/bin/python" -c "import sys, urllib.request; urllib.request.urlopen('$GATEWAY_INFERENCE_URL/v1/health', timeout=2); sys.exit(0)" 2>/dev/null; then
    break
  fi
  kill -0 $SERVICE_PID 2>/dev/null || { echo "inference service exited" >&2; exit 1; }
  sleep 1
done

echo "== open http://localhost:$GATEWAY_PORT  (REST API: http://localhost:$GATEWAY_PORT/api/v1/colorize, reference: http://localhost:$GATEWAY_PORT/api/docs)"
npm --prefix "$ROOT/gateway" start
