import { formatBytes, formatsText, keptForText, type Limits } from './limits';

/** The messages that state a limit: worded with the limits the server gave (or without a number). */
function limitMessages(limits: Limits): Record<string, string> {
  const formats = formatsText(limits);
  const megapixels = limits.maxPixels === null ? null : Math.floor(limits.maxPixels / 1_000_000);
  return {
    payload_too_large:
      limits.maxUploadBytes === null
        ? 'This file is too large to upload.'
        : `This file is too large to upload. The limit is ${formatBytes(limits.maxUploadBytes)}.`,
    unsupported_media_type: formats
      ? `This file type is not supported. Please use ${formats}.`
      : 'This file type is not supported. Please use a common image format such as JPEG or PNG.',
    image_too_large:
      megapixels === null
        ? 'This image has too many pixels to colorize. Please scale it down and try again.'
        : `This image has too many pixels to colorize. Please scale it down (under ${megapixels} megapixels) and try again.`,
    not_found: `This result is no longer available (results are kept ${keptForText(limits)}). Please colorize the image again.`,
  };
}

/** Plain-words explanations of the API's error codes (never the raw JSON). */
const MESSAGES: Record<string, string> = {
  missing_image: 'No image arrived at the server. Please choose the file again.',
  invalid_image: 'This file could not be read as an image. It may be damaged, or not really an image.',
  invalid_parameter: 'One of the settings was not accepted. Try again with the default settings.',
  busy: 'The colorizer is busy with other images right now. Please try again in a few seconds.',
  not_ready: 'The colorizer is still starting up. Please try again in a moment.',
  rate_limited: 'You have sent many images in a short time. Please wait a minute, then try again.',
  upstream_unavailable: 'The colorizer cannot be reached right now. Please try again later.',
  upstream_timeout: 'The colorizer took too long to answer. Try a smaller image, or try again later.',
  bad_upstream_response: 'The colorizer sent back something unexpected. Please try again.',
  result_too_large: 'The colorized image is too large to keep. Please try a smaller image.',
  result_store_unavailable: 'The server cannot keep results right now. Please try again in a little while.',
  request_timeout: 'The upload took too long and was stopped. Check your connection and try again.',
  network_error: 'The server could not be reached. Check your connection and try again.',
  bad_response: 'The server sent an answer the app does not understand. Please try again.',
  aborted: 'The upload was cancelled.',
  // Colorizing on this device (features/device): refused or failed there; Retry goes to the server.
  device_cannot_hold:
    'This photo is too big for this device to colorize. Press Retry to colorize it on the server instead.',
  device_cannot_hold_no_server:
    'This photo is too big for this device to colorize. Please scale it down and try again.',
  device_failed: 'The colorizer stopped on this device. Press Retry to colorize this photo on the server instead.',
  device_model_unavailable:
    'The colorizer could not be downloaded to this device. Press Retry to colorize this photo on the server instead.',
  device_model_corrupt:
    'The colorizer downloaded to this device was damaged. Press Retry to colorize this photo on the server instead.',
  api_key_missing: 'This server needs an API key. Please enter yours above.',
  api_key_invalid: 'This API key is not valid for this server. Check that you copied all of it, and enter it again.',
  api_key_revoked: 'This API key has been revoked. Please ask whoever runs this server for a new one.',
  quota_exceeded: 'This API key has used all its images for today. Please try again tomorrow.',
  key_store_unavailable: 'The server cannot check API keys right now. Please try again in a moment.',
};

/** Error codes where trying the same file again later can succeed. */
const RETRYABLE = new Set([
  'busy',
  'not_ready',
  'rate_limited',
  'upstream_unavailable',
  'upstream_timeout',
  'bad_upstream_response',
  'result_store_unavailable',
  'key_store_unavailable',
  // Once another key is given (the app asks at once), the same image can go again.
  'api_key_missing',
  'api_key_invalid',
  'api_key_revoked',
  'request_timeout',
  'network_error',
  'bad_response',
  'aborted',
  'internal_error',
  'device_cannot_hold',
  'device_failed',
  'device_model_unavailable',
  'device_model_corrupt',
]);

/** `limits`: what the server said it accepts (limits.ts), for the messages that name a limit. */
export function describeError(code: string, limits: Limits): string {
  return (
    limitMessages(limits)[code] ??
    MESSAGES[code] ??
    'Something went wrong while colorizing this image. Please try again.'
  );
}

export function isRetryable(code: string): boolean {
  return RETRYABLE.has(code) || code.startsWith('http_5');
}
