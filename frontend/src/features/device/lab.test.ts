/**
 * The device's Lab maths, sampling, hint painting and composing against what the
 * Python pipeline produced for the same inputs (generated/labCases.json, written by
 * `python -m tools.device_fixtures`).
 */
import { describe, expect, it } from 'vitest';

import cases from './generated/labCases.json';
import { paintHints } from './hints';
import { DEFAULT_NORMALIZATION, labToSrgb8, rgbaToLightness, srgb8ToLab } from './lab';
import { composeInto } from './pipeline';
import { renderShape, resizeLightness } from './resize';
import { flat, maxDifference } from '../../test/fixtureArrays';

function rgbaOf(rgb: number[][]): Uint8ClampedArray {
  return Uint8ClampedArray.from(rgb.flatMap(([red, green, blue]) => [red, green, blue, 255]));
}

describe('Lab maths (model/lab_numpy.py)', () => {
  it('gives the L* of 8-bit colours and greys that Python gives', () => {
    const { rgb, lightness } = cases.rgb8ToLightness;
    const out = new Float32Array(rgb.length);
    rgbaToLightness(rgbaOf(rgb), out);
    expect(maxDifference(out, lightness)).toBeLessThan(2e-4);

    const greys = Array.from({ length: 256 }, (_, code) => [code, code, code]);
    const greyL = new Float32Array(256);
    rgbaToLightness(rgbaOf(greys), greyL);
    expect(maxDifference(greyL, cases.gray8ToLightness)).toBeLessThan(2e-4);
  });

  it('turns Lab into the same 8-bit sRGB codes (within one level, nearly always equal)', () => {
    const { lab, rgb } = cases.labToSrgb8;
    const out = new Uint8Array(lab.length * 3);
    lab.forEach(([lightness, a, b], index) => labToSrgb8(lightness, a, b, out, index * 3));
    const expected = flat(rgb);
    expect(maxDifference(out, expected)).toBeLessThanOrEqual(1);
    const equal = expected.filter((value, index) => out[index] === value).length;
    expect(equal / expected.length).toBeGreaterThan(0.995);
  });

  it('reads hint colours into the same Lab values', () => {
    const { rgb, lab } = cases.srgb8ToLab;
    const actual = rgb.flatMap(([red, green, blue]) => srgb8ToLab(red, green, blue));
    expect(maxDifference(actual, flat(lab))).toBeLessThan(1e-3);
  });
});

describe('sampling (model/preprocessing.py)', () => {
  it('picks the same render shapes', () => {
    for (const { height, width, renderSize, shape } of cases.renderShape) {
      expect(renderShape(height, width, renderSize)).toEqual(shape);
    }
  });

  it('resizes L as Pillow does, shrinking and enlarging', () => {
    const source = cases.resize.lightness;
    const plane = { height: source.length, width: source[0].length, data: Float32Array.from(flat(source)) };
    for (const { shape, out } of cases.resize.cases) {
      const resized = resizeLightness(plane, shape[0], shape[1]);
      expect([resized.height, resized.width]).toEqual(shape);
      expect(maxDifference(resized.data, flat(out))).toBeLessThan(1e-3);
    }
  });

  it('composes full-resolution L with upsampled ab into the same pixels', () => {
    const { lightness, ab, rgb } = cases.compose;
    const height = lightness.length;
    const width = lightness[0].length;
    const out = new Uint8ClampedArray(height * width * 4);
    composeInto(
      Float32Array.from(flat(lightness)),
      width,
      height,
      Float32Array.from(flat(ab)),
      ab[0].length,
      ab[0][0].length,
      out,
    );
    const actual = Array.from(out).filter((_, index) => index % 4 !== 3);
    expect(maxDifference(actual, flat(rgb))).toBeLessThanOrEqual(1);
  });
});

describe('hint planes (model/hints.py)', () => {
  it('paints the same patches, the later hint winning', () => {
    const { height, width, hints, planes } = cases.paintHints;
    const painted = paintHints(hints, height, width, DEFAULT_NORMALIZATION);
    expect(maxDifference(painted, flat(planes))).toBeLessThan(1e-4);
  });
});
