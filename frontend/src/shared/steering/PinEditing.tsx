import type { RefObject } from 'react';

import { HintEditor } from './HintEditor';
import { PinPanel } from './PinPanel';
import { colourAt } from './pixelColour';
import { FALLBACK_COLOUR } from './pins';
import type { useSteering } from './useSteering';

interface PinEditingProps {
  /** The pins and their result (useSteering). */
  steering: ReturnType<typeof useSteering>;
  /** The picture the pins are placed on. */
  src: string;
  alt: string;
  width: number;
  height: number;
  maxPins: number;
  selectedId: number | null;
  onSelect: (id: number | null) => void;
  imageRef: RefObject<HTMLImageElement | null>;
  /** What the picture is, in the help line (HintEditor's). */
  subject?: string;
}

/** Pins on a picture beside the selected pin's colour and reach: a photo's Fix colours, a film's keyframe. */
export function PinEditing({
  steering,
  src,
  alt,
  width,
  height,
  maxPins,
  selectedId,
  onSelect,
  imageRef,
  subject,
}: PinEditingProps) {
  const selectedIndex = steering.pins.findIndex((pin) => pin.id === selectedId);
  const selected = selectedIndex >= 0 ? steering.pins[selectedIndex] : null;

  function addPin(x: number, y: number, colorThere: string | null) {
    const id = steering.addPin(x, y, colorThere ?? FALLBACK_COLOUR, colorThere);
    if (id !== null) onSelect(id);
  }

  return (
    <div className="fix-colours">
      <HintEditor
        src={src}
        alt={alt}
        width={width}
        height={height}
        pins={steering.pins}
        selectedId={selectedId}
        onAdd={addPin}
        onMove={(id, x, y) => steering.updatePin(id, { x, y })}
        onSettle={(id, colorThere) => steering.updatePin(id, { colorThere })}
        onSelect={onSelect}
        onRemove={steering.removePin}
        busy={steering.working}
        imageRef={imageRef}
        subject={subject}
      />
      <PinPanel
        pins={steering.pins}
        selected={selected}
        selectedNumber={selectedIndex + 1}
        maxPins={maxPins}
        onAddCentre={() => addPin(0.5, 0.5, colourAt(imageRef.current, 0.5, 0.5))}
        onColor={(id, color) => steering.updatePin(id, { color })}
        onReach={(id, reach) => steering.updatePin(id, { reach })}
        onRemove={steering.removePin}
        onClear={steering.clearPins}
      />
    </div>
  );
}
