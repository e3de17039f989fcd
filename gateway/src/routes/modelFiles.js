'use strict';

const path = require('node:path');
const express = require('express');

const { notFoundHandler } = require('../errors');

// The build names the model after its content (model/colorizer-<sha256 prefix>.onnx:
// frontend/vite-plugins/deviceModel.ts), so a file once fetched never changes.
const HASHED_MODEL = /^colorizer-[0-9a-f]{16}\.onnx$/;

/**
 * GET /model/*: the model for on-device colorization, as the frontend build wrote it
 * (model/manifest.json and the file it names). The hashed file is cached for a year
 * and never revalidated; the manifest is asked again on every visit, so a new model
 * is seen at once. Anything else under /model is a JSON 404, never the app's
 * index.html (which the browser would take for a damaged model); a build without a
 * model has no such folder, and the app colorizes on the server.
 */
function modelFilesRouter(staticDir) {
  const router = express.Router();
  router.use(
    express.static(path.join(staticDir, 'model'), {
      index: false,
      setHeaders(res, filePath) {
        const hashed = HASHED_MODEL.test(path.basename(filePath));
        res.setHeader('Cache-Control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
        if (hashed) res.setHeader('Content-Type', 'application/octet-stream');
      },
    }),
  );
  router.use(notFoundHandler);
  return router;
}

module.exports = { modelFilesRouter, HASHED_MODEL };
