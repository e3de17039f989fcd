import {
  useRef,
  type CSSProperties,
  type KeyboardEvent,
  type MouseEvent,
  type PointerEvent,
  type RefObject,
} from 'react';

import { isTouchScreen } from '../touch';
import { colourAt } from './pixelColour';
import { clamp01, describePosition, nudge, type Pin } from './pins';
import './steering.css';

interface HintEditorProps {
  src: string;
  alt: string;
  width: number;
  height: number;
  pins: Pin[];
  selectedId: number | null;
  /** A click on the image: a new pin there; `colorThere` is the image's colour at that spot, if readable. */
  onAdd: (x: number, y: number, colorThere: string | null) => void;
  onMove: (id: number, x: number, y: number) => void;
  /** A pin was dropped (after a drag, or a key move): its spot's colour now. */
  onSettle: (id: number, colorThere: string | null) => void;
  onSelect: (id: number) => void;
  onRemove: (id: number) => void;
  /** Set while the image is being colorized again with the pins. */
  busy: boolean;
  /** The shown image, for the parent to read colours from too. */
  imageRef: RefObject<HTMLImageElement | null>;
  /** What the picture is, in the help line: a photo, or a film's frame. */
  subject?: string;
}

interface Drag {
  id: number;
  pointerId: number;
  moved: boolean;
}

/**
 * The result with its colour pins drawn on it. Click the image to add a pin; drag a
 * pin to move it. Each pin is a button: Tab reaches it, the arrow keys move it (Shift
 * for bigger steps), Delete or Backspace removes it. Positions are fractions of the
 * image's width and height, so they hold at any display size.
 */
export function HintEditor(props: HintEditorProps) {
  const { src, alt, width, height, pins, selectedId, onAdd, onMove, onSettle, onSelect, onRemove, busy, imageRef } =
    props;
  const subject = props.subject ?? 'photo';
  const drag = useRef<Drag | null>(null);

  function position(clientX: number, clientY: number): { x: number; y: number } | null {
    const box = imageRef.current?.getBoundingClientRect();
    if (!box || box.width <= 0 || box.height <= 0) return null;
    return { x: clamp01((clientX - box.left) / box.width), y: clamp01((clientY - box.top) / box.height) };
  }

  function onImageClick(event: MouseEvent<HTMLDivElement>) {
    const spot = position(event.clientX, event.clientY);
    if (spot) onAdd(spot.x, spot.y, colourAt(imageRef.current, spot.x, spot.y));
  }

  function onPinPointerDown(event: PointerEvent<HTMLButtonElement>, pin: Pin) {
    if (event.button !== 0) return;
    event.preventDefault(); // no text selection or scrolling while dragging
    event.currentTarget.focus();
    event.currentTarget.setPointerCapture?.(event.pointerId);
    drag.current = { id: pin.id, pointerId: event.pointerId, moved: false };
    onSelect(pin.id);
  }

  function onPinPointerMove(event: PointerEvent<HTMLButtonElement>) {
    const current = drag.current;
    if (!current || current.pointerId !== event.pointerId) return;
    const spot = position(event.clientX, event.clientY);
    if (!spot) return;
    current.moved = true;
    onMove(current.id, spot.x, spot.y);
  }

  function onPinPointerUp(event: PointerEvent<HTMLButtonElement>, pin: Pin) {
    const current = drag.current;
    if (!current || current.pointerId !== event.pointerId) return;
    drag.current = null;
    event.currentTarget.releasePointerCapture?.(event.pointerId);
    if (current.moved) {
      const spot = position(event.clientX, event.clientY) ?? pin;
      onSettle(pin.id, colourAt(imageRef.current, spot.x, spot.y));
    }
  }

  function onPinKeyDown(event: KeyboardEvent<HTMLButtonElement>, pin: Pin) {
    if (event.key === 'Delete' || event.key === 'Backspace') {
      event.preventDefault();
      onRemove(pin.id);
      return;
    }
    const moved = nudge(pin, event.key, event.shiftKey);
    if (!moved) return;
    event.preventDefault();
    onSelect(pin.id);
    onMove(pin.id, moved.x, moved.y);
    onSettle(pin.id, colourAt(imageRef.current, moved.x, moved.y));
  }

  const style = {
    '--ratio': width > 0 && height > 0 ? width / height : 1.5,
  } as CSSProperties;

  return (
    <figure className="hint-editor" style={style} aria-busy={busy}>
      {/* Clicking the picture is the quick way; the panel's "Add a pin" button does the same from the keyboard. */}
      {/* oxlint-disable-next-line jsx-a11y/click-events-have-key-events, jsx-a11y/no-static-element-interactions -- a mouse shortcut: "Add a pin" is the keyboard way */}
      <div className={`hint-editor__stage ${busy ? 'hint-editor__stage--busy' : ''}`} onClick={onImageClick}>
        <img
          ref={imageRef}
          className="hint-editor__image"
          src={src}
          alt={alt}
          width={width || undefined}
          height={height || undefined}
          draggable={false}
        />
        {pins.map((pin, index) => (
          <button
            key={pin.id}
            type="button"
            className="pin"
            style={{ left: `${pin.x * 100}%`, top: `${pin.y * 100}%`, '--pin-color': pin.color } as CSSProperties}
            aria-label={`Pin ${index + 1}: ${pin.color}, ${describePosition(pin)}`}
            aria-pressed={pin.id === selectedId}
            onClick={(event) => {
              event.stopPropagation();
              onSelect(pin.id);
            }}
            onPointerDown={(event) => onPinPointerDown(event, pin)}
            onPointerMove={onPinPointerMove}
            onPointerUp={(event) => onPinPointerUp(event, pin)}
            onPointerCancel={() => {
              drag.current = null;
            }}
            onKeyDown={(event) => onPinKeyDown(event, pin)}
          />
        ))}
      </div>
      <figcaption className="hint-editor__caption">
        {isTouchScreen()
          ? `Tap the ${subject} where the colour is wrong to place a pin, then choose its colour below. Drag a pin to move it.`
          : `Click the ${subject} where the colour is wrong to place a pin, then choose its colour. Drag a pin, or select it and use the arrow keys, to move it; Delete removes it. Ctrl+Z undoes.`}
      </figcaption>
    </figure>
  );
}
