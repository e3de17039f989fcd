/** Longest stem a download name keeps (file systems take 255 bytes; people read far less). */
export const MAX_STEM_CHARACTERS = 80;

/** `text` cut to at most `limit` characters at a word boundary (a space, dash, underscore or dot). */
export function cutAtWord(text: string, limit: number): string {
  if (text.length <= limit) return text;
  const cut = text.slice(0, limit + 1);
  const boundary = Math.max(cut.lastIndexOf(' '), cut.lastIndexOf('-'), cut.lastIndexOf('_'), cut.lastIndexOf('.'));
  // One very long word: cutting it is all that can be done.
  return (boundary > limit / 2 ? cut.slice(0, boundary) : text.slice(0, limit)).replace(/[\s._-]+$/, '');
}

/** "Grandma's wedding, 1952.jpg" -> "Grandma's wedding, 1952-colorized.png", long stems cut at a word. */
export function downloadName(original: string, extension: string, suffix = '-colorized'): string {
  const dot = original.lastIndexOf('.');
  const stem = (dot > 0 ? original.slice(0, dot) : original).trim() || 'photo';
  return `${cutAtWord(stem, MAX_STEM_CHARACTERS)}${suffix}.${extension}`;
}

/** Names made unique for one ZIP: "a.png", "a (2).png"... */
export function uniqueNames(names: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((name) => {
    const count = (seen.get(name.toLowerCase()) ?? 0) + 1;
    seen.set(name.toLowerCase(), count);
    if (count === 1) return name;
    const dot = name.lastIndexOf('.');
    return dot > 0 ? `${name.slice(0, dot)} (${count})${name.slice(dot)}` : `${name} (${count})`;
  });
}
