'use strict';

const { HttpError, sendError, fromUpstreamError, badUpstreamResponse } = require('../errors');
const { forwardedHeaders, readBody } = require('../upstream');

// Parameters of POST /v1/colorize that may also come in the query string.
const QUERY_PARAMETERS = ['render_size', 'format', 'quality', 'hints', 'vibrance'];

/** "inline; filename=\"cat-colorized.png\"" -> "cat-colorized.png" (or null). */
function filenameFromDisposition(header) {
  if (!header) return null;
  const star = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(header);
  if (star) {
    try {
      return decodeURIComponent(star[1].trim());
    } catch {
      /* fall through to the plain parameter */
    }
  }
  const plain = /filename\s*=\s*"([^"]*)"|filename\s*=\s*([^;\s]+)/.exec(header);
  return plain ? plain[1] ?? plain[2] : null;
}

/** Keep a download filename harmless: no folders, no control or quote characters. */
function safeFilename(name, extension) {
  const base = String(name || '')
    .split(/[\\/]/)
    .pop()
    .replace(/[\u0000-\u001f\u007f"<>:|?*]/g, '')
    .trim()
    .slice(0, 150);
  return base || `colorized.${extension}`;
}

/**
 * Answer with the inference service's error as it is: its status, its JSON body,
 * and Retry-After. A non-JSON error (e.g. from a proxy in between) is wrapped in
 * the common error shape.
 */
async function passThroughError(upstreamRes, res) {
  const body = await readBody(upstreamRes);
  const retryAfter = upstreamRes.headers['retry-after'];
  if (retryAfter) res.setHeader('Retry-After', retryAfter);
  let parsed = null;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    /* not JSON */
  }
  if (parsed && parsed.error && typeof parsed.error.code === 'string') {
    res.status(upstreamRes.statusCode).json(parsed);
    return;
  }
  sendError(res, upstreamRes.statusCode, 'upstream_error', `The inference service answered with status ${upstreamRes.statusCode}.`);
}

/**
 * POST /api/colorize: stream the upload to POST /v1/colorize, keep the image in the
 * result store, answer 201 with where to find it.
 */
function colorizeHandler({ upstream, store, uploadLimitBytes, bodyLimitBytes }) {
  return async function colorize(req, res) {
    const search = new URLSearchParams();
    for (const name of QUERY_PARAMETERS) {
      const value = req.query[name];
      if (typeof value === 'string') search.set(name, value);
    }

    let upstreamRes;
    try {
      upstreamRes = await upstream.request({
        method: 'POST',
        pathname: '/v1/colorize',
        search: search.toString(),
        headers: forwardedHeaders(req),
        body: req,
        limitBytes: bodyLimitBytes,
        imageLimitBytes: uploadLimitBytes,
      });
    } catch (err) {
      if (err instanceof HttpError && err.status === 413) res.setHeader('Connection', 'close');
      throw fromUpstreamError(err);
    }

    try {
      if (upstreamRes.statusCode !== 200) {
        await passThroughError(upstreamRes, res);
        return;
      }
      const contentType = String(upstreamRes.headers['content-type'] || '').split(';')[0].trim();
      const modelName = upstreamRes.headers['x-model-name'] || null;
      const modelVersion = upstreamRes.headers['x-model-version'] || null;
      const inferenceMs = Number(upstreamRes.headers['x-inference-ms']);
      const entry = await store.save(upstreamRes, {
        contentType,
        filename: filenameFromDisposition(upstreamRes.headers['content-disposition']),
        extra: {
          modelName,
          modelVersion,
          inferenceMs: Number.isFinite(inferenceMs) ? inferenceMs : null,
        },
      });
      const url = `/api/images/${entry.id}`;
      res.status(201).location(url).json({
        id: entry.id,
        url,
        download_url: `${url}?download=1`,
        width: entry.width,
        height: entry.height,
        content_type: entry.contentType,
        bytes: entry.bytes,
        filename: safeFilename(entry.filename, entry.extension),
        model_name: entry.modelName,
        model_version: entry.modelVersion,
        inference_ms: entry.inferenceMs,
        expires_at: new Date(entry.expiresAt).toISOString(),
        // Relative too, so a client with a wrong clock still knows how long it has.
        expires_in_s: Math.round((entry.expiresAt - Date.now()) / 1000),
      });
    } catch (err) {
      upstreamRes.destroy();
      if (err instanceof HttpError) throw err;
      if (err && err.code === 'UPSTREAM_TIMEOUT') throw fromUpstreamError(err);
      if (err && (err.code === 'ECONNRESET' || err.message === 'aborted')) throw badUpstreamResponse('the connection closed early');
      throw err;
    }
  };
}

module.exports = { colorizeHandler, filenameFromDisposition, safeFilename };
