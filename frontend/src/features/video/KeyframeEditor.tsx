import { useEffect, useId, useRef, useState } from 'react';

import { ApiError, type ColorizeResult, type ColorizerApi } from '../../api/colorizer';
import { releaseResult } from '../../api/localCopies';
import { PinEditing } from '../../shared/steering/PinEditing';
import { SteeringStatus } from '../../shared/steering/SteeringStatus';
import type { Pin } from '../../shared/steering/pins';
import { useSteering } from '../../shared/steering/useSteering';
import { useUndoKeys } from '../../shared/steering/useUndoKeys';
import { thumbnailOf } from './captureFrame';
import { formatFilmTime, type FilmKeyframe } from './filmKeyframes';

interface KeyframeEditorProps {
  filmName: string;
  /** The frame, in grey, as captured from the film. */
  frame: File;
  time: number;
  /** The pins the keyframe has so far (none for a new one). */
  pins: Pin[];
  isNew: boolean;
  api: ColorizerApi;
  renderSize: number | undefined;
  vibrance: number | null;
  maxPins: number;
  onKeep: (keyframe: FilmKeyframe) => void;
  onClose: () => void;
}

/**
 * One frame of a film with its colour pins, and a preview of that frame colorized with
 * them (as a photo: through the same API the photos use, so an API key or the device
 * setting applies alike). "Keep keyframe" hands the pins back to the card.
 */
export function KeyframeEditor(props: KeyframeEditorProps) {
  const { frame, api, renderSize, vibrance } = props;
  const titleId = useId();
  const [automatic, setAutomatic] = useState<ColorizeResult | null>(null);
  const [errorCode, setErrorCode] = useState<string | null>(null);

  // The frame's automatic colours first: the picture the pins are placed on.
  useEffect(() => {
    const controller = new AbortController();
    let made: ColorizeResult | null = null;
    api.colorizeImage(frame, { renderSize, vibrance: vibrance ?? undefined, signal: controller.signal }).then(
      (result) => {
        made = result;
        if (controller.signal.aborted) releaseResult(result);
        else setAutomatic(result);
      },
      (err: unknown) => {
        if (!controller.signal.aborted) setErrorCode(err instanceof ApiError ? err.code : 'unknown_error');
      },
    );
    return () => {
      controller.abort();
      releaseResult(made);
    };
  }, [api, frame, renderSize, vibrance]);

  return (
    <section className="keyframe-editor" aria-labelledby={titleId}>
      <h4 id={titleId} className="keyframe-editor__title">
        Fix colours at {formatFilmTime(props.time)}
      </h4>
      {automatic ? (
        <KeyframePins {...props} automatic={automatic} />
      ) : errorCode ? (
        <>
          <SteeringStatus status="" errorCode={errorCode} failure="This frame could not be colorized." />
          <button type="button" className="button" onClick={props.onClose}>
            Close
          </button>
        </>
      ) : (
        <p role="status">Colorizing this frame…</p>
      )}
    </section>
  );
}

/** The pins on the frame's preview, and the buttons that keep or drop them. */
function KeyframePins({
  filmName,
  frame,
  time,
  pins: initialPins,
  isNew,
  api,
  renderSize,
  vibrance,
  maxPins,
  onKeep,
  onClose,
  automatic,
}: KeyframeEditorProps & { automatic: ColorizeResult }) {
  const [selectedId, setSelectedId] = useState<number | null>(initialPins[0]?.id ?? null);
  const image = useRef<HTMLImageElement>(null);
  const area = useRef<HTMLDivElement>(null);
  const [initial] = useState(() => ({ pins: initialPins, vibrance }));
  const steering = useSteering({
    api,
    file: frame,
    renderSize,
    baseResult: automatic,
    maxPins,
    initial,
    initialSteered: null,
    onChange: () => undefined,
  });
  useUndoKeys(area, steering.undo, steering.redo);

  function keep() {
    onKeep({ time, pins: steering.pins, thumbnail: thumbnailOf(image.current) });
  }

  return (
    <div className="keyframe-editor__body" ref={area}>
      <PinEditing
        steering={steering}
        src={steering.result.url}
        alt={`Frame at ${formatFilmTime(time)} of ${filmName}, colorized with its pins (preview)`}
        width={steering.result.width}
        height={steering.result.height}
        maxPins={maxPins}
        selectedId={selectedId}
        onSelect={setSelectedId}
        imageRef={image}
        subject="frame"
      />
      <SteeringStatus
        status={steering.working ? 'Updating the preview…' : steering.pins.length > 0 ? 'Preview with your pins.' : ''}
        errorCode={steering.errorCode}
        failure="The preview could not be updated."
      />
      <div className="keyframe-editor__actions">
        <button
          type="button"
          className="button button--primary"
          onClick={keep}
          disabled={steering.pins.length === 0 && isNew}
        >
          {isNew ? 'Keep keyframe' : 'Keep changes'}
        </button>
        <button type="button" className="button button--quiet" onClick={onClose}>
          Cancel
        </button>
      </div>
    </div>
  );
}
