/**
 * Edge-aware propagation of colour hints on the device: the port of model/propagation.py.
 *
 * The unknown is the correction r to the network's ab: smooth along L (4-neighbour
 * weights exp(-dL^2 / 2 sigma^2)), fading back to the network away from the hints,
 * held at the hints. The system (Laplacian + lam I + mu M) r = mu M d is solved by
 * Jacobi-preconditioned conjugate gradients, coarse to fine, on a grid of at most
 * `workSide` pixels on the short side, for any number of planes: the hints' a*, b*
 * corrections (`propagateHints`) or one plane of 1s, how far the hints reach
 * (`hintPresence`). `spreadHints` is the whole step as the pipeline takes it (reach groups,
 * a chroma gain yielding where the pins reach): model.propagation.spread_hints.
 * propagation.test.ts compares them with Python's (generated/propagationCases.json).
 */
import constants from './generated/colourConstants.json';
import { byReach, paintHints, type DeviceHint } from './hints';
import type { LabNormalization } from './lab';
import { propagationTaps, upsampleWithTaps } from './resize';

export interface Propagation {
  sigma: number;
  reach: number;
  hint_weight: number;
  work_side: number;
  coarse_side: number;
  tolerance: number;
  max_iterations: number;
}

export const DEFAULT_PROPAGATION: Propagation = constants.propagation;

/** One grid: L* and, for every plane, the summed wanted correction; and the hint cover. */
interface Level {
  height: number;
  width: number;
  lightness: Float32Array;
  /** (planes, h, w): the wanted correction times the cover. */
  correctionSum: Float32Array;
  cover: Float32Array;
}

function areaDownsample(values: Float32Array, channels: number, height: number, width: number): Float32Array {
  const half = { height: height / 2, width: width / 2 };
  const out = new Float32Array(channels * half.height * half.width);
  for (let channel = 0; channel < channels; channel += 1) {
    const source = channel * height * width;
    for (let y = 0; y < half.height; y += 1) {
      for (let x = 0; x < half.width; x += 1) {
        const at = source + 2 * y * width + 2 * x;
        out[(channel * half.height + y) * half.width + x] =
          (values[at] + values[at + 1] + values[at + width] + values[at + width + 1]) / 4;
      }
    }
  }
  return out;
}

/** The system matrix of one grid, applied without building it. */
class GridOperator {
  readonly vertical: Float32Array;
  readonly horizontal: Float32Array;
  readonly hold: Float32Array;
  readonly diagonal: Float32Array;
  private readonly height: number;
  private readonly width: number;

  constructor(lightness: Float32Array, mask: Float32Array, height: number, width: number, settings: Propagation) {
    this.height = height;
    this.width = width;
    const scale = -0.5 / settings.sigma ** 2;
    this.vertical = new Float32Array((height - 1) * width);
    this.horizontal = new Float32Array(height * (width - 1));
    for (let y = 0; y + 1 < height; y += 1) {
      for (let x = 0; x < width; x += 1) {
        const step = lightness[(y + 1) * width + x] - lightness[y * width + x];
        this.vertical[y * width + x] = Math.exp(step * step * scale);
      }
    }
    for (let y = 0; y < height; y += 1) {
      for (let x = 0; x + 1 < width; x += 1) {
        const step = lightness[y * width + x + 1] - lightness[y * width + x];
        this.horizontal[y * (width - 1) + x] = Math.exp(step * step * scale);
      }
    }
    const decay = 1 / (settings.reach * Math.min(height, width)) ** 2;
    this.hold = new Float32Array(height * width);
    this.diagonal = new Float32Array(height * width);
    for (let y = 0; y < height; y += 1) {
      for (let x = 0; x < width; x += 1) {
        const at = y * width + x;
        this.hold[at] = settings.hint_weight * mask[at];
        let sum = decay + this.hold[at];
        if (y > 0) sum += this.vertical[at - width];
        if (y + 1 < height) sum += this.vertical[at];
        if (x > 0) sum += this.horizontal[y * (width - 1) + x - 1];
        if (x + 1 < width) sum += this.horizontal[y * (width - 1) + x];
        this.diagonal[at] = sum;
      }
    }
  }

  /** out = A values, for each of the `channels` planes. */
  apply(values: Float32Array, out: Float32Array, channels: number): void {
    const { height, width } = this;
    const plane = height * width;
    for (let channel = 0; channel < channels; channel += 1) {
      const base = channel * plane;
      for (let y = 0; y < height; y += 1) {
        for (let x = 0; x < width; x += 1) {
          const at = y * width + x;
          let sum = values[base + at] * this.diagonal[at];
          if (y > 0) sum -= values[base + at - width] * this.vertical[at - width];
          if (y + 1 < height) sum -= values[base + at + width] * this.vertical[at];
          if (x > 0) sum -= values[base + at - 1] * this.horizontal[y * (width - 1) + x - 1];
          if (x + 1 < width) sum -= values[base + at + 1] * this.horizontal[y * (width - 1) + x];
          out[base + at] = sum;
        }
      }
    }
  }
}

/** The inner product of each plane of two (channels, plane) arrays. */
function channelDots(first: Float32Array, second: Float32Array, channels: number, plane: number): number[] {
  const dots: number[] = [];
  for (let channel = 0; channel < channels; channel += 1) {
    let sum = 0;
    for (let index = channel * plane; index < (channel + 1) * plane; index += 1) sum += first[index] * second[index];
    dots.push(sum);
  }
  return dots;
}

function norm(values: Float32Array): number {
  let sum = 0;
  for (const value of values) sum += value * value;
  return Math.sqrt(sum);
}

/**
 * The correction field (planes, h, w) on one grid: `target` (planes, h, w) holds the wanted
 * correction where `mask` (h, w) > 0 (its weight); from `start` (zeros when null).
 */
export function solveCorrection(
  lightness: Float32Array,
  target: Float32Array,
  mask: Float32Array,
  height: number,
  width: number,
  settings: Propagation,
  start: Float32Array | null,
): Float32Array {
  const plane = height * width;
  const size = target.length;
  const channels = size / plane;
  const operator = new GridOperator(lightness, mask, height, width, settings);
  const rhs = new Float32Array(size);
  for (let index = 0; index < size; index += 1) rhs[index] = operator.hold[index % plane] * target[index];
  const product = new Float32Array(size);
  const solution = start ? Float32Array.from(start) : new Float32Array(size);
  const residual = Float32Array.from(rhs);
  if (start) {
    operator.apply(solution, product, channels);
    for (let index = 0; index < size; index += 1) residual[index] = rhs[index] - product[index];
  }
  const limit = settings.tolerance * norm(rhs) + 1e-12;
  const preconditioned = new Float32Array(size);
  for (let index = 0; index < size; index += 1)
    preconditioned[index] = residual[index] / operator.diagonal[index % plane];
  const direction = Float32Array.from(preconditioned);
  let rho = channelDots(residual, preconditioned, channels, plane);
  for (let iteration = 0; iteration < settings.max_iterations; iteration += 1) {
    operator.apply(direction, product, channels);
    const curvature = channelDots(direction, product, channels, plane);
    for (let channel = 0; channel < channels; channel += 1) {
      const step = rho[channel] / (curvature[channel] + 1e-30);
      for (let index = channel * plane; index < (channel + 1) * plane; index += 1) {
        solution[index] += step * direction[index];
        residual[index] -= step * product[index];
      }
    }
    if (norm(residual) < limit) break;
    for (let index = 0; index < size; index += 1)
      preconditioned[index] = residual[index] / operator.diagonal[index % plane];
    const next = channelDots(residual, preconditioned, channels, plane);
    for (let channel = 0; channel < channels; channel += 1) {
      const beta = next[channel] / (rho[channel] + 1e-30);
      for (let index = channel * plane; index < (channel + 1) * plane; index += 1) {
        direction[index] = direction[index] * beta + preconditioned[index];
      }
    }
    rho = next;
  }
  return solution;
}

function upsample(
  values: Float32Array,
  channels: number,
  fromHeight: number,
  fromWidth: number,
  height: number,
  width: number,
) {
  return upsampleWithTaps(
    values,
    channels,
    fromHeight,
    fromWidth,
    propagationTaps(fromHeight, height),
    propagationTaps(fromWidth, width),
  );
}

/**
 * The field (planes, h, w) that holds `wanted` (planes, h, w, already times the cover) on
 * the covered pixels and spreads it along L, solved coarse to fine: `_spread` of Python.
 */
function spread(
  lightness: Float32Array,
  wanted: Float32Array,
  cover: Float32Array,
  height: number,
  width: number,
  settings: Propagation,
): Float32Array {
  const channels = wanted.length / (height * width);
  const levels: Level[] = [{ height, width, lightness: Float32Array.from(lightness), correctionSum: wanted, cover }];
  // Halve while the grid is above the working size (finest level) or the coarse size.
  for (;;) {
    const level = levels[levels.length - 1];
    const side = Math.min(level.height, level.width);
    if (Math.floor(side / 2) < settings.coarse_side || level.height % 2 || level.width % 2) break;
    levels.push({
      height: level.height / 2,
      width: level.width / 2,
      lightness: areaDownsample(level.lightness, 1, level.height, level.width),
      correctionSum: areaDownsample(level.correctionSum, channels, level.height, level.width),
      cover: areaDownsample(level.cover, 1, level.height, level.width),
    });
  }
  let finest = 0;
  while (finest + 1 < levels.length && Math.min(levels[finest].height, levels[finest].width) > settings.work_side) {
    finest += 1;
  }
  let solution: Float32Array | null = null;
  let solved = levels[levels.length - 1];
  for (let index = levels.length - 1; index >= finest; index -= 1) {
    const level = levels[index];
    const levelPlane = level.height * level.width;
    // Block means of the wanted correction over the hinted pixels only.
    const target = new Float32Array(channels * levelPlane);
    for (let at = 0; at < channels * levelPlane; at += 1) {
      const covered = level.cover[at % levelPlane];
      target[at] = covered > 0 ? level.correctionSum[at] / Math.max(covered, 1e-12) : 0;
    }
    const start: Float32Array | null = solution
      ? upsample(solution, channels, solved.height, solved.width, level.height, level.width)
      : null;
    solution = solveCorrection(level.lightness, target, level.cover, level.height, level.width, settings, start);
    solved = level;
  }
  let field = solution as Float32Array;
  if (solved.height !== height || solved.width !== width) {
    field = upsample(field, channels, solved.height, solved.width, height, width);
  }
  return field;
}

/**
 * The network's ab (2, h, w, Lab units) corrected towards the hints and spread along L.
 * hintAb: (2, h, w) the hints' a*, b* where `mask` (h, w) is 1. Without hints, ab itself.
 */
export function propagateHints(
  lightness: Float32Array,
  ab: Float32Array,
  hintAb: Float32Array,
  mask: Float32Array,
  height: number,
  width: number,
  settings: Propagation = DEFAULT_PROPAGATION,
): Float32Array {
  if (!mask.some((value) => value > 0)) return ab;
  const plane = height * width;
  const cover = mask.map((value) => (value > 0 ? 1 : 0));
  const wanted = new Float32Array(2 * plane);
  for (let index = 0; index < 2 * plane; index += 1) {
    wanted[index] = (hintAb[index] - ab[index]) * cover[index % plane];
  }
  const correction = spread(lightness, wanted, cover, height, width, settings);
  return ab.map((value, index) => value + correction[index]);
}

/**
 * How far the hints reach, (h, w) in [0, 1]: 1 on and around them, fading along L as a
 * correction fades (the same system, spreading a correction of 1 from every hinted pixel
 * of `mask`). Zeros without hints. Python's hint_presence.
 */
export function hintPresence(
  lightness: Float32Array,
  mask: Float32Array,
  height: number,
  width: number,
  settings: Propagation = DEFAULT_PROPAGATION,
): Float32Array {
  const cover = mask.map((value) => (value > 0 ? 1 : 0));
  if (!cover.some((value) => value > 0)) return cover;
  return spread(lightness, cover, cover, height, width, settings).map((value) => Math.min(1, Math.max(0, value)));
}

export interface SpreadOptions {
  /** The model's Lab scaling: the hints' a*, b* are painted normalised. */
  normalization: LabNormalization;
  settings?: Propagation;
  /** The model's GeneratorConfig.chroma_gain (already applied by the network); 1 by default. */
  chromaGain?: number;
  /** The hints' painted planes (3, h, w: normalised a, b, mask) when already at hand (the network's input). */
  painted?: Float32Array;
}

/**
 * The network's ab (2, h, w, Lab units) corrected towards the hints along L (h, w), both at
 * render resolution: model.propagation.spread_hints. One propagation per reach, widest
 * first, so narrower pins correct what wider ones spread. With a chroma gain, the
 * correction is made on the colour as trained (ab / gain) and the gain fades by the pins'
 * presence (the largest over the reaches), so pins do not carry the gain's scaled hues
 * around them. Without hints, ab itself.
 */
export function spreadHints(
  lightness: Float32Array,
  ab: Float32Array,
  hints: DeviceHint[],
  height: number,
  width: number,
  options: SpreadOptions,
): Float32Array {
  if (!hints.length) return ab;
  const { normalization, settings = DEFAULT_PROPAGATION, chromaGain = 1 } = options;
  const plane = height * width;
  const painted = options.painted ?? paintHints(hints, height, width, normalization);
  const abScale = normalization.ab_scale;
  const hintAb = painted.subarray(0, 2 * plane).map((value) => value * abScale);
  const gain = Math.fround(chromaGain);
  const presence = chromaGain !== 1 ? new Float32Array(plane) : null;
  let out = presence ? ab.map((value) => value / gain) : ab;
  const groups = byReach(hints);
  for (const [share, group] of groups) {
    // One reach (the usual case): the painted mask already holds exactly these hints.
    const mask =
      groups.length === 1
        ? painted.subarray(2 * plane, 3 * plane)
        : paintHints(group, height, width, normalization).subarray(2 * plane);
    const reached = { ...settings, reach: settings.reach * share };
    out = propagateHints(lightness, out, hintAb, mask, height, width, reached);
    if (presence) {
      const reach = hintPresence(lightness, mask, height, width, reached);
      for (let index = 0; index < plane; index += 1) presence[index] = Math.max(presence[index], reach[index]);
    }
  }
  if (presence) {
    const yielded = Math.fround(gain - 1);
    out = out.map((value, index) => value * Math.fround(1 + yielded * Math.fround(1 - presence[index % plane])));
  }
  return out;
}
