'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { describe, it } = require('node:test');

const { loadConfig, parseBytes, SETTINGS } = require('../src/config');

describe('configuration from the environment', () => {
  it('has working defaults', () => {
    const config = loadConfig({});
    assert.equal(config.port, 3000);
    assert.deepEqual(config.inferenceUrls, ['http://127.0.0.1:8000']);
    assert.equal(config.inferenceDiscovery, 'static');
    assert.equal(config.redisUrl, '', 'results on disk unless GATEWAY_REDIS_URL is set');
    assert.equal('uploadLimitBytes' in config, false, "the upload limit is the inference service's");
    assert.equal(config.resultTtlMs, 60 * 60 * 1000);
    assert.equal(config.staticDir, path.resolve(__dirname, '..', '..', 'frontend', 'dist'));
  });

  it('reads every variable', () => {
    const config = loadConfig({
      GATEWAY_PORT: '8080',
      GATEWAY_INFERENCE_URL: 'http://inference:8000/',
      GATEWAY_RESULT_DIR: '/data/results',
      GATEWAY_RESULT_TTL_MS: '1000',
      GATEWAY_RESULT_MAX_BYTES: '1gb',
      GATEWAY_RATE_LIMIT_MAX: '0',
      GATEWAY_UPSTREAM_TIMEOUT_MS: '500',
      GATEWAY_STATIC_DIR: '/srv/app',
    });
    assert.equal(config.port, 8080);
    assert.deepEqual(config.inferenceUrls, ['http://inference:8000']);
    assert.equal(config.resultDir, '/data/results');
    assert.equal(config.resultTtlMs, 1000);
    assert.equal(config.resultMaxBytes, 1024 ** 3);
    assert.equal(config.rateLimitMax, 0);
    assert.equal(config.upstreamTimeoutMs, 500);
    assert.equal(config.staticDir, '/srv/app');
  });

  it('is off (no API keys) by default; keys mode needs somewhere to read the keys from, and a signing secret', () => {
    const secret = { GATEWAY_SIGNING_SECRET: 's'.repeat(32) };
    assert.equal(loadConfig({}).auth, 'off');
    assert.throws(
      () => loadConfig({ GATEWAY_AUTH: 'keys' }),
      /GATEWAY_AUTH=keys needs GATEWAY_KEYS_FILE or GATEWAY_REDIS_URL/,
    );
    assert.throws(() => loadConfig({ GATEWAY_AUTH: 'yes' }), /GATEWAY_AUTH must be one of off, keys/);
    const file = loadConfig({ GATEWAY_AUTH: 'keys', GATEWAY_KEYS_FILE: '/etc/colorizer/keys.json', ...secret });
    assert.equal(file.keysFile, '/etc/colorizer/keys.json');
    assert.equal(loadConfig({ GATEWAY_AUTH: 'keys', GATEWAY_REDIS_URL: 'redis://r:6379', ...secret }).auth, 'keys');
    assert.throws(
      () => loadConfig({ GATEWAY_AUTH: 'keys', GATEWAY_REDIS_URL: 'redis://r:6379' }),
      /GATEWAY_AUTH=keys needs GATEWAY_SIGNING_SECRET/,
    );
    // A short secret is refused, and not repeated in the message.
    assert.throws(
      () => loadConfig({ GATEWAY_SIGNING_SECRET: 'short-secret' }),
      (err) => /at least 32 characters/.test(err.message) && !err.message.includes('short-secret'),
    );
    // Names that never existed without the prefix are not refused as old ones.
    assert.equal(loadConfig({ AUTH: 'x', KEYS_FILE: 'y', SIGNING_SECRET: 'z' }).auth, 'off');
  });

  it('refuses values it cannot use, naming the variable', () => {
    assert.throws(() => loadConfig({ GATEWAY_PORT: 'eighty' }), /GATEWAY_PORT must be a non-negative integer/);
    assert.throws(
      () => loadConfig({ GATEWAY_RESULT_MAX_BYTES: 'lots' }),
      /GATEWAY_RESULT_MAX_BYTES must be .* a size like 20mb/,
    );
    assert.throws(
      () => loadConfig({ GATEWAY_INFERENCE_URL: 'inference:8000' }),
      /GATEWAY_INFERENCE_URL must be an absolute http\(s\) URL/,
    );
    assert.throws(() => loadConfig({ GATEWAY_RESULT_TTL_MS: '0' }), /GATEWAY_RESULT_TTL_MS must be at least 1/);
  });

  it('reads several inference replicas, DNS discovery and Redis', () => {
    const config = loadConfig({
      GATEWAY_INFERENCE_URL: 'http://10.0.0.5:8000, http://10.0.0.6:8000/ http://10.0.0.5:8000',
      GATEWAY_INFERENCE_DISCOVERY: 'dns',
      GATEWAY_INFERENCE_HEALTH_INTERVAL_MS: '1000',
      GATEWAY_REDIS_URL: 'redis://redis:6379/0',
      GATEWAY_REDIS_KEY_PREFIX: 'site-a:',
    });
    assert.deepEqual(config.inferenceUrls, ['http://10.0.0.5:8000', 'http://10.0.0.6:8000']);
    assert.equal(config.inferenceDiscovery, 'dns');
    assert.equal(config.inferenceHealthIntervalMs, 1000);
    assert.equal(config.redisUrl, 'redis://redis:6379/0');
    assert.equal(config.redisKeyPrefix, 'site-a:');
    assert.throws(
      () => loadConfig({ GATEWAY_INFERENCE_URL: ' , ' }),
      /GATEWAY_INFERENCE_URL must name at least one URL/,
    );
    assert.throws(() => loadConfig({ GATEWAY_INFERENCE_URL: 'http://a:1,https://b:2' }), /same protocol/);
    assert.throws(
      () => loadConfig({ GATEWAY_INFERENCE_DISCOVERY: 'consul' }),
      /GATEWAY_INFERENCE_DISCOVERY must be one of static, dns/,
    );
  });

  it('parses sizes', () => {
    assert.equal(parseBytes('1048576'), 1048576);
    assert.equal(parseBytes('512kb'), 512 * 1024);
    assert.equal(parseBytes('1.5 MB'), 1.5 * 1024 * 1024);
    assert.ok(Number.isNaN(parseBytes('-1mb')));
  });

  it('refuses the names from before the GATEWAY_ prefix, and the old upload limit', () => {
    assert.throws(
      () => loadConfig({ INFERENCE_URL: 'http://inference:8000' }),
      /INFERENCE_URL is now GATEWAY_INFERENCE_URL/,
    );
    assert.throws(() => loadConfig({ UPLOAD_LIMIT: '5mb' }), /COLORIZER_MAX_UPLOAD_BYTES/);
    // Names other programs use for themselves are not taken for old gateway settings.
    assert.equal(loadConfig({ PORT: '8080', HOST: 'box', LOG_LEVEL: 'debug' }).port, 3000);
  });

  it('has every variable in the README table, and the table no other GATEWAY_ variable', () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
    const rows = readme.split('\n').filter((line) => line.startsWith('| `GATEWAY_'));
    const documented = new Set(
      rows.flatMap((row) => [...row.split(' | ')[0].matchAll(/`(GATEWAY_[A-Z_]+)`/g)].map((m) => m[1])),
    );
    assert.deepEqual(
      [...documented].toSorted(),
      Object.values(SETTINGS)
        .map((setting) => setting.env)
        .toSorted(),
    );
  });
});
