/**
 * How long the server took per byte of upload on the last photo colorized in this tab:
 * the estimate for the next one (big photos take long, and the server does not report
 * its progress). File size stands in for the pixel count, which would need decoding.
 */
let msPerByte: number | null = null;

/** A photo has been colorized: `ms` from the end of its upload to the answer. */
export function learnFrom(bytes: number, ms: number): void {
  if (bytes > 0 && ms > 0) msPerByte = ms / bytes;
}

/**
 * About how far the server is with a photo of `bytes` it started on at `since` (0..95%),
 * or null before any photo has taught the rate.
 */
export function estimatedProgress(bytes: number, since: number | null, now: number): number | null {
  if (msPerByte === null || since === null) return null;
  const expected = Math.max(500, msPerByte * bytes);
  // Never 100% before the answer: the last stretch is waiting for it.
  return Math.min(95, Math.round((100 * (now - since)) / expected));
}
