import { useId } from 'react';

import { useLimits } from '../limits';
import './steering.css';

interface VibranceSliderProps {
  /** null: the service's default (the model's own colours). */
  value: number | null;
  onChange: (value: number | null) => void;
}

/**
 * Saturation of the colours, over the range the service publishes (0% grayscale to 200%
 * today); 100% is the model's own. Not shown while the range is unknown.
 */
export function VibranceSlider({ value, onChange }: VibranceSliderProps) {
  const id = useId();
  const { vibranceMin, vibranceMax, vibranceDefault } = useLimits();
  if (vibranceMin === null || vibranceMax === null || vibranceDefault === null) return null;
  const shown = value ?? vibranceDefault;
  const percent = `${Math.round(shown * 100)}%`;
  return (
    <div className="field vibrance">
      <label htmlFor={id}>Vibrance</label>
      <input
        id={id}
        type="range"
        min={vibranceMin}
        max={vibranceMax}
        step={0.05}
        value={shown}
        onChange={(event) => onChange(Number(event.target.value))}
        aria-valuetext={percent}
      />
      <output htmlFor={id} className="vibrance__value">
        {percent}
      </output>
      {value !== null && (
        <button type="button" className="button button--quiet" onClick={() => onChange(null)}>
          Reset vibrance
        </button>
      )}
    </div>
  );
}
