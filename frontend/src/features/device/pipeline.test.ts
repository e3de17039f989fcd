/** colorizePixels with a stand-in network: the model's chroma gain reaches the hints' propagation, and a gain of 1 changes nothing. */
import { describe, expect, it } from 'vitest';

import { byReach, paintHints, type DeviceHint } from './hints';
import { DEFAULT_NORMALIZATION, rgbaToLightness } from './lab';
import { colorizePixels, composeInto, networkInput, type ModelSpec, type Pixels } from './pipeline';
import { propagateHints, spreadHints, DEFAULT_PROPAGATION } from './propagation';
import { renderShape, resizeLightness } from './resize';

const WIDTH = 80;
const HEIGHT = 60;
const MODEL: ModelSpec = { renderSize: 64, inChannels: 4, normalization: DEFAULT_NORMALIZATION, chromaGain: 1 };
const HINTS: DeviceHint[] = [
  { x: 0.2, y: 0.3, color: '#c82828' },
  { x: 0.8, y: 0.6, color: '#28a03c', reach: 'whole' },
  { x: 0.5, y: 0.5, color: '#1e3cc8', reach: 'small' },
];

/** A grey photo with a gradient and an edge. */
function photo(): Pixels {
  const data = new Uint8ClampedArray(WIDTH * HEIGHT * 4);
  for (let y = 0; y < HEIGHT; y += 1) {
    for (let x = 0; x < WIDTH; x += 1) {
      const grey = Math.round(40 + (x / WIDTH) * 120 + (x > WIDTH / 2 ? 60 : 0));
      data.set([grey, grey, grey, 255], (y * WIDTH + x) * 4);
    }
  }
  return { width: WIDTH, height: HEIGHT, data };
}

/** A stand-in network: smooth normalised ab, the same for the same shape. */
async function network(_input: Float32Array, _channels: number, height: number, width: number) {
  const ab = new Float32Array(2 * height * width);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      ab[y * width + x] = 0.2 * Math.sin(x / 7 + y / 11);
      ab[(height + y) * width + x] = 0.15 * Math.cos(x / 5 - y / 9);
    }
  }
  return ab;
}

/** What colorizePixels made of hints before the gain existed: one plain propagation per reach, then compose. */
async function previousPipeline(pixels: Pixels): Promise<Uint8ClampedArray> {
  const { width, height } = pixels;
  const data = Uint8ClampedArray.from(pixels.data);
  const lightness = new Float32Array(width * height);
  rgbaToLightness(data, lightness);
  const [renderHeight, renderWidth] = renderShape(height, width, MODEL.renderSize);
  const small = resizeLightness({ width, height, data: lightness }, renderHeight, renderWidth);
  const input = networkInput(small.data, renderHeight, renderWidth, MODEL, HINTS);
  const plane = renderHeight * renderWidth;
  const { ab_scale: abScale, l_center: center, l_scale: scale } = MODEL.normalization;
  let ab: Float32Array = (await network(input, 4, renderHeight, renderWidth)).map((value) => value * abScale);
  const renderL = input.subarray(0, plane).map((value) => value * scale + center);
  const hintAb = input.subarray(plane, 3 * plane).map((value) => value * abScale);
  const groups = byReach(HINTS);
  for (const [share, group] of groups) {
    const mask = paintHints(group, renderHeight, renderWidth, MODEL.normalization).subarray(2 * plane);
    ab = propagateHints(renderL, ab, hintAb, mask, renderHeight, renderWidth, {
      ...DEFAULT_PROPAGATION,
      reach: DEFAULT_PROPAGATION.reach * share,
    });
  }
  composeInto(lightness, width, height, ab, renderHeight, renderWidth, data);
  return data;
}

describe('colorizePixels with hints', () => {
  it('with a chroma gain of 1 gives the pixels it gave before the gain existed', async () => {
    const pixels = photo();
    await colorizePixels(pixels, MODEL, network, { hints: HINTS });
    expect(pixels.data).toEqual(await previousPipeline(photo()));
  });

  it("spreads the hints with the model's chroma gain yielding to them", async () => {
    const plain = photo();
    await colorizePixels(plain, MODEL, network, { hints: HINTS });
    const gained = photo();
    const { renderHeight, renderWidth } = await colorizePixels(gained, { ...MODEL, chromaGain: 1.3 }, network, {
      hints: HINTS,
    });
    expect(gained.data).not.toEqual(plain.data);

    // The same as spreadHints with the gain on the network's (gained) colour, composed.
    const expected = photo();
    const lightness = new Float32Array(WIDTH * HEIGHT);
    rgbaToLightness(expected.data, lightness);
    const small = resizeLightness({ width: WIDTH, height: HEIGHT, data: lightness }, renderHeight, renderWidth);
    const abScale = MODEL.normalization.ab_scale;
    const ab = (await network(small.data, 4, renderHeight, renderWidth)).map((value) => value * abScale);
    const renderL = networkInput(small.data, renderHeight, renderWidth, MODEL, HINTS)
      .subarray(0, renderHeight * renderWidth)
      .map((value) => value * MODEL.normalization.l_scale + MODEL.normalization.l_center);
    const spread = spreadHints(renderL, ab, HINTS, renderHeight, renderWidth, {
      normalization: MODEL.normalization,
      chromaGain: 1.3,
    });
    composeInto(lightness, WIDTH, HEIGHT, spread, renderHeight, renderWidth, expected.data);
    expect(gained.data).toEqual(expected.data);
  });

  it('needs no gain without hints: the network already applied it', async () => {
    const plain = photo();
    await colorizePixels(plain, MODEL, network, {});
    const gained = photo();
    await colorizePixels(gained, { ...MODEL, chromaGain: 1.3 }, network, {});
    expect(gained.data).toEqual(plain.data);
  });
});
