'use strict';

const { createApp } = require('./app');
const { createHttpServer } = require('./httpServer');
const { loadConfig } = require('./config');
const { createLogger } = require('./logger');
const { redactText } = require('./redact');

async function main() {
  const config = loadConfig(process.env);
  const logger = createLogger(config.logLevel);
  const app = await createApp(config, { logger });
  const server = createHttpServer(app, config, logger);
  server.listen(config.port, config.host, () => {
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
  // A setting's value may be in the message (a URL with its password): redacted like every log line.
  console.error(redactText(err?.stack ?? String(err)));
  process.exit(1);
});
