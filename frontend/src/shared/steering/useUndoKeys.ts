import { useEffect, useRef, type RefObject } from 'react';

/** The result last clicked, tapped or focused: the one Ctrl+Z speaks to when several are on the page. */
let lastUsed: object | null = null;

/**
 * Ctrl+Z / Ctrl+Shift+Z (Cmd on a Mac) for the result in `area`, while it is the one
 * last used: clicking the photo to drop a pin focuses nothing, so the keys are read
 * from the whole document, not only from inside the result.
 */
export function useUndoKeys(area: RefObject<HTMLElement | null>, undo: () => void, redo: () => void) {
  const token = useRef({});
  const actions = useRef({ undo, redo });
  useEffect(() => {
    actions.current = { undo, redo };
  }, [undo, redo]);

  useEffect(() => {
    const element = area.current;
    const me = token.current;
    if (!element) return undefined;
    const mark = () => {
      lastUsed = me;
    };
    const onKeyDown = (event: KeyboardEvent) => {
      if (lastUsed !== me || !(event.ctrlKey || event.metaKey) || event.key.toLowerCase() !== 'z') return;
      // A text field keeps its own undo.
      if (event.target instanceof HTMLInputElement && event.target.type === 'text') return;
      if (event.target instanceof HTMLTextAreaElement) return;
      event.preventDefault();
      if (event.shiftKey) actions.current.redo();
      else actions.current.undo();
    };
    element.addEventListener('pointerdown', mark);
    element.addEventListener('focusin', mark);
    document.addEventListener('keydown', onKeyDown);
    return () => {
      element.removeEventListener('pointerdown', mark);
      element.removeEventListener('focusin', mark);
      document.removeEventListener('keydown', onKeyDown);
      if (lastUsed === me) lastUsed = null;
    };
  }, [area]);
}
