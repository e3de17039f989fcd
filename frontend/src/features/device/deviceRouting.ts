/**
 * One integration point between the app and the device: a ColorizerApi that sends each
 * photo to the device or to the server (api/colorizer.ts), as the setting says
 * (placement.ts), with the rules of issue 29: photos with an API key in use, big
 * batches and photos the device refused go to the server; when the server cannot be
 * reached, photos (and the model's description) come from the device. Films never
 * pass here (api/videos.ts).
 */
import { authHeaders } from '../../api/apiKey';
import {
  ApiError,
  type ColorizeOptions,
  type ColorizeResult,
  type ColorizerApi,
  type ModelInfo,
} from '../../api/colorizer';
import constants from './generated/colourConstants.json';
import type { DeviceColorizer, DeviceResult } from './deviceColorizer';
import { DeviceError } from './deviceError';
import type { ModelManifest } from './modelManifest';
import { placeInForce, placeStore } from './placement';

/** Photos added at once beyond which they all go to the server (the device works on one at a time). */
export const DEVICE_BATCH_LIMIT = 20;

const serverOnly = new WeakSet<File>();

/** A batch too big for the device: its photos go to the server whatever the setting. */
export function keepBatchOnServer(files: File[]): void {
  if (files.length > DEVICE_BATCH_LIMIT) for (const file of files) serverOnly.add(file);
}

/** The server cannot be reached (or has no replica up): the device can stand in. */
function unreachable(error: unknown): boolean {
  return (
    error instanceof ApiError &&
    (error.code === 'network_error' ||
      error.code === 'upstream_unavailable' ||
      [404, 502, 503, 504].includes(error.status))
  );
}

function modelInfoOf(manifest: ModelManifest): ModelInfo {
  const hints = manifest.inChannels > 1;
  return {
    name: manifest.name,
    version: manifest.version,
    renderSize: manifest.renderSize,
    description: null,
    supportsHints: hints,
    maxHints: hints ? constants.hints.maxHints : 0,
    limits: null,
  };
}

let resultCounter = 0;

function resultOf(file: File, result: DeviceResult): ColorizeResult {
  resultCounter += 1;
  const url = URL.createObjectURL(result.blob);
  const stem = file.name.replace(/\.[^.]*$/, '') || 'photo';
  const described = {
    id: `device-${resultCounter}`,
    url,
    downloadUrl: url,
    width: result.width,
    height: result.height,
    contentType: 'image/png',
    filename: `${stem}-colorized.png`,
    modelName: result.manifest.name,
    modelVersion: result.manifest.version,
    inferenceMs: Math.round(result.totalMs),
    expiresAt: null,
    expiresAtMs: null,
    inputInColour: result.inputInColour,
  };
  return described;
}

/**
 * `server`: the server's API; `hasServer` false for the static build (no API at all).
 */
/** What the routing needs of the device (DeviceColorizer). */
export type DeviceSide = Pick<DeviceColorizer, 'usable' | 'colorize' | 'manifestReady'>;

export function withDevice(server: ColorizerApi, device: DeviceSide, hasServer = true): ColorizerApi {
  async function onDevice(file: File, options: ColorizeOptions): Promise<ColorizeResult> {
    options.onUploadProgress?.(1);
    options.onUploaded?.();
    try {
      const result = await device.colorize(file, {
        renderSize: options.renderSize,
        hints: options.hints,
        vibrance: options.vibrance,
      });
      if (options.signal?.aborted) throw new ApiError('aborted', 'Cancelled.');
      return resultOf(file, result);
    } catch (error) {
      if (error instanceof DeviceError) {
        if (error.code === 'device_cannot_hold') {
          // Refused here: "Retry" sends it to the server (the message says so); with no server, no such offer.
          if (!hasServer) throw new ApiError('device_cannot_hold_no_server', error.message);
          serverOnly.add(file);
        }
        throw new ApiError(error.code, error.message);
      }
      throw error;
    }
  }

  return {
    ...server,
    async colorizeImage(file, options = {}) {
      if (!hasServer) return onDevice(file, options);
      const keyInUse = Boolean(authHeaders().Authorization);
      const place = placeInForce(placeStore.getChoice(), device.usable);
      if (place === 'device' && !keyInUse && !serverOnly.has(file)) return onDevice(file, options);
      try {
        return await server.colorizeImage(file, options);
      } catch (error) {
        if (unreachable(error) && device.usable && !keyInUse) return onDevice(file, options);
        throw error;
      }
    },
    async fetchModelInfo(signal) {
      if (!hasServer) return modelInfoOf(await device.manifestReady);
      try {
        return await server.fetchModelInfo(signal);
      } catch (error) {
        if (!unreachable(error)) throw error;
        try {
          return modelInfoOf(await device.manifestReady);
        } catch {
          throw error;
        }
      }
    },
  };
}
