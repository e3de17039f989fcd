'use strict';

// The pool's choice of replica and its DNS bookkeeping, without services (the
// integration tests with real replicas are in replicas.test.js).
const assert = require('node:assert/strict');
const { describe, it } = require('node:test');

const { InferencePool, urlWithAddress } = require('../src/inferencePool');
const { freePort } = require('../test-helpers/inferenceService');

async function poolOf(urls, options = {}) {
  return new InferencePool({ urls, timeoutMs: 1000, healthIntervalMs: 0, ...options }).open();
}

describe('choosing an inference replica', () => {
  it('prefers READY, then unchecked, then the rest; the least busy first; never one already tried', async () => {
    const pool = await poolOf(['http://10.0.0.1:8000', 'http://10.0.0.2:8000', 'http://10.0.0.3:8000']);
    const [a, b, c] = pool.replicas.values();
    a.status = 'UNREACHABLE';
    b.status = 'UNKNOWN';
    c.status = 'READY';
    assert.equal(pool.pick(), c);
    assert.equal(pool.pick(new Set([c])), b);
    assert.equal(pool.pick(new Set([b, c])), a, 'a replica marked down is still tried last');
    assert.equal(pool.pick(new Set([a, b, c])), null);

    b.status = 'READY';
    const release = pool.track(c);
    assert.equal(pool.pick(), b, 'the idle one of two READY replicas');
    release();
    release(); // a second call changes nothing
    assert.equal(c.inFlight, 0);
    const picked = new Set(Array.from({ length: 4 }, () => pool.pick()));
    assert.deepEqual(
      [...picked].toSorted((x, y) => x.url.localeCompare(y.url)),
      [b, c],
      'equals take turns',
    );
    pool.close();
  });

  it('turns one name into a replica per address, keeps the name as Host, and keeps them if a lookup fails', async () => {
    let answer = ['10.0.0.5', 'fd00::7'];
    const pool = await poolOf(['http://inference:8000'], {
      discovery: 'dns',
      lookup: async () => (typeof answer === 'function' ? answer() : answer),
    });
    assert.deepEqual([...pool.replicas.keys()], ['http://10.0.0.5:8000', 'http://[fd00::7]:8000']);
    assert.equal(pool.replicas.get('http://10.0.0.5:8000').upstream.hostHeader, 'inference:8000');

    answer = () => {
      throw Object.assign(new Error('temporary failure'), { code: 'EAI_AGAIN' });
    };
    await pool.discover();
    assert.equal(pool.replicas.size, 2, 'a failed lookup forgets nothing');
    answer = ['10.0.0.6'];
    await pool.discover();
    assert.deepEqual([...pool.replicas.keys()], ['http://10.0.0.6:8000']);
    pool.close();
  });

  it('takes the smallest upload limit the replicas published; none reachable: upstream_unavailable', async () => {
    const pool = await poolOf(['http://10.0.0.1:8000', 'http://10.0.0.2:8000']);
    const [a, b] = pool.replicas.values();
    assert.equal(pool.knownUploadLimitBytes(), null);
    a.limits = { max_upload_bytes: 20 * 1024 * 1024 };
    assert.equal(pool.knownUploadLimitBytes(), 20 * 1024 * 1024);
    b.limits = { max_upload_bytes: 1000 };
    assert.equal(await pool.uploadLimitBytes(), 1000, 'the smallest, so no replica gets what it refuses');
    pool.close();

    const nowhere = await poolOf([`http://127.0.0.1:${await freePort()}`]);
    await assert.rejects(nowhere.uploadLimitBytes(), { code: 'upstream_unavailable', status: 502 });
    nowhere.close();
  });

  it('writes addresses into URLs', () => {
    assert.equal(urlWithAddress('http://inference:8000/base', '10.1.2.3'), 'http://10.1.2.3:8000/base');
    assert.equal(urlWithAddress('https://inference', '::1'), 'https://[::1]');
  });
});
