/**
 * The API key this browser uses when the gateway runs with GATEWAY_AUTH=keys
 * (docs/api-keys.md): asked for once, kept in localStorage, sent with every API
 * request but health. When the gateway refuses it (wrong or revoked), it is
 * forgotten and the reason kept, so the app can ask again and say why.
 */

const STORAGE_KEY = 'colorizer.apiKey';

/** The API's codes that mean "this key will not do" (the app asks for another). */
export const KEY_REFUSALS = new Set(['api_key_missing', 'api_key_invalid', 'api_key_revoked']);

export interface ApiKeyState {
  key: string | null;
  /** Why the last key was refused (an API error code), if it was. */
  refusedCode: string | null;
}

let state: ApiKeyState = { key: readStored(), refusedCode: null };
const listeners = new Set<() => void>();

function readStored(): string | null {
  try {
    return globalThis.localStorage?.getItem(STORAGE_KEY) || null;
  } catch {
    return null; // storage blocked: the key lasts as long as the page
  }
}

function update(next: ApiKeyState) {
  state = next;
  try {
    if (next.key) localStorage.setItem(STORAGE_KEY, next.key);
    else localStorage.removeItem(STORAGE_KEY);
  } catch {
    // storage blocked: kept in memory only
  }
  listeners.forEach((listener) => listener());
}

export const apiKeyStore = {
  get: (): ApiKeyState => state,
  subscribe(listener: () => void): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
  /** A key typed by the user (spaces around it, as copied, are dropped). */
  use(key: string) {
    update({ key: key.trim() || null, refusedCode: null });
  },
  /**
   * The gateway refused the key in use with `code`: forget it, remember why. (Without
   * a key in use, a refusal says nothing new: the reason already kept stays.)
   */
  refused(code: string) {
    if (state.key) update({ key: null, refusedCode: code });
  },
};

/** The header that carries the key, when there is one. */
export function authHeaders(): Record<string, string> {
  return state.key ? { Authorization: `Bearer ${state.key}` } : {};
}
