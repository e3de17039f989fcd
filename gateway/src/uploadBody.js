'use strict';

const { HttpError, payloadTooLarge } = require('./errors');

/** Does the request announce a body (a length over 0, or a chunked one)? */
function hasBody(req) {
  return Number(req.headers['content-length']) > 0 || req.headers['transfer-encoding'] !== undefined;
}

/**
 * Read the whole upload into memory before anything is sent to the inference
 * service: a client trickling its body a byte at a time then holds only this
 * (cheap) request, never a connection of the service. Rejects with 413 past
 * `limitBytes`, with 408 when the client sends nothing for `idleMs`.
 */
function readUpload(req, { limitBytes, imageLimitBytes, idleMs }) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let received = 0;
    let done = false;
    const finish = (err, body) => {
      if (done) return;
      done = true;
      req.setTimeout(0);
      req.removeListener('data', onData);
      if (err) {
        req.pause();
        reject(err);
      } else resolve(body);
    };
    const onData = (chunk) => {
      received += chunk.length;
      if (received > limitBytes) finish(payloadTooLarge(imageLimitBytes));
      else chunks.push(chunk);
    };
    req.setTimeout(idleMs, () =>
      finish(
        new HttpError(408, 'request_timeout', `The upload stalled: nothing was received for ${idleMs} ms.`, {
          Connection: 'close',
        }),
      ),
    );
    req.on('data', onData);
    req.once('end', () => finish(null, Buffer.concat(chunks, received)));
    req.once('error', (err) => finish(err));
    req.once('aborted', () => finish(Object.assign(new Error('client aborted the upload'), { code: 'ECONNRESET' })));
  });
}

/**
 * Middleware: buffer the body of a request that has one into `req.uploadBody`
 * (see readUpload). The image may be `req.uploadLimitBytes` (set before, app.js),
 * the body `allowanceBytes` more (the multipart envelope). An over-limit upload
 * closes the connection so the client stops.
 */
function bufferUpload({ allowanceBytes, idleMs }) {
  return async (req, res, next) => {
    if (!hasBody(req)) return next();
    try {
      const imageLimitBytes = req.uploadLimitBytes;
      req.uploadBody = await readUpload(req, { limitBytes: imageLimitBytes + allowanceBytes, imageLimitBytes, idleMs });
    } catch (err) {
      res.setHeader('Connection', 'close');
      if (err instanceof HttpError) throw err;
      // The client went away: nobody is left to answer.
      req.log?.info({ err: { code: err.code, message: err.message } }, 'upload not completed');
      res.destroy();
      return undefined;
    }
    return next();
  };
}

module.exports = { bufferUpload, readUpload, hasBody };
