'use strict';

// Credentials never reach a log line or an answer about the gateway itself: whatever a
// client or an operator put into a URL or a header (an API key in the query string, a
// password in GATEWAY_INFERENCE_URL, a bearer token) is replaced by "[redacted]". Applied
// to every line the gateway logs (logger.js), so no call site can forget it.
const REDACTED = '[redacted]';

// Query parameters that carry a credential, by name (case-insensitive; "-" and "_" alike).
const CREDENTIAL_PARAMETER =
  /([?&;](?:[\w.-]*(?:api[-_]?key|apikey|token|secret|password|passwd|pwd|signature|sig|auth|credential|session)[\w.-]*|key)=)[^&;#\s"\\]*/gi;
// user:password@ (or a bare token@) in an absolute URL.
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^/?#@\s"\\]+@/gi;
// An API key anywhere (colorizer_cli/keys.py's shape): its public id stays, its secret goes.
const API_KEY = /\b(clr_[0-9a-f]{16}_)[A-Za-z0-9_-]{43}/g;
// The value of an Authorization-style scheme, e.g. in a logged header.
const AUTH_SCHEME = /\b(Bearer|Basic|Digest|Token)([ \t]+)[^\s"\\,]+/gi;
// A header whose value is a credential through and through, as a logged JSON property.
const CREDENTIAL_HEADER =
  /("(?:authorization|proxy-authorization|x-api-key|cookie|set-cookie|x-colorizer-signature)"\s*:\s*)"(?:[^"\\]|\\.)*"/gi;

/** `text` (a URL, a header value, a whole JSON log line) without the credentials in it. */
function redactText(text) {
  return String(text)
    .replace(CREDENTIAL_HEADER, `$1"${REDACTED}"`)
    .replace(URL_USERINFO, `$1${REDACTED}@`)
    .replace(CREDENTIAL_PARAMETER, `$1${REDACTED}`)
    .replace(API_KEY, `$1${REDACTED}`)
    .replace(AUTH_SCHEME, `$1$2${REDACTED}`);
}

module.exports = { redactText, REDACTED };
