import fs from 'node:fs';
import path from 'node:path';

import { expect, test, type Page } from '@playwright/test';

import { colourfulShare, fixture, readJpeg, readPng } from './helpers';

// The result-page screenshots are kept here (git-ignored), besides being attached to the report.
const SCREENSHOT_DIR = path.join(__dirname, '..', 'test-results', 'screenshots');

/** At least this share of a colorized photo's pixels must be coloured (not R = G = B). */
const MIN_COLOURFUL_SHARE = 0.05;

async function modelName(page: Page): Promise<string> {
  const response = await page.request.get('/api/v1/model');
  expect(response.status()).toBe(200);
  return ((await response.json()) as { name: string }).name;
}

async function upload(page: Page, ...files: Parameters<Page['setInputFiles']>[1][]) {
  await page.getByLabel('Choose photos or videos').setInputFiles(files.flat() as never);
}

test.describe('colorizing in the browser', () => {
  test('a grayscale JPEG becomes a colour image; Download gives a colour PNG of the same size', async ({
    page,
  }, testInfo) => {
    const cat = fixture('chelsea-gray.jpg');
    const name = await modelName(page);
    await page.goto('/');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Colorize');
    // The model's name is in "About this model", not on every screen.
    await page.getByText('About this model').click();
    await expect(page.locator('.model-about__facts')).toContainText(name);

    await upload(page, cat.path);
    const card = page.getByRole('article', { name: 'chelsea-gray.jpg' });
    const shown = card.getByRole('img', { name: 'Colorized: chelsea-gray.jpg' });
    await expect(shown).toBeVisible();

    // The shown image: the upload's size, in colour.
    const pixels = await shown.evaluate(async (img: HTMLImageElement) => {
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = img.naturalWidth;
      canvas.height = img.naturalHeight;
      const context = canvas.getContext('2d')!;
      context.drawImage(img, 0, 0);
      const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
      let colourful = 0;
      for (let i = 0; i < data.length; i += 4)
        if (data[i] !== data[i + 1] || data[i + 1] !== data[i + 2]) colourful += 1;
      return {
        src: img.getAttribute('src'),
        width: img.naturalWidth,
        height: img.naturalHeight,
        share: colourful / (data.length / 4),
      };
    });
    // Shown from the copy the browser keeps (IndexedDB), not from the gateway's store.
    expect(pixels.src).toMatch(/^blob:/);
    expect([pixels.width, pixels.height]).toEqual([cat.width, cat.height]);
    expect(pixels.share).toBeGreaterThan(MIN_COLOURFUL_SHARE);
    await expect(card.getByRole('img', { name: 'Original: chelsea-gray.jpg' })).toBeVisible();
    await expect(card.getByText(`${cat.width} × ${cat.height} px`)).toBeVisible();

    fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const screenshot = path.join(SCREENSHOT_DIR, 'result-page.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    await testInfo.attach('result page', { path: screenshot, contentType: 'image/png' });

    const downloadStarted = page.waitForEvent('download');
    await card.getByRole('link', { name: 'Download PNG' }).click();
    const download = await downloadStarted;
    expect(download.suggestedFilename()).toBe('chelsea-gray-colorized.png');
    const file = testInfo.outputPath('download.png');
    await download.saveAs(file);

    const png = readPng(file);
    expect([png.width, png.height]).toEqual([cat.width, cat.height]);
    const share = colourfulShare(png);
    testInfo.annotations.push({ type: 'colourful pixels in the PNG', description: `${(share * 100).toFixed(1)}%` });
    expect(share).toBeGreaterThan(MIN_COLOURFUL_SHARE);
  });

  test('Download as JPEG converts in the browser and keeps the size', async ({ page }, testInfo) => {
    const cup = fixture('coffee-gray.jpg');
    await page.goto('/');
    await upload(page, cup.path);
    const card = page.getByRole('article', { name: 'coffee-gray.jpg' });
    await expect(card.getByRole('img', { name: 'Colorized: coffee-gray.jpg' })).toBeVisible();

    await card.getByLabel('Format').selectOption({ label: 'JPEG (smaller file)' });
    const downloadStarted = page.waitForEvent('download');
    await card.getByRole('button', { name: 'Download JPEG' }).click();
    const download = await downloadStarted;
    expect(download.suggestedFilename()).toBe('coffee-gray-colorized.jpg');
    const file = testInfo.outputPath('download.jpg');
    await download.saveAs(file);

    const image = readJpeg(file);
    expect([image.width, image.height]).toEqual([cup.width, cup.height]);
    expect(colourfulShare(image)).toBeGreaterThan(MIN_COLOURFUL_SHARE);
  });

  test('several files at once are queued and all colorized', async ({ page }) => {
    await page.goto('/');
    await upload(page, fixture('chelsea-gray.jpg').path, fixture('coffee-gray.jpg').path);
    await expect(page.getByRole('article')).toHaveCount(2);
    await expect(page.getByRole('img', { name: 'Colorized: chelsea-gray.jpg' })).toBeVisible();
    await expect(page.getByRole('img', { name: 'Colorized: coffee-gray.jpg' })).toBeVisible();
    await expect(page.getByRole('heading', { name: /Your images/ })).toContainText('2');
  });

  test('the before/after slider works with the keyboard, and side by side is one click away', async ({ page }) => {
    await page.goto('/');
    await upload(page, fixture('chelsea-gray.jpg').path);
    const card = page.getByRole('article', { name: 'chelsea-gray.jpg' });
    const slider = card.getByRole('slider', { name: 'Before and after comparison' });
    await expect(slider).toHaveValue('50');

    await slider.focus();
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    await expect(slider).toHaveValue('48');
    await page.keyboard.press('End');
    await expect(slider).toHaveValue('100');
    // All of the original shows now: the handle sits at the right edge.
    const handle = await card.locator('.compare__handle').boundingBox();
    const figure = await card.locator('figure.compare').boundingBox();
    expect(Math.abs(handle!.x + handle!.width / 2 - (figure!.x + figure!.width))).toBeLessThan(3);

    await card.getByRole('button', { name: 'Side by side' }).click();
    await expect(card.locator('figcaption', { hasText: 'Original' })).toBeVisible();
    await expect(card.getByRole('img', { name: 'Colorized: chelsea-gray.jpg' })).toBeVisible();
    await expect(slider).toHaveCount(0);
  });

  test('works at phone width without sideways scrolling', async ({ page }) => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto('/');
    await upload(page, fixture('chelsea-gray.jpg').path);
    await expect(page.getByRole('img', { name: 'Colorized: chelsea-gray.jpg' })).toBeVisible();
    const widths = await page.evaluate(() => ({
      page: document.documentElement.scrollWidth,
      viewport: window.innerWidth,
    }));
    expect(widths.page).toBeLessThanOrEqual(widths.viewport);
    // Everything a user needs fits the phone's width (reached by scrolling down).
    const controls = [
      page.getByRole('link', { name: 'Download PNG' }),
      page.getByRole('slider', { name: 'Before and after comparison' }),
      page.getByRole('slider', { name: 'Vibrance' }),
      page.getByLabel('Format'),
    ];
    for (const control of controls) {
      await control.scrollIntoViewIfNeeded();
      await expect(control).toBeInViewport();
      const box = (await control.boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(390);
    }

    fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'result-page-phone.png'), fullPage: true });
  });
});

test.describe('errors in plain words', () => {
  test('a text file is refused with a clear message, before any upload', async ({ page }) => {
    await page.goto('/');
    // The accepted formats and the size limit come from the API: wait until the page has them.
    await expect(page.getByText(/JPEG, PNG, .*, up to 20 MB each/)).toBeVisible();
    let uploads = 0;
    page.on('request', (request) => {
      if (request.url().endsWith('/api/colorize')) uploads += 1;
    });
    await upload(page, { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('Shopping list: milk, eggs') });

    const card = page.getByRole('article', { name: 'notes.txt' });
    await expect(card.getByRole('alert')).toHaveText(
      /^This is not an image we can read\. Please choose a JPEG, PNG, WebP, TIFF, BMP(, GIF or AVIF| or GIF) file\.$/,
    );
    expect(uploads).toBe(0);
  });

  test('a text file posing as a JPEG reaches the service, whose invalid_image error is explained', async ({ page }) => {
    await page.goto('/');
    const answered = page.waitForResponse((response) => response.url().endsWith('/api/colorize'));
    await upload(page, { name: 'fake-photo.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('not really a jpeg') });

    const response = await answered;
    expect(response.status()).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('invalid_image');
    const alert = page.getByRole('article', { name: 'fake-photo.jpg' }).getByRole('alert');
    await expect(alert).toHaveText(
      'This file could not be read as an image. It may be damaged, or not really an image.',
    );
  });
});
