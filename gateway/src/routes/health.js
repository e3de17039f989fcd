'use strict';

const { readBody } = require('../upstream');
const pkg = require('../../package.json');

const HEALTH_TIMEOUT_MS = 5000;

/**
 * GET /api/health: the gateway's own state plus the inference service's.
 * 200 only when the inference service is READY and results can be stored, 503
 * otherwise (the body says why).
 */
function healthHandler({ upstream, store, startedAt }) {
  return async function health(req, res) {
    const [inference, storage] = await Promise.all([inferenceHealth(upstream), store.check()]);
    const ready = inference.status === 'READY' && storage.ok;
    res.setHeader('Cache-Control', 'no-store');
    res.status(ready ? 200 : 503).json({
      status: ready ? 'ok' : 'degraded',
      gateway: {
        status: storage.ok ? 'ok' : 'failing',
        version: pkg.version,
        uptime_s: Math.round((Date.now() - startedAt) / 1000),
        results: {
          // "unwritable" (with the file-system error code, never a path) while results cannot be kept.
          status: storage.ok ? 'ok' : 'unwritable',
          ...(storage.ok ? {} : { error: storage.error }),
          count: store.entries.size,
          bytes: store.totalBytes,
          max_bytes: store.maxBytes,
        },
      },
      inference,
    });
  };
}

async function inferenceHealth(upstream) {
  try {
    const upstreamRes = await upstream.request({
      pathname: '/v1/health',
      headers: { accept: 'application/json' },
      timeoutMs: Math.min(HEALTH_TIMEOUT_MS, upstream.timeoutMs),
    });
    const body = JSON.parse((await readBody(upstreamRes)).toString('utf8'));
    return { status: typeof body.status === 'string' ? body.status : 'UNKNOWN', detail: body };
  } catch (err) {
    return {
      status: 'UNREACHABLE',
      detail: { error: err.code === 'UPSTREAM_TIMEOUT' ? 'timed out' : 'connection failed' },
    };
  }
}

module.exports = { healthHandler };
