// A small real HTTP server standing in for the gateway, for tests of the API modules:
// real XMLHttpRequest/fetch, real multipart bodies, real status codes.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterAll, beforeAll } from 'vitest';

export type Handler = (req: IncomingMessage, body: Buffer, res: ServerResponse) => void;

/**
 * Starts the stand-in before the file's tests (and serves the page from it), stops it after;
 * `handle` answers each request. `stop` takes it down sooner (an unreachable server).
 */
export function standInGateway(handle: Handler): { stop: () => Promise<void> } {
  let server: Server;
  // Closing a stopped server only reports that it was not running.
  const stop = () => new Promise<void>((resolve) => server.close(() => resolve()));
  beforeAll(async () => {
    server = createServer((req, res) => {
      // jsdom keeps the page's first origin for XHR, so the stand-in answers like a CORS server.
      res.setHeader('Access-Control-Allow-Origin', '*');
      res.setHeader('Access-Control-Expose-Headers', 'Retry-After');
      if (req.method === 'OPTIONS') {
        res.writeHead(204, {
          'Access-Control-Allow-Methods': 'GET, POST, DELETE',
          'Access-Control-Allow-Headers': '*, Authorization',
        });
        res.end();
        return;
      }
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => handle(req, Buffer.concat(chunks), res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // The page is served from the stand-in, as the gateway serves the app.
    (globalThis as unknown as { jsdom: { reconfigure(options: { url: string }): void } }).jsdom.reconfigure({
      url: `${origin}/`,
    });
  });
  afterAll(stop);
  return { stop };
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}
