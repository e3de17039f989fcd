'use strict';

// One window per client key: the first hit starts its expiry, every hit counts.
const HIT_SCRIPT = `
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {hits, redis.call('PTTL', KEYS[1])}
`;

/**
 * An express-rate-limit store in Redis, so GATEWAY_RATE_LIMIT_MAX holds for a client across
 * every gateway replica instead of once per replica. Uses the result store's client.
 */
class RedisRateLimitStore {
  constructor({ client, prefix }) {
    this.client = client;
    this.prefix = prefix;
    this.localKeys = false;
    this.windowMs = 60_000;
    client.defineCommand('colorizerRateHit', { numberOfKeys: 1, lua: HIT_SCRIPT });
  }

  init(options) {
    this.windowMs = options.windowMs;
  }

  async increment(key) {
    const [hits, ttl] = await this.client.colorizerRateHit(this.prefix + key, this.windowMs);
    return { totalHits: Number(hits), resetTime: new Date(Date.now() + Math.max(0, Number(ttl))) };
  }

  async decrement(key) {
    await this.client.decr(this.prefix + key);
  }

  async resetKey(key) {
    await this.client.del(this.prefix + key);
  }
}

module.exports = { RedisRateLimitStore };
