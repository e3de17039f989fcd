'use strict';

// Every spelling of an API path but the canonical one, generated (fast-check): another
// case, "//", "/./", "/x/..", an escaped "/" or letter, a backslash, a trailing dot or
// slash. With GATEWAY_AUTH=keys and no key, none may reach a route that needs a key (the
// red team's `POST /API/colorize` did). The inference service here is a closed port: a
// request that got past the key check to the pass-through or the colorize route would
// answer 502 (no replica) instead of being refused.
const assert = require('node:assert/strict');
const http = require('node:http');
const path = require('node:path');
const { after, before, describe, it } = require('node:test');
const fc = require('fast-check');

const { CANONICAL_API_PATH, meansApi } = require('../src/paths');
const { makeGateway } = require('../test-helpers/gateway');
const { freePort, tempDir } = require('../test-helpers/inferenceService');

const RESULT_ID = 'AAAAAAAAAAAAAAAAAAAAAAAA';
// [method, canonical path] of routes that need a key.
const PROTECTED = [
  ['POST', '/api/colorize'],
  ['POST', '/api/v1/colorize'],
  ['POST', '/api/v1/videos'],
  ['GET', '/api/v1/model'],
  ['GET', '/api/v1/videos/0123456789abcdef0123456789abcdef'],
  ['DELETE', '/api/v1/videos/0123456789abcdef0123456789abcdef'],
  ['GET', `/api/images/${RESULT_ID}`],
];

/** One way of spelling `text` differently at `at` (a position, taken modulo the length). */
const MUTATIONS = {
  upper: (text, at) => text.slice(0, at) + text[at].toUpperCase() + text.slice(at + 1),
  escape: (text, at) =>
    text.slice(0, at) + `%${text.charCodeAt(at).toString(16).padStart(2, '0')}` + text.slice(at + 1),
  escapeUpper: (text, at) =>
    text.slice(0, at) + `%${text.charCodeAt(at).toString(16).toUpperCase()}` + text.slice(at + 1),
  double: (text, at) => onSlash(text, at, '//'),
  dot: (text, at) => onSlash(text, at, '/./'),
  dotDot: (text, at) => onSlash(text, at, '/x/../'),
  escapedSlash: (text, at) => onSlash(text, at, '%2F'),
  escapedSlashLower: (text, at) => onSlash(text, at, '%2f'),
  backslash: (text, at) => onSlash(text, at, '\\'),
  trailingDot: (text, at) => onSlash(`${text}/`, at, './').replace(/\/$/, ''),
  trailingSlash: (text) => `${text}/`,
};

/** `text` with the slash at or after `at` (the second one if none) replaced by `by`; the leading one stays. */
function onSlash(text, at, by) {
  let index = text.indexOf('/', Math.max(at, 1));
  if (index < 0) index = text.indexOf('/', 1);
  return text.slice(0, index) + by + text.slice(index + 1);
}

const mutation = fc.record({ kind: fc.constantFrom(...Object.keys(MUTATIONS)), at: fc.nat() });

/** `canonical` spelt by `steps` (1 to 3 mutations, never of the leading "/"); escapes are sent as they are. */
function respell(canonical, steps) {
  let text = canonical;
  for (const { kind, at } of steps) text = MUTATIONS[kind](text, 1 + (at % (text.length - 1)));
  return text;
}

const variant = fc
  .tuple(fc.constantFrom(...PROTECTED), fc.array(mutation, { minLength: 1, maxLength: 3 }))
  .map(([[method, canonical], steps]) => ({ method, canonical, sent: respell(canonical, steps) }))
  .filter(({ canonical, sent }) => sent !== canonical);

const gateways = [];
let server; // GATEWAY_AUTH=keys
let openServer; // GATEWAY_AUTH=off, one POST per address a minute

/** A gateway app (on a closed inference port) listening on a loopback port. */
async function listening(env) {
  const made = await makeGateway({
    GATEWAY_INFERENCE_URL: `http://127.0.0.1:${await freePort()}`,
    GATEWAY_INFERENCE_HEALTH_INTERVAL_MS: '0',
    ...env,
  });
  gateways.push(made);
  const listener = http.createServer(made.app).listen(0, '127.0.0.1');
  await new Promise((resolve) => listener.once('listening', resolve));
  return listener;
}

before(async () => {
  server = await listening({
    GATEWAY_AUTH: 'keys',
    GATEWAY_SIGNING_SECRET: 'paths-test-signing-secret-0123456789',
    // No file: no key is valid, and none is sent anyway.
    GATEWAY_KEYS_FILE: path.join(tempDir('gateway-paths-'), 'keys.json'),
  });
  openServer = await listening({ GATEWAY_RATE_LIMIT_MAX: '1' });
});

after(() => {
  for (const listener of [server, openServer]) listener?.close();
  for (const made of gateways) made.close();
});

/**
 * `method target` with the target exactly as given (supertest's URL parser would turn
 * "\\" into "/" and resolve "." and ".." segments first). Resolves to {status, headers, body}.
 */
function send(method, target, to = server) {
  return new Promise((resolve, reject) => {
    const body = method === 'POST' ? 'x' : null;
    const call = http.request(
      { host: '127.0.0.1', port: to.address().port, method, path: target, agent: false },
      (response) => {
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed = null;
          try {
            parsed = JSON.parse(text);
          } catch {
            /* not JSON: the assertions say so */
          }
          resolve({ status: response.statusCode, headers: response.headers, body: parsed });
        });
      },
    );
    call.on('error', reject);
    if (body) call.setHeader('Content-Type', 'image/png');
    call.end(body);
  });
}

describe('API paths in another spelling, without a key', () => {
  it("refuses the red team's four", async () => {
    for (const [method, target] of [
      ['POST', '/API/colorize'],
      ['POST', '/API/v1/colorize'],
      ['POST', '/API/v1/videos'],
      ['GET', '/aPI/v1/model'],
    ]) {
      const response = await send(method, target);
      assert.equal(response.status, 404, `${method} ${target}: ${JSON.stringify(response.body)}`);
      assert.equal(response.body?.error?.code, 'not_found');
    }
  });

  it('refuses every generated spelling before any route answers it', async () => {
    await fc.assert(
      fc.asyncProperty(variant, async ({ method, sent }) => {
        const response = await send(method, sent);
        const where = `${method} ${sent}: ${response.status} ${JSON.stringify(response.body)}`;
        assert.ok([400, 401, 404].includes(response.status), where);
        assert.match(response.headers['content-type'], /^application\/json/, where);
        assert.ok(['invalid_path', 'not_found', 'api_key_missing'].includes(response.body?.error?.code), where);
        // Only the canonical spelling (a later letter in upper case is canonical, and
        // needs a key like any API path) gets as far as the key check.
        if (response.status === 401) assert.match(sent, CANONICAL_API_PATH, where);
      }),
      { numRuns: 300 },
    );
  });

  it('answers the canonical spelling with 401, and leaves open only the open routes as written', async () => {
    for (const [method, canonical] of PROTECTED) {
      assert.equal((await send(method, canonical)).status, 401, canonical);
    }
    assert.notEqual((await send('GET', '/api/health')).status, 401);
    assert.equal((await send('GET', '/api/docs')).status, 200);
    assert.equal((await send('GET', '/API/health')).status, 404);
    assert.equal((await send('GET', '/api/health/')).status, 400);
    assert.equal((await send('GET', '/api/docs/../v1/model')).status, 400);
    assert.equal((await send('GET', '/api/docs/x/y')).status, 401);
  });
});

describe('API paths in another spelling, with GATEWAY_AUTH=off', () => {
  it('reach no route: only a canonical spelling is counted by the rate limit or passed through', async () => {
    await fc.assert(
      fc.asyncProperty(variant, async ({ method, sent }) => {
        const response = await send(method, sent, openServer);
        const where = `${method} ${sent}: ${response.status} ${JSON.stringify(response.body)}`;
        const code = response.body?.error?.code;
        if ((response.status === 400 && code === 'invalid_path') || (response.status === 404 && code === 'not_found')) {
          return; // refused before any route, or no route
        }
        // Past the paths check (a later letter in upper case) and answered by a route: the
        // pass-through (502 here: the service's port is closed) or the rate limit (429).
        assert.ok([429, 502].includes(response.status), where);
        assert.match(sent, CANONICAL_API_PATH, where);
      }),
      { numRuns: 200 },
    );
  });
});

describe('which paths mean the API', () => {
  it('is decided on the decoded, case-folded first segment', () => {
    for (const text of ['/api', '/API/x', '//api/x', '/%61pi/x', '/api./x', '/Api%2Fv1', '/%zz', '\\api']) {
      assert.ok(meansApi(text), text);
    }
    for (const text of ['/', '/apiary', '/about/api', '/assets/index.js', '/x/api']) {
      assert.ok(!meansApi(text), text);
    }
  });

  it('leaves the web app its own paths', async () => {
    for (const target of ['/about', '/apiary/x', '/about/API']) {
      const response = await send('GET', target);
      assert.notEqual(response.body?.error?.code, 'invalid_path', target);
    }
  });
});
