'use strict';

const { createApp } = require('./app');
const { loadConfig } = require('./config');
const { createLogger } = require('./logger');

async function main() {
  const config = loadConfig(process.env);
  const logger = createLogger(config.logLevel);
  const app = await createApp(config, { logger });
  const server = app.listen(config.port, config.host, () => {
    logger.info(
      {
        port: config.port,
        host: config.host,
        inferenceUrls: config.inferenceUrls,
        inferenceDiscovery: config.inferenceDiscovery,
        staticDir: config.staticDir,
        results: config.redisUrl ? 'redis' : config.resultDir,
      },
      'gateway listening',
    );
  });
  // Uploads and inference can take a while; the upstream timeout governs those.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;

  const shutdown = (signal) => {
    logger.info({ signal }, 'shutting down');
    server.close(() => {
      app.locals.close();
      process.exit(0);
    });
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 10_000).unref();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
