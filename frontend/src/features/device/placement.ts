/**
 * Where photos are colorized: "device" (in this browser) or "server". The user's
 * choice is remembered in localStorage; without one, the device where it can run.
 */
export type Place = 'device' | 'server';

export const PLACE_STORAGE_KEY = 'colorizer.place';

type Listener = () => void;
const listeners = new Set<Listener>();

function read(): Place | null {
  try {
    const stored = window.localStorage.getItem(PLACE_STORAGE_KEY);
    return stored === 'device' || stored === 'server' ? stored : null;
  } catch {
    return null; // storage blocked: nothing remembered
  }
}

let chosen: Place | null = read();

export const placeStore = {
  /** The user's own choice, or null when they never chose. */
  getChoice: (): Place | null => chosen,
  choose(place: Place): void {
    chosen = place;
    try {
      window.localStorage.setItem(PLACE_STORAGE_KEY, place);
    } catch {
      // Not remembered, still used for this visit.
    }
    for (const listener of listeners) listener();
  },
  subscribe(listener: Listener): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

/** The place in force: the choice if the device can honour it, else the device where usable, else the server. */
export function placeInForce(choice: Place | null, deviceUsable: boolean): Place {
  if (!deviceUsable) return 'server';
  return choice ?? 'device';
}
