'use strict';

/**
 * The whole of a readable stream as one Buffer. Past `maxBytes` the stream is
 * destroyed and `tooLarge()` (an Error) is thrown: every body the gateway reads
 * whole (the service's JSON answers, a result kept in Redis) is bounded.
 */
async function readAll(stream, { maxBytes = 1024 * 1024, tooLarge = () => new Error('response body too large') } = {}) {
  const chunks = [];
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.length;
    if (size > maxBytes) {
      stream.destroy();
      throw tooLarge();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

module.exports = { readAll };
