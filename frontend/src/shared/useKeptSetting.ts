import { useCallback, useEffect, useState } from 'react';

import { keptInBrowser, type Kept } from './keptInBrowser';

/** The app's settings, kept in this browser (IndexedDB) with the photos. */
export const keptSettings: Kept<unknown> = keptInBrowser<unknown>('settings');

/** A setting that survives a reload: `initial` until the kept value has been read. */
export function useKeptSetting<T>(
  name: string,
  initial: T,
  kept: Kept<unknown> = keptSettings,
): [T, (value: T) => void] {
  const [value, setValue] = useState<T>(initial);
  useEffect(() => {
    let live = true;
    kept.all().then((entries) => {
      const found = entries.find(([key]) => key === name);
      if (live && found) setValue(found[1] as T);
    });
    return () => {
      live = false;
    };
  }, [name, kept]);
  const change = useCallback(
    (next: T) => {
      setValue(next);
      kept.put(name, next);
    },
    [name, kept],
  );
  return [value, change];
}
