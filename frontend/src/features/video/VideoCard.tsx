import { useCallback, useEffect, useId, useRef, useState } from 'react';

import type { ColorizerApi } from '../../api/colorizer';
import type { VideoApi } from '../../api/videos';
import { downloadName } from '../../shared/downloadNames';
import { formatBytes, formatDuration } from '../../shared/limits';
import { KeyframePanel } from './KeyframePanel';
import type { FilmSteer, VideoItem } from './useVideoJobs';
import { VideoCompare } from './VideoCompare';
import { describeVideoError } from './videoErrors';
import '../../shared/card.css';
import './video.css';

interface VideoCardProps {
  item: VideoItem;
  api: VideoApi;
  /** The photos' API (server or device, with the API key): a keyframe's preview is colorized as a photo. */
  colorizer: ColorizerApi;
  renderSize: number | undefined;
  /** Most pins one frame may have (0: the model takes no hints, so no keyframes). */
  maxPins: number;
  onCancel: (key: string) => void;
  onRemove: (key: string) => void;
  onRetry: (key: string) => void;
  steer: FilmSteer;
}

const STATE_LABEL = {
  uploading: 'Uploading',
  queued: 'Waiting',
  running: 'Colorizing',
  done: 'Done',
  failed: 'Failed',
  cancelled: 'Cancelled',
} as const;

/**
 * One film: its upload, then its job's progress (frames, ETA) with Cancel, then the result
 * to play and save; the original plays meanwhile. Keyframes and vibrance below the film.
 */
export function VideoCard(props: VideoCardProps) {
  const { item, api, onCancel, onRemove, onRetry } = props;
  const titleId = useId();
  const job = item.job;
  const state =
    item.phase === 'uploading' ? 'uploading' : item.phase === 'failed' ? 'failed' : (job?.state ?? 'queued');
  // The result's URLs, for the job they were asked for (a rerun brings another job).
  const [urls, setUrls] = useState<{ jobId: string; playUrl: string; downloadUrl: string } | null>(null);
  const shownUrls = urls && urls.jobId === job?.id ? urls : null;

  useEffect(() => {
    if (job?.state !== 'done' || shownUrls) return;
    let live = true;
    api.playableResultUrl(job).then(
      (made) => live && setUrls({ jobId: job.id, ...made }),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [api, job, shownUrls]);

  const original = useRef<HTMLVideoElement>(null);
  const colorized = useRef<HTMLVideoElement>(null);
  const films = useCallback(() => ({ leader: colorized.current ?? original.current, original: original.current }), []);

  const upload = Math.round(item.uploadFraction * 100);
  const errorCode = item.errorCode ?? job?.errorCode ?? null;
  const retry = (
    <button type="button" className="button" onClick={() => onRetry(item.key)}>
      Retry
    </button>
  );
  return (
    <li className={`card card--video card--${state}`}>
      <article aria-labelledby={titleId}>
        <header className="card__header">
          <div className="card__heading">
            <h3 id={titleId} className="card__title" title={item.filename}>
              {item.filename}
            </h3>
            <p className="card__meta">
              {formatBytes(item.size)} · video <span className={`badge badge--${state}`}>{STATE_LABEL[state]}</span>
            </p>
          </div>
          <button
            type="button"
            className="icon-button"
            aria-label={`Remove ${item.filename}`}
            onClick={() => onRemove(item.key)}
          >
            <svg viewBox="0 0 24 24" aria-hidden="true" focusable="false">
              <path d="M6 6l12 12M18 6 6 18" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
            </svg>
          </button>
        </header>
        <div className="card__body">
          {state === 'uploading' && (
            <div className="card__status">
              <progress max={100} value={upload} aria-label={`Uploading ${item.filename}`} />
              <span>Uploading… {upload}%</span>
            </div>
          )}
          {(state === 'queued' || state === 'running') && (
            <div className="card__status" role="status">
              <progress max={100} value={job?.percent ?? 0} aria-label={`Colorizing ${item.filename}`} />
              <span>
                {state === 'queued'
                  ? 'Waiting for its turn…'
                  : `Colorizing… frame ${job?.framesDone ?? 0} of ${job?.framesTotal || '?'} (${Math.round(job?.percent ?? 0)}%)`}
                {job?.etaS !== null &&
                  job?.etaS !== undefined &&
                  ` · about ${formatDuration(Math.max(1, Math.round(job.etaS)))} left`}
              </span>
              <button type="button" className="button" onClick={() => onCancel(item.key)}>
                Cancel
              </button>
            </div>
          )}
          {state !== 'done' && item.sourceUrl && (
            <figure className="video-compare__side video-original">
              {/* oxlint-disable-next-line jsx-a11y/media-has-caption -- the user's own silent original: no captions exist */}
              <video
                ref={original}
                src={item.sourceUrl}
                controls
                muted
                playsInline
                preload="metadata"
                aria-label={`Original: ${item.filename}`}
              />
              <figcaption>Original</figcaption>
            </figure>
          )}
          {state === 'done' && shownUrls && job && (
            <>
              <VideoCompare
                key={shownUrls.playUrl}
                name={item.filename}
                beforeUrl={item.sourceUrl}
                afterUrl={shownUrls.playUrl}
                beforeRef={original}
                afterRef={colorized}
              />
              <div className="result-actions">
                <a
                  className="button button--primary"
                  href={shownUrls.downloadUrl}
                  download={downloadName(item.filename, 'mp4')}
                >
                  Download MP4
                </a>
                <span className="card__meta">
                  {job.width}×{job.height}, {job.framesDone} frames
                  {job.keyframes.length > 0 &&
                    `, ${job.keyframes.length} keyframe${job.keyframes.length === 1 ? '' : 's'}`}
                  {job.resultBytes !== null && `, ${formatBytes(job.resultBytes)}`}
                </span>
              </div>
            </>
          )}
          {state === 'cancelled' && (
            <div className="card__problem">
              <p>Cancelled.</p>
              {item.canRetry && retry}
            </div>
          )}
          {state === 'failed' && errorCode && (
            <div className="card__problem">
              <p role="alert">{describeVideoError(errorCode)}</p>
              {item.canRetry && retry}
            </div>
          )}
          {(item.sourceUrl || shownUrls) && (
            <KeyframePanel
              item={item}
              films={films}
              api={props.colorizer}
              renderSize={props.renderSize}
              maxPins={props.maxPins}
              steer={props.steer}
            />
          )}
        </div>
      </article>
    </li>
  );
}
