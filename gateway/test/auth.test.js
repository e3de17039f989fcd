'use strict';

// GATEWAY_AUTH=keys with keys made by the real `colorizer keys` command, against a real
// inference service in keys mode (it takes only requests the gateways signed): two
// gateway processes sharing a keys file, and two sharing a real Redis (keys, limits and
// results there). No key, a wrong one, a revoked one (on both gateways at once), another
// key's result or film, the key's rate and daily quota, and logs that carry the key id
// but never the key.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { after, before, describe, it } = require('node:test');
const request = require('supertest');

const { signClient } = require('../src/clientIdentity');
const { ContractChecker } = require('../test-helpers/contract');
const { startGatewayProcess } = require('../test-helpers/gatewayProcess');
const { grayscalePng } = require('../test-helpers/images');
const { startInferenceService, tempDir, writeTinyArtifact } = require('../test-helpers/inferenceService');
const { createKey, revokeKey } = require('../test-helpers/keys');
const { startRedis } = require('../test-helpers/redisServer');

const SIGNING_SECRET = 'auth-test-signing-secret-0123456789abcdef';
const CLIP = path.join(__dirname, '..', '..', 'tests', 'fixtures', 'videos', 'pan-160x120.mp4');

let service;
let redis;
const toStop = [];

before(async () => {
  [service, redis] = await Promise.all([
    writeTinyArtifact().then((artifact) =>
      startInferenceService({
        artifact,
        env: { COLORIZER_AUTH: 'keys', COLORIZER_SIGNING_SECRET: SIGNING_SECRET },
      }),
    ),
    startRedis(),
  ]);
});

after(async () => {
  await Promise.all(toStop.map((item) => item.stop()));
  await Promise.all([redis?.stop(), service?.stop()]);
});

/** A gateway process with GATEWAY_AUTH=keys in front of `service`, signing with its secret. */
async function keysGateway(env) {
  const gateway = await startGatewayProcess({
    GATEWAY_INFERENCE_URL: service.url,
    GATEWAY_AUTH: 'keys',
    GATEWAY_SIGNING_SECRET: SIGNING_SECRET,
    GATEWAY_LOG_LEVEL: 'info',
    ...env,
  });
  toStop.push(gateway);
  return gateway;
}

const twoGateways = (env) => Promise.all([keysGateway(env), keysGateway(env)]);

function colorize(url, key, { header = 'bearer' } = {}) {
  const call = request(url).post('/api/colorize');
  if (key !== undefined) {
    if (header === 'bearer') call.set('Authorization', `Bearer ${key}`);
    else call.set('X-API-Key', key);
  }
  return call.attach('image', grayscalePng(32, 24), 'page.png');
}

const withKey = (call, key) => call.set('Authorization', `Bearer ${key}`);

function assertError(response, status, code) {
  assert.equal(response.status, status, JSON.stringify(response.body));
  assert.match(response.headers['content-type'], /^application\/json/);
  assert.equal(response.body.error.code, code, JSON.stringify(response.body));
}

describe('GATEWAY_AUTH=keys with a keys file shared by two gateways', () => {
  let keysFile;
  let first;
  let second;
  let alice;
  let bob;

  before(async () => {
    keysFile = path.join(tempDir('gateway-keys-'), 'keys.json');
    alice = await createKey({ keysFile }, 'alice');
    bob = await createKey({ keysFile }, 'bob');
    [first, second] = await twoGateways({ GATEWAY_KEYS_FILE: keysFile });
  });

  it('stores only digests: the keys file never holds a key', () => {
    const text = fs.readFileSync(keysFile, 'utf8');
    assert.ok(!text.includes(alice.key) && !text.includes(alice.key.split('_')[2]));
    assert.match(alice.key, /^clr_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    assert.equal(JSON.parse(text).keys[alice.id].name, 'alice');
  });

  it('answers 401 JSON without a key, with a malformed one, or with a wrong secret', async () => {
    const missing = await colorize(first.url);
    assertError(missing, 401, 'api_key_missing');
    assert.match(missing.headers['www-authenticate'], /^Bearer/);
    assertError(await colorize(first.url, 'not-a-key'), 401, 'api_key_invalid');
    const wrongSecret = `clr_${alice.id}_${'A'.repeat(43)}`;
    assertError(await colorize(first.url, wrongSecret), 401, 'api_key_invalid');
    assertError(await request(first.url).get('/api/v1/model'), 401, 'api_key_missing');
    assertError(await request(first.url).get('/api/images/AAAAAAAAAAAAAAAAAAAAAAAA'), 401, 'api_key_missing');
    const otherScheme = await request(first.url).get('/api/v1/model').set('Authorization', `Basic ${alice.key}`);
    assertError(otherScheme, 401, 'api_key_invalid');
  });

  it('leaves health, the API docs and the web app open, and says the mode in /api/health', async () => {
    const health = await request(first.url).get('/api/health');
    assert.equal(health.status, 200);
    assert.equal(health.body.gateway.auth, 'keys');
    assert.equal((await request(first.url).get('/api/v1/health')).status, 200);
    assert.equal((await request(first.url).get('/api/openapi.json')).status, 200);
    assert.equal((await request(first.url).get('/api/docs')).status, 200);
    // The web app itself (not built in this test: its JSON 404, not a 401).
    assertError(await request(first.url).get('/'), 404, 'frontend_not_built');
  });

  it('colorizes with a key (Bearer or X-API-Key) and keeps each result private to its key', async () => {
    const made = await colorize(first.url, alice.key);
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const viaHeader = await colorize(second.url, bob.key, { header: 'x-api-key' });
    assert.equal(viaHeader.status, 201, JSON.stringify(viaHeader.body));

    // Alice's result (on the disk of the gateway that made it): hers, 404 to Bob (as if it
    // did not exist), 401 without a key.
    const own = await withKey(request(first.url).get(made.body.url), alice.key);
    assert.equal(own.status, 200);
    assert.equal(own.headers['content-type'], 'image/png');
    assert.equal(own.headers.vary, 'Authorization, X-API-Key');
    assertError(await withKey(request(first.url).get(made.body.url), bob.key), 404, 'not_found');
    assertError(await withKey(request(first.url).get(made.body.download_url), bob.key), 404, 'not_found');
    assertError(await request(first.url).get(made.body.url), 401, 'api_key_missing');
    const bobs = await withKey(request(second.url).get(viaHeader.body.url), bob.key);
    assert.equal(bobs.status, 200);
    assertError(await withKey(request(second.url).get(viaHeader.body.url), alice.key), 404, 'not_found');
    const model = await request(first.url).get('/api/v1/model').set('X-API-Key', bob.key);
    assert.equal(model.status, 200);
    const direct = await withKey(request(second.url).post('/api/v1/colorize'), bob.key).attach(
      'image',
      grayscalePng(16, 16),
      'a.png',
    );
    assert.equal(direct.status, 200);
  });

  it('answers as its OpenAPI document says, with and without a key', async () => {
    const checker = new ContractChecker((await request(first.url).get('/api/openapi.json')).body);
    const unknownId = '/api/images/AAAAAAAAAAAAAAAAAAAAAAAA';
    checker.check('POST', '/api/colorize', await colorize(first.url));
    checker.check('GET', '/api/v1/model', await request(first.url).get('/api/v1/model'));
    checker.check('GET', unknownId, await request(first.url).get(unknownId));
    checker.check('GET', unknownId, await withKey(request(first.url).get(unknownId), alice.key));
    checker.check('POST', '/api/colorize', await colorize(first.url, alice.key));
    checker.check('GET', '/api/health', await request(first.url).get('/api/health'));
  });

  it('refuses a revoked key at once, on both gateways', async () => {
    const carol = await createKey({ keysFile }, 'carol');
    assert.equal((await colorize(first.url, carol.key)).status, 201);
    assert.equal((await colorize(second.url, carol.key)).status, 201);
    const revoked = await revokeKey({ keysFile }, carol.id);
    assert.ok(revoked.revoked_at);
    for (const gateway of [first, second]) {
      assertError(await colorize(gateway.url, carol.key), 401, 'api_key_revoked');
      assertError(await withKey(request(gateway.url).get('/api/v1/model'), carol.key), 401, 'api_key_revoked');
    }
    assert.equal((await colorize(first.url, alice.key)).status, 201, 'other keys still work');
  });

  it("answers the red team's upper-case paths 404 without a key: nothing is colorized or queued", async () => {
    const attempts = [
      request(first.url).post('/API/colorize').attach('image', grayscalePng(16, 16), 'a.png'),
      request(first.url).post('/API/v1/colorize').attach('image', grayscalePng(16, 16), 'a.png'),
      request(first.url).post('/API/v1/videos').attach('video', CLIP),
      request(first.url).get('/aPI/v1/model'),
    ];
    for (const response of await Promise.all(attempts)) assertError(response, 404, 'not_found');
  });

  it('is the only way in: the service refuses what no gateway signed, and a client cannot name another', async () => {
    // Straight to the service's port (as after a wrong bind): its health, and nothing else.
    assert.equal((await request(service.url).get('/v1/health')).status, 200);
    assertError(await request(service.url).get('/v1/model'), 401, 'client_not_signed');
    const named = { 'X-Colorizer-Client': `key:${alice.id}` };
    assertError(await request(service.url).get('/v1/model').set(named), 401, 'client_not_signed');
    const wrongSecret = signClient('a-guessed-secret-0123456789abcdefghij', named['X-Colorizer-Client']);
    const guessed = request(service.url)
      .get('/v1/model')
      .set({ ...named, 'X-Colorizer-Signature': wrongSecret });
    assertError(await guessed, 401, 'client_not_signed');

    // Alice's film is hers; Bob naming her through a gateway, even with a valid signature, is still Bob.
    const made = await withKey(request(first.url).post('/api/v1/videos'), alice.key).attach('video', CLIP);
    assert.equal(made.status, 202, JSON.stringify(made.body));
    const statusUrl = made.body.status_url;
    assert.equal((await withKey(request(second.url).get(statusUrl), alice.key)).status, 200);
    const forged = withKey(request(second.url).get(statusUrl), bob.key).set({
      ...named,
      'X-Colorizer-Signature': signClient(SIGNING_SECRET, named['X-Colorizer-Client']),
    });
    assertError(await forged, 404, 'not_found');
    assertError(
      await request(service.url)
        .get(statusUrl.replace(/^\/api/, ''))
        .set(named),
      401,
      'client_not_signed',
    );
    assert.ok([200, 204].includes((await withKey(request(first.url).delete(statusUrl), alice.key)).status));
  });

  it("gives refused uploads back to the key's quota in each gateway's memory too", async () => {
    const once = await createKey({ keysFile }, 'once', { quota: 1 });
    for (const route of ['/api/colorize', '/api/v1/colorize']) {
      const refused = await withKey(request(first.url).post(route), once.key).attach(
        'image',
        Buffer.from('no'),
        'a.png',
      );
      assertError(refused, 400, 'invalid_image');
    }
    assert.equal((await colorize(first.url, once.key)).status, 201);
    assertError(await colorize(first.url, once.key), 429, 'quota_exceeded');
  });

  it('logs the key id, never the key', async () => {
    await colorize(first.url, alice.key);
    await colorize(second.url, `clr_${bob.id}_${'B'.repeat(43)}`);
    const logs = [...first.logs, ...second.logs, ...service.logs].join('');
    for (const key of [alice.key, bob.key]) {
      assert.ok(!logs.includes(key), 'a key is in the logs');
      assert.ok(!logs.includes(key.slice(-43)), "a key's secret is in the logs");
    }
    assert.ok(!logs.includes('B'.repeat(43)), 'a wrong secret is in the logs');
    const lines = first.logs
      .join('')
      .split('\n')
      .filter((line) => line.includes('"key_id"'));
    assert.ok(
      lines.some((line) => JSON.parse(line).key_id === alice.id),
      'the request log carries the key id',
    );
  });
});

describe('GATEWAY_AUTH=keys with keys, limits and results in one Redis', () => {
  const prefix = 'authtest:';
  let first;
  let second;
  const where = () => ({ redisUrl: redis.url, prefix });

  before(async () => {
    [first, second] = await twoGateways({ GATEWAY_REDIS_URL: redis.url, GATEWAY_REDIS_KEY_PREFIX: prefix });
  });

  it('counts a daily quota across both gateways: 429 quota_exceeded with Retry-After and RateLimit headers', async () => {
    const limited = await createKey(where(), 'museum', { quota: 2 });
    assert.equal((await colorize(first.url, limited.key)).status, 201);
    const secondOne = await colorize(second.url, limited.key);
    assert.equal(secondOne.status, 201);
    assert.match(secondOne.headers.ratelimit, /"key-quota"; r=0; t=\d+/);
    const refused = await colorize(first.url, limited.key);
    assertError(refused, 429, 'quota_exceeded');
    new ContractChecker((await request(first.url).get('/api/openapi.json')).body).check(
      'POST',
      '/api/colorize',
      refused,
    );
    const retryAfter = Number(refused.headers['retry-after']);
    assert.ok(retryAfter > 86_000 && retryAfter <= 86_400, `a day from the first image: ${retryAfter} s`);
    assert.match(refused.headers['ratelimit-policy'], /"key-quota"; q=2; w=86400/);
    assert.ok(!JSON.stringify(refused.body).includes(limited.key));
    // The pass-through counts too, and another key is not affected.
    const direct = await withKey(request(second.url).post('/api/v1/colorize'), limited.key).attach(
      'image',
      grayscalePng(16, 16),
      'a.png',
    );
    assertError(direct, 429, 'quota_exceeded');
    const other = await createKey(where(), 'studio');
    assert.equal((await colorize(second.url, other.key)).status, 201);
  });

  it('counts only the requests that did work: refused uploads use none of the quota or the rate', async () => {
    const careful = await createKey(where(), 'careful', { quota: 2, rate: 2 });
    const garbage = (gateway, route) =>
      withKey(request(gateway.url).post(route), careful.key).attach('image', Buffer.from('not an image'), 'a.png');
    for (const [gateway, route] of [
      [first, '/api/colorize'],
      [second, '/api/v1/colorize'],
      [first, '/api/v1/colorize'],
    ]) {
      assertError(await garbage(gateway, route), 400, 'invalid_image');
    }
    assert.equal((await colorize(second.url, careful.key)).status, 201);
    const last = await colorize(first.url, careful.key);
    assert.equal(last.status, 201, JSON.stringify(last.body));
    assert.match(last.headers.ratelimit, /"key-quota"; r=0; t=\d+/);
    assertError(await colorize(second.url, careful.key), 429, 'rate_limited');
    // A refusal is not work either: the quota is used up by the two images, no more.
    assertError(await garbage(first, '/api/colorize'), 429, 'rate_limited');
  });

  it("limits a key's colorizations per minute", async () => {
    const slow = await createKey(where(), 'slow', { rate: 1 });
    assert.equal((await colorize(first.url, slow.key)).status, 201);
    const refused = await colorize(second.url, slow.key);
    assertError(refused, 429, 'rate_limited');
    const retryAfter = Number(refused.headers['retry-after']);
    assert.ok(retryAfter >= 1 && retryAfter <= 60, String(retryAfter));
    assert.match(refused.headers.ratelimit, /"key-rate"; r=0; t=\d+/);
  });

  it('revokes at once on both gateways, and keeps results private', async () => {
    const [owner, stranger] = [await createKey(where(), 'owner'), await createKey(where(), 'stranger')];
    const made = await colorize(first.url, owner.key);
    assert.equal(made.status, 201);
    assert.equal((await withKey(request(second.url).get(made.body.url), owner.key)).status, 200);
    assertError(await withKey(request(second.url).get(made.body.url), stranger.key), 404, 'not_found');
    await revokeKey(where(), owner.id);
    for (const gateway of [first, second]) {
      assertError(await withKey(request(gateway.url).get(made.body.url), owner.key), 401, 'api_key_revoked');
    }
  });

  it('answers 503 key_store_unavailable while Redis is away, and works again when it is back', async () => {
    const ownRedis = await startRedis();
    toStop.push(ownRedis);
    const key = await createKey({ redisUrl: ownRedis.url }, 'outage');
    const gateway = await keysGateway({ GATEWAY_REDIS_URL: ownRedis.url, GATEWAY_LOG_LEVEL: 'warn' });
    assert.equal((await withKey(request(gateway.url).get('/api/v1/model'), key.key)).status, 200);
    await ownRedis.stop();
    const refused = await withKey(request(gateway.url).get('/api/v1/model'), key.key);
    assertError(refused, 503, 'key_store_unavailable');
    assert.match(refused.headers['retry-after'], /^\d+$/);
    // In memory only (the test's Redis): the key is gone with it; a new one on the restarted Redis.
    const restarted = await startRedis({ port: ownRedis.port });
    toStop.push(restarted);
    const again = await createKey({ redisUrl: restarted.url }, 'after');
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (await withKey(request(gateway.url).get('/api/v1/model'), again.key)).status;
    }
    assert.equal(status, 200);
  });
});
