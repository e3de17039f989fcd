import { useEffect, useId, useState, type ReactNode } from 'react';

import type { ColorizerApi } from '../../api/colorizer';
import { describeError, isRetryable } from '../../shared/errorMessages';
import { formatBytes, useLimits } from '../../shared/limits';
import { estimatedProgress } from './processingEstimate';
import { ResultView } from './ResultView';
import { STATUS_LABEL } from './statusLabels';
import { StatusIcon } from './StatusIcon';
import type { QueueItem, useColorizeQueue } from './useColorizeQueue';
import '../../shared/card.css';

interface QueueCardProps {
  item: QueueItem;
  api: ColorizerApi;
  /** Most colour pins the model takes (0: it takes no hints). */
  maxHints: number;
  queue: Pick<ReturnType<typeof useColorizeQueue>, 'remove' | 'retry' | 'cancel' | 'steer' | 'chooseColour'>;
}

/** One image in the queue, from waiting to colorized (or why it failed, with Retry). */
export function QueueCard({ item, api, maxHints, queue }: QueueCardProps) {
  const titleId = useId();
  const { file, status } = item;

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
            onClick={() => queue.remove(item.key)}
          >
            <svg viewBox="0 0 24 24" aria-hidden="true" focusable="false">
              <path d="M6 6l12 12M18 6 6 18" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
            </svg>
          </button>
        </header>

        {status === 'done' && item.result && item.previewUrl ? (
          <>
            {item.colourInput && (
              <ColourQuestion item={item} onChoose={(choice) => queue.chooseColour(item.key, choice)} />
            )}
            {item.colourInput && item.colourChoice === 'keep' ? (
              <KeptColours item={item} previewUrl={item.previewUrl} />
            ) : (
              <ResultView
                key={item.result.url}
                name={file.name}
                file={file}
                renderSize={item.renderSize}
                maxHints={maxHints}
                originalUrl={item.previewUrl}
                result={item.result}
                api={api}
                steering={item.steering}
                steered={item.steered}
                onSteer={(steering, steered) => queue.steer(item.key, steering, steered)}
                onColorizeAgain={() => queue.retry(item.key)}
              />
            )}
          </>
        ) : (
          <Pending item={item} queue={queue} />
        )}
      </article>
    </li>
  );
}

/** "This photo is already in colour": keep its colours, or colorize it from its gray. */
function ColourQuestion({ item, onChoose }: { item: QueueItem; onChoose: (choice: 'keep' | 'colorize') => void }) {
  return (
    <div className="colour-question" role="group" aria-label="This photo is already in colour">
      <p>
        <strong>This photo is already in colour.</strong>{' '}
        {item.colourChoice === null
          ? 'Keep its own colours, or colorize it from its gray?'
          : item.colourChoice === 'keep'
            ? 'Its own colours are kept.'
            : 'It was colorized from its gray.'}
      </p>
      <div className="colour-question__choices">
        <button
          type="button"
          className="button"
          aria-pressed={item.colourChoice === 'keep'}
          onClick={() => onChoose('keep')}
        >
          Keep its colours
        </button>
        <button
          type="button"
          className="button"
          aria-pressed={item.colourChoice === 'colorize'}
          onClick={() => onChoose('colorize')}
        >
          Colorize from the gray
        </button>
      </div>
    </div>
  );
}

function KeptColours({ item, previewUrl }: { item: QueueItem; previewUrl: string }) {
  return (
    <div className="card__body">
      <div className="preview">
        <img src={previewUrl} alt={`Original: ${item.file.name}`} />
      </div>
      <div className="result-actions">
        <a className="button button--primary" href={previewUrl} download={item.file.name}>
          Download the original
        </a>
      </div>
    </div>
  );
}

/** Before the result: waiting, uploading, colorizing (with progress and Cancel), or why not (with Retry). */
function Pending({ item, queue }: Pick<QueueCardProps, 'item' | 'queue'>) {
  const limits = useLimits();
  const { file, status } = item;
  const [unreadable, setUnreadable] = useState(false);
  const percent = Math.round(item.progress * 100);
  const problem = status === 'failed' || status === 'rejected' || unreadable;
  const cancel = (
    <button type="button" className="button button--quiet" onClick={() => queue.cancel(item.key)}>
      Cancel
    </button>
  );
  const retry = (
    <button type="button" className="button" onClick={() => queue.retry(item.key)}>
      Retry
    </button>
  );

  return (
    <div className="card__body">
      {item.previewUrl && !problem ? (
        <div className={`preview ${status === 'colorizing' ? 'preview--working' : ''}`}>
          <img src={item.previewUrl} alt={`Preview: ${file.name}`} onError={() => setUnreadable(true)} />
        </div>
      ) : (
        <p className="card__no-preview">
          <StatusIcon status={status} />
          {unreadable && status !== 'failed' && status !== 'rejected'
            ? 'No preview: this browser cannot show this file.'
            : 'No preview: this file could not be colorized.'}
        </p>
      )}
      {status === 'queued' && <p className="card__status">Waiting for its turn…</p>}
      {status === 'uploading' && (
        <div className="card__status">
          <progress max={100} value={percent} aria-label={`Uploading ${file.name}`} />
          <span aria-hidden="true">Uploading… {percent}%</span>
          {cancel}
        </div>
      )}
      {status === 'colorizing' && <Colorizing item={item} cancel={cancel} />}
      {status === 'cancelled' && (
        <div className="card__problem">
          <p>Cancelled.</p>
          {retry}
        </div>
      )}
      {status === 'failed' && item.errorCode && (
        <div className="card__problem">
          <p role="alert">{describeError(item.errorCode, limits)}</p>
          {isRetryable(item.errorCode) && retry}
        </div>
      )}
      {status === 'rejected' && item.rejection && (
        <div className="card__problem">
          <p role="alert">{item.rejection}</p>
        </div>
      )}
    </div>
  );
}

/** The server is colorizing: an estimate of how far (from the photos before), or the seconds so far. */
function Colorizing({ item, cancel }: { item: QueueItem; cancel: ReactNode }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(timer);
  }, []);
  const seconds = Math.round((now - (item.colorizingSince ?? now)) / 1000);
  const estimate = estimatedProgress(item.file.size, item.colorizingSince, now);
  return (
    <div className="card__status" role="status">
      {estimate === null ? (
        <span className="spinner" aria-hidden="true" />
      ) : (
        <progress max={100} value={estimate} aria-label={`Colorizing ${item.file.name}`} />
      )}
      <span>Colorizing… {estimate === null ? `${seconds} s` : `about ${estimate}%`}</span>
      {cancel}
    </div>
  );
}
