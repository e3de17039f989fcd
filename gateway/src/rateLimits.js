'use strict';

const { rateLimit, MemoryStore } = require('express-rate-limit');
const { RedisStore } = require('rate-limit-redis');

const { sendError } = require('./errors');

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

/**
 * rate-limit-redis loads its Lua script once (at init) and again only when Redis says
 * NOSCRIPT; a load that failed because Redis was away (a gateway started before its
 * Redis, or a script load during an outage) would fail every count from then on, and
 * the limit would stay off. Here a failed count loads the script again for the next one.
 */
class RecoveringRedisStore extends RedisStore {
  async increment(key) {
    try {
      return await super.increment(key);
    } catch (error) {
      this.incrementScriptSha = this.loadIncrementScript();
      this.incrementScriptSha.catch(() => {}); // awaited (and reported) by the next count
      throw error;
    }
  }
}

/**
 * Counts in Redis (rate-limit-redis), so a limit holds across every gateway replica;
 * `client` is the result store's ioredis client. Without one: in this process's memory.
 */
function counterStore(client, prefix) {
  if (!client) return new MemoryStore();
  return new RecoveringRedisStore({ sendCommand: (command, ...args) => client.call(command, ...args), prefix });
}

const byKey = (req) => req.apiKey.id;

/**
 * `limiter` (one colorizeLimit) counting only the requests that did work: one answered
 * with an error status (a refused upload, a 429, a failure of the service) is given back
 * once its answer is sent. A client that goes away before its answer is sent is not
 * given anything back: it may have had the work (a result streamed but for its last byte).
 */
function countingOnlyWork(limiter, { store, keyGenerator, property }) {
  return function countOnlyWork(req, res, next) {
    res.once('finish', () => {
      const counted = req[property]; // set only when this limit counted the request
      if (!counted || res.statusCode < 400) return;
      if (counted.resetTime && Date.now() >= counted.resetTime.getTime()) return; // a new window since
      Promise.resolve(store.decrement(keyGenerator(req))).catch((err) =>
        req.log?.warn({ err: { message: err.message } }, 'rate limit count not given back'),
      );
    });
    return limiter(req, res, next);
  };
}

/**
 * One limit on colorizations (POSTs); `refuse(req)` gives the 429's code and message.
 * `onlyWork`: requests that end in an error are not counted (countingOnlyWork).
 */
function colorizeLimit({ name, windowMs, limit, keyGenerator = undefined, skip, store, refuse, onlyWork = false }) {
  // Each limit's count on the request under its own name: the next limit must not overwrite it.
  const property = `rateLimit:${name}`;
  const limiter = rateLimit({
    windowMs,
    limit,
    ...(keyGenerator && { keyGenerator }),
    store,
    // A Redis that is away lets the request on: colorize answers 503 anyway (result store).
    passOnStoreError: true,
    standardHeaders: 'draft-8',
    identifier: name,
    legacyHeaders: false,
    requestPropertyName: property,
    skip: (req) => req.method !== 'POST' || skip(req),
    handler(req, res) {
      const [code, message] = refuse(req);
      const retryAfter = Math.max(1, Math.ceil((req[property].resetTime - Date.now()) / 1000));
      sendError(res, 429, code, message, { 'Retry-After': String(retryAfter) });
    },
  });
  return onlyWork ? countingOnlyWork(limiter, { store, keyGenerator, property }) : limiter;
}

/**
 * The limits in front of the colorize routes, in order: per client address
 * (GATEWAY_RATE_LIMIT_MAX per GATEWAY_RATE_LIMIT_WINDOW_MS, both auth modes; every POST
 * counts: it holds floods off), then, with GATEWAY_AUTH=keys, the key's own `rate_per_min`
 * and `quota_per_day` (docs/api-keys.md), which count only the POSTs that did work (an
 * answer under 400). Each answers 429 with Retry-After and its named RateLimit headers.
 */
function colorizeLimits(config, redisClient) {
  const prefix = `${config.redisKeyPrefix}rate:`;
  const limits = [
    colorizeLimit({
      name: 'address',
      windowMs: config.rateLimitWindowMs,
      limit: config.rateLimitMax,
      skip: () => config.rateLimitMax === 0,
      store: counterStore(redisClient, prefix),
      refuse: () => ['rate_limited', 'Too many images in a short time: wait a little and try again.'],
    }),
  ];
  if (config.auth !== 'keys') return limits;
  limits.push(
    colorizeLimit({
      name: 'key-rate',
      windowMs: MINUTE_MS,
      limit: (req) => req.apiKey.ratePerMin,
      keyGenerator: byKey,
      skip: (req) => !req.apiKey || req.apiKey.ratePerMin === null,
      store: counterStore(redisClient, `${prefix}key-minute:`),
      onlyWork: true,
      refuse: (req) => [
        'rate_limited',
        `This API key may colorize ${req.apiKey.ratePerMin} images a minute: wait a little and try again.`,
      ],
    }),
    colorizeLimit({
      name: 'key-quota',
      windowMs: DAY_MS,
      limit: (req) => req.apiKey.quotaPerDay,
      keyGenerator: byKey,
      skip: (req) => !req.apiKey || req.apiKey.quotaPerDay === null,
      store: counterStore(redisClient, `${prefix}key-day:`),
      onlyWork: true,
      refuse: (req) => [
        'quota_exceeded',
        `This API key has used its ${req.apiKey.quotaPerDay} images for the day: Retry-After says when more are allowed.`,
      ],
    }),
  );
  return limits;
}

module.exports = { colorizeLimits };
