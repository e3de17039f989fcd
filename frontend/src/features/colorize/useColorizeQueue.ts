import { useCallback, useEffect, useReducer, useRef, useState } from 'react';

import { ApiError, type ColorizeResult, type ColorizerApi } from '../../api/colorizer';
import { releaseResult } from '../../api/localCopies';
import type { Limits } from '../../shared/limits';
import { learnFrom } from './processingEstimate';
import { keptResult, restoredResult, restoredSteered, type KeptPhoto, type PhotoKeeper } from './keptPhotos';
import { AUTOMATIC, type Steered } from '../../shared/steering/useSteering';
import type { Steering } from '../../shared/steering/useSteeringHistory';
import { checkFile } from './validateFile';

export type ItemStatus = 'queued' | 'uploading' | 'colorizing' | 'done' | 'failed' | 'cancelled' | 'rejected';

export interface QueueItem {
  key: string;
  /** Order of adding: the queue's order, kept across reloads. */
  order: number;
  file: File;
  /** Object URL of the original, for the preview and the comparison. */
  previewUrl: string | null;
  status: ItemStatus;
  /** Upload progress, 0..1. */
  progress: number;
  /** When the server started colorizing (ms since the epoch), for the estimate of its progress. */
  colorizingSince: number | null;
  /** The render size asked for when the upload started (undefined: the model's default). */
  renderSize: number | undefined;
  result: ColorizeResult | null;
  /** An API error code (failed) or null. */
  errorCode: string | null;
  /** Why a file was refused before upload (rejected). */
  rejection: string | null;
  /** The pins and vibrance set on the result, and the image they gave. */
  steering: Steering;
  steered: Steered | null;
  /** The upload was already in colour; what the person chose to do with it (null: not asked yet). */
  colourInput: boolean;
  colourChoice: 'keep' | 'colorize' | null;
  /** Bytes of the result images kept for it in the browser. */
  imageBytes: number;
}

/** Finished one way or another: nothing is running for it. */
export const isFinished = (item: QueueItem) =>
  item.status === 'done' || item.status === 'failed' || item.status === 'cancelled' || item.status === 'rejected';
const isActive = (item: QueueItem) => item.status === 'uploading' || item.status === 'colorizing';

type Action =
  | { type: 'add'; items: QueueItem[] }
  | { type: 'start'; key: string; renderSize: number | undefined }
  | { type: 'progress'; key: string; progress: number }
  | { type: 'uploaded'; key: string }
  | { type: 'succeeded'; key: string; result: ColorizeResult; imageBytes: number }
  | { type: 'failed'; key: string; code: string }
  | { type: 'cancelled'; key: string }
  | { type: 'retry'; key: string }
  | { type: 'steer'; key: string; steering: Steering; steered: Steered | null }
  | { type: 'touch'; key: string; imageBytes: number }
  | { type: 'choose'; key: string; choice: 'keep' | 'colorize' }
  | { type: 'remove'; keys: Set<string> };

function update(items: QueueItem[], key: string, change: Partial<QueueItem>): QueueItem[] {
  return items.map((item) => (item.key === key ? { ...item, ...change } : item));
}

function reducer(items: QueueItem[], action: Action): QueueItem[] {
  switch (action.type) {
    case 'add':
      return [...items, ...action.items].toSorted((first, second) => first.order - second.order);
    case 'start':
      return update(items, action.key, {
        status: 'uploading',
        progress: 0,
        errorCode: null,
        renderSize: action.renderSize,
      });
    case 'progress':
      return update(items, action.key, { progress: action.progress });
    case 'uploaded':
      return update(items, action.key, { status: 'colorizing', progress: 1, colorizingSince: Date.now() });
    case 'succeeded':
      return update(items, action.key, {
        status: 'done',
        result: action.result,
        imageBytes: action.imageBytes,
        colourInput: action.result.inputInColour === true,
        colourChoice: null,
      });
    case 'failed':
      return update(items, action.key, { status: 'failed', errorCode: action.code });
    case 'cancelled':
      return update(items, action.key, { status: 'cancelled', errorCode: null });
    case 'retry':
      return update(items, action.key, {
        status: 'queued',
        progress: 0,
        errorCode: null,
        result: null,
        steering: AUTOMATIC,
        steered: null,
        imageBytes: 0,
      });
    case 'steer':
      return update(items, action.key, { steering: action.steering, steered: action.steered });
    case 'touch':
      return update(items, action.key, { imageBytes: action.imageBytes });
    case 'choose':
      return update(items, action.key, { colourChoice: action.choice });
    case 'remove':
      return items.filter((item) => !action.keys.has(item.key));
  }
}

let keyCounter = 0;
const nextKey = () => `item-${Date.now().toString(36)}-${(keyCounter += 1)}`;

function newItem(file: File, limits: Limits, order: number): QueueItem {
  const rejection = checkFile(file, limits);
  return {
    key: nextKey(),
    order,
    file,
    previewUrl: rejection ? null : URL.createObjectURL(file),
    status: rejection ? 'rejected' : 'queued',
    progress: 0,
    colorizingSince: null,
    renderSize: undefined,
    result: null,
    errorCode: null,
    rejection,
    steering: AUTOMATIC,
    steered: null,
    colourInput: false,
    colourChoice: null,
    imageBytes: 0,
  };
}

/** A kept photo back on the page; unfinished work goes back in the queue. */
function restoredItem(key: string, kept: KeptPhoto): QueueItem {
  const done = kept.status === 'done' && kept.result !== null;
  return {
    key,
    order: kept.order,
    file: kept.file,
    previewUrl: kept.status === 'rejected' ? null : URL.createObjectURL(kept.file),
    status: done ? 'done' : kept.status === 'done' ? 'queued' : kept.status,
    progress: 0,
    colorizingSince: null,
    renderSize: kept.renderSize,
    result: done && kept.result ? restoredResult(kept.result) : null,
    errorCode: kept.errorCode,
    rejection: kept.rejection,
    steering: kept.steering,
    steered: done ? restoredSteered(kept.steered) : null,
    colourInput: kept.colourInput,
    colourChoice: kept.colourChoice,
    imageBytes: (kept.result?.image.size ?? 0) + (kept.steered?.image.size ?? 0),
  };
}

interface Images {
  result?: Blob;
  steered?: Blob;
}

/**
 * The queue of images: checks each file, then colorizes one at a time (the
 * service works on one image per core anyway, and a queue keeps it from
 * answering "busy"). Every photo, its result, pins and choices are kept in the
 * browser (`keeper`, IndexedDB) until removed, and come back after a reload.
 *
 * `limits`: what the server accepts (limits.ts), read when files are added.
 */
export function useColorizeQueue(
  api: ColorizerApi,
  renderSize: number | undefined,
  limits: Limits,
  keeper: PhotoKeeper,
) {
  const [items, dispatch] = useReducer(reducer, []);
  const [restored, setRestored] = useState(false);
  const activeKey = useRef<string | null>(null);
  const controllers = useRef(new Map<string, AbortController>());
  // The images behind each item's result and steered result (to keep them, and for ZIPs).
  const images = useRef(new Map<string, Images>());
  const itemsRef = useRef(items);
  useEffect(() => {
    itemsRef.current = items;
  }, [items]);
  // Read when an upload starts, so changing the setting never restarts the queue.
  const renderSizeRef = useRef(renderSize);
  useEffect(() => {
    renderSizeRef.current = renderSize;
  }, [renderSize]);
  const limitsRef = useRef(limits);
  useEffect(() => {
    limitsRef.current = limits;
  }, [limits]);

  // Bring back what was kept (once).
  useEffect(() => {
    let live = true;
    keeper.all().then((kept) => {
      if (!live) return;
      const back = kept.map(([key, photo]) => {
        images.current.set(key, { result: photo.result?.image, steered: photo.steered?.image });
        return restoredItem(key, photo);
      });
      if (back.length) dispatch({ type: 'add', items: back });
      setRestored(true);
    });
    return () => {
      live = false;
    };
  }, [keeper]);

  // Keep each item as it settles (not at every upload percent).
  const saved = useRef(new Map<string, QueueItem>());
  useEffect(() => {
    if (!restored) return;
    const present = new Set(items.map((item) => item.key));
    for (const key of saved.current.keys()) {
      if (!present.has(key)) {
        saved.current.delete(key);
        keeper.remove(key);
      }
    }
    for (const item of items) {
      const previous = saved.current.get(item.key);
      if (previous === item || (previous && isActive(item))) continue;
      saved.current.set(item.key, item);
      keeper.put(item.key, toKept(item, images.current.get(item.key)));
    }
  }, [items, restored, keeper]);

  const addFiles = useCallback((files: Iterable<File>) => {
    const start = Date.now();
    const added = Array.from(files, (file, index) => newItem(file, limitsRef.current, start + index));
    if (added.length) dispatch({ type: 'add', items: added });
    return added;
  }, []);

  // Clear the "one at a time" slot before the state change that wakes the effect.
  const finish = useCallback((key: string) => {
    controllers.current.delete(key);
    if (activeKey.current === key) activeKey.current = null;
  }, []);

  useEffect(() => {
    if (activeKey.current || items.some(isActive)) return;
    const next = items.find((item) => item.status === 'queued');
    if (!next) return;
    const { key } = next;
    activeKey.current = key;
    const controller = new AbortController();
    controllers.current.set(key, controller);
    const requestedSize = next.renderSize ?? renderSizeRef.current;
    dispatch({ type: 'start', key, renderSize: requestedSize });
    api
      .colorizeImage(next.file, {
        renderSize: requestedSize,
        signal: controller.signal,
        onUploadProgress: (progress) => dispatch({ type: 'progress', key, progress }),
        onUploaded: () => dispatch({ type: 'uploaded', key }),
      })
      .then(async (result) => {
        // Keep the image itself: the server deletes it after a while, the browser keeps it.
        const since = itemsRef.current.find((item) => item.key === key)?.colorizingSince;
        if (since) learnFrom(next.file.size, Date.now() - since);
        const image = await api.fetchImageBlob(result.url).catch(() => null);
        finish(key);
        if (controller.signal.aborted) return;
        if (!image) return dispatch({ type: 'succeeded', key, result, imageBytes: 0 });
        images.current.set(key, { result: image });
        releaseResult(result);
        dispatch({ type: 'succeeded', key, result: restoredResult(keptResult(result, image)), imageBytes: image.size });
      })
      .catch((err: unknown) => {
        finish(key);
        if (controller.signal.aborted) return; // cancelled or removed by the user: already shown
        dispatch({ type: 'failed', key, code: err instanceof ApiError ? err.code : 'unknown_error' });
      });
  }, [items, api, finish]);

  /** Let go of an item's object URLs and images. */
  const release = useCallback((item: QueueItem) => {
    if (item.previewUrl) URL.revokeObjectURL(item.previewUrl);
    releaseResult(item.result);
    releaseResult(item.steered?.result);
    images.current.delete(item.key);
  }, []);

  const removeMany = useCallback(
    (keys: Iterable<string>) => {
      const gone = new Set(keys);
      for (const item of itemsRef.current) {
        if (!gone.has(item.key)) continue;
        controllers.current.get(item.key)?.abort();
        finish(item.key);
        release(item);
      }
      dispatch({ type: 'remove', keys: gone });
    },
    [finish, release],
  );
  const remove = useCallback((key: string) => removeMany([key]), [removeMany]);

  const cancel = useCallback(
    (key: string) => {
      controllers.current.get(key)?.abort();
      finish(key);
      dispatch({ type: 'cancelled', key });
    },
    [finish],
  );

  const retry = useCallback((key: string) => {
    const item = itemsRef.current.find((candidate) => candidate.key === key);
    if (item) {
      releaseResult(item.result);
      releaseResult(item.steered?.result);
    }
    images.current.delete(key);
    dispatch({ type: 'retry', key });
  }, []);

  const clearFinished = useCallback(() => {
    removeMany(itemsRef.current.filter(isFinished).map((item) => item.key));
  }, [removeMany]);

  const removeAll = useCallback(() => {
    removeMany(itemsRef.current.map((item) => item.key));
    keeper.removeAll();
  }, [removeMany, keeper]);

  /** The pins and vibrance of a result changed, or a steered image arrived for them. */
  const steer = useCallback(
    (key: string, steering: Steering, steered: Steered | null) => {
      const item = itemsRef.current.find((candidate) => candidate.key === key);
      if (!item || (item.steering === steering && item.steered === steered)) return;
      const known = images.current.get(key) ?? {};
      if (!steered) images.current.set(key, { ...known, steered: undefined });
      else if (steered !== item.steered) {
        // Keep the steered image too, so a reload shows it without asking the server again.
        api.fetchImageBlob(steered.result.url).then(
          (image) => {
            images.current.set(key, { ...images.current.get(key), steered: image });
            dispatch({ type: 'touch', key, imageBytes: bytesOf(images.current.get(key)) });
          },
          () => undefined,
        );
      }
      dispatch({ type: 'steer', key, steering, steered });
    },
    [api],
  );

  const chooseColour = useCallback((key: string, choice: 'keep' | 'colorize') => {
    dispatch({ type: 'choose', key, choice });
  }, []);

  /** The image a download of this item gives (the original itself when its colours were kept). */
  const imageOf = useCallback(
    async (item: QueueItem): Promise<Blob | null> => {
      if (item.status !== 'done' || !item.result) return null;
      if (item.colourInput && item.colourChoice === 'keep') return item.file;
      const known = images.current.get(item.key);
      const local = item.steered ? known?.steered : known?.result;
      if (local) return local;
      return api.fetchImageBlob((item.steered?.result ?? item.result).url).catch(() => null);
    },
    [api],
  );

  useEffect(() => {
    const running = controllers.current;
    return () => {
      for (const controller of running.values()) controller.abort();
      for (const item of itemsRef.current) release(item);
    };
  }, [release]);

  return {
    items,
    restored,
    addFiles,
    remove,
    removeMany,
    removeAll,
    cancel,
    retry,
    clearFinished,
    steer,
    chooseColour,
    imageOf,
    /** How much this browser keeps for the page: originals and result images. */
    keptBytes: items.reduce((total, item) => total + item.file.size + item.imageBytes, 0),
  };
}

const bytesOf = (images: Images | undefined) => (images?.result?.size ?? 0) + (images?.steered?.size ?? 0);

function toKept(item: QueueItem, images: Images | undefined): KeptPhoto {
  // Unfinished work is colorized again after a reload.
  const status = item.status === 'uploading' || item.status === 'colorizing' ? 'queued' : item.status;
  const result = item.result && images?.result ? keptResult(item.result, images.result) : null;
  const steered =
    item.steered && images?.steered
      ? { ...keptResult(item.steered.result, images.steered), settingsKey: item.steered.settingsKey }
      : null;
  return {
    order: item.order,
    file: item.file,
    status,
    renderSize: item.renderSize,
    errorCode: item.errorCode,
    rejection: item.rejection,
    result,
    steering: item.steering,
    steered,
    colourInput: item.colourInput,
    colourChoice: item.colourChoice,
  };
}
