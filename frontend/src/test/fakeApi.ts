import type { ColorizeOptions, ColorizeResult, ColorizerApi, GatewayInfo, ModelInfo } from '../api/colorizer';

export interface PendingCall {
  file: File;
  options: ColorizeOptions;
  resolve: (result: ColorizeResult) => void;
  reject: (error: unknown) => void;
}

export const DEFAULT_MODEL: ModelInfo = {
  name: 'colorizer-default',
  version: '1.2.0',
  renderSize: 256,
  description: 'ResNet18 U-Net cGAN',
  supportsHints: true,
  maxHints: 64,
  // What GET /v1/model of a service with default settings answers (as parsed by api/colorizer.ts).
  limits: {
    maxUploadBytes: 20 * 1024 * 1024,
    maxPixels: 50_000_000,
    renderSizeMin: 64,
    renderSizeMax: 1024,
    formatNames: ['JPEG', 'PNG', 'WEBP', 'TIFF', 'BMP', 'GIF'],
    mediaTypes: ['image/jpeg', 'image/png', 'image/webp', 'image/tiff', 'image/bmp', 'image/gif'],
    extensions: ['.bmp', '.gif', '.jfif', '.jpe', '.jpeg', '.jpg', '.png', '.tif', '.tiff', '.webp'],
    vibranceMin: 0,
    vibranceMax: 2,
    vibranceDefault: 1,
  },
  headline: { set: 'bench', images: 100, psnrDb: 23.05, psnrGainDb: 1.56, colourfulnessRatio: 0.55 },
};

/** What GET /api/health of a gateway with default settings answers. */
export const DEFAULT_GATEWAY: GatewayInfo = { resultTtlS: 3600, maxUploadBytes: 20 * 1024 * 1024, auth: 'off' };

export function resultFor(name: string, overrides: Partial<ColorizeResult> = {}): ColorizeResult {
  const stem = name.replace(/\.[^.]+$/, '');
  const id = 'AAAAAAAAAAAAAAAAAAAAAAAA';
  return {
    id,
    url: `/api/images/${id}`,
    downloadUrl: `/api/images/${id}?download=1`,
    width: 640,
    height: 480,
    contentType: 'image/png',
    filename: `${stem}-colorized.png`,
    modelName: 'colorizer-default',
    modelVersion: '1.2.0',
    inferenceMs: 812,
    expiresAt: null,
    expiresAtMs: null,
    inputInColour: false,
    ...overrides,
  };
}

/**
 * A stand-in for the network layer (the gateway is not running in unit tests):
 * each colorize call waits until the test resolves or rejects it, so the test can
 * look at every state in between.
 */
export function createFakeApi({
  model = DEFAULT_MODEL as ModelInfo | Error | (ModelInfo | Error)[],
  gateway = DEFAULT_GATEWAY as GatewayInfo | Error,
} = {}) {
  const calls: PendingCall[] = [];
  // One answer per call of fetchModelInfo (the last one repeats).
  const modelAnswers = Array.isArray(model) ? [...model] : [model];
  const api: ColorizerApi = {
    colorizeImage: (file, options = {}) =>
      new Promise<ColorizeResult>((resolve, reject) => {
        calls.push({ file, options, resolve, reject });
      }),
    fetchModelInfo: () => {
      const answer = modelAnswers.length > 1 ? modelAnswers.shift()! : modelAnswers[0];
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
    },
    fetchGatewayInfo: () => (gateway instanceof Error ? Promise.reject(gateway) : Promise.resolve(gateway)),
    fetchImageBlob: () => Promise.resolve(new Blob([new Uint8Array([137, 80, 78, 71])], { type: 'image/png' })),
  };
  return { api, calls };
}

export function imageFile(name = 'photo.jpg', type = 'image/jpeg', size = 2048): File {
  return new File([new Uint8Array(size)], name, { type });
}
