'use strict';

const { HttpError } = require('./errors');

// The image types a result may have (what the inference service answers), and the
// extension each is stored and downloaded with.
const EXTENSIONS = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp' };

/** The extension of a result's content type; anything else is an unusable answer from the service. */
function extensionFor(contentType) {
  const extension = EXTENSIONS[contentType];
  if (!extension) throw new HttpError(502, 'bad_upstream_response', `unexpected image type "${contentType}"`);
  return extension;
}

module.exports = { EXTENSIONS, extensionFor };
