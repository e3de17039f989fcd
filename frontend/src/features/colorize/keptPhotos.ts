import type { ColorizeResult } from '../../api/colorizer';
import { keptInBrowser, type Kept } from '../../shared/keptInBrowser';
import type { Steered } from '../../shared/steering/useSteering';
import type { Steering } from '../../shared/steering/useSteeringHistory';

/** A result as kept: what the server said about it, and its image (object URLs do not survive a reload). */
export interface KeptResult {
  result: Omit<ColorizeResult, 'url' | 'downloadUrl'>;
  image: Blob;
}

/** One photo as kept in the browser (IndexedDB), until the user removes it. */
export interface KeptPhoto {
  /** Order of adding (the queue's order after a reload). */
  order: number;
  file: File;
  /** Where it was: unfinished work is colorized again after a reload. */
  status: 'queued' | 'done' | 'failed' | 'cancelled' | 'rejected';
  renderSize: number | undefined;
  errorCode: string | null;
  rejection: string | null;
  result: KeptResult | null;
  steering: Steering;
  /** The image for `steering`, with the settings it was made for. */
  steered: (KeptResult & { settingsKey: string }) | null;
  /** The upload was already in colour (the service said so), and what the person chose. */
  colourInput: boolean;
  colourChoice: 'keep' | 'colorize' | null;
}

export type PhotoKeeper = Kept<KeptPhoto>;

/** The photos' store in this browser. */
export const keptPhotos: PhotoKeeper = keptInBrowser<KeptPhoto>('photos');

/** A kept result shown from a fresh object URL (the caller revokes it with the item). */
export function restoredResult(kept: KeptResult): ColorizeResult {
  const url = URL.createObjectURL(kept.image);
  // A local copy: it never expires on the server's clock.
  return { ...kept.result, url, downloadUrl: url, expiresAt: null, expiresAtMs: null };
}

export function restoredSteered(kept: KeptPhoto['steered']): Steered | null {
  return kept ? { settingsKey: kept.settingsKey, result: restoredResult(kept) } : null;
}

/** What to keep of a result: its facts, without the URLs. */
export function keptResult(result: ColorizeResult, image: Blob): KeptResult {
  const { url: _url, downloadUrl: _downloadUrl, ...facts } = result;
  return { result: facts, image };
}
