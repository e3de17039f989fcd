/**
 * The whole photo pipeline of model/colorizer.py, on the device, around a network call:
 * L at full resolution -> resized to the render size -> network (+ hint planes) ->
 * hints propagated (a chroma gain yielding where they reach), vibrance -> ab
 * upsampled bilinearly and composed with the original L -> 8-bit sRGB, written over
 * the decoded pixels row by row.
 *
 * Memory: besides the decoded RGBA (which the result overwrites in place), only the
 * full-resolution L (4 bytes a pixel) and the ab widened to full width at render
 * height exist; the full-resolution ab or RGB float planes never do, so a 12 MP photo
 * needs about 150 MB (with the canvas it was decoded on) rather than a gigabyte.
 */
import { paintHints, type DeviceHint } from './hints';
import { labToSrgb8, rgbaToLightness, type LabNormalization } from './lab';
import { spreadHints, type Propagation } from './propagation';
import { bilinearTaps, renderShape, resizeLightness } from './resize';

/** What the pipeline needs to know about the model (from its manifest). */
export interface ModelSpec {
  renderSize: number;
  inChannels: number;
  normalization: LabNormalization;
  /**
   * GeneratorConfig.chroma_gain: the network already scales its ab by it; with hints the
   * gain yields where they reach (spreadHints). Absent or 1: the hints' propagation plain
   * (also for a manifest a browser kept from before the gain was written).
   */
  chromaGain?: number;
}

export interface PipelineOptions {
  renderSize?: number;
  hints?: DeviceHint[];
  vibrance?: number;
  propagation?: Propagation;
}

/** The network: (inChannels, h, w) float32 input -> (2, h, w) normalised ab. */
export type RunNetwork = (
  input: Float32Array,
  channels: number,
  height: number,
  width: number,
) => Promise<Float32Array>;

/** Decoded pixels, RGBA, 4 bytes a pixel, row after row. */
export interface Pixels {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

/** The network's input for L at render resolution (plus hint planes for a hint model), as Colorizer.network_input. */
export function networkInput(
  lightness: Float32Array,
  height: number,
  width: number,
  model: ModelSpec,
  hints: DeviceHint[],
): Float32Array {
  const plane = height * width;
  const input = new Float32Array(model.inChannels * plane);
  const { l_center: center, l_scale: scale } = model.normalization;
  for (let index = 0; index < plane; index += 1) input[index] = (lightness[index] - center) / scale;
  if (model.inChannels > 1) input.set(paintHints(hints, height, width, model.normalization), plane);
  return input;
}

/**
 * Full-resolution L (height x width) + low-resolution ab (2, abHeight, abWidth, Lab units)
 * -> 8-bit sRGB written into `out` (RGBA; alpha untouched), row by row: `compose` of
 * model/preprocessing.py.
 */
export function composeInto(
  lightness: Float32Array,
  width: number,
  height: number,
  ab: Float32Array,
  abHeight: number,
  abWidth: number,
  out: Uint8ClampedArray | Uint8Array,
): void {
  const columns = bilinearTaps(abWidth, width);
  const rows = bilinearTaps(abHeight, height);
  // ab widened to the full width once (still only abHeight rows).
  const wide = new Float32Array(2 * abHeight * width);
  for (let channel = 0; channel < 2; channel += 1) {
    for (let y = 0; y < abHeight; y += 1) {
      const source = (channel * abHeight + y) * abWidth;
      const target = (channel * abHeight + y) * width;
      for (let x = 0; x < width; x += 1) {
        const left = ab[source + columns.low[x]];
        wide[target + x] = left + (ab[source + columns.high[x]] - left) * columns.weight[x];
      }
    }
  }
  const rgb = new Uint8Array(3);
  for (let y = 0; y < height; y += 1) {
    const weight = rows.weight[y];
    const aTop = rows.low[y] * width;
    const aBottom = rows.high[y] * width;
    const bTop = (abHeight + rows.low[y]) * width;
    const bBottom = (abHeight + rows.high[y]) * width;
    for (let x = 0; x < width; x += 1) {
      const a = Math.fround(wide[aTop + x] + Math.fround(wide[aBottom + x] - wide[aTop + x]) * weight);
      const b = Math.fround(wide[bTop + x] + Math.fround(wide[bBottom + x] - wide[bTop + x]) * weight);
      const at = y * width + x;
      labToSrgb8(lightness[at], a, b, rgb, 0);
      out[at * 4] = rgb[0];
      out[at * 4 + 1] = rgb[1];
      out[at * 4 + 2] = rgb[2];
    }
  }
}

/** Colorize decoded pixels in place (alpha kept). Returns the network's render shape. */
export async function colorizePixels(
  pixels: Pixels,
  model: ModelSpec,
  runNetwork: RunNetwork,
  options: PipelineOptions = {},
): Promise<{ renderHeight: number; renderWidth: number }> {
  const { width, height, data } = pixels;
  const hints = model.inChannels > 1 ? (options.hints ?? []) : [];
  const lightness = new Float32Array(width * height);
  rgbaToLightness(data, lightness);
  const [renderHeight, renderWidth] = renderShape(height, width, options.renderSize ?? model.renderSize);
  const small = resizeLightness({ width, height, data: lightness }, renderHeight, renderWidth);
  const input = networkInput(small.data, renderHeight, renderWidth, model, hints);
  const abNorm = await runNetwork(input, model.inChannels, renderHeight, renderWidth);
  const plane = renderHeight * renderWidth;
  const { ab_scale: abScale, l_center: center, l_scale: scale } = model.normalization;
  let ab: Float32Array = abNorm.map((value) => value * abScale);
  if (hints.length) {
    // As Colorizer._finish: L and the hints' planes read back from the network input.
    const renderL = input.subarray(0, plane).map((value) => value * scale + center);
    ab = spreadHints(renderL, ab, hints, renderHeight, renderWidth, {
      normalization: model.normalization,
      settings: options.propagation,
      chromaGain: model.chromaGain,
      painted: input.subarray(plane, 4 * plane),
    });
  }
  const vibrance = Math.fround(options.vibrance ?? 1);
  if (vibrance !== 1) ab = ab.map((value) => value * vibrance);
  composeInto(lightness, width, height, ab, renderHeight, renderWidth, data);
  return { renderHeight, renderWidth };
}
