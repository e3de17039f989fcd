import { describe, expect, it } from 'vitest';

import { clampZoom, FIT, MAX_ZOOM, zoomAround } from './useZoom';

describe('zoom arithmetic', () => {
  it('keeps the point under the pointer where it was', () => {
    const zoomed = zoomAround(FIT, 2, 100, 50, 400, 300);
    expect(zoomed.scale).toBe(2);
    // The picture point at (100, 50) is still drawn at (100, 50): x + 100 * scale = 100.
    expect(zoomed.x + 100 * zoomed.scale).toBe(100);
    expect(zoomed.y + 50 * zoomed.scale).toBe(50);
  });

  it('never shows less than the whole picture, nor more than MAX_ZOOM', () => {
    expect(zoomAround(FIT, 0.5, 200, 150, 400, 300)).toEqual(FIT);
    expect(zoomAround(FIT, 100, 200, 150, 400, 300).scale).toBe(MAX_ZOOM);
  });

  it('pans only as far as the picture reaches: no empty edges', () => {
    expect(clampZoom({ scale: 2, x: 50, y: -1000 }, 400, 300)).toEqual({ scale: 2, x: 0, y: -300 });
  });
});
