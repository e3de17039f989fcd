import { useEffect, useState } from 'react'

import type { ColorizerApi, ModelInfo } from '../../api/colorizer'

type State = { kind: 'loading' } | { kind: 'ready'; model: ModelInfo } | { kind: 'offline' }

/** Which model is colorizing, or that the colorizer cannot be reached. */
export function ModelBadge({ api }: { api: ColorizerApi }) {
  const [state, setState] = useState<State>({ kind: 'loading' })

  useEffect(() => {
    const controller = new AbortController()
    api
      .fetchModelInfo(controller.signal)
      .then((model) => setState({ kind: 'ready', model }))
      .catch(() => {
        if (!controller.signal.aborted) setState({ kind: 'offline' })
      })
    return () => controller.abort()
  }, [api])

  if (state.kind === 'loading') {
    return (
      <p className="model-badge model-badge--loading" role="status">
        <span className="model-badge__dot" aria-hidden="true" /> Connecting…
      </p>
    )
  }
  if (state.kind === 'offline') {
    return (
      <p className="model-badge model-badge--offline" role="status">
        <span className="model-badge__dot" aria-hidden="true" /> Colorizer offline
      </p>
    )
  }
  const { model } = state
  return (
    <p className="model-badge" role="status" title={model.description ?? undefined}>
      <span className="model-badge__dot" aria-hidden="true" /> Model: <strong>{model.name}</strong>
      {model.version && <span className="model-badge__version">v{model.version}</span>}
    </p>
  )
}
