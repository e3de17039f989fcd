'use strict';

const pkg = require('../../package.json');

/**
 * GET /api/health: the gateway's own state (its result store included) plus the
 * inference replicas', each checked now. 200 when at least one replica is READY
 * and the result store works, 503 otherwise (the body says why).
 */
function healthHandler({ pool, store, startedAt, resultTtlMs, auth }) {
  return async function health(req, res) {
    const [results] = await Promise.all([store.health(), pool.refresh()]);
    const inference = pool.report();
    const ready = inference.status === 'READY' && results.status === 'ok';
    res.setHeader('Cache-Control', 'no-store');
    res.status(ready ? 200 : 503).json({
      status: ready ? 'ok' : 'degraded',
      gateway: {
        status: results.status === 'ok' ? 'ok' : 'failing',
        version: pkg.version,
        uptime_s: Math.round((Date.now() - startedAt) / 1000),
        // "keys": the other /api routes need an API key (the web app asks for one).
        auth,
        results,
        // What a client may want to know: how long a result stays, the largest upload
        // (the inference service's limit, null while no replica has answered).
        limits: { result_ttl_s: Math.round(resultTtlMs / 1000), max_upload_bytes: pool.knownUploadLimitBytes() },
      },
      inference,
    });
  };
}

module.exports = { healthHandler };
