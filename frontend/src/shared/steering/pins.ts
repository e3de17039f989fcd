import type { ColorHint, PinReach } from '../../api/colorizer';

/** How far a pin's colour spreads (the API's hint `reach`), in words; new pins start at medium. */
export const REACHES: readonly { value: PinReach; label: string; help: string }[] = [
  { value: 'small', label: 'Small', help: 'Only the spot and the object right under it' },
  { value: 'medium', label: 'Medium', help: 'The object and a little around it' },
  { value: 'whole', label: 'Whole region', help: 'Everything of similar lightness, up to the edges' },
];
export const DEFAULT_PIN_REACH: PinReach = 'medium';

/** A colour pin on a result: where (0..1 of the image's width and height) and which colour. */
export interface Pin {
  id: number;
  x: number;
  y: number;
  /** '#rrggbb' */
  color: string;
  /** The result's colour at the pin's spot when it was placed or last moved, if it could be read. */
  colorThere: string | null;
  reach: PinReach;
}

/** Colours people often need to fix, offered beside "the colour here now". */
export const COMMON_COLOURS: readonly { name: string; color: string }[] = [
  { name: 'Sky', color: '#6b9bd8' },
  { name: 'Foliage', color: '#4f7f2a' },
  { name: 'Skin', color: '#d9a27f' },
  { name: 'Brick', color: '#a4452c' },
];

/** What a pin gets when its spot's colour cannot be read (a neutral mid grey). */
export const FALLBACK_COLOUR = '#808080';

export function clamp01(value: number): number {
  return Math.min(1, Math.max(0, value));
}

const roundPosition = (value: number) => Math.round(clamp01(value) * 10_000) / 10_000;

/** Pins as the API's hints; positions rounded to 1/10000 keep the request short. */
export function toHints(pins: readonly Pin[]): ColorHint[] {
  return pins.map((pin) => ({
    x: roundPosition(pin.x),
    y: roundPosition(pin.y),
    color: pin.color.toLowerCase(),
    reach: pin.reach,
  }));
}

/** "37% from the left, 60% from the top" */
export function describePosition(pin: Pick<Pin, 'x' | 'y'>): string {
  return `${Math.round(pin.x * 100)}% from the left, ${Math.round(pin.y * 100)}% from the top`;
}

/** How an arrow key moves a pin: 1% of the image, 5% with Shift. */
export function nudge(pin: Pick<Pin, 'x' | 'y'>, key: string, shift: boolean): { x: number; y: number } | null {
  const step = shift ? 0.05 : 0.01;
  const moves: Record<string, [number, number]> = {
    ArrowLeft: [-step, 0],
    ArrowRight: [step, 0],
    ArrowUp: [0, -step],
    ArrowDown: [0, step],
  };
  const move = moves[key];
  if (!move) return null;
  return { x: clamp01(pin.x + move[0]), y: clamp01(pin.y + move[1]) };
}
