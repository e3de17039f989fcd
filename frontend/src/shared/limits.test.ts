import { describe, expect, it } from 'vitest';

import { DEFAULT_GATEWAY, DEFAULT_MODEL } from '../test/fakeApi';
import { combineLimits, formatDuration, formatsText, renderSizeChoices, UNKNOWN_LIMITS } from './limits';

const range = (min: number, max: number) => ({ ...UNKNOWN_LIMITS, renderSizeMin: min, renderSizeMax: max });

describe('limits from the API', () => {
  it('combines the model answer and the gateway answer, either of which may be missing', () => {
    expect(combineLimits(null, null)).toEqual(UNKNOWN_LIMITS);
    expect(combineLimits(null, { resultTtlS: 60, maxUploadBytes: 1000, auth: 'off' })).toMatchObject({
      maxUploadBytes: 1000,
      resultTtlS: 60,
      maxPixels: null,
    });
    expect(combineLimits(DEFAULT_MODEL, DEFAULT_GATEWAY)).toMatchObject({
      maxUploadBytes: 20 * 1024 * 1024,
      maxPixels: 50_000_000,
      resultTtlS: 3600,
    });
  });

  it('words durations and formats for people', () => {
    expect([3600, 7200, 5400, 600, 45].map(formatDuration)).toEqual([
      'one hour',
      '2 hours',
      '90 minutes',
      '10 minutes',
      '45 seconds',
    ]);
    expect(formatsText(combineLimits(DEFAULT_MODEL, null))).toBe('JPEG, PNG, WebP, TIFF, BMP or GIF');
    expect(formatsText(UNKNOWN_LIMITS)).toBeNull();
  });

  it("offers render sizes inside the service's range, its maximum included", () => {
    expect(renderSizeChoices(range(64, 1024))).toEqual([256, 384, 512, 768, 1024]);
    expect(renderSizeChoices(range(64, 600))).toEqual([256, 384, 512, 600]);
    expect(renderSizeChoices(UNKNOWN_LIMITS)).toEqual([]);
  });
});
