import type { ColorizeResult } from './colorizer';

/**
 * With an API key, results are shown from local (blob:) copies (colorizer.ts,
 * withLocalCopy), which live until revoked. Whoever drops a result hands it here;
 * a result served by the gateway itself needs nothing.
 */
export function releaseResult(result: ColorizeResult | null | undefined): void {
  if (result?.url.startsWith('blob:')) URL.revokeObjectURL(result.url);
}
