# The frontend's development server (Vite, hot reload), for working on the UI with
# the rest of the stack in containers:  docker compose --profile dev up
# Production does not use this image: the gateway image builds and serves the app.
FROM node:20-bookworm-slim
WORKDIR /app/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
ENV FRONTEND_GATEWAY_URL=http://gateway:3000
EXPOSE 5173
USER node
CMD ["npx", "vite", "--host", "0.0.0.0", "--port", "5173"]
