'use strict';

const fs = require('node:fs');
const path = require('node:path');
const express = require('express');
const helmet = require('helmet');

const { openKeyStore } = require('./apiKeys');
const { requireKey } = require('./auth');
const { MULTIPART_ALLOWANCE_BYTES } = require('./config');
const { errorHandler, notFoundHandler, sendError, HttpError, payloadTooLarge } = require('./errors');
const { createLogger, requestLogger } = require('./logger');
const { InferencePool } = require('./inferencePool');
const { openResultStore } = require('./openResultStore');
const { canonicalApiPaths } = require('./paths');
const { passThroughProxy } = require('./proxy');
const { bufferUpload, hasBody } = require('./uploadBody');
const { colorizeLimits } = require('./rateLimits');
const { colorizeHandler, resultStoreWritable } = require('./routes/colorize');
const { docsRouter } = require('./routes/docs');
const { healthHandler } = require('./routes/health');
const { imageHandler } = require('./routes/images');
const { modelFilesRouter } = require('./routes/modelFiles');

/**
 * For a request with a body: the upload limit in force (the inference service's,
 * InferencePool.uploadLimitBytes) into `req.uploadLimitBytes`, and a body whose
 * declared size is over it refused before any byte is read.
 */
function uploadLimit(pool) {
  return async (req, res, next) => {
    if (!hasBody(req)) return next();
    req.uploadLimitBytes = await pool.uploadLimitBytes();
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > req.uploadLimitBytes + MULTIPART_ALLOWANCE_BYTES) {
      // Close the connection so the client stops sending the rest.
      res.setHeader('Connection', 'close');
      throw payloadTooLarge(req.uploadLimitBytes);
    }
    return next();
  };
}

/**
 * POST /api/v1/videos: a film (hundreds of MB) is streamed to the service, not buffered
 * here; the service's gevent workers hold a slow upload for the cost of a greenlet. A
 * declared size over the service's video limit (`limits.video` of its /v1/health) is
 * refused before a byte is read.
 */
function videoUploadLimit(pool) {
  return async (req, res, next) => {
    if (req.method !== 'POST' || req.path !== '/videos' || !hasBody(req)) return next();
    const limit = await pool.videoUploadLimitBytes();
    const declared = Number(req.headers['content-length']);
    if (limit !== null && Number.isFinite(declared) && declared > limit + MULTIPART_ALLOWANCE_BYTES) {
      res.setHeader('Connection', 'close');
      throw payloadTooLarge(limit);
    }
    req.streamUpload = true;
    return next();
  };
}

/** The image routes' limit and buffering (uploadBody.js), skipped for a film that streams. */
function unlessStreamed(middleware) {
  return (req, res, next) => (req.streamUpload ? next() : middleware(req, res, next));
}

function frontend(staticDir) {
  const router = express.Router({ caseSensitive: true, strict: true });
  const indexFile = path.join(staticDir, 'index.html');
  if (!fs.existsSync(indexFile)) {
    // The folder is logged at start-up (server.js), never shown to a visitor.
    router.get('/', (req, res) =>
      sendError(res, 404, 'frontend_not_built', 'The web app has not been built: run "npm run build" in frontend/.'),
    );
    return router;
  }
  router.use(
    express.static(staticDir, {
      index: 'index.html',
      setHeaders(res, filePath) {
        // Vite puts a content hash in every asset name: cache those forever, never index.html.
        const hashed = filePath.includes(`${path.sep}assets${path.sep}`);
        res.setHeader('Cache-Control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    }),
  );
  return router;
}

/**
 * Build the gateway: the built frontend at /, the colorize API at /api, and a
 * pass-through of the inference service's REST API at /api/v1. Resolves to the
 * Express app; `app.locals.close()` stops its timers and sockets. `lookup`
 * replaces the system's DNS lookup for GATEWAY_INFERENCE_DISCOVERY=dns (tests).
 */
async function createApp(config, { logger = createLogger(config.logLevel), lookup } = {}) {
  const pool = await new InferencePool({
    urls: config.inferenceUrls,
    discovery: config.inferenceDiscovery,
    timeoutMs: config.upstreamTimeoutMs,
    healthIntervalMs: config.inferenceHealthIntervalMs,
    logger,
    ...(lookup && { lookup }),
  }).open();
  const store = await openResultStore(config, logger);

  const app = express();
  app.disable('x-powered-by');
  // Before the first route (Express makes its router then): a path matches a route only as
  // written, so the key check and the routes read paths alike (paths.js).
  app.set('case sensitive routing', true);
  app.set('strict routing', true);
  if (config.trustProxy)
    app.set('trust proxy', /^\d+$/.test(config.trustProxy) ? Number(config.trustProxy) : config.trustProxy);
  app.locals.store = store;
  app.locals.pool = pool;
  app.locals.close = () => {
    store.close();
    pool.close();
  };

  app.use(requestLogger(logger));
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          // Previews of the user's own files are blob: URLs.
          'img-src': ["'self'", 'data:', 'blob:'],
          // A film plays from the gateway (range requests) or, before and with a key, from a local blob: copy.
          'media-src': ["'self'", 'blob:'],
          // On-device colorization compiles ONNX Runtime's WebAssembly (features/device in the frontend).
          'script-src': ["'self'", "'wasm-unsafe-eval'"],
          // Results colorized on the device are blob: URLs the app reads back (to convert or keep them).
          'connect-src': ["'self'", 'blob:'],
          // Plain-HTTP deployments (a LAN address) must not have their assets rewritten to https.
          'upgrade-insecure-requests': null,
        },
      },
      // With COOP same-origin (helmet's default), pages are cross-origin isolated: ONNX Runtime
      // Web may then use threads (SharedArrayBuffer). Everything the app loads is same-origin.
      crossOriginEmbedderPolicy: { policy: 'require-corp' },
    }),
  );
  // Before anything decides by path: an /api path in another spelling never gets further.
  app.use(canonicalApiPaths());

  // With GATEWAY_AUTH=keys, every /api route but health and the API docs needs a key (auth.js).
  if (config.auth === 'keys') {
    const keys = openKeyStore(config, { redisClient: store.client, logger });
    app.use(requireKey({ keys }));
  }
  // Redis counts the limits for every replica when there is one (rateLimits.js).
  const limiter = colorizeLimits(config, config.redisUrl ? store.client : null);
  const limitUpload = uploadLimit(pool);
  // Uploads are read in full before a replica sees a byte: a slow client holds only
  // the gateway, never a connection of the service (uploadBody.js).
  const readUpload = bufferUpload({ allowanceBytes: MULTIPART_ALLOWANCE_BYTES, idleMs: config.clientIdleTimeoutMs });

  // The API reference, before the pass-through (the service has no /v1/openapi.json).
  app.use(docsRouter({ pool }));
  // No other body parser runs before these routes (none is used at all).
  app.use(
    '/api/v1',
    limiter,
    videoUploadLimit(pool),
    unlessStreamed(limitUpload),
    unlessStreamed(readUpload),
    passThroughProxy({ pool, auth: config.auth, signingSecret: config.signingSecret }),
  );
  app.post(
    '/api/colorize',
    limiter,
    resultStoreWritable({ store }),
    limitUpload,
    readUpload,
    colorizeHandler({ pool, store, auth: config.auth, signingSecret: config.signingSecret }),
  );
  app.get('/api/images/:id', imageHandler({ store, privateResults: config.auth === 'keys' }));
  app.get(
    '/api/health',
    healthHandler({ pool, store, startedAt: Date.now(), resultTtlMs: config.resultTtlMs, auth: config.auth }),
  );
  app.all('/api/colorize', () => {
    throw new HttpError(405, 'method_not_allowed', 'Use POST to colorize an image.', { Allow: 'POST' });
  });
  app.use('/api', notFoundHandler);

  app.use('/model', modelFilesRouter(config.staticDir));
  app.use(frontend(config.staticDir));
  // Client-side routes of the single-page app all get index.html.
  const indexFile = path.join(config.staticDir, 'index.html');
  app.get('/{*path}', (req, res, next) => {
    if (!req.accepts('html') || !fs.existsSync(indexFile)) return next();
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(indexFile);
  });

  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}

module.exports = { createApp };
