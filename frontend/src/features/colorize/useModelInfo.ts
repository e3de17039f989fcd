import { KEY_REFUSALS } from '../../api/apiKey';
import { ApiError, type ColorizerApi, type ModelInfo } from '../../api/colorizer';
import { type Outcome, useRetriedRequest } from './useRetriedRequest';

export type ModelState =
  { kind: 'loading' } | { kind: 'starting' } | { kind: 'ready'; model: ModelInfo } | { kind: 'offline' };

/** How soon to ask again while the model is loading, or the service cannot be reached. */
const RETRY_STARTING_MS = 3_000;
const RETRY_OFFLINE_MS = 10_000;

const LOADING: ModelState = { kind: 'loading' };
const ask = (api: ColorizerApi, signal: AbortSignal) => api.fetchModelInfo(signal);
const onAnswer = (model: ModelInfo): Outcome<ModelState> => ({ state: { kind: 'ready', model }, retryInMs: null });
function onError(err: unknown): Outcome<ModelState> {
  // Refused for want of an API key: wait (no retry) until a key is given, which hands in a new `api`.
  if (err instanceof ApiError && KEY_REFUSALS.has(err.code)) return { state: LOADING, retryInMs: null };
  const starting = err instanceof ApiError && err.code === 'not_ready';
  return starting
    ? { state: { kind: 'starting' }, retryInMs: RETRY_STARTING_MS }
    : { state: { kind: 'offline' }, retryInMs: RETRY_OFFLINE_MS };
}

/**
 * Which model colorizes (GET /api/v1/model), asked again until it is ready: the
 * badge shows it, and the result view offers colour hints only when it takes them.
 * Refused for want of an API key (GATEWAY_AUTH=keys), it waits: the app asks for a
 * key, and hands in a new `api` once it has one (App.tsx).
 */
export function useModelInfo(api: ColorizerApi): ModelState {
  return useRetriedRequest(api, LOADING, ask, onAnswer, onError);
}
