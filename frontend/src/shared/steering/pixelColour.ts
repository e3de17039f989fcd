/**
 * The colour an image shows around a spot (x, y in 0..1), as '#rrggbb': the mean of
 * a 5x5 patch at full resolution, read through a small canvas. null when it cannot
 * be read (the image is not loaded, or the browser has no canvas).
 */
export function colourAt(image: HTMLImageElement | null, x: number, y: number): string | null {
  if (!image || !image.complete || image.naturalWidth === 0 || image.naturalHeight === 0) return null;
  const patch = 5;
  try {
    const canvas = document.createElement('canvas');
    canvas.width = patch;
    canvas.height = patch;
    const context = canvas.getContext('2d', { willReadFrequently: true });
    if (!context) return null;
    const left = Math.min(Math.max(0, Math.round(x * image.naturalWidth) - 2), Math.max(0, image.naturalWidth - patch));
    const top = Math.min(
      Math.max(0, Math.round(y * image.naturalHeight) - 2),
      Math.max(0, image.naturalHeight - patch),
    );
    context.drawImage(image, left, top, patch, patch, 0, 0, patch, patch);
    const { data } = context.getImageData(0, 0, patch, patch);
    const sums = [0, 0, 0];
    let count = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3] === 0) continue; // outside a small image, or transparent
      sums[0] += data[i];
      sums[1] += data[i + 1];
      sums[2] += data[i + 2];
      count += 1;
    }
    if (!count) return null;
    return `#${sums
      .map((sum) =>
        Math.round(sum / count)
          .toString(16)
          .padStart(2, '0'),
      )
      .join('')}`;
  } catch {
    return null; // e.g. a cross-origin image taints the canvas
  }
}
