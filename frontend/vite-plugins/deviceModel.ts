/**
 * The model for on-device colorization, in the build: a Vite plugin that puts the
 * shipped ONNX file into the output as `model/colorizer-<sha256 prefix>.onnx` (a new
 * model is a new name, so hosts may cache it forever) beside `model/manifest.json`,
 * which names the file, its SHA-256 (checked in the browser before use), its size and
 * what the pipeline must know about the network (read from the ONNX file's own
 * `colorizer` metadata: render size, input channels, Lab scaling, chroma gain). The
 * dev server serves the same two paths. Nothing is hard-coded: a new model is picked up
 * by the next build.
 *
 * The file shipped is the float16-weight one `python -m training.device_model` writes
 * into `device/` beside the ONNX file (half the download, within the quality bar:
 * training/device_model.py), while it was made from the current ONNX file (its
 * metadata holds that file's SHA-256); else the ONNX file itself, with a warning.
 *
 * COLORIZER_ONNX names another file; without a model file the build still works and
 * the app colorizes on the server only.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import type { Plugin } from 'vite';

import type { ModelManifest } from '../src/features/device/modelManifest.ts';

export const DEFAULT_ONNX = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'model',
  'weights',
  'colorizer-default.onnx',
);
const MANIFEST_PATH = 'model/manifest.json';
// Written by training/device_model.py into the device file: the SHA-256 of the file it was made from.
const DEVICE_SOURCE_KEY = 'colorizer.device_source_sha256';

/** A protobuf varint at `offset`: [value, next offset]. */
function readVarint(bytes: Buffer, offset: number): [number, number] {
  let value = 0;
  let shift = 1;
  let at = offset;
  for (;;) {
    const byte = bytes[at];
    at += 1;
    value += (byte & 0x7f) * shift;
    if (byte < 0x80) return [value, at];
    shift *= 128;
  }
}

/** ModelProto.metadata_props (field 14: key = 1, value = 2), walking the top level of the ONNX protobuf. */
export function onnxMetadata(bytes: Buffer): Record<string, string> {
  const entries: Record<string, string> = {};
  let at = 0;
  while (at < bytes.length) {
    const [key, afterKey] = readVarint(bytes, at);
    const field = Math.floor(key / 8);
    const wireType = key % 8;
    at = afterKey;
    if (wireType === 0) at = readVarint(bytes, at)[1];
    else if (wireType === 1) at += 8;
    else if (wireType === 5) at += 4;
    else if (wireType === 2) {
      const [length, start] = readVarint(bytes, at);
      at = start + length;
      if (field === 14) {
        const entry = readStrings(bytes.subarray(start, at));
        entries[entry[1] ?? ''] = entry[2] ?? '';
      }
    } else throw new Error(`unexpected protobuf wire type ${wireType} in the ONNX file`);
  }
  return entries;
}

function readStrings(bytes: Buffer): Record<number, string> {
  const fields: Record<number, string> = {};
  let at = 0;
  while (at < bytes.length) {
    const [key, afterKey] = readVarint(bytes, at);
    const [length, start] = readVarint(bytes, afterKey);
    fields[Math.floor(key / 8)] = bytes.subarray(start, start + length).toString('utf8');
    at = start + length;
  }
  return fields;
}

const sha256Of = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/**
 * The manifest and the bytes of the file to ship for `onnxPath`: its device file when that
 * was made from it, else the file itself (`warn` says why).
 */
export function describeModel(onnxPath: string, warn: (message: string) => void = () => {}) {
  let bytes = fs.readFileSync(onnxPath);
  let weights: ModelManifest['weights'] = 'float32';
  const devicePath = path.join(path.dirname(onnxPath), 'device', path.basename(onnxPath));
  if (fs.existsSync(devicePath)) {
    const device = fs.readFileSync(devicePath);
    if (onnxMetadata(device)[DEVICE_SOURCE_KEY] === sha256Of(bytes)) {
      bytes = device;
      weights = 'float16';
    } else
      warn(
        `${devicePath} was made from another model: shipping the float32 file (run python -m training.device_model)`,
      );
  } else warn(`no ${devicePath}: shipping the float32 file (run python -m training.device_model)`);
  const sha256 = sha256Of(bytes);
  const metadata = onnxMetadata(bytes);
  if (!metadata.colorizer)
    throw new Error(`${onnxPath} has no "colorizer" metadata: export it with \`colorizer export\``);
  const artifact = JSON.parse(metadata.colorizer) as {
    name: string;
    version: string;
    render_size: number;
    // chroma_gain: absent from artifacts made before the gain existed (their colour as trained).
    generator: { in_channels: number; chroma_gain?: number };
    lab: ModelManifest['normalization'];
  };
  const manifest: ModelManifest = {
    file: `model/colorizer-${sha256.slice(0, 16)}.onnx`,
    sha256,
    bytes: bytes.length,
    name: artifact.name,
    version: artifact.version,
    renderSize: artifact.render_size,
    inChannels: artifact.generator.in_channels,
    chromaGain: artifact.generator.chroma_gain ?? 1,
    normalization: artifact.lab,
    weights,
  };
  return { manifest, bytes };
}

const warnOnConsole = (message: string) => console.warn(message);

export function deviceModel(onnxPath = process.env.COLORIZER_ONNX || DEFAULT_ONNX): Plugin {
  let model: ReturnType<typeof describeModel> | null = null;
  // The console until the build starts; then the build's own warnings.
  let warn: (message: string) => void = warnOnConsole;
  const load = () => {
    if (model === null && fs.existsSync(onnxPath)) model = describeModel(onnxPath, warn);
    return model;
  };
  return {
    name: 'colorizer-device-model',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const found = load();
        const wanted = (req.url ?? '').split('?')[0].replace(/^\//, '');
        if (!found || (wanted !== MANIFEST_PATH && wanted !== found.manifest.file)) return next();
        res.setHeader('Content-Type', wanted === MANIFEST_PATH ? 'application/json' : 'application/octet-stream');
        res.end(wanted === MANIFEST_PATH ? JSON.stringify(found.manifest) : found.bytes);
      });
    },
    generateBundle() {
      warn = (message) => this.warn(message);
      const found = load();
      if (!found) {
        this.warn(`no model at ${onnxPath}: the build colorizes on the server only`);
        return;
      }
      this.emitFile({ type: 'asset', fileName: found.manifest.file, source: found.bytes });
      this.emitFile({ type: 'asset', fileName: MANIFEST_PATH, source: `${JSON.stringify(found.manifest, null, 2)}\n` });
    },
  };
}
