'use strict';

const { createProxyMiddleware } = require('http-proxy-middleware');

const { sendError, fromUpstreamError, upstreamUnavailable, UNREACHABLE_CODES } = require('./errors');
const { timeoutError } = require('./upstream');

/**
 * /api/v1/* -> the inference service's /v1/*, streamed both ways, untouched: the
 * same contract and the same errors for programmatic clients. Must be mounted
 * before any body parser, or the upload stream is consumed and the proxy hangs.
 * Each request goes to the replica the pool picks; it is not retried on another
 * (the upload streams straight through), but a replica that refuses the
 * connection is routed around from then on.
 */
function passThroughProxy({ pool }) {
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
    on: {
      proxyReq(proxyReq, req) {
        const { upstream } = req.inferenceReplica;
        if (upstream.hostHeader) proxyReq.setHeader('Host', upstream.hostHeader);
        proxyReq.setHeader('X-Request-Id', req.id);
        // No byte either way for this long: give up and answer 504.
        proxyReq.setTimeout(upstream.timeoutMs, () => proxyReq.destroy(timeoutError()));
      },
      error(err, req, res) {
        const error = fromUpstreamError(err);
        if (req.inferenceReplica && UNREACHABLE_CODES.has(err.code) && err.code !== 'ECONNRESET') {
          pool.markUnreachable(req.inferenceReplica);
        }
        req.log?.warn({ err: { code: err.code, message: err.message } }, 'pass-through to the inference service failed');
        if (res.headersSent || typeof res.status !== 'function') {
          res.destroy();
          return;
        }
        sendError(res, error.status, error.code, error.message);
      },
    },
  });
}

module.exports = { passThroughProxy };
