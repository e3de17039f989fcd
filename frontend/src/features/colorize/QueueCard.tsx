import { useId } from 'react';

import type { ColorizerApi } from '../../api/colorizer';
import { describeError, isRetryable } from '../../shared/errorMessages';
import { useLimits } from '../../shared/limits';
import { ResultView } from './ResultView';
import type { QueueItem } from './useColorizeQueue';
import { formatBytes } from '../../shared/limits';
import '../../shared/card.css';

interface QueueCardProps {
  item: QueueItem;
  api: ColorizerApi;
  /** Most colour pins the model takes (0: it takes no hints). */
  maxHints: number;
  onRemove: (key: string) => void;
  onRetry: (key: string) => void;
}

const STATUS_LABEL: Record<QueueItem['status'], string> = {
  queued: 'Waiting',
  uploading: 'Uploading',
  colorizing: 'Colorizing',
  done: 'Done',
  failed: 'Failed',
  rejected: 'Not accepted',
};

/** One image in the queue, from waiting to colorized (or why it failed). */
export function QueueCard({ item, api, maxHints, onRemove, onRetry }: QueueCardProps) {
  const limits = useLimits();
  const titleId = useId();
  const { file, status } = item;
  const percent = Math.round(item.progress * 100);

  return (
    <li className={`card card--${status}`}>
      <article aria-labelledby={titleId}>
        <header className="card__header">
          <div className="card__heading">
            <h3 id={titleId} className="card__title" title={file.name}>
              {file.name}
            </h3>
            <p className="card__meta">
              {formatBytes(file.size)} <span className={`badge badge--${status}`}>{STATUS_LABEL[status]}</span>
            </p>
          </div>
          <button
            type="button"
            className="icon-button"
            aria-label={`Remove ${file.name}`}
            onClick={() => onRemove(item.key)}
          >
            <svg viewBox="0 0 24 24" aria-hidden="true" focusable="false">
              <path d="M6 6l12 12M18 6 6 18" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
            </svg>
          </button>
        </header>

        {status === 'done' && item.result && item.previewUrl ? (
          <ResultView
            name={file.name}
            file={file}
            renderSize={item.renderSize}
            maxHints={maxHints}
            originalUrl={item.previewUrl}
            result={item.result}
            api={api}
            onColorizeAgain={() => onRetry(item.key)}
          />
        ) : (
          <div className="card__body">
            {item.previewUrl && (
              <div className={`preview ${status === 'colorizing' ? 'preview--working' : ''}`}>
                <img src={item.previewUrl} alt={`Preview: ${file.name}`} />
              </div>
            )}
            {status === 'queued' && <p className="card__status">Waiting for its turn…</p>}
            {status === 'uploading' && (
              <div className="card__status">
                <progress max={100} value={percent} aria-label={`Uploading ${file.name}`} />
                <span aria-hidden="true">Uploading… {percent}%</span>
              </div>
            )}
            {status === 'colorizing' && (
              <p className="card__status" role="status">
                <span className="spinner" aria-hidden="true" /> Colorizing…
              </p>
            )}
            {status === 'failed' && item.errorCode && (
              <div className="card__problem">
                <p role="alert">{describeError(item.errorCode, limits)}</p>
                {isRetryable(item.errorCode) && (
                  <button type="button" className="button" onClick={() => onRetry(item.key)}>
                    Try again
                  </button>
                )}
              </div>
            )}
            {status === 'rejected' && item.rejection && (
              <div className="card__problem">
                <p role="alert">{item.rejection}</p>
              </div>
            )}
          </div>
        )}
      </article>
    </li>
  );
}
