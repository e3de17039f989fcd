'use strict';

// API keys as `colorizer keys` (colorizer_cli/keys.py) writes them; the shared format
// is described once, in docs/api-keys.md. This module only reads.
const crypto = require('node:crypto');
const fsp = require('node:fs/promises');

const KEY_PATTERN = /^clr_([0-9a-f]{16})_[A-Za-z0-9_-]{43}$/;
const FILE_FORMAT = 1;

/** The key's id (public) when `key` is shaped like a key, else null. */
function keyId(key) {
  const match = typeof key === 'string' ? KEY_PATTERN.exec(key) : null;
  return match ? match[1] : null;
}

function sha256(text) {
  return crypto.createHash('sha256').update(text, 'utf8').digest();
}

/** Whether `key` is the one whose digest `record.sha256` holds, in constant time. */
function matches(key, record) {
  const stored = Buffer.from(String(record?.sha256 ?? ''), 'hex');
  const given = sha256(key);
  return stored.length === given.length && crypto.timingSafeEqual(stored, given);
}

/** Thrown when the keys cannot be read now: the request answers 503 key_store_unavailable. */
class KeyStoreUnavailable extends Error {}

/**
 * Records in a JSON file (GATEWAY_KEYS_FILE). The file's identity is checked on every
 * lookup and the file read again when it changed, so a revocation counts at the next
 * request. A file that cannot be parsed keeps the last good copy (and is logged); with
 * none, lookups fail as unavailable.
 */
class FileKeyStore {
  constructor({ path, logger = null }) {
    this.path = path;
    this.logger = logger;
    this.signature = null;
    this.records = null;
    this.backend = 'file';
  }

  async load() {
    let stat;
    try {
      stat = await fsp.stat(this.path);
    } catch (err) {
      if (err.code === 'ENOENT') {
        // No file yet: no key is valid (`colorizer keys create` makes it).
        if (this.signature !== 'missing') this.logger?.warn({ file: this.path }, 'keys file missing: no key is valid');
        this.signature = 'missing';
        this.records = {};
        return this.records;
      }
      throw new KeyStoreUnavailable(err.code);
    }
    const signature = `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
    if (signature === this.signature && this.records) return this.records;
    try {
      const parsed = JSON.parse(await fsp.readFile(this.path, 'utf8'));
      if (parsed?.format !== FILE_FORMAT || typeof parsed.keys !== 'object' || parsed.keys === null) {
        throw new Error(`not a keys file of format ${FILE_FORMAT}`);
      }
      this.records = parsed.keys;
      this.signature = signature;
    } catch (err) {
      this.logger?.error({ file: this.path, err: { message: err.message } }, 'keys file unreadable');
      if (!this.records || this.signature === 'missing') throw new KeyStoreUnavailable(err.message);
    }
    return this.records;
  }

  async lookup(id) {
    const records = await this.load();
    return Object.hasOwn(records, id) ? records[id] : null;
  }
}

/** Records in the Redis hash `<prefix>apikeys` (one field per key id), read on every lookup. */
class RedisKeyStore {
  constructor({ client, prefix }) {
    this.client = client;
    this.hash = `${prefix}apikeys`;
    this.backend = 'redis';
  }

  async lookup(id) {
    let value;
    try {
      value = await this.client.hget(this.hash, id);
    } catch (err) {
      throw new KeyStoreUnavailable(err.message);
    }
    if (value === null) return null;
    try {
      return JSON.parse(value);
    } catch {
      return null;
    }
  }
}

/** The key store the configuration asks for (docs/api-keys.md, "Where records live"). */
function openKeyStore(config, { redisClient, logger }) {
  if (config.keysFile) return new FileKeyStore({ path: config.keysFile, logger });
  return new RedisKeyStore({ client: redisClient, prefix: config.redisKeyPrefix });
}

module.exports = { keyId, matches, FileKeyStore, RedisKeyStore, KeyStoreUnavailable, openKeyStore, KEY_PATTERN };
