// A film colorized like a colourist in the web app (issue 28): upload a real clip, pause it,
// "Fix colours at this frame", drop a pin on the frame's preview, keep the keyframe, and
// colorize the film again with it (a rerun: no new upload). The result film's frames around
// the keyframe carry the pin's colour, read with real FFmpeg (PyAV in the venv). Against the
// whole stack with the shipped model.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

import { expect, test, type Locator, type Page, type TestInfo } from '@playwright/test';

import { REPO_ROOT } from '../stack';
import { expectAccessible, screenshot, srgbToLab } from './helpers';

// 36 frames of carphone at 176x144, 15 fps (tests/fixtures/videos/README.md).
const CLIP = path.join(REPO_ROOT, 'tests', 'fixtures', 'videos', 'carphone-176x144.mp4');
const NAME = 'carphone-176x144.mp4';
const PYTHON = path.join(process.env.COLORIZER_VENV ?? path.join(REPO_ROOT, '.venv'), 'bin', 'python');
// The keyframe: frame 18 (1.2 s); the pin on the car's light grey ceiling, top left, in a strong green.
const KEYFRAME_S = 1.2;
const PIN = { x: 0.15, y: 0.1 };
const GREEN = '#00c000';

/** Mean CIELAB a*, b* of a 5x5 patch at `spot` (fractions), over the frames `first`..`last` of a film. */
function patchAb(file: string, spot: { x: number; y: number }, first: number, last: number): [number, number] {
  const script = `
import json, sys
import av, numpy as np
from skimage.color import rgb2lab
path, fx, fy, first, last = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
values = []
with av.open(path) as film:
    for index, frame in enumerate(film.decode(video=0)):
        if first <= index <= last:
            rgb = frame.to_ndarray(format="rgb24")
            h, w = rgb.shape[:2]
            x, y = round(fx * (w - 1)), round(fy * (h - 1))
            patch = rgb[max(0, y - 2):y + 3, max(0, x - 2):x + 3] / 255.0
            values.append(rgb2lab(patch).reshape(-1, 3)[:, 1:].mean(axis=0))
print(json.dumps(np.mean(values, axis=0).tolist()))
`;
  const args = ['-c', script, file, String(spot.x), String(spot.y), String(first), String(last)];
  return JSON.parse(execFileSync(PYTHON, args, { encoding: 'utf8' })) as [number, number];
}

/** The card's result film, downloaded. */
async function downloadResult(page: Page, card: Locator, testInfo: TestInfo, name: string): Promise<string> {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    card.getByRole('link', { name: 'Download MP4' }).click(),
  ]);
  const file = testInfo.outputPath(name);
  await download.saveAs(file);
  return file;
}

/** The mean a*, b* of a patch of the picture the page shows (drawn on a canvas, read back). */
async function shownAb(image: Locator, spot: { x: number; y: number }): Promise<[number, number]> {
  const rgb = await image.evaluate(async (img: HTMLImageElement, at) => {
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const context = canvas.getContext('2d')!;
    context.drawImage(img, 0, 0);
    const x = Math.round(at.x * (img.naturalWidth - 1));
    const y = Math.round(at.y * (img.naturalHeight - 1));
    const { data } = context.getImageData(Math.max(0, x - 2), Math.max(0, y - 2), 5, 5);
    const sums = [0, 0, 0];
    for (let i = 0; i < data.length; i += 4) for (let c = 0; c < 3; c += 1) sums[c] += data[i + c];
    return sums.map((sum) => sum / (data.length / 4));
  }, spot);
  const lab = srgbToLab(rgb);
  return [lab[1], lab[2]];
}

test('a keyframe with a pin, previewed, then the film colorized again with it carries the pin’s colour', async ({
  page,
}, testInfo) => {
  test.setTimeout(420_000);
  const model = (await (await page.request.get('/api/v1/model')).json()) as { supports_hints: boolean };
  expect(model.supports_hints, 'the served model must take colour hints').toBe(true);
  await page.goto('/');
  await page.getByLabel('Choose photos or videos').setInputFiles(CLIP);
  const card = page.getByRole('article', { name: NAME });
  // The original plays while the film waits or is colorized.
  await expect(card.getByLabel(`Original: ${NAME}`)).toBeVisible();
  const colorized = card.getByLabel(`Colorized: ${NAME}`);
  await expect(colorized).toBeVisible({ timeout: 180_000 });
  const automaticFilm = await downloadResult(page, card, testInfo, 'automatic.mp4');

  // Pause at 1.2 s, and "Fix colours at this frame" from the keyboard.
  await colorized.evaluate(async (video: HTMLVideoElement, time) => {
    video.pause();
    const seeked = new Promise((resolve) => video.addEventListener('seeked', resolve, { once: true }));
    video.currentTime = time;
    await seeked;
  }, KEYFRAME_S);
  const fix = card.getByRole('button', { name: 'Fix colours at this frame' });
  await fix.focus();
  await page.keyboard.press('Enter');
  const editor = card.getByRole('region', { name: 'Fix colours at 0:01.20' });
  const preview = editor.getByRole('img', { name: `Frame at 0:01.20 of ${NAME}, colorized with its pins (preview)` });
  await expect(preview).toBeVisible({ timeout: 60_000 });
  const automaticAtPin = await shownAb(preview, PIN);

  // A pin on the ceiling, strong green, reaching the whole region; the preview follows it.
  const box = (await preview.boundingBox())!;
  await preview.click({ position: { x: box.width * PIN.x, y: box.height * PIN.y } });
  await editor.getByLabel('Colour of pin 1').fill(GREEN);
  await editor.getByRole('group', { name: 'Reach of pin 1' }).getByRole('button', { name: 'Whole region' }).click();
  await expect(editor.getByText('Preview with your pins.')).toBeVisible({ timeout: 60_000 });
  const pinnedAtPin = await shownAb(preview, PIN);
  expect(pinnedAtPin[0], 'the preview turns green at the pin (a*)').toBeLessThan(automaticAtPin[0] - 10);
  await expectAccessible(page, 'the keyframe editor');
  await card.screenshot({ path: testInfo.outputPath('keyframe-editor.png') });
  await screenshot(page, testInfo, 'video-keyframe');

  await editor.getByRole('button', { name: 'Keep keyframe' }).click();
  const strip = card.getByRole('list', { name: `Keyframes of ${NAME}` });
  await expect(strip.getByRole('img', { name: 'Keyframe at 0:01.20' })).toBeVisible();
  await expect(strip.getByText('0:01.20 · 1 pin')).toBeVisible();
  await expectAccessible(page, 'the keyframe strip');
  await card.screenshot({ path: testInfo.outputPath('keyframe-strip.png') });

  // Vibrance on the card, from the keyboard: 100% + 10 steps of 5%.
  const vibrance = card.getByRole('slider', { name: 'Vibrance' });
  await vibrance.focus();
  for (let step = 0; step < 10; step += 1) await page.keyboard.press('ArrowRight');
  await expect(vibrance).toHaveAttribute('aria-valuetext', '150%');

  // Colorize with it: a rerun of the kept film, which carries the keyframe and the vibrance, and no film.
  const rerun = page.waitForRequest((request) => request.url().endsWith('/rerun') && request.method() === 'POST');
  await card.getByRole('button', { name: 'Colorize with 1 keyframe' }).click();
  const sent = (await rerun).postDataBuffer()?.toString('latin1') ?? '';
  expect(sent).toContain('name="keyframes"');
  expect(sent).toContain(`"time":${KEYFRAME_S}`);
  expect(sent).toContain(`"color":"${GREEN}"`);
  expect(sent).toMatch(/name="vibrance"\r\n\r\n1\.5\r\n/);
  expect(sent).not.toContain('name="video"');
  const answer = await (await rerun).response();
  expect(answer?.status()).toBe(202);
  const newJob = (await answer!.json()) as { id: string; status_url: string };

  await expect(colorized).toHaveAttribute('src', new RegExp(newJob.id), { timeout: 180_000 });
  const view = (await (await page.request.get(newJob.status_url)).json()) as {
    state: string;
    keyframes: { time: number; hints: { color: string }[]; has_image: boolean }[];
  };
  expect(view.state).toBe('done');
  expect(view.keyframes).toEqual([
    { time: KEYFRAME_S, hints: [expect.objectContaining({ color: GREEN, reach: 'whole' })], has_image: false },
  ]);
  await expect(card.getByRole('button', { name: /^Colorize/ })).toBeHidden();

  // The frames around the keyframe (15..21 of 36) carry the green at the pin; the automatic film did not.
  const keyedFilm = await downloadResult(page, card, testInfo, 'keyframed.mp4');
  const automatic = patchAb(automaticFilm, PIN, 15, 21);
  const keyed = patchAb(keyedFilm, PIN, 15, 21);
  testInfo.annotations.push({
    type: 'keyframe',
    description: `a*, b* at the pin, frames 15-21: automatic ${automatic.map((v) => v.toFixed(1))} -> with the keyframe ${keyed.map((v) => v.toFixed(1))}; preview ${automaticAtPin.map((v) => v.toFixed(1))} -> ${pinnedAtPin.map((v) => v.toFixed(1))}`,
  });
  expect(keyed[0], 'a* at the pin: green').toBeLessThan(automatic[0] - 25);
  expect(keyed[0], 'a* at the pin: green').toBeLessThan(-20);
  // Through its shot (the clip is one): from the first frame to the last.
  expect(patchAb(keyedFilm, PIN, 0, 35)[0], 'a* at the pin over the whole shot').toBeLessThan(-20);

  // A reload keeps the keyframe (IndexedDB), under the new job.
  await page.reload();
  const kept = page.getByRole('article', { name: NAME });
  await expect(
    kept.getByRole('list', { name: `Keyframes of ${NAME}` }).getByRole('img', { name: 'Keyframe at 0:01.20' }),
  ).toBeVisible();
  await expect(kept.getByRole('button', { name: /^Colorize/ })).toBeHidden();
});
