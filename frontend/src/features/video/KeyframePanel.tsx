import { useState } from 'react';

import type { ColorizerApi } from '../../api/colorizer';
import { useLimits } from '../../shared/limits';
import type { Pin } from '../../shared/steering/pins';
import { VibranceSlider } from '../../shared/steering/VibranceSlider';
import { captureGreyFrame } from './captureFrame';
import { formatFilmTime, keyframeAt, settingsKeyOf, timeInFilm, type FilmKeyframe } from './filmKeyframes';
import { KeyframeEditor } from './KeyframeEditor';
import type { FilmSteer, VideoItem } from './useVideoJobs';
import { describeVideoError } from './videoErrors';

/** The card's films: the one with the controls (whose time counts) and the original, if at hand. */
export interface CardFilms {
  leader: HTMLVideoElement | null;
  original: HTMLVideoElement | null;
}

interface KeyframePanelProps {
  item: VideoItem;
  films: () => CardFilms;
  api: ColorizerApi;
  renderSize: number | undefined;
  /** Most pins a frame may have; 0: the model takes none, so no keyframes (vibrance still works). */
  maxPins: number;
  steer: FilmSteer;
}

interface Editing {
  frame: File;
  time: number;
  pins: Pin[];
  isNew: boolean;
}

function colorizeLabel(keyframes: number): string {
  if (keyframes === 0) return 'Colorize again';
  return `Colorize with ${keyframes} keyframe${keyframes === 1 ? '' : 's'}`;
}

/**
 * A film's keyframes and vibrance: "Fix colours at this frame" on the paused film opens
 * that frame with pins and a preview; the keyframes line up in a strip, each editable and
 * removable; "Colorize with N keyframes" colorizes the film with them.
 */
export function KeyframePanel({ item, films, api, renderSize, maxPins, steer }: KeyframePanelProps) {
  const [editing, setEditing] = useState<Editing | null>(null);
  const [captureFailed, setCaptureFailed] = useState(false);
  const { vibranceDefault } = useLimits();
  const { keyframes, vibrance, appliedKey } = item.settings;
  const withPins = keyframes.filter((keyframe) => keyframe.pins.length > 0);
  const changed = settingsKeyOf(keyframes, vibrance) !== appliedKey;
  const canSend = item.job !== null || item.canRetry;

  /** Opens the frame at `time` (the paused film's own time when none is given). */
  async function open(time?: number) {
    const { leader, original } = films();
    if (!leader) return;
    leader.pause();
    const at = time ?? timeInFilm(leader.currentTime, leader.duration, item.job?.framesTotal ?? 0);
    const source = original ?? leader;
    // The film in view goes to the keyframe too (the original, a follower, is moved by the capture).
    if (source !== leader) leader.currentTime = at;
    try {
      const stem = item.filename.replace(/\.[^.]+$/, '');
      const frame = await captureGreyFrame(source, at, `${stem}-${at.toFixed(2)}s.png`);
      const existing = keyframeAt(keyframes, at);
      setCaptureFailed(false);
      setEditing({ frame, time: existing?.time ?? at, pins: existing?.pins ?? [], isNew: !existing });
    } catch {
      setCaptureFailed(true);
    }
  }

  function keep(keyframe: FilmKeyframe) {
    if (keyframe.pins.length === 0) steer.removeKeyframe(item.key, keyframe.time);
    else steer.setKeyframe(item.key, keyframe);
    setEditing(null);
  }

  return (
    <div className="keyframes">
      <div className="keyframes__toolbar">
        {maxPins > 0 && (
          <button type="button" className="button" onClick={() => open()} disabled={editing !== null}>
            Fix colours at this frame
          </button>
        )}
        <VibranceSlider
          value={vibrance}
          onChange={(value) => steer.setVibrance(item.key, value === vibranceDefault ? null : value)}
        />
      </div>
      {captureFailed && (
        <p className="result__steering-problem" role="alert">
          This frame could not be read from the film. Let it load, pause it, and try again.
        </p>
      )}
      {editing && (
        <KeyframeEditor
          key={`${editing.time}`}
          filmName={item.filename}
          frame={editing.frame}
          time={editing.time}
          pins={editing.pins}
          isNew={editing.isNew}
          api={api}
          renderSize={renderSize}
          vibrance={vibrance}
          maxPins={maxPins}
          onKeep={keep}
          onClose={() => setEditing(null)}
        />
      )}
      {keyframes.length > 0 && (
        <ol className="keyframe-strip" aria-label={`Keyframes of ${item.filename}`}>
          {keyframes.map((keyframe) => (
            <KeyframeTile
              key={keyframe.time}
              keyframe={keyframe}
              onEdit={() => open(keyframe.time)}
              onRemove={() => steer.removeKeyframe(item.key, keyframe.time)}
            />
          ))}
        </ol>
      )}
      {item.resendError && (
        <p className="result__steering-problem" role="alert">
          {describeVideoError(item.resendError)}
        </p>
      )}
      {changed && canSend && (
        <div className="keyframes__send">
          <button
            type="button"
            className="button button--primary"
            onClick={() => steer.colorizeAgain(item.key)}
            disabled={item.resending || item.phase === 'uploading'}
          >
            {colorizeLabel(withPins.length)}
          </button>
          {item.resending && <span role="status">Sending…</span>}
        </div>
      )}
    </div>
  );
}

function KeyframeTile({
  keyframe,
  onEdit,
  onRemove,
}: {
  keyframe: FilmKeyframe;
  onEdit: () => void;
  onRemove: () => void;
}) {
  const at = formatFilmTime(keyframe.time);
  const pins = `${keyframe.pins.length} pin${keyframe.pins.length === 1 ? '' : 's'}`;
  return (
    <li className="keyframe-strip__tile">
      {keyframe.thumbnail ? (
        <img className="keyframe-strip__thumbnail" src={keyframe.thumbnail} alt={`Keyframe at ${at}`} />
      ) : (
        <span className="keyframe-strip__thumbnail keyframe-strip__thumbnail--none" aria-hidden="true" />
      )}
      <span className="keyframe-strip__time">
        {at} · {pins}
      </span>
      <span className="keyframe-strip__actions">
        <button type="button" className="button button--quiet" onClick={onEdit} aria-label={`Edit keyframe at ${at}`}>
          Edit
        </button>
        <button
          type="button"
          className="button button--quiet"
          onClick={onRemove}
          aria-label={`Remove keyframe at ${at}`}
        >
          Remove
        </button>
      </span>
    </li>
  );
}
