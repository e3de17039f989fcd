/**
 * model/manifest.json: what the build (vite-plugins/deviceModel.ts) writes beside the
 * model file and the browser (modelFile.ts) reads before downloading it. Types only,
 * shared by both sides.
 */
export interface ModelManifest {
  /** Relative to the app's root: model/colorizer-<sha256 prefix>.onnx. */
  file: string;
  sha256: string;
  bytes: number;
  name: string;
  version: string;
  renderSize: number;
  inChannels: number;
  normalization: { l_center: number; l_scale: number; ab_scale: number };
  /**
   * The artifact's generator.chroma_gain (1 for models without one). Absent from manifests
   * built before it was written, which a browser may still hold in its cache: read as 1.
   */
  chromaGain?: number;
  /** "float16": the device file (training/device_model.py); "float32": the ONNX file itself. */
  weights: 'float16' | 'float32';
}
