/**
 * Getting the model onto the device: its manifest (model/manifest.json, written by the
 * build: vite-plugins/deviceModel.ts), then the file it names, from the browser's Cache
 * Storage when an earlier visit kept it, else downloaded with progress. Either way its
 * SHA-256 is checked against the manifest before use, and a file that fails is thrown
 * away. The manifest is kept too, so a visit without a network still finds the model.
 */
import { DeviceError } from './deviceError';
import type { ModelManifest } from './modelManifest';

export const MODEL_CACHE = 'colorizer-model';

function isManifest(value: unknown): value is ModelManifest {
  const manifest = value as Partial<ModelManifest> | null;
  return (
    typeof manifest?.file === 'string' &&
    typeof manifest.sha256 === 'string' &&
    typeof manifest.bytes === 'number' &&
    typeof manifest.renderSize === 'number' &&
    typeof manifest.inChannels === 'number' &&
    typeof manifest.normalization?.ab_scale === 'number' &&
    (manifest.chromaGain === undefined || typeof manifest.chromaGain === 'number')
  );
}

/** The manifest from the network (revalidated), else the copy an earlier visit kept. */
export async function fetchManifest(appRoot: string): Promise<ModelManifest> {
  const url = new URL('model/manifest.json', appRoot).href;
  const cache = await caches.open(MODEL_CACHE);
  try {
    const response = await fetch(url, { cache: 'no-cache' });
    if (response.ok) {
      const manifest: unknown = await response.clone().json();
      if (isManifest(manifest)) {
        await cache.put(url, response);
        return manifest;
      }
    }
  } catch {
    // Offline, or the server is down: an earlier visit's manifest will do.
  }
  const kept = await cache.match(url);
  const manifest: unknown = kept ? await kept.json() : null;
  if (!isManifest(manifest)) {
    throw new DeviceError('device_model_unavailable', 'This site does not offer the colorizer for this device.');
  }
  return manifest;
}

export async function sha256Hex(bytes: ArrayBuffer): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

async function download(url: string, total: number, onProgress: (loaded: number) => void): Promise<ArrayBuffer> {
  onProgress(0); // the page says "getting ready" from the first moment, not from the first byte
  let response: Response;
  try {
    response = await fetch(url);
  } catch {
    throw new DeviceError('device_model_unavailable', 'The colorizer could not be downloaded: no connection.');
  }
  if (!response.ok || !response.body) {
    throw new DeviceError('device_model_unavailable', `The colorizer could not be downloaded (${response.status}).`);
  }
  const bytes = new Uint8Array(total);
  const reader = response.body.getReader();
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (loaded + value.length > total)
      throw new DeviceError('device_model_corrupt', 'The colorizer file is larger than announced.');
    bytes.set(value, loaded);
    loaded += value.length;
    onProgress(loaded);
  }
  return bytes.buffer.slice(0, loaded);
}

/**
 * The model's bytes, checked: from Cache Storage, else downloaded (onProgress gets the
 * bytes so far) and kept, replacing any other model file in the cache.
 */
export async function loadModelBytes(
  manifest: ModelManifest,
  appRoot: string,
  onProgress: (loaded: number, total: number) => void,
): Promise<{ bytes: ArrayBuffer; fromCache: boolean }> {
  const url = new URL(manifest.file, appRoot).href;
  const cache = await caches.open(MODEL_CACHE);
  const kept = await cache.match(url);
  if (kept) {
    const bytes = await kept.arrayBuffer();
    if ((await sha256Hex(bytes)) === manifest.sha256) return { bytes, fromCache: true };
    await cache.delete(url);
  }
  const bytes = await download(url, manifest.bytes, (loaded) => onProgress(loaded, manifest.bytes));
  if ((await sha256Hex(bytes)) !== manifest.sha256) {
    throw new DeviceError('device_model_corrupt', 'The downloaded colorizer is damaged (its checksum is wrong).');
  }
  await cache.put(url, new Response(bytes, { headers: { 'Content-Type': 'application/octet-stream' } }));
  for (const request of await cache.keys()) {
    if (request.url !== url && request.url.endsWith('.onnx')) await cache.delete(request);
  }
  return { bytes, fromCache: false };
}
