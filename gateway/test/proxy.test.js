'use strict';

// The gateway in front of a real inference service (gunicorn + torch, tiny artifact):
// the pass-through API, every error the service can answer, upstream down, timeouts.
const assert = require('node:assert/strict');
const { after, before, describe, it } = require('node:test');
const request = require('supertest');

const { withoutRequestId } = require('../test-helpers/contract');

const { grayscalePng, hugeHeaderPng, pngSize } = require('../test-helpers/images');
const { freePort, startInferenceService, writeTinyArtifact } = require('../test-helpers/inferenceService');
const { makeGateway } = require('../test-helpers/gateway');

const SERVICE_UPLOAD_LIMIT = 64 * 1024;

let service;
let failedService;
let gateway;
const toClose = [];

async function gatewayFor(url, env = {}) {
  const made = await makeGateway({ GATEWAY_INFERENCE_URL: url, ...env });
  toClose.push(made);
  return made.app;
}

/** Wait until the service's model is free again (its queue holds a single request). */
async function waitIdle() {
  for (let i = 0; i < 200; i += 1) {
    const body = await (await fetch(`${service.url}/v1/health`, { signal: AbortSignal.timeout(5000) })).json();
    if (body.queue.in_use === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('inference service stayed busy');
}

before(async () => {
  [service, failedService] = await Promise.all([
    writeTinyArtifact().then((artifact) =>
      startInferenceService({
        artifact,
        // One model slot and nobody waiting: a second concurrent request is "busy".
        env: { COLORIZER_QUEUE_SIZE: '0', COLORIZER_MAX_UPLOAD_BYTES: String(SERVICE_UPLOAD_LIMIT) },
      }),
    ),
    // An artifact that does not exist: the service stays up and says FAILED / not_ready.
    startInferenceService({ artifact: '/nonexistent/colorizer.safetensors', expect: 'FAILED' }),
  ]);
  gateway = await gatewayFor(service.url);
});

after(async () => {
  for (const made of toClose) made.close();
  await Promise.all([service?.stop(), failedService?.stop()]);
});

describe('pass-through of the REST API at /api/v1', () => {
  it('colorizes with the same bytes and headers as the service itself', async () => {
    const image = grayscalePng(96, 64);
    const direct = await request(service.url).post('/v1/colorize').attach('image', image, 'gradient.png').buffer(true);
    const proxied = await request(gateway).post('/api/v1/colorize').attach('image', image, 'gradient.png').buffer(true);

    assert.equal(proxied.status, 200);
    assert.equal(proxied.headers['content-type'], 'image/png');
    assert.deepEqual(pngSize(proxied.body), { width: 96, height: 64 });
    assert.equal(proxied.headers['content-disposition'], 'inline; filename="gradient-colorized.png"');
    assert.equal(proxied.headers['x-model-name'], 'tiny-test-colorizer');
    assert.equal(proxied.headers['x-model-version'], '0.0.1');
    assert.match(proxied.headers['x-inference-ms'], /^\d+(\.\d+)?$/);
    // Same weights, same input: the same image.
    assert.ok(proxied.body.equals(direct.body), 'proxied image differs from the direct one');
  });

  it('passes query parameters through (format=jpeg)', async () => {
    const response = await request(gateway)
      .post('/api/v1/colorize?format=jpeg&quality=80')
      .attach('image', grayscalePng(40, 30), 'small.png')
      .buffer(true);
    assert.equal(response.status, 200);
    assert.equal(response.headers['content-type'], 'image/jpeg');
    assert.equal(response.body.subarray(0, 2).toString('hex'), 'ffd8');
  });

  it('accepts a raw image body, as the service does', async () => {
    const response = await request(gateway)
      .post('/api/v1/colorize')
      .set('Content-Type', 'image/png')
      .send(grayscalePng(32, 32))
      .buffer(true);
    assert.equal(response.status, 200);
    assert.deepEqual(pngSize(response.body), { width: 32, height: 32 });
  });

  it('serves GET /api/v1/model as the service serves GET /v1/model', async () => {
    const direct = await request(service.url).get('/v1/model');
    const proxied = await request(gateway).get('/api/v1/model');
    assert.equal(proxied.status, 200);
    assert.equal(proxied.body.name, 'tiny-test-colorizer');
    assert.deepEqual(proxied.body, direct.body);
  });

  it('forwards the request id, and the service echoes it', async () => {
    const response = await request(gateway).get('/api/v1/model').set('X-Request-Id', 'trace-abc-123');
    assert.equal(response.status, 200);
    assert.equal(response.headers['x-request-id'], 'trace-abc-123');
  });
});

// Each bad request goes to the service directly, through the pass-through and through
// /api/colorize: all three must answer the same status and error code.
const ERROR_CASES = [
  {
    name: 'missing_image: a form without the image field',
    status: 400,
    code: 'missing_image',
    send: (req) => req.field('render_size', '128'),
  },
  {
    name: 'invalid_image: text named .jpg',
    status: 400,
    code: 'invalid_image',
    send: (req) =>
      req.attach('image', Buffer.from('this is not a photo'), { filename: 'notes.jpg', contentType: 'image/jpeg' }),
  },
  {
    name: 'invalid_image: a truncated PNG',
    status: 400,
    code: 'invalid_image',
    send: (req) => req.attach('image', grayscalePng(64, 64).subarray(0, 60), 'cut.png'),
  },
  {
    name: 'unsupported_media_type: a text/plain body',
    status: 415,
    code: 'unsupported_media_type',
    send: (req) => req.set('Content-Type', 'text/plain').send('hello'),
  },
  {
    name: "payload_too_large: over the service's upload limit",
    status: 413,
    code: 'payload_too_large',
    send: (req) => req.attach('image', Buffer.alloc(SERVICE_UPLOAD_LIMIT + 1000, 7), 'big.png'),
  },
  {
    name: 'image_too_large: a PNG header declaring 40000 x 40000',
    status: 422,
    code: 'image_too_large',
    send: (req) => req.attach('image', hugeHeaderPng(40000, 40000), 'bomb.png'),
  },
  {
    name: 'invalid_parameter: render_size out of range',
    status: 422,
    code: 'invalid_parameter',
    query: '?render_size=5',
    send: (req) => req.attach('image', grayscalePng(16, 16), 'ok.png'),
  },
  {
    name: 'invalid_parameter: an unknown format',
    status: 422,
    code: 'invalid_parameter',
    query: '?format=gif',
    send: (req) => req.attach('image', grayscalePng(16, 16), 'ok.png'),
  },
];

describe("the service's errors, passed through with their status", () => {
  for (const testCase of ERROR_CASES) {
    it(testCase.name, async () => {
      const query = testCase.query ?? '';
      const answers = {
        direct: await testCase.send(request(service.url).post(`/v1/colorize${query}`)),
        passThrough: await testCase.send(request(gateway).post(`/api/v1/colorize${query}`)),
        colorize: await testCase.send(request(gateway).post(`/api/colorize${query}`)),
      };
      for (const [route, response] of Object.entries(answers)) {
        assert.equal(response.status, testCase.status, `${route}: status`);
        assert.match(response.headers['content-type'], /^application\/json/, `${route}: content type`);
        assert.equal(response.body.error.code, testCase.code, `${route}: code`);
        assert.equal(typeof response.body.error.message, 'string', `${route}: message`);
      }
      assert.equal(answers.colorize.body.error.message, answers.direct.body.error.message);
    });
  }

  it('busy: 503 with Retry-After while the model is taken', async () => {
    await waitIdle();
    // A large render keeps the only model slot taken for a while.
    const slow = request(service.url)
      .post('/v1/colorize?render_size=1024')
      .attach('image', grayscalePng(1024, 1024), 'large.png')
      .then((response) => response);
    for (let i = 0; i < 400; i += 1) {
      const body = await (await fetch(`${service.url}/v1/health`, { signal: AbortSignal.timeout(5000) })).json();
      if (body.queue.in_use === 1) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const [viaColorize, viaPassThrough] = await Promise.all([
      request(gateway).post('/api/colorize').attach('image', grayscalePng(16, 16), 'a.png'),
      request(gateway).post('/api/v1/colorize').attach('image', grayscalePng(16, 16), 'a.png'),
    ]);
    for (const response of [viaColorize, viaPassThrough]) {
      assert.equal(response.status, 503);
      assert.equal(response.body.error.code, 'busy');
      assert.match(response.headers['retry-after'], /^\d+$/);
    }
    assert.equal((await slow).status, 200);
  });

  it('not_ready: 503 while the service has no model', async () => {
    const broken = await gatewayFor(failedService.url);
    const viaColorize = await request(broken).post('/api/colorize').attach('image', grayscalePng(16, 16), 'a.png');
    const viaPassThrough = await request(broken)
      .post('/api/v1/colorize')
      .attach('image', grayscalePng(16, 16), 'a.png');
    const model = await request(broken).get('/api/v1/model');
    const health = await request(broken).get('/api/health');
    for (const response of [viaColorize, viaPassThrough, model]) {
      assert.equal(response.status, 503);
      assert.equal(response.body.error.code, 'not_ready');
    }
    // The missing artifact's path (/nonexistent/colorizer.safetensors) reaches no client.
    for (const response of [viaColorize, viaPassThrough, model, health]) {
      assert.ok(!JSON.stringify(response.body).includes('nonexistent'), JSON.stringify(response.body));
      assert.ok(!JSON.stringify(response.body).includes('colorizer.safetensors'), JSON.stringify(response.body));
    }
  });
});

describe('limits of the gateway itself', () => {
  it('takes its upload limit from the service, and refuses a larger upload before it reaches the service', async () => {
    const health = await request(gateway).get('/api/health');
    assert.equal(health.body.gateway.limits.max_upload_bytes, SERVICE_UPLOAD_LIMIT);
    // Declared over the limit and the 64 KB multipart allowance: refused before a byte is read.
    const big = Buffer.alloc(SERVICE_UPLOAD_LIMIT + 80 * 1024, 1);
    for (const path of ['/api/colorize', '/api/v1/colorize']) {
      const response = await request(gateway)
        .post(path)
        .set('X-Request-Id', 'too-big-1')
        .attach('image', big, 'big.png');
      assert.equal(response.status, 413, path);
      assert.deepEqual(response.body, {
        error: {
          code: 'payload_too_large',
          message: `The image is larger than the limit of ${SERVICE_UPLOAD_LIMIT} bytes.`,
          request_id: 'too-big-1',
        },
      });
    }
  });

  it('rate-limits colorize requests per client with 429 JSON', async () => {
    const limited = await gatewayFor(service.url, {
      GATEWAY_RATE_LIMIT_MAX: '2',
      GATEWAY_RATE_LIMIT_WINDOW_MS: '60000',
    });
    const send = (path) => request(limited).post(path).attach('image', grayscalePng(16, 16), 'a.png');
    assert.equal((await send('/api/colorize')).status, 201);
    assert.equal((await send('/api/v1/colorize')).status, 200);
    const refused = await send('/api/colorize');
    assert.equal(refused.status, 429);
    assert.equal(refused.body.error.code, 'rate_limited');
    assert.match(refused.headers['retry-after'], /^\d+$/);
    // Reading is not limited.
    assert.equal((await request(limited).get('/api/v1/model')).status, 200);
  });
});

describe('upstream down and slow', () => {
  it('answers 502 upstream_unavailable when nothing listens at GATEWAY_INFERENCE_URL', async () => {
    const down = await gatewayFor(`http://127.0.0.1:${await freePort()}`);
    const responses = [
      await request(down).post('/api/colorize').attach('image', grayscalePng(16, 16), 'a.png'),
      await request(down).post('/api/v1/colorize').attach('image', grayscalePng(16, 16), 'a.png'),
      await request(down).get('/api/v1/model'),
    ];
    for (const response of responses) {
      assert.equal(response.status, 502);
      assert.deepEqual(withoutRequestId(response.body), {
        error: { code: 'upstream_unavailable', message: 'The inference service cannot be reached.' },
      });
    }
    const health = await request(down).get('/api/health');
    assert.equal(health.status, 503);
    assert.equal(health.body.status, 'degraded');
    assert.equal(health.body.gateway.status, 'ok');
    assert.equal(health.body.inference.status, 'UNREACHABLE');
  });

  it('answers 504 upstream_timeout when the service takes longer than GATEWAY_UPSTREAM_TIMEOUT_MS', async () => {
    const impatient = await gatewayFor(service.url, { GATEWAY_UPSTREAM_TIMEOUT_MS: '40' });
    for (const path of ['/api/colorize', '/api/v1/colorize']) {
      await waitIdle();
      const response = await request(impatient)
        .post(`${path}?render_size=512`)
        .attach('image', grayscalePng(512, 512), 'large.png');
      assert.equal(response.status, 504, path);
      assert.deepEqual(withoutRequestId(response.body), {
        error: { code: 'upstream_timeout', message: 'The inference service did not answer in time.' },
      });
    }
    await waitIdle();
  });
});

describe('GET /api/health', () => {
  it("reports the gateway's and the service's status", async () => {
    const response = await request(gateway).get('/api/health');
    assert.equal(response.status, 200);
    assert.equal(response.body.status, 'ok');
    assert.equal(response.body.gateway.status, 'ok');
    assert.equal(response.body.inference.status, 'READY');
    assert.equal(response.body.inference.detail.model.name, 'tiny-test-colorizer');
  });

  it('is 503 with the reason when the service failed to load its model', async () => {
    const response = await request(await gatewayFor(failedService.url)).get('/api/health');
    assert.equal(response.status, 503);
    assert.equal(response.body.inference.status, 'FAILED');
  });
});
