'use strict';

const { HttpError } = require('./errors');

// Every decision the gateway makes by path (which routes need a key, which are rate
// limited, which bodies stream, what the pass-through forwards) compares the path as
// sent. Routing is case-sensitive and strict (app.js), and an /api path reaches the
// routes only in one spelling: segments of these characters, none empty, none "." or
// "..", none ending in a dot, no percent-escape. So the string the key check sees is the
// string the router matches, and no other spelling of a path can reach its route.
const CANONICAL_API_PATH = /^\/api(?:\/[A-Za-z0-9_~-](?:[A-Za-z0-9._~-]*[A-Za-z0-9_~-])?)*$/;

/** `text` with its percent-escapes decoded, or null when they do not decode. */
function decoded(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

/**
 * Whether a client could mean the API by `path` (a request's path, as sent): its first
 * non-empty segment, decoded, case-folded and without trailing dots or spaces, is "api".
 * Undecodable escapes count as the API too, so they are refused rather than served.
 */
function meansApi(path) {
  const plain = decoded(path);
  if (plain === null) return true;
  const first = plain.split(/[/\\]/).find((segment) => segment !== '') ?? '';
  return first.replace(/[.\s]+$/, '').toLowerCase() === 'api';
}

/**
 * Middleware, first of all: an /api path in any spelling but the canonical one is refused
 * before anything reads it: another case (`/API/colorize`) is 404 (routes are
 * case-sensitive), an odd spelling (`//api`, `/api/./v1`, `/api%2Fv1`, `/api/health/`,
 * `/api./v1`) is 400 invalid_path. Paths outside the API (the web app's) pass as they are.
 */
function canonicalApiPaths() {
  return function refuseOddApiPaths(req, res, next) {
    const { path } = req;
    if (CANONICAL_API_PATH.test(path) || !meansApi(path)) return next();
    if (CANONICAL_API_PATH.test(path.replace(/^\/api/i, '/api'))) {
      throw new HttpError(404, 'not_found', `No route for ${req.method} ${path}: API paths are lower-case.`);
    }
    throw new HttpError(
      400,
      'invalid_path',
      'The path is not in canonical form: no empty, "." or ".." segment, no segment ending in a dot, no percent-escape.',
    );
  };
}

module.exports = { canonicalApiPaths, meansApi, CANONICAL_API_PATH };
