'use strict';

const { rateLimit } = require('express-rate-limit');
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
 * `client` is the result store's ioredis client. Without one: express-rate-limit's memory.
 */
function redisStore(client, prefix) {
  if (!client) return undefined;
  return new RecoveringRedisStore({ sendCommand: (command, ...args) => client.call(command, ...args), prefix });
}

const byKey = (req) => req.apiKey.id;

const retryAfterSeconds = (req) => Math.max(1, Math.ceil((req.rateLimit.resetTime - Date.now()) / 1000));

/** One limit on colorizations (POSTs); `refuse(req)` gives the 429's code and message. */
function colorizeLimit({ name, windowMs, limit, keyGenerator, skip, store, refuse }) {
  return rateLimit({
    windowMs,
    limit,
    ...(keyGenerator && { keyGenerator }),
    // A Redis that is away lets the request on: colorize answers 503 anyway (result store).
    ...(store && { store, passOnStoreError: true }),
    standardHeaders: 'draft-8',
    identifier: name,
    legacyHeaders: false,
    skip: (req) => req.method !== 'POST' || skip(req),
    handler(req, res) {
      const [code, message] = refuse(req);
      sendError(res, 429, code, message, { 'Retry-After': String(retryAfterSeconds(req)) });
    },
  });
}

/**
 * The limits in front of the colorize routes, in order: per client address
 * (GATEWAY_RATE_LIMIT_MAX per GATEWAY_RATE_LIMIT_WINDOW_MS, both auth modes), then,
 * with GATEWAY_AUTH=keys, the key's own `rate_per_min` and `quota_per_day`
 * (docs/api-keys.md). Each answers 429 with Retry-After and its named RateLimit headers.
 */
function colorizeLimits(config, redisClient) {
  const prefix = `${config.redisKeyPrefix}rate:`;
  const limits = [
    colorizeLimit({
      name: 'address',
      windowMs: config.rateLimitWindowMs,
      limit: config.rateLimitMax,
      skip: () => config.rateLimitMax === 0,
      store: redisStore(redisClient, prefix),
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
      store: redisStore(redisClient, `${prefix}key-minute:`),
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
      store: redisStore(redisClient, `${prefix}key-day:`),
      refuse: (req) => [
        'quota_exceeded',
        `This API key has used its ${req.apiKey.quotaPerDay} images for the day: Retry-After says when more are allowed.`,
      ],
    }),
  );
  return limits;
}

module.exports = { colorizeLimits };
