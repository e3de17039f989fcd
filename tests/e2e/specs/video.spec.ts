import { execFileSync } from 'node:child_process';
import path from 'node:path';

import { expect, test } from '@playwright/test';

import { REPO_ROOT } from '../stack';

// The committed test clip: 36 frames of 160x120 at 12 fps, with sound (tests/fixtures/videos/make_clip.py).
const CLIP = path.join(REPO_ROOT, 'tests', 'fixtures', 'videos', 'pan-160x120.mp4');
const PYTHON = path.join(process.env.COLORIZER_VENV ?? path.join(REPO_ROOT, '.venv'), 'bin', 'python');

/** Frame count, size, rate and audio streams of a film, read with real FFmpeg (PyAV in the venv). */
function filmFacts(file: string): { frames: number; width: number; height: number; rate: number; audio: number } {
  const script = `
import json, sys, av
with av.open(sys.argv[1]) as c:
    v = c.streams.video[0]
    frames = sum(1 for _ in c.decode(video=0))
    print(json.dumps({"frames": frames, "width": v.width, "height": v.height, "rate": float(v.average_rate), "audio": len(c.streams.audio)}))
`;
  return JSON.parse(execFileSync(PYTHON, ['-c', script, file], { encoding: 'utf8' })) as ReturnType<typeof filmFacts>;
}

test.describe('a video in the browser', () => {
  test('a clip goes in, its progress shows, the result plays beside the original, the download keeps its frames and size', async ({
    page,
  }, testInfo) => {
    test.setTimeout(240_000);
    const input = filmFacts(CLIP);
    await page.goto('/');
    await page.getByLabel('Choose photos or videos').setInputFiles(CLIP);
    const card = page.getByRole('article', { name: 'pan-160x120.mp4' });
    await expect(card).toBeVisible();

    // The job's progress: a bar with frames (and, once running, an ETA), or its wait.
    await expect(card.getByText(/Waiting for its turn|Colorizing… frame \d+ of 36/)).toBeVisible();
    await expect(card.getByRole('button', { name: 'Cancel' })).toBeVisible();

    // Done: the colorized film plays (H.264 in Chromium), with the original beside it.
    const colorized = card.getByLabel('Colorized: pan-160x120.mp4');
    await expect(colorized).toBeVisible({ timeout: 180_000 });
    await expect(card.getByLabel('Original: pan-160x120.mp4')).toBeVisible();
    const played = await colorized.evaluate(async (video: HTMLVideoElement) => {
      video.muted = true;
      await video.play();
      await new Promise((resolve) => setTimeout(resolve, 1200));
      video.pause();
      return { time: video.currentTime, width: video.videoWidth, height: video.videoHeight };
    });
    expect(played.time).toBeGreaterThan(0.3);
    expect({ width: played.width, height: played.height }).toEqual({ width: input.width, height: input.height });
    // The original follows the colorized film's position.
    const originalTime = await card
      .getByLabel('Original: pan-160x120.mp4')
      .evaluate((video: HTMLVideoElement) => video.currentTime);
    expect(Math.abs(originalTime - played.time)).toBeLessThan(0.5);

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      card.getByRole('link', { name: 'Download MP4' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('pan-160x120-colorized.mp4');
    const saved = testInfo.outputPath('download.mp4');
    await download.saveAs(saved);
    const output = filmFacts(saved);
    expect(output).toEqual({ ...input });

    // A reload keeps the job (localStorage), and the result still plays, with the original
    // beside it (the film itself is kept in the browser's IndexedDB).
    await page.reload();
    const kept = page.getByRole('article', { name: 'pan-160x120.mp4' });
    await expect(kept.getByLabel('Colorized: pan-160x120.mp4')).toBeVisible();
    await expect(kept.getByLabel('Original: pan-160x120.mp4')).toBeVisible();
  });

  test('a file that is not a film gets plain words', async ({ page }) => {
    await page.goto('/');
    await page.getByLabel('Choose photos or videos').setInputFiles({
      name: 'broken.mp4',
      mimeType: 'video/mp4',
      buffer: Buffer.from('this is no film at all'),
    });
    await expect(page.getByRole('article', { name: 'broken.mp4' }).getByRole('alert')).toHaveText(
      'This file could not be read as a video. It may be damaged, cut short, or not really a video.',
    );
  });
});
