'use strict';

/**
 * Every failure leaves the gateway in one JSON shape, the same as the inference
 * service's: {"error": {"code": "...", "message": "...", "request_id": "..."}}.
 */
class HttpError extends Error {
  constructor(status, code, message, headers = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

function sendError(res, status, code, message, headers = {}) {
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  // The request id (logger.js), as the inference service puts it in its errors too.
  const requestId = res.req?.id;
  res.status(status).json({ error: { code, message, ...(requestId && { request_id: String(requestId) }) } });
}

const upstreamUnavailable = () =>
  new HttpError(502, 'upstream_unavailable', 'The inference service cannot be reached.');

const upstreamTimeout = () => new HttpError(504, 'upstream_timeout', 'The inference service did not answer in time.');

const resultStoreUnavailable = () =>
  new HttpError(503, 'result_store_unavailable', 'Results cannot be stored right now: try again in a moment.', {
    'Retry-After': '5',
  });

/** The upload was refused: the image limit (not the body limit) is what a user needs to know. */
const payloadTooLarge = (imageLimitBytes) =>
  new HttpError(413, 'payload_too_large', `The image is larger than the limit of ${imageLimitBytes} bytes.`);

const resultTooLarge = () =>
  new HttpError(507, 'result_too_large', 'The colorized image is larger than the result store can hold.');

const badUpstreamResponse = (detail) =>
  new HttpError(502, 'bad_upstream_response', `The inference service sent an unusable answer: ${detail}`);

/** Error codes of node's sockets that mean "the upstream is not there (or went away)". */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

/** Map a socket error from talking to the inference service to the HttpError to answer with. */
function fromUpstreamError(err) {
  if (err instanceof HttpError) return err;
  if (err && err.code === 'UPSTREAM_TIMEOUT') return upstreamTimeout();
  if (err && UNREACHABLE_CODES.has(err.code)) return upstreamUnavailable();
  return upstreamUnavailable();
}

function notFoundHandler(req, res) {
  sendError(res, 404, 'not_found', `No route for ${req.method} ${req.originalUrl.split('?')[0]}.`);
}

/** The one final error handler: logs unexpected errors, never leaks a stack trace. */
function errorHandler(err, req, res, _next) {
  let error = err;
  if (!(error instanceof HttpError)) {
    // Errors thrown by express/body handling carry a status (e.g. a malformed URL).
    const status = Number(err && (err.status || err.statusCode));
    if (status >= 400 && status < 500) {
      error = new HttpError(
        status,
        err.code && typeof err.code === 'string' ? err.code.toLowerCase() : 'bad_request',
        'The request could not be processed.',
      );
    } else {
      (req.log || console).error({ err }, 'unhandled error');
      error = new HttpError(500, 'internal_error', 'Something went wrong in the gateway.');
    }
  }
  if (res.headersSent) {
    // Too late for a JSON answer: cut the connection so the client sees a failure.
    res.destroy();
    return;
  }
  sendError(res, error.status, error.code, error.message, error.headers);
}

module.exports = {
  HttpError,
  sendError,
  upstreamUnavailable,
  upstreamTimeout,
  badUpstreamResponse,
  resultStoreUnavailable,
  payloadTooLarge,
  resultTooLarge,
  fromUpstreamError,
  UNREACHABLE_CODES,
  notFoundHandler,
  errorHandler,
};
