import type { ModelState } from './useModelInfo';

/**
 * Whether the colorizer is ready (or still starting, or cannot be reached), and an
 * "About this model" panel with its name, version and its card's headline numbers:
 * names like "colorizer-efficientnet-lite0-unet" mean little to most people, so they
 * are one click away rather than on every screen.
 */
export function ModelBadge({ state }: { state: ModelState }) {
  if (state.kind !== 'ready') {
    const text = { loading: 'Connecting…', starting: 'Colorizer starting…', offline: 'Colorizer offline' }[state.kind];
    const modifier = state.kind === 'offline' ? 'offline' : 'loading';
    return (
      <p className={`model-badge model-badge--${modifier}`} role="status">
        <span className="model-badge__dot" aria-hidden="true" /> {text}
      </p>
    );
  }
  const { model } = state;
  const headline = model.headline;
  return (
    <div className="model-about">
      <p className="model-badge" role="status">
        <span className="model-badge__dot" aria-hidden="true" /> Ready
      </p>
      <details className="model-about__panel">
        <summary>About this model</summary>
        <dl className="model-about__facts">
          <div>
            <dt>Model</dt>
            <dd>
              <strong>{model.name}</strong> {model.version && <span>v{model.version}</span>}
            </dd>
          </div>
          {model.description && (
            <div>
              <dt>How it was made</dt>
              <dd>{model.description}</dd>
            </div>
          )}
          {headline && (
            <div>
              <dt>How well it does</dt>
              <dd>
                On {headline.images} held-out photos ({headline.set}): {headline.psnrDb.toFixed(1)} dB PSNR against the
                real colours, {headline.psnrGainDb >= 0 ? '+' : ''}
                {headline.psnrGainDb.toFixed(2)} dB over plain gray; its colours are{' '}
                {Math.round(headline.colourfulnessRatio * 100)}% as vivid as the real ones.
              </dd>
            </div>
          )}
          <div>
            <dt>What it cannot know</dt>
            <dd>Colours are its best guess from light and shape, not a record of the past.</dd>
          </div>
        </dl>
      </details>
    </div>
  );
}
