'use strict';

const http = require('node:http');
const { createProxyMiddleware } = require('http-proxy-middleware');

const { clientHeaders, SIGNATURE_HEADER } = require('./clientIdentity');
const { sendError, fromUpstreamError, upstreamUnavailable, UNREACHABLE_CODES } = require('./errors');
const { readBody, timeoutError } = require('./upstream');

// Hop-by-hop headers (RFC 9110 section 7.6.1): about one connection, never forwarded.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
]);

/** A stable code for an error status the service answered without its JSON body. */
function codeForStatus(status) {
  const name = http.STATUS_CODES[status] || `http ${status}`;
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_|_$/g, '');
}

/**
 * The service's answer to the client: as it is, except that an error without a
 * JSON body (an HTML page from something in between, or an older service) becomes
 * the common JSON error shape with the same status.
 */
async function relayResponse(proxyRes, req, res) {
  const status = proxyRes.statusCode;
  const isJson = /^application\/(problem\+)?json\b/i.test(String(proxyRes.headers['content-type'] || ''));
  if (status >= 400 && !isJson) {
    await readBody(proxyRes).catch(() => null);
    const retryAfter = proxyRes.headers['retry-after'];
    req.log?.warn({ status }, 'inference service answered an error without a JSON body');
    const headers = retryAfter ? { 'Retry-After': retryAfter } : {};
    sendError(res, status, codeForStatus(status), `The inference service answered with status ${status}.`, headers);
    return;
  }
  for (const [name, value] of Object.entries(proxyRes.headers)) {
    if (!HOP_BY_HOP.has(name)) res.setHeader(name, value);
  }
  res.status(status);
  proxyRes.on('error', () => res.destroy());
  proxyRes.pipe(res);
}

/**
 * /api/v1/* -> the inference service's /v1/*: the same contract and the same errors
 * for programmatic clients. The upload has been read in full already
 * (uploadBody.js, `req.uploadBody`): the service gets it at once, with its exact
 * length, and answers are streamed back (an error without a JSON body is wrapped).
 * Each request goes to the replica the pool picks; it is not retried on another,
 * but a replica that refuses the connection is routed around from then on.
 */
function passThroughProxy({ pool, auth = 'off', signingSecret = '' }) {
  return createProxyMiddleware({
    async router(req) {
      await pool.ensureReplicas();
      const replica = pool.pick();
      if (!replica) throw upstreamUnavailable();
      req.inferenceReplica = replica;
      req.res.once('close', pool.track(replica));
      return replica.upstream.url('/v1').toString();
    },
    changeOrigin: true,
    xfwd: true,
    // One keep-alive agent for every replica (an agent pools sockets per host).
    agent: pool.agent,
    selfHandleResponse: true,
    on: {
      proxyReq(proxyReq, req) {
        const { upstream } = req.inferenceReplica;
        if (upstream.hostHeader) proxyReq.setHeader('Host', upstream.hostHeader);
        proxyReq.setHeader('X-Request-Id', req.id);
        // The API key is the gateway's business: the service never sees (or logs) it.
        proxyReq.removeHeader('authorization');
        proxyReq.removeHeader('x-api-key');
        // Whose request it is, signed, for the service's video jobs (jobs per client; a key's jobs
        // are private to it), and where it is mounted, for the URLs it answers. Never the client's own.
        proxyReq.removeHeader(SIGNATURE_HEADER);
        for (const [name, value] of Object.entries(clientHeaders(req, { auth, signingSecret }))) {
          proxyReq.setHeader(name, value);
        }
        proxyReq.setHeader('X-Forwarded-Prefix', '/api');
        if (req.uploadBody) {
          proxyReq.removeHeader('transfer-encoding');
          proxyReq.setHeader('Content-Length', req.uploadBody.length);
          // The request stream has ended: the proxy's pipe from it only ends proxyReq after this.
          proxyReq.write(req.uploadBody);
        }
        // No byte either way for this long: give up and answer 504.
        proxyReq.setTimeout(upstream.timeoutMs, () => proxyReq.destroy(timeoutError()));
      },
      proxyRes(proxyRes, req, res) {
        relayResponse(proxyRes, req, res).catch(() => res.destroy());
      },
      error(err, req, res) {
        const error = fromUpstreamError(err);
        if (req.inferenceReplica && UNREACHABLE_CODES.has(err.code) && err.code !== 'ECONNRESET') {
          pool.markUnreachable(req.inferenceReplica);
        }
        req.log?.warn(
          { err: { code: err.code, message: err.message } },
          'pass-through to the inference service failed',
        );
        if (res.headersSent || typeof res.status !== 'function') {
          res.destroy();
          return;
        }
        sendError(res, error.status, error.code, error.message);
      },
    },
  });
}

module.exports = { passThroughProxy, codeForStatus };
