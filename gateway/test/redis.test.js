'use strict';

// Several gateways sharing one real Redis (redis-server on a free loopback port) in
// front of one real inference service: any gateway serves any result, results
// expire by Redis's own TTL, the size cap holds across gateways, and a Redis that
// goes away is answered with 503 before any inference is spent.
const assert = require('node:assert/strict');
const { after, before, describe, it } = require('node:test');
const Redis = require('ioredis');
const request = require('supertest');

const { makeGateway } = require('../test-helpers/gateway');
const { startGatewayProcess } = require('../test-helpers/gatewayProcess');
const { grayscalePng, pngSize } = require('../test-helpers/images');
const { freePort, startInferenceService, writeTinyArtifact } = require('../test-helpers/inferenceService');
const { startRedis } = require('../test-helpers/redisServer');

// Below 1.5 s: the answer rounds its seconds, and 1.5 rounds up when stored and answered in one millisecond.
const SHORT_TTL_MS = 1400;

let service;
let redis;
let redisClient;
let first;
let second;
const toStop = [];

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function colorize(target, image = grayscalePng(64, 48), filename = 'album page.png') {
  return request(target).post('/api/colorize').attach('image', image, filename);
}

before(async () => {
  [service, redis] = await Promise.all([
    writeTinyArtifact().then((artifact) => startInferenceService({ artifact })),
    startRedis(),
  ]);
  redisClient = new Redis(redis.url);
  // Two gateway processes on one Redis; the second keeps what it stores only briefly.
  [first, second] = await Promise.all([
    startGatewayProcess({ GATEWAY_INFERENCE_URL: service.url, GATEWAY_REDIS_URL: redis.url }),
    startGatewayProcess({
      GATEWAY_INFERENCE_URL: service.url,
      GATEWAY_REDIS_URL: redis.url,
      GATEWAY_RESULT_TTL_MS: String(SHORT_TTL_MS),
    }),
  ]);
  toStop.push(first, second);
});

after(async () => {
  await Promise.all(toStop.map((item) => item.stop()));
  redisClient?.disconnect();
  await Promise.all([redis?.stop(), service?.stop()]);
});

describe('two gateway processes sharing one Redis', () => {
  it('serves a result made through one gateway from the other', async () => {
    const made = await colorize(first.url, grayscalePng(80, 60), 'portrait.png');
    assert.equal(made.status, 201);
    assert.equal(made.body.width, 80);

    const fromSecond = await request(second.url).get(made.body.url).buffer(true);
    const fromFirst = await request(first.url).get(made.body.download_url).buffer(true);
    assert.equal(fromSecond.status, 200);
    assert.equal(fromSecond.headers['content-type'], 'image/png');
    assert.equal(fromSecond.headers['content-disposition'], 'inline; filename="portrait-colorized.png"');
    assert.equal(Number(fromSecond.headers['content-length']), made.body.bytes);
    assert.deepEqual(pngSize(fromSecond.body), { width: 80, height: 60 });
    assert.equal(fromFirst.headers['content-disposition'], 'attachment; filename="portrait-colorized.png"');
    assert.ok(fromFirst.body.equals(fromSecond.body), 'both gateways serve the same bytes');

    // Unchanged results answer 304 to a revalidation, from either gateway.
    const revalidated = await request(first.url).get(made.body.url).set('If-None-Match', fromSecond.headers.etag);
    assert.equal(revalidated.status, 304);

    const ttl = await redisClient.pttl(`colorizer:result:${made.body.id}`);
    assert.ok(ttl > 3590_000 && ttl <= 3600_000, `a native Redis TTL of about an hour, got ${ttl} ms`);
  });

  it('expires results by Redis TTL: gone from both gateways and from Redis', async () => {
    const made = await colorize(second.url);
    assert.equal(made.status, 201);
    assert.ok(made.body.expires_in_s <= SHORT_TTL_MS / 1000);
    assert.equal((await request(first.url).get(made.body.url)).status, 200);

    await sleep(SHORT_TTL_MS + 300);
    for (const gateway of [first, second]) {
      const expired = await request(gateway.url).get(made.body.url);
      assert.equal(expired.status, 404);
      assert.equal(expired.body.error.code, 'not_found');
    }
    assert.equal(await redisClient.exists(`colorizer:result:${made.body.id}`), 0, 'Redis dropped the key itself');
    assert.notEqual(await redisClient.zscore('colorizer:index', made.body.id), null);
    await request(first.url).get('/api/health'); // the store's next script drops it from the accounting
    assert.equal(await redisClient.zscore('colorizer:index', made.body.id), null);
  });

  it('reports the shared store in /api/health', async () => {
    const health = await request(first.url).get('/api/health');
    assert.equal(health.status, 200);
    const { results } = health.body.gateway;
    assert.equal(results.backend, 'redis');
    assert.equal(results.status, 'ok');
    assert.equal(typeof results.count, 'number');
    assert.equal(results.bytes, Number(await redisClient.get('colorizer:bytes')));
  });
});

describe('the Redis store on its own', () => {
  it('keeps the total under GATEWAY_RESULT_MAX_BYTES across gateways by evicting the oldest', async () => {
    const image = grayscalePng(64, 64);
    const { bytes } = (await colorize(first.url, image)).body; // same input, same output size
    const env = {
      GATEWAY_INFERENCE_URL: service.url,
      GATEWAY_REDIS_URL: redis.url,
      GATEWAY_REDIS_KEY_PREFIX: 'capped:',
      GATEWAY_RESULT_MAX_BYTES: String(Math.floor(bytes * 2.5)),
    };
    const [one, two] = [await makeGateway(env), await makeGateway(env)];
    toStop.push({
      stop: async () => {
        one.close();
        two.close();
      },
    });

    const ids = [];
    for (const gateway of [one, two, one]) ids.push((await colorize(gateway.app, image)).body.id);
    const statuses = [];
    for (const id of ids) statuses.push((await request(two.app).get(`/api/images/${id}`)).status);
    assert.deepEqual(statuses, [404, 200, 200]);
    assert.equal(Number(await redisClient.get('capped:bytes')), bytes * 2);
    assert.equal(await redisClient.exists(`capped:result:${ids[0]}`), 0);
    assert.deepEqual(
      await redisClient.zrange('capped:index', 0, -1),
      ids.slice(1),
      'GATEWAY_REDIS_KEY_PREFIX keeps it apart',
    );

    const tooSmall = await makeGateway({ ...env, GATEWAY_RESULT_MAX_BYTES: '100' });
    toStop.push({ stop: async () => tooSmall.close() });
    const refused = await colorize(tooSmall.app, image);
    assert.equal(refused.status, 507);
    assert.equal(refused.body.error.code, 'result_too_large');
  });

  it('counts GATEWAY_RATE_LIMIT_MAX for a client across all gateways', async () => {
    const env = {
      GATEWAY_INFERENCE_URL: service.url,
      GATEWAY_REDIS_URL: redis.url,
      GATEWAY_REDIS_KEY_PREFIX: 'limited:',
      GATEWAY_RATE_LIMIT_MAX: '2',
      GATEWAY_RATE_LIMIT_WINDOW_MS: '60000',
    };
    const [one, two] = [await makeGateway(env), await makeGateway(env)];
    toStop.push({
      stop: async () => {
        one.close();
        two.close();
      },
    });
    assert.equal((await colorize(one.app)).status, 201);
    assert.equal(
      (await request(two.app).post('/api/v1/colorize').attach('image', grayscalePng(16, 16), 'a.png')).status,
      200,
    );
    const refused = await colorize(one.app);
    assert.equal(refused.status, 429, 'the third request of the window, whichever gateway took the first two');
    assert.equal(refused.body.error.code, 'rate_limited');
    const keys = await redisClient.keys('limited:rate:*');
    assert.equal(keys.length, 1, JSON.stringify(keys));
    const ttl = await redisClient.pttl(keys[0]);
    assert.ok(ttl > 0 && ttl <= 60_000, `the window expires in Redis (${ttl} ms)`);
  });

  it('counts the rate limit in a Redis that came up after the gateway', async () => {
    const port = await freePort();
    const gateway = await makeGateway({
      GATEWAY_INFERENCE_URL: service.url,
      GATEWAY_REDIS_URL: `redis://127.0.0.1:${port}`,
      GATEWAY_RATE_LIMIT_MAX: '2',
      GATEWAY_INFERENCE_HEALTH_INTERVAL_MS: '0',
    });
    toStop.push({ stop: async () => gateway.close() });
    assert.equal((await colorize(gateway.app)).status, 503, 'no Redis yet');
    const late = await startRedis({ port });
    toStop.push(late);
    const statuses = [];
    for (let i = 0; i < 60 && !statuses.includes(201); i += 1) {
      await sleep(100);
      statuses.push((await colorize(gateway.app)).status);
    }
    assert.ok(statuses.includes(201), `reconnected: ${statuses}`);
    // The limit counts again (at most one count lost while its script loads again): a 429 soon.
    for (let i = 0; i < 3 && statuses.at(-1) !== 429; i += 1) statuses.push((await colorize(gateway.app)).status);
    assert.equal(statuses.at(-1), 429, String(statuses));
  });

  it('answers 503 before colorizing while Redis is away, and recovers when it is back', async () => {
    const ownRedis = await startRedis();
    toStop.push(ownRedis);
    const gateway = await makeGateway({
      GATEWAY_INFERENCE_URL: service.url,
      GATEWAY_REDIS_URL: ownRedis.url,
      GATEWAY_INFERENCE_HEALTH_INTERVAL_MS: '0',
    });
    toStop.push({ stop: async () => gateway.close() });
    const { app } = gateway;
    assert.equal((await colorize(app)).status, 201);
    await ownRedis.stop();

    const requestsBefore = [...app.locals.pool.replicas.values()][0].requests;
    const refused = await colorize(app);
    assert.equal(refused.status, 503);
    assert.equal(refused.body.error.code, 'result_store_unavailable');
    assert.match(refused.headers['retry-after'], /^\d+$/);
    assert.equal([...app.locals.pool.replicas.values()][0].requests, requestsBefore, 'no inference was spent');
    const health = await request(app).get('/api/health');
    assert.equal(health.status, 503);
    assert.equal(health.body.gateway.status, 'failing');
    assert.equal(health.body.gateway.results.status, 'failing');
    assert.equal(health.body.inference.status, 'READY');

    const restarted = await startRedis({ port: ownRedis.port });
    toStop.push(restarted);
    let status = 0;
    for (let i = 0; i < 50 && status !== 201; i += 1) {
      await sleep(100);
      status = (await colorize(app)).status;
    }
    assert.equal(status, 201, 'the gateway reconnected by itself');
    assert.equal((await request(app).get('/api/health')).status, 200);
  });
});
