import { useId, useRef, useState, type CSSProperties, type KeyboardEvent, type PointerEvent } from 'react';

import { useZoom } from './useZoom';
import { ZoomControls } from './ZoomControls';

interface CompareSliderProps {
  beforeSrc: string;
  beforeAlt: string;
  afterSrc: string;
  afterAlt: string;
  width: number;
  height: number;
}

const onHandle = (target: EventTarget | null) =>
  target instanceof Element && target.closest('.compare__handle') !== null;

/**
 * Before/after comparison: the colorized image under the original, the original
 * cut off at the handle. A native range input drives it (mouse, touch, screen
 * readers); the keys are handled here so every browser steps the same way:
 * arrows 1%, Shift+arrows and Page Up/Down 10%, Home/End to either side.
 * Both pictures zoom and pan together (useZoom); zoomed in, a drag pans and the
 * handle itself moves the cut.
 */
export function CompareSlider({ beforeSrc, beforeAlt, afterSrc, afterAlt, width, height }: CompareSliderProps) {
  const [position, setPosition] = useState(50);
  const hintId = useId();
  const frame = useRef<HTMLElement>(null);
  const wrapper = useRef<HTMLDivElement>(null);
  const zoom = useZoom([frame], onHandle);
  const zoomed = zoom.zoom.scale > 1;

  function onKeyDown(event: KeyboardEvent<HTMLInputElement>) {
    const big = 10;
    const step = event.shiftKey ? big : 1;
    const moves: Record<string, (value: number) => number> = {
      ArrowLeft: (value) => value - step,
      ArrowDown: (value) => value - step,
      ArrowRight: (value) => value + step,
      ArrowUp: (value) => value + step,
      PageDown: (value) => value - big,
      PageUp: (value) => value + big,
      Home: () => 0,
      End: () => 100,
    };
    const move = moves[event.key];
    if (!move) return;
    event.preventDefault();
    setPosition((value) => Math.min(100, Math.max(0, move(value))));
  }

  function dragHandle(event: PointerEvent<HTMLSpanElement>) {
    if (!event.currentTarget.hasPointerCapture(event.pointerId)) return;
    const box = frame.current?.getBoundingClientRect();
    if (box && box.width > 0)
      setPosition(Math.round(Math.min(100, Math.max(0, (100 * (event.clientX - box.left)) / box.width))));
  }

  const style = {
    '--position': `${position}%`,
    '--ratio': width > 0 && height > 0 ? width / height : 1.5,
    aspectRatio: width > 0 && height > 0 ? `${width} / ${height}` : undefined,
  } as CSSProperties;
  const pictureStyle = { transform: zoom.transform } as CSSProperties;

  return (
    <div className="zoomable" ref={wrapper}>
      <ZoomControls zoom={zoom} target={wrapper} />
      <figure className={`compare${zoomed ? ' compare--zoomed' : ''}`} style={style} ref={frame}>
        <img className="compare__image" src={afterSrc} alt={afterAlt} draggable={false} style={pictureStyle} />
        <div className="compare__before">
          <img className="compare__image" src={beforeSrc} alt={beforeAlt} draggable={false} style={pictureStyle} />
        </div>
        <span className="compare__tag compare__tag--before" aria-hidden="true">
          Original
        </span>
        <span className="compare__tag compare__tag--after" aria-hidden="true">
          Colorized
        </span>
        <input
          className="compare__range"
          type="range"
          min={0}
          max={100}
          step={1}
          value={position}
          onChange={(event) => setPosition(Number(event.target.value))}
          onKeyDown={onKeyDown}
          aria-label="Before and after comparison"
          aria-valuetext={`${position}% original, ${100 - position}% colorized`}
          aria-describedby={hintId}
        />
        <span
          className="compare__handle"
          aria-hidden="true"
          onPointerDown={(event) => event.currentTarget.setPointerCapture(event.pointerId)}
          onPointerMove={dragHandle}
        >
          <span className="compare__grip" />
        </span>
        <figcaption id={hintId} className="visually-hidden">
          Drag or use the arrow keys: left shows more of the colorized image, right more of the original. Scroll, pinch
          or double-click to zoom.
        </figcaption>
      </figure>
    </div>
  );
}
