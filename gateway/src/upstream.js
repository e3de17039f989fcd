'use strict';

const http = require('node:http');
const https = require('node:https');
const { pipeline } = require('node:stream/promises');

const { HttpError, payloadTooLarge } = require('./errors');
const { readAll } = require('./streams');

// Request headers a client may send that the inference service understands.
const FORWARDED_REQUEST_HEADERS = ['content-type', 'content-length', 'accept', 'x-request-id'];

function timeoutError() {
  const err = new Error('upstream timed out');
  err.code = 'UPSTREAM_TIMEOUT';
  return err;
}

/** A keep-alive agent; it keeps a pool of sockets per host, so several replicas can share one. */
function newAgent(protocol) {
  return new (protocol === 'https:' ? https : http).Agent({ keepAlive: true, maxSockets: 64 });
}

/**
 * Talks to one inference replica: one keep-alive agent, an inactivity timeout, and
 * streaming bodies in both directions. `hostHeader` is the Host to send when the
 * URL holds an address found for a name (DNS discovery).
 */
class Upstream {
  constructor({ baseUrl, timeoutMs, hostHeader = null, agent = null }) {
    this.baseUrl = new URL(baseUrl);
    this.timeoutMs = timeoutMs;
    this.hostHeader = hostHeader;
    this.client = this.baseUrl.protocol === 'https:' ? https : http;
    this.ownsAgent = !agent;
    this.agent = agent || newAgent(this.baseUrl.protocol);
  }

  close() {
    if (this.ownsAgent) this.agent.destroy();
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
   * `body` is a Buffer (sent as it is, so it can be sent again to another replica),
   * or a readable stream (e.g. the client's request) piped through a byte
   * counter that rejects with 413 past `limitBytes` (the error names `imageLimitBytes`). Socket errors reject with the
   * raw error (see errors.fromUpstreamError); no bytes for `timeoutMs` rejects with
   * code UPSTREAM_TIMEOUT, also while the response body is still streaming.
   */
  request({
    method = 'GET',
    pathname,
    search = '',
    headers = {},
    body = null,
    limitBytes = Infinity,
    imageLimitBytes = limitBytes,
    timeoutMs = this.timeoutMs,
  }) {
    return new Promise((resolve, reject) => {
      let settled = false;
      const allHeaders = this.hostHeader ? { host: this.hostHeader, ...headers } : headers;
      const upstreamReq = this.client.request(this.url(pathname, search), {
        method,
        headers: allHeaders,
        agent: this.agent,
      });
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
      if (!body || Buffer.isBuffer(body)) {
        upstreamReq.end(body || undefined);
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
function readBody(stream, maxBytes = 1024 * 1024) {
  return readAll(stream, { maxBytes });
}

module.exports = { Upstream, newAgent, forwardedHeaders, readBody, timeoutError };
