'use strict';

const { imageSize } = require('image-size');
const Redis = require('ioredis');

const { HttpError, resultStoreUnavailable, resultTooLarge } = require('./errors');
const { extensionFor } = require('./imageTypes');
const { isValidId, newId } = require('./resultIds');
const { readAll } = require('./streams');

// Saving is one Lua script, so gateways sharing the Redis never see half a result
// and agree on the size total. Times come from Redis's clock (TIME), the one clock
// every gateway replica shares. Keys (P = the key prefix):
//   P index        sorted set of ids by expiresAt (what to evict first)
//   P sizes        hash id -> bytes;  P bytes: the total of the live results
//   P result:<id>  hash {meta (JSON), image, createdAt, expiresAt}, with a native TTL
// Redis drops an expired result by itself; the scripts drop it from the
// accounting the next time one runs. KEYS[1..3] are always index, sizes, bytes.
const FORGET_EXPIRED = `
local function forget(victim)
  local size = tonumber(redis.call('HGET', KEYS[2], victim) or '0')
  redis.call('HDEL', KEYS[2], victim)
  redis.call('ZREM', KEYS[1], victim)
  redis.call('DECRBY', KEYS[3], size)
end
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
-- To the microsecond: results saved within one millisecond still have an order (eviction).
local nowExact = tonumber(clock[1]) * 1000 + tonumber(clock[2]) / 1000
for _, expired in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)) do forget(expired) end
`;

// KEYS[4]: the result key. ARGV: id, meta JSON, image, ttl ms, max bytes, result key prefix.
const SAVE_SCRIPT = `${FORGET_EXPIRED}
local id, ttl, maxBytes = ARGV[1], tonumber(ARGV[4]), tonumber(ARGV[5])
local bytes = string.len(ARGV[3])
local expiresAt = now + ttl
redis.call('HSET', KEYS[4], 'meta', ARGV[2], 'image', ARGV[3],
  'createdAt', string.format('%d', now), 'expiresAt', string.format('%d', expiresAt))
redis.call('PEXPIRE', KEYS[4], ttl)
redis.call('ZADD', KEYS[1], string.format('%.3f', nowExact + ttl), id)
redis.call('HSET', KEYS[2], id, bytes)
local total = redis.call('INCRBY', KEYS[3], bytes)
-- Over the cap: the results closest to expiry (the oldest) go first, never this one.
local evicted = 0
while total > maxBytes do
  local first = redis.call('ZRANGE', KEYS[1], 0, 1)
  local victim = first[1] == id and first[2] or first[1]
  if not victim then break end
  redis.call('DEL', ARGV[6] .. victim)
  forget(victim)
  total = tonumber(redis.call('GET', KEYS[3]))
  evicted = evicted + 1
end
return {now, expiresAt, evicted}
`;

const STATS_SCRIPT = `${FORGET_EXPIRED}
return {redis.call('ZCARD', KEYS[1]), tonumber(redis.call('GET', KEYS[3]) or '0')}
`;

/**
 * Colorized results in Redis, for several gateway replicas: any replica serves a
 * result any other stored. Each result expires by Redis's own TTL; the total is
 * kept under `maxBytes` by evicting the oldest. Same interface as the disk store
 * (diskResultStore.js). A Redis that cannot be reached makes colorize answer 503
 * result_store_unavailable before any inference is spent, and /api/health say so;
 * the client reconnects by itself.
 */
class RedisResultStore {
  constructor({ url, keyPrefix = 'colorizer:', ttlMs, maxBytes, logger = null, connectTimeoutMs = 5000 }) {
    this.url = url;
    this.keyPrefix = keyPrefix;
    this.ttlMs = ttlMs;
    this.maxBytes = maxBytes;
    this.logger = logger;
    this.connectTimeoutMs = connectTimeoutMs;
    this.client = null;
    this.lastError = null;
  }

  resultKey(id) {
    return `${this.keyPrefix}result:${id}`;
  }

  /** KEYS[1..3] of both scripts: index, sizes, total. */
  accountingKeys() {
    return [`${this.keyPrefix}index`, `${this.keyPrefix}sizes`, `${this.keyPrefix}bytes`];
  }

  /** Connect (a Redis not up yet is not fatal: the client keeps retrying, and health says so meanwhile). */
  async open() {
    this.client = new Redis(this.url, {
      lazyConnect: true,
      connectTimeout: this.connectTimeoutMs,
      // Fail a command at once while Redis is away instead of queueing it: the request answers 503.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    });
    this.client.defineCommand('colorizerSaveResult', { numberOfKeys: 4, lua: SAVE_SCRIPT });
    this.client.defineCommand('colorizerResultStats', { numberOfKeys: 3, lua: STATS_SCRIPT });
    this.client.on('error', (err) => {
      if (this.lastError !== err.message)
        this.logger?.error({ err: { code: err.code, message: err.message } }, 'redis error');
      this.lastError = err.message;
    });
    this.client.on('ready', () => {
      if (this.lastError) this.logger?.info('redis reachable again');
      this.lastError = null;
    });
    try {
      await this.client.connect();
    } catch (err) {
      this.logger?.error({ err: { code: err.code, message: err.message } }, 'redis not reachable at start; retrying');
    }
    return this;
  }

  close() {
    this.client?.disconnect();
  }

  async assertWritable() {
    if (this.client?.status !== 'ready') throw resultStoreUnavailable();
  }

  /** Run a Redis call; a Redis that is away becomes 503 result_store_unavailable. */
  async call(fn) {
    try {
      return await fn(this.client);
    } catch (err) {
      if (err instanceof HttpError) throw err;
      this.logger?.error({ err: { code: err.code, message: err.message } }, 'redis call failed');
      throw resultStoreUnavailable();
    }
  }

  async save(stream, info) {
    const extension = extensionFor(info.contentType);
    const image = await readAll(stream, { maxBytes: this.maxBytes, tooLarge: resultTooLarge });
    let size;
    try {
      size = imageSize(image);
    } catch {
      throw new HttpError(502, 'bad_upstream_response', 'the returned image could not be read');
    }
    const id = newId();
    const meta = {
      ...info.extra,
      id,
      contentType: info.contentType,
      extension,
      filename: info.filename,
      bytes: image.length,
      width: size.width,
      height: size.height,
    };
    const [createdAt, expiresAt, evicted] = await this.call((client) =>
      client.colorizerSaveResult(
        ...this.accountingKeys(),
        this.resultKey(id),
        id,
        JSON.stringify(meta),
        image,
        this.ttlMs,
        this.maxBytes,
        this.resultKey(''),
      ),
    );
    if (evicted) this.logger?.info({ evicted }, 'results evicted to stay under the size cap');
    return { ...meta, createdAt: Number(createdAt), expiresAt: Number(expiresAt) };
  }

  static entryFrom(meta, createdAt, expiresAt) {
    return { ...JSON.parse(meta.toString('utf8')), createdAt: Number(createdAt), expiresAt: Number(expiresAt) };
  }

  /** The live entry for an id (no image), or null. */
  async get(id) {
    if (!isValidId(id)) return null;
    const [meta, createdAt, expiresAt] = await this.call((client) =>
      client.hmget(this.resultKey(id), 'meta', 'createdAt', 'expiresAt'),
    );
    return meta ? RedisResultStore.entryFrom(meta, createdAt, expiresAt) : null;
  }

  /** The live entry and its image (a Buffer), in one round trip; null when unknown or expired. */
  async read(id) {
    if (!isValidId(id)) return null;
    const [meta, createdAt, expiresAt, image] = await this.call((client) =>
      client.hmgetBuffer(this.resultKey(id), 'meta', 'createdAt', 'expiresAt', 'image'),
    );
    if (!meta || !image) return null;
    return { entry: RedisResultStore.entryFrom(meta, createdAt, expiresAt), body: image };
  }

  async health() {
    const base = { backend: 'redis', max_bytes: this.maxBytes };
    try {
      if (this.client?.status !== 'ready') throw new Error(this.lastError || 'not connected');
      const [count, bytes] = await this.client.colorizerResultStats(...this.accountingKeys());
      return { ...base, status: 'ok', count: Number(count), bytes: Number(bytes) };
    } catch {
      return { ...base, status: 'failing', error: 'redis cannot be reached', count: null, bytes: null };
    }
  }
}

module.exports = { RedisResultStore };
