import { useEffect, useState } from 'react'

import { ApiError, type ColorizerApi, type ModelInfo } from '../../api/colorizer'

type State = { kind: 'loading' } | { kind: 'starting' } | { kind: 'ready'; model: ModelInfo } | { kind: 'offline' }

/** How soon to ask again while the model is loading, or the service cannot be reached. */
const RETRY_STARTING_MS = 3_000
const RETRY_OFFLINE_MS = 10_000

/** Which model is colorizing; or that it is still starting, or cannot be reached (asked again until ready). */
export function ModelBadge({ api }: { api: ColorizerApi }) {
  const [state, setState] = useState<State>({ kind: 'loading' })

  useEffect(() => {
    const controller = new AbortController()
    let timer: ReturnType<typeof setTimeout> | undefined
    function ask() {
      api
        .fetchModelInfo(controller.signal)
        .then((model) => setState({ kind: 'ready', model }))
        .catch((err: unknown) => {
          if (controller.signal.aborted) return
          const starting = err instanceof ApiError && err.code === 'not_ready'
          setState({ kind: starting ? 'starting' : 'offline' })
          timer = setTimeout(ask, starting ? RETRY_STARTING_MS : RETRY_OFFLINE_MS)
        })
    }
    ask()
    return () => {
      controller.abort()
      clearTimeout(timer)
    }
  }, [api])

  if (state.kind !== 'ready') {
    const text = { loading: 'Connecting…', starting: 'Colorizer starting…', offline: 'Colorizer offline' }[state.kind]
    const modifier = state.kind === 'offline' ? 'offline' : 'loading'
    return (
      <p className={`model-badge model-badge--${modifier}`} role="status">
        <span className="model-badge__dot" aria-hidden="true" /> {text}
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
