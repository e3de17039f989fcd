import { useCallback, useEffect, useRef, useState } from 'react';

import { ApiError, type ColorizeResult, type ColorizerApi } from '../../api/colorizer';
import { releaseResult } from '../../api/localCopies';
import { clamp01, toHints, type Pin } from './pins';

/** Quiet time after the last change before the image is colorized again. */
export const RECOLORIZE_DELAY_MS = 500;
export const DEFAULT_VIBRANCE = 1;

interface SteeringOptions {
  api: ColorizerApi;
  file: File;
  renderSize: number | undefined;
  /** The automatic result (no pins, vibrance 1). */
  baseResult: ColorizeResult;
  maxPins: number;
}

/** The end of the latest request: for which settings, and its error code if it failed. */
interface Settled {
  key: string;
  errorCode: string | null;
}

/**
 * The user's colour pins and vibrance for one image, and the result they give.
 *
 * Every change re-colorizes the original file with the pins as hints, once the
 * changes pause for RECOLORIZE_DELAY_MS; a request still running when the next
 * one starts is cancelled (AbortController), so only the latest settings' image
 * is ever shown. Until it arrives the last one stays. No pins and vibrance 1 is
 * the automatic result, already at hand.
 */
export function useSteering({ api, file, renderSize, baseResult, maxPins }: SteeringOptions) {
  const [pins, setPins] = useState<Pin[]>([]);
  const [vibrance, setVibranceState] = useState(DEFAULT_VIBRANCE);
  const [steered, setSteered] = useState<ColorizeResult | null>(null);
  const [settled, setSettled] = useState<Settled | null>(null);
  const nextId = useRef(1);
  // The steered result on screen, released when replaced or when the image goes.
  const shown = useRef<ColorizeResult | null>(null);
  useEffect(
    () => () => {
      releaseResult(shown.current);
      shown.current = null;
    },
    [],
  );

  // Only what the request depends on: selecting a pin or reading its colour must not re-colorize.
  const hints = toHints(pins);
  const automatic = hints.length === 0 && vibrance === DEFAULT_VIBRANCE;
  const settingsKey = JSON.stringify({ hints, vibrance });

  useEffect(() => {
    if (automatic) return;
    const { hints: requested } = JSON.parse(settingsKey) as { hints: ReturnType<typeof toHints> };
    const controller = new AbortController();
    const timer = setTimeout(() => {
      api.colorizeImage(file, { renderSize, hints: requested, vibrance, signal: controller.signal }).then(
        (result) => {
          if (controller.signal.aborted) {
            releaseResult(result); // an answer to settings that have changed since
            return;
          }
          releaseResult(shown.current); // replaced: its local copy, if any, is no longer shown
          shown.current = result;
          setSteered(result);
          setSettled({ key: settingsKey, errorCode: null });
        },
        (err: unknown) => {
          if (controller.signal.aborted) return;
          setSettled({ key: settingsKey, errorCode: err instanceof ApiError ? err.code : 'unknown_error' });
        },
      );
    }, RECOLORIZE_DELAY_MS);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [api, file, renderSize, settingsKey, vibrance, automatic]);

  // Back to automatic: forget the steered image, so a later change does not flash it back.
  const forgetIfAutomatic = useCallback((nextPins: number, nextVibrance: number) => {
    if (nextPins === 0 && nextVibrance === DEFAULT_VIBRANCE) {
      setSteered(null);
      setSettled(null);
    }
  }, []);

  const addPin = useCallback(
    (x: number, y: number, color: string, colorThere: string | null): number | null => {
      if (pins.length >= maxPins) return null;
      const id = nextId.current;
      nextId.current += 1;
      setPins((current) => [...current, { id, x: clamp01(x), y: clamp01(y), color, colorThere }]);
      return id;
    },
    [pins.length, maxPins],
  );

  const updatePin = useCallback((id: number, change: Partial<Omit<Pin, 'id'>>) => {
    setPins((current) =>
      current.map((pin) =>
        pin.id === id ? { ...pin, ...change, x: clamp01(change.x ?? pin.x), y: clamp01(change.y ?? pin.y) } : pin,
      ),
    );
  }, []);

  const removePin = useCallback(
    (id: number) => {
      const remaining = pins.filter((pin) => pin.id !== id);
      setPins(remaining);
      forgetIfAutomatic(remaining.length, vibrance);
    },
    [pins, vibrance, forgetIfAutomatic],
  );

  const clearPins = useCallback(() => {
    setPins([]);
    forgetIfAutomatic(0, vibrance);
  }, [vibrance, forgetIfAutomatic]);

  const setVibrance = useCallback(
    (value: number) => {
      setVibranceState(value);
      forgetIfAutomatic(pins.length, value);
    },
    [pins.length, forgetIfAutomatic],
  );

  const current = settled?.key === settingsKey ? settled : null;
  return {
    pins,
    addPin,
    updatePin,
    removePin,
    clearPins,
    vibrance,
    setVibrance,
    /** The image to show and download: the latest steered one once it has arrived. */
    result: automatic ? baseResult : (steered ?? baseResult),
    /** A request for the current settings is waiting or running. */
    working: !automatic && current === null,
    /** Why the request for the current settings failed (the last image stays). */
    errorCode: automatic ? null : (current?.errorCode ?? null),
  };
}
