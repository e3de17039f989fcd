'use strict';

const { pipeline } = require('node:stream/promises');

const { HttpError } = require('../errors');
const { isValidId } = require('../resultIds');
const { safeFilename } = require('./colorize');

const notFound = () => new HttpError(404, 'not_found', 'No image with this id: it never existed or has expired.');

/**
 * `inline; filename="cat-colorized.png"`, the form the inference service uses, plus
 * an RFC 5987 `filename*` when the name is not plain ASCII. `filename` is already
 * free of quotes and control characters (safeFilename).
 */
function contentDisposition(type, filename) {
  const ascii = filename.replace(/[^\x20-\x7e]/g, '_');
  const header = `${type}; filename="${ascii}"`;
  return ascii === filename ? header : `${header}; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

/**
 * GET /api/images/:id: the stored image inline, or with ?download=1 as an attachment.
 * `privateResults` (GATEWAY_AUTH=keys): a result is its key's own, and 404 to any other
 * key, exactly as if it did not exist.
 */
function imageHandler({ store, privateResults = false }) {
  return async function image(req, res) {
    const { id } = req.params;
    // Strict shape check first: nothing but 24 base64url characters reaches the store.
    if (!isValidId(id)) throw notFound();
    const found = await store.read(id);
    if (!found) throw notFound();
    const { entry, body } = found;
    if (privateResults && entry.owner !== req.apiKey?.id) {
      if (!Buffer.isBuffer(body)) body.destroy();
      throw notFound();
    }

    const download = req.query.download === '1' || req.query.download === 'true';
    const filename = safeFilename(entry.filename, entry.extension);
    const maxAge = Math.max(0, Math.floor((entry.expiresAt - Date.now()) / 1000));
    res.setHeader('Content-Disposition', contentDisposition(download ? 'attachment' : 'inline', filename));
    res.setHeader('Cache-Control', `private, max-age=${maxAge}, immutable`);
    // Another key must not get this answer from a cache (its answer is 404).
    if (privateResults) res.setHeader('Vary', 'Authorization, X-API-Key');
    res.setHeader('Content-Type', entry.contentType);
    // A result never changes: its id is its version.
    res.setHeader('ETag', `"${entry.id}"`);
    if (req.fresh) {
      if (!Buffer.isBuffer(body)) body.destroy();
      res.status(304).end();
      return;
    }
    res.setHeader('Content-Length', String(entry.bytes));
    if (Buffer.isBuffer(body)) {
      res.end(body);
      return;
    }
    // A client that goes away mid-download just closes its connection.
    await pipeline(body, res).catch(() => res.destroy());
  };
}

module.exports = { imageHandler, contentDisposition };
