import { useState } from 'react'

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
}

function formatSeconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`
}

/** A finished image: comparison (slider or side by side), what made it, download. */
export function ResultView({ name, originalUrl, result, api }: ResultViewProps) {
  const [view, setView] = useState<View>('slider')
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
        <DownloadControls result={result} api={api} />
      </div>
    </div>
  )
}
