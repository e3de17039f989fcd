import { useEffect, useState } from 'react';

import type { ColorizerApi } from '../../api/colorizer';
import { formatBytes } from '../../shared/limits';
import { saveBlob } from './convertImage';
import { PhotoTile } from './PhotoTile';
import { QueueCard } from './QueueCard';
import type { useColorizeQueue } from './useColorizeQueue';
import { zipResults } from './zipResults';
import './photoList.css';

/** More photos than this and the list becomes a grid of small cards (a card opens to the full view). */
export const GRID_FROM = 4;

type Queue = ReturnType<typeof useColorizeQueue>;

interface PhotoListProps {
  queue: Queue;
  api: ColorizerApi;
  maxHints: number;
}

/**
 * The photos: full cards while there are few, a compact grid of many (select several
 * to download or remove), "Download all" as one ZIP made in the browser, "Remove
 * all", and how much the browser keeps. What runs is also said in a bar that stays
 * on screen.
 */
export function PhotoList({ queue, api, maxHints }: PhotoListProps) {
  const { items } = queue;
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [openKey, setOpenKey] = useState<string | null>(null);
  const [zipping, setZipping] = useState(false);
  const [zipProblem, setZipProblem] = useState<string | null>(null);
  const grid = items.length >= GRID_FROM;
  const open = items.find((item) => item.key === openKey) ?? null;
  const done = items.filter((item) => item.status === 'done');
  const chosen = items.filter((item) => selected.has(item.key));

  async function downloadZip(which: typeof items, name: string) {
    setZipping(true);
    setZipProblem(null);
    try {
      const { zip, count } = await zipResults(which, queue.imageOf);
      if (count === 0) setZipProblem('None of these photos has a result to download yet.');
      else saveBlob(zip, name);
    } catch {
      setZipProblem('The ZIP could not be made in this browser. Download the photos one by one instead.');
    } finally {
      setZipping(false);
    }
  }

  function toggle(key: string) {
    setSelected((current) => {
      const next = new Set(current);
      if (next.has(key)) next.delete(key);
      else next.add(key);
      return next;
    });
  }

  if (items.length === 0) return null;
  return (
    <section aria-labelledby="queue-title">
      <div className="photo-list__head">
        <h2 id="queue-title" className="section-title">
          Your images <span className="section-title__count">{items.length}</span>
        </h2>
        <div className="photo-list__actions">
          <button
            type="button"
            className="button button--primary"
            disabled={zipping || done.length === 0}
            onClick={() => downloadZip(done, 'colorized-photos.zip')}
          >
            {zipping ? 'Making the ZIP…' : `Download all (${done.length}) as ZIP`}
          </button>
          {chosen.length > 0 && (
            <>
              <button
                type="button"
                className="button"
                disabled={zipping}
                onClick={() => downloadZip(chosen, 'colorized-selection.zip')}
              >
                Download selected ({chosen.length})
              </button>
              <button
                type="button"
                className="button button--quiet"
                onClick={() => {
                  queue.removeMany(selected);
                  setSelected(new Set());
                }}
              >
                Remove selected ({chosen.length})
              </button>
            </>
          )}
          <button type="button" className="button button--quiet" onClick={queue.removeAll}>
            Remove all
          </button>
        </div>
      </div>
      <p className="photo-list__kept">
        Kept in this browser until you remove them: {items.length} photo{items.length === 1 ? '' : 's'},{' '}
        {formatBytes(queue.keptBytes)}.
      </p>
      {zipProblem && (
        <p className="photo-list__problem" role="alert">
          {zipProblem}
        </p>
      )}

      {grid && open ? (
        <div className="photo-list__open">
          <button type="button" className="button button--quiet" onClick={() => setOpenKey(null)}>
            ← Back to all photos
          </button>
          <ol className="queue">
            <QueueCard item={open} api={api} maxHints={maxHints} queue={queue} />
          </ol>
        </div>
      ) : grid ? (
        <>
          <div className="photo-list__select">
            <label>
              <input
                type="checkbox"
                checked={chosen.length === items.length}
                onChange={(event) =>
                  setSelected(event.target.checked ? new Set(items.map((item) => item.key)) : new Set())
                }
              />{' '}
              Select all
            </label>
          </div>
          <ol className="photo-grid">
            {items.map((item) => (
              <PhotoTile
                key={item.key}
                item={item}
                selected={selected.has(item.key)}
                onToggle={() => toggle(item.key)}
                onOpen={() => setOpenKey(item.key)}
              />
            ))}
          </ol>
        </>
      ) : (
        <ol className="queue">
          {items.map((item) => (
            <QueueCard key={item.key} item={item} api={api} maxHints={maxHints} queue={queue} />
          ))}
        </ol>
      )}
      <QueueStatus items={items} />
    </section>
  );
}

/** What runs now, in a bar that stays on screen (the card may be far down the page). */
function QueueStatus({ items }: { items: PhotoListProps['queue']['items'] }) {
  const active = items.find((item) => item.status === 'uploading' || item.status === 'colorizing');
  const waiting = items.filter((item) => item.status === 'queued').length;
  const [, tick] = useState(0);
  useEffect(() => {
    if (active?.status !== 'colorizing') return;
    const timer = setInterval(() => tick((count) => count + 1), 500);
    return () => clearInterval(timer);
  }, [active?.status]);
  if (!active && waiting === 0) return null;
  const what = !active
    ? 'Waiting…'
    : active.status === 'uploading'
      ? `Uploading ${active.file.name}… ${Math.round(active.progress * 100)}%`
      : `Colorizing ${active.file.name}…`;
  return (
    <p className="queue-status" role="status">
      {what}
      {waiting > 0 && ` · ${waiting} waiting`}
    </p>
  );
}
