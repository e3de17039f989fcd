import type { ItemStatus } from './useColorizeQueue';

/** Each state of a photo, in words (cards, tiles). */
export const STATUS_LABEL: Record<ItemStatus, string> = {
  queued: 'Waiting',
  uploading: 'Uploading',
  colorizing: 'Colorizing',
  done: 'Done',
  failed: 'Failed',
  cancelled: 'Cancelled',
  rejected: 'Not accepted',
};
