import type { ColorizerApi, GatewayInfo } from '../../api/colorizer';
import { type Outcome, useRetriedRequest } from './useRetriedRequest';

/** How soon to ask again when the gateway could not be reached. */
const RETRY_MS = 10_000;

const ask = (api: ColorizerApi, signal: AbortSignal) => api.fetchGatewayInfo(signal);
// No upload limit yet (no replica answered): ask again, the rest is known.
const onAnswer = (info: GatewayInfo): Outcome<GatewayInfo | null> => ({
  state: info,
  retryInMs: info.maxUploadBytes === null ? RETRY_MS : null,
});
// Unreachable: keep what is known, ask again.
const onError = (_err: unknown, current: GatewayInfo | null) => ({ state: current, retryInMs: RETRY_MS });

/**
 * What the gateway says about itself (GET /api/health): how long results are kept,
 * the upload limit. null until it has answered; asked again until it does.
 */
export function useGatewayInfo(api: ColorizerApi): GatewayInfo | null {
  return useRetriedRequest(api, null, ask, onAnswer, onError);
}
