/** Pictures taken from a playing film (a <video> element) in this tab. */

/** Moves `video` to `time` and waits until that frame is shown. */
function seek(video: HTMLVideoElement, time: number): Promise<void> {
  if (Math.abs(video.currentTime - time) < 1e-3 && video.readyState >= 2 && !video.seeking) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = () => {
      video.removeEventListener('seeked', done);
      video.removeEventListener('error', failed);
      resolve();
    };
    const failed = () => {
      video.removeEventListener('seeked', done);
      video.removeEventListener('error', failed);
      reject(new Error('The film could not be read at this time.'));
    };
    video.addEventListener('seeked', done);
    video.addEventListener('error', failed);
    // Already on its way there: only the end of that seek is waited for.
    if (!video.seeking || Math.abs(video.currentTime - time) >= 1e-3) video.currentTime = time;
  });
}

function canvasBlob(canvas: HTMLCanvasElement, type: string): Promise<Blob> {
  return new Promise((resolve, reject) =>
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('No picture could be made.'))), type),
  );
}

/**
 * The frame of `video` at `time`, in shades of grey, as a PNG file to colorize like a photo.
 * Grey because the film may be the colorized result: the frame is colorized afresh from its
 * lightness, as the server does when it carries the pins through the shot.
 */
export async function captureGreyFrame(video: HTMLVideoElement, time: number, name: string): Promise<File> {
  video.pause();
  await seek(video, time);
  const canvas = document.createElement('canvas');
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (!context || canvas.width === 0 || canvas.height === 0) throw new Error('The film shows no picture yet.');
  context.drawImage(video, 0, 0);
  const pixels = context.getImageData(0, 0, canvas.width, canvas.height);
  const { data } = pixels;
  for (let i = 0; i < data.length; i += 4) {
    // Rec. 709 luma, the weights sRGB's lightness is made of.
    const grey = Math.round(0.2126 * data[i] + 0.7152 * data[i + 1] + 0.0722 * data[i + 2]);
    data[i] = grey;
    data[i + 1] = grey;
    data[i + 2] = grey;
  }
  context.putImageData(pixels, 0, 0);
  return new File([await canvasBlob(canvas, 'image/png')], name, { type: 'image/png' });
}

/** The thumbnail's height in the keyframe strip (CSS pixels, doubled for sharp screens). */
const THUMBNAIL_HEIGHT = 2 * 64;

/**
 * A small JPEG of what `image` shows, for the keyframe strip, as a data: URL (a few KB,
 * kept with the keyframe; null when it cannot be read).
 */
export function thumbnailOf(image: HTMLImageElement | null): string | null {
  if (!image || !image.complete || image.naturalHeight === 0) return null;
  try {
    const canvas = document.createElement('canvas');
    const scale = Math.min(1, THUMBNAIL_HEIGHT / image.naturalHeight);
    canvas.width = Math.max(1, Math.round(image.naturalWidth * scale));
    canvas.height = Math.max(1, Math.round(image.naturalHeight * scale));
    const context = canvas.getContext('2d');
    if (!context) return null;
    context.drawImage(image, 0, 0, canvas.width, canvas.height);
    return canvas.toDataURL('image/jpeg', 0.85);
  } catch {
    return null; // no canvas (tests), or a picture the page may not read
  }
}
