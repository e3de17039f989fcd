import { useCallback, useEffect, useRef, useState } from 'react';

import { ApiError } from '../../api/colorizer';
import type { VideoApi, VideoJob } from '../../api/videos';
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
}

/** How often a queued or running job is asked for its progress. */
export const POLL_INTERVAL_MS = 1000;

let nextKey = 0;

/** The page's films: uploads, then jobs followed until they end; the job ids survive a reload. */
export function useVideoJobs(api: VideoApi, renderSize: number | undefined) {
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
    })),
  );
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

  const addVideos = useCallback(
    (files: File[]) => {
      for (const file of files) {
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
        };
        setItems((current) => [item, ...current]);
        api
          .uploadVideo(file, { renderSize, onUploadProgress: (fraction) => update(key, { uploadFraction: fraction }) })
          .then((job) => update(key, { phase: 'job', uploadFraction: 1, job }))
          .catch((err: unknown) =>
            update(key, { phase: 'failed', errorCode: err instanceof ApiError ? err.code : 'network_error' }),
          );
      }
    },
    [api, renderSize, update],
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
      savedIds.current.delete(key);
      setItems((current) => current.filter((candidate) => candidate.key !== key));
    },
    [api],
  );

  return { videos: items, addVideos, cancel, remove };
}
