import { useCallback, useEffect, useRef, useState, type RefObject } from 'react';

/** Scale and offset (px, of the frame) of a zoomed picture; scale 1 is the whole picture. */
export interface Zoom {
  scale: number;
  x: number;
  y: number;
}

export const FIT: Zoom = { scale: 1, x: 0, y: 0 };
export const MAX_ZOOM = 8;
/** What a double-click or double-tap zooms to. */
export const DOUBLE_TAP_ZOOM = 3;
const DOUBLE_TAP_MS = 300;

/** `zoom` scaled by `factor` around the frame point (px, py), kept inside the frame. */
export function zoomAround(zoom: Zoom, factor: number, px: number, py: number, width: number, height: number): Zoom {
  const scale = Math.min(MAX_ZOOM, Math.max(1, zoom.scale * factor));
  const ratio = scale / zoom.scale;
  return clampZoom({ scale, x: px - (px - zoom.x) * ratio, y: py - (py - zoom.y) * ratio }, width, height);
}

/** The picture always covers the frame: no empty edges when panned or zoomed out. */
export function clampZoom(zoom: Zoom, width: number, height: number): Zoom {
  const clamp = (value: number, size: number) => Math.min(0, Math.max(size - size * zoom.scale, value));
  return { scale: zoom.scale, x: clamp(zoom.x, width), y: clamp(zoom.y, height) };
}

/**
 * Zoom and pan for one or more frames of the same size that show the same picture
 * (the slider, or both sides of side by side, move together): the wheel zooms at
 * the pointer, two fingers pinch, a double-click or double-tap zooms in (and out
 * again), one pointer drags once zoomed. `ignore` tells which pointer-downs belong
 * to something else (a slider's handle).
 */
export function useZoom(frames: RefObject<HTMLElement | null>[], ignore?: (target: EventTarget | null) => boolean) {
  const [zoom, setZoom] = useState<Zoom>(FIT);
  const pointers = useRef(new Map<number, { x: number; y: number; frame: HTMLElement }>());
  const lastTap = useRef(0);
  const lastTouchToggle = useRef(0);
  const ignoreRef = useRef(ignore);
  useEffect(() => {
    ignoreRef.current = ignore;
  }, [ignore]);
  const framesRef = useRef(frames);
  useEffect(() => {
    framesRef.current = frames;
  }, [frames]);

  const zoomBy = useCallback((factor: number) => {
    const box = framesRef.current[0]?.current?.getBoundingClientRect();
    if (!box) return;
    setZoom((current) => zoomAround(current, factor, box.width / 2, box.height / 2, box.width, box.height));
  }, []);

  useEffect(() => {
    const elements = framesRef.current.map((frame) => frame.current).filter((element) => element !== null);
    if (!elements.length) return undefined;
    const boxOf = (event: Event) => (event.currentTarget as HTMLElement).getBoundingClientRect();
    // Not passive: the wheel zooms the picture instead of scrolling the page.
    const onWheel = (event: WheelEvent) => {
      event.preventDefault();
      const box = boxOf(event);
      const factor = Math.exp(-event.deltaY * 0.0015);
      setZoom((current) =>
        zoomAround(current, factor, event.clientX - box.left, event.clientY - box.top, box.width, box.height),
      );
    };
    const toggle = (box: DOMRect, clientX: number, clientY: number) => {
      setZoom((current) =>
        current.scale > 1
          ? FIT
          : zoomAround(current, DOUBLE_TAP_ZOOM, clientX - box.left, clientY - box.top, box.width, box.height),
      );
    };
    const onDoubleClick = (event: MouseEvent) => {
      // A double tap has been handled already (a browser may follow it with dblclick).
      if (ignoreRef.current?.(event.target) || Date.now() - lastTouchToggle.current < 600) return;
      event.preventDefault();
      toggle(boxOf(event), event.clientX, event.clientY);
    };
    const onPointerDown = (event: PointerEvent) => {
      if (ignoreRef.current?.(event.target)) return;
      const frame = event.currentTarget as HTMLElement;
      pointers.current.set(event.pointerId, { x: event.clientX, y: event.clientY, frame });
      if (event.pointerType === 'touch' && pointers.current.size === 1) {
        const now = Date.now();
        if (now - lastTap.current < DOUBLE_TAP_MS) {
          lastTap.current = 0;
          lastTouchToggle.current = now;
          toggle(frame.getBoundingClientRect(), event.clientX, event.clientY);
        } else lastTap.current = now;
      }
    };
    const onPointerMove = (event: PointerEvent) => {
      const before = pointers.current.get(event.pointerId);
      if (!before) return;
      const box = before.frame.getBoundingClientRect();
      const others = [...pointers.current.entries()].filter(([id]) => id !== event.pointerId).map(([, p]) => p);
      if (others.length === 1) {
        const [other] = others;
        const distanceBefore = Math.hypot(before.x - other.x, before.y - other.y);
        const distanceNow = Math.hypot(event.clientX - other.x, event.clientY - other.y);
        if (distanceBefore > 0) {
          const midX = (event.clientX + other.x) / 2 - box.left;
          const midY = (event.clientY + other.y) / 2 - box.top;
          setZoom((current) => zoomAround(current, distanceNow / distanceBefore, midX, midY, box.width, box.height));
        }
      } else {
        const dx = event.clientX - before.x;
        const dy = event.clientY - before.y;
        setZoom((current) =>
          current.scale > 1
            ? clampZoom({ ...current, x: current.x + dx, y: current.y + dy }, box.width, box.height)
            : current,
        );
      }
      pointers.current.set(event.pointerId, { ...before, x: event.clientX, y: event.clientY });
    };
    const onPointerUp = (event: PointerEvent) => {
      pointers.current.delete(event.pointerId);
    };
    for (const element of elements) {
      element.addEventListener('wheel', onWheel, { passive: false });
      element.addEventListener('dblclick', onDoubleClick);
      element.addEventListener('pointerdown', onPointerDown);
    }
    window.addEventListener('pointermove', onPointerMove);
    window.addEventListener('pointerup', onPointerUp);
    window.addEventListener('pointercancel', onPointerUp);
    return () => {
      for (const element of elements) {
        element.removeEventListener('wheel', onWheel);
        element.removeEventListener('dblclick', onDoubleClick);
        element.removeEventListener('pointerdown', onPointerDown);
      }
      window.removeEventListener('pointermove', onPointerMove);
      window.removeEventListener('pointerup', onPointerUp);
      window.removeEventListener('pointercancel', onPointerUp);
    };
  }, []);

  return {
    zoom,
    zoomIn: () => zoomBy(1.5),
    zoomOut: () => zoomBy(1 / 1.5),
    reset: () => setZoom(FIT),
    /** The CSS transform for the picture(s) inside the frames. */
    transform: `translate(${zoom.x}px, ${zoom.y}px) scale(${zoom.scale})`,
  };
}
