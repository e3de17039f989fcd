import { describe, expect, it } from 'vitest';

import { cutAtWord, downloadName, MAX_STEM_CHARACTERS, uniqueNames } from './downloadNames';

describe('download names', () => {
  it('keep the original name with a suffix and the new extension', () => {
    expect(downloadName("Grandma's wedding, 1952.jpg", 'png')).toBe("Grandma's wedding, 1952-colorized.png");
    expect(downloadName('noextension', 'jpg')).toBe('noextension-colorized.jpg');
  });

  it('cut long names at a word, never inside one', () => {
    const long =
      'The whole family on the porch of the old farmhouse in Vermont during the summer of nineteen fifty two';
    const name = downloadName(`${long}.jpg`, 'png');
    const stem = name.replace('-colorized.png', '');
    expect(stem.length).toBeLessThanOrEqual(MAX_STEM_CHARACTERS);
    expect(long.startsWith(stem)).toBe(true);
    expect(long[stem.length]).toBe(' '); // the next character was a space: the last word is whole
  });

  it('cut one endless word where they must', () => {
    expect(cutAtWord('a'.repeat(200), 10)).toBe('a'.repeat(10));
  });

  it('are made unique within one ZIP', () => {
    expect(uniqueNames(['a.png', 'b.png', 'A.png', 'a.png'])).toEqual(['a.png', 'b.png', 'A (2).png', 'a (3).png']);
  });
});
