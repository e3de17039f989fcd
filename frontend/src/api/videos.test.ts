// The video API module against a small real HTTP server standing in for the gateway.
import { describe, expect, it } from 'vitest';

import { json, standInGateway, type Handler } from '../test/standInGateway';
import { ApiError } from './colorizer';
import { rerunVideo, uploadVideo } from './videos';

let handler: Handler = (_req, _body, res) => res.end();
standInGateway((req, body, res) => handler(req, body, res));

const ID = 'c'.repeat(32);
const KEYFRAMES = [{ time: 1.2, hints: [{ x: 0.15, y: 0.1, color: '#00c000', reach: 'whole' as const }] }];

/** A job's view as the gateway sends it (202 of POST and of a rerun). */
const view = {
  id: ID,
  state: 'queued',
  progress: { frames_done: 0, frames_total: 36, percent: 0, eta_s: null },
  video: { width: 176, height: 144 },
  status_url: `/api/v1/videos/${ID}`,
  result_url: `/api/v1/videos/${ID}/result`,
  result_bytes: null,
  keyframes: [{ time: 1.2, hints: KEYFRAMES[0].hints, has_image: false }],
  error: null,
};

/** The fields of a multipart body (name -> value; a file part's value is its filename). */
function fields(body: Buffer): Record<string, string> {
  const text = body.toString('latin1');
  const found: Record<string, string> = {};
  for (const part of text.split(/--[-\w]+/)) {
    const name = /name="([^"]+)"(?:; filename="([^"]+)")?/.exec(part);
    if (name) found[name[1]] = name[2] ?? part.split('\r\n\r\n')[1]?.replace(/\r\n$/, '');
  }
  return found;
}

describe('films with keyframes', () => {
  it('uploads the film with its keyframes and vibrance, and reads the job’s kept keyframes', async () => {
    let sent: Record<string, string> = {};
    handler = (_req, body, res) => {
      sent = fields(body);
      json(res, 202, view);
    };
    const job = await uploadVideo(new File(['film'], 'reel.mp4', { type: 'video/mp4' }), {
      keyframes: KEYFRAMES,
      vibrance: 1.3,
      renderSize: 320,
    });
    expect(sent).toEqual({
      video: 'reel.mp4',
      render_size: '320',
      vibrance: '1.3',
      keyframes: JSON.stringify(KEYFRAMES),
    });
    expect(job.keyframes).toEqual([{ time: 1.2, hints: KEYFRAMES[0].hints, hasImage: false }]);
  });

  it('reruns the kept film: its keyframes replace the kept ones, and no film is sent', async () => {
    let seen: { url?: string; method?: string; fields?: Record<string, string> } = {};
    handler = (req, body, res) => {
      seen = { url: req.url, method: req.method, fields: fields(body) };
      json(res, 202, view);
    };
    const job = await rerunVideo('a'.repeat(32), { keyframes: KEYFRAMES, replaceKept: true });
    expect(seen).toEqual({
      url: `/api/v1/videos/${'a'.repeat(32)}/rerun`,
      method: 'POST',
      fields: { keyframes: JSON.stringify(KEYFRAMES), keyframes_mode: 'replace' },
    });
    expect(job.id).toBe(ID);
    expect(job.state).toBe('queued');
  });

  it('says when the server no longer keeps the film (410) or refuses a keyframe (400), by code', async () => {
    handler = (_req, _body, res) => json(res, 410, { error: { code: 'video_source_gone', message: 'gone' } });
    const gone = await rerunVideo(ID, {}).catch((err: unknown) => err);
    expect(gone).toBeInstanceOf(ApiError);
    expect(gone).toMatchObject({ code: 'video_source_gone', status: 410 });

    handler = (_req, _body, res) =>
      json(res, 400, { error: { code: 'keyframe_time_out_of_range', message: 'past the end' } });
    await expect(rerunVideo(ID, { keyframes: KEYFRAMES })).rejects.toMatchObject({
      code: 'keyframe_time_out_of_range',
      status: 400,
    });
  });
});
