import { useEffect, useState } from 'react';

import type { ColorizerApi, GatewayInfo } from '../../api/colorizer';

/** How soon to ask again when the gateway could not be reached. */
const RETRY_MS = 10_000;

/**
 * What the gateway says about itself (GET /api/health): how long results are kept,
 * the upload limit. null until it has answered; asked again until it does.
 */
export function useGatewayInfo(api: ColorizerApi): GatewayInfo | null {
  const [info, setInfo] = useState<GatewayInfo | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    function ask() {
      api
        .fetchGatewayInfo(controller.signal)
        .then((answer) => {
          setInfo(answer);
          // No upload limit yet (no replica answered): ask again, the rest is known.
          if (answer.maxUploadBytes === null) timer = setTimeout(ask, RETRY_MS);
        })
        .catch(() => {
          if (!controller.signal.aborted) timer = setTimeout(ask, RETRY_MS);
        });
    }
    ask();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [api]);

  return info;
}
