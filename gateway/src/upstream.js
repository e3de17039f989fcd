'use strict';

const http = require('node:http');
const https = require('node:https');
const { pipeline } = require('node:stream/promises');

const { HttpError } = require('./errors');

// Request headers a client may send that the inference service understands.
const FORWARDED_REQUEST_HEADERS = ['content-type', 'content-length', 'accept', 'x-request-id'];

function timeoutError() {
  const err = new Error('upstream timed out');
  err.code = 'UPSTREAM_TIMEOUT';
  return err;
}

/** The upload was refused: the image limit (not the body limit) is what a user needs to know. */
function payloadTooLarge(imageLimitBytes) {
  return new HttpError(413, 'payload_too_large', `The image is larger than the limit of ${imageLimitBytes} bytes.`);
}

/**
 * Talks to the inference service: one keep-alive agent, an inactivity timeout, and
 * streaming bodies in both directions (an upload is never held in memory).
 */
class Upstream {
  constructor({ baseUrl, timeoutMs }) {
    this.baseUrl = new URL(baseUrl);
    this.timeoutMs = timeoutMs;
    this.client = this.baseUrl.protocol === 'https:' ? https : http;
    this.agent = new this.client.Agent({ keepAlive: true, maxSockets: 64 });
  }

  close() {
    this.agent.destroy();
  }

  /** An absolute URL on the inference service for a path like "/v1/colorize". */
  url(pathname, search = '') {
    const base = this.baseUrl.pathname.replace(/\/+$/, '');
    const url = new URL(this.baseUrl);
    url.pathname = `${base}${pathname}`;
    url.search = search;
    return url;
  }

  /**
   * Send a request and resolve with the upstream response (headers received).
   * `body` is a Buffer (sent with its Content-Length), or a readable stream piped through a byte
   * counter that rejects with 413 past `limitBytes` (the error names `imageLimitBytes`). Socket errors reject with the
   * raw error (see errors.fromUpstreamError); no bytes for `timeoutMs` rejects with
   * code UPSTREAM_TIMEOUT, also while the response body is still streaming.
   */
  request({ method = 'GET', pathname, search = '', headers = {}, body = null, limitBytes = Infinity, imageLimitBytes = limitBytes, timeoutMs = this.timeoutMs }) {
    return new Promise((resolve, reject) => {
      let settled = false;
      const upstreamReq = this.client.request(this.url(pathname, search), { method, headers, agent: this.agent });
      const fail = (err) => {
        if (!settled) {
          settled = true;
          reject(err);
        }
        upstreamReq.destroy();
      };
      upstreamReq.setTimeout(timeoutMs, () => upstreamReq.destroy(timeoutError()));
      upstreamReq.on('error', fail);
      upstreamReq.on('response', (upstreamRes) => {
        settled = true;
        resolve(upstreamRes);
      });
      if (!body) {
        upstreamReq.end();
        return;
      }
      if (Buffer.isBuffer(body)) {
        // An upload already read in full (uploadBody.js): sent with its exact length.
        if (body.length > limitBytes) {
          fail(payloadTooLarge(imageLimitBytes));
          return;
        }
        upstreamReq.removeHeader('transfer-encoding');
        upstreamReq.setHeader('content-length', body.length);
        upstreamReq.end(body);
        return;
      }
      let received = 0;
      pipeline(
        body,
        async function* limit(source) {
          for await (const chunk of source) {
            received += chunk.length;
            if (received > limitBytes) throw payloadTooLarge(imageLimitBytes);
            yield chunk;
          }
        },
        upstreamReq,
      ).catch((err) => {
        // A client that went away, or an upload over the limit. Errors of the upstream
        // socket itself arrive through upstreamReq's 'error' event above.
        if (err instanceof HttpError) fail(err);
        else if (!settled) fail(err);
      });
    });
  }
}

/** The client's request headers that are passed on to the inference service. */
function forwardedHeaders(req) {
  const headers = {};
  for (const name of FORWARDED_REQUEST_HEADERS) {
    if (req.headers[name] !== undefined) headers[name] = req.headers[name];
  }
  headers['x-request-id'] = req.id;
  return headers;
}

/** Read a whole (small) response body, e.g. a JSON error or health answer. */
async function readBody(stream, maxBytes = 1024 * 1024) {
  const chunks = [];
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.length;
    if (size > maxBytes) throw new Error('response body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

module.exports = { Upstream, forwardedHeaders, readBody, payloadTooLarge, timeoutError };
