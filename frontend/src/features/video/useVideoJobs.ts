import { useCallback, useEffect, useRef, useState } from 'react';

import { ApiError } from '../../api/colorizer';
import type { VideoApi, VideoJob } from '../../api/videos';
import { keptInBrowser, type Kept } from '../../shared/keptInBrowser';
import { loadSavedJobs, saveJobs } from './savedJobs';

export interface VideoItem {
  key: string;
  filename: string;
  size: number;
  /** The film as chosen, playable in this tab (null after a reload: only the result remains). */
  sourceUrl: string | null;
  phase: 'uploading' | 'job' | 'failed';
  /** 0..1 while uploading. */
  uploadFraction: number;
  job: VideoJob | null;
  /** Why it failed before it became a job, or why the job could not be followed. */
  errorCode: string | null;
  /** The film itself is at hand (this tab, or kept in the browser): it can be sent again. */
  canRetry: boolean;
}

/** The films as chosen, kept in this browser by job id, so "Before" plays after a reload and Retry can resend. */
export const keptFilms: Kept<File> = keptInBrowser<File>('films');

/** How often a queued or running job is asked for its progress. */
export const POLL_INTERVAL_MS = 1000;

let nextKey = 0;

/** The page's films: uploads, then jobs followed until they end; the job ids survive a reload. */
export function useVideoJobs(api: VideoApi, renderSize: number | undefined, films: Kept<File> = keptFilms) {
  const [items, setItems] = useState<VideoItem[]>(() =>
    loadSavedJobs().map((saved) => ({
      key: `saved-${saved.id}`,
      filename: saved.filename,
      size: saved.size,
      sourceUrl: null,
      phase: 'job',
      uploadFraction: 1,
      job: null,
      errorCode: null,
      canRetry: false,
    })),
  );
  // The films at hand, by item key (for Retry).
  const files = useRef(new Map<string, File>());
  // The latest items, for the poller and the handlers (which must not restart at every change).
  const itemsRef = useRef(items);
  useEffect(() => {
    itemsRef.current = items;
  }, [items]);
  const savedIds = useRef(new Map(loadSavedJobs().map((saved) => [`saved-${saved.id}`, saved.id])));

  const update = useCallback((key: string, change: Partial<VideoItem>) => {
    setItems((current) => current.map((item) => (item.key === key ? { ...item, ...change } : item)));
  }, []);

  // Keep the ids of the jobs on the page (finished ones too, until removed).
  useEffect(() => {
    saveJobs(
      items.flatMap((item) => {
        const id = item.job?.id ?? savedIds.current.get(item.key);
        return id ? [{ id, filename: item.filename, size: item.size }] : [];
      }),
    );
  }, [items]);

  /** Send `file` as the film of item `key` (new, or again after a failure or a cancel). */
  const send = useCallback(
    (key: string, file: File) => {
      files.current.set(key, file);
      api
        .uploadVideo(file, { renderSize, onUploadProgress: (fraction) => update(key, { uploadFraction: fraction }) })
        .then((job) => {
          savedIds.current.set(key, job.id);
          films.put(job.id, file);
          update(key, { phase: 'job', uploadFraction: 1, job });
        })
        .catch((err: unknown) =>
          update(key, { phase: 'failed', errorCode: err instanceof ApiError ? err.code : 'network_error' }),
        );
    },
    [api, renderSize, update, films],
  );

  const addVideos = useCallback(
    (chosen: File[]) => {
      for (const file of chosen) {
        const key = `video-${(nextKey += 1)}`;
        const item: VideoItem = {
          key,
          filename: file.name,
          size: file.size,
          sourceUrl: URL.createObjectURL(file),
          phase: 'uploading',
          uploadFraction: 0,
          job: null,
          errorCode: null,
          canRetry: true,
        };
        setItems((current) => [item, ...current]);
        send(key, file);
      }
    },
    [send],
  );

  // After a reload: the films kept in the browser play as "Before" again, and can be sent again.
  useEffect(() => {
    let live = true;
    films.all().then((kept) => {
      if (!live) return;
      const byId = new Map(kept);
      for (const [key, id] of savedIds.current) {
        const file = byId.get(id);
        if (!file) continue;
        files.current.set(key, file);
        update(key, { sourceUrl: URL.createObjectURL(file), canRetry: true });
      }
    });
    return () => {
      live = false;
    };
  }, [films, update]);

  const retry = useCallback(
    (key: string) => {
      const file = files.current.get(key);
      if (!file) return;
      const old = savedIds.current.get(key) ?? itemsRef.current.find((item) => item.key === key)?.job?.id;
      if (old) films.remove(old);
      savedIds.current.delete(key);
      update(key, { phase: 'uploading', uploadFraction: 0, job: null, errorCode: null });
      send(key, file);
    },
    [send, update, films],
  );

  // Follow every job that has not ended.
  useEffect(() => {
    const timer = window.setInterval(() => {
      for (const item of itemsRef.current) {
        if (item.phase !== 'job') continue;
        const id = item.job?.id ?? savedIds.current.get(item.key);
        const ended = item.job && ['done', 'failed', 'cancelled'].includes(item.job.state);
        if (!id || ended) continue;
        api
          .fetchVideoJob(id)
          .then((job) => update(item.key, { job }))
          .catch((err: unknown) => {
            if (err instanceof ApiError && err.code === 'not_found')
              update(item.key, { phase: 'failed', errorCode: 'not_found' });
          });
      }
    }, POLL_INTERVAL_MS);
    return () => window.clearInterval(timer);
  }, [api, update]);

  const cancel = useCallback(
    (key: string) => {
      const item = itemsRef.current.find((candidate) => candidate.key === key);
      const id = item?.job?.id ?? savedIds.current.get(key);
      if (!id) return;
      api
        .cancelVideoJob(id)
        .then((job) => job && update(key, { job }))
        .catch(() => undefined);
    },
    [api, update],
  );

  const remove = useCallback(
    (key: string) => {
      const item = itemsRef.current.find((candidate) => candidate.key === key);
      const id = item?.job?.id ?? savedIds.current.get(key);
      // A finished job is removed from the server too; a running one is cancelled first.
      if (id) {
        const active = !item?.job || ['queued', 'running'].includes(item.job.state);
        const gone = api.cancelVideoJob(id).then(() => (active ? api.cancelVideoJob(id) : null));
        gone.catch(() => undefined);
      }
      if (item?.sourceUrl) URL.revokeObjectURL(item.sourceUrl);
      if (id) films.remove(id);
      files.current.delete(key);
      savedIds.current.delete(key);
      setItems((current) => current.filter((candidate) => candidate.key !== key));
    },
    [api, films],
  );

  return { videos: items, addVideos, cancel, remove, retry };
}
