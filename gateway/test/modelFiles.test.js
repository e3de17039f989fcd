'use strict';

// The on-device model as the gateway serves it (routes/modelFiles.js), and the
// cross-origin isolation headers every page gets (threads in ONNX Runtime Web).
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { after, before, describe, it } = require('node:test');
const request = require('supertest');

const { makeGateway } = require('../test-helpers/gateway');
const { tempDir } = require('../test-helpers/inferenceService');

describe('the on-device model files', () => {
  let gateway;
  const modelBytes = crypto.randomBytes(4096);
  const hash = crypto.createHash('sha256').update(modelBytes).digest('hex');
  const modelName = `colorizer-${hash.slice(0, 16)}.onnx`;

  before(async () => {
    const staticDir = tempDir('gateway-device-');
    fs.mkdirSync(path.join(staticDir, 'model'));
    fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>Colorize</title>');
    fs.writeFileSync(path.join(staticDir, 'model', modelName), modelBytes);
    const manifest = { file: `model/${modelName}`, sha256: hash, bytes: modelBytes.length };
    fs.writeFileSync(path.join(staticDir, 'model', 'manifest.json'), JSON.stringify(manifest));
    gateway = await makeGateway({ GATEWAY_STATIC_DIR: staticDir });
  });
  after(() => gateway.close());

  it('serves the hashed model file, cached for good, byte for byte', async () => {
    const response = await request(gateway.app)
      .get(`/model/${modelName}`)
      .buffer(true)
      .parse((res, done) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      });
    assert.equal(response.status, 200);
    assert.equal(response.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(response.headers['content-type'], 'application/octet-stream');
    assert.equal(crypto.createHash('sha256').update(response.body).digest('hex'), hash);
  });

  it('serves the manifest to be revalidated on every visit', async () => {
    const response = await request(gateway.app).get('/model/manifest.json');
    assert.equal(response.status, 200);
    assert.equal(response.headers['cache-control'], 'no-cache');
    assert.equal(response.body.sha256, hash);
  });

  it('answers a JSON 404 for a model that is not there, never the app page', async () => {
    const response = await request(gateway.app)
      .get('/model/colorizer-0000000000000000.onnx')
      .set('Accept', 'text/html');
    assert.equal(response.status, 404);
    assert.equal(response.body.error.code, 'not_found');
  });

  it('makes pages cross-origin isolated (COOP same-origin, COEP require-corp)', async () => {
    for (const url of ['/', '/model/manifest.json', '/api/health']) {
      const response = await request(gateway.app).get(url);
      assert.equal(response.headers['cross-origin-opener-policy'], 'same-origin', url);
      assert.equal(response.headers['cross-origin-embedder-policy'], 'require-corp', url);
    }
  });

  it("lets the page compile ONNX Runtime's WebAssembly and read back its blob: results", async () => {
    const policy = (await request(gateway.app).get('/')).headers['content-security-policy'];
    assert.match(policy, /script-src 'self' 'wasm-unsafe-eval'/);
    assert.match(policy, /connect-src 'self' blob:/);
  });
});
