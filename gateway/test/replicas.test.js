'use strict';

// One gateway in front of two real inference processes (gunicorn + torch, tiny
// artifact) on two loopback addresses and one port: requests spread over both,
// each is reported in /api/health, and when one is killed mid-run every request
// still succeeds on the other.
const assert = require('node:assert/strict');
const { after, before, describe, it } = require('node:test');
const request = require('supertest');

const { makeGateway } = require('../test-helpers/gateway');
const { grayscalePng } = require('../test-helpers/images');
const { freePort, startInferenceService, writeTinyArtifact } = require('../test-helpers/inferenceService');

let port;
let first;
let second;
const toClose = [];

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function gatewayWith(env, options) {
  const made = await makeGateway(env, options);
  toClose.push(made);
  return made.app;
}

function colorize(app, size = 48) {
  return request(app).post('/api/colorize').attach('image', grayscalePng(size, size), 'scan.png');
}

/** `total` colorize requests, `concurrency` at a time; `statuses` fills as the answers come. */
async function colorizeMany(app, { total, concurrency = 2, size = 48, statuses = [] }) {
  let next = 0;
  async function client() {
    while (next < total) {
      next += 1;
      const response = await colorize(app, size);
      statuses.push(response.status === 201 ? 201 : `${response.status} ${JSON.stringify(response.body)}`);
    }
  }
  await Promise.all(Array.from({ length: concurrency }, client));
  return statuses;
}

before(async () => {
  // The same port on 127.0.0.1 and 127.0.0.2: what one DNS name with two addresses looks like.
  port = await freePort();
  const artifact = await writeTinyArtifact();
  [first, second] = await Promise.all([
    startInferenceService({ artifact, host: '127.0.0.1', port }),
    startInferenceService({ artifact, host: '127.0.0.2', port }),
  ]);
});

after(async () => {
  for (const made of toClose) made.close();
  await Promise.all([first?.stop(), second?.stop()]);
});

describe('several inference replicas behind one gateway', () => {
  it('spreads requests over a list of URLs and reports each replica', async () => {
    const app = await gatewayWith({ GATEWAY_INFERENCE_URL: `${first.url},${second.url}` });
    const statuses = await colorizeMany(app, { total: 8 });
    assert.deepEqual(statuses, Array(8).fill(201));

    const health = await request(app).get('/api/health');
    assert.equal(health.status, 200);
    assert.equal(health.body.inference.status, 'READY');
    assert.equal(health.body.inference.ready_replicas, 2);
    const replicas = health.body.inference.replicas;
    assert.deepEqual(
      replicas.map((replica) => replica.url),
      [first.url, second.url],
    );
    for (const replica of replicas) {
      assert.equal(replica.status, 'READY');
      assert.equal(replica.detail.model.name, 'tiny-test-colorizer');
      assert.ok(replica.requests >= 2, `${replica.url} took ${replica.requests} of 8 requests`);
      assert.equal(replica.in_flight, 0);
    }
  });

  it('finds the replicas behind one DNS name, and follows the name as its addresses change', async () => {
    let addresses = ['127.0.0.1', '127.0.0.2'];
    const lookups = [];
    const lookup = async (hostname) => {
      lookups.push(hostname);
      return addresses;
    };
    const app = await gatewayWith(
      {
        GATEWAY_INFERENCE_URL: `http://inference.test:${port}`,
        GATEWAY_INFERENCE_DISCOVERY: 'dns',
        GATEWAY_INFERENCE_HEALTH_INTERVAL_MS: '0',
      },
      { lookup },
    );
    assert.equal(lookups[0], 'inference.test');
    assert.deepEqual(await colorizeMany(app, { total: 4 }), Array(4).fill(201));
    let health = await request(app).get('/api/health');
    assert.deepEqual(
      health.body.inference.replicas.map((replica) => [replica.url, replica.status]),
      [
        [first.url, 'READY'],
        [second.url, 'READY'],
      ],
    );
    // The pass-through reaches them too (with the name as Host).
    assert.equal((await request(app).get('/api/v1/model')).body.name, 'tiny-test-colorizer');

    addresses = ['127.0.0.2'];
    health = await request(app).get('/api/health'); // each health round looks the name up again
    assert.deepEqual(
      health.body.inference.replicas.map((replica) => replica.url),
      [second.url],
    );
  });

  it('keeps every request succeeding when one replica is killed mid-run', async () => {
    const app = await gatewayWith({
      GATEWAY_INFERENCE_URL: `${first.url},${second.url}`,
      GATEWAY_INFERENCE_HEALTH_INTERVAL_MS: '500',
    });
    const replicaOfFirst = app.locals.pool.replicas.get(first.url);
    const statuses = [];
    let killed = null;
    async function killFirstWhileBusy() {
      while (statuses.length < 3) await sleep(5);
      // While it works on one of our requests (which must then be redone on the other).
      for (let i = 0; i < 1000 && replicaOfFirst.inFlight === 0; i += 1) await sleep(1);
      killed = { inFlight: replicaOfFirst.inFlight, answered: statuses.length };
      await first.kill();
    }
    await Promise.all([colorizeMany(app, { total: 16, size: 160, statuses }), killFirstWhileBusy()]);
    assert.equal(killed.inFlight, 1, 'killed with a request in flight');
    assert.ok(killed.answered < 16, 'killed mid-run');
    assert.deepEqual(statuses, Array(16).fill(201), `killed at ${JSON.stringify(killed)}`);

    const health = await request(app).get('/api/health');
    assert.equal(health.status, 200, 'one READY replica is enough');
    assert.equal(health.body.inference.ready_replicas, 1);
    const byUrl = Object.fromEntries(health.body.inference.replicas.map((replica) => [replica.url, replica]));
    assert.equal(byUrl[first.url].status, 'UNREACHABLE');
    assert.equal(byUrl[second.url].status, 'READY');

    // The pass-through and later colorize requests go around the dead replica.
    for (let i = 0; i < 3; i += 1) {
      assert.equal((await request(app).get('/api/v1/model')).status, 200);
      assert.equal((await colorize(app)).status, 201);
    }
  });
});
