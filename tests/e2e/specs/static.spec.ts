/**
 * The static build (`npm run build:static`: build/static) on a plain static file server,
 * Python's http.server, with no gateway and the API unreachable (every /api request is
 * blocked): a photo is colorized on the device, a pin is applied, the result downloads.
 * http.server sends no COOP/COEP headers, so this is also the single-threaded path.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { expect, test } from '@playwright/test';

import { colourfulShare, fixture, readPng } from './helpers';
import { portFromEnv, REPO_ROOT } from '../stack';

const STATIC_DIR = path.join(REPO_ROOT, 'build', 'static');
const PYTHON = path.join(process.env.COLORIZER_VENV ?? path.join(REPO_ROOT, '.venv'), 'bin', 'python');

test.use({ storageState: { cookies: [], origins: [] } });

let server: ChildProcess;
let origin: string;

test.beforeAll(async () => {
  if (!fs.existsSync(path.join(STATIC_DIR, 'index.html'))) {
    throw new Error(`No static build in ${STATIC_DIR}: run "npm run build:static" at the repository root.`);
  }
  const port = portFromEnv('E2E_STATIC_PORT');
  origin = `http://127.0.0.1:${port}`;
  server = spawn(PYTHON, ['-m', 'http.server', String(port), '--bind', '127.0.0.1', '--directory', STATIC_DIR], {
    stdio: 'ignore',
  });
  await expect
    .poll(
      async () =>
        fetch(`${origin}/`)
          .then((response) => response.status)
          .catch(() => 0),
      { timeout: 20_000 },
    )
    .toBe(200);
});

test.afterAll(() => {
  server?.kill('SIGTERM');
});

test('the static build colorizes, takes a pin and downloads, with no server at all', async ({ page }) => {
  const apiCalls: string[] = [];
  await page.route('**/api/**', (route) => {
    apiCalls.push(route.request().url());
    return route.abort('connectionrefused');
  });
  await page.goto(`${origin}/`);
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
  await expect(page.getByRole('radio', { name: 'On this device' })).toBeChecked();
  await expect(page.getByRole('radio', { name: 'On the server' })).toHaveCount(0);
  await expect(page.getByText(/Ready on this device \(processor, 1 thread\)/)).toBeVisible();

  const cat = fixture('chelsea-gray.jpg');
  await page.getByLabel('Choose photos or videos').setInputFiles(cat.path);
  const card = page.getByRole('article', { name: 'chelsea-gray.jpg' });
  const shown = card.getByRole('img', { name: 'Colorized: chelsea-gray.jpg' });
  await expect(shown).toBeVisible();
  const automatic = await shown.getAttribute('src');

  // A pin, as a user drops one: click the picture, then pick its colour.
  await card.getByRole('button', { name: 'Fix colours' }).click();
  const box = (await shown.boundingBox())!;
  await shown.click({ position: { x: box.width * 0.9, y: box.height * 0.1 } });
  await card.getByLabel('Colour of pin 1').fill('#ff0000');
  await expect(card.getByRole('button', { name: /^Pin 1: #ff0000/ })).toBeVisible();
  await expect(shown).not.toHaveAttribute('src', automatic!, { timeout: 60_000 });

  const downloadPromise = page.waitForEvent('download');
  await card.getByRole('link', { name: 'Download PNG' }).click();
  const saved = readPng(await (await downloadPromise).path());
  expect([saved.width, saved.height]).toEqual([cat.width, cat.height]);
  expect(colourfulShare(saved)).toBeGreaterThan(0.05);
  expect(apiCalls.filter((url) => /colorize/.test(url))).toEqual([]);
});
