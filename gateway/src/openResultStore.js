'use strict';

const { RedisResultStore } = require('./redisResultStore');
const { DiskResultStore } = require('./diskResultStore');

/**
 * The result store the configuration asks for: Redis when GATEWAY_REDIS_URL is set (any
 * number of gateway replicas share it), else the embedded disk store in GATEWAY_RESULT_DIR
 * (one gateway). Both have the same TTL and size cap settings and the same interface.
 */
function openResultStore(config, logger) {
  if (config.redisUrl) {
    return new RedisResultStore({
      url: config.redisUrl,
      keyPrefix: config.redisKeyPrefix,
      ttlMs: config.resultTtlMs,
      maxBytes: config.resultMaxBytes,
      logger,
    }).open();
  }
  return new DiskResultStore({
    dir: config.resultDir,
    ttlMs: config.resultTtlMs,
    maxBytes: config.resultMaxBytes,
    sweepMs: config.resultSweepMs,
    logger,
  }).open();
}

module.exports = { openResultStore };
