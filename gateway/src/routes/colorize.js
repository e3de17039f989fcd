'use strict';

const { clientHeaders } = require('../clientIdentity');
const {
  HttpError,
  sendError,
  fromUpstreamError,
  badUpstreamResponse,
  upstreamUnavailable,
  UNREACHABLE_CODES,
} = require('../errors');
const { forwardedHeaders, readBody } = require('../upstream');

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
  return plain ? (plain[1] ?? plain[2]) : null;
}

// Never shown as themselves: controls (C0 and C1), format characters (the
// bidirectional overrides and isolates that make "\u202egpj.exe" display as
// "exe.jpg", zero-width characters), line and paragraph separators, lone surrogates.
const INVISIBLE_CHARACTERS = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;

/** Keep a download filename harmless: no folders, no control, bidirectional or quote characters. */
function safeFilename(name, extension) {
  const base = String(name || '')
    .replace(INVISIBLE_CHARACTERS, '')
    .split(/[\\/]/)
    .pop()
    .replace(/["<>:|?*]/g, '')
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
  sendError(
    res,
    upstreamRes.statusCode,
    'upstream_error',
    `The inference service answered with status ${upstreamRes.statusCode}.`,
  );
}

/** The query string for the service: the parameters its OpenAPI document lists (inferencePool.js), nothing else. */
function forwardedSearch(req, names) {
  const search = new URLSearchParams();
  for (const name of names) {
    // Every occurrence goes on: the service decides what a repeated parameter means (422 when they differ).
    for (const value of [req.query[name]].flat()) {
      if (typeof value === 'string') search.append(name, value);
    }
  }
  return search.toString();
}

/** The replica went away (refused, reset, closed mid-answer): another replica may do the same work. */
function isDropped(err) {
  return (
    Boolean(err) &&
    !(err instanceof HttpError) &&
    err.code !== 'UPSTREAM_TIMEOUT' &&
    (UNREACHABLE_CODES.has(err.code) || err.message === 'aborted' || err.code === 'ERR_STREAM_PREMATURE_CLOSE')
  );
}

/**
 * POST /api/colorize: send the upload to POST /v1/colorize on an inference replica,
 * keep the image in the result store, answer 201 with where to find it.
 *
 * Colorizing is idempotent, so a replica that cannot be reached, drops the
 * connection, or answers 503 (busy, not ready) is skipped and the same upload goes
 * to the next replica, each tried at most once. Timeouts are not retried.
 */
function colorizeHandler({ pool, store, auth = 'off', signingSecret = '' }) {
  return async function colorize(req, res) {
    // Read in full by the bufferUpload middleware (uploadBody.js), so it can go to another replica too.
    const body = req.uploadBody ?? Buffer.alloc(0);
    const headers = {
      ...forwardedHeaders(req),
      ...clientHeaders(req, { auth, signingSecret }),
      'content-length': String(body.length),
    };

    await pool.ensureReplicas();
    const tried = new Set();
    let lastError = null;
    for (let replica = pool.pick(tried); replica; replica = pool.pick(tried)) {
      tried.add(replica);
      const release = pool.track(replica);
      let upstreamRes = null;
      try {
        const search = forwardedSearch(req, await pool.colorizeParametersOf(replica));
        upstreamRes = await replica.upstream.request({
          method: 'POST',
          pathname: '/v1/colorize',
          search,
          headers,
          body,
        });
        if (upstreamRes.statusCode === 503 && pool.pick(tried)) {
          upstreamRes.resume(); // busy or not ready: the next replica may not be
          req.log?.warn({ replica: replica.url }, 'inference replica answered 503; trying another');
          continue;
        }
        if (upstreamRes.statusCode !== 200) {
          await passThroughError(upstreamRes, res);
          return;
        }
        const entry = await saveResult(store, upstreamRes, req.apiKey?.id ?? null);
        res.status(201).location(`/api/images/${entry.id}`).json(describe(entry));
        return;
      } catch (err) {
        upstreamRes?.destroy();
        if (!isDropped(err)) throw translateError(err);
        if (!upstreamRes) pool.markUnreachable(replica);
        lastError = upstreamRes ? badUpstreamResponse('the connection closed early') : fromUpstreamError(err);
        req.log?.warn(
          { replica: replica.url, err: { code: err.code, message: err.message } },
          'inference replica failed; trying another',
        );
      } finally {
        release();
      }
    }
    // Every replica was tried and the last one failed (no replica at all: unavailable).
    throw lastError || upstreamUnavailable();
  };
}

/** Keep the service's answer; `owner`: the API key it was made with (GATEWAY_AUTH=keys), else null. */
function saveResult(store, upstreamRes, owner) {
  const contentType = String(upstreamRes.headers['content-type'] || '')
    .split(';')[0]
    .trim();
  const inferenceMs = Number(upstreamRes.headers['x-inference-ms']);
  const inputColour = upstreamRes.headers['x-input-colour'];
  return store.save(upstreamRes, {
    contentType,
    filename: filenameFromDisposition(upstreamRes.headers['content-disposition']),
    extra: {
      owner,
      modelName: upstreamRes.headers['x-model-name'] || null,
      modelVersion: upstreamRes.headers['x-model-version'] || null,
      inferenceMs: Number.isFinite(inferenceMs) ? inferenceMs : null,
      // The service says whether the upload was already a colour photo (X-Input-Colour); an older one does not.
      inputInColour: inputColour === 'colour' ? true : inputColour === 'gray' ? false : null,
    },
  });
}

/** The 201 body: where the stored result is, and what it is. */
function describe(entry) {
  const url = `/api/images/${entry.id}`;
  return {
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
    input_in_colour: entry.inputInColour ?? null,
    expires_at: new Date(entry.expiresAt).toISOString(),
    // Relative too, so a client with a wrong clock still knows how long it has.
    expires_in_s: Math.round((entry.expiresAt - Date.now()) / 1000),
  };
}

/** An error that is not worth another replica, as the gateway answers it. */
function translateError(err) {
  if (err && err.code === 'UPSTREAM_TIMEOUT') return fromUpstreamError(err);
  return err;
}

/**
 * Middleware before the upload is read: 503 result_store_unavailable when results
 * cannot be kept, so no upload is read and no colorization spent on one.
 */
function resultStoreWritable({ store }) {
  return async function storeWritable(req, res, next) {
    await store.assertWritable();
    next();
  };
}

module.exports = { colorizeHandler, resultStoreWritable, filenameFromDisposition, safeFilename };
