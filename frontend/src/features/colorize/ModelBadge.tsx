import type { ModelState } from './useModelInfo';

/** Which model is colorizing; or that it is still starting, or cannot be reached. */
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
  return (
    <p className="model-badge" role="status" title={model.description ?? undefined}>
      <span className="model-badge__dot" aria-hidden="true" /> Model: <strong>{model.name}</strong>
      {model.version && <span className="model-badge__version">v{model.version}</span>}
    </p>
  );
}
