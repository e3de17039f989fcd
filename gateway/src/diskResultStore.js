'use strict';

const fs = require('node:fs');
const fsp = require('node:fs/promises');
const path = require('node:path');
const { pipeline } = require('node:stream/promises');
const { imageSize } = require('image-size');
const { imageSizeFromFile } = require('image-size/fromFile');

const { HttpError, resultStoreUnavailable, resultTooLarge } = require('./errors');
const { EXTENSIONS, extensionFor } = require('./imageTypes');
const { isValidId, newId } = require('./resultIds');

// Enough of the start of an image to find its size (PNG, WebP: a few bytes; JPEG: up to its SOF marker).
const HEAD_BYTES = 256 * 1024;

// File-system errors that mean "the folder cannot be written now" (gone, read-only,
// full, immutable...), as opposed to a bug.
const STORAGE_ERROR_CODES = new Set([
  'EACCES',
  'EPERM',
  'ENOENT',
  'ENOTDIR',
  'EEXIST',
  'ENOSPC',
  'EDQUOT',
  'EROFS',
  'EIO',
  'EISDIR',
]);

/**
 * Colorized results on disk, each with a time-to-live, under a total size cap: the
 * embedded default, for one gateway (redisResultStore.js is the one for several).
 *
 * Each result is two files in `dir`: `<id>.<ext>` (the image) and `<id>.json`
 * (its metadata). The index lives in memory and is rebuilt from the metadata
 * files on start, so results survive a gateway restart until they expire.
 * When the cap is exceeded the oldest results are removed first.
 *
 * Both stores offer: open(), close(), assertWritable(), save(stream, info),
 * get(id), read(id) -> {entry, body}, health().
 */
class DiskResultStore {
  constructor({ dir, ttlMs, maxBytes, sweepMs = 60_000, logger = null, now = Date.now }) {
    this.dir = path.resolve(dir);
    this.ttlMs = ttlMs;
    this.maxBytes = maxBytes;
    this.sweepMs = sweepMs;
    this.logger = logger;
    this.now = now;
    this.entries = new Map(); // id -> metadata, in insertion (= age) order
    this.totalBytes = 0;
    this.timer = null;
  }

  /** Create the folder, load surviving results, and start the periodic expiry sweep. */
  async open() {
    try {
      await fsp.mkdir(this.dir, { recursive: true });
      await this.loadExisting();
    } catch (err) {
      // Start anyway: colorize answers 503 and /api/health reports the store until it is fixed.
      this.logger?.error({ err: { code: err.code, message: err.message } }, 'result folder unusable at start-up');
    }
    if (this.sweepMs > 0) {
      this.timer = setInterval(() => {
        this.sweep().catch((err) => this.logger?.error({ err }, 'result sweep failed'));
      }, this.sweepMs);
      this.timer.unref();
    }
    return this;
  }

  close() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Throws 503 result_store_unavailable when a result could not be kept now (checked before colorizing). */
  async assertWritable() {
    try {
      await fsp.mkdir(this.dir, { recursive: true });
      await fsp.access(this.dir, fs.constants.W_OK);
    } catch (err) {
      this.logger?.error({ err: { code: err.code, message: err.message } }, 'result folder not writable');
      throw resultStoreUnavailable();
    }
  }

  /** For /api/health: whether results can be stored, and how many there are. */
  async health() {
    let error = null;
    try {
      await fsp.mkdir(this.dir, { recursive: true }); // a deleted folder is recreated, as before a colorize
      await fsp.access(this.dir, fs.constants.W_OK);
    } catch {
      error = 'the result folder cannot be written';
    }
    return {
      backend: 'disk',
      status: error ? 'failing' : 'ok',
      ...(error && { error }),
      count: this.entries.size,
      bytes: this.totalBytes,
      max_bytes: this.maxBytes,
    };
  }

  async loadExisting() {
    const names = await fsp.readdir(this.dir);
    const found = [];
    for (const name of names) {
      if (name.startsWith('.tmp-')) {
        await fsp.rm(path.join(this.dir, name), { force: true }); // an interrupted write
        continue;
      }
      const match = /^([A-Za-z0-9_-]{24})\.json$/.exec(name);
      if (!match) continue;
      try {
        const meta = JSON.parse(await fsp.readFile(path.join(this.dir, name), 'utf8'));
        await fsp.access(this.filePath(meta));
        if (meta.id !== match[1]) throw new Error('id mismatch');
        found.push(meta);
      } catch {
        await this.removeFiles(match[1]);
      }
    }
    found.sort((a, b) => a.createdAt - b.createdAt);
    for (const meta of found) this.index(meta);
    await this.sweep();
    await this.enforceCap();
  }

  filePath(meta) {
    return path.join(this.dir, `${meta.id}.${meta.extension}`);
  }

  index(meta) {
    this.entries.set(meta.id, meta);
    this.totalBytes += meta.bytes;
  }

  async remove(id) {
    const meta = this.entries.get(id);
    if (meta) {
      this.entries.delete(id);
      this.totalBytes -= meta.bytes;
    }
    await this.removeFiles(id);
  }

  async removeFiles(id) {
    const names = [`${id}.json`, ...Object.values(EXTENSIONS).map((ext) => `${id}.${ext}`)];
    await Promise.all(names.map((name) => fsp.rm(path.join(this.dir, name), { force: true })));
  }

  /**
   * Stream an image into the store. `info` carries contentType, filename and any
   * extra metadata (model, inference time) to keep with it. Resolves to the entry.
   */
  async save(stream, info) {
    const extension = extensionFor(info.contentType);
    const id = newId();
    const tmpPath = path.join(this.dir, `.tmp-${id}`);
    let bytes = 0;
    const head = [];
    let headBytes = 0;
    try {
      // Count the bytes and keep the first ones for the size, without reading the file back.
      stream.on('data', (chunk) => {
        bytes += chunk.length;
        if (headBytes < HEAD_BYTES) {
          head.push(chunk);
          headBytes += chunk.length;
        }
      });
      await pipeline(stream, fs.createWriteStream(tmpPath));
      if (bytes > this.maxBytes) {
        throw resultTooLarge();
      }
      const { width, height } = await this.imageSize(Buffer.concat(head), tmpPath);
      const createdAt = this.now();
      const meta = {
        ...info.extra,
        id,
        contentType: info.contentType,
        extension,
        filename: info.filename,
        bytes,
        width,
        height,
        createdAt,
        expiresAt: createdAt + this.ttlMs,
      };
      await fsp.writeFile(path.join(this.dir, `${id}.json`), JSON.stringify(meta));
      await fsp.rename(tmpPath, this.filePath(meta));
      this.index(meta);
      await this.enforceCap(id);
      return meta;
    } catch (err) {
      // The folder went away or filled up mid-write: the same 503 as assertWritable's, not a 500.
      if (STORAGE_ERROR_CODES.has(err?.code)) {
        this.logger?.error({ err: { code: err.code, message: err.message } }, 'result could not be written');
        throw resultStoreUnavailable();
      }
      throw err;
    } finally {
      await fsp.rm(tmpPath, { force: true }).catch(() => {});
    }
  }

  /** Width and height from the image's first bytes, or from the whole file when they are not enough. */
  async imageSize(head, filePath) {
    try {
      return imageSize(head);
    } catch {
      return imageSizeFromFile(filePath).catch(() => {
        throw new HttpError(502, 'bad_upstream_response', 'the returned image could not be read');
      });
    }
  }

  /** The live entry for an id, or null when it is unknown or expired. */
  get(id) {
    if (!isValidId(id)) return null;
    const meta = this.entries.get(id);
    if (!meta) return null;
    if (meta.expiresAt <= this.now()) {
      this.remove(id).catch(() => {});
      return null;
    }
    return meta;
  }

  /** The live entry and its image as a readable stream, or null when it is unknown or expired. */
  async read(id) {
    const meta = this.get(id);
    if (!meta) return null;
    try {
      const handle = await fsp.open(this.filePath(meta), 'r');
      return { entry: meta, body: handle.createReadStream() };
    } catch (err) {
      if (err.code === 'ENOENT') return null; // expired or evicted since the lookup
      throw err;
    }
  }

  /** Remove every expired result (files and index). */
  async sweep() {
    const now = this.now();
    const expired = [...this.entries.values()].filter((meta) => meta.expiresAt <= now);
    for (const meta of expired) await this.remove(meta.id);
    if (expired.length) this.logger?.info({ removed: expired.length }, 'expired results removed');
    return expired.length;
  }

  /** Remove the oldest results until the total fits under the cap (never `keepId`). */
  async enforceCap(keepId = null) {
    // A snapshot: saves may add entries while this awaits a removal.
    for (const meta of Array.from(this.entries.values())) {
      if (this.totalBytes <= this.maxBytes) break;
      if (meta.id === keepId) continue;
      await this.remove(meta.id);
      this.logger?.info({ id: meta.id }, 'result evicted to stay under the size cap');
    }
  }
}

module.exports = { DiskResultStore };
