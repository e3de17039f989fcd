import { useId } from 'react';

import { useLimits } from '../../shared/limits';

interface VibranceSliderProps {
  value: number;
  onChange: (value: number) => void;
}

/**
 * Saturation of the colours, over the range the service publishes (0% grayscale to 200%
 * today); 100% is the model's own. Not shown while the range is unknown.
 */
export function VibranceSlider({ value, onChange }: VibranceSliderProps) {
  const id = useId();
  const { vibranceMin, vibranceMax } = useLimits();
  if (vibranceMin === null || vibranceMax === null) return null;
  const percent = `${Math.round(value * 100)}%`;
  return (
    <div className="field vibrance">
      <label htmlFor={id}>Vibrance</label>
      <input
        id={id}
        type="range"
        min={vibranceMin}
        max={vibranceMax}
        step={0.05}
        value={value}
        onChange={(event) => onChange(Number(event.target.value))}
        aria-valuetext={percent}
      />
      <output htmlFor={id} className="vibrance__value">
        {percent}
      </output>
      {value !== 1 && (
        <button type="button" className="button button--quiet" onClick={() => onChange(1)}>
          Reset vibrance
        </button>
      )}
    </div>
  );
}
