// The API module against a small real HTTP server standing in for the gateway:
// real XMLHttpRequest/fetch, real multipart bodies, real status codes.
import { describe, expect, it } from 'vitest';

import { json, standInGateway, type Handler } from '../test/standInGateway';
import { apiKeyStore } from './apiKey';
import { ApiError, colorizeImage, fetchGatewayInfo, fetchImageBlob, fetchModelInfo } from './colorizer';

let handler: Handler = (_req, _body, res) => res.end();
const gateway = standInGateway((req, body, res) => handler(req, body, res));

describe('colorizeImage', () => {
  it('posts the file as multipart "image" and returns the stored result', async () => {
    let seen: { method?: string; url?: string; type?: string; body?: string } = {};
    handler = (req, body, res) => {
      seen = { method: req.method, url: req.url, type: req.headers['content-type'], body: body.toString('latin1') };
      json(res, 201, {
        id: 'abcdefghijklmnopqrstuvwx',
        url: '/api/images/abcdefghijklmnopqrstuvwx',
        download_url: '/api/images/abcdefghijklmnopqrstuvwx?download=1',
        width: 320,
        height: 200,
        content_type: 'image/png',
        filename: 'cat-colorized.png',
        model_name: 'colorizer-default',
        model_version: '1.0.0',
        inference_ms: 123.4,
        expires_at: '2030-01-01T00:00:00.000Z',
        expires_in_s: 3600,
      });
    };
    const progress: number[] = [];
    let uploaded = false;
    const result = await colorizeImage(new File(['fake jpeg bytes'], 'cat.jpg', { type: 'image/jpeg' }), {
      renderSize: 384,
      onUploadProgress: (fraction) => progress.push(fraction),
      onUploaded: () => {
        uploaded = true;
      },
    });

    expect(seen.method).toBe('POST');
    expect(seen.url).toBe('/api/colorize');
    expect(seen.type).toMatch(/^multipart\/form-data; boundary=/);
    expect(seen.body).toContain('name="image"; filename="cat.jpg"');
    expect(seen.body).toContain('fake jpeg bytes');
    expect(seen.body).toMatch(/name="render_size"\r\n\r\n384\r\n/);
    const before = Date.now();
    expect(result.expiresAtMs).toBeGreaterThanOrEqual(before + 3600_000 - 5_000);
    expect(result.expiresAtMs).toBeLessThanOrEqual(before + 3600_000);
    expect({ ...result, expiresAtMs: 0 }).toEqual({
      id: 'abcdefghijklmnopqrstuvwx',
      url: '/api/images/abcdefghijklmnopqrstuvwx',
      downloadUrl: '/api/images/abcdefghijklmnopqrstuvwx?download=1',
      width: 320,
      height: 200,
      contentType: 'image/png',
      filename: 'cat-colorized.png',
      modelName: 'colorizer-default',
      modelVersion: '1.0.0',
      inferenceMs: 123.4,
      inputInColour: null,
      expiresAt: '2030-01-01T00:00:00.000Z',
      expiresAtMs: 0,
    });
    expect(uploaded).toBe(true);
    expect(progress.at(-1)).toBe(1);
  });

  it('sends colour hints as a JSON form field, and vibrance when one is given', async () => {
    const bodies: string[] = [];
    handler = (_req, body, res) => {
      bodies.push(body.toString('latin1'));
      json(res, 201, { id: 'abcdefghijklmnopqrstuvwx', url: '/api/images/abcdefghijklmnopqrstuvwx' });
    };
    const file = new File(['x'], 'a.png', { type: 'image/png' });
    const hints = [{ x: 0.25, y: 0.6, color: '#a03020' }];
    await colorizeImage(file, { hints, vibrance: 1.35 });
    expect(bodies[0]).toContain(`name="hints"\r\n\r\n${JSON.stringify(hints)}\r\n`);
    expect(bodies[0]).toMatch(/name="vibrance"\r\n\r\n1.35\r\n/);
    // No hints and no vibrance (the service's default): the plain request, as before.
    await colorizeImage(file, { hints: [] });
    expect(bodies[1]).not.toContain('name="hints"');
    expect(bodies[1]).not.toContain('name="vibrance"');
    await colorizeImage(file, { vibrance: 0 });
    expect(bodies[2]).toMatch(/name="vibrance"\r\n\r\n0\r\n/);
  });

  it('turns a JSON error into an ApiError with its code, status and Retry-After', async () => {
    handler = (_req, _body, res) =>
      json(res, 503, { error: { code: 'busy', message: 'queue full' } }, { 'Retry-After': '3' });
    const error = await colorizeImage(new File(['x'], 'a.png', { type: 'image/png' })).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: 'busy', message: 'queue full', status: 503, retryAfterS: 3 });
  });

  it('gives a status-based code when the error is not JSON', async () => {
    handler = (_req, _body, res) => {
      res.writeHead(502, { 'Content-Type': 'text/html' });
      res.end('<h1>Bad gateway</h1>');
    };
    const error = await colorizeImage(new File(['x'], 'a.png', { type: 'image/png' })).catch((err: unknown) => err);
    expect(error).toMatchObject({ code: 'http_502', status: 502 });
  });

  it('reports a cancelled upload as "aborted"', async () => {
    handler = () => {}; // never answers
    const controller = new AbortController();
    const pending = colorizeImage(new File(['x'], 'a.png', { type: 'image/png' }), { signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'aborted' });
  });
});

describe('fetchModelInfo', () => {
  it('reads the model metadata', async () => {
    handler = (req, _body, res) => {
      expect(req.url).toBe('/api/v1/model');
      json(res, 200, {
        name: 'colorizer-default',
        version: '1.0.0',
        render_size: 256,
        training: { description: 'COCO 2017' },
        metrics: {
          val: { images: 497, model: { psnr: 23.0 }, psnr_gain_db: 1.11, colorfulness_ratio_to_truth: 0.63 },
          bench: { images: 100, model: { psnr: 23.05 }, psnr_gain_db: 1.56, colorfulness_ratio_to_truth: 0.55 },
        },
      });
    };
    await expect(fetchModelInfo()).resolves.toEqual({
      name: 'colorizer-default',
      version: '1.0.0',
      renderSize: 256,
      description: 'COCO 2017',
      supportsHints: false,
      maxHints: 0,
      limits: null,
      // The held-out bench set first: the card's headline numbers.
      headline: { set: 'bench', images: 100, psnrDb: 23.05, psnrGainDb: 1.56, colourfulnessRatio: 0.55 },
    });
  });

  it('reads the limits and the accepted formats', async () => {
    handler = (_req, _body, res) =>
      json(res, 200, {
        name: 'm',
        version: '1.0.0',
        limits: {
          max_upload_bytes: 1000,
          max_pixels: 2000,
          render_size: { min: 64, max: 1024 },
          vibrance: { min: 0, max: 2, default: 1 },
        },
        input_formats: ['JPEG', 'PNG'],
        input_media_types: ['image/jpeg', 'image/png'],
        input_extensions: ['.jpg', '.png'],
      });
    await expect(fetchModelInfo()).resolves.toMatchObject({
      limits: {
        maxUploadBytes: 1000,
        maxPixels: 2000,
        renderSizeMin: 64,
        renderSizeMax: 1024,
        formatNames: ['JPEG', 'PNG'],
        mediaTypes: ['image/jpeg', 'image/png'],
        extensions: ['.jpg', '.png'],
        vibranceMin: 0,
        vibranceMax: 2,
      },
    });
  });

  it('says whether the model takes colour hints, and how many', async () => {
    handler = (_req, _body, res) =>
      json(res, 200, { name: 'm', version: '1.1.0', supports_hints: true, max_hints: 64 });
    await expect(fetchModelInfo()).resolves.toMatchObject({ supportsHints: true, maxHints: 64 });
    handler = (_req, _body, res) =>
      json(res, 200, { name: 'm', version: '1.0.0', supports_hints: false, max_hints: 0 });
    await expect(fetchModelInfo()).resolves.toMatchObject({ supportsHints: false, maxHints: 0 });
  });

  it('fails with the API error code', async () => {
    handler = (_req, _body, res) => json(res, 502, { error: { code: 'upstream_unavailable', message: 'down' } });
    await expect(fetchModelInfo()).rejects.toMatchObject({ code: 'upstream_unavailable', status: 502 });
  });
});

describe('fetchGatewayInfo', () => {
  it('reads the result lifetime and the upload limit from /api/health, degraded too', async () => {
    for (const status of [200, 503]) {
      handler = (req, _body, res) => {
        expect(req.url).toBe('/api/health');
        json(res, status, {
          status: status === 200 ? 'ok' : 'degraded',
          gateway: { limits: { result_ttl_s: 3600, max_upload_bytes: status === 200 ? 4096 : null } },
        });
      };
      await expect(fetchGatewayInfo()).resolves.toEqual({
        resultTtlS: 3600,
        maxUploadBytes: status === 200 ? 4096 : null,
        auth: 'off',
      });
    }
  });

  it('fails with the error code of a JSON error', async () => {
    handler = (_req, _body, res) => json(res, 404, { error: { code: 'not_found', message: 'no' } });
    await expect(fetchGatewayInfo()).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('fetchImageBlob', () => {
  it('returns the image bytes, or a not_found error', async () => {
    handler = (req, _body, res) => {
      if (req.url === '/api/images/missing') return json(res, 404, { error: { code: 'not_found', message: 'gone' } });
      res.writeHead(200, { 'Content-Type': 'image/png' });
      res.end(Buffer.from([137, 80, 78, 71]));
    };
    const blob = await fetchImageBlob('/api/images/present');
    expect(blob.size).toBe(4);
    await expect(fetchImageBlob('/api/images/missing')).rejects.toMatchObject({ code: 'not_found', status: 404 });
  });
});

describe('with an API key (GATEWAY_AUTH=keys)', () => {
  const KEY = `clr_0123456789abcdef_${'k'.repeat(43)}`;

  it('says the mode from /api/health, and sends the key as a Bearer token to the API but not to health', async () => {
    const seen: Record<string, string | undefined> = {};
    handler = (req, _body, res) => {
      seen[String(req.url)] = req.headers.authorization;
      if (req.url === '/api/health') return json(res, 200, { gateway: { auth: 'keys', limits: {} } });
      if (req.url === '/api/images/x') {
        res.writeHead(200, { 'Content-Type': 'image/png' });
        return res.end(Buffer.from([137, 80, 78, 71]));
      }
      return json(res, 200, { name: 'm', version: '1' });
    };
    apiKeyStore.use(`  ${KEY} `);
    try {
      await expect(fetchGatewayInfo()).resolves.toMatchObject({ auth: 'keys' });
      await fetchModelInfo();
      await fetchImageBlob('/api/images/x');
      expect(seen).toEqual({
        '/api/health': undefined,
        '/api/v1/model': `Bearer ${KEY}`,
        '/api/images/x': `Bearer ${KEY}`,
      });
      expect(localStorage.getItem('colorizer.apiKey')).toBe(KEY);
    } finally {
      apiKeyStore.use('');
    }
  });

  it('forgets a key the gateway refuses, and keeps the reason', async () => {
    handler = (_req, _body, res) =>
      json(res, 401, { error: { code: 'api_key_revoked', message: 'This API key has been revoked.' } });
    apiKeyStore.use(KEY);
    await expect(fetchModelInfo()).rejects.toMatchObject({ code: 'api_key_revoked', status: 401 });
    expect(apiKeyStore.get()).toEqual({ key: null, refusedCode: 'api_key_revoked' });
    expect(localStorage.getItem('colorizer.apiKey')).toBeNull();
  });
});

describe('network failures', () => {
  it('reports an unreachable server as network_error', async () => {
    await gateway.stop();
    await expect(colorizeImage(new File(['x'], 'a.png', { type: 'image/png' }))).rejects.toMatchObject({
      code: 'network_error',
    });
    await expect(fetchModelInfo()).rejects.toMatchObject({ code: 'network_error' });
  });
});
