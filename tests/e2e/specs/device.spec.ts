/**
 * Colorizing on the user's own device (issue 29), in Chromium against the real stack:
 * the device path (nothing uploaded), the server path and the switch between them,
 * the offline start, and a photo the device refuses. This machine has no GPU, so the
 * worker runs ONNX Runtime Web on WebAssembly, with threads (the gateway makes the
 * page cross-origin isolated).
 */
import { execFileSync } from 'node:child_process';
import zlib from 'node:zlib';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { expect, test, type Page } from '@playwright/test';

import { colourfulShare, fixture, readPng } from './helpers';
import { REPO_ROOT } from '../stack';

// A first visit: no choice remembered (the other specs start with "On the server" chosen).
test.use({ storageState: { cookies: [], origins: [] } });

const READY = /Ready on this device \(processor, \d+ threads?\)/;

/** Requests that would carry a photo to the server. */
function watchUploads(page: Page): string[] {
  const uploads: string[] = [];
  page.on('request', (request) => {
    if (request.method() === 'POST' && /\/api\/(v1\/)?colorize/.test(request.url())) uploads.push(request.url());
  });
  return uploads;
}

async function colorizeOne(page: Page, file: string) {
  await page.getByLabel('Choose photos or videos').setInputFiles(file);
  const name = path.basename(file);
  const card = page.getByRole('article', { name });
  const shown = card.getByRole('img', { name: `Colorized: ${name}` });
  await expect(shown).toBeVisible();
  return { card, shown };
}

/** One PNG chunk: length, type, data, CRC. */
function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(Buffer.concat([Buffer.from(type), data])));
  return Buffer.concat([length, Buffer.from(type), data, crc]);
}

/** A grey PNG of this size, written cheaply (one zlib stream of flat rows): big in pixels, small on disk. */
function flatGreyPng(width: number, height: number): string {
  const row = Buffer.alloc(width + 1, 128);
  row[0] = 0; // filter: none
  const raw = Buffer.concat(Array.from({ length: height }, () => row));
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 0; // greyscale
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'colorizer-e2e-big-')), 'huge-scan.png');
  fs.writeFileSync(
    file,
    Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      pngChunk('IHDR', header),
      pngChunk('IDAT', zlib.deflateSync(raw)),
      pngChunk('IEND', Buffer.alloc(0)),
    ]),
  );
  return file;
}

test.describe('colorizing on this device', () => {
  test('the default: the model comes down once with progress, photos never leave the browser', async ({ page }) => {
    const uploads = watchUploads(page);
    // Hold the model file back a moment, so the first-visit progress line can be read.
    await page.route('**/model/colorizer-*.onnx', async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await route.continue();
    });
    await page.goto('/');
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    await expect(page.getByRole('radio', { name: 'On this device' })).toBeChecked();
    await expect(page.getByText(/Your photos never leave this device/)).toBeVisible();
    await expect(page.getByText(/Getting the colorizer ready on this device, \d+ MB/)).toBeVisible();
    await expect(page.getByText(READY)).toBeVisible();

    const cat = fixture('chelsea-gray.jpg');
    const { card, shown } = await colorizeOne(page, cat.path);
    expect(await shown.getAttribute('src')).toMatch(/^blob:/);
    const downloadPromise = page.waitForEvent('download');
    await card.getByRole('link', { name: 'Download PNG' }).click();
    const download = await downloadPromise;
    expect(download.suggestedFilename()).toBe('chelsea-gray-colorized.png');
    const saved = readPng(await download.path());
    expect([saved.width, saved.height]).toEqual([cat.width, cat.height]);
    expect(colourfulShare(saved)).toBeGreaterThan(0.05);
    expect(uploads).toEqual([]);
  });

  test('a damaged model download is refused (SHA-256), said so, and photos go to the server', async ({ page }) => {
    const uploads = watchUploads(page);
    await page.route('**/model/colorizer-*.onnx', (route) =>
      route.fulfill({ status: 200, contentType: 'application/octet-stream', body: Buffer.alloc(4096, 7) }),
    );
    await page.goto('/');
    await expect(page.getByText(/The downloaded colorizer is damaged \(its checksum is wrong\)/)).toBeVisible();
    await expect(page.getByRole('radio', { name: 'On this device' })).toBeDisabled();
    await expect(page.getByRole('radio', { name: 'On the server' })).toBeChecked();
    await colorizeOne(page, fixture('chelsea-gray.jpg').path);
    expect(uploads).toHaveLength(1);
  });

  test('the switch: "On the server" uploads, is remembered, and switching back stops uploads', async ({ page }) => {
    const uploads = watchUploads(page);
    await page.goto('/');
    await page.getByRole('radio', { name: 'On the server' }).check();
    await expect(page.getByText(/Photos are uploaded to this site's server/)).toBeVisible();
    const cat = fixture('chelsea-gray.jpg');
    await colorizeOne(page, cat.path);
    expect(uploads).toHaveLength(1);

    await page.reload();
    await expect(page.getByRole('radio', { name: 'On the server' })).toBeChecked();
    await page.getByRole('radio', { name: 'On this device' }).check();
    await expect(page.getByText(READY)).toBeVisible();
    const coffee = fixture('coffee-gray.jpg');
    const { shown: onDevice } = await colorizeOne(page, coffee.path);
    expect(await onDevice.getAttribute('src')).toMatch(/^blob:/);
    expect(uploads).toHaveLength(1);
  });

  test('with the server unreachable, a photo set for the server is colorized on the device', async ({ page }) => {
    await page.goto('/');
    await page.getByRole('radio', { name: 'On the server' }).check();
    await expect(page.getByText(READY).or(page.getByText(/Photos are uploaded/))).toBeVisible();
    await page.route('**/api/**', (route) => route.abort('connectionrefused'));
    const { shown } = await colorizeOne(page, fixture('chelsea-gray.jpg').path);
    expect(await shown.getAttribute('src')).toMatch(/^blob:/);
  });

  test('a second visit starts offline: the app, the runtime and the model come from the browser', async ({
    page,
    context,
  }) => {
    await page.goto('/');
    await expect(page.getByText(READY)).toBeVisible();
    // The offline shell is installed once its files are kept.
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
    });
    await context.setOffline(true);
    try {
      await page.reload();
      await expect(page.getByText(READY)).toBeVisible();
      const { shown } = await colorizeOne(page, fixture('coffee-gray.jpg').path);
      expect(await shown.getAttribute('src')).toMatch(/^blob:/);
    } finally {
      await context.setOffline(false);
    }
  });

  test('a 12-megapixel photo is colorized at full size without the tab crashing', async ({ page }) => {
    test.setTimeout(300_000);
    let crashed = false;
    page.on('crash', () => {
      crashed = true;
    });
    // The cat enlarged to 4000 x 3000, as a camera's JPEG.
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'colorizer-e2e-12mp-')), 'camera-12mp.jpg');
    const python = path.join(process.env.COLORIZER_VENV ?? path.join(REPO_ROOT, '.venv'), 'bin', 'python');
    const script =
      'import sys; from PIL import Image; Image.open(sys.argv[1]).resize((4000, 3000)).save(sys.argv[2], quality=90)';
    execFileSync(python, ['-c', script, fixture('chelsea-gray.jpg').path, file]);
    await page.goto('/');
    await expect(page.getByText(READY)).toBeVisible();
    const { shown } = await colorizeOne(page, file);
    const size = await shown.evaluate(async (img: HTMLImageElement) => {
      await img.decode();
      return [img.naturalWidth, img.naturalHeight];
    });
    expect(size).toEqual([4000, 3000]);
    expect(crashed).toBe(false);
  });

  test('a photo too big for the device is refused in plain words, and Retry sends it to the server', async ({
    page,
  }) => {
    const uploads = watchUploads(page);
    await page.goto('/');
    await expect(page.getByText(READY)).toBeVisible();
    // 8000 x 6000: 48 megapixels, over the 40 this browser is trusted with.
    const huge = flatGreyPng(8000, 6000);
    await page.getByLabel('Choose photos or videos').setInputFiles(huge);
    const card = page.getByRole('article', { name: 'huge-scan.png' });
    await expect(
      card.getByText(/too big for this device to colorize\. Press Retry to colorize it on the server/),
    ).toBeVisible();
    expect(uploads).toEqual([]);
    await card.getByRole('button', { name: /Retry/ }).click();
    await expect.poll(() => uploads.length).toBe(1);
  });
});
