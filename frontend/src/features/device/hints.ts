/**
 * Colour hints as the network's extra input planes: the twin of model/hints.py's
 * paint_hints (the hint's a*, b* normalised, painted as a small square, and a mask).
 */
import constants from './generated/colourConstants.json';
import { srgb8ToLab, type LabNormalization } from './lab';

/** A user's pin: this spot (0..1 from the left and from the top) is this sRGB colour ('#rrggbb'). */
export interface DeviceHint {
  x: number;
  y: number;
  color: string;
  /** How far its colour spreads: a name of REACHES (model/hints.py); whole by default. */
  reach?: string;
}

export const HINT_PATCH_SIZE = constants.hints.patchSize;
const REACHES: Record<string, number> = constants.hints.reaches;

/** The hints grouped by reach, as [share of the fade distance, hints], widest first (model.hints.by_reach). */
export function byReach(hints: DeviceHint[]): [number, DeviceHint[]][] {
  const groups = new Map<number, DeviceHint[]>();
  for (const hint of hints) {
    const share = REACHES[hint.reach ?? constants.hints.defaultReach] ?? REACHES[constants.hints.defaultReach];
    groups.set(share, [...(groups.get(share) ?? []), hint]);
  }
  return [...groups.entries()].toSorted((first, second) => second[0] - first[0]);
}

/** The (3, height, width) float32 planes: normalised a, normalised b, then the mask; later hints win. */
export function paintHints(
  hints: DeviceHint[],
  height: number,
  width: number,
  normalization: LabNormalization,
  patchSize = HINT_PATCH_SIZE,
): Float32Array {
  const plane = height * width;
  const planes = new Float32Array(3 * plane);
  const before = Math.floor((patchSize - 1) / 2);
  const after = patchSize - before;
  for (const hint of hints) {
    const code = Number.parseInt(hint.color.slice(1), 16);
    const [, a, b] = srgb8ToLab((code >> 16) & 255, (code >> 8) & 255, code & 255);
    // float32 a*, b* divided in float32, as Python does.
    const aNorm = Math.fround(Math.fround(a) / Math.fround(normalization.ab_scale));
    const bNorm = Math.fround(Math.fround(b) / Math.fround(normalization.ab_scale));
    const row = Math.min(height - 1, Math.trunc(hint.y * height));
    const column = Math.min(width - 1, Math.trunc(hint.x * width));
    for (let y = Math.max(0, row - before); y < Math.min(height, row + after); y += 1) {
      for (let x = Math.max(0, column - before); x < Math.min(width, column + after); x += 1) {
        planes[y * width + x] = aNorm;
        planes[plane + y * width + x] = bNorm;
        planes[2 * plane + y * width + x] = 1;
      }
    }
  }
  return planes;
}
