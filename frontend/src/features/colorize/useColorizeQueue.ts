import { useCallback, useEffect, useReducer, useRef } from 'react';

import { ApiError, type ColorizeResult, type ColorizerApi } from '../../api/colorizer';
import { releaseResult } from '../../api/localCopies';
import type { Limits } from '../../shared/limits';
import { checkFile } from './validateFile';

export type ItemStatus = 'queued' | 'uploading' | 'colorizing' | 'done' | 'failed' | 'rejected';

export interface QueueItem {
  key: string;
  file: File;
  /** Object URL of the original, for the preview and the comparison. */
  previewUrl: string | null;
  status: ItemStatus;
  /** Upload progress, 0..1. */
  progress: number;
  /** The render size asked for when the upload started (undefined: the model's default). */
  renderSize: number | undefined;
  result: ColorizeResult | null;
  /** An API error code (failed) or null. */
  errorCode: string | null;
  /** Why a file was refused before upload (rejected). */
  rejection: string | null;
}

type Action =
  | { type: 'add'; items: QueueItem[] }
  | { type: 'start'; key: string; renderSize: number | undefined }
  | { type: 'progress'; key: string; progress: number }
  | { type: 'uploaded'; key: string }
  | { type: 'succeeded'; key: string; result: ColorizeResult }
  | { type: 'failed'; key: string; code: string }
  | { type: 'retry'; key: string }
  | { type: 'remove'; key: string }
  | { type: 'clearFinished' };

function update(items: QueueItem[], key: string, change: Partial<QueueItem>): QueueItem[] {
  return items.map((item) => (item.key === key ? { ...item, ...change } : item));
}

function reducer(items: QueueItem[], action: Action): QueueItem[] {
  switch (action.type) {
    case 'add':
      return [...items, ...action.items];
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
      return update(items, action.key, { status: 'colorizing', progress: 1 });
    case 'succeeded':
      return update(items, action.key, { status: 'done', result: action.result });
    case 'failed':
      return update(items, action.key, { status: 'failed', errorCode: action.code });
    case 'retry':
      return update(items, action.key, { status: 'queued', progress: 0, errorCode: null, result: null });
    case 'remove':
      return items.filter((item) => item.key !== action.key);
    case 'clearFinished':
      return items.filter((item) => item.status !== 'done' && item.status !== 'rejected' && item.status !== 'failed');
  }
}

let keyCounter = 0;

function newItem(file: File, limits: Limits): QueueItem {
  keyCounter += 1;
  const rejection = checkFile(file, limits);
  return {
    key: `item-${keyCounter}`,
    file,
    previewUrl: rejection ? null : URL.createObjectURL(file),
    status: rejection ? 'rejected' : 'queued',
    progress: 0,
    renderSize: undefined,
    result: null,
    errorCode: null,
    rejection,
  };
}

const isActive = (item: QueueItem) => item.status === 'uploading' || item.status === 'colorizing';

/**
 * The queue of images: checks each file, then colorizes one at a time (the
 * service works on one image per core anyway, and a queue keeps it from
 * answering "busy").
 */
/** `limits`: what the server accepts (limits.ts), read when files are added. */
export function useColorizeQueue(api: ColorizerApi, renderSize: number | undefined, limits: Limits) {
  const [items, dispatch] = useReducer(reducer, []);
  const activeKey = useRef<string | null>(null);
  const controllers = useRef(new Map<string, AbortController>());
  const previews = useRef(new Map<string, string>());
  // Each done item's result, to release its local copy when the item goes (api/localCopies.ts).
  const results = useRef(new Map<string, ColorizeResult>());
  const dropResult = useCallback((key: string) => {
    releaseResult(results.current.get(key));
    results.current.delete(key);
  }, []);
  // Read when an upload starts, so changing the setting never restarts the queue.
  const renderSizeRef = useRef(renderSize);
  useEffect(() => {
    renderSizeRef.current = renderSize;
  }, [renderSize]);
  const limitsRef = useRef(limits);
  useEffect(() => {
    limitsRef.current = limits;
  }, [limits]);

  const addFiles = useCallback((files: Iterable<File>) => {
    const added = Array.from(files, (file) => newItem(file, limitsRef.current));
    for (const item of added) if (item.previewUrl) previews.current.set(item.key, item.previewUrl);
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
    const requestedSize = renderSizeRef.current;
    dispatch({ type: 'start', key, renderSize: requestedSize });
    api
      .colorizeImage(next.file, {
        renderSize: requestedSize,
        signal: controller.signal,
        onUploadProgress: (progress) => dispatch({ type: 'progress', key, progress }),
        onUploaded: () => dispatch({ type: 'uploaded', key }),
      })
      .then(
        (result) => {
          finish(key);
          results.current.set(key, result);
          dispatch({ type: 'succeeded', key, result });
        },
        (err: unknown) => {
          finish(key);
          if (controller.signal.aborted) return; // removed by the user: nothing to show
          dispatch({ type: 'failed', key, code: err instanceof ApiError ? err.code : 'unknown_error' });
        },
      );
  }, [items, api, finish]);

  const remove = useCallback(
    (key: string) => {
      controllers.current.get(key)?.abort();
      finish(key);
      const preview = previews.current.get(key);
      if (preview) URL.revokeObjectURL(preview);
      previews.current.delete(key);
      dropResult(key);
      dispatch({ type: 'remove', key });
    },
    [finish, dropResult],
  );

  const retry = useCallback(
    (key: string) => {
      dropResult(key);
      dispatch({ type: 'retry', key });
    },
    [dropResult],
  );

  const clearFinished = useCallback(() => {
    for (const item of items) {
      if (item.status === 'done' || item.status === 'rejected' || item.status === 'failed') {
        const preview = previews.current.get(item.key);
        if (preview) URL.revokeObjectURL(preview);
        previews.current.delete(item.key);
        dropResult(item.key);
      }
    }
    dispatch({ type: 'clearFinished' });
  }, [items, dropResult]);

  useEffect(() => {
    const open = previews.current;
    const running = controllers.current;
    const kept = results.current;
    return () => {
      for (const controller of running.values()) controller.abort();
      for (const url of open.values()) URL.revokeObjectURL(url);
      for (const result of kept.values()) releaseResult(result);
    };
  }, []);

  return { items, addFiles, remove, retry, clearFinished };
}
