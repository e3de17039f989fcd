import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

// The dev server forwards /api to a gateway running locally (npm start in ../gateway).
const gatewayUrl = process.env.FRONTEND_GATEWAY_URL ?? 'http://127.0.0.1:3000';

export default defineConfig({
  plugins: [react()],
  server: {
    proxy: { '/api': { target: gatewayUrl, changeOrigin: true } },
  },
  build: {
    sourcemap: true,
  },
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
});
