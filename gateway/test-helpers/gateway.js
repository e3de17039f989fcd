'use strict';

const path = require('node:path');

const { createApp } = require('../src/app');
const { loadConfig } = require('../src/config');
const { tempDir } = require('./inferenceService');

/** A gateway app for a test: configured like production (from an env mapping), quiet logs; `options` go to createApp. */
async function makeGateway(env = {}, options = {}) {
  const config = loadConfig({
    GATEWAY_RESULT_DIR: tempDir('gateway-results-'),
    GATEWAY_STATIC_DIR: path.join(tempDir('gateway-static-'), 'missing'),
    GATEWAY_LOG_LEVEL: 'silent',
    GATEWAY_RATE_LIMIT_MAX: '0',
    ...env,
  });
  const app = await createApp(config, options);
  return { app, config, close: () => app.locals.close() };
}

module.exports = { makeGateway };
