import fs from 'node:fs';
import path from 'node:path';

import { AxeBuilder } from '@axe-core/playwright';
import { expect, type Page, type TestInfo } from '@playwright/test';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

export interface Fixture {
  path: string;
  width: number;
  height: number;
}

export function fixture(name: 'chelsea-gray.jpg' | 'coffee-gray.jpg' | 'coffee-colour.jpg'): Fixture {
  const all = JSON.parse(process.env.E2E_FIXTURES ?? '{}') as Record<string, Fixture>;
  if (!all[name]) throw new Error(`fixture ${name} missing: did global-setup run?`);
  return all[name];
}

export interface DecodedImage {
  width: number;
  height: number;
  /** RGBA, 4 bytes per pixel. */
  data: Uint8Array;
}

export function readPng(file: string): DecodedImage {
  const png = PNG.sync.read(fs.readFileSync(file));
  return { width: png.width, height: png.height, data: png.data };
}

/** An image the page drew on a canvas and handed over as a PNG data URL. */
export function readPngDataUrl(dataUrl: string): DecodedImage {
  const png = PNG.sync.read(Buffer.from(dataUrl.replace(/^data:image\/png;base64,/, ''), 'base64'));
  return { width: png.width, height: png.height, data: png.data };
}

export function readJpeg(file: string): DecodedImage {
  const image = jpeg.decode(fs.readFileSync(file), { useTArray: true });
  return { width: image.width, height: image.height, data: image.data };
}

/** Share of pixels that are not gray (R != G or G != B). */
export function colourfulShare({ data }: DecodedImage): number {
  let colourful = 0;
  const pixels = data.length / 4;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i] !== data[i + 1] || data[i + 1] !== data[i + 2]) colourful += 1;
  }
  return colourful / pixels;
}

/** CIE's f(t) of the XYZ -> L*a*b* conversion. */
const labF = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : ((24389 / 27) * t + 16) / 116);

/** CIE L*a*b* (D65) of an 8-bit sRGB colour. */
export function srgbToLab([red, green, blue]: readonly number[]): [number, number, number] {
  const linear = [red, green, blue].map((value) => {
    const c = value / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  const x = (0.4124564 * linear[0] + 0.3575761 * linear[1] + 0.1804375 * linear[2]) / 0.95047;
  const y = 0.2126729 * linear[0] + 0.7151522 * linear[1] + 0.072175 * linear[2];
  const z = (0.0193339 * linear[0] + 0.119192 * linear[1] + 0.9503041 * linear[2]) / 1.08883;
  return [116 * labF(y) - 16, 500 * (labF(x) - labF(y)), 200 * (labF(y) - labF(z))];
}

/** Mean RGB of the 5x5 patch around (fx, fy), fractions of the width and height. */
export function patchRgb({ width, height, data }: DecodedImage, fx: number, fy: number): [number, number, number] {
  const sums = [0, 0, 0];
  let count = 0;
  const cx = Math.min(width - 1, Math.floor(fx * width));
  const cy = Math.min(height - 1, Math.floor(fy * height));
  for (let y = Math.max(0, cy - 2); y <= Math.min(height - 1, cy + 2); y += 1) {
    for (let x = Math.max(0, cx - 2); x <= Math.min(width - 1, cx + 2); x += 1) {
      const i = (y * width + x) * 4;
      sums[0] += data[i];
      sums[1] += data[i + 1];
      sums[2] += data[i + 2];
      count += 1;
    }
  }
  return [sums[0] / count, sums[1] / count, sums[2] / count];
}

/** Euclidean distance of two Lab colours (CIE76 delta E). */
export function deltaE(first: readonly number[], second: readonly number[]): number {
  return Math.hypot(first[0] - second[0], first[1] - second[1], first[2] - second[2]);
}

// E2E_SCREENSHOTS: where to keep them (the README's pictures are made so); else beside the results.
const SCREENSHOT_DIR = process.env.E2E_SCREENSHOTS ?? path.join(__dirname, '..', 'test-results', 'screenshots');

/** No serious or critical accessibility violations on the page as it is now. */
export async function expectAccessible(page: Page, view: string) {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((violation) => ['serious', 'critical'].includes(violation.impact ?? ''));
  expect(
    bad.map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`),
    `axe on ${view}`,
  ).toEqual([]);
}

/** The page as it is now, kept as <name>-<project>.png and attached to the report. */
export async function screenshot(page: Page, testInfo: TestInfo, name: string) {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}-${testInfo.project.name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  await testInfo.attach(name, { path: file, contentType: 'image/png' });
}
