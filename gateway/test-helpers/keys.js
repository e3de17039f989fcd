'use strict';

// API keys made by the real `colorizer keys` command (colorizer_cli/keys.py), so the
// gateway's tests also check that both sides keep to docs/api-keys.md.
const { execFile } = require('node:child_process');
const path = require('node:path');
const { promisify } = require('node:util');

const { REPO_ROOT } = require('./inferenceService');

const VENV = process.env.COLORIZER_VENV || path.join(REPO_ROOT, '.venv');

/** Run `colorizer keys ARGS --json` where `where` is {keysFile} or {redisUrl, prefix}; resolves to its JSON output. */
async function colorizerKeys(args, where) {
  const location = where.keysFile
    ? ['--keys-file', where.keysFile]
    : ['--redis-url', where.redisUrl, '--redis-key-prefix', where.prefix ?? 'colorizer:'];
  const { stdout } = await promisify(execFile)(
    path.join(VENV, 'bin', 'colorizer'),
    ['keys', ...args, ...location, '--json'],
    { cwd: REPO_ROOT, env: { ...process.env, GATEWAY_KEYS_FILE: '', GATEWAY_REDIS_URL: '' } },
  );
  return stdout.trim() ? JSON.parse(stdout) : null;
}

/** A new key: {id, key, name, rate_per_min, quota_per_day, ...}. `limits`: {quota, rate}. */
function createKey(where, name, { quota, rate } = {}) {
  const args = ['create', '--name', name];
  if (quota !== undefined) args.push('--quota', `${quota}/day`);
  if (rate !== undefined) args.push('--rate', `${rate}/min`);
  return colorizerKeys(args, where);
}

const revokeKey = (where, id) => colorizerKeys(['revoke', id], where);

module.exports = { createKey, revokeKey, colorizerKeys };
