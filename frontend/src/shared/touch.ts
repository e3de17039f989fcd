/**
 * A touch screen (the main pointer is coarse): the app then says "tap" and "choose"
 * rather than "click" and "drop".
 */
export function isTouchScreen(): boolean {
  return typeof window !== 'undefined' && typeof window.matchMedia === 'function'
    ? window.matchMedia('(pointer: coarse)').matches
    : false;
}
