/**
 * The whole stack the browser tests drive: gunicorn serving the inference
 * service, and the gateway serving the built frontend and proxying to it. Both
 * are started (and stopped) by Playwright's webServer option.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import type { PlaywrightTestConfig } from '@playwright/test';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const DEFAULT_MODEL = path.join(REPO_ROOT, 'model', 'weights', 'colorizer-default.safetensors');
const VENV = process.env.COLORIZER_VENV ?? path.join(REPO_ROOT, '.venv');
const FRONTEND_DIST = path.join(REPO_ROOT, 'frontend', 'dist');

/**
 * The keys file of the second gateway (GATEWAY_AUTH=keys). Its name comes from the
 * port, so that the config (loaded by Playwright's runner and again by each worker)
 * and the specs agree; the specs make their keys in it with the real `colorizer keys`.
 */
export function keysFileFor(keysGatewayPort: number): string {
  return path.join(os.tmpdir(), `colorizer-e2e-keys-${keysGatewayPort}.json`);
}

/**
 * The port in `process.env[name]`, or a free loopback port written there: the runner
 * picks it, and its workers (which load the config again) inherit the same value, so
 * several runs on one machine do not collide. (Node has no synchronous way to ask
 * the system for a free port; the venv's Python does it.)
 */
export function portFromEnv(name: string): number {
  if (!process.env[name]) {
    const script = 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])';
    process.env[name] = execFileSync(path.join(VENV, 'bin', 'python'), ['-c', script], { encoding: 'utf8' }).trim();
  }
  return Number(process.env[name]);
}

export const COLORIZER_COMMAND = path.join(VENV, 'bin', 'colorizer');

export interface StackOptions {
  inferencePort: number;
  gatewayPort: number;
  /** A second gateway on the same service, with GATEWAY_AUTH=keys (keysFileFor). */
  keysGatewayPort: number;
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
  keysGatewayPort,
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
  const gateway = (port: number, env: Record<string, string>) => ({
    name: env.GATEWAY_AUTH === 'keys' ? 'gateway (keys)' : 'gateway',
    command: `node ${path.join(REPO_ROOT, 'gateway', 'src', 'server.js')}`,
    cwd: REPO_ROOT,
    env: {
      GATEWAY_HOST: '127.0.0.1',
      GATEWAY_PORT: String(port),
      GATEWAY_INFERENCE_URL: `http://127.0.0.1:${inferencePort}`,
      GATEWAY_STATIC_DIR: FRONTEND_DIST,
      GATEWAY_RESULT_DIR: fs.mkdtempSync(`${resultDir}-${port}-`),
      GATEWAY_LOG_LEVEL: 'warn',
      ...env,
    },
    // The gateway's health is 200 only when the inference service is READY too.
    url: `http://127.0.0.1:${port}/api/health`,
    timeout: 180_000,
    reuseExistingServer: false,
    stdout: 'ignore' as const,
    stderr: 'pipe' as const,
    gracefulShutdown: { signal: 'SIGTERM' as const, timeout: 10_000 },
  });
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
        // Video jobs (specs/video.spec.ts) in a folder of this run's own, run by the embedded worker.
        COLORIZER_VIDEO_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'colorizer-e2e-videos-')),
        COLORIZER_VIDEO_WORKERS: '1',
      },
      // 200 only once the model is loaded (READY); 503 while STARTING.
      url: `http://127.0.0.1:${inferencePort}/v1/health`,
      timeout: 180_000,
      reuseExistingServer: false,
      stdout: 'ignore',
      stderr: 'pipe',
      gracefulShutdown: { signal: 'SIGINT', timeout: 10_000 },
    },
    gateway(gatewayPort, { GATEWAY_AUTH: 'off' }),
    gateway(keysGatewayPort, {
      GATEWAY_AUTH: 'keys',
      GATEWAY_KEYS_FILE: keysFileFor(keysGatewayPort),
      // Keys mode needs one; the service here (shared with the open gateway) checks none.
      GATEWAY_SIGNING_SECRET: 'e2e-signing-secret-0123456789abcdef',
    }),
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
