import { act, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import App from '../../App';
import { ApiError } from '../../api/colorizer';
import type { VideoApi, VideoJob, VideoUploadOptions } from '../../api/videos';
import { createFakeApi } from '../../test/fakeApi';

const ID = 'a'.repeat(32);

function job(overrides: Partial<VideoJob> = {}): VideoJob {
  return {
    id: ID,
    state: 'queued',
    framesDone: 0,
    framesTotal: 36,
    percent: 0,
    etaS: null,
    width: 160,
    height: 120,
    statusUrl: `/api/v1/videos/${ID}`,
    resultUrl: `/api/v1/videos/${ID}/result`,
    resultBytes: null,
    errorCode: null,
    errorMessage: null,
    keyframes: [],
    ...overrides,
  };
}

/** A stand-in for api/videos.ts: the upload waits for the test; the job answers what `current` holds. */
function fakeVideoApi() {
  const state = { current: job(), cancelled: 0 };
  let finishUpload: (() => void) | null = null;
  let failUpload: ((error: ApiError) => void) | null = null;
  let progress: VideoUploadOptions['onUploadProgress'];
  const api: VideoApi = {
    uploadVideo: (_file, options = {}) =>
      new Promise((resolve, reject) => {
        progress = options.onUploadProgress;
        finishUpload = () => resolve(state.current);
        failUpload = reject;
      }),
    rerunVideo: async () => state.current,
    fetchVideoJob: async () => state.current,
    cancelVideoJob: async () => {
      state.cancelled += 1;
      state.current = { ...state.current, state: 'cancelled', etaS: null };
      return state.current;
    },
    playableResultUrl: async (done) => ({ playUrl: done.resultUrl, downloadUrl: `${done.resultUrl}?download=1` }),
  };
  return {
    api,
    state,
    progress: (fraction: number) => progress?.(fraction),
    finishUpload: () => finishUpload?.(),
    failUpload: (error: ApiError) => failUpload?.(error),
  };
}

const clip = () => new File([new Uint8Array(2048)], 'home movie.mp4', { type: 'video/mp4' });

beforeEach(() => {
  vi.useFakeTimers({ shouldAdvanceTime: true });
  localStorage.clear();
  URL.createObjectURL = vi.fn<(object: Blob | MediaSource) => string>(() => 'blob:local-clip');
  URL.revokeObjectURL = vi.fn<(url: string) => void>();
});
afterEach(() => vi.useRealTimers());

async function tick(ms = 1100) {
  await act(async () => {
    await vi.advanceTimersByTimeAsync(ms);
  });
}

describe('videos in the web app', () => {
  it('uploads a film, follows its job with frames and ETA, then plays before and after with a download', async () => {
    const videos = fakeVideoApi();
    const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
    render(<App api={createFakeApi().api} videoApi={videos.api} />);
    await user.upload(screen.getByLabelText('Choose photos or videos'), clip());
    const card = await screen.findByRole('article', { name: 'home movie.mp4' });
    act(() => videos.progress(0.4));
    expect(within(card).getByText('Uploading… 40%')).toBeInTheDocument();

    videos.state.current = job({ state: 'running', framesDone: 9, percent: 25, etaS: 12 });
    await act(async () => videos.finishUpload());
    await tick();
    expect(within(card).getByText(/frame 9 of 36 \(25%\) · about 12 seconds left/)).toBeInTheDocument();
    expect(within(card).getByRole('progressbar', { name: 'Colorizing home movie.mp4' })).toHaveAttribute('value', '25');
    expect(JSON.parse(localStorage.getItem('colorizer.videoJobs') ?? '[]')).toEqual([
      { id: ID, filename: 'home movie.mp4', size: 2048 },
    ]);

    videos.state.current = job({ state: 'done', framesDone: 36, percent: 100, resultBytes: 90_000 });
    await tick();
    expect(await within(card).findByLabelText('Colorized: home movie.mp4')).toHaveAttribute(
      'src',
      `/api/v1/videos/${ID}/result`,
    );
    expect(within(card).getByLabelText('Original: home movie.mp4')).toHaveAttribute('src', 'blob:local-clip');
    expect(within(card).getByRole('link', { name: 'Download MP4' })).toHaveAttribute(
      'download',
      'home movie-colorized.mp4',
    );
  });

  it('cancels a running job', async () => {
    const videos = fakeVideoApi();
    const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
    render(<App api={createFakeApi().api} videoApi={videos.api} />);
    await user.upload(screen.getByLabelText('Choose photos or videos'), clip());
    videos.state.current = job({ state: 'running', framesDone: 4, percent: 11 });
    await act(async () => videos.finishUpload());
    await tick();
    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(await screen.findByText('Cancelled.')).toBeInTheDocument();
    expect(videos.state.cancelled).toBe(1);
  });

  it('keeps following a job after a reload', async () => {
    localStorage.setItem('colorizer.videoJobs', JSON.stringify([{ id: ID, filename: 'reel.mkv', size: 10 }]));
    const videos = fakeVideoApi();
    videos.state.current = job({ state: 'running', framesDone: 18, percent: 50, etaS: 70 });
    render(<App api={createFakeApi().api} videoApi={videos.api} />);
    await tick();
    const card = screen.getByRole('article', { name: 'reel.mkv' });
    expect(within(card).getByText(/frame 18 of 36 \(50%\) · about one minute left/)).toBeInTheDocument();
  });

  it.each([
    ['video_too_long', 'This video is too long. Please trim it to a shorter clip and try again.'],
    ['payload_too_large', 'This video is too large to upload. Please trim it or use a smaller file.'],
    ['unsupported_codec', 'This video uses a codec we cannot read. Please convert it to MP4 (H.264) and try again.'],
    ['busy', 'The colorizer is busy with other videos right now. Please try again in a few minutes.'],
  ])('says %s in plain words', async (code, message) => {
    const videos = fakeVideoApi();
    const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
    render(<App api={createFakeApi().api} videoApi={videos.api} />);
    await user.upload(screen.getByLabelText('Choose photos or videos'), clip());
    await act(async () => videos.failUpload(new ApiError(code, 'raw', 422)));
    expect(await screen.findByRole('alert')).toHaveTextContent(message);
  });
});
