'use strict';

// Starts the gateway as its own process (node src/server.js), as each replica runs
// in production, on a free loopback port.
const { spawn } = require('node:child_process');
const path = require('node:path');

const { freePort, tempDir } = require('./inferenceService');

const SERVER = path.resolve(__dirname, '..', 'src', 'server.js');

/** Start a gateway with `env` (GATEWAY_INFERENCE_URL, GATEWAY_REDIS_URL, ...). Resolves to { url, stop }. */
async function startGatewayProcess(env = {}) {
  const port = await freePort();
  const logs = [];
  const child = spawn(process.execPath, [SERVER], {
    env: {
      ...process.env,
      GATEWAY_PORT: String(port),
      GATEWAY_HOST: '127.0.0.1',
      GATEWAY_LOG_LEVEL: 'warn',
      GATEWAY_RATE_LIMIT_MAX: '0',
      GATEWAY_RESULT_DIR: tempDir('gateway-process-results-'),
      GATEWAY_STATIC_DIR: path.join(tempDir('gateway-process-static-'), 'missing'),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (data) => logs.push(data.toString()));
  child.stderr.on('data', (data) => logs.push(data.toString()));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`gateway exited (${child.exitCode}):\n${logs.join('')}`);
    try {
      await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(2000) });
      break; // listening (its health may still be 503)
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`gateway not listening after 20 s:\n${logs.join('')}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async function stop() {
    process.removeListener('exit', killOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  return { url, port, stop, logs };
}

module.exports = { startGatewayProcess };
