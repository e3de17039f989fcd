'use strict';

const { createProxyMiddleware } = require('http-proxy-middleware');

const { sendError, fromUpstreamError } = require('./errors');
const { timeoutError } = require('./upstream');

/**
 * /api/v1/* -> the inference service's /v1/*, streamed both ways, untouched: the
 * same contract and the same errors for programmatic clients. Must be mounted
 * before any body parser, or the upload stream is consumed and the proxy hangs.
 */
function passThroughProxy({ upstream }) {
  return createProxyMiddleware({
    target: upstream.url('/v1').toString(),
    changeOrigin: true,
    xfwd: true,
    agent: upstream.agent,
    on: {
      proxyReq(proxyReq, req) {
        proxyReq.setHeader('X-Request-Id', req.id);
        // No byte either way for this long: give up and answer 504.
        proxyReq.setTimeout(upstream.timeoutMs, () => proxyReq.destroy(timeoutError()));
      },
      error(err, req, res) {
        const error = fromUpstreamError(err);
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
