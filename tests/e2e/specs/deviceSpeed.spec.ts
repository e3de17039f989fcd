/**
 * Benchmark (issue 29), run on demand: headless Chromium on this machine, the shipped model.
 *
 *   E2E_DEVICE_BENCH=1 npx playwright test deviceSpeed --reporter=line
 *
 * - the first visit: the model's size and download time, and the time until the device
 *   is ready (download, SHA-256 check, WebAssembly compile, session);
 * - time to result for a 1024 x 768 photo on the device (WebAssembly with threads, the
 *   model cached: a second visit), beside the server's round trip for the same photo
 *   (upload, colorize, result shown), taking turns; the first photo after the device
 *   is ready is reported apart.
 *
 * The numbers go to the console and to test-results/device-speed.json.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { expect, test, type Page } from '@playwright/test';

import { REPO_ROOT } from '../stack';

test.skip(!process.env.E2E_DEVICE_BENCH, 'a benchmark: set E2E_DEVICE_BENCH=1 to run it');
test.use({ storageState: { cookies: [], origins: [] } });

const REPEATS = Number(process.env.E2E_DEVICE_BENCH_REPEATS ?? 5);
const BENCH_PHOTO =
  process.env.E2E_DEVICE_BENCH_PHOTO ?? path.join(REPO_ROOT, '..', 'shared', 'data', 'colorize', 'bench', '000001.jpg');
const READY = /Ready on this device/;

/** The bench photo resized to 1024 x 768 (a grey JPEG, as users bring them), with its own name per run. */
function photos(count: number): string[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'colorizer-device-bench-'));
  const python = path.join(process.env.COLORIZER_VENV ?? path.join(REPO_ROOT, '.venv'), 'bin', 'python');
  const script = `
import sys
from PIL import Image
image = Image.open(sys.argv[1]).convert("L").resize((1024, 768), Image.Resampling.LANCZOS)
for index in range(int(sys.argv[3])):
    image.save(f"{sys.argv[2]}/photo-{index}.jpg", quality=92)
`;
  execFileSync(python, ['-c', script, BENCH_PHOTO, dir, String(count)]);
  return Array.from({ length: count }, (_, index) => path.join(dir, `photo-${index}.jpg`));
}

async function timeToResult(page: Page, file: string): Promise<number> {
  const name = path.basename(file);
  const started = Date.now();
  await page.getByLabel('Choose photos or videos').setInputFiles(file);
  await expect(page.getByRole('article', { name }).getByRole('img', { name: `Colorized: ${name}` })).toBeVisible({
    timeout: 120_000,
  });
  const elapsed = Date.now() - started;
  // One photo on the page at a time: the queue shows each result in full.
  await page.getByRole('button', { name: 'Clear finished' }).click();
  return elapsed;
}

const median = (values: number[]) => values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)];

test('device against server: first visit, time to result for 1024 x 768', async ({ browser }) => {
  test.setTimeout(900_000);
  const files = photos(2 * REPEATS + 1);
  const context = await browser.newContext();
  const page = await context.newPage();
  const downloads: { bytes: number; ms: number }[] = [];
  context.on('requestfinished', async (request) => {
    if (!/\/model\/colorizer-[0-9a-f]+\.onnx$/.test(request.url())) return;
    const sizes = await request.sizes();
    const timing = request.timing();
    downloads.push({ bytes: sizes.responseBodySize, ms: timing.responseEnd });
  });

  const visitStarted = Date.now();
  await page.goto('/');
  await expect(page.getByText(READY)).toBeVisible({ timeout: 300_000 });
  const firstVisitReadyMs = Date.now() - visitStarted;
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
  });

  // A second visit: the model from Cache Storage.
  const reloadStarted = Date.now();
  await page.reload();
  const status = page.getByText(READY);
  await expect(status).toBeVisible({ timeout: 120_000 });
  const cachedReadyMs = Date.now() - reloadStarted;
  const engine = await status.textContent();
  const firstDeviceMs = await timeToResult(page, files[0]);
  // Taking turns, so both sides meet the same load from this machine's other users.
  const deviceMs: number[] = [];
  const serverMs: number[] = [];
  for (let index = 0; index < REPEATS; index += 1) {
    await page.getByRole('radio', { name: 'On the server' }).check();
    serverMs.push(await timeToResult(page, files[1 + REPEATS + index]));
    await page.getByRole('radio', { name: 'On this device' }).check();
    deviceMs.push(await timeToResult(page, files[1 + index]));
  }
  await context.close();

  const result = {
    photo: '1024 x 768 grey JPEG from ' + path.basename(BENCH_PHOTO),
    engine,
    model_bytes: downloads[0]?.bytes ?? null,
    model_download_ms: downloads[0]?.ms ?? null,
    first_visit_ready_ms: firstVisitReadyMs,
    cached_visit_ready_ms: cachedReadyMs,
    device_first_result_ms: firstDeviceMs,
    device_result_ms: deviceMs,
    device_median_ms: median(deviceMs),
    server_result_ms: serverMs,
    server_median_ms: median(serverMs),
    device_over_server: median(deviceMs) / median(serverMs),
  };
  console.log(JSON.stringify(result, null, 2));
  fs.mkdirSync(path.join(__dirname, '..', 'test-results'), { recursive: true });
  fs.writeFileSync(path.join(__dirname, '..', 'test-results', 'device-speed.json'), JSON.stringify(result, null, 2));
});
