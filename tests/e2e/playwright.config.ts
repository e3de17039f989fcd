import { defineConfig, devices } from '@playwright/test';

import { chromiumLaunchOptions, portFromEnv, stackServers } from './stack';

// Free ports unless set (portFromEnv).
const inferencePort = portFromEnv('E2E_INFERENCE_PORT');
const gatewayPort = portFromEnv('E2E_GATEWAY_PORT');
// The same app behind a gateway with GATEWAY_AUTH=keys (specs/apiKeys.spec.ts).
const keysGatewayPort = portFromEnv('E2E_KEYS_GATEWAY_PORT');

export default defineConfig({
  testDir: './specs',
  outputDir: './test-results',
  globalSetup: './global-setup.ts',
  // One browser at a time: the machines have two cores and the model runs on the CPU.
  workers: 1,
  fullyParallel: false,
  forbidOnly: true,
  retries: 0,
  timeout: 120_000,
  expect: { timeout: 60_000 },
  reporter: [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }]],
  use: {
    baseURL: `http://127.0.0.1:${gatewayPort}`,
    acceptDownloads: true,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    // The specs of the server's own path start with "On the server" chosen (the app's
    // default is the device where it can run: issue 29); specs/device*.spec.ts and
    // specs/static.spec.ts start as a first visit.
    storageState: {
      cookies: [],
      origins: [
        { origin: `http://127.0.0.1:${gatewayPort}`, localStorage: [{ name: 'colorizer.place', value: 'server' }] },
      ],
    },
  },
  projects: [
    {
      name: 'chromium',
      use: {
        ...devices['Desktop Chrome'],
        viewport: { width: 1280, height: 900 },
        launchOptions: chromiumLaunchOptions,
      },
    },
    {
      // The web app on a phone (touch, a narrow screen): specs/webapp.spec.ts, which covers issue 30.
      name: 'phone',
      testMatch: /webapp\.spec\.ts/,
      use: {
        ...devices['Pixel 7'],
        launchOptions: chromiumLaunchOptions,
      },
    },
  ],
  // E2E_ARTIFACT: another model for a local run; unset (CI), the shipped default model.
  webServer: stackServers({
    inferencePort,
    gatewayPort,
    keysGatewayPort,
    artifact: process.env.E2E_ARTIFACT || undefined,
  }),
});
