'use strict';

// Video jobs through the gateway, on real processes: one inference service whose video
// worker takes jobs from a Huey queue in a real redis-server, and two gateway processes
// sharing that Redis. A job made through one gateway is seen, and its MP4 served (with
// range requests), by the other; a bad film is 4xx JSON; DELETE cancels or removes.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { after, before, describe, it } = require('node:test');
const request = require('supertest');

const { startGatewayProcess } = require('../test-helpers/gatewayProcess');
const { REPO_ROOT, startInferenceService, writeTinyArtifact } = require('../test-helpers/inferenceService');
const { startRedis } = require('../test-helpers/redisServer');

const CLIP = path.join(REPO_ROOT, 'tests', 'fixtures', 'videos', 'pan-160x120.mp4');
const CLIP_FRAMES = 36;

let service;
let redis;
let first;
let second;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitForState(target, statusUrl, wanted, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  const seen = [];
  for (;;) {
    const response = await request(target).get(statusUrl);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    seen.push(response.body.state);
    if (response.body.state === wanted) return { job: response.body, seen };
    assert.ok(!['failed', 'cancelled', 'done'].includes(response.body.state), JSON.stringify(response.body));
    if (Date.now() > deadline) throw new Error(`job not ${wanted} in time: ${JSON.stringify(response.body)}`);
    await sleep(250);
  }
}

before(async () => {
  redis = await startRedis();
  const artifact = await writeTinyArtifact();
  service = await startInferenceService({
    artifact,
    env: { COLORIZER_VIDEO_WORKERS: '1', COLORIZER_VIDEO_NICE: '0', COLORIZER_VIDEO_QUEUE_URL: `${redis.url}/1` },
  });
  [first, second] = await Promise.all([
    startGatewayProcess({ GATEWAY_INFERENCE_URL: service.url, GATEWAY_REDIS_URL: redis.url }),
    startGatewayProcess({ GATEWAY_INFERENCE_URL: service.url, GATEWAY_REDIS_URL: redis.url }),
  ]);
});

after(async () => {
  await Promise.all([first?.stop(), second?.stop()]);
  await Promise.all([redis?.stop(), service?.stop()]);
});

describe('video jobs through two gateways on one Redis', () => {
  it('queues through one gateway; the other shows its progress and serves the MP4', async () => {
    const made = await request(first.url).post('/api/v1/videos').field('vibrance', '1.2').attach('video', CLIP);
    assert.equal(made.status, 202, JSON.stringify(made.body));
    assert.match(made.body.status_url, /^\/api\/v1\/videos\/[0-9a-f]{32}$/);
    assert.equal(made.headers.location, made.body.status_url);
    assert.equal(made.body.result_url, `${made.body.status_url}/result`);
    assert.deepEqual(
      { frames: made.body.video.frames, width: made.body.video.width, audio: made.body.video.audio },
      { frames: CLIP_FRAMES, width: 160, audio: true },
    );

    const { job } = await waitForState(second.url, made.body.status_url, 'done');
    assert.equal(job.progress.frames_done, CLIP_FRAMES);
    assert.equal(job.progress.percent, 100);

    const whole = await request(second.url).get(job.result_url).buffer(true);
    assert.equal(whole.status, 200);
    assert.equal(whole.headers['content-type'], 'video/mp4');
    assert.equal(whole.headers['content-disposition'], 'inline; filename="pan-160x120-colorized.mp4"');
    assert.equal(whole.body.length, job.result_bytes);
    const part = await request(first.url).get(job.result_url).set('Range', 'bytes=0-99').buffer(true);
    assert.equal(part.status, 206);
    assert.equal(part.headers['content-range'], `bytes 0-99/${job.result_bytes}`);
    assert.ok(part.body.equals(whole.body.subarray(0, 100)), 'the range is the same bytes');

    const removed = await request(first.url).delete(job.status_url);
    assert.equal(removed.status, 204);
    assert.equal((await request(second.url).get(job.status_url)).status, 404);
  });

  it('answers a bad film with 4xx JSON through the gateway', async () => {
    const bad = await request(first.url)
      .post('/api/v1/videos')
      .attach('video', Buffer.from('definitely not a film'), 'notes.mp4');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'invalid_video');
    assert.equal(bad.body.error.reason, 'not_a_video');
    assert.match(bad.body.error.request_id, /\S/);

    const raw = await request(second.url).post('/api/v1/videos').set('Content-Type', 'text/plain').send('hello');
    assert.equal(raw.status, 415);
    assert.equal(raw.body.error.code, 'unsupported_media_type');
  });

  it('cancels a queued or running job from the other gateway', async () => {
    const made = await request(first.url)
      .post('/api/v1/videos')
      .set('Content-Type', 'video/mp4')
      .send(fs.readFileSync(CLIP));
    assert.equal(made.status, 202);
    const cancelled = await request(second.url).delete(made.body.status_url);
    assert.equal(cancelled.status, 200);
    assert.equal(cancelled.body.state, 'cancelled');
    const seen = await request(first.url).get(made.body.status_url);
    assert.equal(seen.body.state, 'cancelled');
    const result = await request(first.url).get(made.body.result_url);
    assert.equal(result.status, 409);
    assert.equal(result.body.error.code, 'job_not_done');
  });

  it('publishes the video limits through the gateway', async () => {
    const model = await request(first.url).get('/api/v1/model');
    assert.equal(model.status, 200);
    assert.equal(model.body.videos.supported, true);
    assert.ok(model.body.limits.video.max_upload_bytes > model.body.limits.max_upload_bytes);
  });
});
