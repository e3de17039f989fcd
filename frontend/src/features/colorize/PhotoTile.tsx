import { STATUS_LABEL } from './statusLabels';
import { StatusIcon } from './StatusIcon';
import type { QueueItem } from './useColorizeQueue';

interface PhotoTileProps {
  item: QueueItem;
  selected: boolean;
  onToggle: () => void;
  onOpen: () => void;
}

/** A photo in the compact grid: its picture, name and state; opens to the full card, or is selected. */
export function PhotoTile({ item, selected, onToggle, onOpen }: PhotoTileProps) {
  const { file, status } = item;
  const picture = item.steered?.result.url ?? item.result?.url ?? item.previewUrl;
  const broken = status === 'failed' || status === 'rejected';
  return (
    <li className={`tile tile--${status}${selected ? ' tile--selected' : ''}`}>
      <button type="button" className="tile__open" onClick={onOpen} aria-label={`Open ${file.name}`}>
        {picture && !broken ? (
          <img className="tile__picture" src={picture} alt="" loading="lazy" />
        ) : (
          <span className="tile__placeholder">
            <StatusIcon status={status} />
          </span>
        )}
      </button>
      <div className="tile__footer">
        <input type="checkbox" checked={selected} onChange={onToggle} aria-label={`Select ${file.name}`} />
        <span className="tile__name" title={file.name}>
          {file.name}
        </span>
        <span className={`badge badge--${status}`}>{STATUS_LABEL[status]}</span>
      </div>
    </li>
  );
}
