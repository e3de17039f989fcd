'use strict';

// The gateway under hostile clients and a broken disk, listening on a real port in
// front of a real inference service: slow connections, timeouts, malformed HTTP,
// repeated parameters, misleading file names, a vanished or unwritable result folder.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { after, before, describe, it } = require('node:test');
const request = require('supertest');

const { createHttpServer } = require('../src/httpServer');
const { createLogger } = require('../src/logger');
const { makeGateway } = require('../test-helpers/gateway');
const { grayscalePng } = require('../test-helpers/images');
const { freePort, startInferenceService, tempDir, writeTinyArtifact } = require('../test-helpers/inferenceService');

let service;
const toClose = [];

/** A gateway listening on a free loopback port, built like server.js builds it. */
async function listeningGateway(env = {}) {
  const made = await makeGateway({ GATEWAY_INFERENCE_URL: service.url, ...env });
  const server = createHttpServer(made.app, made.config, createLogger('silent'));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  toClose.push(() => {
    made.close();
    server.closeAllConnections();
    server.close();
  });
  return { ...made, server, port: server.address().port, url: `http://127.0.0.1:${server.address().port}` };
}

/** Send raw bytes; resolve with what came back when the server closed (or after `waitMs`), and when. */
function rawExchange(port, data, { waitMs = 5000 } = {}) {
  return new Promise((resolve) => {
    const began = Date.now();
    const socket = net.connect(port, '127.0.0.1', () => socket.write(data));
    const chunks = [];
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const [head, ...rest] = text.split('\r\n\r\n');
      resolve({
        status: Number(head.split(' ')[1]) || null,
        head,
        body: rest.join('\r\n\r\n'),
        elapsedMs: Date.now() - began,
      });
    };
    const timer = setTimeout(done, waitMs);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('close', done);
    socket.on('error', () => {});
  });
}

/** `count` connections that send a multipart upload's headers, then one body byte per `intervalMs`. */
function slowUploads(port, paths, count, intervalMs = 300) {
  const sockets = [];
  for (let i = 0; i < count; i += 1) {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write(
      `POST ${paths[i % paths.length]} HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
        'Content-Type: multipart/form-data; boundary=slow\r\nContent-Length: 100000\r\n\r\n--slow\r\n',
    );
    sockets.push(socket);
  }
  const timer = setInterval(() => sockets.forEach((socket) => socket.writable && socket.write('x')), intervalMs);
  return () => {
    clearInterval(timer);
    sockets.forEach((socket) => socket.destroy());
  };
}

function jsonError(exchange) {
  assert.match(exchange.head, /content-type: application\/json/i);
  return JSON.parse(exchange.body).error;
}

before(async () => {
  // A gthread service with 4 threads: if the gateway forwarded slow uploads byte by
  // byte, a handful of them would hold every thread (how it froze before).
  service = await startInferenceService({
    artifact: await writeTinyArtifact(),
    env: { COLORIZER_WORKER_CLASS: 'gthread', COLORIZER_THREADS: '4' },
  });
});

after(async () => {
  for (const close of toClose) close();
  await service?.stop();
});

describe('slow clients', () => {
  it('slow uploads on both colorize routes delay neither health nor a normal colorize', async () => {
    const gateway = await listeningGateway();
    const usualStart = Date.now();
    assert.equal(
      (await request(gateway.url).post('/api/colorize').attach('image', grayscalePng(64, 48), 'a.png')).status,
      201,
    );
    const usualMs = Date.now() - usualStart;
    const stop = slowUploads(gateway.port, ['/api/colorize', '/api/v1/colorize'], 16);
    try {
      await new Promise((resolve) => setTimeout(resolve, 800));
      for (let i = 0; i < 3; i += 1) {
        const began = Date.now();
        const health = await request(gateway.url).get('/api/health').timeout(5000);
        assert.equal(health.status, 200);
        assert.ok(Date.now() - began < 1000, `health took ${Date.now() - began} ms`);
      }
      const began = Date.now();
      const colorized = await request(gateway.url).post('/api/colorize').attach('image', grayscalePng(64, 48), 'a.png');
      assert.equal(colorized.status, 201);
      assert.ok(Date.now() - began < usualMs + 1000, `colorize took ${Date.now() - began} ms (usually ${usualMs})`);
    } finally {
      stop();
    }
  });

  it('closes a connection whose headers do not arrive in time, with JSON 408', async () => {
    const gateway = await listeningGateway({ GATEWAY_HEADERS_TIMEOUT_MS: '400', GATEWAY_REQUEST_TIMEOUT_MS: '60000' });
    const exchange = await rawExchange(gateway.port, 'GET /api/health HTTP/1.1\r\nHost: x\r\nX-Slow: 1');
    assert.equal(exchange.status, 408);
    assert.equal(jsonError(exchange).code, 'request_timeout');
    assert.ok(exchange.elapsedMs < 3000, `closed after ${exchange.elapsedMs} ms`);
  });

  it('ends an upload that trickles past the request timeout, with JSON 408', async () => {
    const gateway = await listeningGateway({ GATEWAY_HEADERS_TIMEOUT_MS: '400', GATEWAY_REQUEST_TIMEOUT_MS: '1200' });
    const stop = slowUploads(gateway.port, ['/api/colorize'], 1, 100);
    const began = Date.now();
    const exchange = await new Promise((resolve) => {
      const probe = net.connect(gateway.port, '127.0.0.1');
      const chunks = [];
      probe.on('data', (chunk) => chunks.push(chunk));
      probe.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
      probe.write('POST /api/colorize HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: 1000\r\n\r\n');
      const timer = setInterval(() => (probe.writable ? probe.write('x') : clearInterval(timer)), 100);
      setTimeout(() => probe.destroy(), 6000);
    });
    stop();
    assert.match(exchange, /^HTTP\/1\.1 408 /);
    assert.match(exchange, /"code":"request_timeout"/);
    assert.ok(Date.now() - began < 4000, `ended after ${Date.now() - began} ms`);
  });

  it('ends an upload that stalls for GATEWAY_CLIENT_IDLE_TIMEOUT_MS, with JSON 408', async () => {
    const gateway = await listeningGateway({ GATEWAY_CLIENT_IDLE_TIMEOUT_MS: '300' });
    const exchange = await rawExchange(
      gateway.port,
      'POST /api/v1/colorize HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: 1000\r\n\r\n0123456789',
    );
    assert.equal(exchange.status, 408);
    assert.equal(jsonError(exchange).code, 'request_timeout');
    assert.ok(exchange.elapsedMs < 2000, `ended after ${exchange.elapsedMs} ms`);
  });
});

describe('malformed HTTP is answered with JSON', () => {
  it("Node's parser: header block too large (431) and a garbage request line (400)", async () => {
    const gateway = await listeningGateway();
    const big = await rawExchange(
      gateway.port,
      `GET /api/health HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20000)}\r\n\r\n`,
    );
    assert.equal(big.status, 431);
    assert.equal(jsonError(big).code, 'request_header_fields_too_large');
    const garbage = await rawExchange(gateway.port, 'HELLO THERE\r\n\r\n');
    assert.equal(garbage.status, 400);
    assert.equal(jsonError(garbage).code, 'bad_request');
  });

  it("passes the service's own protocol errors through as JSON (414 from gunicorn)", async () => {
    const gateway = await listeningGateway();
    const response = await request(gateway.url).get(`/api/v1/${'a'.repeat(10000)}`);
    assert.equal(response.status, 414);
    assert.match(response.headers['content-type'], /^application\/json/);
    assert.equal(response.body.error.code, 'uri_too_long');
  });
});

describe('parameters and file names', () => {
  it('a repeated parameter with different values is 422 invalid_parameter, as at the service', async () => {
    const { app } = await makeGateway({ GATEWAY_INFERENCE_URL: service.url });
    for (const route of ['/api/colorize', '/api/v1/colorize']) {
      const response = await request(app)
        .post(`${route}?render_size=256&render_size=512`)
        .attach('image', grayscalePng(32, 32), 'a.png');
      assert.equal(response.status, 422, route);
      assert.equal(response.body.error.code, 'invalid_parameter', route);
      assert.equal(response.body.error.parameter, 'render_size', route);
    }
    const same = await request(app)
      .post('/api/colorize?render_size=96&render_size=96')
      .attach('image', grayscalePng(32, 32), 'a.png');
    assert.equal(same.status, 201);
  });

  it('removes bidirectional and other invisible characters from download names', async () => {
    const { app } = await makeGateway({ GATEWAY_INFERENCE_URL: service.url });
    const created = await request(app)
      .post('/api/colorize')
      .attach('image', grayscalePng(32, 32), '\u202egpj.exe\u202d.png');
    assert.equal(created.status, 201);
    assert.equal(created.body.filename, 'gpj.exe-colorized.png');
    const download = await request(app).get(`${created.body.url}?download=1`);
    assert.equal(download.headers['content-disposition'], 'attachment; filename="gpj.exe-colorized.png"');
  });
});

describe('a broken result folder', () => {
  it('is recreated when it has been deleted', async () => {
    const { app, config } = await makeGateway({ GATEWAY_INFERENCE_URL: service.url });
    fs.rmSync(config.resultDir, { recursive: true, force: true });
    const response = await request(app).post('/api/colorize').attach('image', grayscalePng(32, 32), 'a.png');
    assert.equal(response.status, 201);
    assert.ok(fs.existsSync(config.resultDir));
    assert.equal((await request(app).get(response.body.url)).status, 200);
  });

  it('that cannot be written: 503 before any colorization, and health says so, naming no path', async () => {
    // Nothing listens upstream: had the gateway called the service first, the answer would be 502.
    const { app, config } = await makeGateway({ GATEWAY_INFERENCE_URL: `http://127.0.0.1:${await freePort()}` });
    const { app: healthy } = await makeGateway({
      GATEWAY_INFERENCE_URL: service.url,
      GATEWAY_RESULT_DIR: config.resultDir,
    });
    fs.rmSync(config.resultDir, { recursive: true, force: true });
    fs.writeFileSync(config.resultDir, 'a file where the folder was'); // unwritable even for root
    const response = await request(app).post('/api/colorize').attach('image', grayscalePng(32, 32), 'a.png');
    assert.equal(response.status, 503);
    assert.equal(response.body.error.code, 'result_store_unavailable');
    assert.match(response.headers['retry-after'], /^\d+$/);
    const health = await request(healthy).get('/api/health');
    assert.equal(health.status, 503);
    assert.equal(health.body.gateway.status, 'failing');
    assert.equal(health.body.gateway.results.status, 'failing');
    assert.equal(health.body.inference.status, 'READY');
    // A gateway started on the broken folder starts anyway, and says the same.
    const { app: startedBroken } = await makeGateway({
      GATEWAY_INFERENCE_URL: service.url,
      GATEWAY_RESULT_DIR: config.resultDir,
    });
    assert.equal((await request(startedBroken).get('/api/health')).body.gateway.results.status, 'failing');
    for (const text of [JSON.stringify(response.body), JSON.stringify(health.body)]) {
      assert.ok(!text.includes(config.resultDir) && !text.includes(path.basename(config.resultDir)), text);
    }
  });

  it('without a built frontend, GET / names no server folder', async () => {
    const { app, config } = await makeGateway({
      GATEWAY_INFERENCE_URL: service.url,
      GATEWAY_STATIC_DIR: path.join(tempDir('static-'), 'absent'),
    });
    const response = await request(app).get('/');
    assert.equal(response.status, 404);
    assert.equal(response.body.error.code, 'frontend_not_built');
    assert.ok(!JSON.stringify(response.body).includes(config.staticDir));
  });
});
