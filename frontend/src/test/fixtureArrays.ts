/** Reading Python's generated fixtures (src/features/device/generated) in the device's tests. */
import { expect } from 'vitest';

/** Nested JSON lists of numbers, flattened in row-major order. */
export const flat = (values: unknown): number[] => (values as unknown[]).flat(Infinity as 1) as number[];

/** The largest absolute difference between two equally long arrays (asserting the lengths match). */
export function maxDifference(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let index = 0; index < expected.length; index += 1) {
    worst = Math.max(worst, Math.abs(actual[index] - expected[index]));
  }
  return worst;
}
