import { useEffect, useState } from 'react'

import type { ColorizeResult, ColorizerApi } from '../../api/colorizer'
import { CompareSlider } from './CompareSlider'
import { DownloadControls } from './DownloadControls'
import { SideBySide } from './SideBySide'

type View = 'slider' | 'side-by-side'

interface ResultViewProps {
  name: string
  originalUrl: string
  result: ColorizeResult
  api: ColorizerApi
  onColorizeAgain: () => void
}

/** True once the server has deleted the result (its expiry time has passed). */
function useExpired(expiresAtMs: number | null): boolean {
  const [expired, setExpired] = useState(() => expiresAtMs !== null && expiresAtMs <= Date.now())
  useEffect(() => {
    if (expiresAtMs === null || expired) return
    // setTimeout cannot wait longer than about 24.8 days.
    const wait = Math.min(Math.max(0, expiresAtMs - Date.now()), 2 ** 31 - 1)
    const timer = setTimeout(() => setExpired(true), wait)
    return () => clearTimeout(timer)
  }, [expiresAtMs, expired])
  return expired
}

function formatSeconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`
}

/** A finished image: comparison (slider or side by side), what made it, download. */
export function ResultView({ name, originalUrl, result, api, onColorizeAgain }: ResultViewProps) {
  const [view, setView] = useState<View>('slider')
  const expired = useExpired(result.expiresAtMs)
  const images = {
    beforeSrc: originalUrl,
    beforeAlt: `Original: ${name}`,
    afterSrc: result.url,
    afterAlt: `Colorized: ${name}`,
  }
  const model = [result.modelName, result.modelVersion && `v${result.modelVersion}`].filter(Boolean).join(' ')

  return (
    <div className="result">
      <div className="segmented" role="group" aria-label="Comparison view">
        <button type="button" aria-pressed={view === 'slider'} onClick={() => setView('slider')}>
          Slider
        </button>
        <button type="button" aria-pressed={view === 'side-by-side'} onClick={() => setView('side-by-side')}>
          Side by side
        </button>
      </div>
      {view === 'slider' ? (
        <CompareSlider {...images} width={result.width} height={result.height} />
      ) : (
        <SideBySide {...images} />
      )}
      <div className="result__footer">
        <dl className="result__facts">
          <div>
            <dt>Size</dt>
            <dd>
              {result.width} × {result.height} px
            </dd>
          </div>
          {model && (
            <div>
              <dt>Model</dt>
              <dd>{model}</dd>
            </div>
          )}
          {result.inferenceMs !== null && (
            <div>
              <dt>Time</dt>
              <dd>{formatSeconds(result.inferenceMs)}</dd>
            </div>
          )}
        </dl>
        {expired ? (
          <div className="result__expired">
            <p role="status">This result has been deleted from the server (results are kept for one hour).</p>
            <button type="button" className="button" onClick={onColorizeAgain}>
              Colorize again
            </button>
          </div>
        ) : (
          <DownloadControls result={result} api={api} />
        )}
      </div>
    </div>
  )
}
