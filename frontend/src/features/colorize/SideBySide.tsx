interface SideBySideProps {
  beforeSrc: string;
  beforeAlt: string;
  afterSrc: string;
  afterAlt: string;
}

/** The original and the colorized image next to each other (stacked on a phone). */
export function SideBySide({ beforeSrc, beforeAlt, afterSrc, afterAlt }: SideBySideProps) {
  return (
    <div className="side-by-side">
      <figure className="side-by-side__figure">
        <img src={beforeSrc} alt={beforeAlt} />
        <figcaption>Original</figcaption>
      </figure>
      <figure className="side-by-side__figure">
        <img src={afterSrc} alt={afterAlt} />
        <figcaption>Colorized</figcaption>
      </figure>
    </div>
  );
}
