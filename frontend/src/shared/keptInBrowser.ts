import { clear, createStore, del, entries, set, type UseStore } from 'idb-keyval';

/**
 * What the app keeps in this browser (IndexedDB) until the user removes it: photos,
 * results, pins and settings, the films' originals. One small key-value interface, so
 * a test can hand in `memoryKept()` and a browser without IndexedDB (some private
 * modes) simply keeps nothing.
 */
export interface Kept<T> {
  all(): Promise<[string, T][]>;
  put(key: string, value: T): Promise<void>;
  remove(key: string): Promise<void>;
  removeAll(): Promise<void>;
}

/** A named store in IndexedDB (its own database, so features never share keys). */
export function keptInBrowser<T>(name: string): Kept<T> {
  let store: UseStore | null = null;
  const open = () => {
    if (typeof indexedDB === 'undefined') return null;
    store ??= createStore(`colorizer-${name}`, name);
    return store;
  };
  // Storage refused (private mode, quota): the app goes on, only without keeping.
  const quietly = async <R>(run: (db: UseStore) => Promise<R>, fallback: R): Promise<R> => {
    const db = open();
    if (!db) return fallback;
    try {
      return await run(db);
    } catch {
      return fallback;
    }
  };
  return {
    all: () => quietly((db) => entries<string, T>(db), []),
    put: (key, value) => quietly((db) => set(key, value, db), undefined),
    remove: (key) => quietly((db) => del(key, db), undefined),
    removeAll: () => quietly((db) => clear(db), undefined),
  };
}

/** Kept in memory only: for tests. */
export function memoryKept<T>(initial: [string, T][] = []): Kept<T> & { map: Map<string, T> } {
  const map = new Map(initial);
  return {
    map,
    all: async () => [...map.entries()],
    put: async (key, value) => {
      map.set(key, value);
    },
    remove: async (key) => {
      map.delete(key);
    },
    removeAll: async () => {
      map.clear();
    },
  };
}
