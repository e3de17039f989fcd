/**
 * The one module that talks to the network: the gateway's colorize API.
 * Everything else in the app calls these functions (or a stand-in with the same
 * shape, see `ColorizerApi`).
 *
 * The answers' shapes are the generated `schema.ts` (openapi-typescript, from the
 * committed docs/openapi/gateway.json: scripts/openapi.sh); the types below are the
 * app's own view of them, and each is read from the generated one, so a renamed or
 * removed field is a type error here. Answers are still checked at run time: a
 * gateway of another version may send less.
 */
import { apiKeyStore, authHeaders, KEY_REFUSALS } from './apiKey';
import type { components } from './schema';

type Wire = components['schemas'];
/** A JSON answer as received: the documented shape, any field possibly missing. */
type Received<T> = { [K in keyof T]?: unknown };

export interface ColorizeResult {
  id: string;
  /** Where to show the stored image (inline). */
  url: string;
  /** Same image, served as an attachment. */
  downloadUrl: string;
  width: number;
  height: number;
  contentType: string;
  filename: string;
  modelName: string | null;
  modelVersion: string | null;
  inferenceMs: number | null;
  expiresAt: string | null;
  /** When the server deletes the result, on this browser's clock (ms since the epoch), if known. */
  expiresAtMs: number | null;
  /** The upload was already a colour photo (null: the server did not say). */
  inputInColour?: boolean | null;
}

/** The service's request limits and accepted formats (GET /api/v1/model). */
export interface ServiceLimits {
  maxUploadBytes: number;
  maxPixels: number;
  renderSizeMin: number;
  renderSizeMax: number;
  /** Pillow's names (JPEG, PNG...), for people. */
  formatNames: string[];
  /** For the file picker's `accept` and the check before upload. */
  mediaTypes: string[];
  /** With their dot: ".jpg". */
  extensions: string[];
  /** The vibrance range (null: a service that does not publish it). */
  vibranceMin: number | null;
  vibranceMax: number | null;
  /** The vibrance that leaves the model's colours as they are (what an omitted vibrance means). */
  vibranceDefault: number | null;
}

export interface ModelInfo {
  name: string;
  version: string;
  renderSize: number | null;
  description: string | null;
  /** Whether the model takes colour hints (the `hints` parameter). */
  supportsHints: boolean;
  /** Most hints one request may carry (0 when the model takes none). */
  maxHints: number;
  /** null when the service did not say (an older one). */
  limits: ServiceLimits | null;
  /** The model card's headline numbers, from its evaluation (null when the service did not publish them). */
  headline?: ModelHeadline | null;
}

/** How well the model did on one evaluation set (the artifact's metrics). */
export interface ModelHeadline {
  /** Which set: "bench", "val". */
  set: string;
  images: number;
  /** PSNR of the colorized photos against the real colours, and its gain over plain gray. */
  psnrDb: number;
  psnrGainDb: number;
  /** How colourful the results are, as a share of the real photos' colourfulness. */
  colourfulnessRatio: number;
}

/** What the gateway says about itself (GET /api/health). */
export interface GatewayInfo {
  /** How long a colorized result is kept. */
  resultTtlS: number | null;
  /** The upload limit in force (the inference service's), null while no replica has answered. */
  maxUploadBytes: number | null;
  /** "keys": the API needs a key (GATEWAY_AUTH=keys), which the app asks for. */
  auth: 'off' | 'keys';
}

/** How far a hint's colour spreads (the API's enum). */
export type PinReach = NonNullable<Wire['Hint']['reach']>;

/** A colour hint: this spot (0..1 from the left and from the top of the image) should be this colour. */
export interface ColorHint {
  x: number;
  y: number;
  /** sRGB, '#rrggbb'. */
  color: string;
  reach?: PinReach;
}

export interface ColorizeOptions {
  /** The side the model sees; omitted means the model's default. */
  renderSize?: number;
  /** Colour hints (only for a model that takes them); none means automatic colours. */
  hints?: ColorHint[];
  /** Saturation factor, in the service's range; omitted means its default (the model's own colours). */
  vibrance?: number;
  /** Called with 0..1 while the file is being sent. */
  onUploadProgress?: (fraction: number) => void;
  /** Called once every byte is sent: the server is now colorizing. */
  onUploaded?: () => void;
  signal?: AbortSignal;
}

/** An error answered by the API (or a network failure), with its machine-readable code. */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  /** Seconds to wait before retrying, when the server said so. */
  readonly retryAfterS: number | null;

  constructor(code: string, message: string, status = 0, retryAfterS: number | null = null) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
    this.retryAfterS = retryAfterS;
  }
}

export interface ColorizerApi {
  colorizeImage(file: File, options?: ColorizeOptions): Promise<ColorizeResult>;
  fetchModelInfo(signal?: AbortSignal): Promise<ModelInfo>;
  fetchGatewayInfo(signal?: AbortSignal): Promise<GatewayInfo>;
  fetchImageBlob(url: string): Promise<Blob>;
}

const API_BASE = '/api';

/** An absolute URL on the page's own origin (the gateway serves both the app and the API). */
function apiUrl(path: string): string {
  return new URL(path, window.location.href).toString();
}

function parseError(status: number, bodyText: string, retryAfter: string | null): ApiError {
  const retryAfterS = retryAfter && /^\d+$/.test(retryAfter) ? Number(retryAfter) : null;
  try {
    const body = JSON.parse(bodyText) as { error?: { code?: unknown; message?: unknown } };
    if (body.error && typeof body.error.code === 'string') {
      // A key that will not do: forget it, so the app asks for another (apiKey.ts).
      if (status === 401 && KEY_REFUSALS.has(body.error.code)) apiKeyStore.refused(body.error.code);
      const message = typeof body.error.message === 'string' ? body.error.message : body.error.code;
      return new ApiError(body.error.code, message, status, retryAfterS);
    }
  } catch {
    // Not JSON: fall through to a generic error for the status.
  }
  return new ApiError(`http_${status}`, `The server answered with status ${status}.`, status, retryAfterS);
}

const asText = (value: unknown) => (typeof value === 'string' ? value : null);
const asNumber = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : null);
const asStrings = (value: unknown) =>
  Array.isArray(value) && value.every((item) => typeof item === 'string') ? (value as string[]) : null;
const asObject = (value: unknown) =>
  typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : ({} as Record<string, unknown>);

/** The limits part of GET /v1/model (null when anything is missing: the app then checks less itself). */
function toLimits(body: Received<Wire['ModelInfo']>): ServiceLimits | null {
  const limits: Received<Wire['Limits']> = asObject(body.limits);
  const renderSize = asObject(limits.render_size);
  const vibrance: Received<Wire['Limits']['vibrance']> = asObject(limits.vibrance);
  const parsed = {
    maxUploadBytes: asNumber(limits.max_upload_bytes),
    maxPixels: asNumber(limits.max_pixels),
    renderSizeMin: asNumber(renderSize.min),
    renderSizeMax: asNumber(renderSize.max),
    formatNames: asStrings(body.input_formats),
    mediaTypes: asStrings(body.input_media_types),
    extensions: asStrings(body.input_extensions),
  };
  if (!Object.values(parsed).every((value) => value !== null)) return null;
  return {
    ...(parsed as Omit<ServiceLimits, 'vibranceMin' | 'vibranceMax' | 'vibranceDefault'>),
    ...vibranceRange(vibrance),
  };
}

function vibranceRange(vibrance: Received<Wire['Limits']['vibrance']>) {
  return {
    vibranceMin: asNumber(vibrance.min),
    vibranceMax: asNumber(vibrance.max),
    vibranceDefault: asNumber(vibrance.default),
  };
}

function toResult(body: Received<Wire['ColorizeResult']>): ColorizeResult {
  const url = asText(body.url);
  const id = asText(body.id);
  if (!url || !id) throw new ApiError('bad_response', 'The server sent an answer the app does not understand.');
  return {
    id,
    url,
    downloadUrl: asText(body.download_url) ?? `${url}?download=1`,
    width: asNumber(body.width) ?? 0,
    height: asNumber(body.height) ?? 0,
    contentType: asText(body.content_type) ?? 'image/png',
    filename: asText(body.filename) ?? 'colorized.png',
    modelName: asText(body.model_name),
    modelVersion: asText(body.model_version),
    inferenceMs: asNumber(body.inference_ms),
    expiresAt: asText(body.expires_at),
    expiresAtMs:
      asNumber(body.expires_in_s) === null ? null : Date.now() + (asNumber(body.expires_in_s) as number) * 1000,
    inputInColour: typeof body.input_in_colour === 'boolean' ? body.input_in_colour : null,
  };
}

/**
 * With an API key, the stored result is the key's own: an <img> or a download link
 * cannot send the key, so the image is fetched once with it and shown from a local
 * (blob:) copy. Without a key (GATEWAY_AUTH=off) the result's own URLs are used.
 */
async function withLocalCopy(result: ColorizeResult): Promise<ColorizeResult> {
  if (!authHeaders().Authorization) return result;
  const local = URL.createObjectURL(await fetchImageBlob(result.url));
  return { ...result, url: local, downloadUrl: local };
}

/**
 * Upload one image to POST /api/colorize. Uses XMLHttpRequest rather than fetch
 * because only XHR reports upload progress in browsers today.
 */
export function colorizeImage(file: File, options: ColorizeOptions = {}): Promise<ColorizeResult> {
  const { renderSize, hints, vibrance, onUploadProgress, onUploaded, signal } = options;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new ApiError('aborted', 'The upload was cancelled.'));
      return;
    }
    const form = new FormData();
    form.append('image', file, file.name);
    if (renderSize) form.append('render_size', String(renderSize));
    if (hints && hints.length) form.append('hints', JSON.stringify(hints));
    if (vibrance !== undefined) form.append('vibrance', String(vibrance));

    const xhr = new XMLHttpRequest();
    xhr.open('POST', apiUrl(`${API_BASE}/colorize`));
    xhr.responseType = 'text';
    xhr.setRequestHeader('Accept', 'application/json');
    for (const [name, value] of Object.entries(authHeaders())) xhr.setRequestHeader(name, value);

    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable && event.total > 0) onUploadProgress?.(event.loaded / event.total);
    });
    xhr.upload.addEventListener('load', () => {
      onUploadProgress?.(1);
      onUploaded?.();
    });
    xhr.addEventListener('load', () => {
      if (xhr.status === 201 || xhr.status === 200) {
        try {
          withLocalCopy(toResult(asObject(JSON.parse(xhr.responseText)))).then(resolve, reject);
        } catch (err) {
          reject(
            err instanceof ApiError
              ? err
              : new ApiError('bad_response', 'The server sent an answer the app does not understand.', xhr.status),
          );
        }
        return;
      }
      reject(parseError(xhr.status, xhr.responseText, xhr.getResponseHeader('Retry-After')));
    });
    xhr.addEventListener('error', () => reject(new ApiError('network_error', 'The server could not be reached.')));
    xhr.addEventListener('timeout', () => reject(new ApiError('network_error', 'The server took too long to answer.')));
    xhr.addEventListener('abort', () => reject(new ApiError('aborted', 'The upload was cancelled.')));
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(form);
  });
}

/** GET /api/v1/model: which model the service runs. */
export async function fetchModelInfo(signal?: AbortSignal): Promise<ModelInfo> {
  let response: Response;
  try {
    response = await fetch(apiUrl(`${API_BASE}/v1/model`), {
      headers: { Accept: 'application/json', ...authHeaders() },
      signal,
    });
  } catch {
    throw new ApiError('network_error', 'The server could not be reached.');
  }
  const text = await response.text();
  if (!response.ok) throw parseError(response.status, text, response.headers.get('Retry-After'));
  const body: Received<Wire['ModelInfo']> = asObject(JSON.parse(text));
  const renderSize = body.render_size;
  const training = asObject(body.training);
  return {
    name: typeof body.name === 'string' ? body.name : 'unknown model',
    version: typeof body.version === 'string' ? body.version : '',
    renderSize: typeof renderSize === 'number' ? renderSize : null,
    description: typeof training.description === 'string' ? training.description : null,
    supportsHints: body.supports_hints === true,
    maxHints: typeof body.max_hints === 'number' && body.supports_hints === true ? body.max_hints : 0,
    limits: toLimits(body),
    headline: toHeadline(asObject(body.metrics)),
  };
}

/** The first evaluation set in the metrics with all the headline numbers (bench first: held out). */
function toHeadline(metrics: Record<string, unknown>): ModelHeadline | null {
  for (const set of ['bench', 'val', ...Object.keys(metrics)]) {
    const figures = asObject(metrics[set]);
    const headline = {
      set,
      images: asNumber(figures.images),
      psnrDb: asNumber(asObject(figures.model).psnr),
      psnrGainDb: asNumber(figures.psnr_gain_db),
      colourfulnessRatio: asNumber(figures.colorfulness_ratio_to_truth),
    };
    if (Object.values(headline).every((value) => value !== null)) return headline as ModelHeadline;
  }
  return null;
}

/** GET /api/health: the gateway's result lifetime and upload limit (answered with 503 too, when degraded). */
export async function fetchGatewayInfo(signal?: AbortSignal): Promise<GatewayInfo> {
  let response: Response;
  try {
    response = await fetch(apiUrl(`${API_BASE}/health`), { headers: { Accept: 'application/json' }, signal });
  } catch {
    throw new ApiError('network_error', 'The server could not be reached.');
  }
  const text = await response.text();
  let body: Received<Wire['GatewayHealth']>;
  try {
    body = asObject(JSON.parse(text));
  } catch {
    throw parseError(response.status, text, response.headers.get('Retry-After'));
  }
  const gateway: Received<Wire['GatewayHealth']['gateway']> = asObject(body.gateway);
  const limits: Received<Wire['GatewayHealth']['gateway']['limits']> = asObject(gateway.limits);
  if (!response.ok && !('limits' in gateway)) {
    throw parseError(response.status, text, response.headers.get('Retry-After'));
  }
  return {
    resultTtlS: asNumber(limits.result_ttl_s),
    maxUploadBytes: asNumber(limits.max_upload_bytes),
    auth: gateway.auth === 'keys' ? 'keys' : 'off',
  };
}

/** The bytes of a stored result (to convert it to another format in the browser). */
export async function fetchImageBlob(url: string): Promise<Blob> {
  let response: Response;
  try {
    response = await fetch(apiUrl(url), { headers: authHeaders() });
  } catch {
    throw new ApiError('network_error', 'The server could not be reached.');
  }
  if (!response.ok) throw parseError(response.status, await response.text(), response.headers.get('Retry-After'));
  return response.blob();
}

export const colorizerApi: ColorizerApi = { colorizeImage, fetchModelInfo, fetchGatewayInfo, fetchImageBlob };
