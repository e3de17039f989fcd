'use strict';

const crypto = require('node:crypto');

// A result's id is its only name, and unguessable: 18 random bytes = 144 bits,
// written as 24 base64url characters (no padding). Both result stores use these.
const ID_BYTES = 18;
const ID_PATTERN = /^[A-Za-z0-9_-]{24}$/;

function newId() {
  return crypto.randomBytes(ID_BYTES).toString('base64url');
}

/** True only for strings shaped exactly like the ids the stores hand out. */
function isValidId(id) {
  return typeof id === 'string' && ID_PATTERN.test(id);
}

module.exports = { newId, isValidId, ID_PATTERN, ID_BYTES };
