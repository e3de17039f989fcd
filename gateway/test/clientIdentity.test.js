'use strict';

// One signature format on both sides: the examples in tests/fixtures/client_signatures.json
// are made here and accepted by the service's tests (tests/service/test_client_identity.py).
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { describe, it } = require('node:test');

const { clientHeaders, signClient, MIN_SECRET_LENGTH } = require('../src/clientIdentity');
const { REPO_ROOT } = require('../test-helpers/inferenceService');

const FIXTURE = JSON.parse(
  fs.readFileSync(path.join(REPO_ROOT, 'tests', 'fixtures', 'client_signatures.json'), 'utf8'),
);

describe('the client signature', () => {
  it("makes the service's examples, with the same shortest secret", () => {
    assert.equal(MIN_SECRET_LENGTH, FIXTURE.min_secret_length);
    for (const example of FIXTURE.examples) {
      assert.equal(signClient(FIXTURE.secret, example.client, example.t * 1000 + 999), example.signature);
    }
  });

  it('names the key with API keys, else the address, and signs only with a secret', () => {
    const req = { ip: '10.0.0.9', apiKey: { id: '0123456789abcdef' } };
    assert.deepEqual(clientHeaders(req, { auth: 'off', signingSecret: '' }), { 'X-Colorizer-Client': 'ip:10.0.0.9' });
    const signed = clientHeaders(req, { auth: 'keys', signingSecret: FIXTURE.secret });
    assert.equal(signed['X-Colorizer-Client'], 'key:0123456789abcdef');
    assert.match(signed['X-Colorizer-Signature'], /^t=\d+,v1=[0-9a-f]{64}$/);
  });
});
