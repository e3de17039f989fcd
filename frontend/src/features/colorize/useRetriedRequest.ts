import { useEffect, useState } from 'react';

import type { ColorizerApi } from '../../api/colorizer';

/** What one answer (or failure) means: the state to show, and when to ask again (null: never). */
export interface Outcome<S> {
  state: S;
  retryInMs: number | null;
}

/**
 * Ask the API once, then again after each outcome's `retryInMs`, until an outcome
 * says stop or the component goes away (the request in flight is aborted). Shared by
 * the hooks that keep what the server says about itself (model, gateway) up to date.
 * `ask`, `onAnswer` and `onError` should be module-level functions: they are not
 * meant to change between renders.
 */
export function useRetriedRequest<T, S>(
  api: ColorizerApi,
  initial: S,
  ask: (api: ColorizerApi, signal: AbortSignal) => Promise<T>,
  onAnswer: (answer: T) => Outcome<S>,
  onError: (error: unknown, current: S) => Outcome<S>,
): S {
  const [state, setState] = useState<S>(initial);

  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let current = initial;
    function settle(outcome: Outcome<S>) {
      current = outcome.state;
      setState(outcome.state);
      if (outcome.retryInMs !== null) timer = setTimeout(once, outcome.retryInMs);
    }
    function once() {
      ask(api, controller.signal)
        .then((answer) => settle(onAnswer(answer)))
        .catch((err: unknown) => {
          if (!controller.signal.aborted) settle(onError(err, current));
        });
    }
    once();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [api, initial, ask, onAnswer, onError]);

  return state;
}
