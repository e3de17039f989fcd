import { useId } from 'react';

import type { PinReach } from '../../api/colorizer';
import { COMMON_COLOURS, REACHES, type Pin } from './pins';
import './steering.css';

interface PinPanelProps {
  pins: Pin[];
  selected: Pin | null;
  /** The selected pin's number as shown on its label (1-based). */
  selectedNumber: number;
  maxPins: number;
  onAddCentre: () => void;
  onColor: (id: number, color: string) => void;
  onReach: (id: number, reach: PinReach) => void;
  onRemove: (id: number) => void;
  onClear: () => void;
}

/** The selected pin's colour (picker and suggestions), removing pins, adding one from the keyboard. */
export function PinPanel({
  pins,
  selected,
  selectedNumber,
  maxPins,
  onAddCentre,
  onColor,
  onReach,
  onRemove,
  onClear,
}: PinPanelProps) {
  const colourId = useId();
  const full = pins.length >= maxPins;
  const suggestions = [
    ...(selected?.colorThere ? [{ name: 'Colour here now', color: selected.colorThere }] : []),
    ...COMMON_COLOURS,
  ];

  return (
    <section className="pin-panel" aria-label="Colour pins">
      <div className="pin-panel__row">
        <button type="button" className="button" onClick={onAddCentre} disabled={full}>
          Add a pin
        </button>
        <button type="button" className="button button--quiet" onClick={onClear} disabled={pins.length === 0}>
          Clear all pins
        </button>
      </div>
      <p className="pin-panel__count">
        {pins.length === 0 ? 'No pins yet: the colours are the model’s own.' : `${pins.length} of ${maxPins} pins`}
      </p>

      {selected && (
        <fieldset className="pin-panel__pin">
          <legend>Pin {selectedNumber}</legend>
          <div className="field">
            <label htmlFor={colourId}>Colour of pin {selectedNumber}</label>
            <input
              id={colourId}
              type="color"
              value={selected.color}
              onChange={(event) => onColor(selected.id, event.target.value)}
            />
          </div>
          <div className="swatches" role="group" aria-label="Suggested colours">
            {suggestions.map((suggestion) => (
              <button
                key={suggestion.name}
                type="button"
                className="swatch"
                aria-pressed={suggestion.color.toLowerCase() === selected.color.toLowerCase()}
                onClick={() => onColor(selected.id, suggestion.color)}
                title={suggestion.color}
              >
                <span className="swatch__chip" style={{ background: suggestion.color }} aria-hidden="true" />
                {suggestion.name}
              </button>
            ))}
          </div>
          <div className="reach" role="group" aria-label={`Reach of pin ${selectedNumber}`}>
            <span className="reach__label">Reach</span>
            {REACHES.map((reach) => (
              <button
                key={reach.value}
                type="button"
                className="reach__choice"
                aria-pressed={selected.reach === reach.value}
                title={reach.help}
                onClick={() => onReach(selected.id, reach.value)}
              >
                {reach.label}
              </button>
            ))}
          </div>
          <button type="button" className="button button--quiet" onClick={() => onRemove(selected.id)}>
            Remove pin {selectedNumber}
          </button>
        </fieldset>
      )}
    </section>
  );
}
