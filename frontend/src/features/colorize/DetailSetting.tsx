import { useId } from 'react';

import { renderSizeChoices, useLimits } from '../../shared/limits';

interface DetailSettingProps {
  /** The render size chosen ('' for the model's own). */
  value: string;
  onChange: (value: string) => void;
  /** The model's own render size (null while unknown). */
  modelSize: number | null;
}

/**
 * "Detail": the side the model looks at, in words. Standard is the model's own size;
 * High twice that; Maximum the largest the service takes. The pixels are in the tooltip.
 */
function detailChoices(modelSize: number | null, sizes: number[]) {
  const standard = { value: '', label: 'Standard', pixels: modelSize };
  if (modelSize === null || sizes.length === 0) return [standard];
  const largest = sizes[sizes.length - 1];
  const high = sizes.find((size) => size >= modelSize * 2) ?? largest;
  const choices = [standard];
  if (high > modelSize) choices.push({ value: String(high), label: 'High', pixels: high });
  if (largest > high) choices.push({ value: String(largest), label: 'Maximum', pixels: largest });
  return choices;
}

export function DetailSetting({ value, onChange, modelSize }: DetailSettingProps) {
  const limits = useLimits();
  const name = useId();
  const hintId = useId();
  const choices = detailChoices(modelSize, renderSizeChoices(limits));
  return (
    <fieldset className="detail" aria-describedby={hintId}>
      <legend>Detail</legend>
      <div className="segmented">
        {choices.map((choice) => (
          <label
            key={choice.value}
            className="segmented__choice"
            title={choice.pixels ? `The model looks at the photo ${choice.pixels} px on its short side` : undefined}
          >
            <input
              type="radio"
              name={name}
              value={choice.value}
              checked={value === choice.value || (choice.value === '' && !choices.some((c) => c.value === value))}
              onChange={() => onChange(choice.value)}
            />
            {choice.label}
          </label>
        ))}
      </div>
      <p id={hintId} className="detail__hint">
        More detail follows small shapes more closely, and takes longer.
      </p>
    </fieldset>
  );
}
