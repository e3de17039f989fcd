import { useEffect, useState } from 'react';

import { KEY_REFUSALS } from '../../api/apiKey';
import { ApiError, type ColorizerApi, type ModelInfo } from '../../api/colorizer';

export type ModelState =
  { kind: 'loading' } | { kind: 'starting' } | { kind: 'ready'; model: ModelInfo } | { kind: 'offline' };

/** How soon to ask again while the model is loading, or the service cannot be reached. */
const RETRY_STARTING_MS = 3_000;
const RETRY_OFFLINE_MS = 10_000;

/**
 * Which model colorizes (GET /api/v1/model), asked again until it is ready: the
 * badge shows it, and the result view offers colour hints only when it takes them.
 * Refused for want of an API key (GATEWAY_AUTH=keys), it waits: the app asks for a
 * key, and hands in a new `api` once it has one (App.tsx).
 */
export function useModelInfo(api: ColorizerApi): ModelState {
  const [state, setState] = useState<ModelState>({ kind: 'loading' });

  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    function ask() {
      api
        .fetchModelInfo(controller.signal)
        .then((model) => setState({ kind: 'ready', model }))
        .catch((err: unknown) => {
          if (controller.signal.aborted) return;
          if (err instanceof ApiError && KEY_REFUSALS.has(err.code)) {
            setState({ kind: 'loading' }); // until a key is given
            return;
          }
          const starting = err instanceof ApiError && err.code === 'not_ready';
          setState({ kind: starting ? 'starting' : 'offline' });
          timer = setTimeout(ask, starting ? RETRY_STARTING_MS : RETRY_OFFLINE_MS);
        });
    }
    ask();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [api]);

  return state;
}
