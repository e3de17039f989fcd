'use strict';

const crypto = require('node:crypto');
const pino = require('pino');
const pinoHttp = require('pino-http');

const { redactText } = require('./redact');

// A client's X-Request-Id is kept when it matches (printable, header-safe, short: no log
// injection); anything else is replaced by a new id. The inference service
// (inference_service/request_log.py) keeps and makes ids of exactly this form, so an id
// the gateway forwards is the one the service logs; tests/request_ids.json holds the
// examples both sides' tests check.
const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:/+=@-]{1,128}$/;

/** A fresh id: 32 lowercase hex digits (a random UUID without its dashes), as the service makes them. */
function newRequestId() {
  return crypto.randomUUID().replaceAll('-', '');
}

/**
 * The gateway's logger, to stdout or `destination` (tests): every line it (or a child)
 * writes has its credentials redacted (redact.js).
 */
function createLogger(level, destination = undefined) {
  return pino({ level, base: { service: 'gateway' }, hooks: { streamWrite: redactText } }, destination);
}

/** One structured log line per request, with a request id echoed as X-Request-Id. */
function requestLogger(logger) {
  return pinoHttp({
    logger,
    genReqId(req, res) {
      const given = req.headers['x-request-id'];
      const id = typeof given === 'string' && REQUEST_ID_PATTERN.test(given) ? given : newRequestId();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    // The API key's id once auth.js has checked it; the key itself is never logged.
    customProps: (req) => (req.keyId ? { key_id: req.keyId } : {}),
    customLogLevel(req, res, err) {
      if (err || res.statusCode >= 500) return 'error';
      if (res.statusCode >= 400) return 'warn';
      return 'info';
    },
    serializers: {
      req: (req) => ({
        id: req.id,
        method: req.method,
        url: req.url,
        remoteAddress: req.remoteAddress,
        contentLength: req.headers?.['content-length'],
      }),
      res: (res) => ({ statusCode: res.statusCode, contentLength: res.headers?.['content-length'] }),
    },
  });
}

module.exports = { createLogger, requestLogger, newRequestId, REQUEST_ID_PATTERN };
