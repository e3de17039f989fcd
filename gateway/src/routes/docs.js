'use strict';

const path = require('node:path');
const express = require('express');

const { upstreamUnavailable } = require('../errors');
const { buildGatewayDocument, serviceDocumentBehindGateway } = require('../openapi');
const { readBody } = require('../upstream');

const SWAGGER_UI_DIR = path.dirname(require.resolve('swagger-ui-dist/package.json'));
const OWN_DIR = path.join(__dirname, '..', 'docs');
// The only files of the package the page uses (its index.html and initializer point at a demo API).
const SWAGGER_UI_FILES = new Set(['swagger-ui.css', 'swagger-ui-bundle.js', 'favicon-32x32.png', 'favicon-16x16.png']);

/** GET /openapi.json of a replica (the least busy READY one), or null when none answers. */
async function fetchServiceDocument(pool, log) {
  await pool.ensureReplicas();
  const tried = new Set();
  for (let replica = pool.pick(tried); replica; replica = pool.pick(tried)) {
    tried.add(replica);
    try {
      const response = await replica.upstream.request({
        pathname: '/openapi.json',
        headers: { accept: 'application/json' },
      });
      const body = await readBody(response);
      if (response.statusCode === 200) return JSON.parse(body.toString('utf8'));
    } catch (err) {
      log?.warn(
        { replica: replica.url, err: { code: err.code, message: err.message } },
        'no OpenAPI document from replica',
      );
    }
  }
  return null;
}

/** GET /api/openapi.json: the gateway's document (the service's part from a replica, when one answers). */
function gatewayDocumentHandler({ pool }) {
  return async function gatewayDocument(req, res) {
    const serviceDocument = await fetchServiceDocument(pool, req.log);
    res.setHeader('Cache-Control', 'no-cache');
    res.json(buildGatewayDocument(serviceDocument));
  };
}

/** GET /api/v1/openapi.json: the service's own document, relative to /api (502 when no replica answers). */
function serviceDocumentHandler({ pool }) {
  return async function serviceDocument(req, res) {
    const document = await fetchServiceDocument(pool, req.log);
    if (!document) throw upstreamUnavailable();
    res.setHeader('Cache-Control', 'no-cache');
    res.json(serviceDocumentBehindGateway(document));
  };
}

/**
 * The API reference: GET /api/openapi.json (the gateway's document, with the
 * service's API under /api/v1), GET /api/v1/openapi.json (the service's own,
 * relative to /api), and the Swagger UI page at /api/docs, served from the
 * swagger-ui-dist package.
 */
function docsRouter({ pool }) {
  const router = express.Router({ caseSensitive: true, strict: true });
  router.get('/api/openapi.json', gatewayDocumentHandler({ pool }));
  router.get('/api/v1/openapi.json', serviceDocumentHandler({ pool }));
  router.get('/api/docs', (req, res) => {
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(path.join(OWN_DIR, 'index.html'));
  });
  router.get('/api/docs/init.js', (req, res) => res.sendFile(path.join(OWN_DIR, 'init.js')));
  router.get('/api/docs/:file', (req, res, next) => {
    if (!SWAGGER_UI_FILES.has(req.params.file)) return next();
    res.setHeader('Cache-Control', 'public, max-age=3600');
    return res.sendFile(path.join(SWAGGER_UI_DIR, req.params.file));
  });
  return router;
}

module.exports = { docsRouter, fetchServiceDocument };
