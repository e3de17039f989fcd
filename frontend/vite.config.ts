import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

import { deviceModel } from './vite-plugins/deviceModel.ts';
import { offlineShell } from './vite-plugins/offlineShell.ts';

// The dev server forwards /api to a gateway running locally (npm start in ../gateway).
const gatewayUrl = process.env.FRONTEND_GATEWAY_URL ?? 'http://127.0.0.1:3000';

// Cross-origin isolation, so ONNX Runtime Web may use threads (the gateway sends the same: gateway/src/app.js).
const crossOriginIsolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

// `--mode static` (npm run build:static): the app, the model and the worker for any static host,
// under any path (relative URLs), into ../build/static; see README "Host it as static files".
export default defineConfig(({ mode }) => ({
  base: mode === 'static' ? './' : '/',
  plugins: [react(), deviceModel(), offlineShell()],
  server: {
    headers: crossOriginIsolation,
    proxy: { '/api': { target: gatewayUrl, changeOrigin: true } },
  },
  preview: { headers: crossOriginIsolation },
  build: {
    sourcemap: true,
    outDir: mode === 'static' ? '../build/static' : 'dist',
    emptyOutDir: true,
  },
  // The on-device worker loads ONNX Runtime's WebAssembly glue as a module.
  worker: { format: 'es' },
  test: {
    environment: 'jsdom',
    setupFiles: ['./src/test/setup.ts'],
    css: false,
    // Two shared cores on the project machines: a couple of workers is plenty.
    maxWorkers: 2,
    // jsdom renders of the whole app took over Vitest's 5 s default when the cores were busy:
    // a test that is merely slow is not a failure here (the e2e specs cover real timing).
    testTimeout: 20_000,
  },
}));
