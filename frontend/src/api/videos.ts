/**
 * Video jobs over the gateway's pass-through (/api/v1/videos): upload a film (with its
 * keyframes and vibrance), follow its job, colorize it again from the kept film (rerun),
 * cancel it, fetch its MP4. The only place the video side of the app talks to the
 * network (as api/colorizer.ts is for photos); the answers' shapes come from the
 * generated schema.ts.
 */
import { authHeaders } from './apiKey';
import { ApiError, type ColorHint } from './colorizer';
import type { components } from './schema';

type Wire = components['schemas'];

export type VideoJobState = Wire['VideoJob']['state'];

/** A keyframe as the web app sends it: a frame of the film (seconds) and the pins that fix its colours there. */
export interface VideoKeyframe {
  time: number;
  hints: ColorHint[];
}

/** A keyframe a job keeps (its view's `keyframes`): reruns merge with these. */
export interface KeptKeyframe extends VideoKeyframe {
  /** Made from a colour image (sent over the API by other means than the web app's pins). */
  hasImage: boolean;
}

export interface VideoJob {
  id: string;
  state: VideoJobState;
  framesDone: number;
  framesTotal: number;
  percent: number;
  etaS: number | null;
  width: number;
  height: number;
  statusUrl: string;
  resultUrl: string;
  resultBytes: number | null;
  errorCode: string | null;
  errorMessage: string | null;
  keyframes: KeptKeyframe[];
}

/** What a film is colorized with: the same option fields for an upload and for a rerun. */
export interface VideoColorizeOptions {
  renderSize?: number;
  /** Saturation, in the service's range; omitted means its default. */
  vibrance?: number;
  keyframes?: VideoKeyframe[];
}

export interface VideoUploadOptions extends VideoColorizeOptions {
  /** Called with 0..1 while the film is being sent. */
  onUploadProgress?: (fraction: number) => void;
  signal?: AbortSignal;
}

export interface VideoApi {
  uploadVideo(file: File, options?: VideoUploadOptions): Promise<VideoJob>;
  /** Colorize the film job `id` keeps again, without a new upload; answers the new job. */
  rerunVideo(id: string, options: VideoRerunOptions): Promise<VideoJob>;
  fetchVideoJob(id: string): Promise<VideoJob>;
  cancelVideoJob(id: string): Promise<VideoJob | null>;
  /** A URL a <video> element can play and a link can download (a local copy when an API key is needed). */
  playableResultUrl(job: VideoJob): Promise<{ playUrl: string; downloadUrl: string }>;
}

export interface VideoRerunOptions extends VideoColorizeOptions {
  /** Drop the keyframes the job keeps (keyframes_mode=replace); otherwise the sent ones merge with them. */
  replaceKept?: boolean;
}

const VIDEOS = '/api/v1/videos';

function apiUrl(path: string): string {
  return new URL(path, window.location.href).toString();
}

function errorFrom(status: number, text: string, retryAfter: string | null): ApiError {
  const retryAfterS = retryAfter && /^\d+$/.test(retryAfter) ? Number(retryAfter) : null;
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    if (body.error && typeof body.error.code === 'string') {
      const message = typeof body.error.message === 'string' ? body.error.message : body.error.code;
      return new ApiError(body.error.code, message, status, retryAfterS);
    }
  } catch {
    // Not JSON: a generic error for the status below.
  }
  return new ApiError(`http_${status}`, `The server answered with status ${status}.`, status, retryAfterS);
}

const num = (value: unknown, fallback = 0) => (typeof value === 'number' && Number.isFinite(value) ? value : fallback);

/** The job's kept keyframes as the app uses them (a service before reruns sends none). */
function keptKeyframes(wire: Partial<Wire['VideoJob']>['keyframes']): KeptKeyframe[] {
  if (!Array.isArray(wire)) return [];
  return wire
    .filter((keyframe) => typeof keyframe?.time === 'number')
    .map((keyframe) => ({
      time: keyframe.time,
      hints: Array.isArray(keyframe.hints) ? keyframe.hints : [],
      hasImage: keyframe.has_image === true,
    }));
}

/** The option fields of POST /videos and of a rerun, as multipart fields. */
function appendOptions(form: FormData, { renderSize, vibrance, keyframes }: VideoColorizeOptions): void {
  if (renderSize) form.append('render_size', String(renderSize));
  if (vibrance !== undefined) form.append('vibrance', String(vibrance));
  if (keyframes?.length) form.append('keyframes', JSON.stringify(keyframes));
}

/** The job as the app uses it, from GET /api/v1/videos/{id} (or the 202 of POST). */
export function toVideoJob(body: unknown): VideoJob {
  const job = (typeof body === 'object' && body !== null ? body : {}) as Partial<Wire['VideoJob']>;
  if (typeof job.id !== 'string' || typeof job.status_url !== 'string' || typeof job.result_url !== 'string') {
    throw new ApiError('bad_response', 'The server sent an answer the app does not understand.');
  }
  const progress: Partial<Wire['VideoJob']['progress']> = job.progress ?? {};
  const video: Partial<Wire['VideoJob']['video']> = job.video ?? {};
  return {
    id: job.id,
    state: job.state ?? 'queued',
    framesDone: num(progress.frames_done),
    framesTotal: num(progress.frames_total),
    percent: num(progress.percent),
    etaS: typeof progress.eta_s === 'number' ? progress.eta_s : null,
    width: num(video.width),
    height: num(video.height),
    statusUrl: job.status_url,
    resultUrl: job.result_url,
    resultBytes: typeof job.result_bytes === 'number' ? job.result_bytes : null,
    errorCode: job.error?.code ?? null,
    errorMessage: job.error?.message ?? null,
    keyframes: keptKeyframes(job.keyframes),
  };
}

/** POST the film (XMLHttpRequest: only it reports upload progress); resolves to the queued job. */
export function uploadVideo(file: File, options: VideoUploadOptions = {}): Promise<VideoJob> {
  const { onUploadProgress, signal } = options;
  return new Promise((resolve, reject) => {
    const form = new FormData();
    form.append('video', file, file.name);
    appendOptions(form, options);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', apiUrl(VIDEOS));
    xhr.responseType = 'text';
    xhr.setRequestHeader('Accept', 'application/json');
    for (const [name, value] of Object.entries(authHeaders())) xhr.setRequestHeader(name, value);
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable && event.total > 0) onUploadProgress?.(event.loaded / event.total);
    });
    xhr.addEventListener('load', () => {
      if (xhr.status === 202) {
        try {
          resolve(toVideoJob(JSON.parse(xhr.responseText)));
        } catch (err) {
          reject(err instanceof ApiError ? err : new ApiError('bad_response', 'The server sent an unreadable answer.'));
        }
        return;
      }
      reject(errorFrom(xhr.status, xhr.responseText, xhr.getResponseHeader('Retry-After')));
    });
    xhr.addEventListener('error', () => reject(new ApiError('network_error', 'The server could not be reached.')));
    xhr.addEventListener('abort', () => reject(new ApiError('aborted', 'The upload was cancelled.')));
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(form);
  });
}

async function call(path: string, init: RequestInit = {}): Promise<Response> {
  try {
    return await fetch(apiUrl(path), { ...init, headers: { Accept: 'application/json', ...authHeaders() } });
  } catch {
    throw new ApiError('network_error', 'The server could not be reached.');
  }
}

/** POST /videos/{id}/rerun: the kept film again, with these keyframes and options (202: the new job). */
export async function rerunVideo(id: string, options: VideoRerunOptions): Promise<VideoJob> {
  const form = new FormData();
  appendOptions(form, options);
  if (options.replaceKept) form.append('keyframes_mode', 'replace');
  const response = await call(`${VIDEOS}/${encodeURIComponent(id)}/rerun`, { method: 'POST', body: form });
  const text = await response.text();
  if (response.status !== 202) throw errorFrom(response.status, text, response.headers.get('Retry-After'));
  return toVideoJob(JSON.parse(text));
}

export async function fetchVideoJob(id: string): Promise<VideoJob> {
  const response = await call(`${VIDEOS}/${encodeURIComponent(id)}`, { cache: 'no-store' });
  const text = await response.text();
  if (!response.ok) throw errorFrom(response.status, text, response.headers.get('Retry-After'));
  return toVideoJob(JSON.parse(text));
}

/** DELETE: a queued or running job is cancelled (its job comes back); a finished one is removed (null). */
export async function cancelVideoJob(id: string): Promise<VideoJob | null> {
  const response = await call(`${VIDEOS}/${encodeURIComponent(id)}`, { method: 'DELETE' });
  if (response.status === 204 || response.status === 404) return null;
  const text = await response.text();
  if (!response.ok) throw errorFrom(response.status, text, response.headers.get('Retry-After'));
  return toVideoJob(JSON.parse(text));
}

/** Without an API key the result's own URL plays (with range requests); with one, a local copy. */
export async function playableResultUrl(job: VideoJob): Promise<{ playUrl: string; downloadUrl: string }> {
  if (!authHeaders().Authorization) return { playUrl: job.resultUrl, downloadUrl: `${job.resultUrl}?download=1` };
  const response = await call(job.resultUrl);
  if (!response.ok) throw errorFrom(response.status, await response.text(), response.headers.get('Retry-After'));
  const local = URL.createObjectURL(await response.blob());
  return { playUrl: local, downloadUrl: local };
}

export const videoApi: VideoApi = { uploadVideo, rerunVideo, fetchVideoJob, cancelVideoJob, playableResultUrl };
