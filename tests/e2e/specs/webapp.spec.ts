// The web app people keep using (issue 30), on a desktop and a phone (the 'phone' project):
// a ZIP of many photos, a reload that keeps photos and pins, undo and redo, a small-reach
// pin, the colour-photo question, zoom, and axe-core on each main view. Against the whole
// stack with the shipped model; pixels are read back from what the browser shows.
import fs from 'node:fs';

import { expect, test, type Locator, type Page } from '@playwright/test';
import { unzipSync } from 'fflate';
import { PNG } from 'pngjs';

import { expectAccessible, fixture, readPngDataUrl, screenshot, type DecodedImage } from './helpers';

// A strong colour the model never gives the cat's dark background.
const STRONG_RED = '#ff0000';
const PIN = { x: 0.9, y: 0.1 };

test.setTimeout(180_000);

/** Files for the picker: the fixtures under other names (the same photo may come twice). */
function named(source: string, name: string) {
  return { name, mimeType: 'image/jpeg', buffer: fs.readFileSync(source) };
}

/** The image the page shows, as the browser decoded it (drawn on a canvas, read back). */
async function displayed(image: Locator): Promise<DecodedImage> {
  const dataUrl = await image.evaluate(async (img: HTMLImageElement) => {
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    canvas.getContext('2d')!.drawImage(img, 0, 0);
    return canvas.toDataURL('image/png');
  });
  return readPngDataUrl(dataUrl);
}

/** Share of pixels whose colour moved by more than `threshold` (sum of RGB differences). */
function changedShare(first: DecodedImage, second: DecodedImage, threshold = 24): number {
  let changed = 0;
  for (let i = 0; i < first.data.length; i += 4) {
    const moved =
      Math.abs(first.data[i] - second.data[i]) +
      Math.abs(first.data[i + 1] - second.data[i + 1]) +
      Math.abs(first.data[i + 2] - second.data[i + 2]);
    if (moved > threshold) changed += 1;
  }
  return changed / (first.data.length / 4);
}

/** Upload the cat, wait for its result; the card. */
async function colorizedCat(page: Page): Promise<Locator> {
  await page.goto('/');
  await page.getByLabel('Choose photos or videos').setInputFiles(fixture('chelsea-gray.jpg').path);
  const card = page.getByRole('article', { name: 'chelsea-gray.jpg' });
  await expect(card.getByRole('img', { name: 'Colorized: chelsea-gray.jpg' })).toBeVisible();
  return card;
}

/** Open Fix colours and drop a pin at PIN (a fraction of the picture); waits for the steered image. */
async function dropPin(card: Locator) {
  await card.getByRole('button', { name: 'Fix colours' }).click();
  const shown = card.getByRole('img', { name: 'Colorized: chelsea-gray.jpg' });
  const box = (await shown.boundingBox())!;
  await shown.click({ position: { x: box.width * PIN.x, y: box.height * PIN.y } });
  await expect(card.getByText('1 of 64 pins')).toBeVisible();
  await card.getByLabel('Colour of pin 1').fill(STRONG_RED);
  await expect(card.getByText('Updating the colours…')).toBeHidden();
  await expect(card.getByText('Adjusted: 1 pin')).toBeVisible();
}

test.beforeEach(async ({ page }) => {
  // Each test starts from an empty browser store, and colorizes on the server (the model this
  // spec checks; colorizing on the device has specs of its own). The choice is remembered.
  await page.goto('/');
  await page.evaluate(async () => {
    for (const name of ['colorizer-photos', 'colorizer-settings', 'colorizer-films']) indexedDB.deleteDatabase(name);
    localStorage.clear();
  });
  await page.reload();
  const server = page.getByRole('radio', { name: 'On the server' });
  if (await server.count()) await server.check();
});

test('the empty page is accessible', async ({ page }, testInfo) => {
  await page.goto('/');
  await expect(page.getByText('Choose photos or videos', { exact: true })).toBeVisible();
  await expectAccessible(page, 'the empty page');
  await screenshot(page, testInfo, 'start');
});

test('Enter on the focused picker opens it', async ({ page }) => {
  await page.goto('/');
  await page.getByLabel('Choose photos or videos').focus();
  const chooser = page.waitForEvent('filechooser');
  await page.keyboard.press('Enter');
  expect((await chooser).isMultiple()).toBe(true);
});

test('many photos: a grid, and Download all gives one ZIP with the original names, whole words kept', async ({
  page,
}, testInfo) => {
  const cat = fixture('chelsea-gray.jpg');
  const coffee = fixture('coffee-gray.jpg');
  const long =
    'Grandma and grandpa on the porch of the old farmhouse in Vermont during the long summer of nineteen fifty two.jpg';
  await page.goto('/');
  await page
    .getByLabel('Choose photos or videos')
    .setInputFiles([
      named(cat.path, 'cat.jpg'),
      named(coffee.path, 'coffee.jpg'),
      named(cat.path, 'cat.jpg'),
      named(coffee.path, long),
    ]);
  // Four photos: a compact grid; each tile opens to the full view.
  await expect(page.getByRole('button', { name: /^Open / })).toHaveCount(4);
  await expect(page.getByRole('button', { name: 'Download all (4) as ZIP' })).toBeEnabled({ timeout: 120_000 });
  await expectAccessible(page, 'the grid');
  await screenshot(page, testInfo, 'grid');

  const downloading = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download all (4) as ZIP' }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe('colorized-photos.zip');
  const entries = unzipSync(new Uint8Array(fs.readFileSync(await download.path())));
  const names = Object.keys(entries);
  const longStem = names.find((name) => name.startsWith('Grandma'))!.replace('-colorized.png', '');
  expect(names.toSorted()).toEqual(
    ['cat-colorized.png', 'cat-colorized (2).png', 'coffee-colorized.png', `${longStem}-colorized.png`].toSorted(),
  );
  // The long name is cut after a whole word.
  expect(long.startsWith(longStem) && long[longStem.length] === ' ').toBe(true);
  const catPng = PNG.sync.read(Buffer.from(entries['cat-colorized.png']));
  expect([catPng.width, catPng.height]).toEqual([cat.width, cat.height]);
  const coffeePng = PNG.sync.read(Buffer.from(entries['coffee-colorized.png']));
  expect([coffeePng.width, coffeePng.height]).toEqual([coffee.width, coffee.height]);

  // Select two, download them, remove them.
  await page.getByRole('checkbox', { name: 'Select coffee.jpg' }).check();
  await page.getByRole('checkbox', { name: `Select ${long}` }).check();
  const selection = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download selected (2)' }).click();
  const selected = unzipSync(new Uint8Array(fs.readFileSync(await (await selection).path())));
  expect(Object.keys(selected)).toHaveLength(2);
  await page.getByRole('button', { name: 'Remove selected (2)' }).click();
  await expect(page.getByRole('article')).toHaveCount(2); // fewer than four: full cards again
});

test('a reload keeps the photos, their results and pins', async ({ page }) => {
  const card = await colorizedCat(page);
  await dropPin(card);
  await expect(page.getByText(/Kept in this browser until you remove them: 1 photo/)).toBeVisible();
  await page.reload();
  const back = page.getByRole('article', { name: 'chelsea-gray.jpg' });
  await expect(back.getByText('Adjusted: 1 pin')).toBeVisible();
  await back.getByRole('button', { name: 'Fix colours' }).click();
  await expect(back.getByText('1 of 64 pins')).toBeVisible();
  await page.getByRole('button', { name: 'Remove all' }).click();
  await page.reload();
  await expect(page.getByRole('article')).toHaveCount(0);
});

test('undo and redo, with the buttons and the keys; Show automatic compares', async ({ page }, testInfo) => {
  const card = await colorizedCat(page);
  await dropPin(card);
  await expectAccessible(page, 'Fix colours');
  await screenshot(page, testInfo, 'fix-colours');
  const shown = card.getByRole('img', { name: 'Colorized: chelsea-gray.jpg' });
  const pinned = await shown.getAttribute('src');
  // Held down, the automatic colours come back; let go, the pinned ones.
  const hold = card.getByRole('button', { name: 'Show automatic (hold)' });
  await hold.dispatchEvent('pointerdown');
  await expect(shown).not.toHaveAttribute('src', pinned!);
  await hold.dispatchEvent('pointerup');
  await expect(shown).toHaveAttribute('src', pinned!);

  // The pin and its colour: one step or two, as quickly as they were made.
  const undo = card.getByRole('button', { name: 'Undo' });
  await undo.click();
  if (await undo.isEnabled()) await undo.click();
  await expect(card.getByText('No pins yet: the colours are the model’s own.')).toBeVisible();
  await card.getByRole('button', { name: 'Redo' }).click();
  await expect(card.getByText('1 of 64 pins')).toBeVisible();
  await page.keyboard.press('Control+z');
  await expect(card.getByText('No pins yet: the colours are the model’s own.')).toBeVisible();
  await page.keyboard.press('Control+Shift+z');
  await expect(card.getByText('1 of 64 pins')).toBeVisible();
});

test('a small-reach pin changes fewer pixels than a whole-region one', async ({ page }) => {
  const card = await colorizedCat(page);
  const shown = card.getByRole('img', { name: 'Colorized: chelsea-gray.jpg' });
  const automatic = await displayed(shown);
  await dropPin(card); // a new pin reaches medium
  const reach = card.getByRole('group', { name: 'Reach of pin 1' });
  const steeredWith = async (label: string) => {
    const before = await shown.getAttribute('src');
    await reach.getByRole('button', { name: label }).click();
    await expect(shown).not.toHaveAttribute('src', before!);
    await expect(card.getByText('Updating the colours…')).toBeHidden();
    return changedShare(automatic, await displayed(shown));
  };
  const small = await steeredWith('Small');
  const whole = await steeredWith('Whole region');
  expect(small).toBeGreaterThan(0);
  expect(small, `small ${small.toFixed(3)} against whole ${whole.toFixed(3)}`).toBeLessThan(whole * 0.8);
});

test('a colour photo: the app asks, and Keep gives the original back', async ({ page }) => {
  const colour = fixture('coffee-colour.jpg');
  await page.goto('/');
  await page.getByLabel('Choose photos or videos').setInputFiles(colour.path);
  const card = page.getByRole('article', { name: 'coffee-colour.jpg' });
  await expect(card.getByText('This photo is already in colour.')).toBeVisible();
  await expectAccessible(page, 'the colour-photo question');
  await card.getByRole('button', { name: 'Keep its colours' }).click();
  const original = card.getByRole('link', { name: 'Download the original' });
  await expect(original).toHaveAttribute('download', 'coffee-colour.jpg');
  await card.getByRole('button', { name: 'Colorize from the gray' }).click();
  await expect(card.getByRole('img', { name: 'Colorized: coffee-colour.jpg' })).toBeVisible();
});

test('zoom: the wheel or a double-click zooms the comparison, and back', async ({ page }, testInfo) => {
  const card = await colorizedCat(page);
  await expectAccessible(page, 'the result');
  await screenshot(page, testInfo, 'result');
  const level = card.getByLabel('Zoom level');
  await expect(level).toHaveText('100%');
  const figure = card.locator('figure.compare');
  await figure.scrollIntoViewIfNeeded();
  const box = (await figure.boundingBox())!;
  if (testInfo.project.name === 'phone') {
    // A double tap.
    await figure.tap({ position: { x: box.width / 2, y: box.height / 2 } });
    await figure.tap({ position: { x: box.width / 2, y: box.height / 2 } });
  } else {
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel(0, -400);
    await expect(level).not.toHaveText('100%');
    await card.getByRole('button', { name: 'Whole picture' }).click();
    await expect(level).toHaveText('100%');
    await figure.dblclick({ position: { x: box.width / 2, y: box.height / 2 } });
  }
  await expect(level).toHaveText('300%');
  const transform = await card
    .getByRole('img', { name: 'Colorized: chelsea-gray.jpg' })
    .evaluate((img) => img.style.transform);
  expect(transform).toContain('scale(3)');
  await card.getByRole('button', { name: 'Zoom out' }).click();
  await expect(level).toHaveText('200%');
});
