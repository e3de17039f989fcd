'use strict';

// POST /api/colorize and GET /api/images/:id against a real inference service:
// the result store's ids, expiry, size cap, and restarts; the static frontend.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { after, before, describe, it } = require('node:test');
const request = require('supertest');

const { withoutRequestId } = require('../test-helpers/contract');

const { DiskResultStore } = require('../src/diskResultStore');
const { makeGateway } = require('../test-helpers/gateway');
const { colourPng, grayscalePng, pngSize } = require('../test-helpers/images');
const { startInferenceService, tempDir, writeTinyArtifact } = require('../test-helpers/inferenceService');

const ID = /^[A-Za-z0-9_-]{24}$/;

let service;
let gateway;
const toClose = [];

async function gatewayWith(env = {}) {
  const made = await makeGateway({ GATEWAY_INFERENCE_URL: service.url, ...env });
  toClose.push(made);
  return made;
}

function colorize(app, image = grayscalePng(64, 48), filename = 'family photo.png') {
  return request(app).post('/api/colorize').attach('image', image, filename);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

before(async () => {
  service = await startInferenceService({ artifact: await writeTinyArtifact() });
  gateway = await gatewayWith();
});

after(async () => {
  for (const made of toClose) made.close();
  await service?.stop();
});

describe('POST /api/colorize', () => {
  it('answers 201 with where the stored result is, its size and its model', async () => {
    const response = await colorize(gateway.app);
    assert.equal(response.status, 201);
    const body = response.body;
    assert.match(body.id, ID);
    assert.equal(body.url, `/api/images/${body.id}`);
    assert.equal(body.download_url, `/api/images/${body.id}?download=1`);
    assert.equal(response.headers.location, body.url);
    assert.equal(body.width, 64);
    assert.equal(body.height, 48);
    assert.equal(body.content_type, 'image/png');
    assert.equal(body.filename, 'family photo-colorized.png');
    assert.equal(body.model_name, 'tiny-test-colorizer');
    assert.equal(body.model_version, '0.0.1');
    assert.equal(typeof body.inference_ms, 'number');
    assert.equal(body.input_in_colour, false);
    assert.ok(Date.parse(body.expires_at) > Date.now() + 59 * 60 * 1000, 'expires in about an hour');
    assert.ok(body.expires_in_s > 3590 && body.expires_in_s <= 3600, String(body.expires_in_s));
    assert.ok(fs.existsSync(path.join(gateway.config.resultDir, `${body.id}.png`)), 'the image is on disk');
  });

  it('says when the upload was already a colour photo (the service tells it)', async () => {
    const response = await colorize(gateway.app, colourPng(64, 48), 'holiday.png');
    assert.equal(response.status, 201);
    assert.equal(response.body.input_in_colour, true);
  });

  it('passes render_size and format from the form to the service', async () => {
    const response = await request(gateway.app)
      .post('/api/colorize')
      .field('format', 'jpeg')
      .field('render_size', '128')
      .attach('image', grayscalePng(50, 40), 'scan.png');
    assert.equal(response.status, 201);
    assert.equal(response.body.content_type, 'image/jpeg');
    assert.equal(response.body.filename, 'scan-colorized.jpg');
    const image = await request(gateway.app).get(response.body.url).buffer(true);
    assert.equal(image.headers['content-type'], 'image/jpeg');
    assert.equal(image.body.subarray(0, 2).toString('hex'), 'ffd8');
  });

  it('gives every result a different random id', async () => {
    const ids = new Set();
    for (let i = 0; i < 3; i += 1) ids.add((await colorize(gateway.app)).body.id);
    assert.equal(ids.size, 3);
    for (const id of ids) assert.equal(Buffer.from(id, 'base64url').length, 18, '144 random bits');
  });

  it('is POST only', async () => {
    const response = await request(gateway.app).get('/api/colorize');
    assert.equal(response.status, 405);
    assert.equal(response.body.error.code, 'method_not_allowed');
  });
});

describe('GET /api/images/:id', () => {
  it('serves the image inline, and as an attachment with ?download=1', async () => {
    const { body } = await colorize(gateway.app, grayscalePng(80, 60), 'portrait.png');
    const inline = await request(gateway.app).get(body.url).buffer(true);
    assert.equal(inline.status, 200);
    assert.equal(inline.headers['content-type'], 'image/png');
    assert.equal(inline.headers['content-disposition'], 'inline; filename="portrait-colorized.png"');
    assert.equal(inline.headers['x-content-type-options'], 'nosniff');
    assert.match(inline.headers['cache-control'], /^private, max-age=\d+, immutable$/);
    assert.deepEqual(pngSize(inline.body), { width: 80, height: 60 });

    const download = await request(gateway.app).get(body.download_url).buffer(true);
    assert.equal(download.status, 200);
    assert.equal(download.headers['content-disposition'], 'attachment; filename="portrait-colorized.png"');
    assert.ok(download.body.equals(inline.body));
  });

  it('answers 404 JSON for ids that are malformed, tricky or unknown (400 invalid_path for escapes and dots)', async () => {
    const { body } = await colorize(gateway.app);
    const attempts = [
      'abc',
      `${body.id}x`, // 25 characters
      body.id.slice(1), // 23 characters
      `${body.id}.json`, // the metadata file beside the image
      `${body.id}.png`,
      '..%2F..%2F..%2Fetc%2Fpasswd',
      '%2e%2e%2f%2e%2e%2fpackage.json',
      `${body.id.slice(0, 23)}%00`,
      `${body.id.slice(0, 22)}..`,
      'AAAAAAAAAAAAAAAAAAAAAAAA', // well-formed, never issued
    ];
    for (const id of attempts) {
      const response = await request(gateway.app).get(`/api/images/${id}`);
      // A percent-escape or a segment ending in a dot never reaches the route (paths.js).
      const oddPath = id.includes('%') || id.endsWith('.');
      assert.equal(response.status, oddPath ? 400 : 404, id);
      assert.match(response.headers['content-type'], /^application\/json/, id);
      assert.equal(response.body.error.code, oddPath ? 'invalid_path' : 'not_found', id);
    }
  });
});

describe('the result store', () => {
  it('expires results after GATEWAY_RESULT_TTL_MS and deletes their files', async () => {
    const shortLived = await gatewayWith({ GATEWAY_RESULT_TTL_MS: '700', GATEWAY_RESULT_SWEEP_MS: '100' });
    const { body } = await colorize(shortLived.app);
    assert.equal((await request(shortLived.app).get(body.url)).status, 200);
    assert.deepEqual(fs.readdirSync(shortLived.config.resultDir).toSorted(), [`${body.id}.json`, `${body.id}.png`]);

    await sleep(1000);
    const expired = await request(shortLived.app).get(body.url);
    assert.equal(expired.status, 404);
    assert.equal(expired.body.error.code, 'not_found');
    assert.deepEqual(fs.readdirSync(shortLived.config.resultDir), [], 'the sweep removed the files');
  });

  it('keeps the total under GATEWAY_RESULT_MAX_BYTES by removing the oldest results', async () => {
    const image = grayscalePng(64, 64);
    const { bytes } = (await colorize(gateway.app, image)).body; // same input, same output size
    const capped = await gatewayWith({ GATEWAY_RESULT_MAX_BYTES: String(Math.floor(bytes * 2.5)) });

    const ids = [];
    for (let i = 0; i < 3; i += 1) ids.push((await colorize(capped.app, image)).body.id);
    const statuses = [];
    for (const id of ids) statuses.push((await request(capped.app).get(`/api/images/${id}`)).status);
    assert.deepEqual(statuses, [404, 200, 200]);

    const onDisk = fs
      .readdirSync(capped.config.resultDir)
      .filter((name) => name.endsWith('.png'))
      .reduce((total, name) => total + fs.statSync(path.join(capped.config.resultDir, name)).size, 0);
    assert.equal(onDisk, bytes * 2);
    assert.ok(onDisk <= capped.config.resultMaxBytes);
  });

  it('refuses a result larger than the whole cap with 507', async () => {
    const tiny = await gatewayWith({ GATEWAY_RESULT_MAX_BYTES: '100' });
    const response = await colorize(tiny.app);
    assert.equal(response.status, 507);
    assert.equal(response.body.error.code, 'result_too_large');
    assert.deepEqual(fs.readdirSync(tiny.config.resultDir), []);
  });

  it('finds its results again after a restart, and drops what expired meanwhile', async () => {
    const dir = tempDir('gateway-restart-');
    const first = await gatewayWith({ GATEWAY_RESULT_DIR: dir });
    const kept = (await colorize(first.app)).body;
    first.close();

    const second = await gatewayWith({ GATEWAY_RESULT_DIR: dir });
    assert.equal((await request(second.app).get(kept.url)).status, 200);
    second.close();

    const shortLived = await gatewayWith({ GATEWAY_RESULT_DIR: dir, GATEWAY_RESULT_TTL_MS: '1' });
    const stale = (await colorize(shortLived.app)).body;
    shortLived.close();
    await sleep(5);
    const third = await gatewayWith({ GATEWAY_RESULT_DIR: dir });
    assert.equal((await request(third.app).get(stale.url)).status, 404);
    assert.ok(!fs.existsSync(path.join(dir, `${stale.id}.png`)), 'expired on start-up');
  });

  it('cleans up interrupted writes on start, and leaves files that are not its own alone', async () => {
    const dir = tempDir('gateway-store-');
    fs.writeFileSync(path.join(dir, '.tmp-AAAAAAAAAAAAAAAAAAAAAAAA'), 'half a png');
    fs.writeFileSync(path.join(dir, 'README.txt'), 'not ours');
    const store = await new DiskResultStore({ dir, ttlMs: 1000, maxBytes: 1000, sweepMs: 0 }).open();
    store.close();
    assert.deepEqual(fs.readdirSync(dir), ['README.txt']);
  });
});

describe('the web app', () => {
  it('serves the built frontend at / with security headers, and index.html for app routes', async () => {
    const staticDir = tempDir('gateway-frontend-');
    fs.mkdirSync(path.join(staticDir, 'assets'));
    fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>Colorize</title>');
    fs.writeFileSync(path.join(staticDir, 'assets', 'index-abc123.js'), 'console.log(1)');
    const { app } = await gatewayWith({ GATEWAY_STATIC_DIR: staticDir });

    const page = await request(app).get('/');
    assert.equal(page.status, 200);
    assert.match(page.text, /<title>Colorize<\/title>/);
    assert.equal(page.headers['cache-control'], 'no-cache');
    assert.match(page.headers['content-security-policy'], /default-src 'self'/);
    assert.match(page.headers['content-security-policy'], /img-src 'self' data: blob:/);
    assert.equal(page.headers['x-frame-options'], 'SAMEORIGIN');
    assert.equal(page.headers['x-powered-by'], undefined);

    const asset = await request(app).get('/assets/index-abc123.js');
    assert.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable');

    const appRoute = await request(app).get('/some/page').set('Accept', 'text/html');
    assert.equal(appRoute.status, 200);
    assert.match(appRoute.text, /<title>Colorize<\/title>/);

    const unknownApi = await request(app).get('/api/nothing-here');
    assert.equal(unknownApi.status, 404);
    assert.deepEqual(withoutRequestId(unknownApi.body), {
      error: { code: 'not_found', message: 'No route for GET /api/nothing-here.' },
    });
  });
});
