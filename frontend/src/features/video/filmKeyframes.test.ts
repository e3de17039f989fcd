import { describe, expect, it } from 'vitest';

import type { Pin } from '../../shared/steering/pins';
import {
  colorizeOptions,
  formatFilmTime,
  keyframeAt,
  timeInFilm,
  settingsKeyOf,
  withKeyframe,
  withoutKeyframe,
  type FilmKeyframe,
} from './filmKeyframes';

const pin = (color: string): Pin => ({ id: 1, x: 0.123456, y: 0.5, color, colorThere: '#808080', reach: 'small' });
const keyframe = (time: number, pins: Pin[] = [pin('#AA0000')]): FilmKeyframe => ({ time, pins, thumbnail: null });

describe('a film’s keyframes', () => {
  it('stay in the film’s order, one per frame: a pause within the same frame replaces that keyframe', () => {
    let keyframes = withKeyframe([], keyframe(2.5));
    keyframes = withKeyframe(keyframes, keyframe(0.4));
    keyframes = withKeyframe(keyframes, keyframe(2.51, [pin('#00aa00')]));
    expect(keyframes.map((k) => k.time)).toEqual([0.4, 2.51]);
    expect(keyframes[1].pins[0].color).toBe('#00aa00');
    expect(keyframeAt(keyframes, 0.405)?.time).toBe(0.4);
    expect(keyframeAt(keyframes, 1)).toBeNull();
    expect(withoutKeyframe(keyframes, 0.4).map((k) => k.time)).toEqual([2.51]);
  });

  it('round their time to the millisecond and never below 0', () => {
    expect(withKeyframe([], keyframe(1.23456))[0].time).toBe(1.235);
    expect(withKeyframe([], keyframe(-0.2))[0].time).toBe(0);
  });

  it('go out as hints (keyframes without pins stay home); an untouched vibrance is not sent', () => {
    expect(colorizeOptions([keyframe(1), keyframe(2, [])], null)).toEqual({
      keyframes: [{ time: 1, hints: [{ x: 0.1235, y: 0.5, color: '#aa0000', reach: 'small' }] }],
      vibrance: undefined,
    });
    expect(colorizeOptions([], 1.4)).toEqual({ keyframes: [], vibrance: 1.4 });
  });

  it('are the same settings whatever the thumbnails or what the pins’ spots showed', () => {
    const shown = { ...keyframe(1), thumbnail: 'data:image/jpeg;base64,AAAA' };
    const other = { ...keyframe(1), pins: [{ ...pin('#aa0000'), colorThere: '#000000', id: 7 }] };
    expect(settingsKeyOf([shown], null)).toBe(settingsKeyOf([other], null));
    expect(settingsKeyOf([shown], null)).not.toBe(settingsKeyOf([shown], 1.2));
  });

  it('stay within the film: a film paused at its end gives its last frame’s time', () => {
    // 36 frames in 2.4 s: the last starts at 2.333 s.
    expect(timeInFilm(2.4, 2.4, 36)).toBeCloseTo(2.332, 3);
    expect(timeInFilm(1.2, 2.4, 36)).toBe(1.2);
    expect(timeInFilm(-1, 2.4, 36)).toBe(0);
    expect(timeInFilm(5, 5, 0)).toBeCloseTo(4.899, 3);
    expect(timeInFilm(3, Number.NaN, 0)).toBe(3); // no duration known yet
  });

  it('show their time as minutes and seconds', () => {
    expect(formatFilmTime(0)).toBe('0:00.00');
    expect(formatFilmTime(1.25)).toBe('0:01.25');
    expect(formatFilmTime(75.5)).toBe('1:15.50');
  });
});
