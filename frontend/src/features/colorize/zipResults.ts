import { downloadZip } from 'client-zip';

import { downloadName, uniqueNames } from '../../shared/downloadNames';
import type { QueueItem } from './useColorizeQueue';

/** The name an item's download gets: the original's name, colorized (or as it was, when its colours were kept). */
export function resultName(item: QueueItem, image: Blob): string {
  if (item.colourInput && item.colourChoice === 'keep') return item.file.name;
  return downloadName(item.file.name, image.type === 'image/jpeg' ? 'jpg' : 'png');
}

/**
 * One ZIP of the items' results, made in the browser (client-zip: stored, not
 * recompressed, as PNG and JPEG are compressed already). Items without a result are
 * left out; names are the originals', made unique.
 */
export async function zipResults(
  items: readonly QueueItem[],
  imageOf: (item: QueueItem) => Promise<Blob | null>,
): Promise<{ zip: Blob; count: number }> {
  const found: { item: QueueItem; image: Blob }[] = [];
  for (const item of items) {
    const image = await imageOf(item);
    if (image) found.push({ item, image });
  }
  const names = uniqueNames(found.map(({ item, image }) => resultName(item, image)));
  const files = found.map(({ image }, index) => ({ name: names[index], input: image, lastModified: new Date() }));
  return { zip: await downloadZip(files).blob(), count: files.length };
}
