import { useEffect, useRef, useState } from 'react';

import type { ColorizeResult, ColorizerApi } from '../../api/colorizer';
import { CompareSlider } from './CompareSlider';
import { DownloadControls } from './DownloadControls';
import { keptForText, useLimits } from '../../shared/limits';
import { PinEditing } from '../../shared/steering/PinEditing';
import { SteeringStatus } from '../../shared/steering/SteeringStatus';
import { SideBySide } from './SideBySide';
import { useSteering, type Steered } from '../../shared/steering/useSteering';
import { useUndoKeys } from '../../shared/steering/useUndoKeys';
import type { Steering } from '../../shared/steering/useSteeringHistory';
import { VibranceSlider } from '../../shared/steering/VibranceSlider';
import './result.css';

type View = 'slider' | 'side-by-side' | 'fix';

interface ResultViewProps {
  name: string;
  file: File;
  /** The render size the image was colorized at (undefined: the model's default); re-colorizing keeps it. */
  renderSize: number | undefined;
  originalUrl: string;
  result: ColorizeResult;
  api: ColorizerApi;
  /** Most colour pins the model takes; 0 hides "Fix colours" (the model takes no hints). */
  maxHints: number;
  /** The pins and vibrance to start from, and the image kept for them. */
  steering: Steering;
  steered: Steered | null;
  onSteer: (steering: Steering, steered: Steered | null) => void;
  onColorizeAgain: () => void;
}

/** True once the server has deleted the result (its expiry time has passed). */
function useExpired(expiresAtMs: number | null): boolean {
  const [expired, setExpired] = useState(() => expiresAtMs !== null && expiresAtMs <= Date.now());
  useEffect(() => {
    if (expiresAtMs === null || expired) return;
    // setTimeout cannot wait longer than about 24.8 days.
    const wait = Math.min(Math.max(0, expiresAtMs - Date.now()), 2 ** 31 - 1);
    const timer = setTimeout(() => setExpired(true), wait);
    return () => clearTimeout(timer);
  }, [expiresAtMs, expired]);
  return expired;
}

function formatSeconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * A finished image: comparison (slider or side by side), "Fix colours" (pins) when
 * the model takes hints, vibrance, what made it, download. Pins and vibrance
 * re-colorize the image; everything here then shows and downloads that result.
 */
export function ResultView({
  name,
  file,
  renderSize,
  originalUrl,
  result,
  api,
  maxHints,
  steering: initialSteering,
  steered: initialSteered,
  onSteer,
  onColorizeAgain,
}: ResultViewProps) {
  const [view, setView] = useState<View>('slider');
  const [selectedId, setSelectedId] = useState<number | null>(null);
  const editorImage = useRef<HTMLImageElement>(null);
  const limits = useLimits();
  const steering = useSteering({
    api,
    file,
    renderSize,
    baseResult: result,
    maxPins: maxHints,
    initial: initialSteering,
    initialSteered,
    onChange: onSteer,
  });
  // "Show automatic", held down: the model's own colours, to compare with the pins'.
  const [showAutomatic, setShowAutomatic] = useState(false);
  const shown = showAutomatic ? steering.automaticResult : steering.result;
  const expired = useExpired(shown.expiresAtMs);
  const images = {
    beforeSrc: originalUrl,
    beforeAlt: `Original: ${name}`,
    afterSrc: shown.url,
    afterAlt: `Colorized: ${name}`,
  };
  const fixing = view === 'fix' && maxHints > 0;

  const adjustments = [
    steering.pins.length > 0 && `${steering.pins.length} pin${steering.pins.length === 1 ? '' : 's'}`,
    steering.vibrance !== null && `vibrance ${Math.round(steering.vibrance * 100)}%`,
  ].filter(Boolean);

  const area = useRef<HTMLDivElement>(null);
  useUndoKeys(area, steering.undo, steering.redo);
  const steered = steering.pins.length > 0 || steering.vibrance !== null;

  return (
    <div className="result" ref={area}>
      <div className="result__toolbar">
        <div className="segmented" role="group" aria-label="View">
          <button type="button" aria-pressed={view === 'slider'} onClick={() => setView('slider')}>
            Slider
          </button>
          <button type="button" aria-pressed={view === 'side-by-side'} onClick={() => setView('side-by-side')}>
            Side by side
          </button>
          {maxHints > 0 && (
            <button type="button" aria-pressed={view === 'fix'} onClick={() => setView('fix')}>
              Fix colours
            </button>
          )}
        </div>
        <VibranceSlider value={steering.vibrance} onChange={steering.setVibrance} />
        <div className="steering-actions" role="group" aria-label="Changes">
          <button
            type="button"
            className="button button--quiet"
            onClick={steering.undo}
            disabled={!steering.canUndo}
            aria-keyshortcuts="Control+Z"
          >
            Undo
          </button>
          <button
            type="button"
            className="button button--quiet"
            onClick={steering.redo}
            disabled={!steering.canRedo}
            aria-keyshortcuts="Control+Shift+Z"
          >
            Redo
          </button>
          {steered && (
            <button
              type="button"
              className="button button--quiet"
              aria-pressed={showAutomatic}
              onPointerDown={() => setShowAutomatic(true)}
              onPointerUp={() => setShowAutomatic(false)}
              onPointerLeave={() => setShowAutomatic(false)}
              onPointerCancel={() => setShowAutomatic(false)}
              onKeyDown={(event) => {
                if (event.key === ' ' || event.key === 'Enter') setShowAutomatic(true);
              }}
              onKeyUp={() => setShowAutomatic(false)}
              onBlur={() => setShowAutomatic(false)}
              title="Hold to see the model's own colours"
            >
              Show automatic (hold)
            </button>
          )}
        </div>
      </div>

      {fixing ? (
        <PinEditing
          steering={steering}
          src={shown.url}
          alt={`Colorized: ${name}`}
          width={shown.width}
          height={shown.height}
          maxPins={maxHints}
          selectedId={selectedId}
          onSelect={setSelectedId}
          imageRef={editorImage}
        />
      ) : view === 'side-by-side' ? (
        <SideBySide {...images} />
      ) : (
        <CompareSlider {...images} width={shown.width} height={shown.height} />
      )}

      <SteeringStatus
        status={steering.working ? 'Updating the colours…' : ''}
        errorCode={steering.errorCode}
        failure="The colours could not be updated."
      />

      <div className="result__footer">
        <dl className="result__facts">
          <div>
            <dt>Size</dt>
            <dd>
              {shown.width} × {shown.height} px
            </dd>
          </div>
          {shown.inferenceMs !== null && (
            <div>
              <dt>Time</dt>
              <dd>{formatSeconds(shown.inferenceMs)}</dd>
            </div>
          )}
          <div>
            <dt>Colours</dt>
            <dd>{adjustments.length ? `Adjusted: ${adjustments.join(', ')}` : 'Automatic'}</dd>
          </div>
        </dl>
        {expired ? (
          <div className="result__expired">
            <p role="status">This result has been deleted from the server (results are kept {keptForText(limits)}).</p>
            <button type="button" className="button" onClick={onColorizeAgain}>
              Colorize again
            </button>
          </div>
        ) : (
          <DownloadControls result={steering.result} api={api} originalName={name} />
        )}
      </div>
    </div>
  );
}
