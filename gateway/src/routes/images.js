'use strict';

const { HttpError } = require('../errors');
const { isValidId } = require('../resultStore');
const { safeFilename } = require('./colorize');

const notFound = () =>
  new HttpError(404, 'not_found', 'No image with this id: it never existed or has expired.');

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

/** GET /api/images/:id: the stored image inline, or with ?download=1 as an attachment. */
function imageHandler({ store }) {
  return function image(req, res, next) {
    const { id } = req.params;
    // Strict shape check first: nothing but 24 base64url characters reaches the disk.
    if (!isValidId(id)) throw notFound();
    const entry = store.get(id);
    if (!entry) throw notFound();

    const download = req.query.download === '1' || req.query.download === 'true';
    const filename = safeFilename(entry.filename, entry.extension);
    const maxAge = Math.max(0, Math.floor((entry.expiresAt - Date.now()) / 1000));
    res.setHeader('Content-Disposition', contentDisposition(download ? 'attachment' : 'inline', filename));
    res.setHeader('Cache-Control', `private, max-age=${maxAge}, immutable`);
    res.sendFile(
      `${entry.id}.${entry.extension}`,
      { root: store.dir, dotfiles: 'deny', cacheControl: false, headers: { 'Content-Type': entry.contentType } },
      (err) => {
        if (!err) return;
        // The entry went away between the lookup and the read (expiry or eviction).
        if (err.code === 'ENOENT' || err.status === 404) next(notFound());
        else next(err);
      },
    );
  };
}

module.exports = { imageHandler, contentDisposition };
