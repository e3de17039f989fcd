// A film's keyframes and vibrance, used as a person uses them: pause, "Fix colours at this
// frame", drop a pin on the frame's preview, keep it, colorize the film with it. The network
// layers are stand-ins (src/test/fakeApi.ts for the photo API the preview uses; a video API
// below); taking a frame from a <video> needs a real browser (jsdom draws nothing), so
// captureFrame.ts is replaced here and exercised by tests/e2e/specs/videoKeyframes.spec.ts.
import { act, fireEvent, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import App from '../../App';
import { ApiError } from '../../api/colorizer';
import type { VideoApi, VideoJob, VideoRerunOptions, VideoUploadOptions } from '../../api/videos';
import { memoryKept } from '../../shared/keptInBrowser';
import { RECOLORIZE_DELAY_MS } from '../../shared/steering/useSteering';
import { createFakeApi, resultFor } from '../../test/fakeApi';
import { captureGreyFrame } from './captureFrame';
import { settingsKeyOf, type FilmSettings } from './filmKeyframes';

vi.mock('./captureFrame', () => ({
  captureGreyFrame: vi.fn<(video: HTMLVideoElement, time: number, name: string) => Promise<File>>(
    async (_video, _time, name) => new File([new Uint8Array(8)], name),
  ),
  thumbnailOf: vi.fn<() => string | null>(() => null),
}));

const FIRST = 'a'.repeat(32);
const SECOND = 'b'.repeat(32);

function job(overrides: Partial<VideoJob> = {}): VideoJob {
  const id = overrides.id ?? FIRST;
  return {
    id,
    state: 'done',
    framesDone: 36,
    framesTotal: 36,
    percent: 100,
    etaS: null,
    width: 176,
    height: 144,
    statusUrl: `/api/v1/videos/${id}`,
    resultUrl: `/api/v1/videos/${id}/result`,
    resultBytes: 40_000,
    errorCode: null,
    errorMessage: null,
    keyframes: [],
    ...overrides,
  };
}

/** A video API whose jobs are done at once; reruns and uploads are recorded, and answer what the test says. */
function fakeVideoApi() {
  const uploads: VideoUploadOptions[] = [];
  const reruns: [string, VideoRerunOptions][] = [];
  const state = {
    current: job(),
    rerun: (): Promise<VideoJob> => Promise.resolve(job({ id: SECOND, state: 'queued' })),
  };
  const api: VideoApi = {
    uploadVideo: async (_file, options = {}) => {
      uploads.push(options);
      return state.current;
    },
    rerunVideo: (id, options) => {
      reruns.push([id, options]);
      return state.rerun().then((next) => {
        state.current = next;
        return next;
      });
    },
    fetchVideoJob: async () => state.current,
    cancelVideoJob: async () => null,
    playableResultUrl: async (done) => ({ playUrl: done.resultUrl, downloadUrl: `${done.resultUrl}?download=1` }),
  };
  return { api, state, uploads, reruns };
}

// jsdom lays nothing out: the frame's picture gets a 400 x 300 box at the page's origin.
const BOX = { x: 0, y: 0, left: 0, top: 0, width: 400, height: 300, right: 400, bottom: 300 };
let times: WeakMap<HTMLMediaElement, number>;

beforeEach(() => {
  vi.useFakeTimers({ shouldAdvanceTime: true });
  localStorage.clear();
  URL.createObjectURL = vi.fn<(object: Blob | MediaSource) => string>(() => 'blob:local-clip');
  URL.revokeObjectURL = vi.fn<(url: string) => void>();
  vi.spyOn(HTMLImageElement.prototype, 'getBoundingClientRect').mockReturnValue({
    ...BOX,
    toJSON: () => BOX,
  } as DOMRect);
  // jsdom's films do not play: a paused film at the time the test sets.
  times = new WeakMap();
  vi.spyOn(HTMLMediaElement.prototype, 'pause').mockImplementation(() => undefined);
  vi.spyOn(HTMLMediaElement.prototype, 'currentTime', 'get').mockImplementation(function (this: HTMLMediaElement) {
    return times.get(this) ?? 0;
  });
  vi.spyOn(HTMLMediaElement.prototype, 'currentTime', 'set').mockImplementation(function (
    this: HTMLMediaElement,
    value: number,
  ) {
    times.set(this, value);
  });
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

async function tick(ms = 1100) {
  await act(async () => {
    await vi.advanceTimersByTimeAsync(ms);
  });
}

const clip = () => new File([new Uint8Array(2048)], 'home movie.mp4', { type: 'video/mp4' });

/** Upload the film; its job is done at once and the result plays beside the original. */
async function filmOnThePage(filmSettings = memoryKept<FilmSettings>()) {
  const photos = createFakeApi();
  const videos = fakeVideoApi();
  const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
  render(<App api={photos.api} videoApi={videos.api} filmSettings={filmSettings} />);
  await screen.findByText('colorizer-default'); // the model takes hints: films get "Fix colours at this frame"
  await user.upload(screen.getByLabelText('Choose photos or videos'), clip());
  const card = await screen.findByRole('article', { name: 'home movie.mp4' });
  await tick();
  await within(card).findByLabelText('Colorized: home movie.mp4');
  return { photos, videos, user, card, filmSettings };
}

/** Pause the result at `time`, open that frame, and answer its automatic colours. */
async function openFrame(context: Awaited<ReturnType<typeof filmOnThePage>>, time: number) {
  const { card, user, photos } = context;
  (within(card).getByLabelText('Colorized: home movie.mp4') as HTMLVideoElement).currentTime = time;
  await user.click(within(card).getByRole('button', { name: 'Fix colours at this frame' }));
  expect(await within(card).findByText('Colorizing this frame…')).toBeInTheDocument();
  await tick(10); // the request goes out from an effect, a moment after the text shows
  const call = photos.calls[photos.calls.length - 1];
  await act(async () => call.resolve(resultFor('frame.png', { id: 'FRAME'.padEnd(24, '0') })));
  return call;
}

describe('keyframes on a film', { timeout: 20_000 }, () => {
  it('fixes colours at a paused frame with a pin and its preview, keeps it, and colorizes the film again with it', async () => {
    const context = await filmOnThePage();
    const { card, user, photos, videos, filmSettings } = context;
    const automatic = await openFrame(context, 1.25);
    // The frame is taken from the original (in grey, by captureFrame), at the paused time.
    expect(captureGreyFrame).toHaveBeenCalledWith(
      within(card).getByLabelText('Original: home movie.mp4'),
      1.25,
      'home movie-1.25s.png',
    );
    expect(automatic.file.name).toBe('home movie-1.25s.png');
    expect(automatic.options.hints).toBeUndefined();
    expect(within(card).getByRole('heading', { name: 'Fix colours at 0:01.25' })).toBeInTheDocument();

    // A pin where the preview is clicked (25% from the left, 60% from the top), then the preview with it.
    const preview = within(card).getByRole('img', { name: /^Frame at 0:01\.25 of home movie\.mp4/ });
    await user.pointer({ keys: '[MouseLeft]', target: preview, coords: { clientX: 100, clientY: 180 } });
    await user.click(within(card).getByRole('button', { name: 'Brick' }));
    await tick(RECOLORIZE_DELAY_MS);
    const withPin = photos.calls[photos.calls.length - 1];
    expect(withPin.options.hints).toEqual([{ x: 0.25, y: 0.6, color: '#a4452c', reach: 'medium' }]);
    await act(async () => withPin.resolve(resultFor('frame.png', { id: 'PINNED'.padEnd(24, '0'), url: '/pinned' })));
    expect(within(card).getByText('Preview with your pins.')).toBeInTheDocument();
    expect(preview).toHaveAttribute('src', '/pinned');

    await user.click(within(card).getByRole('button', { name: 'Keep keyframe' }));
    const strip = await within(card).findByRole('list', { name: 'Keyframes of home movie.mp4' });
    expect(within(strip).getByText('0:01.25 · 1 pin')).toBeInTheDocument();

    // Already colorized: a rerun of the kept film (no new upload), and the card follows the new job.
    await user.click(within(card).getByRole('button', { name: 'Colorize with 1 keyframe' }));
    await tick();
    expect(videos.reruns).toEqual([
      [
        FIRST,
        {
          keyframes: [{ time: 1.25, hints: [{ x: 0.25, y: 0.6, color: '#a4452c', reach: 'medium' }] }],
          vibrance: undefined,
          renderSize: undefined,
          replaceKept: true,
        },
      ],
    ]);
    expect(videos.uploads).toHaveLength(1);
    expect(within(card).getByText('Waiting for its turn…')).toBeInTheDocument();
    expect(within(card).queryByRole('button', { name: /^Colorize with/ })).not.toBeInTheDocument();
    expect(JSON.parse(localStorage.getItem('colorizer.videoJobs') ?? '[]')).toEqual([
      { id: SECOND, filename: 'home movie.mp4', size: 2048 },
    ]);
    // The keyframe is kept in the browser under the new job.
    const kept = filmSettings.map.get(SECOND);
    expect(kept?.keyframes.map((keyframe) => keyframe.time)).toEqual([1.25]);
    expect(kept?.appliedKey).toBe(settingsKeyOf(kept?.keyframes ?? [], null));
    expect(filmSettings.map.has(FIRST)).toBe(false);
  });

  it('takes the frame from the original while the film is still being colorized, and the rerun replaces that job', async () => {
    const photos = createFakeApi();
    const videos = fakeVideoApi();
    videos.state.current = job({ state: 'running', framesDone: 9, percent: 25 });
    const cancelled: string[] = [];
    videos.api.cancelVideoJob = async (id) => {
      cancelled.push(id);
      return null;
    };
    const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
    render(<App api={photos.api} videoApi={videos.api} filmSettings={memoryKept<FilmSettings>()} />);
    await screen.findByText('colorizer-default');
    await user.upload(screen.getByLabelText('Choose photos or videos'), clip());
    const card = await screen.findByRole('article', { name: 'home movie.mp4' });
    await tick();
    const original = within(card).getByLabelText('Original: home movie.mp4') as HTMLVideoElement;
    original.currentTime = 0.75;
    await user.click(within(card).getByRole('button', { name: 'Fix colours at this frame' }));
    expect(captureGreyFrame).toHaveBeenLastCalledWith(original, 0.75, 'home movie-0.75s.png');
    await within(card).findByText('Colorizing this frame…');
    await tick(10);
    await act(async () => photos.calls[0].resolve(resultFor('frame.png')));
    await user.click(await within(card).findByRole('button', { name: 'Add a pin' }));
    await user.click(within(card).getByRole('button', { name: 'Keep keyframe' }));
    await user.click(within(card).getByRole('button', { name: 'Colorize with 1 keyframe' }));
    await tick();
    expect(videos.reruns.map(([id]) => id)).toEqual([FIRST]);
    // The job at work gives way to the new one.
    expect(cancelled).toEqual([FIRST]);
    expect(within(card).getByText('Waiting for its turn…')).toBeInTheDocument();
  });

  it('keeps keyframes and vibrance across a reload, and a removed keyframe asks to colorize again', async () => {
    const pin = { id: 1, x: 0.5, y: 0.5, color: '#336699', colorThere: null, reach: 'whole' as const };
    const keyframes = [{ time: 0.5, pins: [pin], thumbnail: null }];
    const saved = memoryKept<FilmSettings>([
      [FIRST, { keyframes, vibrance: 1.5, appliedKey: settingsKeyOf(keyframes, 1.5) }],
    ]);
    localStorage.setItem('colorizer.videoJobs', JSON.stringify([{ id: FIRST, filename: 'reel.mp4', size: 10 }]));
    const videos = fakeVideoApi();
    videos.state.current = job({ keyframes: [{ time: 0.5, hints: [], hasImage: false }] });
    const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
    render(<App api={createFakeApi().api} videoApi={videos.api} filmSettings={saved} />);
    await tick();
    const card = screen.getByRole('article', { name: 'reel.mp4' });
    const strip = await within(card).findByRole('list', { name: 'Keyframes of reel.mp4' });
    expect(within(strip).getByText('0:00.50 · 1 pin')).toBeInTheDocument();
    expect(within(card).getByRole('slider', { name: 'Vibrance' })).toHaveAttribute('aria-valuetext', '150%');
    // As the job was made (which says so): nothing to send.
    expect(within(card).getByText(/176×144, 36 frames, 1 keyframe/)).toBeInTheDocument();
    expect(within(card).queryByRole('button', { name: /^Colorize/ })).not.toBeInTheDocument();

    await user.click(within(card).getByRole('button', { name: 'Remove keyframe at 0:00.50' }));
    expect(within(card).queryByRole('list', { name: 'Keyframes of reel.mp4' })).not.toBeInTheDocument();
    await user.click(within(card).getByRole('button', { name: 'Colorize again' }));
    await tick();
    expect(videos.reruns[0][1]).toMatchObject({ keyframes: [], vibrance: 1.5, replaceKept: true });
  });

  it('sends the vibrance chosen on the card', async () => {
    const { card, user, videos } = await filmOnThePage();
    fireEvent.change(within(card).getByRole('slider', { name: 'Vibrance' }), { target: { value: '1.4' } });
    await user.click(within(card).getByRole('button', { name: 'Colorize again' }));
    await tick();
    expect(videos.reruns[0][1]).toMatchObject({ keyframes: [], vibrance: 1.4 });
  });

  it('says a refused keyframe in plain words and keeps the result on the card', async () => {
    const context = await filmOnThePage();
    const { card, user, videos } = context;
    await openFrame(context, 0.5);
    await user.click(within(card).getByRole('button', { name: 'Add a pin' }));
    await user.click(within(card).getByRole('button', { name: 'Keep keyframe' }));
    videos.state.rerun = () =>
      Promise.reject(new ApiError('keyframe_time_out_of_range', 'keyframe at 0.5 s is past the end', 400));
    await user.click(within(card).getByRole('button', { name: 'Colorize with 1 keyframe' }));
    expect(await within(card).findByRole('alert')).toHaveTextContent(
      'A keyframe is at a time the film does not have (before its start or after its end). Remove it and try again.',
    );
    expect(within(card).getByLabelText('Colorized: home movie.mp4')).toBeInTheDocument();
  });

  it('uploads the film again with its keyframes once the server no longer keeps it', async () => {
    const context = await filmOnThePage();
    const { card, user, videos } = context;
    await openFrame(context, 2);
    await user.click(within(card).getByRole('button', { name: 'Add a pin' }));
    await user.click(within(card).getByRole('button', { name: 'Keep keyframe' }));
    videos.state.rerun = () => Promise.reject(new ApiError('video_source_gone', 'gone', 410));
    await user.click(within(card).getByRole('button', { name: 'Colorize with 1 keyframe' }));
    await tick();
    expect(videos.uploads).toHaveLength(2);
    expect(videos.uploads[1].keyframes).toEqual([
      { time: 2, hints: [{ x: 0.5, y: 0.5, color: expect.stringMatching(/^#[0-9a-f]{6}$/), reach: 'medium' }] },
    ]);
  });
});
