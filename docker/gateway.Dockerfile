# The gateway (Node 20, Express 5) serving the web app, which is built here too.
# Build from the repository root:  docker build -f docker/gateway.Dockerfile .

# 1. The React frontend, built once into static files.
FROM node:20-bookworm-slim AS frontend
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
# The model the app runs on the user's device (frontend/vite-plugins/deviceModel.ts reads
# ../model/weights: the float32 file for its hash, the float16 one under device/ to ship).
COPY model/weights/colorizer-default.onnx /src/model/weights/
COPY model/weights/device/ /src/model/weights/device/
RUN npm run build

# 2. The gateway's production dependencies.
FROM node:20-bookworm-slim AS gateway-deps
WORKDIR /app/gateway
COPY gateway/package.json gateway/package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# 3. The running image: node, the gateway, the built frontend.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    GATEWAY_PORT=3000 \
    GATEWAY_STATIC_DIR=/app/frontend/dist \
    GATEWAY_RESULT_DIR=/data/results
WORKDIR /app/gateway
COPY --from=gateway-deps /app/gateway/node_modules ./node_modules
COPY gateway/package.json ./
COPY gateway/src ./src
COPY --from=frontend /src/frontend/dist /app/frontend/dist
RUN mkdir -p /data/results && chown node:node /data/results
USER node
EXPOSE 3000

# 200 only when the gateway is up and the inference service is READY.
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.GATEWAY_PORT || 3000) + '/api/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

CMD ["node", "src/server.js"]
