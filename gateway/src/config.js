'use strict';

const os = require('node:os');
const path = require('node:path');

const { MIN_SECRET_LENGTH } = require('./clientIdentity');

const MB = 1024 * 1024;
// Room for the multipart envelope and small form fields around an image of the maximum size
// (the same allowance as the inference service's). The image limit itself is the service's.
const MULTIPART_ALLOWANCE_BYTES = 64 * 1024;

/** Every setting the gateway reads, with its environment variable and default. */
const SETTINGS = {
  port: { env: 'GATEWAY_PORT', type: 'int', default: 3000 },
  host: { env: 'GATEWAY_HOST', type: 'string', default: '0.0.0.0' },
  // One inference service, or several replicas: a comma-separated list of URLs.
  inferenceUrls: { env: 'GATEWAY_INFERENCE_URL', type: 'urls', default: ['http://127.0.0.1:8000'] },
  // "dns": each URL's host name stands for every address it resolves to (one replica
  // each), looked up again at every health round; "static": each URL is one replica.
  inferenceDiscovery: {
    env: 'GATEWAY_INFERENCE_DISCOVERY',
    type: 'string',
    default: 'static',
    choices: ['static', 'dns'],
  },
  // How often each replica's /v1/health is checked (0: only when /api/health is asked).
  inferenceHealthIntervalMs: { env: 'GATEWAY_INFERENCE_HEALTH_INTERVAL_MS', type: 'int', default: 5000 },
  // No upload limit here: the gateway takes the inference service's own
  // (COLORIZER_MAX_UPLOAD_BYTES, from its /v1/health; InferencePool.uploadLimitBytes).
  upstreamTimeoutMs: { env: 'GATEWAY_UPSTREAM_TIMEOUT_MS', type: 'int', default: 120_000 },
  // "keys": every /api route but health and the API docs needs an API key (docs/api-keys.md);
  // "off": anyone who reaches the gateway may use it (one person on one machine).
  auth: { env: 'GATEWAY_AUTH', type: 'string', default: 'off', choices: ['off', 'keys'] },
  // Signs whose request it is (clientIdentity.js) for the inference service, which holds the same
  // secret (COLORIZER_SIGNING_SECRET) and believes no other; needed with GATEWAY_AUTH=keys.
  signingSecret: { env: 'GATEWAY_SIGNING_SECRET', type: 'string', default: '' },
  // With GATEWAY_AUTH=keys: the keys file `colorizer keys` writes; unset: the keys are in GATEWAY_REDIS_URL.
  keysFile: { env: 'GATEWAY_KEYS_FILE', type: 'string', default: '' },
  // Set: results live in this Redis (shared by gateway replicas); unset: on disk in GATEWAY_RESULT_DIR.
  redisUrl: { env: 'GATEWAY_REDIS_URL', type: 'string', default: '' },
  redisKeyPrefix: { env: 'GATEWAY_REDIS_KEY_PREFIX', type: 'string', default: 'colorizer:' },
  resultDir: { env: 'GATEWAY_RESULT_DIR', type: 'string', default: path.join(os.tmpdir(), 'colorizer-results') },
  resultTtlMs: { env: 'GATEWAY_RESULT_TTL_MS', type: 'int', default: 60 * 60 * 1000 },
  resultMaxBytes: { env: 'GATEWAY_RESULT_MAX_BYTES', type: 'bytes', default: 1024 * MB },
  resultSweepMs: { env: 'GATEWAY_RESULT_SWEEP_MS', type: 'int', default: 60_000 },
  rateLimitWindowMs: { env: 'GATEWAY_RATE_LIMIT_WINDOW_MS', type: 'int', default: 60_000 },
  // Requests to the colorize endpoints per client per window (0 turns the limit off).
  rateLimitMax: { env: 'GATEWAY_RATE_LIMIT_MAX', type: 'int', default: 30 },
  // Express "trust proxy": set when the gateway sits behind a reverse proxy, so the
  // rate limit keys on the real client address (e.g. "1" or "loopback").
  trustProxy: { env: 'GATEWAY_TRUST_PROXY', type: 'string', default: '' },
  staticDir: {
    env: 'GATEWAY_STATIC_DIR',
    type: 'string',
    default: path.resolve(__dirname, '..', '..', 'frontend', 'dist'),
  },
  logLevel: { env: 'GATEWAY_LOG_LEVEL', type: 'string', default: 'info' },
  // Slow clients (httpServer.js, uploadBody.js): the whole header block within this...
  headersTimeoutMs: { env: 'GATEWAY_HEADERS_TIMEOUT_MS', type: 'int', default: 20_000 },
  // ...the whole request, upload included, within this (0 turns it off)...
  requestTimeoutMs: { env: 'GATEWAY_REQUEST_TIMEOUT_MS', type: 'int', default: 300_000 },
  // ...no byte in the middle of an upload for this long ends it (408)...
  clientIdleTimeoutMs: { env: 'GATEWAY_CLIENT_IDLE_TIMEOUT_MS', type: 'int', default: 30_000 },
  // ...and a kept-alive connection with no new request is closed after this.
  keepAliveTimeoutMs: { env: 'GATEWAY_KEEP_ALIVE_TIMEOUT_MS', type: 'int', default: 5_000 },
};

/** "20mb", "512kb", "1048576" -> bytes. */
function parseBytes(text) {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|k|mb|m|gb|g)?\s*$/i.exec(text);
  if (!match) return NaN;
  const units = { b: 1, k: 1024, kb: 1024, m: MB, mb: MB, g: 1024 * MB, gb: 1024 * MB };
  return Math.floor(Number(match[1]) * units[(match[2] || 'b').toLowerCase()]);
}

function parseUrl(setting, raw) {
  let url = null;
  try {
    url = new URL(raw);
  } catch {
    /* reported below */
  }
  if (!url || !['http:', 'https:'].includes(url.protocol)) {
    throw new Error(`${setting.env} must be an absolute http(s) URL, got "${raw}"`);
  }
  return url.toString().replace(/\/+$/, '');
}

function parseValue(name, setting, raw) {
  if (setting.type === 'string') {
    if (setting.choices && !setting.choices.includes(raw)) {
      throw new Error(`${setting.env} must be one of ${setting.choices.join(', ')}, got "${raw}"`);
    }
    return raw;
  }
  if (setting.type === 'url') return parseUrl(setting, raw);
  if (setting.type === 'urls') {
    const urls = raw
      .split(/[\s,]+/)
      .filter(Boolean)
      .map((item) => parseUrl(setting, item));
    if (!urls.length) throw new Error(`${setting.env} must name at least one URL`);
    if (new Set(urls.map((url) => new URL(url).protocol)).size > 1) {
      throw new Error(`${setting.env}: all replicas must use the same protocol (http or https), got "${raw}"`);
    }
    return [...new Set(urls)];
  }
  const value = setting.type === 'bytes' ? parseBytes(raw) : Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(
      `${setting.env} must be a non-negative integer${setting.type === 'bytes' ? ' or a size like 20mb' : ''}, got "${raw}"`,
    );
  }
  return value;
}

// Before every gateway setting had the GATEWAY_ prefix, these names had none: one of
// them set (and its new name not) is refused, rather than silently ignored.
// PORT, HOST and LOG_LEVEL are left out: other programs set them for their own use.
// AUTH, KEYS_FILE and SIGNING_SECRET came after the prefix: they never had an old name.
const GENERIC_NAMES = new Set(['PORT', 'HOST', 'LOG_LEVEL', 'AUTH', 'KEYS_FILE', 'SIGNING_SECRET']);
const OLD_NAMES = Object.values(SETTINGS)
  .map((setting) => setting.env.replace(/^GATEWAY_/, ''))
  .filter((name) => !GENERIC_NAMES.has(name));

function refuseOldNames(env) {
  if (env.UPLOAD_LIMIT !== undefined) {
    throw new Error(
      "UPLOAD_LIMIT is no longer read: the gateway takes the inference service's limit (COLORIZER_MAX_UPLOAD_BYTES, set there)",
    );
  }
  for (const name of OLD_NAMES) {
    if (env[name] !== undefined && env[`GATEWAY_${name}`] === undefined) {
      throw new Error(`${name} is now GATEWAY_${name} (every gateway setting has the GATEWAY_ prefix)`);
    }
  }
}

/**
 * Build the gateway configuration from environment variables (the only source of
 * configuration). `overrides` lets tests set values directly.
 */
function loadConfig(env = process.env, overrides = {}) {
  refuseOldNames(env);
  const config = {};
  for (const [name, setting] of Object.entries(SETTINGS)) {
    const raw = env[setting.env];
    config[name] = raw === undefined || raw === '' ? setting.default : parseValue(name, setting, raw);
  }
  if (config.auth === 'keys' && !config.keysFile && !config.redisUrl) {
    throw new Error(
      'GATEWAY_AUTH=keys needs GATEWAY_KEYS_FILE or GATEWAY_REDIS_URL (where `colorizer keys` keeps the keys)',
    );
  }
  if (config.auth === 'keys' && !config.signingSecret) {
    throw new Error(
      "GATEWAY_AUTH=keys needs GATEWAY_SIGNING_SECRET (the same as the inference service's COLORIZER_SIGNING_SECRET)",
    );
  }
  if (config.signingSecret && config.signingSecret.length < MIN_SECRET_LENGTH) {
    throw new Error(`GATEWAY_SIGNING_SECRET must be at least ${MIN_SECRET_LENGTH} characters`);
  }
  if (config.resultTtlMs < 1) throw new Error('GATEWAY_RESULT_TTL_MS must be at least 1');
  if (config.headersTimeoutMs < 1) throw new Error('GATEWAY_HEADERS_TIMEOUT_MS must be at least 1');
  if (config.requestTimeoutMs > 0 && config.headersTimeoutMs > config.requestTimeoutMs) {
    throw new Error('GATEWAY_HEADERS_TIMEOUT_MS must not be larger than GATEWAY_REQUEST_TIMEOUT_MS');
  }
  return { ...config, ...overrides };
}

module.exports = { loadConfig, parseBytes, SETTINGS, MULTIPART_ALLOWANCE_BYTES };
