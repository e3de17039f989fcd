/** Client-side checks, so a wrong file is refused at once with a clear reason. */
import { formatBytes, formatsText, type Limits } from '../../shared/limits';

function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot >= 0 ? name.slice(dot).toLowerCase() : '';
}

function isAccepted(file: File, limits: Limits): boolean {
  // Until the service has listed its formats, any image may go: the service decides.
  if (!limits.mediaTypes || !limits.extensions) return !file.type || file.type.startsWith('image/');
  // Some systems give no type for TIFF or BMP files: trust the extension then.
  return file.type ? limits.mediaTypes.includes(file.type) : limits.extensions.includes(extensionOf(file.name));
}

/**
 * Why this file cannot be colorized, in plain words, or null when it looks fine.
 * `limits`: what the server accepts (limits.ts); unknown ones are left to the server.
 */
export function checkFile(file: File, limits: Limits): string | null {
  const extension = extensionOf(file.name);
  const formats = formatsText(limits);
  const accepted = formats ? ` (${formats})` : '';
  if (file.type === 'image/heic' || file.type === 'image/heif' || extension === '.heic' || extension === '.heif') {
    return `HEIC photos are not supported yet. Export it as JPEG or PNG first${accepted}.`;
  }
  if (!isAccepted(file, limits)) {
    return formats
      ? `This is not an image we can read. Please choose a ${formats} file.`
      : 'This is not an image we can read. Please choose a photo file, such as JPEG or PNG.';
  }
  if (file.size === 0) return 'This file is empty.';
  if (limits.maxUploadBytes !== null && file.size > limits.maxUploadBytes) {
    return `This file is ${formatBytes(file.size)}, over the ${formatBytes(limits.maxUploadBytes)} limit. Please use a smaller image.`;
  }
  return null;
}
