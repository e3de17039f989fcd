'use strict';

const http = require('node:http');

// How often Node checks the header and request timeouts of open connections (its
// default, 30 s, would let a slow client overstay a short timeout by that much).
const TIMEOUT_CHECK_INTERVAL_MS = 1000;

// Node's parser errors -> our status and stable code. Anything else is a 400.
const CLIENT_ERRORS = {
  HPE_HEADER_OVERFLOW: [
    431,
    'request_header_fields_too_large',
    'The request has too many headers or a header that is too large.',
  ],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'request_timeout', 'The request was not received in time.'],
  HPE_HEADERS_TIMEOUT: [408, 'request_timeout', 'The request headers were not received in time.'],
};
const BAD_REQUEST = [400, 'bad_request', 'The request is not valid HTTP/1.1.'];

/**
 * Answer a request Node's HTTP parser refused (before Express saw it) with the
 * gateway's JSON error shape instead of an empty body; the detail is logged.
 */
function answerClientError(logger) {
  return (err, socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const [status, code, message] = CLIENT_ERRORS[err.code] || BAD_REQUEST;
    logger.warn({ err: { code: err.code, message: err.message }, status }, 'malformed request refused');
    const body = JSON.stringify({ error: { code, message } });
    socket.end(
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\n` +
        'Connection: close\r\nContent-Type: application/json; charset=utf-8\r\nCache-Control: no-store\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  };
}

/**
 * The gateway's HTTP server with the timeouts that keep slow clients from holding
 * it: the whole header block within `headersTimeoutMs`, the whole request (body
 * included) within `requestTimeoutMs`, an idle kept-alive connection closed after
 * `keepAliveTimeoutMs`. (The idle time allowed in the middle of an upload is
 * enforced where the upload is read: uploadBody.js.) Not listening yet.
 */
function createHttpServer(app, config, logger) {
  const server = http.createServer(
    {
      headersTimeout: config.headersTimeoutMs,
      requestTimeout: config.requestTimeoutMs,
      connectionsCheckingInterval: Math.min(
        TIMEOUT_CHECK_INTERVAL_MS,
        config.headersTimeoutMs || TIMEOUT_CHECK_INTERVAL_MS,
      ),
    },
    app,
  );
  server.keepAliveTimeout = config.keepAliveTimeoutMs;
  server.on('clientError', answerClientError(logger));
  return server;
}

module.exports = { createHttpServer };
