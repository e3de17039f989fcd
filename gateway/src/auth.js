'use strict';

const { HttpError } = require('./errors');
const { KeyStoreUnavailable, keyId, matches } = require('./apiKeys');

// Open with GATEWAY_AUTH=keys too: what a load balancer, a status page or a reader of
// the API reference needs before having a key. Exactly the paths of those routes: an
// /api path reaches this check only in its one spelling, and routes match it only as
// written (paths.js), so no other spelling can reach a route that needs a key.
const OPEN_ROUTES = new Set(['/api/health', '/api/v1/health', '/api/openapi.json', '/api/v1/openapi.json']);
const DOCS_PAGE = /^\/api\/docs(?:\/[^/]+)?$/;

function isOpen(path) {
  // The web app's own files are not the API.
  if (path !== '/api' && !path.startsWith('/api/')) return true;
  return OPEN_ROUTES.has(path) || DOCS_PAGE.test(path);
}

const unauthorized = (code, message) =>
  new HttpError(401, code, message, { 'WWW-Authenticate': 'Bearer realm="colorizer"' });

/** The key a request presents (Authorization: Bearer, or X-API-Key), or null. */
function presentedKey(req) {
  const authorization = req.headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
    return match ? match[1] : authorization; // any other scheme is an invalid key, not a missing one
  }
  const header = req.headers['x-api-key'];
  return typeof header === 'string' && header !== '' ? header : null;
}

/**
 * GATEWAY_AUTH=keys: every /api route but the open ones needs a key of the key store
 * (apiKeys.js; docs/api-keys.md). The request gets `req.apiKey` = {id, name,
 * ratePerMin, quotaPerDay}; its log line gets the key id (never the key).
 */
function requireKey({ keys }) {
  return async function authenticate(req, res, next) {
    if (isOpen(req.path)) return next();
    const key = presentedKey(req);
    if (key === null) {
      throw unauthorized(
        'api_key_missing',
        'This server needs an API key: send it as "Authorization: Bearer <key>" (or X-API-Key).',
      );
    }
    const id = keyId(key);
    let record = null;
    if (id) {
      try {
        record = await keys.lookup(id);
      } catch (err) {
        if (!(err instanceof KeyStoreUnavailable)) throw err;
        req.log?.error({ err: { message: err.message } }, 'API keys cannot be read');
        throw new HttpError(503, 'key_store_unavailable', 'API keys cannot be checked right now: try again shortly.', {
          'Retry-After': '5',
        });
      }
    }
    // The digest comparison runs whenever a record exists, before anything is answered.
    if (!record || !matches(key, record)) {
      throw unauthorized('api_key_invalid', 'This API key is not valid here: check that it was copied whole.');
    }
    req.keyId = id; // for the request's log line (logger.js)
    if (record.revoked_at) {
      throw unauthorized('api_key_revoked', 'This API key has been revoked: ask for a new one.');
    }
    req.apiKey = {
      id,
      name: record.name,
      ratePerMin: Number.isInteger(record.rate_per_min) ? record.rate_per_min : null,
      quotaPerDay: Number.isInteger(record.quota_per_day) ? record.quota_per_day : null,
    };
    return next();
  };
}

module.exports = { requireKey, presentedKey, isOpen };
