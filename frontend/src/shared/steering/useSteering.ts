import { useCallback, useEffect, useRef, useState } from 'react';

import { ApiError, type ColorizeResult, type ColorizerApi } from '../../api/colorizer';
import { releaseResult } from '../../api/localCopies';
import { useLimits } from '../limits';
import { clamp01, DEFAULT_PIN_REACH, toHints, type Pin } from './pins';
import { useSteeringHistory, type Steering } from './useSteeringHistory';

/** Quiet time after the last change before the image is colorized again. */
export const RECOLORIZE_DELAY_MS = 500;
/** No pins, and the vibrance the service uses by default: the automatic result. */
export const AUTOMATIC: Steering = { pins: [], vibrance: null };

/** A steered result and the settings it was made with (settingsKey of those settings). */
export interface Steered {
  settingsKey: string;
  result: ColorizeResult;
}

interface SteeringOptions {
  api: ColorizerApi;
  file: File;
  renderSize: number | undefined;
  /** The automatic result (no pins, vibrance 1). */
  baseResult: ColorizeResult;
  maxPins: number;
  /** Where the pins and vibrance start (kept from an earlier visit or a reload). */
  initial: Steering;
  /** The steered result kept for `initial`, if any: shown at once instead of asking again. */
  initialSteered: Steered | null;
  /** Told of every change of the settings and of each steered result that arrives (to keep them). */
  onChange: (steering: Steering, steered: Steered | null) => void;
}

/** The request's identity: only what the request depends on (not a pin's selection or its colour there). */
export function settingsKeyOf(steering: Steering): string {
  return JSON.stringify({ hints: toHints(steering.pins), vibrance: steering.vibrance });
}

/** The end of the latest request: for which settings, and its error code if it failed. */
interface Settled {
  key: string;
  errorCode: string | null;
}

/**
 * The user's colour pins and vibrance for one image, their undo history, and the result they give.
 *
 * Every change re-colorizes the original file with the pins as hints, once the
 * changes pause for RECOLORIZE_DELAY_MS; a request still running when the next
 * one starts is cancelled (AbortController), so only the latest settings' image
 * is ever shown. Until it arrives the last one stays. No pins and vibrance 1 is
 * the automatic result, already at hand.
 */
export function useSteering({
  api,
  file,
  renderSize,
  baseResult,
  maxPins,
  initial,
  initialSteered,
  onChange,
}: SteeringOptions) {
  const history = useSteeringHistory(initial);
  const { pins, vibrance } = history.current;
  const settingsKey = settingsKeyOf(history.current);
  const automatic = settingsKey === settingsKeyOf(AUTOMATIC);
  const [steered, setSteered] = useState<Steered | null>(initialSteered);
  const [settled, setSettled] = useState<Settled | null>(
    initialSteered ? { key: initialSteered.settingsKey, errorCode: null } : null,
  );
  const nextId = useRef(Math.max(0, ...initial.pins.map((pin) => pin.id)) + 1);
  // The steered result on screen, released when replaced or when the image goes.
  const shown = useRef<ColorizeResult | null>(null);
  useEffect(
    () => () => {
      releaseResult(shown.current);
      shown.current = null;
    },
    [],
  );

  const onChangeRef = useRef(onChange);
  useEffect(() => {
    onChangeRef.current = onChange;
  }, [onChange]);
  const current = history.current;
  // The steered image matches the settings only while its key does.
  const matching = steered?.settingsKey === settingsKey ? steered : null;
  useEffect(() => {
    onChangeRef.current(current, matching);
  }, [current, matching]);

  // Already showing the image for these settings (kept from before): nothing to ask.
  const haveIt = steered?.settingsKey === settingsKey;
  useEffect(() => {
    if (automatic || haveIt) return;
    const { hints: requested, vibrance: wanted } = JSON.parse(settingsKey) as {
      hints: ReturnType<typeof toHints>;
      vibrance: number | null;
    };
    const controller = new AbortController();
    const timer = setTimeout(() => {
      // null: the service's default, so not sent.
      const options = { renderSize, hints: requested, vibrance: wanted ?? undefined, signal: controller.signal };
      api.colorizeImage(file, options).then(
        (result) => {
          if (controller.signal.aborted) {
            releaseResult(result); // an answer to settings that have changed since
            return;
          }
          releaseResult(shown.current); // replaced: its local copy, if any, is no longer shown
          shown.current = result;
          setSteered({ settingsKey, result });
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
  }, [api, file, renderSize, settingsKey, automatic, haveIt]);

  const { change } = history;
  const addPin = useCallback(
    (x: number, y: number, color: string, colorThere: string | null): number | null => {
      if (pins.length >= maxPins) return null;
      const id = nextId.current;
      nextId.current += 1;
      change((state) => ({
        ...state,
        pins: [...state.pins, { id, x: clamp01(x), y: clamp01(y), color, colorThere, reach: DEFAULT_PIN_REACH }],
      }));
      return id;
    },
    [pins.length, maxPins, change],
  );

  const updatePin = useCallback(
    (id: number, update: Partial<Omit<Pin, 'id'>>) => {
      change((state) => ({
        ...state,
        pins: state.pins.map((pin) =>
          pin.id === id ? { ...pin, ...update, x: clamp01(update.x ?? pin.x), y: clamp01(update.y ?? pin.y) } : pin,
        ),
      }));
    },
    [change],
  );

  const removePin = useCallback(
    (id: number) => change((state) => ({ ...state, pins: state.pins.filter((pin) => pin.id !== id) })),
    [change],
  );
  const clearPins = useCallback(() => change((state) => ({ ...state, pins: [] })), [change]);
  // Back at the service's default is no vibrance chosen: the automatic image, no request.
  const { vibranceDefault } = useLimits();
  const setVibrance = useCallback(
    (value: number | null) => change((state) => ({ ...state, vibrance: value === vibranceDefault ? null : value })),
    [change, vibranceDefault],
  );

  const currentSettled = settled?.key === settingsKey ? settled : null;
  return {
    pins,
    addPin,
    updatePin,
    removePin,
    clearPins,
    vibrance,
    setVibrance,
    undo: history.undo,
    redo: history.redo,
    canUndo: history.canUndo,
    canRedo: history.canRedo,
    /** The automatic result, for "Show automatic". */
    automaticResult: baseResult,
    /** The image to show and download: the latest steered one once it has arrived. */
    result: automatic ? baseResult : (steered?.result ?? baseResult),
    /** A request for the current settings is waiting or running. */
    working: !automatic && currentSettled === null,
    /** Why the request for the current settings failed (the last image stays). */
    errorCode: automatic ? null : (currentSettled?.errorCode ?? null),
  };
}
