/**
 * The page's side of on-device colorization: whether this browser can do it, the
 * worker that does (colorize.worker.ts), the model's readiness (for the progress line)
 * and one call per photo. A store with `subscribe`/`getState`, for useSyncExternalStore.
 */
import type { DeviceHint } from './hints';
import { DeviceError } from './deviceError';
import { fetchManifest } from './modelFile';
import type { ModelManifest } from './modelManifest';
import type { FromWorker, ToWorker } from './workerProtocol';

export type DeviceState =
  | { kind: 'unsupported'; reason: string }
  | { kind: 'checking' }
  | { kind: 'unavailable'; reason: string }
  | { kind: 'available'; manifest: ModelManifest }
  | { kind: 'downloading'; manifest: ModelManifest; loaded: number; total: number }
  | { kind: 'ready'; manifest: ModelManifest; backend: string; threads: number; fromCache: boolean; loadMs: number }
  | { kind: 'failed'; reason: string };

/** What the worker sends back for a photo, with the model that colorized it. */
export type DeviceResult = Omit<Extract<FromWorker, { type: 'done' }>, 'type' | 'id'> & { manifest: ModelManifest };

export interface DeviceRequest {
  renderSize?: number;
  hints?: DeviceHint[];
  vibrance?: number;
}

const MEGAPIXEL = 1_000_000;

/** Whether photos can go to the device now or once the model is in (not: unsupported, unavailable, failed). */
export function isUsable(state: DeviceState): boolean {
  return !['unsupported', 'unavailable', 'failed'].includes(state.kind);
}

/**
 * The most pixels this device is trusted with: about 10 MP per GB the browser reports
 * (navigator.deviceMemory, at most 8), between 8 and 40 MP. A photo costs about 20 bytes
 * a pixel while it is colorized (decoded copy, canvas, L, the PNG being written).
 */
export function deviceMaxPixels(): number {
  const memoryGb = (navigator as Navigator & { deviceMemory?: number }).deviceMemory ?? 4;
  return Math.min(40, Math.max(8, memoryGb * 10)) * MEGAPIXEL;
}

/** Why this browser cannot colorize on the device, or null when it can. */
export function unsupportedReason(): string | null {
  if (typeof WebAssembly !== 'object' || typeof Worker === 'undefined')
    return 'This browser cannot run the colorizer itself.';
  if (typeof OffscreenCanvas === 'undefined' || typeof createImageBitmap !== 'function') {
    return 'This browser cannot open photos off the page, which the colorizer needs.';
  }
  if (!globalThis.isSecureContext || typeof caches === 'undefined' || !globalThis.crypto?.subtle) {
    return 'This page is not served securely (HTTPS), which the browser needs to keep the colorizer.';
  }
  return null;
}

/** Width and height of an image file, read by the browser without decoding every pixel. */
async function imageSize(file: Blob): Promise<{ width: number; height: number } | null> {
  const url = URL.createObjectURL(file);
  try {
    const image = new Image();
    image.src = url;
    await new Promise((resolve, reject) => {
      image.addEventListener('load', resolve);
      image.addEventListener('error', reject);
    });
    return { width: image.naturalWidth, height: image.naturalHeight };
  } catch {
    return null;
  } finally {
    URL.revokeObjectURL(url);
  }
}

type Listener = () => void;

export class DeviceColorizer {
  private state: DeviceState;
  private worker: Worker | null = null;
  private readonly listeners = new Set<Listener>();
  private readonly pending = new Map<
    number,
    { resolve: (result: DeviceResult) => void; reject: (error: Error) => void }
  >();
  private nextId = 1;
  private readyWaiters: { resolve: () => void; reject: (error: Error) => void }[] = [];

  /** The model's manifest once known (rejects where the device cannot colorize). */
  readonly manifestReady: Promise<ModelManifest>;

  private readonly appRoot: string;

  constructor(appRoot: string) {
    this.appRoot = appRoot;
    const reason = unsupportedReason();
    this.state = reason ? { kind: 'unsupported', reason } : { kind: 'checking' };
    this.manifestReady = reason ? Promise.reject(new DeviceError('device_unavailable', reason)) : this.check();
    this.manifestReady.catch(() => undefined); // read by those who need it; never an unhandled rejection
  }

  private async check(): Promise<ModelManifest> {
    try {
      const manifest = await fetchManifest(this.appRoot);
      if (this.state.kind === 'checking') this.setState({ kind: 'available', manifest });
      return manifest;
    } catch (error) {
      const reason = (error as Error).message;
      if (this.state.kind === 'checking') this.setState({ kind: 'unavailable', reason });
      throw new DeviceError('device_unavailable', reason);
    }
  }

  getState = (): DeviceState => this.state;

  subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  private setState(state: DeviceState): void {
    this.state = state;
    for (const listener of this.listeners) listener();
  }

  get usable(): boolean {
    return isUsable(this.state);
  }

  get manifest(): ModelManifest | null {
    return 'manifest' in this.state ? this.state.manifest : null;
  }

  /** Start the worker: it reads the manifest, then loads (or downloads) the model. Idempotent. */
  prepare(): void {
    if (this.worker || this.state.kind === 'unsupported') return;
    const worker = new Worker(new URL('./colorize.worker.ts', import.meta.url), { type: 'module' });
    worker.addEventListener('message', (event: MessageEvent<FromWorker>) => this.onMessage(event.data));
    worker.addEventListener('error', (event) =>
      this.fail('device_failed', event.message || 'The colorizer stopped on this device.'),
    );
    this.worker = worker;
    this.post({ type: 'prepare', appRoot: this.appRoot });
  }

  private post(message: ToWorker): void {
    this.worker?.postMessage(message);
  }

  private fail(code: string, reason: string): void {
    const unavailable = code === 'device_model_unavailable' && this.state.kind === 'checking';
    this.setState(unavailable ? { kind: 'unavailable', reason } : { kind: 'failed', reason });
    const error = new DeviceError(code, reason);
    for (const waiter of this.readyWaiters.splice(0)) waiter.reject(error);
  }

  private onMessage(message: FromWorker): void {
    switch (message.type) {
      case 'manifest':
        if (this.state.kind === 'checking' || this.state.kind === 'available') {
          this.setState({ kind: 'available', manifest: message.manifest });
        }
        return;
      case 'progress':
        if (this.manifest)
          this.setState({ kind: 'downloading', manifest: this.manifest, loaded: message.loaded, total: message.total });
        return;
      case 'ready':
        if (this.manifest) this.setState({ kind: 'ready', manifest: this.manifest, ...message });
        for (const waiter of this.readyWaiters.splice(0)) waiter.resolve();
        return;
      case 'failed':
        this.fail(message.code, message.message);
        return;
      case 'done':
      case 'error': {
        const request = this.pending.get(message.id);
        this.pending.delete(message.id);
        if (!request) return;
        if (message.type === 'error') request.reject(new DeviceError(message.code, message.message));
        else if (this.manifest) request.resolve({ ...message, manifest: this.manifest });
      }
    }
  }

  /** Resolves once the model is loaded; rejects if this device cannot have it. */
  ready(): Promise<void> {
    this.prepare();
    if (this.state.kind === 'ready') return Promise.resolve();
    if (!this.usable) return Promise.reject(new DeviceError('device_unavailable', this.reasonUnusable()));
    return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  private reasonUnusable(): string {
    return 'reason' in this.state ? this.state.reason : 'The colorizer cannot run on this device.';
  }

  /** Colorize one photo on the device; refuses (device_cannot_hold) what it cannot hold. */
  async colorize(file: Blob, request: DeviceRequest = {}): Promise<DeviceResult> {
    const size = await imageSize(file);
    if (size === null) throw new DeviceError('invalid_image', 'This file could not be read as an image.');
    const limit = deviceMaxPixels();
    if (size.width * size.height > limit) {
      throw new DeviceError(
        'device_cannot_hold',
        `This photo has ${Math.round((size.width * size.height) / MEGAPIXEL)} megapixels; this device can colorize up to ${limit / MEGAPIXEL}.`,
      );
    }
    await this.ready();
    const id = this.nextId;
    this.nextId += 1;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.post({ type: 'colorize', id, file, ...request });
    });
  }
}
