/**
 * The on-device colorizer, off the page's thread: loads the model (modelFile.ts) into
 * ONNX Runtime Web, then for each photo decodes it, runs pipeline.ts around the
 * network and encodes the PNG. WebGPU where the browser has it, else WebAssembly
 * (SIMD; threads when the page is cross-origin isolated, see README "Host it as
 * static files").
 */
import type * as Ort from 'onnxruntime-web/wasm';
import plainGlueUrl from 'onnxruntime-web/ort-wasm-simd-threaded.mjs?url';
import plainWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import gpuGlueUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url';
import gpuWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';

import { DeviceError } from './deviceError';
import { fetchManifest, loadModelBytes } from './modelFile';
import type { ModelManifest } from './modelManifest';
import { colorizePixels, type Pixels } from './pipeline';
import { renderShape } from './resize';
import type { FromWorker, ToWorker } from './workerProtocol';

// Threads need SharedArrayBuffer, which only a cross-origin isolated page has.
const THREADS = self.crossOriginIsolated ? Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1)) : 1;

type Runtime = { ort: typeof Ort; backend: 'webgpu' | 'wasm' };

/** ONNX Runtime's files come from this build, never a CDN (the glue as its own file: threads load it again). */
const absolute = (url: string) => new URL(url, self.location.href).href;

function configure(ort: typeof Ort, glueUrl: string, wasmUrl: string): typeof Ort {
  ort.env.wasm.wasmPaths = { mjs: absolute(glueUrl), wasm: absolute(wasmUrl) };
  ort.env.wasm.numThreads = THREADS;
  return ort;
}

/** WebGPU's build where the browser offers a GPU adapter, else the (smaller) WebAssembly-only one. */
async function createSession(bytes: ArrayBuffer): Promise<{ session: Ort.InferenceSession; runtime: Runtime }> {
  const options = { graphOptimizationLevel: 'all' } as const;
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  try {
    if (gpu && (await gpu.requestAdapter())) {
      const ort = configure(await import('onnxruntime-web/webgpu'), gpuGlueUrl, gpuWasmUrl);
      const session = await ort.InferenceSession.create(bytes, { ...options, executionProviders: ['webgpu'] });
      return { session, runtime: { ort, backend: 'webgpu' } };
    }
  } catch {
    // A GPU the runtime cannot use (or its files are not at hand offline): WebAssembly below.
  }
  const ort = configure(await import('onnxruntime-web/wasm'), plainGlueUrl, plainWasmUrl);
  const session = await ort.InferenceSession.create(bytes, { ...options, executionProviders: ['wasm'] });
  return { session, runtime: { ort, backend: 'wasm' } };
}

const scope = self as unknown as {
  postMessage(message: FromWorker, transfer: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<ToWorker>) => void): void;
};

/** To the page (a worker's postMessage has no target origin: its page is its only reader). */
function post(message: FromWorker): void {
  scope.postMessage(message, []);
}

let session: Ort.InferenceSession | null = null;
let runtime: Runtime | null = null;
let manifest: ModelManifest | null = null;
let queue: Promise<void> = Promise.resolve();

/**
 * One forward before "ready", at the render shape of a 4:3 landscape photo (the most
 * common): the runtime's first run at a shape prepares its kernels and memory (several
 * times a normal run on WebAssembly), better spent while the page says "getting ready"
 * than on the user's first photo.
 */
async function warmUp(created: { session: Ort.InferenceSession; runtime: Runtime }, model: ModelManifest) {
  const [height, width] = renderShape(768, 1024, model.renderSize);
  const values = new Float32Array(model.inChannels * height * width);
  const input = new created.runtime.ort.Tensor('float32', values, [1, model.inChannels, height, width]);
  await created.session.run({ [created.session.inputNames[0]]: input });
  input.dispose();
}

async function prepare(appRoot: string): Promise<void> {
  const started = performance.now();
  manifest = await fetchManifest(appRoot);
  post({ type: 'manifest', manifest });
  const { bytes, fromCache } = await loadModelBytes(manifest, appRoot, (loaded, total) =>
    post({ type: 'progress', loaded, total }),
  );
  const created = await createSession(bytes);
  await warmUp(created, manifest);
  session = created.session;
  runtime = created.runtime;
  post({
    type: 'ready',
    backend: created.runtime.backend,
    threads: created.runtime.backend === 'wasm' ? THREADS : 0,
    fromCache,
    loadMs: performance.now() - started,
  });
}

async function decode(file: Blob): Promise<Pixels & { context: OffscreenCanvasRenderingContext2D; image: ImageData }> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file, {
      imageOrientation: 'from-image',
      premultiplyAlpha: 'none',
      colorSpaceConversion: 'none',
    });
  } catch {
    throw new DeviceError('invalid_image', 'This file could not be read as an image.');
  }
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (!context) throw new DeviceError('device_cannot_hold', 'This device could not open a canvas for the photo.');
  context.drawImage(bitmap, 0, 0);
  bitmap.close();
  const image = context.getImageData(0, 0, canvas.width, canvas.height);
  return { width: image.width, height: image.height, data: image.data, context, image };
}

function hasColour(rgba: Uint8ClampedArray): boolean {
  for (let at = 0; at < rgba.length; at += 4) {
    if (rgba[at] !== rgba[at + 1] || rgba[at + 1] !== rgba[at + 2]) return true;
  }
  return false;
}

async function colorize(request: Extract<ToWorker, { type: 'colorize' }>): Promise<void> {
  if (!session || !runtime || !manifest)
    throw new DeviceError('device_not_ready', 'The colorizer is not ready on this device yet.');
  const running = session;
  const { ort } = runtime;
  const started = performance.now();
  const decoded = await decode(request.file);
  const inputInColour = hasColour(decoded.data);
  let networkMs = 0;
  await colorizePixels(
    decoded,
    manifest,
    async (input, channels, height, width) => {
      const networkStarted = performance.now();
      const tensor = new ort.Tensor('float32', input, [1, channels, height, width]);
      const outputs = await running.run({ [running.inputNames[0]]: tensor });
      const ab = outputs[running.outputNames[0]].data as Float32Array;
      tensor.dispose();
      networkMs = performance.now() - networkStarted;
      return ab;
    },
    { renderSize: request.renderSize, hints: request.hints, vibrance: request.vibrance },
  );
  decoded.context.putImageData(decoded.image, 0, 0);
  const blob = await decoded.context.canvas.convertToBlob({ type: 'image/png' });
  post({
    type: 'done',
    id: request.id,
    blob,
    width: decoded.width,
    height: decoded.height,
    inputInColour,
    networkMs,
    totalMs: performance.now() - started,
  });
}

function codeOf(error: unknown): string {
  if (error instanceof DeviceError) return error.code;
  // An allocation the tab cannot make: the photo is too big for this device.
  if (error instanceof RangeError) return 'device_cannot_hold';
  return 'device_failed';
}

scope.addEventListener('message', (event) => {
  const message = event.data;
  if (message.type === 'prepare') {
    prepare(message.appRoot).catch((error: unknown) =>
      post({ type: 'failed', code: codeOf(error), message: String((error as Error)?.message ?? error) }),
    );
  } else {
    // One photo at a time: a session runs one inference at once, and photos are large.
    queue = queue
      .then(() => colorize(message))
      .catch((error: unknown) =>
        post({
          type: 'error',
          id: message.id,
          code: codeOf(error),
          message: String((error as Error)?.message ?? error),
        }),
      );
  }
});
