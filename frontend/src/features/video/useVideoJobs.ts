import { useCallback, useEffect, useMemo, useRef, useState } from 'react';

import { ApiError } from '../../api/colorizer';
import type { VideoApi, VideoJob } from '../../api/videos';
import { keptInBrowser, type Kept } from '../../shared/keptInBrowser';
import {
  colorizeOptions,
  keptFilmSettings,
  NO_SETTINGS,
  settingsKeyOf,
  withKeyframe,
  withoutKeyframe,
  type FilmKeyframe,
  type FilmSettings,
} from './filmKeyframes';
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
  /** Its keyframes and vibrance, and what its job was made with. */
  settings: FilmSettings;
  /** A rerun with new settings is being asked for. */
  resending: boolean;
  /** Why the last rerun was refused (the job on the card is still the one before). */
  resendError: string | null;
}

/** The films as chosen, kept in this browser by job id, so "Before" plays after a reload and Retry can resend. */
export const keptFilms: Kept<File> = keptInBrowser<File>('films');

/** What a card does with its film's keyframes and vibrance (by the film's item key). */
export interface FilmSteer {
  setKeyframe: (key: string, keyframe: FilmKeyframe) => void;
  removeKeyframe: (key: string, time: number) => void;
  setVibrance: (key: string, vibrance: number | null) => void;
  colorizeAgain: (key: string) => void;
}

/** How often a queued or running job is asked for its progress. */
export const POLL_INTERVAL_MS = 1000;

let nextKey = 0;

/** The page's films: uploads, then jobs followed until they end; the job ids survive a reload. */
const ENDED = ['done', 'failed', 'cancelled'];

export function useVideoJobs(
  api: VideoApi,
  renderSize: number | undefined,
  films: Kept<File> = keptFilms,
  filmSettings: Kept<FilmSettings> = keptFilmSettings,
) {
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
      settings: NO_SETTINGS,
      resending: false,
      resendError: null,
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

  // Each job's settings as last kept in the browser (by identity: settings are replaced, never changed),
  // from the moment the kept ones have been read back (before, they would be overwritten by the defaults).
  const keptSettings = useRef(new Map<string, FilmSettings>());
  const [restored, setRestored] = useState(false);
  useEffect(() => {
    if (!restored) return;
    for (const item of items) {
      const id = item.job?.id ?? savedIds.current.get(item.key);
      if (!id || keptSettings.current.get(id) === item.settings) continue;
      keptSettings.current.set(id, item.settings);
      filmSettings.put(id, item.settings);
    }
  }, [items, filmSettings, restored]);

  /** The item's job is now `job`, made with the settings of key `sentKey`. */
  const follow = useCallback((key: string, job: VideoJob, sentKey: string) => {
    savedIds.current.set(key, job.id);
    setItems((current) =>
      current.map((item) =>
        item.key === key
          ? {
              ...item,
              phase: 'job',
              uploadFraction: 1,
              job,
              errorCode: null,
              resending: false,
              resendError: null,
              settings: { ...item.settings, appliedKey: sentKey },
            }
          : item,
      ),
    );
  }, []);

  /** Send `file` as the film of item `key` (new, or again after a failure or a cancel), with `settings`. */
  const send = useCallback(
    (key: string, file: File, settings: FilmSettings) => {
      files.current.set(key, file);
      const sentKey = settingsKeyOf(settings.keyframes, settings.vibrance);
      api
        .uploadVideo(file, {
          ...colorizeOptions(settings.keyframes, settings.vibrance),
          renderSize,
          onUploadProgress: (fraction) => update(key, { uploadFraction: fraction }),
        })
        .then((job) => {
          films.put(job.id, file);
          follow(key, job, sentKey);
        })
        .catch((err: unknown) =>
          update(key, { phase: 'failed', errorCode: err instanceof ApiError ? err.code : 'network_error' }),
        );
    },
    [api, renderSize, update, films, follow],
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
          settings: NO_SETTINGS,
          resending: false,
          resendError: null,
        };
        setItems((current) => [item, ...current]);
        send(key, file, NO_SETTINGS);
      }
    },
    [send],
  );

  // After a reload: the films kept in the browser play as "Before" again, and can be sent again;
  // their keyframes and vibrance come back with them.
  useEffect(() => {
    let live = true;
    Promise.all([films.all(), filmSettings.all()]).then(([kept, settings]) => {
      if (!live) return;
      const byId = new Map(kept);
      const settingsById = new Map(settings);
      for (const [key, id] of savedIds.current) {
        const file = byId.get(id);
        const saved = settingsById.get(id);
        if (saved) {
          keptSettings.current.set(id, saved);
          update(key, { settings: saved });
        }
        if (!file) continue;
        files.current.set(key, file);
        update(key, { sourceUrl: URL.createObjectURL(file), canRetry: true });
      }
      setRestored(true);
    });
    return () => {
      live = false;
    };
  }, [films, filmSettings, update]);

  const changeSettings = useCallback((key: string, change: (settings: FilmSettings) => Partial<FilmSettings>) => {
    setItems((current) =>
      current.map((item) =>
        item.key === key ? { ...item, settings: { ...item.settings, ...change(item.settings) } } : item,
      ),
    );
  }, []);
  const setKeyframe = useCallback(
    (key: string, keyframe: FilmKeyframe) =>
      changeSettings(key, (settings) => ({ keyframes: withKeyframe(settings.keyframes, keyframe) })),
    [changeSettings],
  );
  const removeKeyframe = useCallback(
    (key: string, time: number) =>
      changeSettings(key, (settings) => ({ keyframes: withoutKeyframe(settings.keyframes, time) })),
    [changeSettings],
  );
  const setVibrance = useCallback(
    (key: string, vibrance: number | null) => changeSettings(key, () => ({ vibrance })),
    [changeSettings],
  );

  /** The job's id now moves to `next`: the film and its settings are kept under the new one. */
  const moveKept = useCallback(
    (key: string, old: string) => {
      const file = files.current.get(key);
      const next = savedIds.current.get(key);
      if (file && next && next !== old) films.put(next, file);
      films.remove(old);
      filmSettings.remove(old);
      keptSettings.current.delete(old);
    },
    [films, filmSettings],
  );

  const retry = useCallback(
    (key: string) => {
      const file = files.current.get(key);
      const item = itemsRef.current.find((candidate) => candidate.key === key);
      if (!file || !item) return;
      const old = savedIds.current.get(key) ?? item.job?.id;
      if (old) {
        films.remove(old);
        filmSettings.remove(old);
        keptSettings.current.delete(old);
      }
      savedIds.current.delete(key);
      update(key, { phase: 'uploading', uploadFraction: 0, job: null, errorCode: null, resendError: null });
      send(key, file, item.settings);
    },
    [send, update, films, filmSettings],
  );

  /**
   * Colorize the film again with its keyframes and vibrance: a rerun of the film its job
   * keeps (no new upload), or, with no job or once the server no longer keeps the film,
   * an upload of the film at hand. A job still at work gives way to the new one.
   */
  const colorizeAgain = useCallback(
    (key: string) => {
      const item = itemsRef.current.find((candidate) => candidate.key === key);
      if (!item || item.resending || item.phase === 'uploading') return;
      const old = item.job?.id ?? savedIds.current.get(key);
      if (!old) {
        retry(key);
        return;
      }
      const { keyframes, vibrance } = item.settings;
      const sentKey = settingsKeyOf(keyframes, vibrance);
      const active = !item.job || !ENDED.includes(item.job.state);
      update(key, { resending: true, resendError: null });
      api
        // The app holds every keyframe the film should have: the kept ones are replaced, so a removed one goes.
        .rerunVideo(old, { ...colorizeOptions(keyframes, vibrance), renderSize, replaceKept: true })
        .then((job) => {
          if (active) api.cancelVideoJob(old).catch(() => undefined);
          follow(key, job, sentKey);
          moveKept(key, old);
        })
        .catch((err: unknown) => {
          const code = err instanceof ApiError ? err.code : 'network_error';
          if ((code === 'video_source_gone' || code === 'not_found') && files.current.has(key)) {
            update(key, { resending: false });
            retry(key);
            return;
          }
          update(key, { resending: false, resendError: code });
        });
    },
    [api, renderSize, update, follow, moveKept, retry],
  );

  // Follow every job that has not ended.
  useEffect(() => {
    const timer = window.setInterval(() => {
      for (const item of itemsRef.current) {
        if (item.phase !== 'job') continue;
        const id = item.job?.id ?? savedIds.current.get(item.key);
        const ended = item.job && ENDED.includes(item.job.state);
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
      if (id) {
        films.remove(id);
        filmSettings.remove(id);
        keptSettings.current.delete(id);
      }
      files.current.delete(key);
      savedIds.current.delete(key);
      setItems((current) => current.filter((candidate) => candidate.key !== key));
    },
    [api, films, filmSettings],
  );

  const steer: FilmSteer = useMemo(
    () => ({ setKeyframe, removeKeyframe, setVibrance, colorizeAgain }),
    [setKeyframe, removeKeyframe, setVibrance, colorizeAgain],
  );
  return { videos: items, addVideos, cancel, remove, retry, steer };
}
