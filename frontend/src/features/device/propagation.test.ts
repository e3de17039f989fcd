/** The device's hint propagation against model/propagation.py on the same inputs (generated/propagationCases.json). */
import { describe, expect, it } from 'vitest';

import cases from './generated/propagationCases.json';
import { byReach, paintHints } from './hints';
import { DEFAULT_PROPAGATION, hintPresence, propagateHints, spreadHints } from './propagation';
import { flat as flatNumbers, maxDifference } from '../../test/fixtureArrays';

/** A fixture's nested lists as the float32 planes the port works on. */
const flat = (values: unknown): Float32Array => Float32Array.from(flatNumbers(values));

const height = cases.lightness.length;
const width = cases.lightness[0].length;
const lightness = flat(cases.lightness);
const ab = flat(cases.ab);
const byWorkSide = cases.cases.map((entry) => [`work_side ${entry.settings.work_side}`, entry] as const);

describe('propagateHints', () => {
  it.each(byWorkSide)('corrects ab as Python does (%s)', (_, { settings, ab: expected }) => {
    const corrected = propagateHints(lightness, ab, flat(cases.hintAb), flat(cases.mask), height, width, settings);
    // Python's hints moved the colours by tens of units; the port lands within a tenth of one.
    expect(maxDifference(flat(expected), ab)).toBeGreaterThan(10);
    expect(maxDifference(corrected, flat(expected))).toBeLessThan(0.1);
  });

  it('leaves ab alone without hints', () => {
    const none = new Float32Array(height * width);
    expect(propagateHints(lightness, ab, flat(cases.hintAb), none, height, width)).toBe(ab);
  });
});

describe('hintPresence', () => {
  it.each(byWorkSide)('is how far the hints reach, as Python has it (%s)', (_, { settings, presence: expected }) => {
    const presence = hintPresence(lightness, flat(cases.mask), height, width, settings);
    const wanted = flat(expected);
    // Whole on the hints, less away from them (five pins reaching far over a small photo).
    expect(Math.max(...wanted)).toBeGreaterThan(0.99);
    expect(Math.min(...wanted)).toBeLessThan(0.8);
    expect(maxDifference(presence, wanted)).toBeLessThan(1e-3);
  });

  it('is zero everywhere without hints', () => {
    const none = new Float32Array(height * width);
    expect(hintPresence(lightness, none, height, width).every((value) => value === 0)).toBe(true);
  });
});

describe('spreadHints', () => {
  const { hints, normalization, settings, chromaGain, ab: expected } = cases.spread;

  it('spreads pins of two reaches with a chroma gain yielding to them, as Python does', () => {
    expect(byReach(hints)).toHaveLength(2);
    const spread = spreadHints(lightness, ab, hints, height, width, { normalization, settings, chromaGain });
    expect(maxDifference(flat(expected), ab)).toBeGreaterThan(10);
    expect(maxDifference(spread, flat(expected))).toBeLessThan(0.1);
  });

  it('with a gain of 1 is the plain propagation, widest reach first', () => {
    const plane = height * width;
    const painted = paintHints(hints, height, width, normalization);
    const hintAb = painted.subarray(0, 2 * plane).map((value) => value * normalization.ab_scale);
    let plain = ab;
    for (const [share, group] of byReach(hints)) {
      const mask = paintHints(group, height, width, normalization).subarray(2 * plane);
      plain = propagateHints(lightness, plain, hintAb, mask, height, width, {
        ...settings,
        reach: settings.reach * share,
      });
    }
    expect(spreadHints(lightness, ab, hints, height, width, { normalization, settings, chromaGain: 1 })).toEqual(plain);
    expect(spreadHints(lightness, ab, hints, height, width, { normalization })).toEqual(plain);
  });

  it('leaves ab alone without hints', () => {
    expect(spreadHints(lightness, ab, [], height, width, { normalization, chromaGain })).toBe(ab);
  });

  it('uses the default propagation settings of Python', () => {
    expect(settings).toEqual(DEFAULT_PROPAGATION);
  });
});
