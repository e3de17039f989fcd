'use strict';

// Small real images made in the test (no binary fixtures): PNG written by hand with zlib.
const zlib = require('node:zlib');

function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(body) >>> 0);
  return Buffer.concat([length, body, crc]);
}

function header(width, height, colorType) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = colorType; // 0 = grayscale, 2 = RGB
  return ihdr; // compression, filter, interlace: 0
}

const SIGNATURE = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);

/** A grayscale PNG with a diagonal gradient and a few blocks (something to colorize). */
function grayscalePng(width, height) {
  const rows = [];
  for (let y = 0; y < height; y += 1) {
    const row = Buffer.alloc(width + 1); // filter byte 0, then one byte per pixel
    for (let x = 0; x < width; x += 1) {
      const block = (Math.floor(x / 16) + Math.floor(y / 16)) % 3 === 0 ? 60 : 0;
      row[x + 1] = Math.min(255, Math.round(((x + y) / (width + height)) * 190) + block);
    }
    rows.push(row);
  }
  return Buffer.concat([
    SIGNATURE,
    chunk('IHDR', header(width, height, 0)),
    chunk('IDAT', zlib.deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** An RGB PNG in three colours (sky, grass, brick): a colour photo, as far as the service can tell. */
function colourPng(width, height) {
  const colours = [
    [70, 120, 200],
    [60, 140, 50],
    [180, 60, 40],
  ];
  const rows = [];
  for (let y = 0; y < height; y += 1) {
    const row = Buffer.alloc(width * 3 + 1);
    for (let x = 0; x < width; x += 1) {
      const colour = colours[y < height / 2 ? 0 : x < width / 2 ? 1 : 2];
      row.set(colour, 1 + x * 3);
    }
    rows.push(row);
  }
  return Buffer.concat([
    SIGNATURE,
    chunk('IHDR', header(width, height, 2)),
    chunk('IDAT', zlib.deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A PNG whose header claims width x height but carries almost no data (a decompression bomb's shape). */
function hugeHeaderPng(width, height) {
  return Buffer.concat([
    SIGNATURE,
    chunk('IHDR', header(width, height, 0)),
    chunk('IDAT', zlib.deflateSync(Buffer.alloc(16))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Width and height from a PNG's IHDR. */
function pngSize(buffer) {
  if (!buffer.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG');
  return { width: buffer.readUInt32BE(16), height: buffer.readUInt32BE(20) };
}

module.exports = { colourPng, grayscalePng, hugeHeaderPng, pngSize };
