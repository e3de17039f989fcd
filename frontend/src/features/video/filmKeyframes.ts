import type { VideoColorizeOptions } from '../../api/videos';
import { keptInBrowser, type Kept } from '../../shared/keptInBrowser';
import { toHints, type Pin } from '../../shared/steering/pins';

/** One frame of a film whose colours the person fixed with pins; the server carries them through its shot. */
export interface FilmKeyframe {
  /** Seconds from the start of the film. */
  time: number;
  pins: Pin[];
  /** A small picture of the frame as previewed (for the strip: a data: URL), if one could be made. */
  thumbnail: string | null;
}

/** What a film is colorized with, as the person set it on its card. */
export interface FilmSettings {
  keyframes: FilmKeyframe[];
  /** null: the service's default. */
  vibrance: number | null;
  /** settingsKeyOf the settings the film's current job was made with. */
  appliedKey: string;
}

export const NO_SETTINGS: FilmSettings = { keyframes: [], vibrance: null, appliedKey: settingsKeyOf([], null) };

/** Each film's settings, kept in this browser by job id, so keyframes and pins survive a reload. */
export const keptFilmSettings: Kept<FilmSettings> = keptInBrowser<FilmSettings>('filmKeyframes');

/**
 * Two frames closer than this are the same keyframe: a pause lands anywhere within a
 * frame (1/60 s at the fastest common rate), and the server refuses two at one time.
 */
export const SAME_FRAME_S = 1 / 60;

/** Times as sent: milliseconds are finer than any frame, and short. */
export const roundTime = (time: number) => Math.round(Math.max(0, time) * 1000) / 1000;

/**
 * `time` held to the film's frames: a film paused at its end shows its last frame but stands
 * at its duration, past that frame's start, and the server refuses a keyframe after the last
 * decoded frame. `frames` is the job's count (0 when unknown: a tenth of a second is kept back).
 */
export function timeInFilm(time: number, duration: number, frames: number): number {
  if (!Number.isFinite(duration) || duration <= 0) return Math.max(0, time);
  const lastFrame = frames > 1 ? (duration * (frames - 1)) / frames : duration - 0.1;
  return Math.min(Math.max(0, time), Math.max(0, lastFrame - 0.001));
}

/** The keyframe at (about) `time`, if there is one. */
export function keyframeAt(keyframes: readonly FilmKeyframe[], time: number): FilmKeyframe | null {
  return keyframes.find((keyframe) => Math.abs(keyframe.time - time) < SAME_FRAME_S) ?? null;
}

/** The keyframes with `keyframe` in its place (replacing the one at its time), in the film's order. */
export function withKeyframe(keyframes: readonly FilmKeyframe[], keyframe: FilmKeyframe): FilmKeyframe[] {
  const others = keyframes.filter((other) => Math.abs(other.time - keyframe.time) >= SAME_FRAME_S);
  return [...others, { ...keyframe, time: roundTime(keyframe.time) }].toSorted((a, b) => a.time - b.time);
}

export function withoutKeyframe(keyframes: readonly FilmKeyframe[], time: number): FilmKeyframe[] {
  return keyframes.filter((keyframe) => keyframe.time !== time);
}

/** The request's options for these settings: keyframes with pins as hints, vibrance only when chosen. */
export function colorizeOptions(keyframes: readonly FilmKeyframe[], vibrance: number | null): VideoColorizeOptions {
  return {
    // A keyframe without pins asks for nothing the automatic colours do not give.
    keyframes: keyframes
      .filter((keyframe) => keyframe.pins.length > 0)
      .map((keyframe) => ({ time: keyframe.time, hints: toHints(keyframe.pins) })),
    vibrance: vibrance ?? undefined,
  };
}

/** The identity of what a job is made with (not the thumbnails, nor a pin's selection). */
export function settingsKeyOf(keyframes: readonly FilmKeyframe[], vibrance: number | null): string {
  return JSON.stringify(colorizeOptions(keyframes, vibrance));
}

/** "0:12.50" */
export function formatFilmTime(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  return `${minutes}:${(seconds - minutes * 60).toFixed(2).padStart(5, '0')}`;
}
