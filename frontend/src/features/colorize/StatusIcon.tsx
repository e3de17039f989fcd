import type { ItemStatus } from './useColorizeQueue';

/** A picture for a photo that has none to show: a warning sign for failed or refused, an image outline else. */
export function StatusIcon({ status }: { status: ItemStatus }) {
  const problem = status === 'failed' || status === 'rejected' || status === 'cancelled';
  return (
    <svg className="status-icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      {problem ? (
        <path
          d="M12 3 2 21h20L12 3Zm0 6v6m0 3v.5"
          fill="none"
          stroke="currentColor"
          strokeWidth="2"
          strokeLinecap="round"
          strokeLinejoin="round"
        />
      ) : (
        <path
          d="M4 5h16v14H4zM4 16l5-5 4 4 3-3 4 4"
          fill="none"
          stroke="currentColor"
          strokeWidth="2"
          strokeLinejoin="round"
        />
      )}
    </svg>
  );
}
