'use strict';

// One suite, run against both result stores (the disk store in a temporary folder, the
// Redis store on a real redis-server): the interface the routes rely on, and the same
// answers from both for ids, owners, expiry, the size cap and refusals.
const assert = require('node:assert/strict');
const { Readable } = require('node:stream');
const { after, before, describe, it } = require('node:test');

const { DiskResultStore } = require('../src/diskResultStore');
const { RedisResultStore } = require('../src/redisResultStore');
const { ID_PATTERN } = require('../src/resultIds');
const { grayscalePng } = require('../test-helpers/images');
const { tempDir } = require('../test-helpers/inferenceService');
const { startRedis } = require('../test-helpers/redisServer');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

let redis;
let prefixes = 0;
before(async () => {
  redis = await startRedis();
});
after(async () => redis?.stop());

const STORES = {
  disk: ({ ttlMs, maxBytes }) =>
    new DiskResultStore({ dir: tempDir('result-store-'), ttlMs, maxBytes, sweepMs: 0 }).open(),
  redis: ({ ttlMs, maxBytes }) => {
    prefixes += 1;
    return new RedisResultStore({ url: redis.url, keyPrefix: `suite${prefixes}:`, ttlMs, maxBytes }).open();
  },
};

const save = (store, image, extra = {}) =>
  store.save(Readable.from([image.subarray(0, 10), image.subarray(10)]), {
    contentType: 'image/png',
    filename: 'scan-colorized.png',
    extra,
  });

async function bodyOf(found) {
  if (Buffer.isBuffer(found.body)) return found.body;
  const chunks = [];
  for await (const chunk of found.body) chunks.push(chunk);
  return Buffer.concat(chunks);
}

for (const [backend, open] of Object.entries(STORES)) {
  describe(`the ${backend} result store`, () => {
    const opened = [];
    const storeWith = async (options = {}) => {
      const store = await open({ ttlMs: 60_000, maxBytes: 10 * 1024 * 1024, ...options });
      opened.push(store);
      return store;
    };
    after(() => opened.forEach((store) => store.close()));

    it('keeps a result with its metadata and owner, and gives back the same bytes', async () => {
      const store = await storeWith();
      const image = grayscalePng(40, 30);
      const entry = await save(store, image, { owner: 'f91c837cbc671b4a', modelName: 'tiny' });
      assert.match(entry.id, ID_PATTERN);
      assert.equal(entry.bytes, image.length);
      assert.deepEqual([entry.width, entry.height, entry.extension], [40, 30, 'png']);
      assert.ok(entry.expiresAt - entry.createdAt === 60_000);
      const got = await store.get(entry.id);
      assert.equal(got.owner, 'f91c837cbc671b4a');
      assert.equal(got.modelName, 'tiny');
      assert.equal(got.filename, 'scan-colorized.png');
      const found = await store.read(entry.id);
      assert.ok((await bodyOf(found)).equals(image));
      assert.equal(found.entry.owner, 'f91c837cbc671b4a');
      const health = await store.health();
      assert.deepEqual([health.backend, health.status, health.count, health.bytes], [backend, 'ok', 1, image.length]);
    });

    it('knows nothing of malformed, unknown or expired ids', async () => {
      const store = await storeWith({ ttlMs: 300 });
      const entry = await save(store, grayscalePng(8, 8));
      for (const id of ['abc', `${entry.id}x`, '../../etc/passwd', 'AAAAAAAAAAAAAAAAAAAAAAAA', null]) {
        assert.equal(await store.get(id), null, String(id));
        assert.equal(await store.read(id), null, String(id));
      }
      assert.notEqual(await store.get(entry.id), null);
      await sleep(500);
      assert.equal(await store.get(entry.id), null, 'expired');
      assert.equal(await store.read(entry.id), null, 'expired');
    });

    it('evicts the oldest results to stay under the cap, and refuses one larger than the cap with 507', async () => {
      const image = grayscalePng(32, 32);
      const store = await storeWith({ maxBytes: Math.floor(image.length * 2.5) });
      const ids = [];
      for (let i = 0; i < 3; i += 1) ids.push((await save(store, image)).id);
      const live = [];
      for (const id of ids) live.push((await store.get(id)) !== null);
      assert.deepEqual(live, [false, true, true]);
      assert.equal((await store.health()).bytes, image.length * 2);

      const tiny = await storeWith({ maxBytes: 100 });
      await assert.rejects(save(tiny, image), (err) => err.status === 507 && err.code === 'result_too_large');
      assert.equal((await tiny.health()).count, 0);
    });

    it('refuses an answer that is not an image type it keeps, as an unusable upstream answer', async () => {
      const store = await storeWith();
      await assert.rejects(
        store.save(Readable.from([Buffer.from('<html>')]), { contentType: 'text/html', filename: 'x', extra: {} }),
        (err) => err.status === 502 && err.code === 'bad_upstream_response',
      );
    });
  });
}
