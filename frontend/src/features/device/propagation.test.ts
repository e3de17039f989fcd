/** The device's hint propagation against model/propagation.py on the same inputs (generated/propagationCases.json). */
import { describe, expect, it } from 'vitest';

import cases from './generated/propagationCases.json';
import { propagateHints } from './propagation';

const flat = (values: unknown): Float32Array =>
  Float32Array.from((values as unknown[]).flat(Infinity as 1) as number[]);

describe('propagateHints', () => {
  const height = cases.lightness.length;
  const width = cases.lightness[0].length;
  const lightness = flat(cases.lightness);
  const ab = flat(cases.ab);

  it.each(cases.cases.map((entry) => [`work_side ${entry.settings.work_side}`, entry] as const))(
    'corrects ab as Python does (%s)',
    (_, { settings, ab: expected }) => {
      const corrected = propagateHints(lightness, ab, flat(cases.hintAb), flat(cases.mask), height, width, settings);
      const wanted = flat(expected);
      let worst = 0;
      let moved = 0;
      for (let index = 0; index < wanted.length; index += 1) {
        worst = Math.max(worst, Math.abs(corrected[index] - wanted[index]));
        moved = Math.max(moved, Math.abs(wanted[index] - ab[index]));
      }
      // Python's hints moved the colours by tens of units; the port lands within a tenth of one.
      expect(moved).toBeGreaterThan(10);
      expect(worst).toBeLessThan(0.1);
    },
  );

  it('leaves ab alone without hints', () => {
    const none = new Float32Array(height * width);
    expect(propagateHints(lightness, ab, flat(cases.hintAb), none, height, width)).toBe(ab);
  });
});
