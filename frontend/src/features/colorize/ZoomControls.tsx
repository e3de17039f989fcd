import type { RefObject } from 'react';

import type { useZoom } from './useZoom';

interface ZoomControlsProps {
  zoom: ReturnType<typeof useZoom>;
  /** What "Full screen" shows full screen. */
  target: RefObject<HTMLElement | null>;
}

/** Zoom in, out, back to the whole picture, and full screen; the wheel, pinch and double-tap do the same on the picture. */
export function ZoomControls({ zoom, target }: ZoomControlsProps) {
  const percent = Math.round(zoom.zoom.scale * 100);
  const fullScreen = typeof document !== 'undefined' && document.fullscreenEnabled;
  return (
    <div className="zoom-controls" role="group" aria-label="Zoom">
      <button type="button" className="button button--quiet" onClick={zoom.zoomOut} disabled={percent <= 100}>
        Zoom out
      </button>
      <output className="zoom-controls__level" aria-live="polite" aria-label="Zoom level">
        {percent}%
      </output>
      <button type="button" className="button button--quiet" onClick={zoom.zoomIn}>
        Zoom in
      </button>
      {percent > 100 && (
        <button type="button" className="button button--quiet" onClick={zoom.reset}>
          Whole picture
        </button>
      )}
      {fullScreen && (
        <button
          type="button"
          className="button button--quiet"
          onClick={() => (document.fullscreenElement ? document.exitFullscreen() : target.current?.requestFullscreen())}
        >
          Full screen
        </button>
      )}
    </div>
  );
}
