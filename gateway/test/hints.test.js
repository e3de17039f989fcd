'use strict';

// Colour hints and vibrance through the gateway, against a real inference service
// (gunicorn + torch) on the tiny hint-capable artifact: both parameters reach the
// service unchanged on all three routes, as form fields or in the query string.
const assert = require('node:assert/strict');
const { after, before, describe, it } = require('node:test');
const request = require('supertest');

const { grayscalePng, pngSize } = require('../test-helpers/images');
const { startInferenceService, writeTinyArtifact } = require('../test-helpers/inferenceService');
const { makeGateway } = require('../test-helpers/gateway');

const HINTS = JSON.stringify([
  { x: 0.25, y: 0.5, color: '#c81e1e' },
  { x: 0.8, y: 0.2, color: '#2050d0' },
]);
const VIBRANCE = '1.5';
const IMAGE = grayscalePng(96, 64);

let service;
let gateway;
let closeGateway;

before(async () => {
  service = await startInferenceService({ artifact: await writeTinyArtifact({ hints: true }) });
  ({ app: gateway, close: closeGateway } = await makeGateway({ GATEWAY_INFERENCE_URL: service.url }));
});

after(async () => {
  closeGateway?.();
  await service?.stop();
});

/** Send the image with `fields` as form fields or in the query string. */
function send(req, fields, where) {
  if (where === 'query') req.query(fields);
  else for (const [name, value] of Object.entries(fields)) req.field(name, value);
  return req.attach('image', IMAGE, 'gradient.png').buffer(true);
}

/** The image each route answers: the body itself, or for /api/colorize the stored result. */
const ROUTES = {
  'POST /v1/colorize (the service)': async (fields, where) => {
    const response = await send(request(service.url).post('/v1/colorize'), fields, where);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body;
  },
  'POST /api/v1/colorize (pass-through)': async (fields, where) => {
    const response = await send(request(gateway).post('/api/v1/colorize'), fields, where);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body;
  },
  'POST /api/colorize (the web app)': async (fields, where) => {
    const response = await send(request(gateway).post('/api/colorize'), fields, where);
    assert.equal(response.status, 201, JSON.stringify(response.body));
    const stored = await request(gateway).get(response.body.url).buffer(true);
    assert.equal(stored.status, 200);
    return stored.body;
  },
};

async function direct(fields) {
  return ROUTES['POST /v1/colorize (the service)'](fields, 'form');
}

describe('hints and vibrance pass through', () => {
  it("change the service's answer (so the comparisons below mean something)", async () => {
    const plain = await direct({});
    const steered = await direct({ hints: HINTS, vibrance: VIBRANCE });
    const hintsOnly = await direct({ hints: HINTS });
    const vibranceOnly = await direct({ vibrance: VIBRANCE });
    assert.deepEqual(pngSize(steered), { width: 96, height: 64 });
    for (const [name, other] of Object.entries({ steered, hintsOnly, vibranceOnly })) {
      assert.ok(!other.equals(plain), `${name} is the plain image`);
    }
    assert.ok(!hintsOnly.equals(steered) && !vibranceOnly.equals(steered));
  });

  for (const where of ['form', 'query']) {
    for (const [route, colorize] of Object.entries(ROUTES)) {
      it(`${route}, ${where === 'form' ? 'as form fields' : 'in the query string'}`, async () => {
        for (const fields of [{ hints: HINTS, vibrance: VIBRANCE }, { hints: HINTS }, { vibrance: '0' }]) {
          const expected = await direct(fields);
          const answered = await colorize(fields, where);
          assert.ok(answered.equals(expected), `${route} ${where} ${JSON.stringify(fields)}: not the service's image`);
        }
      });
    }
  }

  it("forwards the query parameters the service's OpenAPI document lists, a list of its own nowhere", async () => {
    const document = (await request(service.url).get('/openapi.json')).body;
    const listed = document.paths['/v1/colorize'].post.parameters
      .filter((parameter) => parameter.in === 'query')
      .map((parameter) => parameter.name);
    assert.ok(listed.includes('render_size') && listed.includes('hints'));
    const [replica] = gateway.locals.pool.replicas.values();
    assert.deepEqual(await gateway.locals.pool.colorizeParametersOf(replica), listed);
  });

  it('GET /api/v1/model says the model takes hints', async () => {
    const response = await request(gateway).get('/api/v1/model');
    assert.equal(response.status, 200);
    assert.equal(response.body.supports_hints, true);
    assert.equal(response.body.max_hints, 64);
  });
});

describe("malformed hints and vibrance get the service's invalid_parameter on every route", () => {
  const CASES = [
    { fields: { hints: '[{"x": 0.5' }, parameter: 'hints' },
    { fields: { hints: JSON.stringify([{ x: 1.5, y: 0.5, color: '#ff0000' }]) }, parameter: 'hints' },
    { fields: { hints: JSON.stringify([{ x: 0.5, y: 0.5, color: 'red' }]) }, parameter: 'hints' },
    { fields: { vibrance: '2.5' }, parameter: 'vibrance' },
    { fields: { vibrance: 'loud' }, parameter: 'vibrance' },
    // Huge and odd numbers (issue 21: the render size one was a 500 on every route).
    { fields: { render_size: '9999999999999999999999999999' }, parameter: 'render_size' },
    { fields: { render_size: '-0x10' }, parameter: 'render_size' },
    { fields: { quality: '1e400' }, parameter: 'quality' },
    { fields: { vibrance: 'NaN' }, parameter: 'vibrance' },
    { fields: { vibrance: '1e400' }, parameter: 'vibrance' },
    { fields: { hints: '[{"x": 1e400, "y": 0.5, "color": "#ff0000"}]' }, parameter: 'hints' },
    { fields: { hints: `[{"x": 1${'0'.repeat(400)}, "y": 0.5, "color": "#ff0000"}]` }, parameter: 'hints' },
  ];
  const PATHS = {
    service: [() => request(service.url), '/v1/colorize'],
    passThrough: [() => request(gateway), '/api/v1/colorize'],
    colorize: [() => request(gateway), '/api/colorize'],
  };

  for (const { fields, parameter } of CASES) {
    for (const where of ['form', 'query']) {
      it(`${JSON.stringify(fields)} ${where === 'form' ? 'as a form field' : 'in the query string'}`, async () => {
        const messages = new Set();
        for (const [name, [client, path]] of Object.entries(PATHS)) {
          const response = await send(client().post(path), fields, where);
          assert.equal(response.status, 422, `${name}: status`);
          assert.equal(response.body.error.code, 'invalid_parameter', `${name}: code`);
          assert.equal(response.body.error.parameter, parameter, `${name}: parameter`);
          messages.add(response.body.error.message);
        }
        assert.equal(messages.size, 1, `the same message everywhere: ${[...messages].join(' | ')}`);
      });
    }
  }
});
