'use strict';

// One request-id format on both sides: the examples in tests/fixtures/request_ids.json
// are checked here and by the service's tests (tests/service/test_routes.py).
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { describe, it } = require('node:test');

const { newRequestId, REQUEST_ID_PATTERN } = require('../src/logger');
const { REPO_ROOT } = require('../test-helpers/inferenceService');

const EXAMPLES = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'tests', 'fixtures', 'request_ids.json'), 'utf8'));

describe('the request id format', () => {
  it("is the inference service's pattern", () => {
    assert.equal(REQUEST_ID_PATTERN.source, EXAMPLES.pattern);
  });

  it('keeps and replaces the same examples as the service', () => {
    assert.deepEqual(
      EXAMPLES.accept.filter((value) => !REQUEST_ID_PATTERN.test(value)),
      [],
    );
    assert.deepEqual(
      EXAMPLES.reject.filter((value) => REQUEST_ID_PATTERN.test(value)),
      [],
    );
  });

  it('makes new ids as the service does (32 hex digits)', () => {
    const id = newRequestId();
    assert.match(id, /^[0-9a-f]{32}$/);
    assert.match(id, REQUEST_ID_PATTERN);
    assert.notEqual(newRequestId(), id);
  });
});
