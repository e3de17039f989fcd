import fs from 'node:fs';
import path from 'node:path';

import { expect, test, type Locator, type Page } from '@playwright/test';

import { deltaE, fixture, patchRgb, readPng, readPngDataUrl, srgbToLab, type DecodedImage } from './helpers';

// Where the pin goes and where nothing should change, as fractions of the cat photo's
// width and height: the dark background at the top right (the model leaves it
// brownish grey, a* about 1), and the far bottom-left corner.
const PIN = { x: 0.9, y: 0.1 };
const FAR = { x: 0.1, y: 0.9 };
const STRONG_RED = '#ff0000';
// Kept (git-ignored) beside the other result-page screenshots.
const SCREENSHOT_DIR = path.join(__dirname, '..', 'test-results', 'screenshots');

/** The image the page shows, as the browser decoded it (drawn on a canvas, read back). */
async function displayed(image: Locator): Promise<{ src: string | null; pixels: DecodedImage }> {
  const { src, dataUrl } = await image.evaluate(async (img: HTMLImageElement) => {
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    canvas.getContext('2d')!.drawImage(img, 0, 0);
    return { src: img.getAttribute('src'), dataUrl: canvas.toDataURL('image/png') };
  });
  return { src, pixels: readPngDataUrl(dataUrl) };
}

function labAt(pixels: DecodedImage, spot: { x: number; y: number }) {
  return srgbToLab(patchRgb(pixels, spot.x, spot.y));
}

async function modelInfo(page: Page): Promise<{ name: string; supports_hints: boolean; max_hints: number }> {
  const response = await page.request.get('/api/v1/model');
  expect(response.status()).toBe(200);
  return response.json();
}

test('a red pin turns its region red and leaves the far side alone; the download is the steered image', async ({
  page,
}, testInfo) => {
  const model = await modelInfo(page);
  expect(model.supports_hints, `the served model (${model.name}) must take colour hints`).toBe(true);
  const cat = fixture('chelsea-gray.jpg');
  await page.goto('/');
  await page.getByLabel('Choose photos or videos').setInputFiles(cat.path);
  const card = page.getByRole('article', { name: 'chelsea-gray.jpg' });
  const shown = card.getByRole('img', { name: 'Colorized: chelsea-gray.jpg' });
  await expect(shown).toBeVisible();

  await card.getByRole('button', { name: 'Fix colours' }).click();
  const before = await displayed(shown);
  expect([before.pixels.width, before.pixels.height]).toEqual([cat.width, cat.height]);
  const automaticAtPin = labAt(before.pixels, PIN);
  expect(automaticAtPin[1], 'the spot must not be red to begin with').toBeLessThan(15);

  // Drop the pin by clicking the picture, then make it a strong red with the colour picker.
  const box = (await shown.boundingBox())!;
  await shown.click({ position: { x: box.width * PIN.x, y: box.height * PIN.y } });
  await expect(card.getByRole('button', { name: /^Pin 1: .*90% from the left, 10% from the top$/ })).toBeVisible();
  await card.getByLabel('Colour of pin 1').fill(STRONG_RED);
  await expect(card.getByRole('button', { name: /^Pin 1: #ff0000/ })).toBeVisible();

  // Wait for the re-colorized image of exactly these settings.
  await expect(card.getByText('Updating the colours…')).toBeHidden({ timeout: 60_000 });
  await expect(shown).not.toHaveAttribute('src', before.src!);
  const after = await displayed(shown);
  const redAtPin = labAt(after.pixels, PIN);
  const farChange = deltaE(labAt(after.pixels, FAR), labAt(before.pixels, FAR));
  testInfo.annotations.push({
    type: 'pin',
    description: `a* at the pin ${automaticAtPin[1].toFixed(1)} -> ${redAtPin[1].toFixed(1)}; far spot delta E ${farChange.toFixed(2)}`,
  });
  expect(redAtPin[1], 'a* at the pin').toBeGreaterThan(20);
  expect(farChange, 'colour change far from the pin (delta E)').toBeLessThan(5);
  // The pin is still drawn on the new image.
  await expect(card.getByRole('button', { name: /^Pin 1: #ff0000/ })).toBeVisible();
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const screenshot = path.join(SCREENSHOT_DIR, 'fix-colours.png');
  await card.screenshot({ path: screenshot });
  await testInfo.attach('fix colours', { path: screenshot, contentType: 'image/png' });

  const downloadStarted = page.waitForEvent('download');
  await card.getByRole('link', { name: 'Download PNG' }).click();
  const download = await downloadStarted;
  const file = testInfo.outputPath('steered.png');
  await download.saveAs(file);
  const png = readPng(file);
  expect([png.width, png.height]).toEqual([cat.width, cat.height]);
  expect(labAt(png, PIN)[1], 'the download is the steered image').toBeGreaterThan(20);
});
