/**
 * The whole stack the browser tests drive: gunicorn serving the inference
 * service, and the gateway serving the built frontend and proxying to it. Both
 * are started (and stopped) by Playwright's webServer option.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import type { PlaywrightTestConfig } from '@playwright/test';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const DEFAULT_MODEL = path.join(REPO_ROOT, 'model', 'weights', 'colorizer-default.safetensors');
const VENV = process.env.COLORIZER_VENV ?? path.join(REPO_ROOT, '.venv');
const FRONTEND_DIST = path.join(REPO_ROOT, 'frontend', 'dist');

export interface StackOptions {
  inferencePort: number;
  gatewayPort: number;
  /**
   * The model artifact. The committed config leaves it to E2E_ARTIFACT, unset by
   * default: the end-to-end run uses the shipped default model, as a user's first
   * start does. E2E_ARTIFACT is for trying another model locally.
   */
  artifact?: string;
}

export function stackServers({
  inferencePort,
  gatewayPort,
  artifact,
}: StackOptions): PlaywrightTestConfig['webServer'] {
  if (artifact && !fs.existsSync(artifact)) throw new Error(`E2E_ARTIFACT names no file: ${artifact}`);
  if (!artifact && !fs.existsSync(DEFAULT_MODEL)) {
    throw new Error(
      `The shipped default model is missing: ${DEFAULT_MODEL}. The end-to-end tests run the stack as shipped; train or fetch the model first.`,
    );
  }
  if (!fs.existsSync(path.join(FRONTEND_DIST, 'index.html'))) {
    throw new Error(`No built frontend in ${FRONTEND_DIST}: run "npm run build" in frontend/ (npm test here does it).`);
  }
  const resultDir = fs.mkdtempSync(path.join(os.tmpdir(), 'colorizer-e2e-results-'));
  return [
    {
      name: 'inference',
      command: `${path.join(VENV, 'bin', 'gunicorn')} -c inference_service/gunicorn.conf.py 'inference_service:create_app()'`,
      cwd: REPO_ROOT,
      env: {
        COLORIZER_BIND: `127.0.0.1:${inferencePort}`,
        // Empty means "the shipped default" (a COLORIZER_ARTIFACT in the caller's shell must not leak in).
        COLORIZER_ARTIFACT: artifact ?? '',
        COLORIZER_WORKERS: '1',
        COLORIZER_LOG_LEVEL: 'WARNING',
        COLORIZER_GUNICORN_LOG_LEVEL: 'warning',
      },
      // 200 only once the model is loaded (READY); 503 while STARTING.
      url: `http://127.0.0.1:${inferencePort}/v1/health`,
      timeout: 180_000,
      reuseExistingServer: false,
      stdout: 'ignore',
      stderr: 'pipe',
      gracefulShutdown: { signal: 'SIGINT', timeout: 10_000 },
    },
    {
      name: 'gateway',
      command: `node ${path.join(REPO_ROOT, 'gateway', 'src', 'server.js')}`,
      cwd: REPO_ROOT,
      env: {
        GATEWAY_HOST: '127.0.0.1',
        GATEWAY_PORT: String(gatewayPort),
        GATEWAY_INFERENCE_URL: `http://127.0.0.1:${inferencePort}`,
        GATEWAY_STATIC_DIR: FRONTEND_DIST,
        GATEWAY_RESULT_DIR: resultDir,
        GATEWAY_LOG_LEVEL: 'warn',
      },
      // The gateway's health is 200 only when the inference service is READY too.
      url: `http://127.0.0.1:${gatewayPort}/api/health`,
      timeout: 180_000,
      reuseExistingServer: false,
      stdout: 'ignore',
      stderr: 'pipe',
      gracefulShutdown: { signal: 'SIGTERM', timeout: 10_000 },
    },
  ];
}

/** Chromium from Debian (Playwright's own browser download is not reachable from the project's machines). */
export const chromiumLaunchOptions = {
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
};
