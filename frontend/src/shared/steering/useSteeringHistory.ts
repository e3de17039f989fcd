import { useCallback, useRef, useState } from 'react';

import type { Pin } from './pins';

/** What a person sets on one result: the pins and the vibrance (null: the service's default, untouched). */
export interface Steering {
  pins: Pin[];
  vibrance: number | null;
}

/**
 * Changes closer together than this are one step of undo: a drag or a slide is many
 * small changes, and one Ctrl+Z should take back all of it.
 */
export const UNDO_MERGE_MS = 400;

interface History {
  past: Steering[];
  current: Steering;
  future: Steering[];
}

/** The steering with undo and redo (buttons, Ctrl+Z and Ctrl+Shift+Z: ResultView). */
export function useSteeringHistory(initial: Steering) {
  const [history, setHistory] = useState<History>({ past: [], current: initial, future: [] });
  const lastChange = useRef(0);

  const change = useCallback((update: (state: Steering) => Steering) => {
    const now = Date.now();
    const merge = now - lastChange.current < UNDO_MERGE_MS;
    lastChange.current = now;
    setHistory(({ past, current, future }) => {
      const next = update(current);
      if (next === current) return { past, current, future };
      return { past: merge && past.length ? past : [...past, current], current: next, future: merge ? future : [] };
    });
  }, []);

  const undo = useCallback(() => {
    lastChange.current = 0;
    setHistory(({ past, current, future }) =>
      past.length
        ? { past: past.slice(0, -1), current: past[past.length - 1], future: [current, ...future] }
        : { past, current, future },
    );
  }, []);

  const redo = useCallback(() => {
    lastChange.current = 0;
    setHistory(({ past, current, future }) =>
      future.length
        ? { past: [...past, current], current: future[0], future: future.slice(1) }
        : { past, current, future },
    );
  }, []);

  return {
    current: history.current,
    change,
    undo,
    redo,
    canUndo: history.past.length > 0,
    canRedo: history.future.length > 0,
  };
}
