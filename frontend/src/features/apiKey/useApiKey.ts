import { useSyncExternalStore } from 'react';

import { apiKeyStore, type ApiKeyState } from '../../api/apiKey';

/** The API key in use and why the last one was refused (api/apiKey.ts), re-rendering when either changes. */
export function useApiKey(): ApiKeyState {
  return useSyncExternalStore(apiKeyStore.subscribe, apiKeyStore.get);
}
