'use strict';

// Starts the real inference service (gunicorn + Flask + torch) for the gateway's
// integration tests, with a tiny random-weight artifact written by the project's
// own Python helper. Nothing here imitates the service.
const { spawn, execFile } = require('node:child_process');
const { promisify } = require('node:util');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const VENV = process.env.COLORIZER_VENV || path.join(REPO_ROOT, '.venv');

function freePort(host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function tempDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A hash of the code that writes and reads artifacts: a cached artifact is reused only while it matches. */
function artifactCodeHash() {
  const hash = crypto.createHash('sha256');
  const files = [path.join(REPO_ROOT, 'tests', 'conftest.py')];
  const modelDir = path.join(REPO_ROOT, 'model');
  for (const name of fs.readdirSync(modelDir).toSorted())
    if (name.endsWith('.py')) files.push(path.join(modelDir, name));
  for (const file of files) hash.update(fs.readFileSync(file));
  return hash.digest('hex').slice(0, 16);
}

/**
 * A tiny (random-weight, real-format) artifact written by tests/conftest.py's
 * helper; `hints: true` gives the hint-capable one (in_channels 4). Writing one
 * takes seconds (torch start-up), so it is cached in the temp folder under a hash
 * of the model code; the Python side writes it atomically.
 */
async function writeTinyArtifact({ hints = false } = {}) {
  const dir = path.join(os.tmpdir(), 'colorizer-gateway-tests');
  const kind = hints ? 'tiny-hints' : 'tiny';
  const target = path.join(dir, `${kind}-${artifactCodeHash()}.safetensors`);
  if (fs.existsSync(target)) return target;
  fs.mkdirSync(dir, { recursive: true });
  const writer = hints ? 'write_tiny_hint_artifact' : 'write_tiny_artifact';
  await promisify(execFile)(
    path.join(VENV, 'bin', 'python'),
    ['-c', `import sys; from tests.conftest import ${writer}; ${writer}(sys.argv[1])`, target],
    { cwd: REPO_ROOT },
  );
  return target;
}

async function waitForHealth(url, { expect = 'READY', timeoutMs = 120_000, child, logs }) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`inference service exited early (${child.exitCode}):\n${logs.join('')}`);
    try {
      const response = await fetch(`${url}/v1/health`, { signal: AbortSignal.timeout(5000) });
      const body = await response.json();
      if (body.status === expect) return body;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new Error(`inference service not ${expect} after ${timeoutMs} ms:\n${logs.join('')}`);
}

/**
 * Start gunicorn on a free port (or `port`) of `host`. `env` adds COLORIZER_*
 * settings; `expect` is the health status to wait for (READY, or FAILED for a
 * broken artifact). Resolves to { url, port, stop, kill }: stop shuts gunicorn
 * down cleanly, kill SIGKILLs it and its workers at once (a crashed machine).
 */
async function startInferenceService({
  artifact,
  env = {},
  expect = 'READY',
  host = '127.0.0.1',
  port: wantedPort = null,
} = {}) {
  const port = wantedPort || (await freePort(host));
  const logs = [];
  const child = spawn(
    path.join(VENV, 'bin', 'gunicorn'),
    ['-c', 'inference_service/gunicorn.conf.py', 'inference_service:create_app()'],
    {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        COLORIZER_BIND: `${host}:${port}`,
        COLORIZER_ARTIFACT: artifact,
        COLORIZER_WORKERS: '1',
        COLORIZER_TORCH_THREADS: '1',
        COLORIZER_LOG_LEVEL: 'WARNING',
        COLORIZER_GUNICORN_LOG_LEVEL: 'warning',
        // Video jobs in a folder of this service's own, and no video worker unless asked for.
        COLORIZER_VIDEO_DIR: tempDir('colorizer-videos-'),
        COLORIZER_VIDEO_WORKERS: '0',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so kill() reaches the workers too.
      detached: true,
    },
  );
  child.stdout.on('data', (data) => logs.push(data.toString()));
  child.stderr.on('data', (data) => logs.push(data.toString()));
  const killGroup = () => {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  };
  process.once('exit', killGroup);

  const url = `http://${host}:${port}`;
  try {
    await waitForHealth(url, { expect, child, logs });
  } catch (err) {
    killGroup();
    throw err;
  }

  async function stop() {
    process.removeListener('exit', killGroup);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGINT'); // gunicorn: quick shutdown
    const timer = setTimeout(killGroup, 10_000);
    await exited;
    clearTimeout(timer);
  }

  async function kill() {
    process.removeListener('exit', killGroup);
    const exited =
      child.exitCode === null && child.signalCode === null
        ? new Promise((resolve) => child.once('exit', resolve))
        : null;
    killGroup();
    await exited;
  }

  return { url, port, stop, kill, logs };
}

module.exports = { startInferenceService, writeTinyArtifact, freePort, tempDir, REPO_ROOT };
