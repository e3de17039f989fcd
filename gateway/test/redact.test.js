'use strict';

// Credentials never reach a log line: an API key in the query string (refused with 401,
// and logged), a password in GATEWAY_INFERENCE_URL (logged, and shown by /api/health), a
// token in a header. Generated names, values and places (fast-check), and the gateway's
// own log lines for requests that carry them.
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { Writable } = require('node:stream');
const { after, before, describe, it } = require('node:test');
const fc = require('fast-check');
const request = require('supertest');

const { createLogger } = require('../src/logger');
const { redactText } = require('../src/redact');
const { makeGateway } = require('../test-helpers/gateway');
const { freePort, tempDir } = require('../test-helpers/inferenceService');

const PARAMETER_NAMES = [
  'api_key',
  'apikey',
  'API_KEY',
  'api-key',
  'key',
  'token',
  'access_token',
  'auth',
  'authorization',
  'password',
  'secret',
  'client_secret',
  'signature',
  'sig',
  'session_id',
];
const value = fc.stringMatching(/^[A-Za-z0-9._~%+-]{12,64}$/);
const apiKey = fc
  .tuple(fc.stringMatching(/^[0-9a-f]{16}$/), fc.stringMatching(/^[A-Za-z0-9_-]{43}$/))
  .map(([id, secret]) => ({ id, secret, key: `clr_${id}_${secret}` }));

describe('redactText', () => {
  it('removes a credential from any query parameter that names one, wherever it is', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...PARAMETER_NAMES),
        value,
        fc.array(fc.stringMatching(/^x[0-9]{1,3}=[a-z0-9]{0,6}$/), { maxLength: 3 }),
        fc.constantFrom('&', ';'),
        (name, secret, others, separator) => {
          const url = `/api/v1/model?${[...others, `${name}=${secret}`, ...others].join(separator)}`;
          const redacted = redactText(url);
          assert.ok(!redacted.includes(secret), redacted);
          assert.ok(redacted.includes('[redacted]'), redacted);
          for (const other of others) assert.ok(redacted.includes(other), `${other} stays: ${redacted}`);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("keeps an API key's public id and removes its secret, in any text", () => {
    fc.assert(
      fc.property(apiKey, fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 }), ({ id, secret, key }, a, b) => {
        fc.pre(!`${a} ${b}`.includes(secret));
        const redacted = redactText(`${a} ${key} ${b}`);
        assert.ok(!redacted.includes(secret));
        assert.ok(redacted.includes(`clr_${id}_`));
      }),
    );
  });

  it('removes user information from URLs, and bearer tokens and credential headers', () => {
    assert.equal(redactText('http://user:hunter2@inference:8000/v1'), 'http://[redacted]@inference:8000/v1');
    assert.equal(redactText('redis://:pa55@redis:6379'), 'redis://[redacted]@redis:6379');
    assert.equal(redactText('Authorization: Bearer abc.def'), 'Authorization: Bearer [redacted]');
    // Headers logged as JSON: a credential header's whole value goes, the others stay.
    const headers = { Authorization: 'Basic dTpw', 'x-api-key': 'k"\\"k', Cookie: 'a=b', accept: 'image/png' };
    assert.deepEqual(JSON.parse(redactText(JSON.stringify({ headers }))).headers, {
      Authorization: '[redacted]',
      'x-api-key': '[redacted]',
      Cookie: '[redacted]',
      accept: 'image/png',
    });
    // What is not a credential stays as it was.
    assert.equal(
      redactText('/api/images/abc?download=1&render_size=512'),
      '/api/images/abc?download=1&render_size=512',
    );
  });
});

describe("the gateway's log lines", () => {
  const lines = [];
  let gateway;
  const password = 'hunter2-inference-password';

  before(async () => {
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    gateway = await makeGateway(
      {
        GATEWAY_INFERENCE_URL: `http://colorizer:${password}@127.0.0.1:${await freePort()}`,
        GATEWAY_INFERENCE_HEALTH_INTERVAL_MS: '0',
        GATEWAY_AUTH: 'keys',
        GATEWAY_SIGNING_SECRET: 'redact-test-signing-secret-0123456789',
        GATEWAY_KEYS_FILE: path.join(tempDir('gateway-redact-'), 'keys.json'),
      },
      { logger: createLogger('info', destination) },
    );
  });

  after(() => gateway?.close());

  it('never hold a key from the query string, nor a password of the inference URL', async () => {
    const key = `clr_0123456789abcdef_${'S'.repeat(43)}`;
    for (const target of [`/api/v1/model?api_key=${key}`, `/api/colorize?token=${'T'.repeat(20)}&x=1`]) {
      const response = await request(gateway.app).get(target).set('Authorization', `Bearer ${key}`);
      assert.equal(response.status, 401);
    }
    const health = await request(gateway.app).get('/api/health');
    assert.ok(!JSON.stringify(health.body).includes(password), JSON.stringify(health.body.inference));
    const logs = lines.join('');
    assert.match(logs, /api_key=\[redacted\]/);
    for (const secret of ['S'.repeat(43), 'T'.repeat(20), password]) {
      assert.ok(!logs.includes(secret), `${secret} is in the logs`);
    }
  });
});

describe('a gateway that cannot start', () => {
  it('does not print the password of a setting it refuses', () => {
    const password = 'hunter2-refused-url-password';
    const started = spawnSync(process.execPath, [path.join(__dirname, '..', 'src', 'server.js')], {
      env: { ...process.env, GATEWAY_INFERENCE_URL: `ftp://colorizer:${password}@inference` },
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(started.status, 1, started.stderr);
    assert.match(started.stderr, /GATEWAY_INFERENCE_URL must be an absolute http\(s\) URL/);
    assert.ok(!`${started.stdout}${started.stderr}`.includes(password), started.stderr);
  });
});
