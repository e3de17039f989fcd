'use strict';

// Who a request is for, as the inference service counts and keys its video jobs, signed
// so the service believes it only from a gateway (docs/security.md, "The signing secret").
// The format is inference_service/client_identity.py's; tests/fixtures/client_signatures.json
// holds examples both sides check.
const crypto = require('node:crypto');

const CLIENT_HEADER = 'X-Colorizer-Client';
const SIGNATURE_HEADER = 'X-Colorizer-Signature';
// Shorter secrets are refused at start-up, on both sides.
const MIN_SECRET_LENGTH = 32;

/** "t=<unix seconds>,v1=<hex HMAC-SHA256 of '<t>.<client>'>": the signature of `client` at `nowMs`. */
function signClient(secret, client, nowMs = Date.now()) {
  const timestamp = Math.floor(nowMs / 1000);
  const mac = crypto.createHmac('sha256', secret).update(`${timestamp}.${client}`, 'utf8').digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

/** The client: the API key's id with GATEWAY_AUTH=keys, else the address. */
function clientOf(req, auth) {
  if (auth === 'keys' && req.apiKey) return `key:${req.apiKey.id}`;
  return `ip:${req.ip}`;
}

/**
 * The headers that tell the service whose request this is: the client, and with a
 * signing secret (GATEWAY_SIGNING_SECRET) its signature. Set by the gateway on every
 * request it sends for a client; whatever a client sent under these names is replaced.
 */
function clientHeaders(req, { auth, signingSecret }) {
  const client = clientOf(req, auth);
  const headers = { [CLIENT_HEADER]: client };
  if (signingSecret) headers[SIGNATURE_HEADER] = signClient(signingSecret, client);
  return headers;
}

module.exports = { clientHeaders, signClient, CLIENT_HEADER, SIGNATURE_HEADER, MIN_SECRET_LENGTH };
