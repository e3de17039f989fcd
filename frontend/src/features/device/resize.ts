/**
 * The sampling steps of model/preprocessing.py on the device: the render shape, the
 * antialiased shrink of L to it (Pillow's bilinear filter on a float image, which the
 * server uses), and the bilinear upsampling of ab back to full resolution (torch's
 * interpolate, align_corners=False).
 */
import constants from './generated/colourConstants.json';

const { multiple: RENDER_MULTIPLE, maxAspect: MAX_RENDER_ASPECT } = constants.render;

/** A plane of float32 values, row after row. */
export interface Plane {
  width: number;
  height: number;
  data: Float32Array;
}

/** Python's round(): halves go to the even neighbour. */
function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction !== 0.5) return Math.round(value);
  return floor % 2 === 0 ? floor : floor + 1;
}

/** The [height, width] the network sees: short side ~renderSize, aspect kept, multiples of 32. */
export function renderShape(height: number, width: number, renderSize: number): [number, number] {
  const scale = Math.min(
    renderSize / Math.min(height, width),
    (MAX_RENDER_ASPECT * renderSize) / Math.max(height, width),
  );
  const snap = (side: number) =>
    Math.max(RENDER_MULTIPLE, roundHalfEven((side * scale) / RENDER_MULTIPLE) * RENDER_MULTIPLE);
  return [snap(height), snap(width)];
}

interface Coefficients {
  /** Per output sample: first source index and how many follow. */
  bounds: Int32Array;
  /** Per output sample, `size` normalised weights. */
  weights: Float64Array;
  size: number;
}

/** Pillow's precompute_coeffs for the bilinear (triangle) filter, widened by the scale when shrinking. */
function triangleCoefficients(inSize: number, outSize: number): Coefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filterScale;
  const inverseScale = 1 / filterScale;
  const size = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const weights = new Float64Array(outSize * size);
  for (let out = 0; out < outSize; out += 1) {
    const center = (out + 0.5) * scale;
    const first = Math.max(Math.trunc(center - support + 0.5), 0);
    const count = Math.min(Math.trunc(center + support + 0.5), inSize) - first;
    let total = 0;
    for (let k = 0; k < count; k += 1) {
      const distance = Math.abs((k + first - center + 0.5) * inverseScale);
      const weight = distance < 1 ? 1 - distance : 0;
      weights[out * size + k] = weight;
      total += weight;
    }
    if (total !== 0) for (let k = 0; k < count; k += 1) weights[out * size + k] /= total;
    bounds[out * 2] = first;
    bounds[out * 2 + 1] = count;
  }
  return { bounds, weights, size };
}

/**
 * Resize L to [height, width] as the server does (`resize_lightness`: Pillow, BILINEAR,
 * mode F): a horizontal pass over the rows the vertical pass needs, then a vertical one,
 * accumulating in float64 and storing float32.
 */
export function resizeLightness(source: Plane, height: number, width: number): Plane {
  if (source.width === width && source.height === height) return { width, height, data: source.data.slice() };
  const vertical = triangleCoefficients(source.height, height);
  let rows = source;
  let firstRow = 0;
  if (width !== source.width) {
    const horizontal = triangleCoefficients(source.width, width);
    firstRow = vertical.bounds[0];
    const lastRow = vertical.bounds[height * 2 - 2] + vertical.bounds[height * 2 - 1];
    const data = new Float32Array((lastRow - firstRow) * width);
    for (let y = 0; y < lastRow - firstRow; y += 1) {
      const input = (y + firstRow) * source.width;
      for (let x = 0; x < width; x += 1) {
        const first = horizontal.bounds[x * 2];
        const count = horizontal.bounds[x * 2 + 1];
        let sum = 0;
        for (let k = 0; k < count; k += 1)
          sum += source.data[input + first + k] * horizontal.weights[x * horizontal.size + k];
        data[y * width + x] = sum;
      }
    }
    rows = { width, height: lastRow - firstRow, data };
  }
  if (height === source.height) return rows;
  const data = new Float32Array(height * width);
  for (let y = 0; y < height; y += 1) {
    const first = vertical.bounds[y * 2] - firstRow;
    const count = vertical.bounds[y * 2 + 1];
    for (let x = 0; x < width; x += 1) {
      let sum = 0;
      for (let k = 0; k < count; k += 1)
        sum += rows.data[(first + k) * width + x] * vertical.weights[y * vertical.size + k];
      data[y * width + x] = sum;
    }
  }
  return { width, height, data };
}

/** Bilinear sampling positions (torch, align_corners=False): the two source indices and the weight of the second. */
export interface Taps {
  low: Int32Array;
  high: Int32Array;
  weight: Float32Array;
}

/** As model.preprocessing._bilinear_rows: `scale` first, then the position (compose's order of operations). */
export function bilinearTaps(sourceSize: number, size: number): Taps {
  const low = new Int32Array(size);
  const high = new Int32Array(size);
  const weight = new Float32Array(size);
  const scale = sourceSize / size;
  for (let index = 0; index < size; index += 1) {
    const position = Math.max((index + 0.5) * scale - 0.5, 0);
    low[index] = Math.min(Math.trunc(position), sourceSize - 1);
    high[index] = Math.min(low[index] + 1, sourceSize - 1);
    weight[index] = position - low[index];
  }
  return { low, high, weight };
}

/** As model.propagation._bilinear_upsample's axis(): the position computed as (i + 0.5) * source / target. */
export function propagationTaps(sourceSize: number, size: number): Taps {
  const low = new Int32Array(size);
  const high = new Int32Array(size);
  const weight = new Float32Array(size);
  for (let index = 0; index < size; index += 1) {
    const position = Math.max(((index + 0.5) * sourceSize) / size - 0.5, 0);
    low[index] = Math.min(Math.trunc(position), sourceSize - 1);
    high[index] = Math.min(low[index] + 1, sourceSize - 1);
    weight[index] = position - low[index];
  }
  return { low, high, weight };
}

/** Upsample `channels` planes of [height, width] (one Float32Array) with the given taps, rows first. */
export function upsampleWithTaps(
  values: Float32Array,
  channels: number,
  sourceHeight: number,
  sourceWidth: number,
  rowTaps: Taps,
  columnTaps: Taps,
): Float32Array {
  const height = rowTaps.low.length;
  const width = columnTaps.low.length;
  const out = new Float32Array(channels * height * width);
  const row = new Float32Array(sourceWidth);
  for (let channel = 0; channel < channels; channel += 1) {
    const source = channel * sourceHeight * sourceWidth;
    for (let y = 0; y < height; y += 1) {
      const top = source + rowTaps.low[y] * sourceWidth;
      const bottom = source + rowTaps.high[y] * sourceWidth;
      const w = rowTaps.weight[y];
      for (let x = 0; x < sourceWidth; x += 1) row[x] = values[top + x] + (values[bottom + x] - values[top + x]) * w;
      const target = (channel * height + y) * width;
      for (let x = 0; x < width; x += 1) {
        const left = row[columnTaps.low[x]];
        out[target + x] = left + (row[columnTaps.high[x]] - left) * columnTaps.weight[x];
      }
    }
  }
  return out;
}
