'use strict';

// Starts a real Redis (Debian's redis-server, installed by scripts/install-redis.sh)
// on a free loopback port, in memory only, for the tests of gateways sharing results.
const { spawn } = require('node:child_process');
const net = require('node:net');

const { freePort } = require('./inferenceService');

/** True once the server answers PING with PONG. */
function pong(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const done = (result) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('data', (data) => done(data.toString().startsWith('+PONG')));
    socket.on('connect', () => socket.write('PING\r\n'));
  });
}

/**
 * Start redis-server (on `port`, or a free one). Resolves to { url, port, stop }.
 * Nothing is saved to disk: `--save '' --appendonly no`.
 */
async function startRedis({ port: wantedPort = null } = {}) {
  const port = wantedPort || (await freePort());
  const logs = [];
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout.on('data', (data) => logs.push(data.toString()));
  child.stderr.on('data', (data) => logs.push(data.toString()));
  const spawnError = new Promise((resolve) => child.once('error', resolve));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const deadline = Date.now() + 10_000;
  for (;;) {
    const failed = await Promise.race([spawnError, new Promise((resolve) => setTimeout(() => resolve(null), 50))]);
    if (failed) {
      throw new Error(`redis-server could not be started (${failed.code}): run scripts/install-redis.sh`);
    }
    if (child.exitCode !== null) throw new Error(`redis-server exited (${child.exitCode}):\n${logs.join('')}`);
    if (await pong(port)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not answer on port ${port}:\n${logs.join('')}`);
    }
  }

  async function stop() {
    process.removeListener('exit', killOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  return { url: `redis://127.0.0.1:${port}`, port, stop };
}

module.exports = { startRedis };
