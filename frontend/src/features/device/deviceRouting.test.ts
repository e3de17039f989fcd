/** Which photos go to the device and which to the server (deviceRouting.ts), with a stand-in device and server. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { apiKeyStore } from '../../api/apiKey';
import { ApiError, type ColorizeResult, type ColorizerApi } from '../../api/colorizer';
import type { DeviceResult } from './deviceColorizer';
import { DeviceError } from './deviceError';
import { DEVICE_BATCH_LIMIT, keepBatchOnServer, withDevice, type DeviceSide } from './deviceRouting';
import type { ModelManifest } from './modelManifest';
import { placeStore } from './placement';

const MANIFEST: ModelManifest = {
  file: 'model/colorizer-0123456789abcdef.onnx',
  sha256: '0'.repeat(64),
  bytes: 12_000_000,
  name: 'tiny-colorizer',
  version: '9.9.9',
  renderSize: 256,
  inChannels: 4,
  normalization: { l_center: 50, l_scale: 50, ab_scale: 110 },
  weights: 'float16',
};

function fakeDevice(refuse: string | null = null) {
  const calls: File[] = [];
  const device: DeviceSide = {
    usable: true,
    manifestReady: Promise.resolve(MANIFEST),
    async colorize(file: Blob): Promise<DeviceResult> {
      calls.push(file as File);
      if (refuse) throw new DeviceError(refuse, 'refused here');
      return {
        blob: new Blob(['png']),
        width: 4,
        height: 3,
        inputInColour: false,
        networkMs: 1,
        totalMs: 2,
        manifest: MANIFEST,
      };
    },
  };
  return { device, calls };
}

function fakeServer(failWith: ApiError | null = null) {
  const calls: File[] = [];
  const server = {
    async colorizeImage(file: File) {
      calls.push(file);
      if (failWith) throw failWith;
      return { id: 'server-1', url: '/api/images/server-1' } as ColorizeResult;
    },
    async fetchModelInfo() {
      if (failWith) throw failWith;
      return {
        name: 'served',
        version: '1',
        renderSize: 256,
        description: null,
        supportsHints: true,
        maxHints: 64,
        limits: null,
      };
    },
    async fetchGatewayInfo() {
      return { resultTtlS: 3600, maxUploadBytes: null, auth: 'off' as const };
    },
    async fetchImageBlob() {
      return new Blob();
    },
  } satisfies ColorizerApi;
  return { server, calls };
}

const photo = (name = 'photo.jpg') => new File(['jpeg'], name, { type: 'image/jpeg' });

describe('withDevice', () => {
  beforeEach(() => placeStore.choose('device'));
  afterEach(() => apiKeyStore.use(''));

  it('colorizes on the device when it is the place, as a local result named after the photo', async () => {
    const { device, calls } = fakeDevice();
    const { server, calls: uploads } = fakeServer();
    const result = await withDevice(server, device).colorizeImage(photo('grandma.jpg'));
    expect(calls).toHaveLength(1);
    expect(uploads).toHaveLength(0);
    expect(result.url).toMatch(/^blob:/);
    expect(result.filename).toBe('grandma-colorized.png');
    expect(result.modelName).toBe('tiny-colorizer');
  });

  it('uploads when the server is chosen, and falls back to the device when the server cannot be reached', async () => {
    placeStore.choose('server');
    const reachable = fakeServer();
    await withDevice(reachable.server, fakeDevice().device).colorizeImage(photo());
    expect(reachable.calls).toHaveLength(1);

    const down = fakeServer(new ApiError('network_error', 'down'));
    const { device, calls } = fakeDevice();
    const result = await withDevice(down.server, device).colorizeImage(photo());
    expect(down.calls).toHaveLength(1);
    expect(calls).toHaveLength(1);
    expect(result.url).toMatch(/^blob:/);
  });

  it('keeps photos with an API key and big batches on the server', async () => {
    const { device, calls } = fakeDevice();
    const { server, calls: uploads } = fakeServer();
    const api = withDevice(server, device);
    apiKeyStore.use('ck_test_key');
    await api.colorizeImage(photo());
    apiKeyStore.use('');
    const batch = Array.from({ length: DEVICE_BATCH_LIMIT + 1 }, (_, index) => photo(`scan-${index}.jpg`));
    keepBatchOnServer(batch);
    await api.colorizeImage(batch[0]);
    expect(uploads).toHaveLength(2);
    expect(calls).toHaveLength(0);
  });

  it('words a refusal as an API error and sends the same photo to the server on retry', async () => {
    const { device } = fakeDevice('device_cannot_hold');
    const { server, calls: uploads } = fakeServer();
    const api = withDevice(server, device);
    const big = photo('huge.png');
    await expect(api.colorizeImage(big)).rejects.toMatchObject({ code: 'device_cannot_hold' });
    expect(uploads).toHaveLength(0);
    await api.colorizeImage(big);
    expect(uploads).toEqual([big]);
  });

  it('without a server (the static build), a refusal offers no server', async () => {
    const { server, calls: uploads } = fakeServer();
    const api = withDevice(server, fakeDevice('device_cannot_hold').device, false);
    await expect(api.colorizeImage(photo('huge.png'))).rejects.toMatchObject({ code: 'device_cannot_hold_no_server' });
    expect(uploads).toHaveLength(0);
  });

  it("describes the device's model when the server cannot be asked", async () => {
    const down = fakeServer(new ApiError('network_error', 'down'));
    const model = await withDevice(down.server, fakeDevice().device).fetchModelInfo();
    expect(model).toMatchObject({ name: 'tiny-colorizer', version: '9.9.9', supportsHints: true });
  });
});
