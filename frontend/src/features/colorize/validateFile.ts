/** Client-side checks, so a wrong file is refused at once with a clear reason. */

/** Same limit as the gateway and the inference service (20 MB). */
export const MAX_UPLOAD_BYTES = 20 * 1024 * 1024;

export const ACCEPTED_TYPES = [
  'image/jpeg',
  'image/png',
  'image/webp',
  'image/avif',
  'image/gif',
  'image/bmp',
  'image/tiff',
] as const;

const ACCEPTED_EXTENSIONS = ['jpg', 'jpeg', 'jfif', 'png', 'webp', 'avif', 'gif', 'bmp', 'tif', 'tiff'];

/** For the file picker's `accept` attribute. */
export const ACCEPT_ATTRIBUTE = [...ACCEPTED_TYPES, ...ACCEPTED_EXTENSIONS.map((ext) => `.${ext}`)].join(',');

export const ACCEPTED_FORMATS_TEXT = 'JPEG, PNG, WebP, AVIF, GIF, BMP or TIFF';

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  const mb = bytes / (1024 * 1024);
  return `${Number.isInteger(mb) ? mb : mb.toFixed(1)} MB`;
}

function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot >= 0 ? name.slice(dot + 1).toLowerCase() : '';
}

/** Why this file cannot be colorized, in plain words, or null when it looks fine. */
export function checkFile(file: File): string | null {
  const extension = extensionOf(file.name);
  if (file.type === 'image/heic' || file.type === 'image/heif' || extension === 'heic' || extension === 'heif') {
    return `HEIC photos are not supported yet. Export it as JPEG or PNG first (${ACCEPTED_FORMATS_TEXT}).`;
  }
  // Some systems give no type for TIFF or BMP files: trust the extension then.
  const typeOk = file.type
    ? (ACCEPTED_TYPES as readonly string[]).includes(file.type)
    : ACCEPTED_EXTENSIONS.includes(extension);
  if (!typeOk) {
    return `This is not an image we can read. Please choose a ${ACCEPTED_FORMATS_TEXT} file.`;
  }
  if (file.size === 0) return 'This file is empty.';
  if (file.size > MAX_UPLOAD_BYTES) {
    return `This file is ${formatBytes(file.size)}, over the ${formatBytes(MAX_UPLOAD_BYTES)} limit. Please use a smaller image.`;
  }
  return null;
}
