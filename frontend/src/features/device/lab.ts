/**
 * CIELAB on the device: the TypeScript twin of model/lab_numpy.py, written once.
 *
 * The constants are Python's own (generated/colourConstants.json, written by
 * `python -m tools.device_fixtures`); lab.test.ts checks the results against values
 * the Python functions produced. Full-resolution work uses the same lookup tables as
 * the server: a per-channel luminance table for L*, and for 8-bit sRGB out a bucket
 * table whose codes equal round(255 * linear_to_srgb(x)) without a `pow` per value.
 */
import constants from './generated/colourConstants.json';

const LAB = constants.lab;

/** The scaling between Lab and the network's range (the model's manifest carries its own). */
export interface LabNormalization {
  l_center: number;
  l_scale: number;
  ab_scale: number;
}

export const DEFAULT_NORMALIZATION: LabNormalization = constants.normalization;

/** Undo the sRGB transfer curve (0..1), in float64. */
export function srgbToLinear(value: number): number {
  return value > LAB.srgbEncodedThreshold ? ((value + 0.055) / 1.055) ** LAB.srgbGamma : value / 12.92;
}

/** Apply the sRGB transfer curve in float64; negative values are clamped to 0 first. */
export function linearToSrgb(linear: number): number {
  const value = Math.max(linear, 0);
  return value > LAB.srgbLinearThreshold ? 1.055 * value ** (1 / LAB.srgbGamma) - 0.055 : value * 12.92;
}

function labF(t: number): number {
  return t > LAB.epsilon ? Math.cbrt(t) : LAB.kappaSlope * t + LAB.offset;
}

// Y = sum over the channels of weight_c * linear(code): one 256-entry table per channel (float32, as in Python).
const RGB8_TO_LUMINANCE = (() => {
  const table = new Float32Array(3 * 256);
  for (let channel = 0; channel < 3; channel += 1) {
    for (let code = 0; code < 256; code += 1) {
      table[channel * 256 + code] = LAB.xyzFromRgb[1][channel] * srgbToLinear(code / 255);
    }
  }
  return table;
})();

const F32_EPSILON = Math.fround(LAB.epsilon);

/**
 * L* (0..100) of interleaved 8-bit pixels: `pixels` values from `source` (RGBA, 4 bytes a
 * pixel) starting at pixel `first`, written to `out` from index `first`.
 */
export function rgbaToLightness(source: ArrayLike<number>, out: Float32Array, first = 0, pixels = out.length): void {
  const red = RGB8_TO_LUMINANCE.subarray(0, 256);
  const green = RGB8_TO_LUMINANCE.subarray(256, 512);
  const blue = RGB8_TO_LUMINANCE.subarray(512, 768);
  for (let index = first; index < first + pixels; index += 1) {
    const at = index * 4;
    const luminance = Math.fround(Math.fround(red[source[at]] + green[source[at + 1]]) + blue[source[at + 2]]);
    const f =
      luminance <= F32_EPSILON
        ? Math.fround(Math.fround(LAB.kappaSlope * luminance) + LAB.offset)
        : Math.fround(Math.cbrt(luminance));
    out[index] = Math.fround(f * LAB.lScale) - LAB.lOffset;
  }
}

/** 8-bit sRGB -> Lab (float64), for a few colours such as hints: the twin of srgb8_to_lab. */
export function srgb8ToLab(red: number, green: number, blue: number): [number, number, number] {
  const linear = [red, green, blue].map((code) => srgbToLinear(code / 255));
  const f = LAB.xyzFromRgb.map((row, axis) => {
    const xyz = row[0] * linear[0] + row[1] * linear[1] + row[2] * linear[2];
    return labF(xyz / LAB.whiteD65[axis]);
  });
  return [LAB.lScale * f[1] - LAB.lOffset, LAB.aScale * (f[0] - f[1]), LAB.bScale * (f[1] - f[2])];
}

/** For each code k in 1..255, the smallest linear value that linearToSrgb maps to a code rounding to >= k. */
function srgb8Thresholds(): Float64Array {
  const thresholds = new Float64Array(255);
  for (let code = 1; code < 256; code += 1) {
    let low = 0;
    let high = 1;
    for (let step = 0; step < 100; step += 1) {
      const middle = (low + high) / 2;
      if (Math.round(linearToSrgb(middle) * 255) >= code) high = middle;
      else low = middle;
    }
    thresholds[code - 1] = high;
  }
  return thresholds;
}

/** Per bucket of floor(x * buckets): a base code and the value from which the code is base + 1 (as lab_numpy). */
const SRGB8_TABLES = (() => {
  const buckets = LAB.encodeBuckets;
  const thresholds = srgb8Thresholds();
  const base = new Uint8Array(buckets + 1);
  const stepAt = new Float64Array(buckets + 1);
  let code = 0;
  for (let bucket = 0; bucket <= buckets; bucket += 1) {
    const start = bucket / buckets;
    while (code < 255 && thresholds[code] <= start) code += 1;
    if (code === 255) {
      // As in Python: a bucket already at 255 steps up from 254 at its own start.
      base[bucket] = 254;
      stepAt[bucket] = start;
    } else {
      base[bucket] = code;
      stepAt[bucket] = thresholds[code];
    }
  }
  return { base, stepAt };
})();

/** Linear RGB (one value) -> its 8-bit sRGB code, round(255 * linearToSrgb(x)), clipped to 0..255 (NaN: 0). */
export function linearToSrgb8(linear: number): number {
  const buckets = LAB.encodeBuckets;
  let bucket = Math.trunc(Math.min(linear * buckets, buckets));
  if (!(bucket > 0)) bucket = 0;
  return SRGB8_TABLES.base[bucket] + (linear >= SRGB8_TABLES.stepAt[bucket] ? 1 : 0);
}

// Linear RGB from the cubed f(X), f(Y), f(Z): the white point folded into the matrix.
const RGB_FROM_F_CUBED = LAB.rgbFromXyz.map((row) => row.map((value, column) => value * LAB.whiteD65[column]));

function inverseF(f: number): number {
  return f <= LAB.fInverseThreshold ? (f - LAB.offset) / LAB.kappaSlope : f * f * f;
}

/**
 * One Lab pixel -> 8-bit sRGB, written to out[at..at+2] (the twin of lab_to_srgb8;
 * out-of-gamut colours clip as the server's do).
 */
export function labToSrgb8(lightness: number, a: number, b: number, out: Uint8Array | Uint8ClampedArray, at: number) {
  const fy = (lightness + LAB.lOffset) / LAB.lScale;
  const x = inverseF(a / LAB.aScale + fy);
  const y = inverseF(fy);
  const z = inverseF(Math.max(fy - b / LAB.bScale, 0));
  for (let channel = 0; channel < 3; channel += 1) {
    const row = RGB_FROM_F_CUBED[channel];
    out[at + channel] = linearToSrgb8(row[0] * x + row[1] * y + row[2] * z);
  }
}
