'use strict';

// The API reference: the gateway's OpenAPI document (its own routes plus the
// service's API under /api/v1), the service's document at /api/v1/openapi.json,
// the Swagger UI page at /api/docs, and the gateway's real answers checked against
// the document, with a real inference service behind it.
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const { join } = require('node:path');
const { promisify } = require('node:util');
const { after, before, describe, it } = require('node:test');
const request = require('supertest');

const { buildGatewayDocument } = require('../src/openapi');
const { ContractChecker } = require('../test-helpers/contract');
const { makeGateway } = require('../test-helpers/gateway');
const { grayscalePng } = require('../test-helpers/images');
const { freePort, startInferenceService, writeTinyArtifact, REPO_ROOT } = require('../test-helpers/inferenceService');

const SERVICE_UPLOAD_LIMIT = 96 * 1024;
const VENV = process.env.COLORIZER_VENV || join(REPO_ROOT, '.venv');

let service;
let gateway;
let document;
const toClose = [];

/** Validated by the openapi-spec-validator the service's tests use (the project's Python dev extra). */
async function assertValidOpenApi31(candidate) {
  const script =
    'import json, sys\n' +
    'from openapi_spec_validator import validate\n' +
    'from openapi_spec_validator.versions.shortcuts import get_spec_version\n' +
    'from openapi_spec_validator.versions import consts\n' +
    'document = json.load(open(sys.argv[1]))\n' +
    'assert get_spec_version(document) == consts.OPENAPIV31\n' +
    'validate(document)\n';
  const file = join(os.tmpdir(), `gateway-openapi-${process.pid}-${Date.now()}.json`);
  fs.writeFileSync(file, JSON.stringify(candidate));
  try {
    await promisify(execFile)(join(VENV, 'bin', 'python'), ['-c', script, file]);
  } finally {
    fs.rmSync(file, { force: true });
  }
}

before(async () => {
  service = await startInferenceService({
    artifact: await writeTinyArtifact(),
    env: { COLORIZER_MAX_UPLOAD_BYTES: String(SERVICE_UPLOAD_LIMIT) },
  });
  const made = await makeGateway({ GATEWAY_INFERENCE_URL: service.url });
  toClose.push(made);
  gateway = made.app;
  document = (await request(gateway).get('/api/openapi.json')).body;
});

after(async () => {
  for (const made of toClose) made.close();
  await service?.stop();
});

describe('the OpenAPI documents', () => {
  it("describe the gateway's own routes and the service's API under /api/v1, as valid OpenAPI 3.1", async () => {
    await assertValidOpenApi31(document);
    for (const path of ['/api/health', '/api/colorize', '/api/images/{id}', '/api/openapi.json', '/api/docs'])
      assert.ok(document.paths[path], path);
    for (const path of ['/api/v1/health', '/api/v1/model', '/api/v1/colorize', '/api/v1/openapi.json'])
      assert.ok(document.paths[path], path);
    // The limits in force: the service's own document says them.
    const image = document.paths['/api/v1/colorize'].post.requestBody.content['image/*'].schema;
    assert.equal(image.maxLength, SERVICE_UPLOAD_LIMIT);
    assert.deepEqual(
      document.paths['/api/colorize'].post.requestBody,
      document.paths['/api/v1/colorize'].post.requestBody,
    );
  });

  it("serves the service's own document at /api/v1/openapi.json, relative to /api", async () => {
    const response = await request(gateway).get('/api/v1/openapi.json');
    assert.equal(response.status, 200);
    await assertValidOpenApi31(response.body);
    assert.deepEqual(response.body.servers, [{ url: '/api', description: 'Through the gateway' }]);
    const direct = await (await fetch(`${service.url}/openapi.json`)).json();
    assert.deepEqual(Object.keys(response.body.paths).toSorted(), [
      '/v1/colorize',
      '/v1/health',
      '/v1/model',
      '/v1/videos',
      '/v1/videos/{job_id}',
      '/v1/videos/{job_id}/rerun',
      '/v1/videos/{job_id}/result',
    ]);
    assert.deepEqual(response.body.paths['/v1/colorize'], direct.paths['/v1/colorize']);
  });

  it('still describes the gateway when no replica answers, and says so', async () => {
    const made = await makeGateway({ GATEWAY_INFERENCE_URL: `http://127.0.0.1:${await freePort()}` });
    toClose.push(made);
    const response = await request(made.app).get('/api/openapi.json');
    assert.equal(response.status, 200);
    await assertValidOpenApi31(response.body);
    assert.ok(response.body.paths['/api/health'] && !response.body.paths['/api/v1/model']);
    assert.match(response.body.info.description, /could not be reached/);
    assert.equal((await request(made.app).get('/api/v1/openapi.json')).status, 502);
  });
});

/** A committed document of docs/openapi/. */
function committed(name) {
  return JSON.parse(fs.readFileSync(join(REPO_ROOT, 'docs', 'openapi', name), 'utf8'));
}

describe('the committed contract (docs/openapi/, written by scripts/openapi.sh)', () => {
  it("is what the gateway's document is in front of the committed service document", () => {
    assert.deepEqual(
      buildGatewayDocument(committed('service.json')),
      committed('gateway.json'),
      'stale: run scripts/openapi.sh and commit what it writes',
    );
  });
});

describe('the /api/docs page', () => {
  it('loads Swagger UI from the gateway itself, nothing from another host', async () => {
    const page = await request(gateway).get('/api/docs');
    assert.equal(page.status, 200);
    assert.match(page.headers['content-type'], /^text\/html/);
    assert.doesNotMatch(page.text, /https?:\/\//);
    const assets = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]);
    assert.ok(assets.includes('/api/docs/swagger-ui-bundle.js') && assets.includes('/api/docs/init.js'), assets);
    for (const asset of assets) {
      assert.match(asset, /^\/api\//, `${asset} is not on the gateway`);
      const response = await request(gateway).get(asset).buffer(true);
      assert.equal(response.status, 200, asset);
    }
    const init = (await request(gateway).get('/api/docs/init.js')).text;
    assert.match(init, /url: '\/api\/openapi\.json'/);
    assert.match(init, /validatorUrl: null/);
    // The package's demo initializer (it points at petstore.swagger.io) is not served.
    assert.equal((await request(gateway).get('/api/docs/swagger-initializer.js')).status, 404);
  });
});

describe("the gateway's answers match its document", () => {
  it('for every route, success and error', async () => {
    const checker = new ContractChecker(document);
    const png = grayscalePng(48, 32);
    const checked = async (method, path, response) => {
      checker.check(method, path, response);
      return response;
    };
    const get = (path) => request(gateway).get(path);

    await checked('get', '/api/health', await get('/api/health'));
    await checked('get', '/api/openapi.json', await get('/api/openapi.json'));
    await checked('get', '/api/v1/openapi.json', await get('/api/v1/openapi.json'));
    await checked('get', '/api/docs', await get('/api/docs'));
    await checked('get', '/api/v1/health', await get('/api/v1/health'));
    await checked('get', '/api/v1/model', await get('/api/v1/model'));

    const created = await checked(
      'post',
      '/api/colorize',
      await request(gateway).post('/api/colorize?format=webp').attach('image', png, 'photo.png'),
    );
    assert.equal(created.status, 201);
    const image = await checked('get', created.body.url, await get(created.body.url).buffer(true));
    assert.equal(image.status, 200);
    const again = await get(created.body.url).set('If-None-Match', image.headers.etag);
    assert.equal((await checked('get', created.body.url, again)).status, 304);
    const missing = await checked(
      'get',
      '/api/images/AAAAAAAAAAAAAAAAAAAAAAAA',
      await get('/api/images/AAAAAAAAAAAAAAAAAAAAAAAA'),
    );
    assert.equal(missing.status, 404);

    const direct = await request(gateway).post('/api/v1/colorize').attach('image', png, 'photo.png').buffer(true);
    assert.equal((await checked('post', '/api/v1/colorize', direct)).status, 200);

    const errors = {
      400: (path) => request(gateway).post(path).set('Content-Type', 'image/png').send(Buffer.from('not an image')),
      413: (path) =>
        request(gateway)
          .post(path)
          .attach('image', Buffer.alloc(SERVICE_UPLOAD_LIMIT + 80 * 1024, 1), 'big.png'),
      415: (path) => request(gateway).post(path).set('Content-Type', 'text/plain').send('hello'),
      422: (path) => request(gateway).post(`${path}?render_size=5`).attach('image', png, 'photo.png'),
    };
    for (const path of ['/api/colorize', '/api/v1/colorize']) {
      for (const [status, send] of Object.entries(errors)) {
        const response = await checked('post', path, await send(path));
        assert.equal(response.status, Number(status), `${path} ${status}: ${JSON.stringify(response.body)}`);
      }
    }
    assert.equal((await checked('get', '/api/colorize', await get('/api/colorize'))).status, 405);
    assert.equal((await checked('get', '/api/nothing', await get('/api/nothing'))).status, 404);

    // The gateway's own refusals: rate limit, no replica.
    const limited = await makeGateway({ GATEWAY_INFERENCE_URL: service.url, GATEWAY_RATE_LIMIT_MAX: '1' });
    const down = await makeGateway({ GATEWAY_INFERENCE_URL: `http://127.0.0.1:${await freePort()}` });
    toClose.push(limited, down);
    await request(limited.app).post('/api/colorize').attach('image', png, 'photo.png');
    const refused = await request(limited.app).post('/api/colorize').attach('image', png, 'photo.png');
    assert.equal((await checked('post', '/api/colorize', refused)).status, 429);
    const unreachable = await request(down.app).post('/api/colorize').attach('image', png, 'photo.png');
    assert.equal((await checked('post', '/api/colorize', unreachable)).status, 502);
    assert.equal((await checked('get', '/api/v1/model', await request(down.app).get('/api/v1/model'))).status, 502);
    assert.equal((await checked('get', '/api/health', await request(down.app).get('/api/health'))).status, 503);
  });
});
