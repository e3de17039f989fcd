import { useRef, type CSSProperties } from 'react';

import { useZoom } from './useZoom';
import { ZoomControls } from './ZoomControls';

interface SideBySideProps {
  beforeSrc: string;
  beforeAlt: string;
  afterSrc: string;
  afterAlt: string;
}

/** The original and the colorized image next to each other (stacked on a phone), zooming and panning together. */
export function SideBySide({ beforeSrc, beforeAlt, afterSrc, afterAlt }: SideBySideProps) {
  const before = useRef<HTMLDivElement>(null);
  const after = useRef<HTMLDivElement>(null);
  const wrapper = useRef<HTMLDivElement>(null);
  const zoom = useZoom([before, after]);
  const pictureStyle = { transform: zoom.transform } as CSSProperties;
  return (
    <div className="zoomable" ref={wrapper}>
      <ZoomControls zoom={zoom} target={wrapper} />
      <div className="side-by-side">
        <figure className="side-by-side__figure">
          <div className="side-by-side__frame" ref={before}>
            <img src={beforeSrc} alt={beforeAlt} style={pictureStyle} draggable={false} />
          </div>
          <figcaption>Original</figcaption>
        </figure>
        <figure className="side-by-side__figure">
          <div className="side-by-side__frame" ref={after}>
            <img src={afterSrc} alt={afterAlt} style={pictureStyle} draggable={false} />
          </div>
          <figcaption>Colorized</figcaption>
        </figure>
      </div>
    </div>
  );
}
