import { useId, useState, type CSSProperties, type KeyboardEvent } from 'react';

interface CompareSliderProps {
  beforeSrc: string;
  beforeAlt: string;
  afterSrc: string;
  afterAlt: string;
  width: number;
  height: number;
}

/**
 * Before/after comparison: the colorized image under the original, the original
 * cut off at the handle. A native range input drives it (mouse, touch, screen
 * readers); the keys are handled here so every browser steps the same way:
 * arrows 1%, Shift+arrows and Page Up/Down 10%, Home/End to either side.
 */
export function CompareSlider({ beforeSrc, beforeAlt, afterSrc, afterAlt, width, height }: CompareSliderProps) {
  const [position, setPosition] = useState(50);
  const hintId = useId();

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
  const style = {
    '--position': `${position}%`,
    '--ratio': width > 0 && height > 0 ? width / height : 1.5,
    aspectRatio: width > 0 && height > 0 ? `${width} / ${height}` : undefined,
  } as CSSProperties;

  return (
    <figure className="compare" style={style}>
      <img className="compare__image" src={afterSrc} alt={afterAlt} draggable={false} />
      <div className="compare__before">
        <img className="compare__image" src={beforeSrc} alt={beforeAlt} draggable={false} />
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
      <span className="compare__handle" aria-hidden="true">
        <span className="compare__grip" />
      </span>
      <figcaption id={hintId} className="visually-hidden">
        Drag or use the arrow keys: left shows more of the colorized image, right more of the original.
      </figcaption>
    </figure>
  );
}
